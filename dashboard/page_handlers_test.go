package dashboard

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/trustlens/trustlens"
)

// getPage serves one request to a server on the fake and returns the
// status and body.
func getPage(t *testing.T, fake *pageFake, path string) (int, string, http.Header) {
	t.Helper()
	s := New(fake, Config{Now: func() time.Time { return fakeNow }})
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	s.Handler().ServeHTTP(rec, req)
	body, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatal(err)
	}
	return rec.Code, string(body), rec.Result().Header
}

func TestPages(t *testing.T) {
	tests := []struct {
		name   string
		path   string
		status int
		want   []string
	}{
		{"overview", "/", 200, []string{
			"<title>Executive overview · trustlens</title>",
			`data-metric="trust_score_avg" data-value="48.5"`,
			`<span class="kpi-figure">48.5</span>`,
			"▼ −11.5 pts vs previous 90 days",
			`data-metric="tta_median_seconds" data-value="1020"`,
			"▲ −8 min vs previous 90 days",
			`<span class="kpi-figure">0%</span>`, "▼ −50 pp vs previous 90 days",
			`<span class="kpi-figure">67%</span>`, "▲ +16.7 pp vs previous 90 days",
			`<span class="kpi-figure">+20</span>`, "▼ +7.5 pp vs previous 90 days",
			`data-metric="incidents" data-value="3"`, "+1 vs previous 90 days", "1 still open",
			`id="chart-trust"`, `id="chart-tta"`, `id="chart-habits"`, `id="chart-churn"`,
			`href="/incidents/INC%203%2Fx"`, "Login errors &lt;EU&gt;",
			"Incidents detected <strong>22 Aug 2026</strong> to <strong>20 Nov 2026</strong> (last 90 days)",
			"Median 17 min, p90 50 min",
			// the cost of silence: 4.5 ÷ 1.5 = 3×
			`data-metric="tickets_per_hour_silent" data-value="4.5"><div class="kpi-value bad">4.5</div>`,
			`data-metric="tickets_per_hour_updated" data-value="1.5"><div class="kpi-value">1.5</div>`,
			`<div class="kpi-value">3×</div>`,
			"While an incident was silent past its cadence target, customers opened 3× as many tickets an hour as while it was being updated.",
			`data-metric="csat_affected_avg" data-value="2.75">2.75</strong>`,
			`data-metric="csat_baseline_avg" data-value="4.1">4.1</strong>`,
			"3 incidents drew 1.7 tickets each on average. By week:",
			`id="chart-silence-cost"`,
			`href="/api/v1/trends?metric=csat_affected_avg&amp;interval=week&amp;format=csv"`,
			`id="chart-csat"`,
		}},
		{"audit", "/audit", 200, []string{
			"<title>Update cadence audit · trustlens</title>",
			`id="overdue-table" data-src="/api/v1/cadence/overdue"`,
			`<span class="count" id="overdue-count">1</span>`,
			`<td class="num bad">4 h</td>`, `<td class="num">2 h</td>`,
			`src="/static/audit.js?v=`,
			`id="chart-silence"`, `id="chart-timeline"`, `id="chart-channels"`,
			"33% of incidents reached customers on at least 2 channels.",
			`<td>status_page</td><td class="num">2</td><td class="num">67%</td>`,
			`Communicate proactively <span class="count count-bad">2</span>`,
			`href="/api/v1/cadence/overdue?format=csv"`,
		}},
		{"incident", "/incidents/INC-1", 200, []string{
			"<title>INC-1: Checkout down · trustlens</title>",
			"acknowledged after 17 min, target 30 min",
			"longest silence 1 h 35 min, over the 1 h target for sev1; 2 channels (email, status_page) (minimum 2)",
			"3 customers offered compensation, 4 affected; target: at least 50% of the affected",
			"no postmortem with root cause and prevention steps within 7 days of resolution",
			"1 of 4 affected customers contacted individually; target 50%",
			"⚠ 1 h 35 min of silence (update 1 → update 2), 35 min over the 1 h target",
			"17 min of silence (detected → update 1)",
			"10 min of silence (update 3 → resolved)",
			`<meter min="0" max="4" value="3">`,
			"Affected customers: 25% churned (1 of 4)", "Uplift: +20 pp",
			`id="chart-gaps"`, `href="/api/v1/incidents/INC-1"`,
			`data-metric="tickets" data-value="5"><div class="kpi-label">Tickets</div><div class="kpi-value">5</div>`,
			`data-metric="csat_avg" data-value="2.5"><div class="kpi-label">Satisfaction</div><div class="kpi-value">2.5 <span class="kpi-unit">/ 5</span>`,
			// silent past the target 35 min (95 − 60), updated 2 h 25 min
			// of the 3 h: 2 tickets ÷ 35/60 h = 3.4 an hour; 2 ÷ 145/60 h = 0.8
			`data-silent="2" data-updated="2" data-outside="1"`,
			"2 of 5 tickets came while the incident had been silent past its 1 h target (3.4 an hour over 35 min), 2 while it was being updated (0.83 an hour over 2 h 25 min); 1 came before detection or after the resolution.",
			`id="chart-tickets"`,
		}},
		{"open incident with an escaped id", "/incidents/INC%203%2Fx", 200, []string{
			"Login errors &lt;EU&gt;", "open for 4 h",
			"no communication sent yet, target 30 min",
			"4 h of silence (detected → now (still open)), 2 h over the 2 h target",
			"The incident is still open; its churn window starts at the resolution.",
			"No tickets counted for this incident",
			`data-metric="csat_avg" data-value=""`, "no rating about it",
			`<h2 id="next-steps-title">What to do next</h2>`,
			`<li class="step-urgent"><span class="step-text">Send an update now: customers have heard nothing for 4 h since the detection, past the 2 h target for sev2. Say when the next one will come.</span><span class="step-due bad">now</span></li>`,
			"Reach customers on at least 2 channels (status page, email, in-app…).",
			"Offer compensation to at least 1 of the 2 affected customers (50% for sev2); 0 of them offered so far.",
		}},
		{"churn", "/churn", 200, []string{
			"<title>Post-outage churn · trustlens</title>",
			`data-metric="churn_affected_rate" data-value="0.25"`,
			`<div class="kpi-value">+20 pp</div>`, "1 still inside their churn window",
			`id="chart-churn"`, `id="chart-drivers"`,
			`<td class="num">25% <span class="muted small">(1/4)</span></td>`,
			`data-metric="lost_mrr_affected" data-value="4500.5"><div class="kpi-label">Monthly revenue lost</div><div class="kpi-value">4,500.50</div>`,
			"MRR of the 3 affected customers who churned; baseline 1,200.00 (7)",
			"4,500.50 of monthly revenue lost among affected customers: the MRR of the 3 affected customers who churned within 30 days of an incident&#39;s resolution. Over the same windows, 7 customers unaffected by them took 1,200.00.",
			"1 customer churned without an amount (counted as 0).",
		}},
		{"compensation", "/compensation", 200, []string{
			"<title>Compensation · trustlens</title>",
			`<div class="kpi-value">1,250.50</div>`, "100.00 redeemed",
			`<div class="kpi-value">2.5 days</div>`,
			`<td>discount</td><td class="num">1</td><td class="num">0</td><td class="num">0%</td>`,
			`id="chart-comp-customers"`, `id="chart-comp-amounts"`,
		}},
		{"unknown incident", "/incidents/NOPE", 404, []string{
			"<title>Not found · trustlens</title>", `There is no incident &#34;NOPE&#34;.`,
			`href="/audit"`,
		}},
		{"unknown page", "/no/such/page", 404, []string{"<title>Not found · trustlens</title>"}},
		{"bad severity", "/churn?severity=sev9", 400, []string{
			`class="alert alert-error"`, "severity: must be one of sev1, sev2, sev3, sev4, got &#34;sev9&#34;",
			`<form class="filters" method="get" action="/churn"`,
		}},
		{"unknown parameter", "/audit?sevrity=sev1", 400, []string{"sevrity: unknown query parameter"}},
		{"bad date", "/compensation?from=yesterday", 400, []string{"from: must be RFC 3339"}},
		{"from after to", "/?from=2026-11-10&to=2026-11-01", 400, []string{"from: must be before to"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body, h := getPage(t, newPageFake(), tc.path)
			if status != tc.status {
				t.Fatalf("GET %s: status %d, want %d\n%s", tc.path, status, tc.status, body)
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type %q", ct)
			}
			for _, w := range tc.want {
				if !contains(body, w) {
					t.Errorf("GET %s: body lacks %q", tc.path, w)
				}
			}
			checkCSPSafe(t, body)
		})
	}
}

