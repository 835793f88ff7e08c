package classify

import "strings"

// causeAfter are connectives followed by the cause: "caused by X",
// "due to X", "the root cause was X".
var causeAfter = newPhrases(
	"caused by ", "caused due to ", "due to ", "result of ", "resulted from ", "triggered by ",
	"stemmed from ", "stems from ", "because of ", "because ", "owing to ", "attributed to ",
	"root cause was ", "root cause is ", "root cause to be ", "root cause of this incident was ",
	"root cause of the incident was ", "root cause of this outage was ", "root cause: ",
	"cause was ", "cause of this outage was ", "cause: ", "traced the issue to ",
	"traced this issue to ", "traced this to ", "traced the problem to ", "traced it to ", "traced to ", "pointed to ", "culprit was ", "following a ",
	"determined that ", "discovered that ", "detected that ", "found that ", "uncovered that ",
	"reason is that ", "reason was that ", "reason for this was ", "reason for this is ",
	"we identified ", "identified as ",
	// The same, in other words: "identified to be a bug", "coming from
	// database contention", "the problem is a networking issue with our
	// upstream vendor".
	"identified to be ", "determined to be ", "confirmed to be ",
	"coming from ", "stemming from ", "originating from ", "originated from ", "as a result of ",
	"attributable to ", "combination of ", "after a period of ", "problem is a ", "problem was a ",
	"problem is an ", "problem was an ", "issue was a ", "issue is a ", "cause of this is ",
	"cause of this was ", "cause of the issue was ", "cause of the issue is ",
	"cause of the problem was ", "cause of the problem is ", "cause of the outage was ",
	"cause of the outage is ", "cause of the incident was ", "cause of the incident is ",
	"cause of this incident is ", "caused when ", "following our ",
)

// causeBefore are connectives preceded by the cause: "X caused Y".
var causeBefore = newPhrases(
	" caused ", " causes ", " causing ", " led to ", " leading to ", " resulted in ",
	" resulting in ", " triggered ", " made them ", " made it ", " inadvertently ",
	" accidentally ", " unintentionally ",
	// Verbs of harm with the cause as their subject: "the changes
	// prevented packets from reaching …", "the temp files also
	// interfered with the write-ahead log".
	" prevented ", " broke ", " took down ", " brought down ", " interfered with ",
	" exhausted ", " contributed to ", " knocked out ", " overwhelmed ", " overloaded ",
	" deleted ", " wiped ",
)

// causeInline are phrases that state a concrete cause by themselves.
var causeInline = newPhrases(
	"introduced a bug", "contained a bug", "a bug in ", "faulty ", "overwhelmed", "overloaded",
	"overloading", "overwhelming", "for maintenance", "for scheduled maintenance",
	"ddos attack", "dos attack", "denial of service attack", "denial-of-service attack",
	"distributed denial of service", "attacked by", "attack was launched", "under attack", "hackers attack",
	"hacker attack", "under a ddos",
	"ran out of space", "ran out of disk", "out of disk space",
	"out of memory", "memory leak", "disk filled", "disk was full", "disk full",
	"hardware failure", "power outage", "power failure", "power loss", "loss of power", "fiber cut", "fibre cut",
	"the attack", "an attack", "brute force", "resource exhaustion", "connection exhaustion",
	"a typo", "spike in traffic", "traffic spike", "surge in traffic", "traffic surge",
	"problematic deploy", "bad deploy", "bad config", "bad configuration", "bad release",
)

// mechanisms are the words that make a cause concrete: a change, a
// deployment, a configuration, a provider, hardware, load, … A cause
// without one ("an issue", "a problem", "internal errors") says nothing.
// The first ones say what happened; the components (a database, a
// server, a link) say where, and after "an issue with" only what
// happened counts ("an issue with a Redis dependency" is still vague).
var strongMechanisms = newPhrases(
	"change", "deploy", "config", "bug", "provider", "upstream", "third party",
	"third-party", "vendor", "supplier", "isp", "hardware", "credential", "certificate",
	"fiber", "power", "outage", "migration", "upgrade", "maintenance", "rollout",
	"roll out", "rollback", "release", "feature flag", "spam", "removal", "delet",
	"cleanup", "overload", "spike", "surge", "influx", "load", "traffic", "capacity",
	"script", "operator", "human error", "contention", "parameter", "api call",
	"number of requests", "attack", "ddos", "expired", "quota", "limit", "faulty",
	"corrupt", "memory", "cpu", "utilization", "partner", "bulk", "system update",
	"software update", "planned update", "cloud", "aws", "amazon", "azure", "google",
)

