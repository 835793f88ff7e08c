package classify

import "strings"

// The structure of ownership. The company is the subject: "we", "I",
// "our team", "one of our engineers", or its own people told in the
// third person in its own account ("an engineer … misdiagnosed", "the
// development team", "a mistake by a developer"). It either says the
// failure is its own (a fault noun, "the failure was ours",
// responsibility taken, a duty not met, "we should have", an apology for
// causing it) or tells an act of its own (a verb that changes
// production: deployed, ran, migrated, set, …) whose harm the same
// sentence tells (a causal verb, an error, an outage), that it did
// wrongly ("instead of", "by mistake", "too early"), or whose harm a
// later sentence tells while naming the act again ("This query caused
// …"). An act told as the remedy (a fix, a rollback, acting on what is
// affected), a harm laid on someone else, a duty accepted while the
// failure is disowned, and a cause told without the company as the
// agent ("a configuration change inadvertently …") are not owning.

// teamNouns end a subject that is the company's own people ("our
// engineering team", "one of our engineers").
var teamNouns = set("team", "teams", "engineer", "engineers", "staff", "developer", "developers",
	"operator", "operators", "sre", "sres", "employee", "employees", "administrator",
	"administrators", "admins", "colleague", "colleagues", "member", "members", "people")

// staffNouns after "an"/"the" are the company's own staff in its own
// account ("an engineer", "the on-call engineer", "the operator").
var staffNouns = set("engineer", "engineers", "operator", "operators", "sre", "administrator",
	"admin", "developer", "developers", "technician", "technicians", "employee", "staffer")

// ownTeams before "team" make "the development team" the company's own.
var ownTeams = set("development", "engineering", "dev", "ops", "technical", "tech",
	"infrastructure", "platform", "operations", "devops", "sre", "database", "deployment",
	"network", "networking", "backend", "frontend", "release", "product", "support")

// ownSubject reports whether ws[i:] opens with the company as the
// subject, and where the subject ends.
func ownSubject(ws []string, i int) (int, bool) {
	switch ws[i] {
	case "we", "i":
		return i + 1, true
	case "our":
		// "our team", "our engineering team", "our infrastructure engineers"
		for j := i + 1; j < len(ws) && j <= i+3; j++ {
			if ws[j] == "'s" || externalAgent(ws[j:j+1]) {
				break // "our provider's engineers" are not ours
			}
			if teamNouns[ws[j]] {
				if j+1 < len(ws) && teamNouns[ws[j+1]] {
					j++ // "our SRE team", "our staff members"
				}
				return j + 1, true
			}
			if isPunct(ws[j]) {
				break
			}
		}
	case "both", "all", "two", "three", "four", "few", "some", "none":
		// "the three of us were attending an event and didn't notice"
		if i+2 < len(ws) && ws[i+1] == "of" && ws[i+2] == "us" {
			return i + 3, true
		}
	case "someone", "somebody":
		// "somebody (Tom) regenerated a configuration": in the
		// company's own account, its own people.
		if i+1 < len(ws) && ws[i+1] != "on" && ws[i+1] != "from" && ws[i+1] != "in" && ws[i+1] != "at" {
			return i + 1, true
		}
		fallthrough
	case "one", "a", "an", "the":
		// "an engineer responded, but misdiagnosed": the company's
		// own staff, told in the third person.
		if w := ws[i]; w != "one" && i+1 < len(ws) {
			for j := i + 1; j < len(ws) && j <= i+4; j++ {
				if staffNouns[ws[j]] || ws[j] == "team" && ownTeams[ws[j-1]] ||
					(ws[j] == "member" || ws[j] == "members") && (ws[j-1] == "team" || ws[j-1] == "staff") {
					// "an authorized S3 team member", "a staff member"
					return j + 1, true
				}
				if isPunct(ws[j]) || ws[j] == "'s" || externalAgent(ws[j:j+1]) || ws[j] == "of" || ws[j] == "in" || ws[j] == "at" || ws[j] == "for" || ws[j] == "from" || ws[j] == "on" || ws[j] == "with" || ws[j] == "by" {
					break // "a change in domain operator" is no staff
				}
			}
		}
		// "one of our engineers", "a member of our deployment team",
		// "an engineer on our team"
		for j := i + 1; j < len(ws) && j <= i+6; j++ {
			if ws[j] == "our" {
				if end, ok := ownSubject(ws, j); ok {
					return end, true
				}
				break
			}
			if isPunct(ws[j]) {
				break
			}
		}
	}
	return 0, false
}

// actAdverbs may stand between the subject and its verb.
var actAdverbs = set("had", "then", "also", "recently", "just", "initially", "previously",
	"later", "first", "subsequently", "unfortunately", "originally", "earlier", "manually",
	"were", "was", "been", "yesterday", "today", "unknowingly", "knowingly", "then", "quickly",
	"immediately", "mistakenly", "later", "ultimately", "eventually", "also")

// mistakeAdverbs make any act of the company a mistake of its own.
var mistakeAdverbs = set("accidentally", "mistakenly", "inadvertently", "unintentionally",
	"erroneously", "incorrectly", "wrongly", "carelessly", "wrongfully", "unwittingly")

// actVerbs change production: the company's act that can cause harm.
var actVerbs = set(
	"deployed", "deploying", "pushed", "pushing", "shipped", "shipping", "released", "releasing",
	"introduced", "introducing", "ran", "running", "executed", "executing", "applied", "applying",
	"changed", "changing", "updated", "updating", "upgraded", "upgrading", "migrated", "migrating",
	"modified", "modifying", "removed", "removing", "deleted", "deleting", "dropped", "disabled",
	"enabled", "misconfigured", "configured", "reconfigured", "set", "performed", "performing",
	"triggered", "merged", "supplied", "replaced", "rotated", "renamed", "truncated",
	"decommissioned", "launched", "altered", "edited", "added", "adding", "switched", "moved",
	"initiated", "started", "began", "made", "making", "rolled", "turned", "used", "upgraded",
	"issued", "scheduled", "reduced", "lowered", "raised", "increased", "purged", "cleaned",
	"shut", "mistyped", "misapplied", "regenerated", "recreated", "rebuilt", "reset",
	"overwrote", "overwritten", "overrode", "planned", "took", "taking", "wrote", "built",
	"designed", "created", "put", "flipped", "toggled", "tweaked", "kicked", "ended",
	"typed", "typing", "entered", "entering", "selected", "clicked", "copied", "pasted",
	// letting something happen: "we allowed a single expired token to
	// take down authentication" (a harm must follow)
	"allowed", "permitted", "cut",
	// present forms, told as the story ("we release a patch update
	// that caused the app to hang"); a harm must follow.
	"release", "deploy", "push", "ship", "upgrade", "migrate",
	// acts on running systems: restarting, scaling, provisioning,
	// patching, tuning a limit (with a harm told, they cause it).
	"restarted", "rebooted", "scaled", "resized", "provisioned", "deprovisioned", "retired",
	"revoked", "killed", "terminated", "paused", "flushed", "drained", "promoted", "patched",
	"installed", "uninstalled", "rewrote", "refactored", "tuned", "adjusted", "tightened",
	"loosened", "capped", "limited", "restricted", "consolidated", "reindexed", "rebalanced",
	"resharded", "reorganized", "reorganised", "restructured", "archived", "expired", "failed-over",
	"optimized", "optimizing", "customized", "standardized", "normalized", "synchronized",
)

// attemptVerbs take the company's act as their infinitive ("we tried to
// migrate …", "we chose to skip …").
var attemptVerbs = set("tried", "attempted", "decided", "chose", "opted", "elected", "began", "started", "wanted", "needed")

// gerundActs open a sentence whose subject is the company by default
// ("while optimizing our edge routers, we encountered a bug that
// caused …").
var gerundActs = set("optimizing", "optimising", "deploying", "pushing", "releasing", "migrating",
	"upgrading", "updating", "changing", "applying", "running", "executing", "performing",
	"configuring", "reconfiguring", "removing", "deleting", "rolling", "replacing", "rotating",
	"moving", "switching", "modifying", "installing", "patching", "restarting", "rebooting",
	"decommissioning", "provisioning")

// mistakeVerbs are acts that are mistakes by their meaning.
var mistakeVerbs = set("misconfigured", "mistyped", "misapplied", "misconfiguring",
	// disregarding a warning or a step is a mistake by its meaning
	"ignored", "disregarded", "dismissed", "bypassed", "circumvented", "rushed", "skipped", "hurried",
	"botched", "bungled", "fumbled",
	"misdiagnosed", "misjudged", "misread", "misinterpreted", "overlooked", "mislabeled",
	"mislabelled", "misrouted", "underestimated", "overestimated", "miscalculated",
	"misunderstood", "miscommunicated")

// isMistakeVerb reports an act that is a mistake by its meaning, also
// by its prefix ("under-provisioned", "misrouted", "overcommitted").
func isMistakeVerb(w string) bool {
	if mistakeVerbs[w] {
		return true
	}
	if len(w) < 9 || !strings.HasSuffix(w, "ed") {
		return false
	}
	return strings.HasPrefix(w, "mis") || strings.HasPrefix(w, "under") && w != "underwent" ||
		strings.HasPrefix(w, "over") && w != "overed"
}

// remedyWords in the object of an act make it the remedy, not the cause.
var remedyWords = set("fix", "fixes", "hotfix", "hotfixes", "patch", "patches", "mitigation",
	"mitigations", "rollback", "revert", "workaround", "back", "remediation", "remedy",
	"correction", "corrections", "solution", "solutions", "resolution", "improvements")

// purposeWords open a purpose clause ("to address …", "in order to"):
// what follows is not the harm of the act.
var purposeVerbs = set("address", "resolve", "mitigate", "fix", "restore", "recover", "remediate",
	"alleviate", "prevent", "reduce", "stop", "improve", "help", "handle", "ensure", "avoid",
	"correct", "repair", "rectify", "speed", "minimize", "minimise", "limit", "contain",
	"accommodate", "support", "enable", "allow", "provide", "make", "increase", "protect",
	"identify", "detect", "catch", "alert", "notify", "monitor", "track", "test", "validate",
	"verify", "ensure", "guard", "safeguard", "eliminate", "remove", "bypass", "work", "get",
	"bring", "clear", "drain", "scale", "rebalance", "isolate", "reroute", "redirect", "solve", "try",
	// studying the issue ("added extra logging to help us understand the issue")
	"understand", "investigate", "diagnose", "debug", "find", "learn", "determine", "trace", "pinpoint")