// contains looks for want in the HTML as written or as read (html/template
// writes "+" as "&#43;").
func contains(body, want string) bool {
	return strings.Contains(body, want) || strings.Contains(html.UnescapeString(body), want)
}

var (
	scriptTag = regexp.MustCompile(`(?is)<script\b[^>]*>`)
	styleAttr = regexp.MustCompile(`(?i)<[^>]+\sstyle\s*=`)
	absURL    = regexp.MustCompile(`(?i)(src|href|action)="(https?:)?//`)
)

// checkCSPSafe fails on anything the Content-Security-Policy would block or
// anything that would leave the server: inline scripts, style attributes or
// elements, absolute URLs.
func checkCSPSafe(t *testing.T, body string) {
	t.Helper()
	for _, tag := range scriptTag.FindAllString(body, -1) {
		if !strings.Contains(tag, ` src="/static/`) {
			t.Errorf("inline or foreign script: %s", tag)
		}
	}
	if m := styleAttr.FindString(body); m != "" {
		t.Errorf("inline style attribute: %s", m)
	}
	if strings.Contains(strings.ToLower(body), "<style") {
		t.Error("inline <style> element")
	}
	if m := absURL.FindString(body); m != "" {
		t.Errorf("absolute URL (the page must not load anything from elsewhere): %s", m)
	}
}

