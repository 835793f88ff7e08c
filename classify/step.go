package classify

import "strings"

// The structure of a prevention step: a verb of building or changing
// (add, implement, tighten, move, require, …) in a tense or mood that
// makes it a commitment or a change already made since the incident
// ("we will add", "we are adding", "we have added", "alerts have been
// added", "will be deployed", "we now run", an imperative list item),
// whose object is a mechanism against recurrence (tests, alerts,
// staged roll-outs, validation, runbooks, redundancy, …). Watching the
// current incident, the fix for it, acting on what is affected, and vague
// objects ("additional safeguards", "improvements") are not steps.

// stepLemmas are the verbs of a step, in their base form; stepForms maps
// every inflected form to its base.
var stepLemmas = []string{
	"add", "implement", "introduce", "build", "create", "improve", "enhance", "strengthen",
	"harden", "tighten", "expand", "extend", "increase", "update", "upgrade", "tune", "adjust",
	"change", "modify", "replace", "migrate", "move", "switch", "separate", "isolate", "split",
	"automate", "require", "enforce", "set", "put", "roll", "establish", "document", "write",
	"audit", "schedule", "limit", "restrict", "remove", "deprecate", "redesign", "re-architect",
	"rearchitect", "refactor", "rework", "adopt", "institute", "deploy", "configure",
	"reconfigure", "install", "provision", "double", "test", "run", "conduct", "perform", "train",
	"use", "revise", "rewrite", "correct", "decouple", "distribute", "shard", "partition",
	"enable", "disable", "accelerate", "prioritize", "prioritise", "invest", "reduce",
	"lower", "raise", "cap", "throttle", "stagger", "gate", "block", "validate", "verify",
	"check", "pin", "replicate", "mirror", "segment", "rebuild", "expand", "alert", "page",
	"review", "monitor", "track", "introduce", "add", "deliver", "launch", "create", "design",
	"develop", "integrate", "tweak", "rotate", "renew", "ensure", "standardize", "standardise",
	"formalize", "formalise", "educate", "hire", "staff", "back", "extend", "fine-tune", "go",
	"transition", "connect", "integrate", "revamp", "overhaul", "sharpen", "co-locate", "colocate", "route", "reroute",
	"spread", "allocate", "expand", "diversify", "relocate", "consolidate",
	// round 9, by class rather than by message. Rehearsing and
	// exercising (guards by their meaning): rehearse, practise, drill,
	// simulate, load-test, stress-test, fuzz, canary, stage.
	"rehearse", "practise", "practice", "drill", "simulate", "exercise", "load-test",
	"stress-test", "fuzz", "canary", "stage", "benchmark",
	// Wiring a mechanism in: wire, hook, instrument, codify, template,
	// script, handle (by a tool), diff.
	"wire", "hook", "instrument", "codify", "template", "script", "handle", "diff",
	// Fencing and reserving: lock, fence, sandbox, dedicate, reserve,
	// pre-warm, over-provision, right-size, segregate, quarantine, bound,
	// clamp, ban, forbid, prohibit, disallow, mandate, allowlist.
	"lock", "fence", "sandbox", "dedicate", "reserve", "pre-warm", "prewarm", "overprovision",
	"over-provision", "right-size", "rightsize", "segregate", "quarantine", "bound", "clamp",
	"ban", "forbid", "prohibit", "disallow", "mandate", "allowlist", "whitelist", "blocklist",
	"denylist", "containerize", "containerise", "version", "batch", "serialize", "sequence",
	"assign", "designate", "appoint", "onboard", "coach", "teach", "retool", "replatform",
	"reimplement", "restructure", "reorganize", "reorganise", "swap", "substitute", "detach",
	"duplicate", "protect", "shield", "guard", "secure", "encrypt", "retire", "decommission",
	"sunset", "autoscale", "prescale", "pre-scale", "scale", "expose", "surface", "phase", "make",
	"draft", "codify", "formalize", "dry-run", "smoke-test", "canary-test",
}

var stepForms = func() map[string]string {
	m := map[string]string{}
	irregular := map[string][]string{
		"build": {"built"}, "write": {"wrote", "written"}, "run": {"ran", "running"},
		"set": {"setting"}, "put": {"putting"}, "make": {"made"}, "split": {"splitting"},
		"cap": {"capped", "capping"}, "pin": {"pinned", "pinning"}, "stop": {"stopped", "stopping"},
		"plan": {"planned", "planning"}, "shard": {"sharded", "sharding"}, "go": {"goes", "gone"},
	}
	for _, b := range stepLemmas {
		m[b] = b
		m[b+"s"] = b
		for _, f := range irregular[b] {
			m[f] = b
		}
		if n := len(b); n >= 3 && n <= 4 && !strings.ContainsAny(b[n-1:], "aeiouwxy") &&
			strings.ContainsAny(b[n-2:n-1], "aeiou") && !strings.ContainsAny(b[n-3:n-2], "aeiou") {
			// a short verb doubles its last consonant: "pinned", "gating" no,
			// "locking" no, "capped", "banned", "wired" no.
			m[b+b[n-1:]+"ed"] = b
			m[b+b[n-1:]+"ing"] = b
		}
		switch {
		case strings.HasSuffix(b, "e"):
			m[b[:len(b)-1]+"ing"] = b
			m[b+"d"] = b
		case strings.HasSuffix(b, "y") && !strings.HasSuffix(b, "ay") && !strings.HasSuffix(b, "oy"):
			m[b[:len(b)-1]+"ies"] = b
			m[b[:len(b)-1]+"ied"] = b
			m[b+"ing"] = b
		default:
			m[b+"ing"] = b
			m[b+"ed"] = b
		}
	}
	// Prefixed forms share their verb's lemma: "rewritten", "re-run",
	// "reconfigured", "pre-provisioned".
	base := make([]string, 0, len(m))
	for f := range m {
		base = append(base, f)
	}
	for _, f := range base {
		for _, pre := range []string{"re", "re-", "pre-"} {
			if _, ok := m[pre+f]; !ok {
				m[pre+f] = m[f]
			}
		}
	}
	return m
}()

