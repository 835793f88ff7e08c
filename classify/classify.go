// Package classify reads the habits of SPEC §7 from the words of a status
// update or postmortem: apology, taking responsibility, root cause,
// prevention steps and the promised next update, with the evidence for
// each.
//
// It is a set of hand-written rules, not a trained model: every decision
// comes from a phrase list or a word-order rule in this package, and the
// evidence is the sentence (or the clause) that fired, so a person can
// see why and fix a rule. The rules work sentence by sentence on a
// lower-cased copy of the text; each flag has its own file (apology.go,
// responsibility.go, cause.go, prevention.go, nextupdate.go). Ownership
// and prevention steps also read the structure of a sentence from its
// words (clause.go): who is the subject, the tense or mood of the verb
// and the class of its object (own.go: "we | deployed | a change …
// which caused"; step.go: "we | will add | alerting on …").
package classify

import (
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/trustlens/trustlens"
)

// Classifier is safe for concurrent use; it holds no state.
type Classifier struct{}

// New returns a classifier.
func New() *Classifier { return &Classifier{} }

// Evidence keys, the JSON names of the flags.
const (
	keyApology        = trustlens.EvidenceApology
	keyResponsibility = trustlens.EvidenceTakesResponsibility
	keyRootCause      = trustlens.EvidenceRootCause
	keyPrevention     = trustlens.EvidencePreventionSteps
	keyNextUpdate     = trustlens.EvidenceNextUpdateAt
)

// Classify reads text, sent at `at` (the anchor of relative promises such
// as "next update in 30 minutes", and the day of clock times such as "by
// 15:00 UTC").
func (c *Classifier) Classify(text string, at time.Time) trustlens.Classification {
	d := newDoc(text)
	out := trustlens.Classification{Evidence: map[string]string{}}
	if ev, ok := apology(d); ok {
		out.Apology = true
		out.Evidence[keyApology] = ev
	}
	ownEv, owns := responsibility(d)
	if owns {
		out.TakesResponsibility = true
		out.Evidence[keyResponsibility] = ownEv
	}
	if ev, ok := rootCause(d); ok {
		out.RootCause = true
		out.Evidence[keyRootCause] = ev
	} else if ev, ok := ownChangeCause(d); ok {
		// "we made a change which broke X" states a cause as well.
		out.RootCause = true
		out.Evidence[keyRootCause] = ev
	}
	if ev, ok := prevention(d); ok {
		out.PreventionSteps = true
		out.Evidence[keyPrevention] = ev
	}
	if t, ev, ok := nextUpdate(d, at); ok {
		out.NextUpdateAt = &t
		out.Evidence[keyNextUpdate] = ev
	}
	return out
}

// doc is a text split into sentences, each with a lower-cased copy in
// which typographic apostrophes and quotes are plain ASCII, so that the
// phrase lists need one spelling.
type doc struct {
	lower     string // the whole text, normalised
	sentences []sentence
	hits      []uint64   // bit set of the dictionary words the text contains
	ws        [][]string // the words of each sentence, cut when first asked for
}

// words are the words of sentence i (see words in clause.go), cut once.
func (d *doc) words(i int) []string {
	if d.ws == nil {
		d.ws = make([][]string, len(d.sentences))
	}
	if d.ws[i] == nil {
		d.ws[i] = words(d.sentences[i].lower)
	}
	return d.ws[i]
}

type sentence struct {
	orig  string // as written (for evidence)
	lower string // normalised
}

func newDoc(text string) *doc {
	lower := normalise(text)
	d := &doc{lower: lower, hits: make([]uint64, (len(dictionary)+63)/64)}
	matcher().match(lower, func(id int32) { d.hits[id/64] |= 1 << (id % 64) })
	d.sentences = split(text, lower)
	return d
}

// normalise lower-cases ASCII letters and replaces the typographic
// apostrophe and quotes with ASCII ones, keeping every other byte, so
// that byte offsets into the result are offsets into the original once
// the replacements are accounted for; split keeps the two in step.
func normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z':
			b.WriteByte(byte(r) + 'a' - 'A')
		case r == '\u2019' || r == '\u2018':
			b.WriteByte('\'')
		case r == '\u201c' || r == '\u201d':
			b.WriteByte('"')
		case r == '\u00a0':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// split cuts the text into sentences at '.', '!', '?', ';', line breaks