func TestPageFiltersCarriedIntoLinks(t *testing.T) {
	fake := newPageFake()
	status, body, _ := getPage(t, fake, "/?from=2026-10-01&to=2026-11-01&severity=sev1")
	if status != 200 {
		t.Fatalf("status %d\n%s", status, body)
	}
	const q = "from=2026-10-01&amp;severity=sev1&amp;to=2026-11-01"
	for _, w := range []string{
		`href="/audit?` + q + `"`,
		`href="/churn?` + q + `"`,
		`href="/compensation?` + q + `"`,
		`href="/?` + q + `"`,
		`href="/incidents/INC-1?` + q + `"`,
		`href="/api/v1/incidents?` + q + `&amp;format=csv"`,
		`href="/api/v1/churn?` + q + `&amp;format=csv"`,
		`href="/api/v1/trends?metric=trust_score_avg&amp;interval=day&amp;` + q + `&amp;format=csv"`,
		`<input type="date" name="from" value="2026-10-01">`,
		`<input type="date" name="to" value="2026-11-01">`,
		`<option value="sev1" selected>sev1</option>`,
		"Incidents detected <strong>1 Oct 2026</strong> to <strong>1 Nov 2026</strong> · <strong>sev1</strong>",
		"vs previous 31 days",
		`<a class="reset" href="/">Reset</a>`,
	} {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q", w)
		}
	}
	from := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	cur := trustlens.Filter{From: from, To: to, Severity: "sev1"}
	prev := trustlens.Filter{From: from.AddDate(0, 0, -31), To: from, Severity: "sev1"}
	list := cur
	list.Limit = overviewRecent
	seen := map[trustlens.Filter]bool{}
	for _, f := range fake.seen() {
		seen[f] = true
	}
	for name, f := range map[string]trustlens.Filter{"current": cur, "previous period": prev, "incident list": list} {
		if !seen[f] {
			t.Errorf("analytics never asked for the %s filter %+v; got %+v", name, f, fake.seen())
		}
	}
	// a month: the trust score by day, satisfaction by week (in parallel)
	got := append([]string(nil), fake.metrics...)
	sort.Strings(got)
	if want := "csat_affected_avg/week,csat_baseline_avg/week,trust_score_avg/day"; strings.Join(got, ",") != want {
		t.Errorf("trend asked %q, want %s", strings.Join(got, ","), want)
	}

	// Every page keeps the filter in its navigation; the incident page too.
	for _, p := range []string{"/audit", "/churn", "/compensation", "/incidents/INC-1"} {
		_, body, _ := getPage(t, newPageFake(), p+"?severity=sev2")
		if !strings.Contains(body, `href="/churn?severity=sev2"`) || !strings.Contains(body, `href="/audit?severity=sev2"`) {
			t.Errorf("%s: navigation lost the filter", p)
		}
	}
}