// fixedVerbs tell a remedy: harm words after them are what was remedied
// ("our changes completely fix the problem").
var fixedVerbs = set("fix", "fixes", "fixed", "resolve", "resolves", "resolved", "address",
	"addresses", "addressed", "mitigate", "mitigates", "mitigated", "restore", "restored",
	"recover", "recovered", "remediate", "remediated", "prevent", "prevents", "avoid", "avoids",
	"without", "no", "not", "eliminate", "eliminates", "eliminated", "catch", "detect")

// purposeAt reports a purpose clause opening at ws[k]: "to address",
// "to better alert", "in order to", "so that".
func purposeAt(ws []string, k int) bool {
	at := func(m int) string { return wordAt(ws, m) }
	switch ws[k] {
	case "to":
		m := k + 1
		if at(m) == "better" || at(m) == "further" || at(m) == "more" || at(m) == "quickly" || at(m) == "help" || at(m) == "proactively" || at(m) == "immediately" || at(m) == "temporarily" || at(m) == "partially" {
			m++
			if at(m-1) == "help" && (at(m) == "us" || at(m) == "them" || at(m) == "you" || at(m) == "our") {
				m++ // "to help us understand"
			}
		}
		w := at(m)
		// "to reprocess the failed jobs", "to clean up …": an infinitive,
		// not "to our load balancer".
		return purposeVerbs[w] || len(w) > 4 && strings.HasPrefix(w, "re") && (!strings.HasSuffix(w, "s") || strings.HasSuffix(w, "ss")) && !strings.HasSuffix(w, "ed") && !strings.HasSuffix(w, "ing") && !strings.HasSuffix(w, "ion") ||
			stepForms[w] == w && w != "" && w != "version" && w != "back"
	case "order":
		return at(k+1) == "to"
	case "so":
		return at(k+1) == "that" || at(k+1) == "as" || at(k+1) == "we"
	}
	return false
}

// harmWords tell that something went wrong.
var harmWords = set("caused", "causing", "broke", "broken", "break", "wiped", "erased", "destroyed",
	"breaking", "breaks", "led", "lead", "leads", "resulted", "resulting", "triggered", "triggering",
	"prevented", "preventing", "blocked", "blocking", "overwhelmed", "overloaded", "overwhelming",
	"overloading", "outage", "outages", "errors", "error", "failures", "failure", "fail", "failed",
	"failing", "fails", "unavailable", "unavailability", "degraded", "degradation", "disruption",
	"disrupted", "unexpected", "unexpectedly", "unintended", "inadvertently", "accidentally",
	"unintentionally", "bug", "buggy", "incorrectly", "wrongly", "crashed", "crash", "crashing",
	"downtime", "timeouts", "timed", "locked", "leak", "leaked", "hung", "stalled", "issue", "issues", "problem", "problems",
	"regression", "slowdown", "delays", "delayed", "stopped", "interrupted", "interruption",
	"unreachable", "inaccessible", "corrupted", "lost", "loss", "missing", "worse",
	"hang", "hung", "impact", "offline", "slowed", "slower", "latency", "lag", "backed", "slowing",
	"rejected", "rejecting", "duplicated", "twice", "wrong", "stale", "outdated",
	"saturated", "saturating", "exhausted", "exhausting", "starved", "flooded", "swamped")

// mistakeAt reports a mistake marker at k; "without" only before what
// was left out ("without testing", "without the flag"), not "without any
// issues".
func mistakeAt(ws []string, k int) bool {
	at := func(m int) string { return wordAt(ws, m) }
	switch ws[k] {
	case "too":
		// "we turned off the old cluster too early"
		switch at(k + 1) {
		case "early", "soon", "late", "quickly", "fast", "aggressive", "aggressively", "broadly", "widely",
			"many", "much", "low", "high", "small", "short", "large", "far":
			return true
		}
		return false
	case "longer":
		// "pointed the app at a database that no longer existed"
		return k > 0 && ws[k-1] == "no" && (at(k+1) == "existed" || at(k+1) == "exists" || at(k+1) == "exist")
	case "nonexistent", "non-existent":
		return true
	case "than":
		// "deleted more rows than intended"
		return at(k+1) == "intended" || at(k+1) == "planned"
	case "still":
		// "we deleted a DNS record that was still in use", "removed a
		// column that the billing service still read from"
		switch at(k + 1) {
		case "read", "reads", "used", "uses", "needed", "needs", "depended", "depends", "relied",
			"relies", "referenced", "references", "required", "requires", "served", "serves", "pointed", "points":
			for m := k - 1; m >= 0 && m >= k-5; m-- {
				if ws[m] == "that" || ws[m] == "which" {
					return true
				}
			}
			return false
		}
		switch at(k + 1) {
		case "in", "needed", "required", "being", "active", "used", "referenced", "live":
			return k > 0 && (ws[k-1] == "was" || ws[k-1] == "were" || ws[k-1] == "is" || ws[k-1] == "are")
		}
		// "a server that was still serving traffic", "a key that was
		// still signing tokens": the object still in use.
		if n := at(k + 1); strings.HasSuffix(n, "ing") && !brokenStates[n] && !harmWords[n] && n != "recovering" && n != "processing" {
			for m := k - 1; m >= 0 && m >= k-3; m-- {
				if ws[m] == "that" || ws[m] == "which" {
					return true
				}
			}
		}
		return false
	}
	if !mistakeMarkers[ws[k]] {
		return false
	}
	if ws[k] == "without" {
		m := k + 1
		switch at(m) {
		case "a", "an", "the", "any", "proper", "adequate", "sufficient", "enough":
			m++
		}
		switch at(m) {
		case "", "issue", "issues", "problem", "problems", "incident", "incidents", "impact",
			"error", "errors", "downtime", "interruption", "interruptions", "disruption", "hitch",
			"trouble", "delay", "delays", "loss", "data", "affecting", "causing", "any":
			return false
		}
	}
	return true
}

// downVerbs before "down" tell an outage ("took down our API").
var downVerbs = set("took", "taking", "take", "brought", "bringing", "knocked", "went")

// mistakeMarkers after an act say it was done wrongly ("we supplied
// ~0.0.1 instead of 0.0.1", "deployed it without the flag").
var mistakeMarkers = set("instead", "without", "incorrect", "wrong", "improperly", "incorrectly",
	"wrongly", "mistake", "accident", "erroneous", "mistakenly", "accidentally", "bad", "faulty",
	"untested", "unreviewed", "unapproved", "unvalidated",
	"buggy", "broken", "invalid", "prematurely")

// denials say the company's act was not the cause.
var denials = newPhrases("not caused", "wasn't caused", "not due to", "not related", "unrelated",
	"not the cause", "not responsible", "no fault", "not our fault", "wasn't our fault",
	"out of our hands", "outside of our control", "outside our control", "beyond our control",
	"not within our control", "not in our control")

// ownAct finds the company's act in ws: the index after the verb, with
// the verb's position, if ws has subject + (adverbs) + act verb whose
// object is not a remedy. mistake is set when a mistake adverb stands
// before the verb ("we accidentally …").
func ownAct(ws []string) (subj, verb int, mistake, ok bool) {
	if len(ws) > 2 && (ws[0] == "while" || ws[0] == "during" || ws[0] == "when" || ws[0] == "after") && gerundActs[ws[1]] && actObject(ws, 1) {
		return 0, 1, false, true
	}
	for i := range ws {
		end, isSubj := ownSubject(ws, i)
		if !isSubj {
			continue
		}
		j, skipped := end, 0
		mistake = false
		if j < len(ws) && ws[j] == "(" {
			// "somebody (Tom) regenerated …"
			for j < len(ws) && ws[j] != ")" && j < end+6 {
				j++
			}
			j++
		}
		for j < len(ws) && skipped < 3 && (actAdverbs[ws[j]] || mistakeAdverbs[ws[j]]) {
			if mistakeAdverbs[ws[j]] {
				mistake = true
			}
			j++
			skipped++
		}
		if j+3 < len(ws) && (ws[j] == "on" || ws[j] == "from" || ws[j] == "in") && ws[j+1] == "our" &&
			(ws[j+2] == "side" || ws[j+2] == "team" || ws[j+2] == "end" || ws[j+2] == "staff") && i+1 < end && ws[i] != "we" && ws[i] != "i" {
			j += 3 // "a developer on our side merged …"
		}
		if j >= len(ws) {
			continue
		}
		if j+2 < len(ws) && ws[j+1] == "to" && attemptVerbs[ws[j]] {
			// "we tried to migrate too many tenants at once", "we
			// decided to throttle the backend jobs": the act is the
			// infinitive.
			if b := ws[j+2]; actVerbs[b] || actVerbs[b+"d"] || actVerbs[b+"ed"] || isMistakeVerb(b+"d") {
				j += 2
				if !actVerbs[ws[j]] {
					// a base form: read it as its past
					if actObject(ws, j) {
						return i, j, false, true
					}
					continue
				}
			}
		}
		v := ws[j]
		if mistake && v != "," && v != "and" && !findVerbs[v] {
			return i, j, true, true
		}
		if b := strings.Replace(v, "ised", "ized", 1); b != v && actVerbs[b] {
			v = b // "we optimised", "we reorganised"
		}
		if !actVerbs[v] && !isMistakeVerb(v) {
			if pastAct(v) && (causalLink(ws, j) || wrongObject(ws, j)) {
				// "an employee accepted a Business Manager invite,
				// causing our app's access token to be invalidated":
				// any act of ours that the sentence says caused harm.
				return i, j, false, true
			}
			continue
		}
		if !actObject(ws, j) {
			continue
		}
		return i, j, isMistakeVerb(v), true
	}
	return 0, 0, false, false
}

