package dashboard

import (
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// Parameter limits (SPEC §3).
const (
	DefaultRange  = 90 * 24 * time.Hour
	DefaultLimit  = 100
	MaxLimit      = 1000
	MaxOffset     = 1_000_000
	MaxIDLength   = 128
	MinYear       = 2000
	MaxYear       = 2100
	MaxTrendPoint = 5000 // buckets a trend may have
)

// Severities and statuses accepted by the filters.
var (
	severities = []string{"sev1", "sev2", "sev3", "sev4"}
	statuses   = []string{"open", "resolved"}
	formats    = []string{"json", "csv"}
)

// The query parameters each kind of route accepts; anything else is a 400.
var (
	rangeParams = []string{"from", "to", "severity", "format"}
	listParams  = []string{"from", "to", "severity", "status", "limit", "offset", "format"}
	trendParams = []string{"metric", "interval", "from", "to", "severity", "format"}
	formatParam = []string{"format"}
)

// checkParams rejects a malformed query string, a parameter not in allowed
// (so that a typo such as ?severty= is not silently ignored) and a
// parameter given twice.
func checkParams(c echo.Context, allowed ...string) error {
	q, err := url.ParseQuery(c.Request().URL.RawQuery)
	if err != nil {
		return badParam("query", "malformed query string: %v", err)
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return badParam(clip(k), "unknown query parameter; this route takes none")
			}
			return badParam(clip(k), "unknown query parameter; this route accepts %s", strings.Join(allowed, ", "))
		}
		if n := len(q[k]); n > 1 {
			return badParam(k, "given %d times; give it once", n)
		}
	}
	return nil
}

// param is the single value of query parameter name ("" when absent or
// empty, as an HTML form sends "all").
func param(c echo.Context, name string) (string, error) {
	vs := c.QueryParams()[name]
	switch len(vs) {
	case 0:
		return "", nil
	case 1:
		return strings.TrimSpace(vs[0]), nil
	}
	return "", badParam(name, "given %d times; give it once", len(vs))
}

// parseFilter reads from, to, severity, status, limit and offset (those
// present; the caller's checkParams decides which are allowed).
//
// from/to are RFC 3339 or YYYY-MM-DD (midnight UTC); to is exclusive. The
// default range is the 90 days before to, and to defaults to now. limit is
// 1..1000 (default 100), offset 0..1,000,000.
func parseFilter(c echo.Context, now time.Time) (trustlens.Filter, error) {
	f := trustlens.Filter{To: now.UTC(), Limit: DefaultLimit}
	from, err := param(c, "from")
	if err != nil {
		return f, err
	}
	to, err := param(c, "to")
	if err != nil {
		return f, err
	}
	if to != "" {
		if f.To, err = parseTime("to", to); err != nil {
			return f, err
		}
	}
	f.From = f.To.Add(-DefaultRange)
	if earliest := time.Date(MinYear, 1, 1, 0, 0, 0, 0, time.UTC); f.From.Before(earliest) {
		f.From = earliest // the default range stays within the accepted years
	}
	if from != "" {
		if f.From, err = parseTime("from", from); err != nil {
			return f, err
		}
	}
	if !f.From.Before(f.To) {
		what := "to"
		if to == "" {
			what = "to (default now)"
		}
		return f, badParam("from", "must be before %s %s, got %s", what, f.To.Format(time.RFC3339), f.From.Format(time.RFC3339))
	}
	if f.Severity, err = oneOf(c, "severity", severities); err != nil {
		return f, err
	}
	if f.Status, err = oneOf(c, "status", statuses); err != nil {
		return f, err
	}
	if f.Limit, err = intParam(c, "limit", 1, MaxLimit, DefaultLimit); err != nil {
		return f, err
	}
	if f.Offset, err = intParam(c, "offset", 0, MaxOffset, 0); err != nil {
		return f, err
	}
	return f, nil
}

