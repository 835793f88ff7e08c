package classify

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // "PT", "ET" … need the zone rules wherever the binary runs
)

// promiseCues introduce the promise of a next update.
var promiseCues = newPhrases(
	"next update", "another update", "an update", "further update", "more updates",
	"update you", "provide update", "update by", "update at", "update in", "update within",
	"back with", "be back", "more information", "further information", "more details",
	"further details", "follow up", "check back", "report back", "update this", "update again",
)

// futureMarkers show the sentence promises rather than reports.
var futureMarkers = newPhrases(
	"will", "'ll", "next", "another", "expect", "plan", "shall", "going to", "further",
	"follow", "aim to",
)

// Relative promises: "in 30 minutes", "within 2 hours", "in half an hour",
// "within the hour".
var (
	relativeRe = regexp.MustCompile(`\b(?:in|within)\s+(?:the\s+next\s+|another\s+)?(?:~\s*|approximately\s+|about\s+|around\s+|roughly\s+)?(\d+|an?|one|two|three|four|five|six|eight|ten|twelve|fifteen|twenty|thirty|forty-five|sixty|ninety|half\s+an?)\s*(minutes?|mins?|hours?|hrs?|h|m)\b`)
	theHourRe  = regexp.MustCompile(`\b(?:within|in)\s+the\s+(?:next\s+)?hour\b`)
	// Absolute promises: "by 15:00 UTC", "at 3:30 PM PST", "by 14:00 ET",
	// "on March 3 at 09:00 UTC", "next update: 18:00 UTC".
	clockRe = regexp.MustCompile(`\b(?:by|at|around|before|until|update:?|for)\s+(?:approximately\s+|about\s+|around\s+|~\s*)?(\d{1,2})(?::(\d{2}))?\s*(a\.?m\.?|p\.?m\.?)?\s*(utc|gmt|z|pst|pdt|pt|pacific|est|edt|et|eastern|cst|cdt|ct|central|mst|mdt|mt|cet|cest|bst|ist|jst|aest|aedt|sgt)?\b`)
	dateRe  = regexp.MustCompile(`\b(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b`)
)

var numberWords = map[string]int{
	"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"eight": 8, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
	"forty-five": 45, "sixty": 60, "ninety": 90,
}

var months = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// zones maps the abbreviations status pages use to their zones. The
// explicit standard/daylight names are fixed offsets (a "PST" time is
// UTC−8 whatever the season); the generic ones follow the region's rules.
var zones = map[string]*time.Location{
	"utc": time.UTC, "gmt": time.UTC, "z": time.UTC,
	"pst": time.FixedZone("PST", -8*3600), "pdt": time.FixedZone("PDT", -7*3600),
	"est": time.FixedZone("EST", -5*3600), "edt": time.FixedZone("EDT", -4*3600),
	"cst": time.FixedZone("CST", -6*3600), "cdt": time.FixedZone("CDT", -5*3600),
	"mst": time.FixedZone("MST", -7*3600), "mdt": time.FixedZone("MDT", -6*3600),
	"cet": time.FixedZone("CET", 1*3600), "cest": time.FixedZone("CEST", 2*3600),
	"bst": time.FixedZone("BST", 1*3600), "ist": time.FixedZone("IST", 5*3600+1800),
	"jst": time.FixedZone("JST", 9*3600), "aest": time.FixedZone("AEST", 10*3600),
	"aedt": time.FixedZone("AEDT", 11*3600), "sgt": time.FixedZone("SGT", 8*3600),
	"pt": mustZone("America/Los_Angeles"), "pacific": mustZone("America/Los_Angeles"),
	"et": mustZone("America/New_York"), "eastern": mustZone("America/New_York"),
	"ct": mustZone("America/Chicago"), "central": mustZone("America/Chicago"),
	"mt": mustZone("America/Denver"),
}

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic("classify: zone " + name + ": " + err.Error()) // embedded by time/tzdata
	}
	return loc
}