// and before a bullet ('•'). A full stop ends a sentence when a space, a line break or the
// end follows, or when a capital letter follows a lower-case one ("in
// these regions.We are"), so "github.com", "0.6%" and "v2.3" stay whole.
func split(orig, lower string) []sentence {
	var out []sentence
	// Walk the original and the normalised text together: they have the
	// same runes, only some differ in byte length.
	start, lstart := 0, 0
	oi, li := 0, 0
	add := func(oend, lend int) {
		o := strings.TrimSpace(orig[start:oend])
		l := strings.TrimSpace(lower[lstart:lend])
		if l != "" {
			out = append(out, sentence{orig: o, lower: l})
		}
	}
	for oi < len(orig) {
		r, on := decodeRune(orig[oi:])
		_, ln := decodeRune(lower[li:])
		if r == '\u2022' && oi > start {
			// A bullet starts a list item: the item is a sentence of
			// its own, even where the list was written inline.
			add(oi, li)
			start, lstart = oi, li
		}
		end := false
		switch r {
		case '!', '?', ';', '\n':
			end = true
		case '.':
			next := oi + on
			if next >= len(orig) {
				end = true
			} else {
				c := orig[next]
				switch {
				case c == ' ' || c == '\n' || c == '\r' || c == '\t':
					end = true
				case c >= 'A' && c <= 'Z' && oi > 0 && orig[oi-1] >= 'a' && orig[oi-1] <= 'z':
					end = true
				}
			}
		}
		oi += on
		li += ln
		if end {
			add(oi, li)
			start, lstart = oi, li
		}
	}
	add(len(orig), len(lower))
	return out
}

func decodeRune(s string) (rune, int) { return utf8.DecodeRuneInString(s) }

// phrases is one of the rules' phrase lists. All lists share one
// Aho–Corasick automaton (matcher.go), run once over the whole text: a
// sentence is then searched only for the few phrases the text contains
// at all.
type phrases struct {
	words []string
	ids   []int // into dictionary
}

var (
	dictionary []string
	dictIndex  = map[string]int{}
	matcher    = sync.OnceValue(func() *automaton { return newAutomaton(dictionary) })
)

// newPhrases registers a list; it runs during package initialisation,
// before the matcher is first built.
func newPhrases(words ...string) *phrases {
	p := &phrases{words: words}
	for _, w := range words {
		id, ok := dictIndex[w]
		if !ok {
			id = len(dictionary)
			dictionary = append(dictionary, w)
			dictIndex[w] = id
		}
		p.ids = append(p.ids, id)
	}
	return p
}

// hit reports whether the text contains dictionary word id.
func (d *doc) hit(id int) bool { return d.hits[id/64]&(1<<(id%64)) != 0 }

// has reports whether s (a part of the text) contains one of p's
// phrases, and which (the first in p's order).
func (d *doc) has(s string, p *phrases) (string, bool) {
	for i, id := range p.ids {
		if d.hit(id) && strings.Contains(s, p.words[i]) {
			return p.words[i], true
		}
	}
	return "", false
}

// hasWord is has for phrases that must start a word: "our failure" is
// not found in "8 hour failure", nor "tun" in "unfortunately".
func (d *doc) hasWord(s string, p *phrases) (string, bool) {
	for i, id := range p.ids {
		if !d.hit(id) {
			continue
		}
		w := p.words[i]
		for off := 0; ; {
			j := strings.Index(s[off:], w)
			if j < 0 {
				break
			}
			j += off
			if j == 0 || !isLetter(s[j-1]) || !isLetter(w[0]) {
				return w, true
			}
			off = j + 1
		}
	}
	return "", false
}

// evidence trims a sentence for the evidence map: at most about 200
// characters, cut at a word boundary.
func evidence(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := strings.LastIndexByte(s[:max], ' ')
	if cut < max/2 {
		cut = max
	}
	return s[:cut] + " …"
}