// stepNominals name a step by its noun in a list item ("Enhancement
// of automated tests", "Implementation of improved smoke tests").
var stepNominals = set("enhancement", "implementation", "addition", "introduction", "creation",
	"improvement", "expansion", "automation", "adoption", "extension", "establishment",
	"development", "integration", "installation", "deployment", "rollout", "review", "update",
	"upgrade", "migration", "hardening", "tightening", "revision", "redesign", "refactoring")

// stepBeats may stand inside the verb group ("we will also be adding",
// "we have of course corrected").
var stepBeats = set("also", "now", "since", "already", "further", "additionally", "be",
	"being", "been", "actively", "currently", "then", "immediately", "soon", "quickly",
	"of", "course", "recently", "all", "both", "permanently", "significantly", "gradually",
	"proactively", "subsequently", "likewise", "similarly", "therefore", "thus", "in",
	"process", "the", "on", "to", "working", "start", "starting", "begin", "beginning", "begun",
	"started", "look", "looking", "continuing", "systematically", "fully", "carefully",
	"urgently", "progressively", "not", "only", "more", "better", "just", "newly", "either")

// stepModals open a verb group that commits to or reports a step. Their
// value says whether the group is the future or a made change (true), or
// a present progressive, which may as well be the incident's own work
// (false).
var stepModals = map[string]bool{
	"will": true, "'ll": true, "shall": true, "going": true, "plan": true, "plans": true,
	"planning": true, "intend": true, "intends": true, "aim": true, "aims": true, "need": true,
	"needs": true, "must": true, "should": true, "have": true, "'ve": true, "has": true,
	"working": true, "committed": true, "commit": true, "decided": true, "process": true,
	"are": false, "'re": false, "is": false, "am": false, "now": true, "since": true,
}

// continuation verbs before the step make it ongoing work in general
// ("we will continue to implement new ways …"), not a step.
var continuation = set("continue", "continuing", "continues", "keep", "keeps", "try", "trying",
	"hope", "hoping", "want", "wants", "consider", "considering", "explore", "exploring", "evaluate",
	"evaluating", "investigate", "investigating", "review", "reviewing", "assess", "assessing",
	"determine", "decide", "see", "learn", "understand", "figure", "identify", "look")

// putIn reports "put … in place" ("putting better detection in place").
func putIn(ws []string, v int) bool {
	for k := v + 1; k < len(ws) && k <= v+6; k++ {
		if ws[k] == "in" || ws[k] == "into" || ws[k] == "together" {
			return true
		}
		if ws[k] == "on" && k == v+1 {
			// "rate limits have been put on the search endpoint"
			for m := v - 1; m >= 0 && m >= v-5; m-- {
				switch ws[m] {
				case "limit", "limits", "cap", "caps", "quota", "quotas", "restriction", "restrictions", "alerts", "alarms", "monitors", "checks":
					return true
				}
			}
		}
		if ws[k] == "on" && k > v+1 {
			// "put a hard cap on the connections", "put a freeze on
			// deploys": a limit laid on something.
			switch ws[k-1] {
			case "cap", "limit", "limits", "caps", "ceiling", "freeze", "hold", "ban", "gate", "check", "checks", "lock", "restriction", "restrictions", "quota", "quotas", "alert", "alerts", "alarm", "alarms", "monitor", "monitors":
				return true
			}
		}
	}
	return false
}

// afterLabel reports an imperative right after a label's colon,
// perhaps after an adverb ("Lessons learned: always test migrations …").
func afterLabel(ws []string, v int) bool {
	k := v - 1
	if k >= 0 && (ws[k] == "always" || ws[k] == "also" || ws[k] == "only" || ws[k] == "never") {
		k--
	}
	return k >= 0 && ws[k] == ":"
}

// subjectBounds end the subject of a passive on its left.
var subjectBounds = set("we", "i", "they", "you", "'ll", "will", "is", "are", "was", "were",
	"has", "have", "had", "that", "which", "if", "when", "know", "let", "because", "so", "once")

// buildVerbs make a mechanism that was not there.
var buildVerbs = set("add", "implement", "introduce", "build", "integrate", "create", "install",
	"establish", "adopt", "institute", "set")

// planNouns before "is to" make a promise ("our plan is to add …").
var planNouns = set("plan", "goal", "intention", "aim", "step", "priority", "focus", "objective")

// statusTags open an item of an action list ("[Done] Co-locate the
// tables", "In progress: add alerting").
var statusTags = set("done", "completed", "complete", "pending", "planned", "todo", "ongoing",
	"wip", "in-progress", "in", "progress", "-", "and", "next", "open", "closed", "fixed", ":")

// The levels of a verb group.
const (
	past        = 1 + iota // "we tuned": the incident's work unless told against recurrence
	progressive            // "we are adding": may be the incident's own work
	perfect                // "we have added", "alerts have been added"
	future                 // "we will add", "we plan to add", "we have since added", "we now run"
)

// stepClause finds a verb group that commits to or reports a step in
// ws: the position of the step verb, its level, and whether it is
// passive (its object is then its subject: "alerts have been added").
func stepClause(ws []string, item bool) (verb, level int, passive, ok bool) {
	return stepClauseFrom(ws, item, 0)
}

