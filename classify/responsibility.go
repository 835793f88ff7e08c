package classify

import "strings"

// ownership are the phrases by which a company owns a failure as its own.
// Describing a cause impersonally ("a change caused") or blaming a
// provider is not among them.
var ownership = newPhrases(
	"our mistake", "my mistake", "our fault", "my fault", "our error.", "our own error",
	"we made a mistake", "we made an error", "we made mistakes",
	"let you down", "let our customers down", "let our users down", "letting you down",
	"letting those customers down", "letting our customers down", "letting customers down",
	"take full responsibility", "take responsibility", "accept full responsibility",
	"accept responsibility", "taking full responsibility", "we own this", "we take ownership",
	"buck stops with us", "never should have happened", "should never have happened",
	"we should have", "failed to run", "our failure", "this is on us",
	"it's on us", "dropped the ball", "we screwed up", "we messed up", "our oversight",
	"an oversight in how we", "the major failing", "we were wrong",
	"immediate cause was operator error", "human error on our part",
	"we accidentally", "we mistakenly", "we inadvertently", "we broke",
	"operation the team performed",
	"we did not uphold", "we didn't uphold", "we did not live up", "we didn't live up",
	"we fell short", "should have been caught", "we did not catch", "we didn't catch",
	"we failed to catch", "should have caught", "by accident we", "by accident, we",

	"self-inflicted", "our own doing", "our bad", "that's on me", "this is on me",
	"this was on me", "we blew it", "we goofed",
)

// responsibility finds a sentence in which the company owns the failure.
func responsibility(d *doc) (string, bool) {
	for i, s := range d.sentences {
		if _, denied := d.has(s.lower, denials); denied {
			continue
		}
		if p, ok := d.hasWord(s.lower, ownership); ok {
			// "not our fault", "no fault of ours" deny it.
			if i := strings.Index(s.lower, p); i >= 4 && strings.HasSuffix(s.lower[:i], "not ") {
				continue
			}
			return evidence(s.orig), true
		}
		if ownChange(d, s.lower) {
			return evidence(s.orig), true
		}
		if i+1 < len(d.sentences) && ownActThen(d, s.lower, d.sentences[i+1].lower) {
			return evidence(s.orig), true
		}
		if ownSentence(d, i) {
			if i+1 < len(d.sentences) && !ownSentenceAlone(d, i) {
				// The harm is told by the next sentence: show both.
				return evidence(s.orig) + " " + evidence(d.sentences[i+1].orig), true
			}
			return evidence(s.orig), true
		}
		if k, ok := ownActLater(d, i); ok {
			// The act and the sentence that tells its harm.
			return evidence(s.orig) + " … " + evidence(d.sentences[k].orig), true
		}
	}
	return "", false
}

// backReferences open a sentence about the act just told ("We ran a
// long job on the shared queue. This job blocked …").
var backReferences = []string{"this ", "that ", "these ", "the change", "the deploy", "the release", "the job", "the migration", "the upgrade", "the update"}

// ownActThen reports an act of the company in one sentence whose harm
// the next sentence tells, referring back to it.
func ownActThen(d *doc, s, next string) bool {
	p, ok := d.has(s, firstPersonChange)
	if !ok {
		return false
	}
	rest := strings.TrimSpace(s[strings.Index(s, p)+len(p):])
	for _, f := range fixObjects {
		if strings.HasPrefix(rest, f) {
			return false
		}
	}
	if !hasPrefixAny(next, backReferences) {
		return false
	}
	_, ok = d.has(next, causalMarkers)
	return ok
}

// firstPersonChange are "we" followed by an act that changes production.
var firstPersonChange = newPhrases(
	"we made a change", "we made a configuration change", "we made a code change",
	"we deployed", "we pushed", "we shipped", "we rolled out", "we released",
	"we began a software deployment", "we began a deployment", "we began rolling out",
	"we introduced", "we applied", "we ran a", "we executed", "we changed", "we updated",
	"we upgraded", "we migrated",
)

