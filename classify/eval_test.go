package classify

import (
	"bufio"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// labelled is one line of testdata/corpus.jsonl: a real public status
// update or postmortem excerpt, quoted verbatim with its source, labelled
// by hand by SPEC §7's definitions.
type labelled struct {
	ID    string `json:"id"`
	Split string `json:"split"` // "tune" (rules were tuned on it) or "test" (never looked at while tuning)
	// Batch records when a message joined: "main"; "fresh", labelled
	// after the rules were frozen at d40e90c (scored once, then its
	// misses used for tuning); "round2", whose tune part was used for
	// tuning; "fresh2", labelled after the final rules and never used
	// for tuning, whatever its split; "round3" to "round6", prevention
	// steps and near-misses added for recall, whose tune parts were used
	// for tuning; "round7", postmortems labelled blind by another reader
	// for ownership and prevention, whose tune part is used for tuning
	// and whose test part TestEvaluation scores on its own; "round8",
	// the same for generalisation, whose tune part was first scored once
	// as a development set; "round9", the same again.
	Batch  string    `json:"batch"`
	Source string    `json:"source"`
	At     time.Time `json:"at"`
	Text   string    `json:"text"`
	Labels struct {
		Apology             bool `json:"apology"`
		TakesResponsibility bool `json:"takes_responsibility"`
		RootCause           bool `json:"root_cause"`
		PreventionSteps     bool `json:"prevention_steps"`
		// NextUpdateMinutes is the promised next update as minutes after At, or null.
		NextUpdateMinutes *int `json:"next_update_minutes"`
	} `json:"labels"`
}

func loadCorpus(tb testing.TB) []labelled {
	tb.Helper()
	f, err := os.Open("testdata/corpus.jsonl")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []labelled
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		var l labelled
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			tb.Fatalf("corpus line %d: %v", n, err)
		}
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

// splitOf is the fixed split: FNV-1a of the id, the first 60 of every 100
// buckets tune, the rest test. It was fixed before any rule was written.
func splitOf(id string) string {
	h := fnv.New32a()
	h.Write([]byte(id))
	if h.Sum32()%100 < 60 {
		return "tune"
	}
	return "test"
}

func TestCorpusSplitIsTheHashSplit(t *testing.T) {
	c := loadCorpus(t)
	seen := map[string]bool{}
	for _, l := range c {
		if got := splitOf(l.ID); got != l.Split {
			t.Errorf("%s: recorded split %q, hash split %q", l.ID, l.Split, got)
		}
		if seen[l.ID] {
			t.Errorf("%s: duplicate id", l.ID)
		}
		seen[l.ID] = true
		if l.Source == "" || l.Text == "" || l.At.IsZero() {
			t.Errorf("%s: source, text and at are required", l.ID)
		}
	}
}

// score counts one flag's confusion matrix.
type score struct{ tp, fp, fn, tn int }

func (s *score) add(want, got bool) {
	switch {
	case want && got:
		s.tp++
	case !want && got:
		s.fp++
	case want && !got:
		s.fn++
	default:
		s.tn++
	}
}

func (s score) precision() float64 { return ratio(s.tp, s.tp+s.fp) }
func (s score) recall() float64    { return ratio(s.tp, s.tp+s.fn) }
func (s score) f1() float64 {
	p, r := s.precision(), s.recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1 // nothing to find and nothing found
	}
	return float64(a) / float64(b)
}

type evaluation struct {
	n                int
	flags            map[string]*score
	nextExact        int // predicted next_update_at equal to the label (both null counts)
	nextPos, nextHit int // among labelled promises, how many found exactly
	misses           []string
}

var flagNames = []string{keyApology, keyResponsibility, keyRootCause, keyPrevention}

func evaluate(c *Classifier, corpus []labelled, keep func(labelled) bool) evaluation {
	e := evaluation{flags: map[string]*score{}}
	for _, k := range flagNames {
		e.flags[k] = &score{}
	}
	for _, l := range corpus {
		if !keep(l) {
			continue
		}
		e.n++
		got := c.Classify(l.Text, l.At)
		want := map[string]bool{
			keyApology: l.Labels.Apology, keyResponsibility: l.Labels.TakesResponsibility,
			keyRootCause: l.Labels.RootCause, keyPrevention: l.Labels.PreventionSteps,
		}
		have := map[string]bool{
			keyApology: got.Apology, keyResponsibility: got.TakesResponsibility,
			keyRootCause: got.RootCause, keyPrevention: got.PreventionSteps,
		}
		for _, k := range flagNames {
			e.flags[k].add(want[k], have[k])
			if want[k] != have[k] {
				e.misses = append(e.misses, fmt.Sprintf("%s %s want %v (evidence %q): %.120s", l.ID, k, want[k], got.Evidence[k], l.Text))
			}
		}
		var wantNext *time.Time
		if l.Labels.NextUpdateMinutes != nil {
			t := l.At.Add(time.Duration(*l.Labels.NextUpdateMinutes) * time.Minute)
			wantNext = &t
			e.nextPos++
		}
		same := (wantNext == nil) == (got.NextUpdateAt == nil) && (wantNext == nil || wantNext.Equal(*got.NextUpdateAt))
		if same {
			e.nextExact++
			if wantNext != nil {
				e.nextHit++
			}
		} else {
			e.misses = append(e.misses, fmt.Sprintf("%s next_update_at want %v got %v: %.120s", l.ID, wantNext, got.NextUpdateAt, l.Text))
		}
	}
	return e
}

