package classify

import "strings"

// preventionFrames say a sentence is about not letting it happen again.
var preventionFrames = newPhrases(
	"to prevent", "prevent this", "prevent similar", "prevent future", "prevent recurrence",
	"prevent a recurrence", "prevent the same", "prevent it ", "prevent issues", "prevent such",
	"prevent these", "prevent a repeat", "prevention", "recur", "reoccur", "in the future", "future", "going forward",
	"moving forward", "similar", "avoid", "reduce our time", "reduce the time",
	"reduce the likelihood", "reduce the chance", "reduce the impact", "reduce the blast",
	"reduce the breadth", "to detect", "next steps", "preventative", "preventive",
	"improvement actions", "follow-up", "repair items", "to mitigate against",
	"minimize the impact", "minimize impact", "to minimize", "quicker", "faster", "sooner",
	"safer", "more resilient", "resilien", "class of", "action items", "remediation items",
	"remediation steps", "remediations", "remediation:", "corrective action",
	"no longer take", "can no longer", "will no longer", "doing differently",
	"what we're changing", "what we are changing", "permanently", "permanent solution",
	"long-term", "long term", "longer-term", "longer term", "from now on", "the scenario",
	"what we learned", "lessons learned", "learnings", "takeaways", "what we are doing",
	"what have we learned", "what we've learned", "what we have learned", "lessons we learned",
	"thing of the past", "happens again", "happen again", "starting today", "from today",
	"as of today", "effective immediately",
	"improvements:", "follow-ups", "follow ups", "followups", "remediations",
	"what we're doing", "what's next", "next time", "improvements we", "changes we are making",
	"changes we're making", "changes we will make", "changes we've made", "steps we are taking",
	"steps we're taking", "actions we are taking", "actions we're taking", "actions we will take",
	"after this incident", "since this incident", "following this incident",
	"in response to this incident", "as a result of this incident", "after this outage",
	"since this outage", "following this outage",
)

// stepVerbs are the acts of a step, taken or planned.
var stepVerbs = newPhrases(
	"add", "implement", "improv", "expand", "introduc", "build", "making improvements",
	"making changes", "making architectural", "updat", "tun", "streamlin", "redesign",
	"enhanc", "strengthen", "repair", "switch", "migrat", "increas", "chang", "creat",
	"deploy", "requir", "enforc", "automating", "to automate", "automate the", "automate our", "explor", "identified improvements",
	"prioritiz", "working on", "working to", "clarif", "reduc", "disabled", "moving",
	"streamline", "audit", "train", "rewrit", "replac", "isolat",
	"tighten", "harden", "adjust", "correcting", "remov", "reconfigur", "split", "separat",
	"dedicat",
)

// concreteSteps are what a real step names: tests, alerts, staged
// roll-outs, process changes, architecture. "Additional safeguards",
// "improvements" or "measures" alone are vague, and "monitoring" counts
// only as new alerting or monitors, not "we will continue to monitor".
var concreteSteps = newPhrases(
	"tests", "testing", " test", "-test", "alert", "alarm", "staged", "canary", "progressive", "gradual", "phased",
	"rollout process", "runbook", "playbook", "validation", "verification", "health check",
	"rate limit", "capacity", "failover", "isolation", "replication", "redundan",
	"feature flag", "release process", "deployment process", "deployment practices",
	"deploy process", "deployment pipeline", "ci/cd", "cd pipeline", "rollback mechanism",
	"architect", "dashboard", "qa ", "procedure", "training", "regional redirection",
	"multiple regions", "multi-region", "gracefully degrade", "degraded state",
	"dependencies", "monitors", "misconfigured monitor", "rerouting process",
	"backup", "review process", "approval", "checks to", "more checks", "validation checks",
	"login flow", "planning around", "processes to minimize", "workflows between",
	"switch to backup", "safety nets", "monitoring and alerting", "monitoring and deployment",
	"additional monitoring", "better monitoring", "improved monitoring", "monitoring threshold",
	"not to deploy", "operations & recovery", "detection processes", "mechanisms and automation",
	"communication processes", "automated testing", "deployment safety", "observability",
	"fallback", "automatically", "process for deploying", "deploying changes",
	"change management", "guardrail",
	"improve our monitoring", "improving our monitoring", "improve monitoring",
	"improving monitoring", "strengthening monitoring", "strengthen monitoring",
	"monitoring for this", "monitoring for the", "automated detection", "rate-limit",
	"autoscal", "auto-scal", "retry limit", "backoff", "circuit breaker", "load shedding",
	"redundancy", "gameday", "game day", "drill", "validat", "automated check", "lint",
	"pre-deploy", "pre-merge", "add monitoring", "adding monitoring",
	"added monitoring", "ability to manually", "manual step", "manual process", "manual operation",
	"scripts on production", "production access", "upgrade to", "bandwidth", "hardware upgrade",
	"peer review", "kill switch", "region first", "failure mode",
	"updating our monitoring", "update our monitoring", "increase our monitoring", "increasing our monitoring",
	"increased our monitoring", "to a more resilient", "to a more robust", "to a more reliable",
	"single point of failure", "multi-provider", "second provider", "secondary provider",
	"additional provider", "second replica", "second database replica", "additional replica", "more replicas", "hot standby", "staging", "add timeouts", "adding timeouts",
	"automated renewal", "automatic renewal", "renewal automation", "automated certificate",
	"policy", "policies",
)