// stepClauseFrom is stepClause for the verb groups from word from on.
func stepClauseFrom(ws []string, item bool, from int) (verb, level int, passive, ok bool) {
	pastAt := -1
	defer func() {
		if !ok && pastAt >= 0 {
			verb, level, passive, ok = pastAt, past, false, true
		}
	}()
	for v := from; v < len(ws); v++ {
		w := ws[v]
		if w == "place" && v >= 2 && ws[v-1] == "in" {
			switch ws[v-2] {
			case "now", "are", "is", "been", "be":
				// "point-in-time recovery and daily snapshots are now in
				// place": a passive whose object is its subject.
				lvl := perfect
				if ws[v-2] == "be" {
					lvl = future
				}
				return v - 1, lvl, true, true
			}
		}
		if (w == "have" || w == "has") && v > 0 && ws[v-1] == "now" {
			// "we now have monitoring on the queue length"
			return v, perfect, false, true
		}
		lemma, isStep := stepForms[w]
		if !isStep && stepNominals[w] && item && v <= 3 && v+1 < len(ws) && ws[v+1] == "of" {
			lemma, isStep = w, true // "Implementation of improved smoke tests"
		}
		if !isStep {
			continue
		}
		if lemma == "roll" && (v+1 >= len(ws) || ws[v+1] != "out") ||
			lemma == "set" && (v+1 >= len(ws) || ws[v+1] != "up") ||
			lemma == "put" && !putIn(ws, v) ||
			lemma == "back" && (v+1 >= len(ws) || ws[v+1] != "up") ||
			lemma == "go" && (v+1 >= len(ws) || ws[v+1] != "through") ||
			lemma == "phase" && (v+1 >= len(ws) || ws[v+1] != "out" && ws[v+1] != "in") ||
			lemma == "make" && (v+1 >= len(ws) || ws[v+1] != "changes" && ws[v+1] != "improvements" && ws[v+1] != "updates") {
			continue
		}
		// An imperative item: "• Add metric to track job queue depth".
		if w == lemma && v+1 < len(ws) && afterLabel(ws, v) {
			// "Action items: add disk usage alerts": an imperative after
			// a label.
			return v, future, false, true
		}
		if item && (w == lemma || strings.HasSuffix(w, "ing") || stepNominals[w] && v+1 < len(ws) && ws[v+1] == "of") && v <= 3 {
			// "• Add metric to track queue depth", "• Updating our
			// escalation paths …": an item told by its verb.
			lead := true
			for _, t := range ws[:v] {
				if !statusTags[t] {
					lead = false
				}
			}
			if lead {
				return v, future, false, true
			}
		}
		// "… safeguards are now in place", "alerting is in place"
		if w == "place" {
			continue
		}
		participle := w != lemma && !strings.HasSuffix(w, "ing") && !strings.HasSuffix(w, "s") ||
			w == lemma && (lemma == "set" || lemma == "put" || lemma == "run")
		since := false
		passive = false
		// "we also tuned our runners to prevent the scenario where …":
		// a past act of the company, told with its purpose against
		// recurrence in the same sentence.
		if strings.HasSuffix(w, "ed") && participle && v > 0 {
			k := v - 1
			for k > 0 && (ws[k] == "also" || ws[k] == "then" || ws[k] == "further" || ws[k] == "additionally") {
				k--
			}
			if ws[k] == "we" {
				pastAt = v
			}
		}
		// Walk back over the verb group to its modal.
		lim := v - 5
	walk:
		for k := v - 1; k >= 0 && k >= lim; k-- {
			b := ws[k]
			if continuation[b] {
				break
			}
			if k == v-1 && testKinds[b] && stepForms[w] == "test" {
				continue // "we'll be load testing …"
			}
			if b == "to" && k+1 == v-1 && ws[k+1] == "be" && participle && k > 0 && !stepModals[ws[k-1]] && !headlineBlockers[ws[k-1]] {
				// "New caching layer fallback approach to be deployed on
				// Monday": a headline's promise
				if _, isModal := stepModals[ws[k-1]]; !isModal && !continuation[ws[k-1]] {
					return v, future, true, true
				}
			}
			if b == "and" && participle && strings.HasSuffix(w, "ed") && k >= 1 && k <= v-2 {
				// "Alerts have been reviewed and this Alert Type added to
				// 'On Call Escalation'": the auxiliary is left out after
				// "and"
				for m := k - 1; m >= 0 && m >= k-4; m-- {
					if ws[m] == "been" {
						return v, perfect, true, true
					}
				}
			}
			if k == 0 && participle && strings.HasSuffix(w, "ed") && v <= 5 && (b == "new" || b == "additional" || b == "improved" || b == "automated" || b == "more") {
				// "New operations policies drafted to audit certificate
				// rotations": a headline's made change
				return v, perfect, true, true
			}
			if b == "to" && k > 0 && (ws[k-1] == "decision" || ws[k-1] == "decided") && w == lemma {
				return v, future, false, true // "our admins have made a decision to move our servers"
			}
			if b == "been" || b == "being" || b == "be" {
				passive = participle
			}
			if b == "since" {
				since = true
			}
			if _, isModal := stepModals[b]; isModal {
				switch {
				case b == "now" && k == v-1 && !strings.HasSuffix(w, "ing") && (!participle || w == lemma):
					// "we now run load tests", "deploys now require …"
					return v, future, false, true
				case b == "now" || b == "since":
					continue
				case b == "have" || b == "'ve" || b == "has":
					// "we have added", "alerts have been added"; not
					// "we have to", "have a fix".
					if participle {
						if since {
							return v, future, passive, true
						}
						return v, perfect, passive, true
					}
				case (b == "is" || b == "was") && k > 0 && planNouns[ws[k-1]] && w == lemma:
					// "our plan is to add a second region"
					return v, future, false, true
				case b == "are" || b == "'re" || b == "is" || b == "am":
					if strings.HasSuffix(w, "ing") && !passive {
						return v, progressive, false, true
					}
					if participle && k+1 < v && ws[k+1] == "now" && (k+2 == v || ws[k+2] == "also" || ws[k+2] == "fully" || ws[k+2] == "automatically") {
						// "certificates … are now tracked in one
						// inventory": established, like "we now run"
						return v, future, true, true
					}
					if participle && (k == v-1 || ws[k+1] == "being" || ws[k+1] == "now" || ws[k+1] == "also") {
						// "are being added", "is now required"
						return v, progressive, true, true
					}
				case b == "will" || b == "'ll" || b == "shall" || b == "must" || b == "should" || b == "need" || b == "needs":
					if w == lemma || passive || strings.HasSuffix(w, "ing") {
						return v, future, passive, true
					}
					if (b == "need" || b == "needs") && k == v-1 && strings.HasSuffix(w, "s") && item {
						// "Lessons learned: - the app needs tests": a noun
						// after the need, read as its object
						return k, future, false, true
					}
				default: // going/plan/intend/aim (to), working (to/on), committed (to), in the process of
					if w == lemma || strings.HasSuffix(w, "ing") {
						return v, future, false, true
					}
				}
				break walk
			}
			if b == "and" && (strings.HasSuffix(w, "ing") || participle) {
				// "we'll be fixing that method and writing better tests":
				// the second verb shares the first's group.
				found := false
				for m := k - 1; m >= 0 && m >= k-8; m-- {
					if isPunct(ws[m]) {
						break
					}
					if (strings.HasSuffix(ws[m], "ing") && !participle || participle && ws[m] != lemma && stepForms[ws[m]] != "" && !strings.HasSuffix(ws[m], "ing")) &&
						m > 0 && (ws[m-1] == "be" || ws[m-1] == "are" || ws[m-1] == "'re" || ws[m-1] == "also" || ws[m-1] == "been" ||
						participle && (ws[m-1] == "have" || ws[m-1] == "'ve" || ws[m-1] == "has")) {
						// "… must be run outside peak hours and reviewed by
						// the database team"
						if participle && ws[m-1] != "have" && ws[m-1] != "'ve" && ws[m-1] != "has" {
							passive = true
						}
						k = m // continue the walk before the first verb
						lim = m - 5
						found = true
						break
					}
				}
				if found {
					continue
				}
			}
			if !stepBeats[b] {
				break
			}
		}
	}
	return 0, 0, false, false
}

