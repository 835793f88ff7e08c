package classify

// automaton is an Aho–Corasick automaton over the rules' phrases, built
// once, read-only afterwards (so safe for concurrent use). One pass over
// a text finds every dictionary word in it, overlapping ones included.
//
// It is written here rather than taken from a library because the
// library at hand (github.com/cloudflare/ahocorasick) keeps two
// 256-pointer arrays per trie node: about 22 MiB for this dictionary.
// Here bytes are first mapped to the few classes the dictionary uses, and
// the transitions form one dense table of int32: well under 1 MiB.
type automaton struct {
	class    [256]uint8 // byte → class; 0 = a byte no word contains
	nclass   int
	next     []int32 // next[state*nclass+class] = state, a complete DFA
	outStart []int32 // words ending at state s: out[outStart[s]:outStart[s+1]]
	out      []int32
}

func newAutomaton(words []string) *automaton {
	a := &automaton{nclass: 1}
	for _, w := range words {
		for i := 0; i < len(w); i++ {
			if a.class[w[i]] == 0 {
				a.class[w[i]] = uint8(a.nclass)
				a.nclass++
			}
		}
	}
	// The trie: -1 is "no edge yet".
	nc := a.nclass
	a.next = make([]int32, nc)
	for i := range a.next {
		a.next[i] = -1
	}
	outs := [][]int32{nil}
	for id, w := range words {
		s := int32(0)
		for i := 0; i < len(w); i++ {
			c := int(a.class[w[i]])
			if a.next[int(s)*nc+c] < 0 {
				a.next[int(s)*nc+c] = int32(len(outs))
				outs = append(outs, nil)
				for k := 0; k < nc; k++ {
					a.next = append(a.next, -1)
				}
			}
			s = a.next[int(s)*nc+c]
		}
		outs[s] = append(outs[s], int32(id))
	}
	// Breadth first: failure links, inherited outputs, missing edges
	// filled from the failure state (which is shallower, so done).
	fail := make([]int32, len(outs))
	queue := make([]int32, 0, len(outs))
	for c := 0; c < nc; c++ {
		if t := a.next[c]; t < 0 {
			a.next[c] = 0
		} else {
			queue = append(queue, t) // fail[t] = 0
		}
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for c := 0; c < nc; c++ {
			t := a.next[int(s)*nc+c]
			f := a.next[int(fail[s])*nc+c]
			if t < 0 {
				a.next[int(s)*nc+c] = f
				continue
			}
			fail[t] = f
			outs[t] = append(outs[t], outs[f]...)
			queue = append(queue, t)
		}
	}
	a.outStart = make([]int32, len(outs)+1)
	for s, o := range outs {
		a.out = append(a.out, o...)
		a.outStart[s+1] = int32(len(a.out))
	}
	return a
}

// match calls found for every dictionary word occurring in text (once
// per occurrence).
func (a *automaton) match(text string, found func(id int32)) {
	s := 0
	nc := a.nclass
	for i := 0; i < len(text); i++ {
		c := int(a.class[text[i]])
		if c == 0 {
			s = 0
			continue
		}
		s = int(a.next[s*nc+c])
		for _, id := range a.out[a.outStart[s]:a.outStart[s+1]] {
			found(id)
		}
	}
}