// notSteps are sentences that look forward but only investigate, review
// or promise in general.
var notSteps = newPhrases(
	"figure out", "evaluate", "conducting a", "investigating ways", "investigate whether",
	"reviewing this event", "determine how", "analyzing data", "analysing data",
	"will publish", "we'll publish", "post a", "postmortem will", "post-mortem will",
	"we will share", "continue to monitor", "continuing to monitor", "full postmortem",
	// a postmortem promised, not "a postmortem checklist"
	"a postmortem.", "a postmortem,", "a postmortem within", "a postmortem once", "a postmortem when",
	"a postmortem in", "a postmortem for", "a postmortem to", "a postmortem with", "a postmortem on",
	"a postmortem after", "a postmortem as", "a postmortem and", "a postmortem that", "a postmortem report",
	"a postmortem document", "a postmortem here", "a postmortem soon", "a postmortem shortly", "post mortem", "we mitigated", "mitigated the incident", "was mitigated",
	"resolved the incident", "testing a fix", "testing the fix", "testing a potential fix",
	"testing a patch", "test the fix", "on the fix", "of the fix", "the fix before", "on the patch", "tested a fix", "tested the fix", "being tested",
	"once testing", "testing our fix", "validating the fix", "validate the fix",
	"validated the fix", "validating a fix", "validated a fix", "update this page",
	"update the status", "provide an update", "provide updates", "post an update", "update you",
	"update once", "update when", "update shortly",
	// Trying out candidate solutions is not yet a step, and the fix of
	// the incident going through testing is the fix, not a step.
	"testing various", "testing different", "various solutions", "possible solutions",
	"potential solutions", "this fix", "the fix is", "going through testing",
	// Rolling back stops the incident; it does not prevent the next.
	"rolling back", "roll back", "rolled back", "prevent further", "further impact",
	// Short-term measures while the cause is remedied are the fix.
	"short-term remediation", "short term remediation", "temporary mitigation",
	"temporary measure", "interim measure",
	// Reviews and audits study; they are not yet steps.
	"internal audit", "an audit of", "a review of", "reviewing our", "are reviewing",
	"will review", "will be reviewing", "we're reviewing", "the near future",
	// Looking for ways is not yet a step ("we will look into ways to
	// improve our alerting").
	"look into ways", "looking into ways", "look at ways", "looking at ways", "explore ways",
	"exploring ways", "investigate ways", "consider ways", "considering ways", "evaluating ways",
	"look for ways", "looking for ways",
	"we'll share", "will share more", "share more about",
)

// commitments promise future work ("we will", "we are adding").
var commitments = newPhrases(
	"we will ", "we'll ", "we are going to", "we plan to", "we are working to",
	"we're working to", "we are adding", "we're adding", "we have added", "we've added",
	"we are introducing", "we have introduced", "we are implementing", "will be implemented",
	"are being added", "we are investing", "we are building", "we have since", "we've since",
	"we have tightened", "we've tightened", "we have put in place", "we've put in place",
	"we are improving", "we're improving", "is adding", "are also adding", "we are changing",
	"we're changing", "we have updated our", "we've updated our", "we have made", "we've made",
	"we recently", "we have expanded", "we've expanded", "is implementing", "are implementing",
	"will now ", "we are also adding", "we're also adding", "we are moving", "we're moving",
	"we are migrating", "we're migrating", "we are switching", "we're switching",
	"we have moved", "we've moved", "we have changed", "we've changed", "we have implemented",
	"we've implemented", "we are separating", "we are splitting",
)

// strongSteps are steps so specific (tests, alerts, runbooks, drills)
// that a commitment anywhere in the message suffices as the frame: a
// postmortem's list of actions often sits under a heading.
var strongSteps = newPhrases(
	"tests", "testing", " test", "-test", "alert", "alarm", "staged", "canary", "progressive", "runbook", "playbook",
	"procedure", "training", "simulation", "exercise", "review process", "validation",
	"verification", "observability", "rollback plan", "soft delete", "validat", "drill",
	"automated check", "changing our process", "change our process", "changed our process",
	"changes to our process", "updated our process", "updating our process", "test coverage",
	"synthetic test", "re-architect", "lint", "peer review", "circuit breaker", "region first",
	"failure mode",
)