// vagueHeads open a cause that names only a place ("an issue with …").
var vagueHeads = []string{"an issue", "a problem", "issues", "problems", "an error", "errors", "some issues", "operational issues", "technical issues", "technical difficulties"}

var mechanisms = newPhrases(
	"change", "deploy", "config", "bug", "provider", "upstream", "third party",
	"third-party", "vendor", "supplier", "isp", "hardware", "disk", "server", "node",
	"database", "load", "traffic", "capacity", "credential", "certificate", "dns",
	"network", "link", "route", "routing", "fiber", "power", "outage", "failure in",
	"migration", "upgrade", "maintenance", "rollout", "roll out", "rollback", "release",
	"feature flag", "memory", "cpu", "utilization", "query", "backlog", "spam", "removal",
	"delet", "cleanup", "cache", "overload", "spike", "surge", "job", "task", "partition",
	"script", "operator", "human error", "code", "software", "infrastructure", "storage",
	"data", "contention", "ip address", "parameter", "api call", "number of requests", "influx", "attack",
	"ddos", "datacenter", "data center", "cluster", "pipeline", "dependenc", "library",
	"expired", "quota", "limit", "partner", "bulk", "system update", "software update",
	"planned update", "timeout", "time out", "timed out", "exhaust", "flaw", "vulnerab",
	"queries", "file", "index", "lock", "leak", "scaling", "autoscal", "reboot",
	"restart", "crash", "corrupt", "hosting", "cdn", "registrar", "backup", "cron", "queue",
	"worker", "throttl", "rate limit", "firewall", "router", "switch", "load balanc", "proxy",
	"contention", "spike", "attack", "compatib", "version", "high volume", "volume of", "typo",
	"an update ", "the update ", "recent update", "code update", "mismatch",
)

// tentatives mark a cause that is guessed, sought or denied, not stated.
var tentatives = newPhrases(
	"suspect", "may be the cause", "may have been", "might", "potential ", "potentially caus",
	"potentially related", "potentially due", "possibl",
	"likely", "appears to", "seems", "we believe ", "we believe,", "not yet identified", "not yet known",
	"not yet determined", "not yet clear", "not yet been", "investigating the",
	"investigate the", "determining the", "determine the", "looking into", "to understand",
	"under investigation", "being investigated", "unknown", "not caused", "no evidence",
	"not related", "ruled out", "still investigating", "may be causing", "might be causing",
	"could be causing", "may be related", "might be related", "could be related",
	"can only assume", "we assume", "presumably", "probably", "not yet seen", "not yet found",
	"not yet confirmed", "not yet able", "could have caused", "would have caused",
	"could have led", "could have eventually", "could eventually", "potential bottleneck",
)

func tentative(d *doc, s string) bool {
	_, ok := d.has(s, tentatives)
	return ok
}

// identifiedNotStated follow "we identified" when no cause is named.
var identifiedNotStated = []string{
	"the issue", "the root cause", "the cause", "the problem", "a root cause", "a fix",
	"a mitigation", "improvements", "and ", "some ", "the source", "an issue",
	// "we identified these changes:" announces steps, not a cause.
	"these ", "several ", "the following", "a number of", "a few ", "steps", "actions",
}