// parseTime reads an RFC 3339 instant or a YYYY-MM-DD date (midnight UTC).
func parseTime(name, v string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		t, err = time.Parse(time.DateOnly, v)
	}
	if err != nil {
		return time.Time{}, badParam(name, "must be RFC 3339 (2026-11-03T14:05:09Z) or YYYY-MM-DD, got %q", clip(v))
	}
	t = t.UTC()
	if y := t.Year(); y < MinYear || y > MaxYear {
		return time.Time{}, badParam(name, "must be in the years %d to %d, got %q", MinYear, MaxYear, clip(v))
	}
	return t, nil
}

// oneOf reads an optional parameter that must be one of allowed.
func oneOf(c echo.Context, name string, allowed []string) (string, error) {
	v, err := param(c, name)
	if err != nil || v == "" {
		return "", err
	}
	if !slices.Contains(allowed, v) {
		return "", badParam(name, "must be one of %s, got %q", strings.Join(allowed, ", "), clip(v))
	}
	return v, nil
}

// intParam reads an optional integer in [lo, hi].
func intParam(c echo.Context, name string, lo, hi, def int) (int, error) {
	v, err := param(c, name)
	if err != nil || v == "" {
		return def, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badParam(name, "must be an integer from %d to %d, got %q", lo, hi, clip(v))
	}
	return n, nil
}

// parseFormat reads ?format=json|csv (default json).
func parseFormat(c echo.Context) (string, error) {
	v, err := oneOf(c, "format", formats)
	if v == "" && err == nil {
		v = "json"
	}
	return v, err
}

// parseTrend reads the required metric (one of trustlens.TrendMetrics) and
// interval (day, week or month; default week), and checks that the range
// of f does not make more than MaxTrendPoint buckets.
func parseTrend(c echo.Context, f trustlens.Filter) (metric, interval string, err error) {
	metric, err = oneOf(c, "metric", trustlens.TrendMetrics)
	if err != nil {
		return "", "", err
	}
	if metric == "" {
		return "", "", badParam("metric", "required, one of %s", strings.Join(trustlens.TrendMetrics, ", "))
	}
	interval, err = oneOf(c, "interval", trustlens.TrendIntervals)
	if err != nil {
		return "", "", err
	}
	if interval == "" {
		interval = "week"
	}
	width := map[string]time.Duration{"day": 24 * time.Hour, "week": 7 * 24 * time.Hour, "month": 28 * 24 * time.Hour}[interval]
	if n := f.To.Sub(f.From) / width; n > MaxTrendPoint {
		return "", "", badParam("interval", "%s buckets from %s to %s would be more than %d points; use a wider interval or a shorter range",
			interval, f.From.Format(time.DateOnly), f.To.Format(time.DateOnly), MaxTrendPoint)
	}
	return metric, interval, nil
}

// parseIncidentID reads the :id path parameter: 1–128 characters of valid
// UTF-8 without control characters.
func parseIncidentID(c echo.Context) (string, error) {
	id := c.Param("id")
	if c.Request().URL.RawPath != "" { // Echo matched the escaped path
		u, err := url.PathUnescape(id)
		if err != nil {
			return "", badParam("id", "malformed escape in %q", clip(id))
		}
		id = u
	}
	switch n := utf8.RuneCountInString(id); {
	case !utf8.ValidString(id):
		return "", badParam("id", "not valid UTF-8")
	case n < 1 || n > MaxIDLength:
		return "", badParam("id", "must be 1 to %d characters, got %d", MaxIDLength, n)
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		return "", badParam("id", "must not contain control characters, got %q", clip(id))
	}
	return id, nil
}

// clip shortens a user-supplied value before it is echoed in a message.
func clip(v string) string { return clipTo(v, 64) }

// clipTo is v cut to n runes, with "…" when it was longer.
func clipTo(v string, n int) string {
	if utf8.RuneCountInString(v) <= n {
		return v
	}
	r := []rune(v)
	return string(r[:n]) + "…"
}