// prevention finds a sentence naming a concrete step against recurrence.
// A step may sit in a list after a sentence with the frame ("we are
// taking the following steps: 1. … 2. …") or before one ("Both of these
// measures should eliminate future impacts"), so the frames of the
// neighbouring sentences count too.
//
// A frame that opens a list ("our follow-up actions include:") holds for
// every item of the list, not only the first.
func prevention(d *doc) (string, bool) {
	_, committed := d.has(d.lower, commitments)
	prevFrame, listFrame, afterNumber, underHeading := false, false, false, false
	for i, s := range d.sentences {
		frame := isFrame(d, s.lower)
		if underHeading && sectionEnd(s.lower) {
			underHeading = false
		}
		item := listItem(s.lower) || afterNumber || underHeading
		afterNumber = isNumber(s.lower)
		if !item {
			listFrame = false
		}
		if h, ok := inlineHeading(s.lower); ok {
			// "Remediation Items Enhancement of automated tests to
			// cover …": a heading run into its first item, whose other
			// items follow as sentences.
			tail := words(s.lower[h:])
			if len(tail) > 0 && structuredStep(d, s.lower[h:], tail, true, true, true) {
				return evidence(s.orig), true
			}
			underHeading, listFrame = true, true
		}
		if listFrame && item && ownPast(d.words(i), item) && !timelineEntry(s.lower) && !hasClock(s.lower) && !has(d, s.lower, notSteps) {
			// "following actions have been taken: 1. Immediately we
			// blocked an ability to remove services during
			// deployments": a past act of ours listed as a step.
			if v, _, _, ok := stepClause(d.words(i), item); ok && stepObject(d, d.words(i), v, false) >= 1 && !vagueObject(d.words(i), v) {
				return evidence(s.orig), true
			}
		}
		nextFrame := false
		if i+1 < len(d.sentences) {
			nextFrame = isFrame(d, d.sentences[i+1].lower)
		}
		ws := d.words(i)
		if (frame || prevFrame || nextFrame || listFrame) && step(d, s.lower) && (item || listFrame || told(ws, item)) &&
			(listFrame || strictFrame(d, i) || has(d, s.lower, guardObjects) || !mitigationPurpose(d, s.lower)) {
			return evidence(s.orig), true
		}
		if frame && committedAct(d, s.lower) && (strictFrame(d, i) || !mitigationPurpose(d, s.lower)) {
			return evidence(s.orig), true
		}
		if structuredStep(d, s.lower, ws, item, frame || prevFrame || nextFrame || listFrame,
			listFrame || strictFrame(d, i)) {
			return evidence(s.orig), true
		}
		if listFrame && item && guardItem(d, s.lower) {
			// "Improvements: • Automated failover for the primary
			// database • Better alerting on replication lag": items
			// named by a guard alone.
			return evidence(s.orig), true
		}
		if behaviourRule(d, s.lower, ws) || modalGuard(d, s.lower, ws) {
			// "The deploy tool now refuses to push to more than one
			// region at a time", "engineers must now get sign-off from a
			// second reviewer".
			return evidence(s.orig), true
		}
		if policyRule(ws) && strictFrame(d, i) {
			// "Going forward, deployments will only happen during
			// business hours."
			return evidence(s.orig), true
		}
		if committed && step(d, s.lower) && (item || listFrame || told(ws, item) || ownPast(ws, item)) {
			if _, ok := d.has(s.lower, strongSteps); ok {
				return evidence(s.orig), true
			}
		}
		if frame && (opensList(s.lower) || heading(s.lower) || strings.HasSuffix(s.lower, "?")) {
			// "What are we doing to prevent this? • …" opens a list too.
			listFrame = true
		}
		prevFrame = frame
	}
	return "", false
}

// againGuards make "again" about recurrence: something is not to happen
// again ("so this cannot happen again", "before it fills up again"),
// rather than the incident's own narration ("latency rose again").
var againGuards = newPhrases("again", "not ", "n't", "cannot", "never", "before", "no ")

// isFrame reports whether a sentence is about not letting it happen
// again.
func isFrame(d *doc, s string) bool {
	if _, ok := d.has(s, preventionFrames); ok {
		return true
	}
	if !strings.Contains(s, "again") {
		return false
	}
	for _, id := range againGuards.ids[1:] {
		if d.hit(id) && strings.Contains(s, dictionary[id]) {
			return true
		}
	}
	return false
}

// opensList reports whether a sentence introduces a list: it ends with a
// colon, or the colon is followed by the first item ("include: - …").
func opensList(s string) bool {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return false
	}
	rest := strings.TrimSpace(s[i+1:])
	return rest == "" || listItem(rest)
}

// isNumber reports whether a sentence is only a list number ("1."),
// which the splitter cuts from its item.
func isNumber(s string) bool {
	if j := strings.LastIndexByte(s, ':'); j >= 0 && j+1 < len(s) {
		// "Remediation: 1.", "… the following actions have been
		// taken: 1." (a label, then the first item's number)
		if r := strings.TrimSpace(s[j+1:]); r != "" && isNumber(r) {
			return true
		}
	}
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n > 0 && n <= 3 && n+1 == len(s) && (s[n] == '.' || s[n] == ')')
}

// listItem reports whether a sentence is an item of a list: it starts
// with a bullet or a number ("- ", "• ", "* ", "1.", "2)"), or is the
// bare number that the sentence splitter cut from one ("1.").
func listItem(s string) bool {
	switch {
	case s == "":
		return false
	case strings.HasPrefix(s, "- "), strings.HasPrefix(s, "* "),
		strings.HasPrefix(s, "\u2022"), strings.HasPrefix(s, "\u2013 "):
		return true
	}
	n := 0
	for n < len(s) && n < 3 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n > 0 && n < len(s) && (s[n] == '.' || s[n] == ')')
}