// rootCause finds a sentence that states a concrete cause.
func rootCause(d *doc) (string, bool) {
	for i, s := range d.sentences {
		if tentative(d, s.lower) {
			continue
		}
		if ev, ok := statedCause(d, s); ok {
			return ev, true
		}
		if causeIsNamed(d, s.lower) || certificateExpired(s.lower) || causeHeading(d, s.lower) || wrongAct(d.words(i)) || providerTrouble(d.words(i)) || hardwareFailed(d.words(i)) {
			return evidence(s.orig), true
		}
		// "… encountered brief unplanned network disruption. This
		// caused an interruption …": the cause is the sentence before.
		if i > 0 && pronounCause(d.words(i)) && harmIn(d.words(i)) && !tentative(d, d.sentences[i-1].lower) {
			if prev := d.sentences[i-1].lower; concrete(d, prev) && !incidentItself(prev) && !remedial(d.words(i-1)) {
				return evidence(d.sentences[i-1].orig + " " + s.orig), true
			}
		}
	}
	return "", false
}

// causeIsNamed reports "the root cause of … was X", "the cause … is X"
// with a concrete X, whatever stands between.
func causeIsNamed(d *doc, l string) bool {
	i := strings.Index(l, "cause")
	if i < 0 || i > 0 && isLetter(l[i-1]) || i+5 < len(l) && isLetter(l[i+5]) {
		return false
	}
	// The noun "cause": "the cause", "the root cause", "the main cause".
	before := strings.TrimSpace(l[:i])
	if !strings.HasSuffix(before, "the") && !strings.HasSuffix(before, "root") && !strings.HasSuffix(before, "main") &&
		!strings.HasSuffix(before, "primary") && !strings.HasSuffix(before, "underlying") && !strings.HasSuffix(before, "direct") {
		return false
	}
	rest := l[i:]
	if len(rest) > 100 {
		rest = rest[:100]
	}
	for _, cop := range []string{" was ", " is ", ": "} {
		if j := strings.Index(rest, cop); j >= 0 {
			// "the cause of the errors and are deploying …": the copula
			// must be the noun phrase's own.
			if between := rest[:j]; strings.Contains(between, " and ") || strings.Contains(between, " we ") || strings.Contains(between, ",") || strings.Contains(between, " has ") {
				return false
			}
			np := clauseAfter(l[i+j+len(cop):])
			if f := strings.Fields(np); len(f) > 0 && strings.HasSuffix(f[0], "ed") {
				return false // "the cause was identified and …"
			}
			if hasPrefixAny(np, identifiedNotStated) || strings.HasPrefix(np, "being") || strings.HasPrefix(np, "still") || strings.HasPrefix(np, "unknown") || strings.HasPrefix(np, "not ") || strings.HasPrefix(np, "under ") {
				return false
			}
			return concrete(d, np)
		}
	}
	return false
}

// certificateExpired reports that a certificate expired.
func certificateExpired(l string) bool {
	i := strings.Index(l, "certificat")
	if i < 0 {
		return false
	}
	j := strings.Index(l[i:], " expired")
	if j < 0 {
		return false
	}
	before := l[:i+j]
	return !strings.HasSuffix(before, " not") && !strings.HasSuffix(before, "n't") && !strings.HasSuffix(before, " never")
}

// pronounCause reports a sentence whose subject, a pronoun, is the cause
// of what follows: "This caused an interruption …", "That led to …".
func pronounCause(ws []string) bool {
	if len(ws) < 2 {
		return false
	}
	k := 0
	if ws[0] == "however" || ws[0] == "unfortunately" {
		k = 1
		if k < len(ws) && ws[k] == "," {
			k++
		}
	}
	if k+1 >= len(ws) || ws[k] != "this" && ws[k] != "that" && ws[k] != "it" {
		return false
	}
	k++
	if ws[k] == "in" && k+1 < len(ws) && ws[k+1] == "turn" {
		k += 2
	}
	if ws[k] == "then" || ws[k] == "also" || ws[k] == "ultimately" || ws[k] == "eventually" {
		k++
	}
	if k >= len(ws) {
		return false
	}
	switch ws[k] {
	case "caused", "led", "resulted", "triggered", "prevented", "broke", "overloaded", "overwhelmed", "exhausted", "blocked":
		return true
	}
	return false
}