// actObject checks the words after an act verb: "rolled" must be "rolled
// out", "made" must make a change, "started"/"began" must start an act,
// and a remedy (a fix, a rollback) is not an act that harms.
func actObject(ws []string, v int) bool {
	next := func(k int) string {
		if v+k < len(ws) {
			return ws[v+k]
		}
		return ""
	}
	switch ws[v] {
	case "rolled":
		if next(1) != "out" {
			return false
		}
	case "cut":
		if n := next(1); n != "over" && n != "off" {
			return false // "we cut over to the new processor"
		}
	case "turned", "shut":
		if n := next(1); n != "off" && n != "on" && n != "down" {
			return false
		}
	case "made", "making":
		found := false
		for k := 1; k <= 4; k++ {
			switch n := next(k); {
			case n == "change" || n == "changes" || n == "update" || n == "updates" ||
				n == "modification" || n == "modifications" || n == "adjustment" ||
				n == "configuration" || n == "config" || n == "tweak" || n == "mistake" ||
				n == "error" || n == "decision" || n == "deployment" || n == "release":
				found = true
			}
		}
		if !found {
			return false
		}
	case "started", "began":
		n := next(1)
		if n == "a" || n == "an" || n == "the" || n == "our" {
			n = next(2)
		}
		switch n {
		case "deploying", "deployment", "rolling", "rollout", "migrating", "migration",
			"maintenance", "upgrade", "upgrading", "releasing", "release", "applying", "running",
			"updating", "update", "changing", "change", "removing", "deleting", "executing":
		default:
			return false
		}
	case "took", "taking":
		// "we took additional actions that … caused …"
		found := false
		for k := 1; k <= 3; k++ {
			if n := next(k); n == "action" || n == "actions" || n == "step" || n == "steps" {
				found = true
			}
		}
		if !found {
			return false
		}
	case "put":
		if next(1) != "in" && next(2) != "in" {
			return false
		}
	case "ended":
		// "we ended up providing you with a worse service"
		if next(1) != "up" {
			return false
		}
	case "set":
		// "we set the alarm to 80GB", not "we set up a bridge call".
		if next(1) == "up" || next(1) == "out" {
			return false
		}
	}
	for k := 1; k <= 5 && v+k < len(ws); k++ {
		if ws[v+k] == "and" && v+k+1 < len(ws) && (strings.HasSuffix(ws[v+k+1], "ed") || ws[v+k+1] == "then") {
			break // "… the code we deployed and decided to revert the change"
		}
		if remedyWords[ws[v+k]] && !(v+k+1 < len(ws) && (ws[v+k+1] == "update" || ws[v+k+1] == "release" || ws[v+k+1] == "version")) || purposeAt(ws, v+k) {
			return false
		}
		// "we migrated the affected customers": acting on the harm is
		// the remedy.
		if k <= 3 && (ws[v+k] == "affected" || ws[v+k] == "impacted") {
			return false
		}
		// "we restarted mysql on the crashed server": acting on what
		// broke.
		if k <= 6 && brokenStates[ws[v+k]] && determiners[ws[v+k-1]] &&
			!(deliveryVerbs[ws[v]] && deliveredFlaws[ws[v+k]]) {
			// but "we pushed a faulty routing table": what we delivered
			// was the flaw
			return false
		}
	}
	return true
}

// deliveryVerbs put something of ours into production: a flaw in
// their object is the act's own ("we pushed a faulty routing table",
// "we shipped a broken build").
var deliveryVerbs = set("deployed", "pushed", "shipped", "released", "introduced", "applied",
	"merged", "uploaded", "installed", "published", "rolled", "sent", "distributed", "deploying",
	"pushing", "shipping", "releasing", "introducing", "applying", "deploy", "push", "ship", "release")

// deliveredFlaws describe a delivered thing as flawed, not as broken by
// the incident.
var deliveredFlaws = set("faulty", "broken", "buggy", "bad", "corrupted", "corrupt", "defective",
	"malformed", "invalid", "flawed", "incorrect", "wrong", "erroneous")

// downAt reports an outage told with "down" or "dark" after a verb of
// bringing down, perhaps around its object ("took the site down",
// "knocked our API down", "the site went dark").
func downAt(ws []string, k int) bool {
	if ws[k] != "down" && ws[k] != "dark" {
		return false
	}
	for m := k - 1; m >= 0 && m >= k-4; m-- {
		if isPunct(ws[m]) {
			return false
		}
		if downVerbs[ws[m]] && (ws[k] == "down" || ws[m] == "went") {
			return true
		}
	}
	return false
}

// brokenStates before a noun name what broke ("the crashed server").
var brokenStates = set("crashed", "failed", "failing", "broken", "unhealthy", "stuck", "degraded",
	"corrupted", "hung", "dead", "faulty", "down", "offline", "unresponsive")

// remedyAfter reports a remedy or a purpose clause in the few words
// after the verb at v ("changes we made to address the issue").
func remedyAfter(ws []string, v int) bool {
	for k := 1; k <= 5 && v+k < len(ws); k++ {
		if remedyWords[ws[v+k]] || purposeAt(ws, v+k) {
			return true
		}
	}
	return false
}

// harmAfterStrict is harmAfter, or with mistakes false the same scan
// without the mistake markers (a mistake word is then neither a harm nor
// lets a fixing verb through).
func harmAfterStrict(ws []string, v int, mistakes bool) bool {
	for k := v + 1; k < len(ws); k++ {
		w := ws[k]
		if w == "but" && omissionAt(ws, k+1) {
			return true // "rotated the credentials but did not update them in …"
		}
		if mistakes && w == "no" && k+1 < len(ws) && mistakeAt(ws, k+1) {
			return true // "… a database that no longer existed"
		}
		if purposeAt(ws, k) || fixedVerbs[w] && !(mistakes && mistakeMarkers[w]) || findVerbs[w] || contrastWords[w] {
			return false
		}
		if k2, ok := otherClause(ws, k); ok {
			k = k2
			continue
		}
		if k > 1 && ws[k-1] == "had" && (ws[k-2] == "that" || ws[k-2] == "which") {
			continue // "we updated the software that had failed": the object's state
		}
		if harmWords[w] && !deniedAt(ws, k) || mistakes && mistakeAt(ws, k) || downAt(ws, k) {
			return true
		}
	}
	return false
}

// contrastWords end the act's clause: what follows "but" is not its
// harm ("we scaled the cluster, but the errors continued").
var contrastWords = set("but", "however", "although", "though", "yet", "whereas", "despite")

// otherClause reports a subordinate clause at k that tells another
// event with its own subject ("we disabled the feature after it caused
// errors", "when the provider's network went down"), and where it ends
// (the next comma, or the end).
func otherClause(ws []string, k int) (int, bool) {
	switch ws[k] {
	case "after", "when", "because", "since", "until", "before", "once", "while", "as":
	default:
		return 0, false
	}
	if k+1 >= len(ws) {
		return 0, false
	}
	switch ws[k+1] {
	case "it", "they", "the", "this", "that", "these", "those", "their", "its":
	default:
		return 0, false
	}
	m := k + 2
	for m < len(ws) && ws[m] != "," {
		m++
	}
	return m, true
}

// harmAfter reports a harm told after word v of ws, before any purpose
// clause ("to address …").
func harmAfter(ws []string, v int) bool { return harmAfterStrict(ws, v, true) }

// causeConnectives before the company name it as the cause: "the outage
// was caused when we …", "errors began after we deployed …".
var causeConnectives = set("when", "after", "because", "following", "since", "as")

// causeBefore reports that the words before the subject name what
// follows as the cause.
func causedBefore(ws []string, subj int) bool {
	for k := subj - 1; k >= 0 && k >= subj-2; k-- {
		if causeConnectives[ws[k]] {
			// "after we", "when we", "because we" with a harm told
			// before it.
			for m := 0; m < k; m++ {
				if harmWords[ws[m]] {
					return true
				}
			}
		}
	}
	for k := 0; k+1 < subj; k++ {
		switch {
		case (ws[k] == "caused" || ws[k] == "triggered") && ws[k+1] == "by",
			ws[k] == "due" && ws[k+1] == "to",
			ws[k] == "result" && ws[k+1] == "of",
			ws[k] == "cause" && (ws[k+1] == "was" || ws[k+1] == "is"),
			ws[k] == "caused" && ws[k+1] == "when":
			return true
		}
	}
	return false
}

// actNouns name an act that someone performs ("a change we made").
var actNouns = set("change", "changes", "deploy", "deployment", "deploys", "deployments",
	"release", "releases", "update", "updates", "migration", "script", "operation", "operations",
	"query", "job", "command", "maintenance", "upgrade", "configuration", "config", "code",
	"modification", "modifications", "mistake", "error", "tweak", "adjustment", "rollout",
	"push", "commit", "action", "actions", "decision", "work", "test",
	// operations we run by name
	"cleanup", "clean-up", "purge", "cutover", "switchover", "rotation", "renewal", "backfill",
	"reindex", "import", "sync", "task", "patch", "rewrite", "refactor")

// ownActNoun reports "a change (that) we made", "the script our team
// ran": an act noun whose agent is the company.
func ownActNoun(ws []string) (int, bool) {
	for i := 0; i+1 < len(ws); i++ {
		h := ws[i]
		named := actNouns[h]
		if !named && (len(h) < 4 || stopWords[h] || isPunct(h) || stepForms[h] != "" ||
			remedyWords[h] || remedyObjects[h] || strings.HasSuffix(h, "ly") || relativeFollowers[h] ||
			h == "once" || h == "because" || h == "unless" || h == "although" || h == "though" ||
			h == "whether" || h == "until" || h == "since") {
			continue
		}
		j := i + 1
		if ws[j] == "," && j+1 < len(ws) && ws[j+1] == "which" {
			j++ // "our cleanup job, which we wrote last month, …"
		}
		if ws[j] == "that" || ws[j] == "which" {
			j++
		}
		if j >= len(ws) {
			continue
		}
		end, ok := ownSubject(ws, j)
		if !ok || ws[j] != "we" && ws[j] != "i" && ws[j] != "our" {
			continue
		}
		for end < len(ws) && actAdverbs[ws[end]] {
			end++
		}
		if end >= len(ws) || !(actVerbs[ws[end]] || ws[end] == "did" || ws[end] == "wrote" || ws[end] == "built" || ws[end] == "run" || ws[end] == "operate" || ws[end] == "maintain" ||
			ws[end] == "published" || ws[end] == "authored" || ws[end] == "prepared" || ws[end] == "sent") {
			continue
		}
		if named {
			// "the fix we deployed" is not an act noun; "changes we
			// made to address …" are the remedy. The noun is the verb's
			// object: "a configuration change we made to the gateway".
			if ws[end] == "made" || ws[end] == "took" || ws[end] == "set" || ws[end] == "put" {
				if h == "decision" || h == "decisions" {
					return end, true // "a decision we made last year to run search and billing on one cluster"
				}
				if !remedyAfter(ws, end) {
					return end, true
				}
				continue
			}
			if !actObject(ws, end) && !mistakeAdverbs[ws[end]] {
				continue
			}
			return end, true
		}
		// Any other noun: the verb must lack its object, which the noun
		// is ("the mechanism I put in place … broke things"), not "…
		// disk we performed checks".
		f := ""
		if end+1 < len(ws) {
			f = ws[end+1]
		}
		if ws[end] == "put" && f == "in" && end+2 < len(ws) && ws[end+2] == "place" {
			return end, true
		}
		if f == "" || relativeFollowers[f] {
			if ws[end] == "rolled" || ws[end] == "turned" || ws[end] == "set" || ws[end] == "put" || ws[end] == "took" || ws[end] == "ended" || ws[end] == "made" || ws[end] == "did" || ws[end] == "began" || ws[end] == "started" {
				continue
			}
			return end, true
		}
	}
	return 0, false
}