// guardObjects are mechanisms so plainly against recurrence that any
// committed or reported verb needs no frame: tests, alerts, staged
// roll-outs, validation, runbooks, reviews and drills.
var guardObjects = newPhrases(
	"test", "alert", "alarm", "canary", "canaries", "staged", "gradual", "phased",
	"progressive", "incremental roll", "runbook", "run book", "playbook", "validation", "validat",
	"verification", "health check", "sanity check", "pre-flight", "preflight", "pre-deploy",
	"pre-merge", "lint", "peer review", "code review", "second review", "reviewer", "approval",
	"sign-off", "drill", "game day", "gameday", "chaos", "circuit breaker", "circuit-breaker",
	"feature flag", "kill switch", "monitors", "monitoring", "observability", "dashboard",
	"paging", "on-call", "escalation", "warnings", "synthetic", "watchdog", "checklist", "procedure",
	"safety check", "guardrail", "guard rail", "automatic renewal", "auto-renew",
	"automated renewal", "renewal automation", "expiry alert", "expiry monitor", "expiry check",
	"expiry reminder", "expiry notification", "expiration alert", "expiration monitor",
	"expiration check", "expiration reminder", "expiration notification", "expiry date", "metric", "visibility",
	"load test", "capacity plan", "rollback plan", "change management",
	"change review", "documentation", "training", "post-deploy", "smoke test", "retries",
	"backoff", "back-off", "timeouts", "detect", "failure mode", "point-in-time", "snapshot",
	"confirmation", "staging", "second engineer", "another engineer", "two engineers",
	"four-eyes", "four eyes", "second pair of eyes", "two-person", "two person",
	"mandatory review", "additional review", "deployment process", "release process",
	"sign-off", "signoff", "automatic ", "second reviewer", "two approvals", "dry run", "dry-run", "bake",
	"deploy process", "approval process", "change management process",
	// round 9: environments that rehearse production, automation that
	// replaces hands, staged fractions, hard limits.
	"pre-production", "preproduction", "pre-prod", "preprod", "production-like",
	"copy of production", "replica of production", "mirror of production", "mirrors production",
	"shadow traffic", "than by hand", "than manually", "instead of manually", "of by hand",
	"% of", "percent of", "approval step", "hard cap", "hard limit", "rehears", "practis",
	"tabletop", "fire drill", "hosts first", "servers first", "nodes first", "region first",
	"regions first", "cells first", "customers first", "shadow mode", "in shadow", "dark launch",
	"dark-launch", "hot spare", "warm spare",
	"recovery plan", "disaster recovery", "dr plan", "backup plan", "contingency plan",
	"restore test", "recovery test", "recovery procedure",
	"deletion protection", "termination protection", "delete protection", "write protection",
	"overwrite protection", "branch protection", "mandatory", "soak", "waiting period",
)

// guardInfinitives, after "to" in the object of a change, say the change
// makes a guard: "rewritten the script to refuse to run against
// production", "configured the queue to reject messages larger than …",
// "changed to roll out to 5 % of hosts first and halt on errors".
var guardInfinitives = set("refuse", "reject", "block", "abort", "halt", "require", "enforce",
	"gate", "alert", "page", "warn", "fail", "stop", "pause", "deny", "disallow", "forbid",
	"detect", "catch", "flag", "cap", "throttle", "shed", "drain", "retry", "verify", "validate",
	"check", "confirm", "wait", "roll")

// guardInfinitive reports an infinitive chain after v that makes a
// guard ("to refuse …", "to roll back automatically", "… and halt on
// elevated errors").
func guardInfinitive(ws []string, v int) bool {
	chain := false
	for k := v + 1; k < len(ws) && k <= v+16; k++ {
		w := ws[k]
		if w == "so" || w == "which" || w == "because" || w == "while" || w == "but" || w == ":" {
			return false
		}
		if (w == "to" || w == "and" && chain) && k+1 < len(ws) {
			n := ws[k+1]
			if n == "automatically" || n == "always" || n == "also" || n == "immediately" {
				if k+2 >= len(ws) {
					return false
				}
				n = ws[k+2]
			}
			if guardInfinitives[n] {
				if n == "roll" && (k+2 >= len(ws) || ws[k+2] != "back") {
					if k+2 < len(ws) && ws[k+2] == "out" {
						chain = true
					}
					continue
				}
				if n == "fail" && (k+2 >= len(ws) || ws[k+2] != "closed" && ws[k+2] != "safe" && ws[k+2] != "fast") ||
					k+2 < len(ws) && (ws[k+2] == "up" || ws[k+2] == "down") {
					continue // "to catch up", "to drain down"
				}
				return true
			}
			if w == "to" && stepForms[n] != "" {
				chain = true
			}
		}
	}
	return false
}