func statedCause(d *doc, s sentence) (string, bool) {
	l := s.lower
	for k, c := range causeAfter.words {
		if !d.hit(causeAfter.ids[k]) {
			continue
		}
		i := strings.Index(l, c)
		if i < 0 {
			continue
		}
		np := clauseAfter(l[i+len(c):])
		if strings.HasSuffix(c, " was ") || strings.HasSuffix(c, " is ") {
			// "the cause was identified and a fix …" names none.
			if f := strings.Fields(np); len(f) > 0 && strings.HasSuffix(f[0], "ed") {
				continue
			}
		}
		if c == "we identified " || c == "identified as " {
			if hasPrefixAny(np, identifiedNotStated) {
				continue
			}
		}
		if concrete(d, np) {
			return evidence(s.orig), true
		}
	}
	for k, c := range causeBefore.words {
		if !d.hit(causeBefore.ids[k]) {
			continue
		}
		i := strings.Index(l, c)
		if i < 0 {
			continue
		}
		if np := clauseBefore(l[:i]); concrete(d, np) && !incidentItself(np) {
			return evidence(s.orig), true
		}
	}
	if _, ok := d.has(l, causeInline); ok {
		return evidence(s.orig), true
	}
	return "", false
}

// clauseAfter is the text up to the next comma, or 80 bytes.
func clauseAfter(s string) string {
	if i := strings.IndexByte(s, ','); i >= 0 {
		s = s[:i]
	}
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// clauseBefore is the text back to the previous comma (ignoring one that
// ends it, as in "X, causing Y"), or 100 bytes.
func clauseBefore(s string) string {
	s = strings.TrimRight(s, ", ")
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		// "X, which caused", "X, and may have caused": the cause is X.
		if len(strings.Fields(s[i+1:])) < 4 {
			if j := strings.LastIndexByte(s[:i], ','); j >= 0 {
				i = j
			} else {
				i = -1
			}
		}
		s = s[i+1:]
	}
	if len(s) > 100 {
		s = s[len(s)-100:]
	}
	return s
}

func concrete(d *doc, np string) bool {
	if hasPrefixAny(np, vagueHeads) {
		_, ok := d.has(np, strongMechanisms)
		return ok
	}
	_, ok := d.has(np, mechanisms)
	return ok
}