// findVerbs after a mistake adverb are luck, not a mistake
// ("accidentally discovered the cause").
var findVerbs = set("discovered", "found", "noticed", "learned", "learnt", "came", "stumbled",
	"spotted", "uncovered", "realized", "realised", "identified", "saw")

// determiners before a mistake verb make it an adjective ("our
// misconfigured monitor").
var determiners = set("our", "the", "a", "an", "its", "their", "this", "that", "my", "these",
	"those", "any", "some", "his", "her")

// relativeFollowers may follow the verb of a relative clause whose
// object is the noun before it ("the script we ran on Tuesday deleted
// …").
var relativeFollowers = set(",", ")", "to", "in", "on", "at", "for", "with", "from", "into",
	"onto", "earlier", "yesterday", "today", "last", "recently", "previously", "had", "has",
	"was", "were", "is", "caused", "broke", "introduced", "triggered", "led", "resulted",
	"contained", "created", "made", "prevented", "blocked", "overloaded", "overwhelmed",
	"during", "that", "which", "this", "across", "against", "without", "before", "after",
	"inadvertently", "accidentally", "unexpectedly", "then", "also", "ended")

// compoundHeads continue an act noun into a thing ("our deployment
// pipeline", "our update process"), which is not an act.
var compoundHeads = set("pipeline", "pipelines", "process", "processes", "system", "systems",
	"tool", "tools", "tooling", "infrastructure", "service", "services", "team", "teams",
	"schedule", "window", "windows", "procedure", "procedures", "practices", "rate", "rates",
	"logs", "log", "budget", "budgets", "handling", "page", "pages", "message", "messages",
	"server", "servers", "platform", "mechanism", "mechanisms", "workflow", "workflows",
	"notes", "cadence", "policy", "policies", "strategy", "history", "tracking", "reporting")

// ownActPossessive reports "our deployment caused …", "caused by our
// recent release": an act noun with "our" as its owner and a harm told.
func ownActPossessive(ws []string) bool {
	for i := 0; i+2 < len(ws); i++ {
		// "a deploy of ours went out with a missing variable"
		if actNouns[ws[i]] && ws[i+1] == "of" && ws[i+2] == "ours" && harmAfter(ws, i+2) {
			return true
		}
	}
	for i := 0; i+1 < len(ws); i++ {
		if ws[i] != "our" {
			continue
		}
		j := i + 1
		for j < len(ws) && j <= i+3 && (ws[j] == "recent" || ws[j] == "latest" || ws[j] == "last" ||
			ws[j] == "own" || ws[j] == "code" || ws[j] == "configuration" || ws[j] == "config" ||
			ws[j] == "scheduled" || ws[j] == "planned" || ws[j] == "routine" || ws[j] == "new" ||
			// any noun modifier of the act: "our database upgrade", "our
			// DNS migration"
			j+1 < len(ws) && actNouns[ws[j+1]] && !actNouns[ws[j]] && !teamNouns[ws[j]] && !stopWords[ws[j]] &&
				!isPunct(ws[j]) && !determiners[ws[j]] && len(ws[j]) > 1 ||
			// a time: "our 14:05 deploy"
			ws[j] != "" && ws[j][0] >= '0' && ws[j][0] <= '9' || ws[j] == ":" && j > i+1 && ws[j-1] != "" && ws[j-1][0] >= '0' && ws[j-1][0] <= '9') {
			j++
		}
		if j >= len(ws) || !actNouns[ws[j]] || ws[j] == "work" || ws[j] == "test" || ws[j] == "action" || ws[j] == "actions" {
			continue
		}
		if j+1 < len(ws) && (compoundHeads[ws[j+1]] || actNouns[ws[j+1]] || teamNouns[ws[j+1]]) {
			continue
		}
		if i > 0 {
			if ws[i-1] == "to" {
				// "we've traced the outage to our own deploy"
				for m := 0; m+1 < i; m++ {
					switch ws[m] {
					case "traced", "attributed", "tied", "linked", "narrowed", "pinned", "tracked":
						for h := 0; h < i; h++ {
							if harmWords[ws[h]] {
								return true
							}
						}
					}
				}
			}
			switch ws[i-1] {
			case "to", "of", "in", "on", "for", "with", "from", "into", "across", "within",
				"at", "affecting", "impacting", "during", "throughout", "about", "reverted",
				"rolled", "paused", "halted", "stopped", "completed", "finished":
				continue
			case "by", "following", "after":
				// "caused by our release", "after our deployment"
				for m := 0; m < i; m++ {
					if harmWords[ws[m]] {
						return true
					}
				}
				continue
			}
		}
		if harmAfter(ws, j) {
			return true
		}
	}
	return false
}

// faultNouns after "our"/"my" own the failure ("our mistake").
var faultNouns = set("mistake", "mistakes", "fault", "oversight", "oversights", "blunder",
	"misstep", "missteps", "negligence", "misjudgment", "misjudgement", "screw-up")

// faultTails may follow "our error"/"our failure" when they are the
// company's fault, not its error rates or failure modes.
var faultTails = set("", ",", ":", "to", "and", "in", "here", "was", "is", "that", "which", "of", "on")

// responsibilityNouns are taken, accepted or borne.
var responsibilityNouns = set("responsibility", "ownership", "accountability", "blame")

// dutyVerbs after "we failed to" / "we did not" are a duty not met
// ("we did not catch", "we failed to anticipate"), unlike an impact
// ("we failed to process 128,000 deployments").
var dutyVerbs = set("catch", "notice", "detect", "anticipate", "foresee", "test", "realize",
	"realise", "verify", "validate", "check", "consider", "account", "follow", "properly",
	"adequately", "sufficiently", "plan", "communicate", "meet", "uphold", "live",
	"identify", "recognize", "recognise", "monitor", "review", "ensure", "prevent", "protect",
	"prepare", "fully", "correctly", "act", "respond", "escalate", "update", "inform", "notify",
	"provide", "deliver", "do", "have", "take", "apply", "set", "configure", "understand",
	"appreciate", "think", "cover", "spot", "foresee", "renew", "pay", "rotate", "extend",
	"back", "double-check", "double")