// vagueActs are the objects of a commitment that name no step: more
// safeguards, measures or improvements, reviews and investigations,
// lessons, resilience in general, the fix, or better communication.
var vagueActs = newPhrases(
	"safeguard", "measures", "steps", "improvements", "resilien", "reliab", "robust",
	"review", "evaluat", "investigat", "explor", "look into", "looking into", "looking at",
	"lessons", "learn", "time to detect", "time to mitigat", "continue", "fix",
	"work closely", "working closely", "work with", "working with", "everything",
	"best to", "committed", "understand", "root cause", "communicat", "keep you",
	"stability", "stable", "quality", "experience", "availability", "performance",
	"implementing changes", "implement changes", "making changes", "make changes",
	"some changes", "several changes", "necessary changes", "changes to",
)

// committedAct is a sentence that frames itself against recurrence and
// commits to an act ("to prevent this from happening again, we will move
// schema changes behind a second approval") whose object is not vague.
// The act need not be in the concrete list: the frame and the commitment
// in one sentence carry it, and vagueActs keep out the promises in
// general.
func committedAct(d *doc, s string) bool {
	if timelineEntry(s) || hasClock(s) {
		return false
	}
	if _, ok := d.has(s, commitments); !ok {
		return false
	}
	if _, ok := d.has(s, notSteps); ok {
		return false
	}
	if _, ok := d.hasWord(s, vagueActs); ok {
		return false
	}
	return stepVerbIn(d, s)
}

// stepVerbIn reports a step verb in s, not counting "working on/to"
// (which say only that work goes on: "working to prevent additional
// incidents") nor the "moving" of "moving forward".
func stepVerbIn(d *doc, s string) bool {
	if strings.Contains(s, "working on") || strings.Contains(s, "working to") || strings.Contains(s, "moving forward") || strings.Contains(s, "additional") || strings.Contains(s, "address") {
		// "add" is not found in "additional" nor "address".
		s = strings.NewReplacer("working on", "", "working to", "", "moving forward", "", "additional", "", "address", "").Replace(s)
	}
	_, ok := d.hasWord(s, stepVerbs)
	return ok
}

func step(d *doc, s string) bool {
	if timelineEntry(s) || hasClock(s) {
		return false
	}
	if _, ok := d.has(s, notSteps); ok {
		return false
	}
	if _, ok := d.hasWord(s, concreteSteps); !ok {
		return false
	}
	return stepVerbIn(d, s)
}

// timelineEntry reports whether a sentence is an entry of the incident's
// timeline ("at 12:19 pm utc, our team was alarmed …", "2018-10-22 17:34
// utc: we deploy …", "14:02 - errors begin"): it narrates what was done
// during the incident, so it is no step against the next one.
func timelineEntry(s string) bool {
	s = strings.TrimLeft(s, "-*\u2022\u2013 ")
	s = strings.TrimPrefix(s, "at ")
	s = strings.TrimPrefix(s, "around ")
	s = strings.TrimPrefix(s, "approximately ")
	n := 0
	for n < len(s) && (s[n] >= '0' && s[n] <= '9' || s[n] == '-') {
		n++
	}
	if n > 4 && n < len(s) && s[n] == ' ' { // a date: "2018-10-22 17:34"
		s = s[n+1:]
		n = 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
	}
	return n >= 1 && n <= 2 && n+2 < len(s) && s[n] == ':' && s[n+1] >= '0' && s[n+1] <= '9'
}

// heading reports whether a sentence is a section heading ("Preventative
// Measures", "Next steps", "What we're doing differently"): a few words
// with no full stop, which the items after it belong to.
func heading(s string) bool {
	if strings.HasSuffix(s, ".") {
		return false
	}
	return len(strings.Fields(s)) <= 5
}

// strictFrame reports whether sentence i or a neighbour speaks of a
// recurrence itself ("in the future", "so this does not happen again").
func strictFrame(d *doc, i int) bool {
	for k := i - 1; k <= i+1; k++ {
		if k < 0 || k >= len(d.sentences) {
			continue
		}
		s := d.sentences[k].lower
		if _, ok := d.has(s, recurrenceFrames); ok {
			return true
		}
		if k == i && purposeNegated(d.words(k)) {
			return true
		}
		if strings.Contains(s, "again") {
			for _, id := range againGuards.ids[1:] {
				if d.hit(id) && strings.Contains(s, dictionary[id]) {
					return true
				}
			}
		}
	}
	return false
}

// mitigationPurposes are the purposes of the incident's own work:
// limiting its harm while it lasts.
var mitigationPurposes = newPhrases("avoid further", "further impact", "further slowdown",
	"further degradation", "further errors", "further disruption", "minimize impact",
	"minimise impact", "reduce impact", "reduce the impact on", "minimize the impact on",
	"speed up recovery", "speed recovery", "while we investigate", "while we work", "while we fix",
	"while the", "during the incident", "in the meantime", "for now", "temporarily",
	"handle the load", "handle the increased", "handle the traffic", "absorb the", "cope with the",
	"keep up with")