// hasPrefixAny reports whether s starts with one of the prefixes as
// whole words ("the problem" does not start "the problematic server").
func hasPrefixAny(s string, prefixes []string) bool {
	s = strings.TrimSpace(s)
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			if rest := s[len(p):]; rest == "" || !isLetter(rest[0]) || strings.HasSuffix(p, " ") {
				return true
			}
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// incidentItself reports a subject that is the incident itself ("we
// know these outages have really caused issues for you"), which names
// no cause.
func incidentItself(np string) bool {
	ws := words(np)
	for i := len(ws) - 1; i >= 0; i-- {
		switch ws[i] {
		case "have", "has", "had", "really", "also", "all", "recent", "repeated":
			continue
		case "outage", "outages", "incident", "incidents", "disruption", "disruptions", "downtime":
			return i > 0 && (ws[i-1] == "these" || ws[i-1] == "this" || ws[i-1] == "the" || ws[i-1] == "those" || ws[i-1] == "recent")
		}
		return false
	}
	return false
}

// remedial reports a sentence that tells the remedy ("we deployed a
// fix", "we rolled back the change"), which is no cause of what follows.
func remedial(ws []string) bool {
	for _, w := range ws {
		switch w {
		case "fix", "fixes", "fixed", "hotfix", "patch", "patched", "mitigation", "mitigated",
			"rollback", "rolled", "reverted", "revert", "restored", "restore", "resolved", "workaround":
			return true
		}
	}
	return false
}

// causeHeadings open a section that states the cause; on a page whose
// markup was stripped the heading runs into its first sentence ("Root
// Cause A code update introduced a new variable format …").
var causeHeadings = []string{"root cause ", "root causes ", "root cause: ", "contributing factors ",
	"contributing factor(s) ", "contributing factor ", "cause: ", "what caused it ", "why did it happen? ",
	"why it happened "}

// causeHeading reports a sentence that opens with a cause heading and
// goes on with a concrete clause.
func causeHeading(d *doc, l string) bool {
	for _, h := range causeHeadings {
		if !strings.HasPrefix(l, h) {
			continue
		}
		rest := l[len(h):]
		if strings.HasPrefix(rest, "analysis") || strings.HasPrefix(rest, "of ") || strings.HasPrefix(rest, "was ") ||
			strings.HasPrefix(rest, "is ") || strings.HasPrefix(rest, "has ") || strings.HasPrefix(rest, "and ") {
			return false
		}
		np := clauseAfter(rest)
		return !hasPrefixAny(np, identifiedNotStated) && concrete(d, np) && !strings.Contains(np, "investigat")
	}
	return false
}

// wrongAct reports an act told in the passive as done wrongly: "the
// command … was mis-typed", "this new service was configured
// incorrectly".
func wrongAct(ws []string) bool {
	for k := 1; k < len(ws); k++ {
		if ws[k-1] != "was" && ws[k-1] != "were" {
			continue
		}
		w := ws[k]
		if isMistakeVerb(w) || strings.HasPrefix(w, "mis-") {
			return true
		}
		if (actVerbs[w] || strings.HasSuffix(w, "ed")) && k+1 < len(ws) {
			switch ws[k+1] {
			case "incorrectly", "wrongly", "improperly", "mistakenly", "erroneously":
				return true
			}
		}
	}
	return false
}

// hardwareParts fail by themselves: "the drive failed", "the
// motherboard in one of our servers decided … to fail", "a disk failure".
var hardwareParts = set("motherboard", "disk", "disks", "drive", "drives", "ssd", "ssds", "hdd", "raid",
	"psu", "nic", "controller", "motherboards", "hardware", "fan", "ram", "dimm", "ups", "generator", "transformer")

// hardwareFailed reports a part of the hardware told as failing.
func hardwareFailed(ws []string) bool {
	for k, w := range ws {
		if !hardwareParts[w] {
			continue
		}
		for m := k + 1; m < len(ws) && m <= k+14; m++ {
			switch ws[m] {
			case "failed", "fail", "failure", "failures", "died", "broke", "crashed", "malfunctioned", "malfunction", "fault":
				if !negatedAt(ws, m) && (m <= k+3 || ws[m-1] == "to") {
					return true
				}
			}
			if isPunct(ws[m]) && m > k+3 {
				break
			}
		}
	}
	return false
}

// providerTrouble reports a provider told as having the outage: "the
// upstream payment processor had an outage", "our hosting provider
// experienced a network failure".
func providerTrouble(ws []string) bool {
	for k := 0; k+1 < len(ws); k++ {
		switch ws[k] {
		case "had", "experienced", "suffered", "was", "is", "experiencing", "suffering":
		default:
			continue
		}
		if ws[k] == "was" || ws[k] == "is" {
			// "the provider was down"
			if !(ws[k+1] == "down" || ws[k+1] == "offline" || ws[k+1] == "unavailable") {
				continue
			}
		} else {
			m := k + 1
			for m < len(ws) && m <= k+4 && (ws[m] == "an" || ws[m] == "a" || ws[m] == "major" || ws[m] == "partial" || ws[m] == "network" || ws[m] == "widespread" || ws[m] == "significant" || ws[m] == "hardware" || ws[m] == "power" || ws[m] == "regional" || ws[m] == "some" || ws[m] == "global" || ws[m] == "unplanned") {
				m++
			}
			if m >= len(ws) || ws[m] != "outage" && ws[m] != "failure" && ws[m] != "outages" && ws[m] != "interruption" && ws[m] != "disruption" && ws[m] != "failures" &&
				!(ws[m] == "issues" && m > 0 && (ws[m-1] == "network" || ws[m-1] == "power" || ws[m-1] == "hardware")) {
				continue
			}
		}
		// the subject: a provider named in the few words before
		for b := k - 1; b >= 0 && b >= k-5; b-- {
			if isPunct(ws[b]) || ws[b] == "we" || ws[b] == "i" {
				break
			}
			switch strings.TrimSuffix(ws[b], "'s") {
			case "provider", "providers", "vendor", "upstream", "processor", "registrar", "isp",
				"carrier", "host", "cdn", "supplier", "third-party", "datacenter", "colo", "partner":
				return true
			}
		}
	}
	return false
}