// mechanismObjects are steps when promised, but also what a team does
// during an incident (switching to a backup, rate limiting, a failover):
// reported as done or in progress they need a frame.
var mechanismObjects = newPhrases(
	"rate limit", "rate-limit", "ratelimit", "throttl", "retry", "redundan", "failover",
	"fail over", "fallback", "fall back", "second provider", "secondary", "multiple providers",
	"multi-provider", "backup", "replica", "dedicated", "isolat", "separate ", "quota", "timeout", "autoscal", "auto-scal", "self-heal", "a second ",
	"another provider", "multi-region", "multiple regions", "probe", "another location",
	"another data", "multiple data", "second data", "other data center", "other datacenter",
	"load balancing", "load-balancing", "firewall", "freeze",
	"its own ", "their own ", "own host", "own server", "own cluster", "own pool", "own queue",
	"ceiling", "upper bound", "cap on", "limit on", "limits on", "caps on", "bulkhead",
	"a maximum of", "no more than", "at most ",
	// more than one of a thing that failed alone: "two independent
	// providers", "across three availability zones"
	"independent", "two providers", "two regions", "two zones", "three zones",
	"multiple zones", "multiple availability", "across regions", "across zones",
	"across availability", "two data", "three data", "two dns", "multiple dns", "second region",
	"second zone", "another availability", "another zone", "another region", "n+1", "active-active", "active/active", "hot standby", "warm standby",
)

// weakObjects name a mechanism that is a step only where the text speaks
// of recurrence: capacity, limits, configuration, architecture, process.
var weakObjects = newPhrases(
	"capacity", "limit", "configuration", "config", "setting", "threshold", "architecture",
	"process", "policy", "policies", "queue", "cluster", "provider", "infrastructure",
	"hardware", "disk", "storage", "memory", "network", "protection", "automation", "automat",
	"tooling", "pipeline", "schema", "index", "dependency", "dependencies", "version", "region",
	"datacenter", "data center", "certificate", "mechanism", "system", "rollout", "deploy",
	"migration", "maintenance", "rule", "filter", "check", "control", "access", "permission",
	"logging", "maintenance window",
)

// vagueObjectHeads open an object that names no step ("safeguards around …",
// "communication with …", "enhancements to …").
var vagueObjectHeads = set("safeguard", "safeguards", "measures", "measure", "steps", "improvements",
	"improvement", "enhancements", "enhancement", "changes", "change", "communication",
	"communications", "stability", "reliability", "resilience", "resiliency", "robustness",
	"experience", "quality", "performance", "processes", "process", "work", "efforts", "lessons",
	"ways", "options", "solutions", "solution", "actions", "action", "things", "something",
	"everything", "additional", "extra", "further", "more", "some", "several", "various",
	"the", "a", "an", "our", "new", "necessary", "appropriate", "any", "other", "robust")

// remedyObjects make the object the fix, the incident's own work, or
// what is affected now.
var remedyObjects = set("fix", "fixes", "hotfix", "patch", "patches", "workaround", "affected",
	"impacted", "current", "ongoing", "backlog", "recovery", "remaining", "queued", "mitigation",
	"mitigations", "rollback", "revert", "temporary", "temporarily", "status", "update", "updates",
	"postmortem", "post-mortem", "retrospective", "rca", "report", "progress", "incident")

// toMoves take their object after "to" ("move to a multi-provider
// setup").
var toMoves = set("move", "migrate", "switch", "upgrade", "transition", "change")

// hardRemedies are the fix itself.
var hardRemedies = set("fix", "fixes", "hotfix", "patch", "patches", "workaround", "rollback", "revert", "incident")

// auxiliaries after "and" open a new verb group ("… and are
// monitoring").
var auxiliaries = set("are", "is", "was", "were", "will", "have", "has", "had", "'re", "'ll",
	"'ve", "can", "should", "would", "could", "must", "may", "might", "continue", "then")

// clauseEnds cut an object: a new clause begins.
var clauseEnds = set("so", "which", "because", "until", "while", "as", "but", "we", "and", "once", "when", "after", "before")