func mitigationPurpose(d *doc, s string) bool { return has(d, s, mitigationPurposes) }

// told reports a verb group in ws that commits to or reports a step
// (not a narration of the incident: "it was necessary to log in to do
// some configuration changes needed for testing").
func told(ws []string, item bool) bool {
	if _, level, _, ok := stepClause(ws, item); ok && level != past {
		return true
	}
	for _, w := range ws {
		if tellingWords[w] {
			return true
		}
	}
	return heading(strings.Join(ws, " "))
}

// tellingWords make a sentence a promise or a report of work since the
// incident, not its narration: future, perfect and progressive
// auxiliaries, "now", plans and needs.
var tellingWords = set("will", "'ll", "shall", "going", "plan", "plans", "planning", "working",
	"need", "needs", "must", "have", "has", "'ve", "now", "since", "are", "is", "'re", "am",
	"intend", "intends", "aim", "aims", "place")

// ownPast reports a past act of the company ("we re-architected core
// systems …"), which a message that commits elsewhere may list among
// its steps.
func ownPast(ws []string, item bool) bool {
	_, level, _, ok := stepClause(ws, item)
	return ok && level == past
}

// guardItem reports a list item that names a guard (alerting, tests,
// failover, …) and is not the fix or a review.
func guardItem(d *doc, s string) bool {
	if timelineEntry(s) || hasClock(s) {
		return false
	}
	if _, ok := d.has(s, notSteps); ok {
		return false
	}
	return hasW(d, s, guardObjects) || hasW(d, s, mechanismObjects)
}

// policyRule reports a rule the company sets itself: "will only",
// "will always", "will never", "will no longer", "now only".
func policyRule(ws []string) bool {
	for k, w := range ws {
		if w != "will" && w != "'ll" && w != "now" && w != "shall" {
			continue
		}
		m := k + 1
		if k > 0 && (ws[k-1] == "it" || ws[k-1] == "this" || ws[k-1] == "that") {
			continue // "it will only affect one datacenter": a forecast
		}
		if m < len(ws) && ws[m] == "be" && w != "now" {
			m++
		}
		if m < len(ws) {
			switch ws[m] {
			case "only", "always", "never":
				return true
			case "no":
				return m+1 < len(ws) && ws[m+1] == "longer"
			}
		}
	}
	return false
}

// purposeNegated reports a purpose clause that says the harm can no
// longer happen: "so that a single slow dependency can no longer exhaust
// the pool", "so one customer's burst cannot starve the others".
func purposeNegated(ws []string) bool {
	for k, w := range ws {
		open := w == "so" || w == "ensure" || w == "ensures" || w == "guarantee" || w == "sure" && k > 0 && ws[k-1] == "make"
		if !open {
			continue
		}
		for m := k + 1; m < len(ws) && m <= k+14; m++ {
			switch ws[m] {
			case "cannot", "never":
				return true
			case "no":
				if m+1 < len(ws) && ws[m+1] == "longer" {
					return true
				}
			case "n't", "not":
				if b := ws[m-1]; b == "can" || b == "will" || b == "won't" || b == "could" || b == "does" || b == "do" {
					return true
				}
			}
		}
	}
	return false
}

// guardBehaviours are what a mechanism does against recurrence, told in
// the present after "now" or promised after "will now" ("the deploy tool
// now refuses to push to more than one region", "the migration will now
// abort if a lock is held").
var guardBehaviours = set("require", "requires", "refuse", "refuses", "reject", "rejects", "block",
	"blocks", "check", "checks", "validate", "validates", "verify", "verifies", "wait", "waits",
	"abort", "aborts", "alert", "alerts", "page", "pages", "warn", "warns", "retry", "retries",
	"enforce", "enforces", "prevent", "prevents", "halt", "halts", "stop", "stops", "gate", "gates",
	"fail", "fails", "roll", "rolls", "pause", "pauses", "throttle", "throttles", "limit",
	"limits", "cap", "caps", "skip", "skips", "only", "always", "never", "approve", "approves", "sign", "signs",
	// a guard's reach: "the runbook now covers this scenario"
	"covers", "includes", "catches", "fires", "detects", "tracks", "watches", "notifies")

// ruleVerbs are guard behaviours that are rules in any form, unlike
// checking or waiting, which may as well be the incident's work.
var ruleVerbs = set("require", "refuse", "reject", "block", "enforce", "prevent", "gate", "abort",
	"halt", "limit", "cap", "throttle", "warn", "only", "always", "never", "approve", "sign")

// stateGuards after "is now"/"are now" make the subject a mechanism now
// established ("database failover is now automatic").
var stateGuards = set("automatic", "automated", "mandatory", "required", "enforced", "redundant",
	"gated", "alerted", "monitored", "tested", "replicated", "rate-limited", "versioned",
	"staged", "blocked", "validated", "verified", "checked", "reviewed", "audited", "encrypted",
	"restricted", "limited", "capped", "throttled", "load-tested", "backed", "canaried", "isolated")