// causalMarkers say that the act broke something ("error" alone does
// not: "we upgraded systems for more robust error handling").
var causalMarkers = newPhrases(
	"caus", "inadvertent", "unintend", "bug", "broke", "prevented", "serving errors",
	"errors for", "to fail", "failures", "unexpected", "outage", "disrupt", "overwhelm",
	"overload", "resulted in", "led to", "lead to", "blocked",
)

// fixObjects follow "we deployed" when what was deployed is the remedy.
var fixObjects = []string{"a fix", "the fix", "fixes", "a patch", "a mitigation", "several changes to", "changes to address", "a change to address", "a rollback"}

// ownChange reports a sentence where a change the company made caused the
// failure: "we made a change which inadvertently prevented …", "we
// deployed a database change, which caused …".
func ownChange(d *doc, s string) bool {
	p, ok := d.has(s, firstPersonChange)
	if !ok {
		return false
	}
	rest := s[strings.Index(s, p)+len(p):]
	for _, f := range fixObjects {
		if strings.HasPrefix(strings.TrimSpace(rest), f) {
			return false
		}
	}
	if _, ok = d.has(rest, causalMarkers); ok && !strings.Contains(rest, "caused by") && !strings.Contains(rest, "triggered by") {
		return true
	}
	// "… was caused by a release where we introduced the change": the
	// cause is named before the act.
	_, ok = d.has(s[:strings.Index(s, p)], causedBy)
	return ok
}

// causedBy name what follows as the cause.
var causedBy = newPhrases("caused by", "triggered by", "due to", "result of")

// ownChangeCause gives the sentence of ownChange as root-cause evidence:
// the change is the concrete cause.
func ownChangeCause(d *doc) (string, bool) {
	for i, s := range d.sentences {
		if ownChange(d, s.lower) && !tentative(d, s.lower) {
			return evidence(s.orig), true
		}
		if i+1 < len(d.sentences) && ownActThen(d, s.lower, d.sentences[i+1].lower) && !tentative(d, d.sentences[i+1].lower) {
			return evidence(s.orig + " " + d.sentences[i+1].orig), true
		}
		if tentative(d, s.lower) {
			continue
		}
		if _, denied := d.has(s.lower, denials); denied {
			continue
		}
		next, nextWs := "", []string(nil)
		if i+1 < len(d.sentences) {
			next, nextWs = d.sentences[i+1].lower, d.words(i+1)
		}
		if ownActHarm(d, d.words(i), next, nextWs, false, d.joined(i)) || ownMistakeAct(d.words(i)) {
			return evidence(s.orig), true
		}
	}
	return "", false
}

// ownActLater reports an act of the company in sentence i whose harm a
// later sentence (within five) tells, naming the act's object again:
// "we initiated a manual query against one of the sharded databases. …
// This query caused the free memory of the cluster to drop."
func ownActLater(d *doc, i int) (int, bool) {
	ws := d.words(i)
	_, verb, _, ok := ownAct(ws)
	if !ok {
		return 0, false
	}
	obj := objectWords(ws, verb)
	if len(obj) == 0 {
		return 0, false
	}
	for k := i + 1; k < len(d.sentences) && k <= i+5; k++ {
		next := d.words(k)
		if refersBack(next, obj) && harmIn(next) {
			return k, true
		}
	}
	return 0, false
}

// ownMistakeAct reports an act the company did by mistake ("I
// accidentally deleted one of our main load balancers"): a concrete
// cause.
func ownMistakeAct(ws []string) bool {
	_, v, mistake, ok := ownAct(ws)
	if !ok {
		return false
	}
	if mistake {
		return true
	}
	for k := v + 1; k < len(ws); k++ {
		if purposeAt(ws, k) {
			return false
		}
		if mistakeAt(ws, k) {
			return true // "we supplied ~0.0.1 instead of 0.0.1"
		}
	}
	return false
}

// ownSentenceAlone reports whether sentence i owns the failure without
// the next sentence's help.
func ownSentenceAlone(d *doc, i int) bool {
	ws := d.words(i)
	return ownStatement(ws) || ownActHarm(d, ws, "", nil, true, false)
}
