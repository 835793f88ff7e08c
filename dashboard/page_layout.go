package dashboard

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// This file holds what every page shares: the layout, the filter form, the
// template functions and the rendering.

// Page names: each is templates/<name>.html, defining "content" inside the
// "layout" of templates/layout.html.
const (
	pageOverview     = "overview"
	pageAudit        = "audit"
	pageIncident     = "incident"
	pageChurn        = "churn"
	pageCompensation = "compensation"
	pageNotFound     = "notfound"
)

// maxChartIncidents bounds the incident list fetched for the charts that are
// built from per-incident figures (time-to-acknowledge histogram, habit
// verdicts, silences, channels). The page says so when there are more.
const maxChartIncidents = 5000

// pageParams are the query parameters that every page accepts.
var pageParams = []string{"from", "to", "severity"}

// views are the parsed page templates, one per page.
var views = parseViews()

func parseViews() map[string]*template.Template {
	base := template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(embedded, "templates/layout.html"))
	out := map[string]*template.Template{}
	for _, name := range []string{pageOverview, pageAudit, pageIncident, pageChurn, pageCompensation, pageNotFound} {
		t := template.Must(base.Clone())
		out[name] = template.Must(t.ParseFS(embedded, "templates/"+name+".html"))
	}
	return out
}

// navItem is one link of the top navigation.
type navItem struct {
	Key, Label, Path string
}

var navItems = []navItem{
	{pageOverview, "Overview", "/"},
	{pageAudit, "Update audit", "/audit"},
	{pageChurn, "Churn", "/churn"},
	{pageCompensation, "Compensation", "/compensation"},
	{pageCustomers, "Customers", "/customers"},
}

// filterState is the date range and severity of a page, as given in the URL
// (to refill the form and to carry into every link) and as parsed.
type filterState struct {
	Filter   trustlens.Filter
	From     string // the raw parameters, "" when absent
	To       string
	Severity string
	Query    string // "from=…&severity=…" of the non-empty ones, for links
}

// DefaultRange reports whether from and to were both left to their defaults.
func (f filterState) DefaultRange() bool { return f.From == "" && f.To == "" }

// FormFrom is the value of the form's from field (a date).
func (f filterState) FormFrom() string { return formDate(f.From) }

// FormTo is the value of the form's to field (a date).
func (f filterState) FormTo() string { return formDate(f.To) }

// formDate shows a YYYY-MM-DD or RFC 3339 parameter as a date input value.
func formDate(v string) string {
	if len(v) >= 10 {
		return v[:10]
	}
	return v
}

// Link is path with the filter's query string.
func (f filterState) Link(path string) string { return withQuery(path, f.Query) }

// CSV is an API path with format=csv and the filter's query string.
func (f filterState) CSV(path string) string {
	q := "format=csv"
	if f.Query != "" {
		q = f.Query + "&" + q
	}
	if strings.Contains(path, "?") {
		return path + "&" + q
	}
	return path + "?" + q
}

func withQuery(path, q string) string {
	if q == "" {
		return path
	}
	return path + "?" + q
}

// layoutData is what templates/layout.html needs; every page's data embeds it.
type layoutData struct {
	Title       string
	Active      string // navigation key
	Action      string // where the filter form submits
	F           filterState
	Nav         []navItem
	Severities  []string
	ChartsBuilt bool
	Scripts     []string // extra page scripts (under /static)
	Policy      trustlens.Policy
	Now         time.Time
	Error       string // a bad filter: shown above the content
	HideRange   bool   // the page does not depend on the date range
	Truncated   int64  // incidents left out of the per-incident charts
	Shown       int64
	asOf        *trustlens.AsOf // filled by the figures the page reads
}

// FiguresAsOf is the instant the page's figures are exact as of (the
// oldest of the answers it read; zero when it read none). Read when the
// page is rendered, after every answer.
func (l layoutData) FiguresAsOf() time.Time { return l.asOf.Time().Truncate(time.Second) }

// pageFilter validates the page's query parameters. On a bad parameter it
// returns the error; the state still holds the raw values for the form.
func (s *Server) pageFilter(c echo.Context) (filterState, error) {
	var st filterState
	q := c.QueryParams()
	st.From = strings.TrimSpace(q.Get("from"))
	st.To = strings.TrimSpace(q.Get("to"))
	st.Severity = strings.TrimSpace(q.Get("severity"))
	keep := url.Values{}
	for _, kv := range [][2]string{{"from", st.From}, {"to", st.To}, {"severity", st.Severity}} {
		if kv[1] != "" {
			keep.Set(kv[0], kv[1])
		}
	}
	if err := checkParams(c, pageParams...); err != nil {
		return st, err
	}
	f, err := parseFilter(c, s.now())
	if err != nil {
		return st, err
	}
	st.Filter = f
	st.Filter.Limit, st.Filter.Offset, st.Filter.Status = 0, 0, ""
	st.Query = keep.Encode()
	return st, nil
}