// ownStatement reports the direct forms of ownership in ws.
func ownStatement(ws []string) bool {
	n := len(ws)
	at := func(k int) string {
		if k >= 0 && k < n {
			return ws[k]
		}
		return ""
	}
	negatedBefore := func(k int) bool {
		for m := k - 1; m >= 0 && m >= k-3; m-- {
			if ws[m] == "not" || ws[m] == "no" || ws[m] == "n't" {
				return true
			}
		}
		return false
	}
	for i := 0; i < n; i++ {
		w := ws[i]
		if (w == "failure" || w == "failing" || w == "failings" || w == "shortcoming" || w == "lapse" || w == "breakdown") &&
			(at(i+1) == "of" || at(i+1) == "in") && at(i+2) == "our" && !negatedBefore(i) {
			// "a failure of our own processes", "a lapse in our review":
			// our way of working, not a system of ours that failed
			m := i + 3
			if at(m) == "own" || at(m) == "internal" || at(m) == "change" || at(m) == "deployment" || at(m) == "release" {
				m++
			}
			switch at(m) {
			case "process", "processes", "procedures", "procedure", "design", "planning", "testing",
				"review", "judgement", "judgment", "practices", "engineering", "operations", "controls",
				"oversight", "qa", "responsibility", "duty":
				return true
			}
		}
		if (w == "was" || w == "is") && at(i+1) == "us" && (i+2 >= n || isPunct(at(i+2)) || at(i+2) == "and" || at(i+2) == "not") && i > 0 && ws[i-1] != "to" && ws[i-1] != "for" {
			// "HE understood what was happening and how to fix it, the
			// delay was us"
			for m := i - 1; m >= 0 && m >= i-3; m-- {
				switch ws[m] {
				case "delay", "problem", "issue", "fault", "mistake", "error", "cause", "outage", "culprit", "it", "this", "that":
					return true
				}
			}
		}
		if (w == "limitation" || w == "limitations" || w == "weakness" || w == "weaknesses" || w == "shortcoming" ||
			w == "shortcomings" || w == "deficiency" || w == "deficiencies") &&
			(at(i+1) == "of" || at(i+1) == "in") && at(i+2) == "our" && !negatedBefore(i) {
			// "one of the known limitations of our deployment system",
			// "a flaw in our design": an owned limit of its own design
			return true
		}
		if (w == "we" || w == "i") && !negatedBefore(i) {
			// "we … caused a number of false alerts", "we implemented the
			// new certificate and failed to update the old one"
			other := false // another subject may have begun ("we know these outages have caused issues")
			for m := i + 1; m < n && m <= i+10; m++ {
				x := ws[m]
				if isPunct(x) || x == "that" || x == "which" || x == "when" || x == "if" || x == "after" || x == "because" || x == "but" || x == "to" && m > i+1 && ws[m-1] != "failed" || x == "it" || x == "they" || x == "this" ||
					findVerbs[x] || x == "what" || x == "who" || x == "how" || x == "why" || x == "whether" || x == "know" || x == "knew" || x == "think" || x == "believe" || x == "understand" || x == "see" || x == "hope" || x == "feel" || x == "realize" || x == "realise" {
					break
				}
				if determiners[x] {
					other = true
				}
				if !other && (x == "caused" || x == "causing") && at(m+1) != "by" && at(m+1) != "" && !negatedBefore(m) {
					return true // "we had not fully caught up and caused a number of false alerts"
				}
				if x == "and" && (at(m+1) == "failed" || at(m+1) == "forgot" || at(m+1) == "neglected") && (at(m+1) != "failed" || at(m+2) == "to") {
					return true
				}
			}
		}
		if mistakeAdverbs[w] && i+1 < n && (actVerbs[at(i+1)] || actVerbs[at(i+1)+"d"] || actVerbs[at(i+1)+"ed"] || isMistakeVerb(at(i+1))) {
			// "leave it to me to inadvertently delete the VPS root disk":
			// a mistake told next to the first person, not a passive
			// ("was inadvertently applied")
			if b := at(i - 1); b != "was" && b != "were" && b != "been" && b != "being" && b != "is" && b != "are" && b != "be" {
				for m := i - 1; m >= 0 && m >= i-4; m-- {
					if ws[m] == "me" || ws[m] == "us" || ws[m] == "i" || ws[m] == "we" {
						return true
					}
					if isPunct(ws[m]) {
						break
					}
				}
			}
		}
		if w == "ours" && at(i+1) == "to" && (at(i+2) == "own" || at(i+2) == "bear" || at(i+2) == "answer") {
			return true // "this outage is ours to own"
		}
		if w == "blame" && at(i+1) == "but" && (at(i+2) == "ourselves" || at(i+2) == "us" || at(i+2) == "myself" || at(i+2) == "me") {
			return true // "we have no one to blame but ourselves"
		}
		if (responsibilityNouns[w] || faultNouns[w] || w == "failure" || w == "fault") && !negatedBefore(i) {
			// "the blame for this lies squarely with us", "the
			// responsibility rests with me", "the fault is ours"
			for m := i + 1; m < n && m <= i+7; m++ {
				if isPunct(ws[m]) || ws[m] == "not" || ws[m] == "n't" || ws[m] == "but" {
					break
				}
				if (ws[m] == "with" || ws[m] == "on") && (at(m+1) == "us" || at(m+1) == "me") ||
					(ws[m] == "ours" || ws[m] == "mine") && m > 0 && (ws[m-1] == "is" || ws[m-1] == "was" || ws[m-1] == "entirely" || ws[m-1] == "squarely" || ws[m-1] == "solely") {
					return true
				}
			}
		}
		switch w {
		case "our", "my":
			k := i + 1
			if at(k) == "own" {
				k++
			}
			if faultNouns[at(k)] && !negatedBefore(i) {
				return true
			}
			if (at(k) == "error" || at(k) == "failure" || at(k) == "failing" || at(k) == "failings") &&
				faultTails[at(k+1)] && !negatedBefore(i) {
				return true
			}
		case "take", "takes", "took", "taking", "accept", "accepts", "accepted", "accepting",
			"bear", "bears", "assume", "assumes", "own", "owning":
			for k := i + 1; k <= i+3 && k < n; k++ {
				if responsibilityNouns[ws[k]] && !negatedBefore(i) {
					return true
				}
				if at(k) != "full" && at(k) != "complete" && at(k) != "total" && at(k) != "sole" &&
					at(k) != "the" && at(k) != "all" && at(k) != "100%" && at(k) != "entire" && at(k) != "ultimate" {
					break
				}
			}
		case "on":
			// "this is on us", "that was entirely on us"
			if (at(i+1) == "us" || at(i+1) == "me") && (at(i+2) == "" || isPunct(at(i+2)) || at(i+2) == "and") {
				for k := i - 1; k >= 0 && k >= i-3; k-- {
					if ws[k] == "is" || ws[k] == "was" || ws[k] == "'s" || ws[k] == "squarely" || ws[k] == "entirely" {
						return true
					}
				}
			}
		case "had":
			// "had we checked our alarm settings, we would have …"
			if at(i+1) == "we" && (i == 0 || isPunct(at(i-1))) {
				return true
			}
		}
		end, subj := ownSubject(ws, i)
		if !subj || w == "a" || w == "an" || w == "one" || w == "someone" || w == "somebody" {
			continue
		}
		if q := at(i - 1); q == "why" || q == "how" || q == "whether" || q == "if" || q == "what" {
			// "we'll figure out why we didn't detect the bug": a
			// question to answer, not an admission.
			continue
		}
		k := end
		for at(k) == "have" || at(k) == "'ve" || at(k) == "also" || at(k) == "simply" || at(k) == "clearly" || at(k) == "really" {
			k++
		}
		switch v := at(k); v {
		case "should", "ought":
			m := k + 1
			if at(m) == "never" || at(m) == "not" || at(m) == "n't" {
				m++ // "we should never have deployed on a Friday"
			}
			if at(m) == "have" || at(m) == "to" && at(m+1) == "have" {
				return true
			}
		case "missed", "obviously", "clearly":
			// "we obviously missed something", "we missed the warning"
			m := k
			if v != "missed" {
				m++
			}
			if at(m) == "missed" && (at(m+1) == "something" || at(m+1) == "it" || at(m+1) == "this" || at(m+1) == "the" || at(m+1) == "a" || at(m+1) == "that") {
				return true
			}
		case "could":
			if at(k+1) == "have" {
				switch at(k + 2) {
				case "done", "prevented", "avoided", "caught", "detected", "handled",
					"communicated", "responded", "acted", "tested", "anticipated", "been":
					return true
				}
			}
		case "failed", "neglected", "forgot", "omitted":
			if at(k+1) != "to" || dutyVerbs[at(k+2)] {
				if v != "failed" || at(k+1) != "over" {
					return true
				}
			}
		case "did", "do":
			m := k + 1
			if at(m) != "not" && at(m) != "n't" {
				break
			}
			m++
			if at(m) == "yet" {
				m++
			}
			if v == "do" && at(m) != "have" {
				break // "we do not anticipate …": a forecast, not a duty missed
			}
			if dutyVerbs[at(m)] && at(m) != "provide" && at(m) != "deliver" && at(m) != "update" &&
				at(m) != "have" && at(m) != "take" && at(m) != "set" && at(m) != "apply" && at(m) != "do" {
				return true
			}
			if at(m) == "do" && (at(m+1) == "enough" || at(m+1) == "a" && at(m+2) == "good") {
				return true // "we didn't do enough to …"
			}
			if at(m) == "have" {
				switch at(m + 1) {
				case "enough", "sufficient", "adequate", "proper", "the", "a", "an", "any", "appropriate":
					switch at(m + 2) {
					case "monitoring", "alerting", "alerts", "tests", "testing", "safeguards",
						"checks", "capacity", "visibility", "coverage", "redundancy", "right",
						"alert", "alarm", "alarms", "test", "check", "backup", "backups", "failover", "runbook":
						return true
					case "rollback", "recovery", "contingency", "disaster", "review", "staging", "canary", "plan", "procedure", "process":
						// "we did not have a rollback plan for the schema change"
						return true
					}
				}
			}
		case "made", "introduced", "caused", "created", "shipped":
			m := k + 1
			if at(m) == "a" || at(m) == "an" || at(m) == "some" || at(m) == "several" || at(m) == "this" || at(m) == "the" {
				m++
			}
			bad := false
			if at(m) == "serious" || at(m) == "big" || at(m) == "bad" || at(m) == "critical" || at(m) == "simple" || at(m) == "human" ||
				at(m) == "wrong" || at(m) == "poor" || at(m) == "careless" || at(m) == "hasty" {
				bad = at(m) == "bad" || at(m) == "wrong" || at(m) == "poor" || at(m) == "careless" || at(m) == "hasty"
				m++
			}
			switch at(m) {
			case "call", "decision", "decisions", "choice", "choices", "judgment", "judgement", "assumption":
				// "we made the wrong call", "we made a poor decision"
				if bad && v == "made" {
					return true
				}
			case "mistake", "mistakes", "error", "errors", "misjudgment", "misjudgement",
				"misconfiguration", "bug", "regression", "typo", "oversight", "outage":
				if !(at(m) == "errors" && v == "caused") {
					return true
				}
			}
		case "had":
			m := k + 1
			if at(m) == "not" || at(m) == "n't" || at(m) == "never" {
				// "we had not tested the failover in a year", "we had
				// never load-tested the endpoint"
				p := at(m + 1)
				if strings.HasSuffix(p, "tested") || strings.HasSuffix(p, "ed") && (dutyVerbs[strings.TrimSuffix(p, "ed")] || dutyVerbs[strings.TrimSuffix(p, "d")] || len(p) > 5 && dutyVerbs[p[:len(p)-3]]) {
					return true
				}
			}
			if at(m) == "a" || at(m) == "an" {
				m++
			}
			switch at(m) {
			case "bug", "misconfiguration", "typo", "regression", "oversight", "blind", "gap":
				return true
			}
		case "let":
			for m := k + 1; m <= k+9 && m < n && !isPunct(ws[m]); m++ {
				switch ws[m] {
				case "down", "lapse", "lapsed", "expire", "expired", "deplete", "run", "fill", "slip":
					// "we let you down", "we let the domain lapse"
					if ws[m] != "run" && ws[m] != "fill" || at(m+1) == "out" || at(m+1) == "up" {
						return true
					}
				}
			}
		case "fell", "fallen", "fall":
			if at(k+1) == "short" {
				return true
			}
		case "broke", "messed", "screwed", "dropped", "got":
			if v == "broke" || (v == "messed" || v == "screwed") && (at(k+1) == "up" || at(k+2) == "up" && (at(k+1) == "this" || at(k+1) == "it" || at(k+1) == "that")) ||
				v == "dropped" && at(k+1) == "the" && at(k+2) == "ball" ||
				v == "got" && (at(k+1) == "it" || at(k+1) == "this") && at(k+2) == "wrong" {
				return true
			}
		case "are", "'re", "am", "were", "was":
			m := k + 1
			if at(m) == "too" && (at(m+1) == "slow" || at(m+1) == "late") && v != "are" && v != "'re" && v != "am" {
				return true // "we were too slow to notice"
			}
			if at(m) == "fully" || at(m) == "entirely" || at(m) == "solely" || at(m) == "completely" || at(m) == "ultimately" {
				m++
			}
			if at(m) == "to" && at(m+1) == "blame" {
				return true
			}
			if (at(m) == "responsible" || at(m) == "accountable") && at(m+1) == "for" {
				switch at(m + 2) {
				case "this", "the", "it", "what", "that", "these", "our":
					switch at(m + 3) {
					case "providing", "ensuring", "maintaining", "running", "managing", "operating", "keeping",
						"own", "uptime", "availability", "service", "services", "platform", "infrastructure", "customers":
					default:
						return true
					}
				}
			}
		}
	}
	for i, w := range ws {
		switch w {
		case "apologize", "apologise", "apologies", "apology", "sorry":
			// "we apologize for causing a disruption", "sorry that we
			// allowed this to happen"
			for k := i + 1; k < n && k <= i+5; k++ {
				if ws[k] == "for" && (at(k+1) == "causing" || at(k+1) == "having" && at(k+2) == "caused" || at(k+1) == "letting" || at(k+1) == "breaking") {
					return true
				}
				if ws[k] == "that" && (at(k+1) == "we" || at(k+1) == "i") {
					switch at(k + 2) {
					case "allowed", "let", "caused", "broke", "failed", "introduced", "made":
						return true
					}
				}
			}
		case "allowed", "let":
			// "we allowed this to happen"
			if at(i-1) == "we" || at(i-1) == "i" || at(i-1) == "'ve" {
				if (at(i+1) == "this" || at(i+1) == "it" || at(i+1) == "that") && (at(i+2) == "happen" || at(i+2) == "to" && at(i+3) == "happen") {
					return true
				}
			}
		case "caused", "put":
			// "we caused you a lot of trouble", "we've put you in the
			// position of …"
			if at(i-1) == "we" || at(i-1) == "i" || at(i-1) == "'ve" && at(i-2) == "we" {
				switch at(i + 1) {
				case "you", "customers", "everyone":
					return true
				case "our", "many", "some":
					if at(i+2) == "customers" || at(i+2) == "users" || at(i+2) == "of" && at(i+3) == "you" {
						return true
					}
				}
			}
		case "oversight", "mistake", "failure", "blunder", "misstep":
			if w != "failure" && byStaff(ws, i) {
				return true
			}
			// "this was an oversight", "this is a clear failure on that
			// commitment"
			m := i - 1
			if at(m) == "clear" || at(m) == "major" || at(m) == "complete" || at(m) == "total" || at(m) == "serious" || at(m) == "big" || at(m) == "real" || at(m) == "huge" || at(m) == "significant" || at(m) == "simple" || at(m) == "careless" || at(m) == "human" {
				m--
			} else if w == "failure" {
				break
			}
			if at(m) == "a" || at(m) == "an" {
				m--
			}
			if (at(m) == "was" || at(m) == "is" || at(m) == "'s") && (at(m-1) == "this" || at(m-1) == "that" || at(m-1) == "it") {
				if t := at(i + 1); t == "" || isPunct(t) || t == "and" || t == "on" || t == "of" || t == "to" || t == "in" && at(i+2) == "our" {
					return true
				}
			}
		case "misconfiguration", "error", "errors", "mistakes":
			if byStaff(ws, i) {
				return true
			}
		case "realized", "realised", "noticed", "discovered":
			// "once I realized the mistake"
			if (at(i-1) == "i" || at(i-1) == "we") && (at(i+1) == "the" || at(i+1) == "my" || at(i+1) == "our") && (at(i+2) == "mistake" || at(i+2) == "error" || at(i+2) == "typo") {
				return true
			}
		}
	}
	// "the failure was ours", "the mistake is entirely ours"
	for i := 0; i+2 < n; i++ {
		if (ws[i] == "failure" || ws[i] == "fault" || ws[i] == "mistake" || ws[i] == "error" || ws[i] == "responsibility" || ws[i] == "blame" || ws[i] == "this" && i+1 < n && ws[i+1] == "was" ||
			actNouns[ws[i]] || ws[i] == "cause") && (ws[i+1] == "was" || ws[i+1] == "is" || ws[i+1] == "lies") {
			// "the failure was ours", "the change that caused this was ours"
			m := i + 2
			if m < n && (ws[m] == "all" || ws[m] == "entirely" || ws[m] == "solely" || ws[m] == "completely" || ws[m] == "with") {
				m++
			}
			if m < n && (ws[m] == "ours" || ws[m] == "mine" || ws[m] == "us" && ws[m-1] == "with") {
				return true
			}
		}
	}
	for i := 0; i+1 < n; i++ {
		w := ws[i]
		switch {
		case (w == "fell" || w == "falls" || w == "fall" || w == "fallen") && (ws[i+1] == "short" || ws[i+1] == "below"):
			// "this one … fell short of our standards", "this falls
			// below the standard … we wish to provide"
			for m := i + 2; m < n && m <= i+6; m++ {
				if ws[m] == "standard" || ws[m] == "standards" || ws[m] == "expectations" || ws[m] == "bar" || ws[m] == "commitment" || ws[m] == "promise" {
					return true
				}
			}
		case (w == "should" || w == "could") && ws[i+1] == "have" && i > 0 && (ws[i-1] == "we" || ws[i-1] == "i" || ws[i-1] == "it") &&
			(i+2 == n || isPunct(ws[i+2]) || ws[i+2] == "and" || ws[i+2] == "but"):
			// "we did not reroute as fast as we could have", "our
			// monitoring did not detect a problem when it should have"
			return true
		case w == "should" && ws[i+1] == "have" && i+2 < n && (ws[i+2] == "been" || ws[i+2] == "gone" || ws[i+2] == "had" || ws[i+2] == "caught" || ws[i+2] == "included" || ws[i+2] == "required") && thingSubject(ws, i):
			// "this tool should have gone through a more stringent
			// review", "the change should have been caught"
			return true
		case (w == "was" || w == "is") && i+2 < n && (ws[i+1] == "a" || ws[i+1] == "an") && (ws[i+2] == "mistake" || ws[i+2] == "error" || ws[i+2] == "oversight") && actSubject(ws, i):
			// "in hindsight, rolling out to every region at once was a
			// mistake", "our decision to skip the canary was a mistake"
			return true
		case (w == "preventable" || w == "avoidable") && i > 0 && !negatedAt(ws, i):
			// "the failure was entirely preventable", "this was avoidable"
			for m := i - 1; m >= 0 && m >= i-3; m-- {
				if ws[m] == "was" || ws[m] == "is" || ws[m] == "'s" {
					return true
				}
			}
		case (w == "lacked" || w == "lack") && i > 0 && (ws[i-1] == "we" || ws[i-1] == "i"):
			return true // "we lacked the ability to reroute quickly"
		case ourFlaw(ws, i):
			return true
		case (w == "disrupted" || w == "impacted" || w == "inconvenienced" || w == "failed") && i > 0 && (ws[i-1] == "we" || ws[i-1] == "i") &&
			(ws[i+1] == "you" || ws[i+1] == "the" || ws[i+1] == "many" || ws[i+1] == "our" || ws[i+1] == "customers" || ws[i+1] == "users" || ws[i+1] == "thousands"):
			// "we disrupted the majority of our customers", "we failed you"
			if w != "failed" || ws[i+1] == "you" || ws[i+1] == "our" || ws[i+1] == "customers" || ws[i+1] == "users" {
				return true
			}
		case (w == "due" && ws[i+1] == "to" || w == "by" || w == "from") && i+2 < n && misjudging[ws[i+2-btoi(w != "due")]]:
			return true // "due to underestimating the time …"
		}
	}
	// "I personally was able to amount to 51 minutes of downtime"
	for i := 0; i+1 < n; i++ {
		if (ws[i] == "i" || ws[i] == "we") && (ws[i+1] == "personally" || ws[i+1] == "myself" || ws[i+1] == "ourselves") && harmAfterStrict(ws, i+1, false) {
			return true
		}
	}
	// "we rotated the keys but forgot to update …", "an engineer
	// responded, but misdiagnosed the problem"
	for i, w := range ws {
		if i > 0 && (ws[i-1] == "was" || ws[i-1] == "were" || ws[i-1] == "been" || ws[i-1] == "being" || ws[i-1] == "is" || ws[i-1] == "are") {
			continue // "accounts were mistakenly flagged": a passive
		}
		if mistakeAdverbs[w] && i+1 < len(ws) && findVerbs[ws[i+1]] {
			continue // "accidentally discovered the root cause"
		}
		if w == "forgot" || w == "neglected" || mistakeAdverbs[w] || isMistakeVerb(w) && i > 0 && !determiners[ws[i-1]] {
			for k := i - 1; k >= 0 && k >= i-12; k-- {
				if _, ok := ownSubject(ws, k); ok {
					return true
				}
			}
		}
	}
	// "the bug was introduced by one of our engineers", "a change made
	// by our team broke …": a passive whose agent is the company.
	for i := 1; i+2 < n; i++ {
		if ws[i] != "by" || !(actVerbs[ws[i-1]] || ws[i-1] == "caused" || ws[i-1] == "written" || ws[i-1] == "introduced" || isMistakeVerb(ws[i-1])) {
			continue
		}
		if ws[i+1] == "us" || ws[i+1] == "me" {
			if harmIn(ws) {
				return true
			}
			continue
		}
		if ws[i+1] == "our" && !(teamNouns[ws[i+2]] || i+3 < n && ownTeams[ws[i+2]] && teamNouns[ws[i+3]]) {
			continue // "by our data center operators": a supplier's people
		}
		if end, ok := ownSubject(ws, i+1); ok && (ws[i+1] != "the" && ws[i+1] != "a" && ws[i+1] != "an" || staffNouns[ws[end-1]] || ws[end-1] == "team") {
			if harmIn(ws) || isMistakeVerb(ws[i-1]) {
				return true
			}
		}
	}
	// "an error on our part", "human error on our side"
	for i := 0; i+2 < n; i++ {
		if (ws[i] == "on" || ws[i] == "from") && ws[i+1] == "our" && (ws[i+2] == "part" || ws[i+2] == "side" || ws[i+2] == "end") {
			for k := i - 1; k >= 0 && k >= i-3; k-- {
				if ws[k] == "error" || ws[k] == "mistake" || ws[k] == "oversight" || ws[k] == "misconfiguration" || ws[k] == "fault" || ws[k] == "failure" {
					return true
				}
			}
		}
	}
	return false
}