// behaviourRule reports a mechanism's behaviour changed against
// recurrence: "X now <guard verb>", "X will now <guard verb>", "X is now
// automatic". Not a timeline entry, not the incident's own work, and not
// a harm ("the API now fails to respond", "users now see errors").
func behaviourRule(d *doc, s string, ws []string) bool {
	if timelineEntry(s) || hasClock(s) || mitigationPurpose(d, s) || strings.Contains(s, "while we") || strings.Contains(s, "until we") {
		return false
	}
	for k := 0; k+2 < len(ws) && k <= 6; k++ {
		// "Starting today, any change to the mail relay goes through a
		// staging relay first": a rule in the present whose subject is
		// every act of a kind
		if ws[k] != "any" && ws[k] != "every" && ws[k] != "each" && ws[k] != "all" || k > 0 && !isPunct(ws[k-1]) {
			continue
		}
		for m := k + 2; m < len(ws) && m <= k+9; m++ {
			if auxiliaries[ws[m]] || ws[m] == "been" || ws[m] == "being" || isPunct(ws[m]) {
				break // "(All five users have been notified.)"
			}
			if v := ws[m]; len(v) > 3 && strings.HasSuffix(v, "s") && !strings.HasSuffix(v, "ss") && m+1 < len(ws) &&
				(ws[m+1] == "through" || ws[m+1] == "via" || ws[m+1] == "with" || guardBehaviours[v]) {
				if guardBehaviours[v] && ruleVerbs[strings.TrimSuffix(v, "s")] || stepObject(d, ws, m, false) >= 2 {
					return true
				}
			}
		}
	}
	for k := 0; k+2 < len(ws); k++ {
		// "unmerged branches can no longer be deployed to production",
		// "the table cannot be dropped without a second approval": a
		// rule that an act on production is no longer possible
		m := -1
		switch {
		case ws[k] == "no" && ws[k+1] == "longer" && ws[k+2] == "be" && k > 0 && (ws[k-1] == "can" || ws[k-1] == "will" || ws[k-1] == "may"):
			m = k + 3
		case (ws[k] == "cannot" || ws[k] == "can" && ws[k+1] == "n't" || ws[k] == "must" && ws[k+1] == "not") && ws[k+1+btoi(ws[k] != "cannot")] == "be":
			m = k + 2 + btoi(ws[k] != "cannot")
		}
		if m < 0 || m >= len(ws) || k == 0 {
			continue
		}
		p := ws[m]
		if (actVerbs[p] || p == "uploaded" || p == "published" || p == "committed" || p == "promoted") && p != "rolled" && p != "used" && p != "made" && p != "started" && p != "reset" && p != "restarted" && p != "set" {
			if b := ws[k-1]; b != "you" && b != "users" && b != "customers" && b != "it" && b != "we" {
				if k < 2 || ws[k-2] != "you" && ws[k-2] != "it" && ws[k-2] != "users" && ws[k-2] != "customers" {
					return true
				}
			}
		}
	}
	for k, w := range ws {
		if w != "now" || k == 0 {
			continue
		}
		m := k + 1
		for m < len(ws) && (ws[m] == "also" || ws[m] == "automatically") {
			m++
		}
		if m >= len(ws) {
			return false
		}
		b := ws[k-1]
		if (b == "is" || b == "are") && stateGuards[ws[m]] && k >= 2 && ws[k-2] != "it" && ws[k-2] != "this" && ws[k-2] != "that" {
			return true
		}
		if (b == "is" || b == "are") && (ws[m] == "on" || ws[m] == "behind" || ws[m] == "under") && k >= 2 && ws[k-2] != "it" && ws[k-2] != "this" && ws[k-2] != "that" {
			// "domain renewals are now on auto-renew", "deploys are now
			// behind a feature flag"
			if r := " " + strings.Join(ws[m+1:], " ") + " "; hasW(d, r, guardObjects) || hasW(d, r, mechanismObjects) {
				return true
			}
		}
		v := ws[m]
		if !guardBehaviours[v] {
			switch v {
			case "ships", "comes", "runs", "goes", "passes", "uses", "carries", "gets":
				// "every schema change now ships with a tested rollback
				// script"
				if b != "it" && b != "this" && b != "that" && stepObject(d, ws, m, false) == 3 {
					return true
				}
			}
			continue
		}
		switch v {
		case "fail", "fails":
			// "jobs now fail closed", not "requests now fail"
			if m+1 >= len(ws) || ws[m+1] != "closed" && ws[m+1] != "safe" && ws[m+1] != "fast" {
				continue
			}
		case "roll", "rolls":
			// "the deploy now rolls back on its own", not "we will now
			// roll back the change"
			if v != "rolls" || m+1 >= len(ws) || ws[m+1] != "back" {
				continue
			}
		case "only", "always", "never":
			if b == "is" || b == "are" || b == "was" {
				continue // "it is now only partially available"
			}
		}
		// the subject: a thing or the company, not the incident's
		// users ("customers now see", "you now need").
		if b == "you" || b == "users" || b == "customers" || b == "they" || b == "it" || b == "clients" || b == "people" || b == "requests" {
			continue
		}
		if strings.HasSuffix(v, "s") && v != "always" {
			return true
		}
		if pluralThing(ws, k) && !strings.HasSuffix(v, "s") && v != "only" && v != "always" && v != "never" &&
			(ruleVerbs[v] || stepObject(d, ws, m, false) >= 2) {
			// "deploys to the billing service now wait for a manual
			// approval step": a plural subject takes the bare form.
			return true
		}
		// "we will now check the logs" investigates; "deploys will now
		// require two approvals" is a rule.
		if (b == "will" || b == "'ll" || b == "must" || b == "we") && ruleVerbs[v] {
			return true
		}
	}
	return false
}