// stepObject reads the object of the step verb at v: the words after it
// up to the end of the clause, or for a passive the words before the
// verb group. It returns the object's class: 3 a guard, 2 a mechanism,
// 1 a weak one, 0 none.
func stepObject(d *doc, ws []string, v int, passive bool) int {
	var obj []string
	if passive {
		b := v - 1
		for b >= 0 && (stepModals[ws[b]] || stepBeats[ws[b]] || ws[b] == "been" || ws[b] == "being" || ws[b] == "be") {
			if _, ok := stepModals[ws[b]]; ok || stepBeats[ws[b]] {
				b--
				continue
			}
			b--
		}
		// The subject: back to a clause boundary (a list of nouns may
		// span commas: "point-in-time recovery, daily snapshots and
		// reset safeguards are now in place").
		a := b
		for a > 0 && a > b-12 && ws[a-1] != ":" && ws[a-1] != "(" && ws[a-1] != ")" && !subjectBounds[ws[a-1]] {
			a--
		}
		if b < a {
			return 0
		}
		obj = ws[a : b+1]
		// … and how: "will be run in a maintenance window with a
		// rollback plan".
		for k := v + 1; k < len(ws) && !clauseEnds[ws[k]] && !isPunct(ws[k]); k++ {
			obj = append(obj[:len(obj):len(obj)], ws[k])
		}
	} else {
		end := len(ws)
		for k := v + 1; k < len(ws); k++ {
			if k > v+2 && (clauseEnds[ws[k]] || ws[k] == ",") {
				if ws[k] == "and" && k+1 < len(ws) && !clauseEnds[ws[k+1]] && ws[k+1] != "the" && ws[k+1] != "it" && !auxiliaries[ws[k+1]] {
					continue // "tests and alerts"
				}
				end = k
				break
			}
		}
		if v+1 >= end {
			return 0
		}
		obj = ws[v+1 : end]
		if end+1 < len(ws) && (ws[end] == "so" || ws[end] == "such") && (ws[end+1] == "that" || ws[end] == "so") {
			// "we are changing our process so that migrations are
			// reviewed by a second engineer": the purpose names the
			// guard the change makes.
			if r := " " + strings.Join(ws[end:], " ") + " "; hasW(d, r, guardObjects) && !strings.Contains(r, "time to detect") {
				return 3
			}
		}
	}
	if len(obj) == 0 || obj[0] == "to" && !passive && !toMoves[stepForms[ws[v]]] {
		// "lessons we'll use to improve our systems": a purpose, no
		// object.
		return 0
	}
	if passive && v+1 < len(ws) && ws[v+1] == "by" {
		switch stepForms[ws[v]] {
		case "review", "test", "validate", "verify", "check":
			return 3 // "reviewed by the database team": a review step
		}
	}
	o := " " + strings.Join(obj, " ") + " "
	if strings.Contains(o, "time to detect") {
		// "reduce our time to detection" names no mechanism.
		o = strings.NewReplacer("time to detection", "", "time to detect", "").Replace(o)
	}
	class := 0
	switch {
	case hasW(d, o, guardObjects):
		class = 3
	case hasW(d, o, mechanismObjects):
		class = 2
	case hasW(d, o, weakObjects):
		class = 1
	}
	if class < 3 && stepForms[ws[v]] != "" && guardInfinitive(ws, v) {
		class = 3 // the change makes a guard ("… to refuse to run against production")
	}
	if l := stepForms[ws[v]]; class < 2 && (mechanismVerbs[l] || structuralVerbs[l]) {
		class = 2 // the verb names the mechanism
	}
	if class == 1 && buildVerbs[stepForms[ws[v]]] {
		// building a check, a rule or a filter makes a mechanism that
		// was not there ("building a status check into the release
		// pipeline")
		for _, w := range obj {
			switch w {
			case "check", "checks", "rule", "rules", "filter", "filters", "control", "controls",
				"protection", "protections", "mechanism", "limit", "limits", "threshold", "thresholds":
				class = 2
			}
		}
	}
	// The fix, or the incident's own work: a guard is still a guard
	// when it watches the recovery, but never when it is the fix.
	remedy := func(w string) bool {
		return remedyObjects[w] && (class < 3 || hardRemedies[w])
	}
	for k, w := range obj {
		if w == "incident" && k+1 < len(obj) && (obj[k+1] == "response" || obj[k+1] == "management" || obj[k+1] == "process" || obj[k+1] == "handling" || obj[k+1] == "review" || obj[k+1] == "communication" || obj[k+1] == "communications") {
			continue // "our incident response runbook"
		}
		if (w == "rollback" || w == "revert") && k+1 < len(obj) && (obj[k+1] == "window" || obj[k+1] == "plan" || obj[k+1] == "plans" || obj[k+1] == "script" || obj[k+1] == "scripts" || obj[k+1] == "procedure" || obj[k+1] == "strategy" || obj[k+1] == "path" || obj[k+1] == "mechanism" || obj[k+1] == "tests") {
			continue // "a tested rollback script" is a guard
		}
		if w == "recovery" && k+1 < len(obj) && (obj[k+1] == "plan" || obj[k+1] == "plans" || obj[k+1] == "procedure" || obj[k+1] == "procedures" || obj[k+1] == "test" || obj[k+1] == "tests" || obj[k+1] == "drill" || obj[k+1] == "drills" || obj[k+1] == "runbook") {
			continue // "a recovery plan" is a guard, not the incident's recovery
		}
		if w == "status" && k+1 < len(obj) && (obj[k+1] == "check" || obj[k+1] == "checks" || obj[k+1] == "probe" || obj[k+1] == "probes" || obj[k+1] == "monitor" || obj[k+1] == "monitors") {
			continue // "a status check", not a status update
		}
		if remedy(w) && k <= 6 {
			return -1
		}
	}
	// Before the verb: "the fix rollout has made progress".
	for k := v - 1; k >= 0 && k >= v-4 && !isPunct(ws[k]) && ws[k] != "we"; k-- {
		if remedy(ws[k]) {
			return -1
		}
	}
	changesTo := false
	for k := 0; k+2 < len(obj) && k <= 2; k++ {
		if (obj[k] == "changes" || obj[k] == "improvements" || obj[k] == "updates" || obj[k] == "enhancements") && (obj[k+1] == "to" || obj[k+1] == "in") &&
			(obj[k+2] == "our" || obj[k+2] == "the" || obj[k+2] == "its") && class >= 1 && class < 3 && !passive &&
			(purposeNegated(ws) || hasW(d, " "+strings.Join(ws, " ")+" ", recurrenceFrames)) {
			// "making changes to our Continuous Integration pipeline to
			// ensure that migrations of this type cannot …": what is
			// changed is named
			changesTo = true
		}
	}
	if class < 3 && !changesTo {
		// "improving safeguards around database migrations",
		// "improving communication between …": the head is vague.
		for _, w := range obj {
			if !vagueObjectHeads[w] {
				break
			}
			if w != "the" && w != "a" && w != "an" && w != "our" && w != "new" && w != "additional" && w != "extra" && w != "further" && w != "more" && w != "some" && w != "several" && w != "various" && w != "necessary" && w != "appropriate" && w != "any" && w != "other" {
				return 0
			}
		}
	}
	if class > 0 && !passive && !changesTo && vagueHead(d, obj) {
		return 0
	}
	return class
}

// reportObject reports an object that is a write-up of the incident
// ("our findings", "what we learned in this post").
func reportObject(ws []string, v int) bool {
	for k := v + 1; k < len(ws) && k <= v+4; k++ {
		switch ws[k] {
		case "findings", "learnings", "results", "analysis", "conclusions", "thoughts", "lessons",
			"blogpost", "post", "postmortem", "post-mortem", "report", "write-up", "writeup":
			return true
		}
	}
	return false
}

// vagueHeadNouns head an object that names no mechanism unless a word
// before them does ("some of our internal processes", "additional cron
// job optimizations" against "our deployment processes").
var vagueHeadNouns = set("process", "processes", "measures", "steps", "improvements", "changes",
	"optimizations", "optimisations", "safeguards", "enhancements", "findings", "learnings",
	"lessons", "things", "areas", "efforts", "practices", "procedures", "layers", "systems",
	"mitigation", "mitigations", "actions", "plans", "policies", "capabilities", "tools")

// npEnds end the noun phrase of an object.
var npEnds = set("to", "for", "in", "on", "at", "with", "that", "which", "so", "across", "around",
	"by", "from", "within", "and", "as", ",", ":", "(", ")", "since", "because", "when", "where",
	"beyond", "against", "into", "over", "after", "before", "while", "if", "until")

