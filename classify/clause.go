package classify

// A small reading of clause structure on top of the phrase lists: a
// sentence is cut into words, and the rules of ownership and prevention
// look for a subject, the tense or modality of its verb and the class of
// the verb's object ("we | deployed | a change … which caused",
// "we | will add | alerting on …"), rather than for whole phrases.

// words cuts a normalised sentence into words: runs of letters, digits,
// apostrophes and inner hyphens. A comma, colon or parenthesis is kept as
// a word of its own ("," ":" "("), since it bounds a clause.
func words(s string) []string {
	out := make([]string, 0, len(s)/5+1)
	start := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa2 || s[i+2] == 0x93 || s[i+2] == 0x94) {
			// a bullet or a dash ("•", "–", "—") separates words
			if start >= 0 {
				out = appendWord(out, trimWord(s[start:i]))
				start = -1
			}
			i += 2
			continue
		}
		inWord := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '\'' ||
			c == '-' && start >= 0 || c >= 0x80
		if inWord {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = appendWord(out, trimWord(s[start:i]))
			start = -1
		}
		switch c {
		case ',', ':', '(', ')':
			out = append(out, s[i:i+1])
		}
	}
	if start >= 0 {
		out = appendWord(out, trimWord(s[start:]))
	}
	return out
}

// contractions are split from their word: "we'll" → "we" "'ll",
// "didn't" → "did" "n't".
var contractions = []string{"n't", "'ll", "'ve", "'re", "'m", "'d", "'s"}

func appendWord(out []string, w string) []string {
	for _, c := range contractions {
		if len(w) > len(c) && w[len(w)-len(c):] == c {
			stem := w[:len(w)-len(c)]
			switch stem {
			case "ca": // "can't"
				stem = "can"
			case "wo": // "won't"
				stem = "will"
			}
			return append(out, stem, c)
		}
	}
	return append(out, w)
}

// trimWord drops quotes and hyphens around a word ("'our" → "our").
func trimWord(w string) string {
	for len(w) > 1 && (w[0] == '\'' || w[0] == '-') {
		w = w[1:]
	}
	for len(w) > 1 && (w[len(w)-1] == '\'' || w[len(w)-1] == '-') {
		w = w[:len(w)-1]
	}
	return w
}

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// isPunct reports a clause boundary word.
func isPunct(w string) bool { return w == "," || w == ":" || w == "(" || w == ")" }
