// Command classify-baseline answers one question about the message
// classifier (package classify): would a small learned model read
// takes_responsibility and prevention_steps better than the hand-written
// rules? It trains a logistic regression on word uni- and bigrams, in
// 5-fold cross-validation over the corpus's tune split only (the test
// split is never read), and prints precision, recall and F1 at several
// thresholds. Three shapes of model:
//
//   - msg:  one example per message;
//   - sent: one example per sentence, labelled with its message's label;
//     a message is positive when its best sentence is;
//   - mil:  as sent, then three rounds in which a positive message keeps
//     only its best-scoring sentence as the positive example (multiple
//     instance learning).
//
// Its own module (standard library only), so the product does not build it.
//
//	cd scripts/classify-baseline && go run . -flag takes_responsibility
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
)

type row struct {
	ID     string         `json:"id"`
	Split  string         `json:"split"`
	Text   string         `json:"text"`
	Labels map[string]any `json:"labels"`
}

var (
	tokRe  = regexp.MustCompile(`[a-z0-9']+|[.!?;:,]`)
	sentRe = regexp.MustCompile(`[.!?]\s+`)
)

// feats is the set of words and word pairs of t, with sentence marks.
func feats(t string) []string {
	t = strings.ToLower(strings.NewReplacer("\u2019", "'", "\u2018", "'").Replace(t))
	w := append([]string{"<s>"}, tokRe.FindAllString(t, -1)...)
	w = append(w, "</s>")
	set := map[string]bool{}
	for i := range w {
		set[w[i]] = true
		if i+1 < len(w) {
			set[w[i]+" "+w[i+1]] = true
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out) // a fixed order of the float sums: the same figures every run
	return out
}

func sentences(t string) []string {
	var out []string
	last := 0
	for _, m := range sentRe.FindAllStringIndex(t, -1) {
		out = append(out, t[last:m[0]+1])
		last = m[1]
	}
	if last < len(t) {
		out = append(out, t[last:])
	}
	return out
}

type model map[string]float64

func (m model) score(f []string) float64 {
	s := m["\x00bias"]
	for _, k := range f {
		s += m[k]
	}
	return s
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// train fits a logistic regression with AdaGrad and L2, in a fixed order
// (deterministic); positives weigh pw.
func train(X [][]string, y []bool, pw, l2 float64, epochs int) model {
	m, g2 := model{}, map[string]float64{}
	step := func(k string, g float64) {
		g += l2 * m[k]
		g2[k] += g * g
		m[k] -= 0.5 * g / (math.Sqrt(g2[k]) + 1e-8)
	}
	for e := 0; e < epochs; e++ {
		for i := range X {
			target, wt := 0.0, 1.0
			if y[i] {
				target, wt = 1, pw
			}
			g := (sigmoid(m.score(X[i])) - target) * wt
			step("\x00bias", g)
			for _, k := range X[i] {
				step(k, g)
			}
		}
	}
	return m
}

func bestSentence(m model, text string) (float64, string) {
	best, at := math.Inf(-1), ""
	for _, s := range sentences(text) {
		if v := m.score(feats(s)); v > best {
			best, at = v, s
		}
	}
	return best, at
}

func fit(tune []row, flagName, shape string, pw, l2 float64) model {
	var X [][]string
	var Y []bool
	for _, r := range tune {
		pos := r.Labels[flagName] == true
		if shape == "msg" {
			X, Y = append(X, feats(r.Text)), append(Y, pos)
			continue
		}
		for _, s := range sentences(r.Text) {
			X, Y = append(X, feats(s)), append(Y, pos)
		}
	}
	m := train(X, Y, pw, l2, 10)
	if shape != "mil" {
		return m
	}
	for round := 0; round < 3; round++ {
		X, Y = X[:0], Y[:0]
		for _, r := range tune {
			if r.Labels[flagName] == true {
				_, s := bestSentence(m, r.Text)
				X, Y = append(X, feats(s)), append(Y, true)
				continue
			}
			for _, s := range sentences(r.Text) {
				X, Y = append(X, feats(s)), append(Y, false)
			}
		}
		m = train(X, Y, pw, l2, 10)
	}
	return m
}

func main() {
	corpus := flag.String("corpus", "../../classify/testdata/corpus.jsonl", "the labelled corpus")
	flagName := flag.String("flag", "takes_responsibility", "the label to learn")
	folds := flag.Int("folds", 5, "cross-validation folds over the tune split")
	flag.Parse()
	f, err := os.Open(*corpus)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer f.Close()
	var tune []row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r row
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if r.Split == "tune" { // the test split is never read
			tune = append(tune, r)
		}
	}
	fmt.Printf("%s: %d tune messages, %d-fold cross-validation\n", *flagName, len(tune), *folds)
	for _, shape := range []string{"msg", "sent", "mil"} {
		for _, pw := range []float64{2, 5} {
			for _, l2 := range []float64{0.01, 0.1} {
				prob := make([]float64, len(tune))
				for k := 0; k < *folds; k++ {
					var in []row
					for i, r := range tune {
						if i%*folds != k {
							in = append(in, r)
						}
					}
					m := fit(in, *flagName, shape, pw, l2)
					for i, r := range tune {
						if i%*folds != k {
							continue
						}
						if shape == "msg" {
							prob[i] = sigmoid(m.score(feats(r.Text)))
						} else {
							v, _ := bestSentence(m, r.Text)
							prob[i] = sigmoid(v)
						}
					}
				}
				bestF, line := -1.0, ""
				for _, thr := range []float64{0.3, 0.5, 0.7, 0.8, 0.9} {
					var tp, fp, fn float64
					for i, r := range tune {
						pos, said := r.Labels[*flagName] == true, prob[i] > thr
						switch {
						case pos && said:
							tp++
						case !pos && said:
							fp++
						case pos && !said:
							fn++
						}
					}
					p, rec := tp/math.Max(tp+fp, 1), tp/math.Max(tp+fn, 1)
					f1 := 0.0
					if p+rec > 0 {
						f1 = 2 * p * rec / (p + rec)
					}
					if f1 > bestF {
						bestF, line = f1, fmt.Sprintf("threshold %.1f  P %.3f  R %.3f  F1 %.3f", thr, p, rec, f1)
					}
				}
				fmt.Printf("  %-4s pos-weight %.0f l2 %.2f  best %s\n", shape, pw, l2, line)
			}
		}
	}
}