// vagueHead reports an object whose noun phrase ends in a vague noun
// that no modifier before it makes concrete.
func vagueHead(d *doc, obj []string) bool {
	e := 0
	for e < len(obj) && !npEnds[obj[e]] {
		if obj[e] == "of" {
			// "some of our internal processes", "layers of
			// redundancy": read on past a quantifier
			if e+1 < len(obj) && (obj[e+1] == "our" || obj[e+1] == "the" || obj[e+1] == "these") {
				e++
				continue
			}
			break
		}
		e++
	}
	if e == 0 || !vagueHeadNouns[obj[e-1]] {
		return false
	}
	mods := " " + strings.Join(obj[:e-1], " ") + " "
	return !hasW(d, mods, guardObjects) && !hasW(d, mods, mechanismObjects) && !hasW(d, mods, weakObjects)
}

// vagueObject reports an object (after the verb at v) whose head is
// vague ("our processes", "additional measures") or that is missing.
func vagueObject(ws []string, v int) bool {
	if v+1 >= len(ws) || ws[v+1] == "to" || isPunct(ws[v+1]) {
		return true
	}
	for _, w := range ws[v+1:] {
		if !vagueObjectHeads[w] {
			return false
		}
		switch w {
		case "the", "a", "an", "our", "new", "additional", "extra", "further", "more", "some",
			"several", "various", "necessary", "appropriate", "any", "other":
			continue
		}
		return true
	}
	return true
}

func hasW(d *doc, s string, p *phrases) bool {
	_, ok := d.hasWord(s, p)
	return ok
}

func has(d *doc, s string, p *phrases) bool {
	_, ok := d.has(s, p)
	return ok
}

// hasClock reports a clock time in s ("19:15"): a timeline, not a step.
func hasClock(s string) bool {
	for i := 1; i+2 < len(s); i++ {
		if s[i] == ':' && s[i-1] >= '0' && s[i-1] <= '9' && s[i+1] >= '0' && s[i+1] <= '5' && s[i+2] >= '0' && s[i+2] <= '9' {
			return true
		}
	}
	return false
}

// structuredStep reports a step told by its structure in sentence s
// (with words ws). framed says the sentence or its neighbours are about
// not letting it happen again, or it is an item of a list under such a
// frame; strict that they speak of a recurrence itself.
func structuredStep(d *doc, s string, ws []string, item, framed, strict bool) bool {
	if timelineEntry(s) || hasClock(s) {
		return false
	}
	if w, ok := d.has(s, notSteps); ok && !rollbackGuard(w, s) {
		return false
	}
	if mitigationPurpose(d, s) && !strict {
		return false
	}
	// Every verb group of the sentence in turn: "we have revised our
	// internal procedures to include the following changes: - we have
	// adopted more formalized testing procedures …".
	for from := 0; from < len(ws); {
		v, level, passive, ok := stepClauseFrom(ws, item, from)
		if !ok {
			return false
		}
		if stepAt(d, s, ws, v, level, passive, item, framed, strict) {
			return true
		}
		if v < from {
			v = from // "… in place" answers with the word before
		}
		from = v + 1
	}
	return false
}

// stepAt judges the verb group at v found by stepClause.
func stepAt(d *doc, s string, ws []string, v, level int, passive, item, framed, strict bool) bool {
	if stepForms[ws[v]] == "put" && level == perfect {
		level = future // "we have put rate limiting in place": established
	}
	class := stepObject(d, ws, v, passive)
	if class < 0 {
		return false
	}
	if v > 0 && (ws[v-1] == "never" || ws[v-1] == "always" || ws[v-1] == "only") && afterLabel(ws, v) && !vagueObject(ws, v) {
		// "Lessons learned: never run a schema change and a deploy in
		// the same window": a rule set for the next time.
		return true
	}
	switch stepForms[ws[v]] {
	case "document", "train", "educate":
		// Writing down what was learned, training people: guards by
		// themselves ("we are documenting the constraints identified"),
		// not "our findings in this blogpost".
		if class >= 0 && !vagueObject(ws, v) && !reportObject(ws, v) {
			class = 3
		}
	case "ensure":
		// "ensure that if this recurs it will only affect one
		// datacenter" is a purpose; only a guard makes it a step.
		if v+1 < len(ws) && ws[v+1] == "that" && class < 3 {
			return false
		}
	}
	if v > 0 && testKinds[ws[v-1]] && stepForms[ws[v]] == "test" && level == future && !vagueObject(ws, v) {
		// "we'll be load testing the checkout service ahead of every
		// major sale", "new features will be load tested": the kind of
		// test names the guard.
		return true
	}
	if class == 0 {
		// "we are going to change the code to prevent this type of rogue
		// requests": a promise whose own purpose is against recurrence
		// needs no named mechanism, unless its object is vague. "We've
		// since configured the load balancer to drain hosts before
		// restarts": a change made since the incident, told as such.
		since := sinceBefore(ws, v) && !vagueObject(ws, v) && !reportObject(ws, v)
		moved := level == future && !passive && strict && toMoves[stepForms[ws[v]]] && !vagueObject(ws, v)
		if !since && !moved && (level != future || passive || !has(d, s, recurrenceFrames) || vagueObject(ws, v)) {
			return false
		}
	}
	switch stepForms[ws[v]] {
	case "run", "perform", "conduct":
		// "we are running tests on the new version" is the incident's
		// work; "jobs now run on a separate queue" and "in the future,
		// large migrations will be run in batches" are steps.
		if level != future || class < 2 && !(class == 1 && has(d, s, recurrenceFrames)) {
			return false
		}
	case "test", "validate", "verify", "review", "check":
		if v+1 < len(ws) && (ws[v+1] == "that" || ws[v+1] == "whether" || ws[v+1] == "if" || ws[v+1] == "all") {
			// "we will now verify that all alerts are working": a
			// check of the present state, not a mechanism.
			return false
		}
		// "we will review …" studies; "always test migrations against
		// production data", an imperative of a list, is a step.
		imperative := v == 0 || afterLabel(ws, v) || item && v <= 3
		if !(imperative && !vagueObject(ws, v)) && (level != future || class < 3) {
			return false
		}
	case "monitor", "track", "alert", "page":
		// "we are monitoring …", "we will review …", "engineers were
		// alerted" watch or study; "we will run failover drills" is a
		// step by its object.
		if level != future || class < 3 {
			return false
		}
	case "increase", "enable", "switch", "move", "migrate", "use", "raise":
		// Moving traffic, using a backup, raising a limit: the
		// incident's work unless promised against recurrence, or what
		// is raised or enabled is a guard ("we have increased the
		// monitoring frequency").
		if !framed && level != future && class < 3 && !isolationMove(ws, v) {
			return false
		}
	case "remove", "disable", "reduce", "lower":
		// Taking a rate limit away, moving traffic, using a backup:
		// the incident's work unless promised against recurrence.
		if !framed && level != future {
			return false
		}
	}
	if level == past {
		// Only with its purpose against recurrence in the sentence, or
		// a guard where the text around speaks of recurrence ("We
		// revised our backup fail over procedures.").
		_, ok := d.has(s, recurrenceFrames)
		return ok || class == 3 && strict
	}
	// A mechanism reported as done or under way, or a weak object,
	// needs the text to speak of recurrence itself ("to avoid further
	// slowdowns", "to reduce the impact" are the incident's work).
	switch class {
	case 3:
		return true
	case 2:
		// Building a mechanism ("we are integrating a second payment
		// provider as a fallback") is a step told in any tense; using
		// or switching to one is the incident's work unless promised.
		return level == future || strict || buildVerbs[stepForms[ws[v]]] || isolationMove(ws, v) ||
			structuralVerbs[stepForms[ws[v]]] && level >= progressive
	default:
		return strict || sinceBefore(ws, v) && !vagueObject(ws, v) && !reportObject(ws, v)
	}
}