func (e evaluation) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d messages\n%-22s %5s %5s %5s %5s %9s %7s %5s\n", e.n, "flag", "tp", "fp", "fn", "tn", "precision", "recall", "F1")
	for _, k := range flagNames {
		s := e.flags[k]
		fmt.Fprintf(&b, "%-22s %5d %5d %5d %5d %9.3f %7.3f %5.3f\n", k, s.tp, s.fp, s.fn, s.tn, s.precision(), s.recall(), s.f1())
	}
	fmt.Fprintf(&b, "next_update_at exact: %d/%d messages (%.3f); promises found exactly: %d/%d\n",
		e.nextExact, e.n, ratio(e.nextExact, e.n), e.nextHit, e.nextPos)
	return b.String()
}

// targets are SPEC §5's classifier F1 targets.
var targets = map[string]float64{keyApology: 0.95, keyResponsibility: 0.85, keyRootCause: 0.85, keyPrevention: 0.85}

// floors are what the rules reach today on the whole test split where
// that is below the target: the test fails below them (a regression) and
// logs the shortfall. A flag without a floor must reach its target.
// Issue 16 stays open: takes_responsibility and prevention_steps are
// short of 0.85 on held-out text.
//
// The figures were set from one run of the full evaluation after round
// 9 (rules generalised on written probes, then tuned on the tune split,
// round9's tune part included, after it was scored once as a
// development set); no rule was changed after that run. The test split
// now holds 450 messages (round9's 54 test messages joined it). On the
// tune split the two flags reach 0.92 and 0.91, on the held-out messages
// 0.600 and 0.737: the rules still fit the phrasing they were tuned on
// far better than new text, above all in recall.
var floors = map[string]float64{keyPrevention: 0.736, keyResponsibility: 0.6}

// The held-out tables each have floors of their own (today's figures,
// truncated), so that a rule change cannot trade one set of held-out
// messages for another.
var (
	// round7Floors pin the round7 batch's test part (99 messages
	// labelled blind by other readers, never looked at while tuning).
	// Round 8 raised ownership there from 0.500 to 0.545 and prevention
	// from 0.739 to 0.765; round 9 moved them to 0.555 and 0.745.
	round7Floors = map[string]float64{keyApology: 0.979, keyResponsibility: 0.555, keyRootCause: 0.826, keyPrevention: 0.745}
	// round8Floors pin the round8 batch's test part (104 messages
	// labelled blind by other readers, never looked at while tuning).
	// Round 9 raised prevention there from 0.621 to 0.709.
	round8Floors = map[string]float64{keyApology: 0.974, keyResponsibility: 0.592, keyRootCause: 0.841, keyPrevention: 0.709}
	// round9Floors pin the round9 batch's test part (54 messages
	// labelled blind by other readers, never looked at while tuning).
	round9Floors = map[string]float64{keyApology: 0.956, keyResponsibility: 0.482, keyRootCause: 0.705, keyPrevention: 0.608}
	// before7Floors pin the test split as it was before round7 (193
	// messages). Before the rules read clause structure issue 16
	// measured takes_responsibility 0.727 and prevention_steps 0.776
	// there; after round 7 0.814 and 0.769; after round 8 0.785 (one
	// more false positive: 3, and 3 misses of 14) and 0.787.
	before7Floors = map[string]float64{keyApology: 1, keyResponsibility: 0.785, keyRootCause: 0.932, keyPrevention: 0.787}
	// formerFloors pin the test split as it was before the round4–round6
	// batches (165 messages). They were takes_responsibility 0.933,
	// root_cause 0.897 and prevention_steps 0.818 before the rules read
	// clause structure, 0.823, 0.927 and 0.772 after round 7; round 8
	// lost ownership there (0.777: 3 false positives, 1 miss of 8) and
	// gained prevention (0.800).
	formerFloors = map[string]float64{keyApology: 1, keyResponsibility: 0.777, keyRootCause: 0.927, keyPrevention: 0.799}
)