// newLayout fills the shared part of a page.
func (s *Server) newLayout(c echo.Context, title, active string, f filterState) layoutData {
	action := "/"
	for _, n := range navItems {
		if n.Key == active {
			action = n.Path
		}
	}
	return layoutData{
		Title: title, Active: active, Action: action, F: f, Nav: navItems,
		Severities: severities, ChartsBuilt: assets.chartsBuilt(),
		Policy: s.policy(), Now: s.now(),
		asOf: asOfRecorder(c),
	}
}

// policy is the analytics policy, or the default one if it has none.
func (s *Server) policy() trustlens.Policy {
	p := s.analytics.Policy()
	if p.CadenceTarget == nil {
		return trustlens.DefaultPolicy()
	}
	return p
}

// render executes a page template and writes it with status.
func (s *Server) render(c echo.Context, status int, name string, data any) error {
	t, ok := views[name]
	if !ok {
		return fmt.Errorf("dashboard: no page template %q", name)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", data); err != nil {
		return fmt.Errorf("dashboard: render %s: %w", name, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTMLBlob(status, b.Bytes())
}

// filterErrorPage shows a page whose filter is invalid: the layout with the
// form refilled and the message naming the parameter, status 400.
func (s *Server) filterErrorPage(c echo.Context, title, active string, st filterState, err error) error {
	status, msg := s.errorStatus(c, err)
	if status != http.StatusBadRequest {
		return err
	}
	l := s.newLayout(c, title, active, st)
	l.Error = msg
	l.HideRange = true
	return s.render(c, http.StatusBadRequest, pageNotFound, notFoundData{layoutData: l, Heading: "Check the filter", Message: msg})
}

// parallel runs the functions at once and returns the first error. They
// all get the request context, so they end with the request.
func parallel(fns ...func() error) error {
	var wg sync.WaitGroup
	errs := make([]error, len(fns))
	for i, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// previousPeriod is the period of equal length just before f.
func previousPeriod(f trustlens.Filter) trustlens.Filter {
	p := f
	p.To = f.From
	p.From = f.From.Add(-f.To.Sub(f.From))
	return p
}

// trendInterval picks a bucket width that gives a readable number of points.
func trendInterval(f trustlens.Filter) string {
	switch d := f.To.Sub(f.From); {
	case d <= 45*24*time.Hour:
		return "day"
	case d <= 270*24*time.Hour:
		return "week"
	}
	return "month"
}

// habitLabels are the habits as people read them.
var habitLabels = map[string]string{
	trustlens.HabitActSwiftly:             "Act swiftly",
	trustlens.HabitTakeResponsibility:     "Take responsibility",
	trustlens.HabitCommunicateProactively: "Communicate proactively",
	trustlens.HabitApologize:              "Apologize sincerely",
	trustlens.HabitCompensate:             "Compensate",
	trustlens.HabitLearn:                  "Learn",
	trustlens.HabitFollowUp:               "Follow up",
}

func habitLabel(h string) string {
	if l, ok := habitLabels[h]; ok {
		return l
	}
	return h
}

// fmtDuration writes seconds as people read them: "45 s", "17 min",
// "2 h 10 min", "3 d 4 h".
func fmtDuration(sec int64) string {
	neg := ""
	if sec < 0 {
		neg, sec = "−", -sec
	}
	switch {
	case sec < 60:
		return fmt.Sprintf("%s%d s", neg, sec)
	case sec < 3600:
		return fmt.Sprintf("%s%d min", neg, sec/60)
	case sec < 86400:
		h, m := sec/3600, sec%3600/60
		if m == 0 {
			return fmt.Sprintf("%s%d h", neg, h)
		}
		return fmt.Sprintf("%s%d h %d min", neg, h, m)
	}
	d, h := sec/86400, sec%86400/3600
	if h == 0 {
		return fmt.Sprintf("%s%d d", neg, d)
	}
	return fmt.Sprintf("%s%d d %d h", neg, d, h)
}

// fmtDurationShort is a compact duration for axis labels: "7.5m", "1h", "2d".
func fmtDurationShort(sec int64) string {
	switch {
	case sec < 60:
		return fmt.Sprintf("%ds", sec)
	case sec < 3600:
		return trimZero(float64(sec)/60) + "m"
	case sec < 86400:
		return trimZero(float64(sec)/3600) + "h"
	}
	return trimZero(float64(sec)/86400) + "d"
}

func trimZero(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// fmtPercent writes a 0…1 rate as "42%" or "4.5%"; null is "—".
func fmtPercent(r *float64) string {
	if r == nil {
		return "—"
	}
	return fmtPct(*r)
}

func fmtPct(r float64) string {
	v := r * 100
	if math.Abs(v) >= 10 || v == 0 {
		return fmt.Sprintf("%.0f%%", v)
	}
	return trimZero(v) + "%"
}

// fmtInt writes 12345 as "12,345".
func fmtInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "−" + b.String()
	}
	return b.String()
}

// fmtMoney writes an amount with two decimals and thousands separators.
func fmtMoney(v float64) string {
	whole := int64(math.Floor(math.Abs(v)))
	cents := int64(math.Round((math.Abs(v) - float64(whole)) * 100))
	if cents == 100 {
		whole, cents = whole+1, 0
	}
	s := fmtInt(whole) + fmt.Sprintf(".%02d", cents)
	if v < 0 {
		s = "−" + s
	}
	return s
}

func fmtDate(t time.Time) string { return t.UTC().Format("2 Jan 2006") }

func fmtDateTime(t time.Time) string { return t.UTC().Format("2 Jan 2006 15:04 UTC") }

var templateFuncs = template.FuncMap{
	"asset": assets.url,
	"dur":   fmtDuration,
	"durp": func(p *int64) string {
		if p == nil {
			return "—"
		}
		return fmtDuration(*p)
	},
	"pct":   fmtPercent,
	"pctv":  fmtPct,
	"int":   fmtInt,
	"money": fmtMoney,
	"intp": func(p *int64) string {
		if p == nil {
			return "—"
		}
		return fmtInt(*p)
	},
	"date":     fmtDate,
	"datetime": fmtDateTime,
	"datetimep": func(t *time.Time) string {
		if t == nil {
			return "—"
		}
		return fmtDateTime(*t)
	},
	"iso":   func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"chips": messageChips,
	"asof":  fmtAsOf,
	"habit": habitLabel,
	"habits": func() []string {
		return trustlens.Habits
	},
	"verdict": func(m map[string]string, h string) string {
		if v, ok := m[h]; ok && v != "" {
			return v
		}
		return "—"
	},
	"vclass": func(v string) string {
		switch v {
		case trustlens.Met, trustlens.Missed, trustlens.Pending:
			return v
		case trustlens.NA:
			return "na"
		}
		return "none"
	},
	"incidentURL": func(id string, q string) string {
		return withQuery("/incidents/"+url.PathEscape(id), q)
	},
	"target": func(p trustlens.Policy, sev string) string {
		if d, ok := p.CadenceTarget[sev]; ok {
			return fmtDuration(d.Seconds())
		}
		return "—"
	},
	"eventKind":    eventKind,
	"groupSummary": groupSummary,
	"short": func(s string) string {
		r := []rune(s)
		if len(r) <= 90 {
			return s
		}
		return strings.TrimSpace(string(r[:88])) + "…"
	},
	"raw":   rawFloat,
	"plain": fmtPlainFloat,
	"days":  fmtDays,
	"signedp": func(v *float64, unit string) string {
		if v == nil {
			return "—"
		}
		return signed(*v) + unit
	},
	"typeLabel": func(t string) string { return strings.ReplaceAll(strings.ReplaceAll(t, "_", " "), ".", ": ") },
	"sub64":     func(a, b int64) int64 { return a - b },
	"csat":      fmtCSAT,
	"tpi": func(v *float64) string {
		if v == nil {
			return "—"
		}
		return trimZero(*v)
	},
}

// fmtAsOf shows an as-of instant as its time of day (UTC), with its date
// when that is not the day of now: "12:04:31" or "2026-12-05 23:59:58".
func fmtAsOf(t, now time.Time) string {
	t, now = t.UTC(), now.UTC()
	if t.Format(time.DateOnly) == now.Format(time.DateOnly) {
		return t.Format(time.TimeOnly)
	}
	return t.Format(time.DateTime)
}