// mechanismVerbs name a mechanism by the verb itself ("emails will be
// throttled", "credentials will be rotated automatically"); structural
// ones ("we're containerising the billing service", "sharding the
// database") are rarely the incident's own work, so they stand in any
// tense.
var mechanismVerbs = set("throttle", "cap", "isolate", "separate", "split", "segregate",
	"quarantine", "sandbox", "dedicate", "reserve", "autoscale", "prewarm", "pre-warm",
	"overprovision", "over-provision", "mirror", "gate", "stagger", "fence", "lock")
var structuralVerbs = set("containerize", "containerise", "shard", "partition", "decouple",
	"replicate", "distribute", "diversify", "automate", "rehearse", "practise", "practice", "drill",
	"simulate", "lint", "fuzz", "load-test", "stress-test", "canary", "stage", "re-architect",
	"rearchitect", "redesign", "instrument", "codify")

// headlineBlockers before "to be <participle>" make it no headline's
// promise ("attacks could fail to be blocked", "it seems to be fixed").
var headlineBlockers = set("going", "fail", "fails", "failed", "seem", "seems", "seemed", "appear",
	"appears", "appeared", "yet", "able", "unable", "likely", "unlikely", "used", "have", "has",
	"had", "need", "needs", "continue", "continues", "began", "started", "needed", "due", "ought",
	"want", "wants", "hope", "expect", "expects", "tend", "tends", "happen", "happens", "expected",
	"estimated", "remains", "remain", "set", "about", "is", "are", "was", "were")

// testKinds before a verb of testing name a guard ("load testing",
// "chaos testing", "regression-test").
var testKinds = set("load", "stress", "smoke", "regression", "chaos", "canary", "integration",
	"end-to-end", "e2e", "soak", "failover", "performance", "capacity", "contract", "fuzz", "unit")

// rollbackGuard reports a roll-back named as what a guard makes possible
// ("our runbook has been updated with the steps to roll back a release
// quickly"), not the incident's own rollback.
func rollbackGuard(hit, s string) bool {
	if !strings.Contains(hit, "roll") {
		return false
	}
	for _, g := range []string{"runbook", "playbook", "procedure", "rollback plan", "automatic", "automated", "ability to", "able to"} {
		if strings.Contains(s, g) {
			return true
		}
	}
	return false
}

// isolationMove reports a move off something shared onto something of
// its own ("moving session storage off the shared Redis instance onto a
// dedicated cluster", "splitting the scheduler onto its own hosts"): a
// change of structure, not traffic moved for the incident.
func isolationMove(ws []string, v int) bool {
	shared, own := false, false
	for k := v + 1; k < len(ws) && k <= v+14; k++ {
		switch ws[k] {
		case "shared", "common", "single", "same", "monolithic":
			shared = true
		case "dedicated", "separate", "isolated", "own", "independent":
			own = true
		case "affected", "backup", "temporary", "temporarily", "healthy":
			return false
		}
	}
	return shared && own || own && (stepForms[ws[v]] == "split" || stepForms[ws[v]] == "separate" || stepForms[ws[v]] == "isolate")
}

// recurrenceFrames speak of a recurrence itself, not of preventing
// harm in general ("to prevent further errors").
var recurrenceFrames = newPhrases("recur", "reoccur", "in the future", "in future", "going forward",
	"thing of the past", "if this happens again", "should this happen again", "repeat itself",
	"starting today", "from today", "as of today", "effective immediately", "starting now",
	"a repeat", "repeat of", "this again", "ever again", "never happen", "same thing happening",
	"moving forward", "from now on", "happening again", "happen again", "occur again",
	"the scenario", "such a scenario", "the situation where", "class of", "permanently",
	"similar incident", "similar issue", "similar outage", "similar problem", "similar failure",
	"happens again", "long-term", "long term", "permanent solution", "this type of",
	"this kind of", "altogether", "next time", "after this incident", "since this incident",
	"following this incident", "in response to this incident", "as a result of this incident",
	"after this outage", "since this outage", "following this outage")

// sinceBefore reports "we have since" / "we've since" in the verb group
// before v.
func sinceBefore(ws []string, v int) bool {
	for k := v - 1; k >= 1 && k >= v-3; k-- {
		if ws[k] == "since" && (ws[k-1] == "have" || ws[k-1] == "'ve" || ws[k-1] == "has") {
			return true
		}
	}
	return false
}