// laterBatches joined after the test split had 165 messages.
var laterBatches = map[string]bool{"round4": true, "round5": true, "round6": true, "round7": true, "round8": true, "round9": true}

// TestEvaluation scores the rules on the test split, which no rule was
// tuned on, and fails below the SPEC targets (or, where a flag is still
// short of its target, below its floor) and below the floors of the
// held-out tables: round7's test part, the test split before round7 and
// the one before round4. The tune split's figures are logged for
// comparison. -v shows the tables; TRUSTLENS_CLASSIFY_MISSES=1 lists
// every disagreement (of the tune split only, so as not to leak the test
// split into tuning).
func TestEvaluation(t *testing.T) {
	c := New()
	corpus := loadCorpus(t)
	tune := evaluate(c, corpus, func(l labelled) bool { return l.Split == "tune" && l.Batch != "fresh2" })
	t.Logf("tune split (rules tuned on it):\n%s", tune.table())
	if os.Getenv("TRUSTLENS_CLASSIFY_MISSES") != "" {
		for _, m := range tune.misses {
			t.Log(m)
		}
	}
	round9Tune := evaluate(c, corpus, func(l labelled) bool { return l.Split == "tune" && l.Batch == "round9" })
	t.Logf("round9's tune part (scored once as a development set before any rule used it):\n%s", round9Tune.table())
	if os.Getenv("TRUSTLENS_CLASSIFY_TUNE_ONLY") != "" {
		t.Skip("TRUSTLENS_CLASSIFY_TUNE_ONLY: test split not evaluated")
	}
	test := evaluate(c, corpus, func(l labelled) bool { return l.Split == "test" })
	t.Logf("test split (held out):\n%s", test.table())
	round7 := evaluate(c, corpus, func(l labelled) bool { return l.Split == "test" && l.Batch == "round7" })
	t.Logf("round7 (labelled blind, never tuned on), its test split:\n%s", round7.table())
	round8 := evaluate(c, corpus, func(l labelled) bool { return l.Split == "test" && l.Batch == "round8" })
	t.Logf("round8 (labelled blind, never tuned on), its test split:\n%s", round8.table())
	round9 := evaluate(c, corpus, func(l labelled) bool { return l.Split == "test" && l.Batch == "round9" })
	t.Logf("round9 (labelled blind, never tuned on), its test split:\n%s", round9.table())
	before7 := evaluate(c, corpus, func(l labelled) bool {
		return l.Split == "test" && l.Batch != "round7" && l.Batch != "round8" && l.Batch != "round9"
	})
	t.Logf("test split before the round7 batch:\n%s", before7.table())
	fresh2 := evaluate(c, corpus, func(l labelled) bool { return l.Batch == "fresh2" })
	t.Logf("fresh2 batch (labelled after the final rules, never tuned on, both splits):\n%s", fresh2.table())
	former := evaluate(c, corpus, func(l labelled) bool { return l.Split == "test" && !laterBatches[l.Batch] })
	t.Logf("test split before the round4-round6 batches:\n%s", former.table())
	for _, h := range []struct {
		name   string
		e      evaluation
		floors map[string]float64
	}{
		{"round7's test split", round7, round7Floors},
		{"round8's test split", round8, round8Floors},
		{"round9's test split", round9, round9Floors},
		{"the test split before round7", before7, before7Floors},
		{"the former test split", former, formerFloors},
	} {
		for _, k := range flagNames {
			if floor, ok := h.floors[k]; ok && h.e.flags[k].f1() < floor {
				t.Errorf("%s: F1 %.3f on %s, below its floor %.3f", k, h.e.flags[k].f1(), h.name, floor)
			}
		}
	}
	for _, k := range flagNames {
		f := test.flags[k].f1()
		floor, short := floors[k]
		switch {
		case short && f < floor:
			t.Errorf("%s: F1 %.3f on the test split, below today's floor %.3f (SPEC target %.2f)", k, f, floor, targets[k])
		case short && f < targets[k]:
			t.Logf("%s: F1 %.3f on the test split: still short of the SPEC target %.2f", k, f, targets[k])
		case f < targets[k]:
			t.Errorf("%s: F1 %.3f on the test split, SPEC target %.2f", k, f, targets[k])
		}
	}
}

// BenchmarkClassify classifies the whole corpus, message after message,
// and reports messages per second (SPEC target: 5 000 on one core; run
// with -cpu 1).
func BenchmarkClassify(b *testing.B) {
	c := New()
	corpus := loadCorpus(b)
	b.ResetTimer()
	var sink trustlens.Classification
	for i := 0; i < b.N; i++ {
		l := corpus[i%len(corpus)]
		sink = c.Classify(l.Text, l.At)
	}
	_ = sink
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