// nextUpdate finds the promised time of the next update, resolved
// against at.
func nextUpdate(d *doc, at time.Time) (time.Time, string, bool) {
	for _, s := range d.sentences {
		if t, ok := promisedTime(d, s.lower, at); ok {
			return t, evidence(s.orig), true
		}
	}
	return time.Time{}, "", false
}

// promisedTime reads one sentence: a promise cue, a future marker, then a
// duration or a clock time within the next 80 bytes.
func promisedTime(d *doc, s string, at time.Time) (time.Time, bool) {
	cue, ok := d.has(s, promiseCues)
	if !ok {
		return time.Time{}, false
	}
	if _, ok := d.has(s, futureMarkers); !ok {
		return time.Time{}, false
	}
	i := strings.Index(s, cue)
	window := s[i:]
	if len(window) > len(cue)+80 {
		window = window[:len(cue)+80]
	}
	if m := relativeRe.FindStringSubmatch(window); m != nil {
		if d, ok := duration(m[1], m[2]); ok {
			return at.Add(d), true
		}
	}
	if theHourRe.MatchString(window) {
		return at.Add(time.Hour), true
	}
	if m := clockRe.FindStringSubmatchIndex(window); m != nil {
		if t, ok := clockTime(window, m, s, at); ok {
			return t, true
		}
	}
	return time.Time{}, false
}

func duration(n, unit string) (time.Duration, bool) {
	var q float64
	if strings.HasPrefix(n, "half") {
		q = 0.5
	} else if v, err := strconv.Atoi(n); err == nil {
		q = float64(v)
	} else if v, ok := numberWords[n]; ok {
		q = float64(v)
	} else {
		return 0, false
	}
	var u time.Duration
	switch unit[0] {
	case 'h':
		u = time.Hour
	case 'm':
		u = time.Minute
	}
	if strings.HasPrefix(n, "half") && u == time.Minute {
		return 0, false
	}
	d := time.Duration(q * float64(u))
	if d <= 0 || d > 7*24*time.Hour {
		return 0, false
	}
	return d, true
}

// clockTime resolves a clock time match; m indexes window. A bare number
// ("at 5") is not a time: it needs minutes, am/pm or a zone. The date is
// the one named in the sentence, else the day of at in that zone, and a
// time earlier than at on that day means the next day.
func clockTime(window string, m []int, sentence string, at time.Time) (time.Time, bool) {
	group := func(k int) string {
		if m[2*k] < 0 {
			return ""
		}
		return window[m[2*k]:m[2*k+1]]
	}
	hs, ms, ampm, zone := group(1), group(2), group(3), group(4)
	if ms == "" && ampm == "" && zone == "" {
		return time.Time{}, false
	}
	h, _ := strconv.Atoi(hs)
	mins := 0
	if ms != "" {
		mins, _ = strconv.Atoi(ms)
	}
	switch {
	case strings.HasPrefix(ampm, "p"):
		if h < 1 || h > 12 {
			return time.Time{}, false
		}
		if h < 12 {
			h += 12
		}
	case strings.HasPrefix(ampm, "a"):
		if h < 1 || h > 12 {
			return time.Time{}, false
		}
		if h == 12 {
			h = 0
		}
	}
	if h > 23 || mins > 59 {
		return time.Time{}, false
	}
	loc := at.Location()
	if zone != "" {
		loc = zones[zone]
	}
	local := at.In(loc)
	y, mo, day := local.Date()
	dated := false
	if dm := dateRe.FindStringSubmatch(sentence); dm != nil {
		if n, err := strconv.Atoi(dm[2]); err == nil && n >= 1 && n <= 31 {
			mo, day, dated = months[dm[1][:3]], n, true
		}
	}
	t := time.Date(y, mo, day, h, mins, 0, 0, loc)
	switch {
	case dated && t.Before(at.AddDate(0, 0, -1)):
		t = t.AddDate(1, 0, 0) // "on January 2" written late in December
	case !dated && t.Before(at):
		t = t.AddDate(0, 0, 1)
	}
	return t, true
}
