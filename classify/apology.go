package classify

import "strings"

// apologyCues start an apology ("we apologize", "our apologies", "we're
// sorry", "we regret").
var apologyCues = newPhrases("apologi", "apology", "sorry", "regret", "appologi", "apolog")

// apologyNotForOutage are the objects of an apology that is not for the
// outage: for a late or missing post, a mislabelled component, noise,
// confusion, or someone's feelings ("sorry you feel this way").
var apologyNotForOutage = newPhrases(
	"delayed post", "late post", "delay in post", "delay posting", "delayed update",
	"late update", "delay in updat", "delay in communicat", "delayed communicat",
	"delay in acknowledg", "delayed status", "late status", "status page update",
	"lack of update", "not updating", "not posting", "reduced communication",
	"lack of communication", "poor communication", "the communication", "our communication",
	"not being able to provide an eta", "not providing an eta", "silence", "radio silence",
	"mislabel", "incorrect component", "wrong component", "confusion", "noise",
	"duplicate", "you feel", "feel this way", "feel that way", "to hear",
)

// errorPageAfterSorry follow "sorry," in the canned text of an error page
// that a message quotes ("Sorry, the service is unavailable").
var errorPageAfterSorry = []string{
	"the service", "this service", "something went wrong", "something's wrong",
	"an error", "the page", "this page", "we couldn't", "we could not",
	"we can't", "we cannot", "there was a problem", "there was an error", "unable",
	"you do not have", "the server",
}

// apology finds a sentence that apologises for the outage or its impact.
func apology(d *doc) (string, bool) {
	if _, ok := d.has(d.lower, apologyCues); !ok {
		return "", false
	}
	for _, s := range d.sentences {
		for k, cue := range apologyCues.words {
			if !d.hit(apologyCues.ids[k]) {
				continue
			}
			i := strings.Index(s.lower, cue)
			if i < 0 {
				continue
			}
			if apologyFor(d, s.lower, i, cue) {
				return evidence(s.orig), true
			}
		}
	}
	return "", false
}

// apologyFor decides whether the cue at i in sentence s is an apology
// for the outage.
func apologyFor(d *doc, s string, i int, cue string) bool {
	rest := s[i+len(cue):]
	switch cue {
	case "regret":
		// "we regret to inform you" announces; "we regret the disruption" apologises.
		if strings.HasPrefix(strings.TrimLeft(rest, "s "), "to inform") {
			return false
		}
	case "sorry":
		// "Sorry, the service is unavailable" is an error page, quoted.
		if after, ok := strings.CutPrefix(rest, ","); ok {
			after = strings.TrimSpace(after)
			for _, p := range errorPageAfterSorry {
				if strings.HasPrefix(after, p) {
					return false
				}
			}
		}
	}
	// Inside quotation marks the words are someone else's (an error page,
	// a customer): an odd number of quotes before the cue means inside.
	if strings.Count(s[:i], "\"")%2 == 1 {
		return false
	}
	// What the apology is for: the rest of the sentence.
	if _, notOutage := d.has(rest, apologyNotForOutage); notOutage {
		return false
	}
	return true
}