func TestPageEmptyStates(t *testing.T) {
	fake := newPageFake()
	fake.summary = trustlens.Summary{}
	fake.prev = trustlens.Summary{}
	fake.incidents = nil
	fake.overdue = nil
	fake.churn = trustlens.Churn{ChurnWindowDays: 30}
	fake.comp = trustlens.Compensation{}
	fake.trend = trustlens.Trend{}
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{"No incidents here yet", "<code>make run</code>",
			"<code>trustlens produce --topic trustlens.incidents --file events.ndjson</code>",
			`<div class="kpi-value"><span class="kpi-figure">—</span></div>`, "no earlier figure to compare"}},
		{"/audit", []string{"No open incident is past its update cadence.", "No incidents here yet"}},
		{"/churn", []string{"No incidents here yet"}},
		{"/compensation", []string{"No compensation offered in this period",
			"<code>trustlens produce --topic trustlens.customer-responses --file events.ndjson</code>"}},
	} {
		status, body, _ := getPage(t, fake, tc.path)
		if status != 200 {
			t.Fatalf("GET %s: status %d", tc.path, status)
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: body lacks %q", tc.path, w)
			}
		}
		if strings.Contains(body, `class="chart"`) {
			t.Errorf("GET %s: draws a chart with no data", tc.path)
		}
	}
}

func TestPageAnalyticsFailure(t *testing.T) {
	fake := newPageFake()
	fake.err = errors.New("clickhouse: connection refused")
	for _, p := range []string{"/", "/audit", "/incidents/INC-1", "/churn", "/compensation"} {
		status, body, _ := getPage(t, fake, p)
		if status != http.StatusInternalServerError {
			t.Errorf("GET %s: status %d, want 500", p, status)
		}
		if strings.Contains(body, "connection refused") {
			t.Errorf("GET %s: the cause leaked to the page", p)
		}
	}
}

// chartOption matches a chart element and its option.
var chartOption = regexp.MustCompile(`<div class="chart[^"]*" id="([^"]+)" role="img" aria-label="[^"]*" data-option="([^"]*)"`)

func TestPageChartsAreValidOptions(t *testing.T) {
	want := map[string]int{"/": 6, "/audit": 3, "/incidents/INC-1": 2, "/churn": 2, "/compensation": 2}
	for path, n := range want {
		_, body, _ := getPage(t, newPageFake(), path)
		ms := chartOption.FindAllStringSubmatch(body, -1)
		if len(ms) != n {
			t.Errorf("GET %s: %d charts, want %d", path, len(ms), n)
		}
		for _, m := range ms {
			var opt struct {
				Series []struct {
					Type string          `json:"type"`
					Data json.RawMessage `json:"data"`
				} `json:"series"`
				Grid []json.RawMessage `json:"grid"`
			}
			if err := json.Unmarshal([]byte(html.UnescapeString(m[2])), &opt); err != nil {
				t.Errorf("GET %s: chart %s: option is not JSON: %v", path, m[1], err)
				continue
			}
			if len(opt.Series) == 0 || opt.Series[0].Type == "" {
				t.Errorf("GET %s: chart %s has no series", path, m[1])
			}
			// one grid: a second one (a chart's own margins added to
			// baseOpts') is used by no axis, so the margins were lost
			if len(opt.Grid) != 1 {
				t.Errorf("GET %s: chart %s has %d grids, want 1", path, m[1], len(opt.Grid))
			}
		}
	}
}

