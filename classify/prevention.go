package classify

// preventionFrames say a sentence is about not letting it happen again.
var preventionFrames = newPhrases(
	"to prevent", "prevent this", "prevent similar", "prevent future", "prevent recurrence",
	"prevent a recurrence", "prevent the same", "prevent it ", "prevent issues", "prevent such",
	"prevent these", "prevent a repeat", "prevention", "recur", "reoccur", "in the future", "future", "again", "going forward",
	"moving forward", "similar", "avoid", "reduce our time", "reduce the time",
	"reduce the likelihood", "reduce the chance", "reduce the impact", "reduce the blast",
	"reduce the breadth", "to detect", "next steps", "preventative", "preventive",
	"improvement actions", "follow-up", "repair items", "to mitigate against",
	"minimize the impact", "minimize impact", "to minimize", "quicker", "faster", "sooner",
	"safer", "more resilient", "resilien",
)

// stepVerbs are the acts of a step, taken or planned.
var stepVerbs = newPhrases(
	"add", "implement", "improv", "expand", "introduc", "build", "making improvements",
	"making changes", "making architectural", "updat", "tun", "streamlin", "redesign",
	"enhanc", "strengthen", "repair", "switch", "migrat", "increas", "chang", "creat",
	"deploy", "requir", "enforc", "automat", "explor", "identified improvements",
	"prioritiz", "working on", "working to", "clarif", "reduc", "disabled", "moving",
	"streamline", "audit", "train", "rewrit", "replac", "isolat",
)

// concreteSteps are what a real step names: tests, alerts, staged
// roll-outs, process changes, architecture. "Additional safeguards",
// "improvements" or "measures" alone are vague, and "monitoring" counts
// only as new alerting or monitors, not "we will continue to monitor".
var concreteSteps = newPhrases(
	"test", "alert", "alarm", "staged", "canary", "progressive", "gradual", "phased",
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
)

// notSteps are sentences that look forward but only investigate, review
// or promise in general.
var notSteps = newPhrases(
	"figure out", "evaluate", "conducting a", "investigating ways", "investigate whether",
	"reviewing this event", "determine how", "analyzing data", "analysing data",
	"will publish", "we'll publish", "post a", "postmortem will", "post-mortem will",
	"we will share", "continue to monitor", "continuing to monitor", "full postmortem",
	"a postmortem", "post mortem", "we mitigated", "mitigated the incident", "was mitigated",
	"resolved the incident",
)

// commitments promise future work ("we will", "we are adding").
var commitments = newPhrases(
	"we will ", "we'll ", "we are going to", "we plan to", "we are working to",
	"we're working to", "we are adding", "we're adding", "we have added", "we've added",
	"we are introducing", "we have introduced", "we are implementing", "will be implemented",
	"are being added", "we are investing", "we are building",
)

// strongSteps are steps so specific (tests, alerts, runbooks, drills)
// that a commitment anywhere in the message suffices as the frame: a
// postmortem's list of actions often sits under a heading.
var strongSteps = newPhrases(
	"test", "alert", "alarm", "staged", "canary", "progressive", "runbook", "playbook",
	"procedure", "training", "simulation", "exercise", "review process", "validation",
	"verification", "observability", "rollback plan", "soft delete",
)

// prevention finds a sentence naming a concrete step against recurrence.
// A step may sit in a list after a sentence with the frame ("we are
// taking the following steps: 1. … 2. …") or before one ("Both of these
// measures should eliminate future impacts"), so the frames of the
// neighbouring sentences count too.
func prevention(d *doc) (string, bool) {
	_, committed := d.has(d.lower, commitments)
	prevFrame := false
	for i, s := range d.sentences {
		_, frame := d.has(s.lower, preventionFrames)
		nextFrame := false
		if i+1 < len(d.sentences) {
			_, nextFrame = d.has(d.sentences[i+1].lower, preventionFrames)
		}
		if (frame || prevFrame || nextFrame) && step(d, s.lower) {
			return evidence(s.orig), true
		}
		if committed && step(d, s.lower) {
			if _, ok := d.has(s.lower, strongSteps); ok {
				return evidence(s.orig), true
			}
		}
		prevFrame = frame
	}
	return "", false
}

func step(d *doc, s string) bool {
	if _, ok := d.has(s, notSteps); ok {
		return false
	}
	if _, ok := d.has(s, concreteSteps); !ok {
		return false
	}
	_, ok := d.has(s, stepVerbs)
	return ok
}