// ownSentence reports whether sentence i owns the failure by its
// structure (the next sentence may tell the harm of its act).
func ownSentence(d *doc, i int) bool {
	s := d.sentences[i].lower
	if _, ok := d.has(s, denials); ok {
		return false
	}
	ws := d.words(i)
	var next []string
	nextLower := ""
	if i+1 < len(d.sentences) {
		next, nextLower = d.words(i+1), d.sentences[i+1].lower
	}
	if ownStatement(ws) {
		return true
	}
	return ownActHarm(d, ws, nextLower, next, true, d.joined(i))
}

// ownActHarm reports an act of the company whose harm the sentence (or
// the next, referring back) tells: a concrete cause as well as
// ownership. With mistakes, an act done wrongly counts without a harm
// told ("we accidentally deleted a table"): ownership, not yet a cause.
func ownActHarm(d *doc, ws []string, next string, nextWs []string, mistakes, joined bool) bool {
	if subj, verb, mistake, ok := ownAct(ws); ok {
		if joined && nextWs != nil && harmIn(nextWs) {
			// "we lowered the timeout to 1 second; requests began
			// failing": a clause after a semicolon goes on the act's
			// sentence.
			return true
		}
		if mistake && mistakes || harmAfterStrict(ws, verb, mistakes) || causedBefore(ws, subj) {
			return true
		}
		if next != "" && hasPrefixAny(next, backReferences) {
			if _, ok := d.has(next, causalMarkers); ok {
				return true
			}
		}
		if next != "" && (backReference(nextWs) || refersBack(nextWs, objectWords(ws, verb))) && harmIn(nextWs) {
			return true
		}
	}
	if end, ok := ownActNoun(ws); ok {
		for k := 0; k+1 < end; k++ {
			// "this was caused by a change I made"
			if (ws[k] == "caused" || ws[k] == "triggered") && ws[k+1] == "by" || ws[k] == "due" && ws[k+1] == "to" || ws[k] == "result" && ws[k+1] == "of" ||
				(ws[k] == "related" || ws[k] == "traced" || ws[k] == "attributed" || ws[k] == "back") && ws[k+1] == "to" || ws[k] == "because" && ws[k+1] == "of" {
				// "… determined it was related to the unifying code we
				// deployed"
				return true
			}
		}
		for k := end + 1; k < len(ws); k++ {
			// the harm after the act ("a change we made … caused the
			// errors"), not before it ("the main issues and changes we
			// made")
			if harmWords[ws[k]] && !deniedAt(ws, k) || mistakeAt(ws, k) {
				return true
			}
		}
	}
	return ownActPossessive(ws)
}