func TestChartFigures(t *testing.T) {
	f := newPageFake()
	// Acknowledged after 17 min and 50 min, one never: 15–30 min, 30 min–1 h, not yet.
	got := map[string]int64{}
	for _, b := range ttaBuckets(trustlens.SpreadOf(f.incidents, ttaBounds(1800))) {
		got[b.Label] = b.Count
	}
	want := map[string]int64{"≤ 7.5m": 0, "7.5m–15m": 0, "15m–30m": 1, "30m–1h": 1, "1h–2h": 0, "2h–4h": 0, "> 4h": 0, "not yet": 1}
	if len(got) != len(want) {
		t.Errorf("buckets %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("bucket %q = %d, want %d", k, got[k], v)
		}
	}
	hc := trustlens.SpreadOf(f.incidents, nil).Verdicts
	if c := hc[trustlens.HabitCommunicateProactively]; c[trustlens.Missed] != 2 || c[trustlens.Pending] != 1 || c[trustlens.Met] != 0 {
		t.Errorf("communicate_proactively counts %v", c)
	}
	ws := worstSilences(f.incidents, trustlens.DefaultPolicy(), 2)
	if len(ws) != 2 || ws[0].IncidentID != "INC 3/x" || ws[0].Ratio != 2 || ws[1].IncidentID != "INC-1" {
		t.Errorf("worst silences %+v", ws)
	}
	cov := channelCoverage(f.incidents)
	if len(cov) != 2 || cov[0] != (channelCount{"status_page", 2, 2.0 / 3}) || cov[1] != (channelCount{"email", 1, 1.0 / 3}) {
		t.Errorf("coverage %+v", cov)
	}
	gaps := incidentGaps(f.details["INC-1"], 3600, fakeNow)
	var secs []int64
	for _, g := range gaps {
		secs = append(secs, g.Seconds)
	}
	if len(gaps) != 4 || secs[1] != 95*60 || !gaps[1].Over || gaps[0].Over || gaps[3].ToLabel != "resolved" {
		t.Errorf("gaps %+v", gaps)
	}
	// When the answer's gaps do not line up, they are worked out from the timeline.
	d := f.details["INC-1"]
	d.Gaps = nil
	for i, g := range incidentGaps(d, 3600, fakeNow) {
		if g.Seconds != secs[i] {
			t.Errorf("computed gap %d = %d, want %d", i, g.Seconds, secs[i])
		}
	}
}