// pluralThing reports a plural noun subject ending before "now" at k,
// perhaps with a prepositional phrase ("deploys to the billing service
// now …"), not the company nor the incident's users.
func pluralThing(ws []string, k int) bool {
	if k > 0 && auxiliaries[ws[k-1]] {
		return false // "our engineers will now verify …"
	}
	for j := k - 1; j >= 0 && j >= k-6; j-- {
		w := ws[j]
		if isPunct(w) || w == "we" || w == "they" || w == "you" || w == "and" || w == "that" || w == "which" {
			return false
		}
		if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us") && !strings.HasSuffix(w, "is") {
			switch w {
			case "users", "customers", "clients", "requests", "errors", "people", "pages", "calls", "sites", "merchants", "accounts":
				return false
			}
			// the subject opens the sentence or follows a preposition's
			// object: the first plural noun read from the start.
			for i := 0; i < j; i++ {
				if ws[i] == "we" || ws[i] == "you" || ws[i] == "they" || stepForms[ws[i]] != "" && ws[i] != "deploys" && ws[i] != "changes" && ws[i] != "releases" && ws[i] != "migrations" && ws[i] != "updates" && ws[i] != "tests" && ws[i] != "backups" {
					return false
				}
			}
			return true
		}
	}
	return false
}

// purposeOnly verbs state a purpose, not a mechanism ("the fix … will
// ensure that … will not cause").
var purposeOnly = set("ensure", "make", "help", "be", "prevent", "avoid", "allow", "guarantee",
	"mean", "do", "result", "lead", "fix", "resolve", "address")

// periodicWords make a commitment a practice ("weekly", "every
// quarter", "ahead of every major sale", "instead of yearly").
var periodicWords = set("daily", "nightly", "weekly", "monthly", "quarterly", "yearly", "annually",
	"regularly", "routinely", "periodically", "biweekly", "fortnightly")

func periodic(ws []string) bool {
	for k, w := range ws {
		if periodicWords[w] {
			return true
		}
		if (w == "every" || w == "each") && k+1 < len(ws) {
			switch ws[k+1] {
			case "day", "night", "week", "month", "quarter", "year", "sprint", "release", "deploy",
				"major", "time", "change", "migration":
				return true
			}
		}
	}
	return false
}

// isParticiple reports a past participle by its form.
func isParticiple(w string) bool {
	return len(w) > 4 && (strings.HasSuffix(w, "ed") || strings.HasSuffix(w, "en")) || w == "run" || w == "set" || w == "built" || w == "done" || w == "made" || w == "kept"
}

// remedyParticiples are the incident's own work in a passive promise
// ("will be fixed", "will be credited").
var remedyParticiples = set("fixed", "resolved", "credited", "refunded", "notified", "informed",
	"updated", "contacted", "released", "reprocessed", "retried", "replayed", "recovered")

// communicationVerbs after a modal promise words, not a step ("we will
// share the results of the tests").
var communicationVerbs = set("share", "publish", "post", "send", "provide", "keep", "follow", "let",
	"notify", "inform", "update", "communicate", "be", "have", "continue", "monitor", "watch",
	"observe", "look", "see", "report", "tell", "give", "contact", "reach", "do", "get", "take",
	"work", "try", "make", "need", "want", "use", "consider", "discuss", "include", "also",
	"now", "always", "only", "not", "n't", "never", "then", "first")