// objectWords are the content words of the object of the act at v
// ("a manual query against one of the sharded databases" → query,
// sharded, databases), by which a later sentence may refer back to it.
func objectWords(ws []string, v int) []string {
	out := actNominals[ws[v]]
	for k := v + 1; k < len(ws) && k <= v+8; k++ {
		w := ws[k]
		if isPunct(w) || w == "which" || w == "that" || w == "and" {
			break
		}
		if len(w) >= 4 && !stopWords[w] {
			out = append(out, w)
		}
	}
	return out
}

var stopWords = set("with", "from", "into", "onto", "over", "under", "about", "against", "across",
	"between", "their", "there", "these", "those", "this", "that", "some", "other", "another",
	"several", "many", "more", "most", "also", "just", "only", "then", "when", "while", "after",
	"before", "during", "because", "they", "them", "what", "which", "where", "were", "have",
	"been", "being", "will", "would", "could", "should", "system", "systems", "service",
	"services", "production", "issue", "issues", "time", "data")

// actNominals name the act of a verb, by which a later sentence refers
// back to it ("we deployed a release … In this deployment …").
var actNominals = map[string][]string{
	"deployed": {"deployment", "deploy"}, "deploying": {"deployment", "deploy"},
	"migrated": {"migration"}, "migrating": {"migration"}, "upgraded": {"upgrade", "version"},
	"upgrading": {"upgrade", "version"}, "updated": {"update", "version"}, "updating": {"update", "version"},
	"released": {"release"}, "rolled": {"rollout"}, "changed": {"change"},
	"pushed": {"push", "change"}, "shipped": {"release", "change"}, "applied": {"change"},
	"introduced": {"change"}, "made": {"change"}, "initiated": {"operation"},
	"performed": {"operation", "maintenance"}, "ran": {"job", "script", "query"},
	"executed": {"script", "query", "command"}, "rotated": {"rotation"},
	"cleaned": {"cleanup"}, "removed": {"removal"}, "deleted": {"deletion"},
	"configured": {"configuration"}, "reconfigured": {"configuration"}, "set": {"setting"},
	"restarted": {"restart"}, "rebooted": {"reboot"}, "scheduled": {"maintenance"},
}

// refersBack reports a sentence that opens with "this/that/the/these" and
// one of the act's object words ("This query caused …").
func refersBack(ws, obj []string) bool {
	// "As part of this change, a bad deployment … resulted in …", "…
	// rejected their requests due to a bug in the changed code": the
	// reference may come later in the next sentence's opening words.
	for m := 0; m+1 < len(ws) && m <= 24; m++ {
		switch ws[m] {
		case "this", "that", "these":
			if m > 8 {
				continue
			}
			for n := m + 1; n < len(ws) && n <= m+3; n++ {
				if actNouns[ws[n]] && ws[n] != "work" && ws[n] != "action" && ws[n] != "actions" && ws[n] != "test" && ws[n] != "error" && ws[n] != "mistake" {
					for _, o := range obj {
						if strings.TrimSuffix(ws[n], "s") == strings.TrimSuffix(o, "s") {
							return true
						}
					}
				}
			}
		case "the":
			// "the changed code", "the updated configuration"
			if n := ws[m+1]; (n == "changed" || n == "updated" || n == "modified" || n == "migrated" || n == "deployed") && m+2 < len(ws) && (actNouns[ws[m+2]] || ws[m+2] == "code" || ws[m+2] == "version" || ws[m+2] == "logic") {
				return true
			}
		}
	}
	k := 0
	if k < len(ws) && (ws[k] == "however" || ws[k] == "unfortunately" || ws[k] == "but") {
		k++
		if k < len(ws) && ws[k] == "," {
			k++
		}
	}
	if k < len(ws) && (ws[k] == "in" || ws[k] == "during" || ws[k] == "with" || ws[k] == "after") {
		k++ // "in this deployment, …"
	}
	if k >= len(ws) || ws[k] != "this" && ws[k] != "that" && ws[k] != "the" && ws[k] != "these" {
		return false
	}
	for m := k + 1; m < len(ws) && m <= k+4; m++ {
		for _, o := range obj {
			if ws[m] == o || strings.TrimSuffix(ws[m], "s") == strings.TrimSuffix(o, "s") {
				return true
			}
		}
	}
	return false
}

// backReference reports a sentence that opens by referring to the act
// just told: "this job blocked …", "during the upgrade, an error
// occurred", "it broke …".
func backReference(ws []string) bool {
	if len(ws) < 2 {
		return false
	}
	k := 0
	if ws[0] == "however" || ws[0] == "unfortunately" || ws[0] == "but" {
		k++
		if ws[k] == "," {
			k++
		}
	}
	if k >= len(ws) {
		return false
	}
	switch ws[k] {
	case "it", "this", "that", "these", "those":
		return true
	case "shortly", "soon", "immediately", "moments", "minutes", "seconds", "within", "almost",
		"consequently", "subsequently", "as":
		// "Shortly after, users began seeing login failures", "As a
		// result, …": what followed the act.
		return consequenceOpen(ws[k:])
	case "during", "after", "following":
		return k+2 < len(ws) && (ws[k+1] == "the" || ws[k+1] == "this" || ws[k+1] == "that") && actNouns[ws[k+2]]
	case "the":
		return k+1 < len(ws) && actNouns[ws[k+1]]
	}
	return false
}

// remedyVerbs end the search for a harm: what follows them was remedied.
var remedyVerbs = set("fix", "fixes", "fixed", "resolve", "resolves", "resolved", "address",
	"addresses", "addressed", "mitigate", "mitigates", "mitigated", "restore", "restored",
	"recover", "recovered", "remediate", "remediated", "alleviated", "cleared")

// consequenceOpen reports a sentence that opens with what followed the
// act just told: "shortly after(wards)", "soon after", "immediately",
// "minutes later", "within minutes", "as a result", "consequently".
func consequenceOpen(ws []string) bool {
	at := func(m int) string { return wordAt(ws, m) }
	switch ws[0] {
	case "shortly", "soon":
		return at(1) == "after" || at(1) == "afterwards" || at(1) == "afterward" || at(1) == "thereafter"
	case "immediately", "consequently", "subsequently":
		return at(1) == "," || at(1) == "after" || at(1) == "afterwards"
	case "almost":
		return at(1) == "immediately"
	case "moments", "minutes", "seconds":
		return at(1) == "later" || at(1) == "after"
	case "within":
		return at(1) == "minutes" || at(1) == "seconds" || at(1) == "an" && at(2) == "hour" || at(2) == "minutes"
	case "as":
		return at(1) == "a" && at(2) == "result"
	}
	return false
}

// harmIn reports a harm told in ws, not denied ("without issues", "no
// errors").
func harmIn(ws []string) bool {
	for k, w := range ws {
		if remedyVerbs[w] {
			return false // "This resolved some of the errors"
		}
		if harmWords[w] && !deniedAt(ws, k) || mistakeAt(ws, k) {
			return true
		}
	}
	return false
}

// recoveryWords after a harm word tell its end, not its cause ("error
// rates have returned to normal").
var recoveryWords = set("returned", "recovered", "normal", "subsided", "resolved", "decreased",
	"dropped", "improved", "cleared", "receded", "stabilized", "stabilised", "disappeared")