func TestFormatting(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{fmtDuration(45), "45 s"}, {fmtDuration(17 * 60), "17 min"}, {fmtDuration(3600), "1 h"},
		{fmtDuration(2*3600 + 600), "2 h 10 min"}, {fmtDuration(3*86400 + 4*3600), "3 d 4 h"}, {fmtDuration(-480), "−8 min"},
		{fmtDurationShort(450), "7.5m"}, {fmtDurationShort(7200), "2h"},
		{fmtPct(0.25), "25%"}, {fmtPct(0.045), "4.5%"}, {fmtPct(0), "0%"}, {fmtPercent(nil), "—"},
		{fmtInt(1234567), "1,234,567"}, {fmtInt(-1000), "−1,000"}, {fmtInt(999), "999"},
		{fmtMoney(1250.5), "1,250.50"}, {fmtMoney(0.999), "1.00"},
		{signed(7.5), "+7.5"}, {signed(-11.49), "−11.5"}, {signed(0.01), "0"},
		{fmtDays(pgFloat(1)), "1 day"}, {fmtDays(nil), "—"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	s := New(newPageFake(), Config{Now: func() time.Time { return fakeNow }})
	get := func(path string) *http.Response {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Result()
	}
	css := assets.url("app.css")
	if !strings.HasPrefix(css, "/static/app.css?v=") || len(css) != len("/static/app.css?v=")+12 {
		t.Fatalf("app.css URL %q", css)
	}
	r := get(css)
	if r.StatusCode != 200 || r.Header.Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "text/css") {
		t.Errorf("GET %s: %d %v", css, r.StatusCode, r.Header)
	}
	if r := get("/static/app.css"); r.StatusCode != 200 || r.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("GET /static/app.css without hash: %d %q", r.StatusCode, r.Header.Get("Cache-Control"))
	}
	if r := get("/static/charts.js"); !strings.HasPrefix(r.Header.Get("Content-Type"), "text/javascript") {
		t.Errorf("charts.js Content-Type %q", r.Header.Get("Content-Type"))
	}
	for _, p := range []string{"/static/nope.js", "/static/vendor/.gitignore", "/static/../page_layout.go"} {
		if r := get(p); r.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.StatusCode)
		}
	}
}

func TestChartLibraryMissing(t *testing.T) {
	a := loadAssets(fstest.MapFS{"static/app.css": {Data: []byte("body{}")}, "static/vendor/README.md": {Data: []byte("x")}})
	if a.chartsBuilt() {
		t.Fatal("chartsBuilt without echarts.min.js")
	}
	saved := assets
	assets = a
	defer func() { assets = saved }()
	_, body, _ := getPage(t, newPageFake(), "/")
	if !strings.Contains(body, "chart library not built: run <code>make assets</code>") {
		t.Error("no notice that the chart library is missing")
	}
	if strings.Contains(body, "echarts.min.js") {
		t.Error("links a chart library that is not there")
	}
}

func TestTimelineFoldsCustomerRuns(t *testing.T) {
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	ev := func(typ string) trustlens.TimelineEvent { return trustlens.TimelineEvent{Type: typ, OccurredAt: at} }
	rows := []timelineRow{}
	for _, typ := range []string{trustlens.TypeIncidentDetected, trustlens.TypeIncidentCustomerAffected,
		trustlens.TypeIncidentCustomerAffected, trustlens.TypeCustomerTicketOpened, trustlens.TypeCommunicationSent,
		trustlens.TypeCustomerFeedback, trustlens.TypeCustomerFeedback, trustlens.TypeIncidentResolved} {
		e := ev(typ)
		rows = append(rows, timelineRow{Event: &e})
	}
	got := foldCustomerRuns(rows)
	var shape []string
	for _, r := range got {
		switch {
		case r.Group != nil:
			shape = append(shape, groupSummary(r.Group))
		case r.Event != nil:
			shape = append(shape, r.Event.Type)
		}
	}
	want := []string{trustlens.TypeIncidentDetected, "3 customer events: 2 customer affected, 1 ticket opened",
		trustlens.TypeCommunicationSent, trustlens.TypeCustomerFeedback, trustlens.TypeCustomerFeedback, trustlens.TypeIncidentResolved}
	if strings.Join(shape, "|") != strings.Join(want, "|") {
		t.Errorf("folded timeline\n got %q\nwant %q", shape, want)
	}
}

func TestAuditWithoutTimelineWhenStoreIsSlow(t *testing.T) {
	fake := newPageFake()
	fake.slowDetail = true
	s := New(fake, Config{Now: func() time.Time { return fakeNow }, RequestTimeout: 300 * time.Millisecond})
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/audit", nil))
	body := rec.Body.String()
	if rec.Code != 200 {
		t.Fatalf("status %d\n%s", rec.Code, body)
	}
	for _, w := range []string{"The update timeline took too long to load", `id="chart-silence"`, `id="overdue-table"`} {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q", w)
		}
	}
}