// modalGuard reports a commitment told with any verb whose object is a
// guard: "engineers must now get sign-off from a second reviewer",
// "every change will go through a canary stage".
func modalGuard(d *doc, s string, ws []string) bool {
	if timelineEntry(s) || hasClock(s) || has(d, s, notSteps) || mitigationPurpose(d, s) {
		return false
	}
	for k, w := range ws {
		if w != "will" && w != "'ll" && w != "must" && w != "shall" {
			continue
		}
		m := k + 1
		for m < len(ws) && (ws[m] == "now" || ws[m] == "always" || ws[m] == "also" || ws[m] == "only" || ws[m] == "first") {
			m++
		}
		if m >= len(ws) {
			return false
		}
		if ws[m] == "keep" && m+1 < len(ws) && (ws[m+1] == "a" || ws[m+1] == "an") && stepObject(d, ws, m, false) >= 2 {
			return true // "we will keep a hot spare in another availability zone"
		}
		ruled := m > k+1 // "must now", "will always", "will only", "will first"
		for _, b := range ws[:k] {
			if b == "every" || b == "all" || b == "any" || b == "each" || b == "future" {
				ruled = true // "every change will go through …"
			}
		}
		if periodic(ws[k:]) || purposeNegated(ws[k:]) {
			ruled = true // "backups will be restored to a test environment weekly", "… so billing is never starved again"
		}
		if ruled && ws[m] == "be" && m+1 < len(ws) && isParticiple(ws[m+1]) && !communicationVerbs[ws[m+1]] && !remedyParticiples[ws[m+1]] {
			// "backups will be restored to a test environment weekly to
			// verify they work": the passive's subject and what follows.
			if stepObject(d, ws, m+1, true) >= 2 {
				return true
			}
		}
		if ruled && !communicationVerbs[ws[m]] || ruled && ws[m] == "be" {
			// "Before any queue is turned off, its traffic must now be at
			// zero for 24 hours": a condition on every act of a kind
			if len(ws) > 2 && (ws[0] == "before" || ws[0] == "whenever" || ws[0] == "after") && (ws[1] == "any" || ws[1] == "every" || ws[1] == "each" || ws[2] == "any" || ws[2] == "every") {
				return true
			}
		}
		if ruled && (ws[m] == "happen" || ws[m] == "occur" || ws[m] == "take" || ws[m] == "run" || ws[m] == "be") {
			// "capacity planning will now happen monthly": the rule's
			// subject is the guard.
			subj := " " + strings.Join(ws[:k], " ") + " "
			if hasW(d, subj, guardObjects) && !has(d, subj, notSteps) {
				return true
			}
		}
		if !ruled && !has(d, d.lower, preventionFrames) {
			continue
		}
		v := ws[m]
		if purposeNegated(ws[m:]) && !communicationVerbs[v] && !continuation[v] && !vagueObject(ws, m) && !purposeOnly[v] &&
			!strings.Contains(s, "fix") && stepObject(d, ws, m, false) >= 0 {
			// "billing jobs will hold a lock so that a restart cannot run
			// them twice": the purpose says the harm can no longer happen
			return true
		}
		if ruleVerbs[v] && v != "only" && v != "always" && v != "never" && v != "limit" && k > 0 {
			// "the deploy script will refuse to run if …": a thing's
			// rule, not our act ("we will block the attacker").
			switch ws[k-1] {
			case "we", "i", "you", "they", "it", "this", "that", "which", "who", "customers", "users":
			default:
				return true
			}
		}
		short := false
		if communicationVerbs[v] || continuation[v] || stepForms[v] != "" || len(v) < 3 || isPunct(v) ||
			strings.HasPrefix(v, "re") || v == "remain" || v == "stay" {
			if !(v == "get" || v == "go" || v == "need" || v == "have") || m+1 >= len(ws) {
				continue
			}
			// "must now get sign-off", "will go through a review",
			// "will need approval", "will have to pass a check": the
			// guard must follow at once.
			short = true
		}
		if short {
			e := m + 5
			if e > len(ws) {
				e = len(ws)
			}
			c := stepObject(d, ws[:e], m, false)
			if c == 3 || c == 2 && v == "get" && purposeNegated(ws) {
				// "search will get its own cluster next quarter so
				// billing is never starved again"
				return true
			}
			continue
		}
		if stepObject(d, ws, m, false) == 3 {
			return true
		}
	}
	return false
}

// inlineHeadings name a section of steps; on a page whose markup was
// stripped the heading runs into its first item ("Remediation Items
// Enhancement of automated tests …", "Action Items Add an alert …").
var inlineHeadings = []string{"remediation items", "action items", "next steps", "follow-up actions",
	"follow up actions", "followup actions", "corrective actions", "corrective action items",
	"preventive actions", "preventative actions", "preventive measures", "preventative measures",
	"future recommendations", "planned actions", "action plan", "remediation steps",
	"remediation actions", "follow-up items", "improvement actions", "repair items",
	"what we're doing about it", "what we are doing about it", "how we're fixing it",
	"how we are fixing it", "what we're changing", "what we are changing", "future improvements",
	"what have we learned", "what we've learned", "what we have learned", "what we learned",
	"lessons learned", "lessons learnt", "takeaways"}

// inlineHeading reports a heading of steps in s and where its first
// item begins: the heading must end a sentence, a colon or be followed
// by the item's first word.
func inlineHeading(s string) (int, bool) {
	for _, h := range inlineHeadings {
		i := strings.Index(s, h)
		if i < 0 {
			continue
		}
		if i > 0 && isLetter(s[i-1]) {
			continue
		}
		e := i + len(h)
		rest := strings.TrimLeft(s[e:], " :-–—/")
		if rest == "" {
			return len(s), true
		}
		if e < len(s) && isLetter(s[e]) {
			continue
		}
		return len(s) - len(rest), true
	}
	return 0, false
}

// sectionEnd reports a sentence that opens another section (the
// resolution, the root cause, the timeline), ending a heading's items.
func sectionEnd(s string) bool {
	for _, h := range []string{"resolution", "root cause", "timeline", "summary", "impact", "background", "what happened", "customer impact"} {
		if strings.HasPrefix(s, h) {
			return true
		}
	}
	return false
}