// deniedAt reports a harm word at k that is denied ("without any
// impact", "no errors", "minimal impact"), told as ending ("error rates
// returned to normal") or as caused by something else ("caused by their
// network").
func deniedAt(ws []string, k int) bool {
	if k+1 < len(ws) && ws[k+1] == "over" && (ws[k] == "fail" || ws[k] == "failed" || ws[k] == "failing") {
		return true // "fail over" is a remedy
	}
	for m := k + 1; m < len(ws) && m <= k+4; m++ {
		if recoveryWords[ws[m]] {
			return true
		}
	}
	for m := k; m < len(ws) && m <= k+6; m++ {
		// "caused by their network", "today's outage was caused by …",
		// "failed today when the provider's network went down"
		if m+1 < len(ws) && ws[m+1] == "by" && (ws[m] == "caused" || ws[m] == "triggered") && m <= k+3 ||
			m+1 < len(ws) && ws[m] == "due" && ws[m+1] == "to" && m > k ||
			m > k && m+1 < len(ws) && (ws[m] == "when" || ws[m] == "because" || ws[m] == "after") && externalAgent(ws[m+1:]) {
			return true
		}
	}
	for m := k - 1; m >= 0 && m >= k-2; m-- {
		switch ws[m] {
		case "without", "no", "not", "any", "minimal", "zero", "n't", "never":
			return true
		}
	}
	return false
}

// byStaff reports a mistake at ws[i] made by the company's own people:
// "a misconfiguration … by Google operators", "a mistake by a
// developer", "an error by one of our engineers".
func byStaff(ws []string, i int) bool {
	for k := i + 1; k < len(ws) && k <= i+8; k++ {
		if ws[k] == "by" {
			for m := k + 1; m < len(ws) && m <= k+4; m++ {
				if staffNouns[ws[m]] || teamNouns[ws[m]] && ws[m] != "people" && ws[m] != "member" && ws[m] != "members" {
					return true
				}
			}
			return false
		}
	}
	return false
}

// externalAgent reports words that open with someone else as the agent
// ("the provider's network went down", "their upstream failed").
func externalAgent(ws []string) bool {
	for k := 0; k < len(ws) && k < 3; k++ {
		switch strings.TrimSuffix(ws[k], "'s") {
		case "provider", "providers", "vendor", "vendors", "upstream", "third-party", "isp",
			"their", "partner", "partners", "carrier", "registrar", "supplier", "host", "hosting":
			return true
		case "we", "i", "our":
			return false
		}
	}
	return false
}

// joined reports sentence i cut at a semicolon: the next goes on it.
func (d *doc) joined(i int) bool {
	return i+1 < len(d.sentences) && strings.HasSuffix(d.sentences[i].orig, ";")
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// misjudging are gerunds of a misjudgement, whose agent is the company
// that tells it ("due to underestimating the need …").
var misjudging = set("underestimating", "overestimating", "misjudging", "miscalculating",
	"misconfiguring", "misreading", "misinterpreting", "misunderstanding", "overlooking",
	"neglecting", "forgetting")

// flawPredicates after "our X is/was not" or "our X did not" own a limit
// of the company's design ("our infrastructure is not resilient to a
// full outage", "our integration did not contain the right safeguards").
var flawPredicates = set("resilient", "robust", "redundant", "sufficient", "sufficiently", "enough",
	"adequate", "adequately", "designed", "prepared", "built", "sized", "equipped", "ready",
	"have", "contain", "include", "scale")

// ourFlaw reports "our <thing> (is|was|were|did|does) not <flaw
// predicate>" at ws[i] == "our".
func ourFlaw(ws []string, i int) bool {
	if ws[i] != "our" {
		return false
	}
	if i+1 < len(ws) && externalAgent(ws[i+1:i+2]) {
		return false // "our provider's network did not have …"
	}
	for k := i + 2; k < len(ws) && k <= i+6; k++ {
		w := ws[k]
		if isPunct(w) || w == "'s" || k == i+2 && externalAgent(ws[i+1:i+2]) {
			return false // "our partner's procedures did not …"
		}
		switch w {
		case "is", "was", "were", "are", "did", "does", "do", "has", "had":
			m := k + 1
			if m < len(ws) && (ws[m] == "not" || ws[m] == "n't") {
				m++
				if m < len(ws) && (ws[m] == "been" || ws[m] == "properly" || ws[m] == "fully") {
					m++
				}
				return m < len(ws) && flawPredicates[ws[m]]
			}
			return false
		}
	}
	return false
}

// notActs are past verbs of perceiving, responding or suffering, not
// acts that change production ("we noticed", "we experienced").
var notActs = set("noticed", "observed", "saw", "seen", "detected", "identified", "investigated",
	"discovered", "found", "learned", "experienced", "encountered", "received", "suffered",
	"confirmed", "determined", "realized", "realised", "believed", "expected", "assumed",
	"thought", "knew", "monitored", "mitigated", "resolved", "fixed", "restored", "recovered",
	"reverted", "escalated", "alerted", "notified", "contacted", "engaged", "paged", "opened",
	"continued", "worked", "waited", "traced", "analyzed", "analysed", "tracked", "narrowed",
	"needed", "wanted", "hoped", "apologized", "apologised", "regretted", "had", "were", "was",
	"did", "used", "failed", "declared", "communicated", "posted", "updated", "informed",
	"reached", "asked", "requested", "attempted", "tried", "decided", "began", "started",
	"called", "spent", "got", "became", "seemed", "appeared", "rolled", "moved", "looked",
	"watched", "verified", "validated", "tested", "checked", "reviewed", "managed", "able",
	"unable", "handled", "responded", "reacted", "diagnosed", "worked", "scaled", "added",
	"increased", "deployed", "rebooted", "restarted")

// pastAct reports a past verb that may be an act of the company.
func pastAct(v string) bool {
	if notActs[v] || len(v) < 5 {
		return false
	}
	return strings.HasSuffix(v, "ed")
}

// causalLink reports that the clause of the verb at v says it caused
// harm: ", causing", "which caused", "and caused", "leading to",
// "resulting in", "that broke".
func causalLink(ws []string, v int) bool {
	for k := v + 1; k < len(ws) && k <= v+14; k++ {
		w := ws[k]
		if contrastWords[w] || purposeAt(ws, k) {
			return false
		}
		switch w {
		case "causing", "caused", "broke", "breaking":
			if k+1 < len(ws) && ws[k+1] == "by" {
				return false
			}
			if w == "caused" && ws[k-1] != "which" && ws[k-1] != "that" && ws[k-1] != "and" && ws[k-1] != "," {
				continue
			}
			return !deniedAt(ws, k) && harmNear(ws, k)
		case "leading", "resulting", "led", "resulted":
			if k+1 < len(ws) && (ws[k+1] == "to" || ws[k+1] == "in") {
				return !deniedAt(ws, k) && harmNear(ws, k+1)
			}
		}
	}
	return false
}

// harmNear reports a harm in the words after a causal verb at k,
// before any purpose ("which caused lb01 to detect the failure and take
// over" tells a remedy working).
func harmNear(ws []string, k int) bool {
	for m := k + 1; m < len(ws) && m <= k+10; m++ {
		if purposeAt(ws, m) || fixedVerbs[ws[m]] {
			return false
		}
		if harmWords[ws[m]] && !deniedAt(ws, m) || ws[m] == "down" || ws[m] == "invalidated" || ws[m] == "deleted" || ws[m] == "removed" || ws[m] == "unable" {
			return true
		}
	}
	return false
}

// thingSubject reports that the subject before ws[i] is our own thing
// or act ("this tool", "the change", "our deploy"), not someone else's.
func thingSubject(ws []string, i int) bool {
	for k := i - 1; k >= 0 && k >= i-4; k-- {
		switch ws[k] {
		case "this", "that", "these", "our":
			return !externalAgent(ws[k:i])
		case ",", "the", "provider", "vendor", "they", "their", "'s":
			return false
		}
	}
	return false
}

// actSubject reports a subject before ws[i] that is an act of ours: a
// gerund of an act verb opening the clause ("rolling out to every
// region at once"), or "our decision/choice to …".
func actSubject(ws []string, i int) bool {
	start := 0
	for k := i - 1; k >= 0; k-- {
		if ws[k] == "," {
			start = k + 1
			break
		}
	}
	if start >= i {
		return false
	}
	f := ws[start]
	if gerundActs[f] || strings.HasSuffix(f, "ing") && (actVerbs[strings.TrimSuffix(f, "ing")+"ed"] || actVerbs[strings.TrimSuffix(f, "ing")+"d"]) || f == "skipping" || f == "rushing" {
		return true
	}
	return f == "our" && start+1 < i && (ws[start+1] == "decision" || ws[start+1] == "choice" || ws[start+1] == "call")
}

// wrongObject reports an act done to the wrong thing, in the act's own
// clause: "uploaded the new certificate to the wrong pool", "ran the
// script against production instead of staging".
func wrongObject(ws []string, v int) bool {
	for k := v + 1; k < len(ws) && k <= v+10; k++ {
		if isPunct(ws[k]) || contrastWords[ws[k]] || purposeAt(ws, k) {
			return false
		}
		switch ws[k] {
		case "wrong", "incorrect", "instead", "mistakenly", "accidentally", "incorrectly", "wrongly", "erroneously":
			return true
		}
	}
	return false
}

// omissionAt reports an omission told at k: "forgot to", "failed to",
// "neglected to", "did not / didn't / never <verb>".
func omissionAt(ws []string, k int) bool {
	if k < len(ws) && (ws[k] == "we" || ws[k] == "i") {
		k++
	}
	if k >= len(ws) {
		return false
	}
	switch ws[k] {
	case "forgot", "neglected", "omitted", "never":
		return true
	case "failed":
		return k+1 < len(ws) && ws[k+1] == "to"
	case "did", "had":
		return k+1 < len(ws) && (ws[k+1] == "not" || ws[k+1] == "n't" || ws[k+1] == "never")
	}
	return false
}

// negatedAt reports a negation in the three words before k.
func negatedAt(ws []string, k int) bool {
	for m := k - 1; m >= 0 && m >= k-3; m-- {
		if ws[m] == "not" || ws[m] == "n't" || ws[m] == "never" {
			return true
		}
	}
	return false
}

// wordAt is ws[m], or "" past the end of the words.
func wordAt(ws []string, m int) string {
	if m < len(ws) {
		return ws[m]
	}
	return ""
}
