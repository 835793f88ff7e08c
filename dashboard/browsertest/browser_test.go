package browsertest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/dashboard"
	"github.com/trustlens/trustlens/internal/chtest"
	"github.com/trustlens/trustlens/internal/conformance"
)

// The conformance example's range; every incident of it is inside.
const rangeQuery = "from=2026-01-01&to=2027-01-01"

// chromium finds the browser. Without it the test is skipped on a
// developer's machine and fails in CI.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (apt-get install chromium); the browser test needs it in CI")
	}
	t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
	return ""
}

// seed loads the conformance example into a fresh database and returns the
// manifest's now.
func seed(t *testing.T) (*analytics.Store, time.Time) {
	t.Helper()
	conn, db := chtest.NewDatabase(t)
	ex := conformance.Open(t)
	ex.Insert(t, conn, db)
	now := ex.Now
	return analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now })), now
}

// recorder collects what the browser reports about the current page.
type recorder struct {
	mu       sync.Mutex
	problems []string
	requests []string
	allow404 string // a URL whose 404 answer is expected
}

func (r *recorder) reset(allow404 string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.problems, r.requests, r.allow404 = nil, nil, allow404
}

func (r *recorder) snapshot() (problems, requests []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.problems...), append([]string(nil), r.requests...)
}

// listen runs on chromedp's reading goroutine: it only records.
func (r *recorder) listen(ev any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning || e.Type == runtime.ConsoleAPICalledTypeAssert {
			var parts []string
			for _, a := range e.Args {
				if a.Value != nil {
					parts = append(parts, string(a.Value))
				} else {
					parts = append(parts, a.Description)
				}
			}
			r.problems = append(r.problems, fmt.Sprintf("console.%s: %s", e.Type, strings.Join(parts, " ")))
		}
	case *runtime.EventExceptionThrown:
		msg := e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
		r.problems = append(r.problems, "uncaught exception: "+msg)
	case *log.EventEntryAdded:
		if e.Entry.Level == log.EntryLevelError || e.Entry.Level == log.EntryLevelWarning {
			if r.allow404 != "" && e.Entry.URL == r.allow404 && strings.Contains(e.Entry.Text, "404") {
				return
			}
			r.problems = append(r.problems, fmt.Sprintf("browser log %s (%s): %s %s", e.Entry.Level, e.Entry.Source, e.Entry.Text, e.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		r.requests = append(r.requests, e.Request.URL)
	case *network.EventLoadingFailed:
		r.problems = append(r.problems, fmt.Sprintf("request failed: %s %s %s", e.Type, e.ErrorText, e.BlockedReason))
	case *network.EventResponseReceived:
		if e.Response.Status >= 400 && e.Response.URL != r.allow404 {
			r.problems = append(r.problems, fmt.Sprintf("HTTP %d for %s", e.Response.Status, e.Response.URL))
		}
	}
}

// getJSON reads an API answer.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", u, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// sameNumber compares a page's data-value with the API's figure.
func sameNumber(t *testing.T, what, page string, api *float64) {
	t.Helper()
	if api == nil {
		if page != "" {
			t.Errorf("%s: page shows %q, API has null", what, page)
		}
		return
	}
	got, err := strconv.ParseFloat(page, 64)
	if err != nil || got != *api {
		t.Errorf("%s: page has %q, API has %v", what, page, *api)
	}
}

func f64(v int64) *float64 { x := float64(v); return &x }

func i2f(v *int64) *float64 {
	if v == nil {
		return nil
	}
	return f64(*v)
}

func TestBrowser(t *testing.T) {
	chrome := chromium(t)
	srv, chartsBuilt := serveSeeded(t)

	// Figures from the API, to compare with the pages.
	var summary trustlens.Summary
	getJSON(t, srv.URL+"/api/v1/summary?"+rangeQuery, &summary)
	var list trustlens.IncidentPage
	getJSON(t, srv.URL+"/api/v1/incidents?limit=1000&"+rangeQuery, &list)
	var overdue struct {
		Overdue []trustlens.Overdue `json:"overdue"`
	}
	getJSON(t, srv.URL+"/api/v1/cadence/overdue", &overdue)
	var due struct {
		Due []trustlens.UpdateDue `json:"due"`
	}
	getJSON(t, srv.URL+"/api/v1/cadence/due", &due)
	dueOpen := 0 // the due table lists the open incidents that are not overdue
	for _, d := range due.Due {
		if !d.Overdue {
			dueOpen++
		}
	}
	var churn trustlens.Churn
	getJSON(t, srv.URL+"/api/v1/churn?"+rangeQuery, &churn)
	var comp trustlens.Compensation
	getJSON(t, srv.URL+"/api/v1/compensation?"+rangeQuery, &comp)
	if summary.Incidents == 0 || len(list.Incidents) == 0 {
		t.Fatalf("the seeded store has no incidents: %+v", summary)
	}
	var resolved, open *trustlens.Incident
	for i := range list.Incidents {
		inc := &list.Incidents[i]
		if inc.ResolvedAt != nil && resolved == nil && inc.Updates > 1 {
			resolved = inc
		}
		if inc.ResolvedAt == nil && open == nil {
			open = inc
		}
	}
	if resolved == nil {
		resolved = &list.Incidents[0]
	}
	if open != nil && len(due.Due) == 0 {
		t.Errorf("incident %s is open, but /api/v1/cadence/due lists none", open.IncidentID)
	}
	t.Logf("updates due: %d open incidents, %d not overdue", len(due.Due), dueOpen)

	rec := &recorder{}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithListener(rec.listen))
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}

	shots := filepath.Join("testdata", "output", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	type pageCheck struct {
		name     string
		path     string
		status   int
		charts   int // at least this many charts
		width    int64
		check    func(t *testing.T, ctx context.Context)
		allow404 bool
		docs     string // also saved as docs/screenshots/<docs> (the top of the page)
	}
	attr := func(t *testing.T, ctx context.Context, sel, name string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`(function(){var e=document.querySelector(%q);return e?(e.getAttribute(%q)||""):"<missing>"})()`, sel, name)))
		if err != nil {
			t.Fatalf("read %s[%s]: %v", sel, name, err)
		}
		if v == "<missing>" {
			t.Errorf("no element %s on the page", sel)
		}
		return v
	}
	text := func(t *testing.T, ctx context.Context, sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(
			`(function(){var e=document.querySelector(%q);return e?e.textContent.trim():"<missing>"})()`, sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}
	incidentURL := func(id string) string { return "/incidents/" + url.PathEscape(id) + "?" + rangeQuery }

	pages := []pageCheck{
		{name: "overview", path: "/?" + rangeQuery, status: 200, charts: 4, width: 1280, docs: "overview.png", check: func(t *testing.T, ctx context.Context) {
			sameNumber(t, "trust score tile", attr(t, ctx, `[data-metric="trust_score_avg"]`, "data-value"), summary.TrustScoreAvg)
			sameNumber(t, "incidents tile", attr(t, ctx, `[data-metric="incidents"]`, "data-value"), f64(summary.Incidents))
			sameNumber(t, "time to acknowledge tile", attr(t, ctx, `[data-metric="tta_median_seconds"]`, "data-value"), i2f(summary.TTAMedianSeconds))
			sameNumber(t, "cadence tile", attr(t, ctx, `[data-metric="cadence_compliance_rate"]`, "data-value"), summary.CadenceComplianceRate)
			sameNumber(t, "uptake tile", attr(t, ctx, `[data-metric="compensation_uptake_rate"]`, "data-value"), summary.CompensationUptakeRate)
			sameNumber(t, "churn uplift tile", attr(t, ctx, `[data-metric="churn_uplift_pp"]`, "data-value"), summary.ChurnUpliftPP)
			if got, want := text(t, ctx, `[data-metric="incidents"] .kpi-figure`), strconv.FormatInt(summary.Incidents, 10); got != want && strings.ReplaceAll(got, ",", "") != want {
				t.Errorf("incidents tile shows %q, API says %s", got, want)
			}
			if summary.TrustScoreAvg != nil {
				want := strconv.FormatFloat(float64(int64(*summary.TrustScoreAvg*10+0.5))/10, 'f', -1, 64)
				if got := text(t, ctx, `[data-metric="trust_score_avg"] .kpi-figure`); got != want {
					t.Errorf("trust score tile shows %q, want %q", got, want)
				}
			}
		}},
		{name: "audit", path: "/audit?" + rangeQuery, status: 200, charts: 3, width: 1280, docs: "audit.png", check: func(t *testing.T, ctx context.Context) {
			want := strconv.Itoa(len(overdue.Overdue))
			if got := text(t, ctx, "#overdue-count"); got != want {
				t.Errorf("overdue count %q, API lists %s", got, want)
			}
			rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#overdue-table tbody tr").length`))
			if err != nil || rows != len(overdue.Overdue) {
				t.Errorf("overdue rows %d (%v), API lists %d", rows, err, len(overdue.Overdue))
			}
			// The auto-refresh script fetches the API and rebuilds the table.
			if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`document.dispatchEvent(new Event("trustlens:refresh-overdue"))`)); err != nil {
				t.Fatal(err)
			}
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("overdue-status").textContent.indexOf("Updated") === 0`,
				chromedp.WithPollingTimeout(20*time.Second))); err != nil {
				t.Errorf("overdue table did not refresh: %v (status %q)", err, text(t, ctx, "#overdue-status"))
			}
			rows, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#overdue-table tbody tr").length`))
			if err != nil || rows != len(overdue.Overdue) {
				t.Errorf("after refresh: overdue rows %d (%v), API lists %d", rows, err, len(overdue.Overdue))
			}
			// The refresh rebuilt "Next updates due" from its API too (it marks
			// the table when it does): as many rows (at most 10) and the same
			// count as the server rendered.
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("due-table").hasAttribute("data-refreshed")`,
				chromedp.WithPollingTimeout(20*time.Second))); err != nil {
				t.Errorf("the due table was not rebuilt by the refresh: %v", err)
			}
			if got, want := text(t, ctx, "#due-count"), strconv.Itoa(dueOpen); got != want {
				t.Errorf("due count %q, API lists %s open incidents not overdue", got, want)
			}
			rows, err = chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#due-table tbody tr").length`))
			if err != nil || rows != min(dueOpen, 10) {
				t.Errorf("after refresh: due rows %d (%v), want %d", rows, err, min(dueOpen, 10))
			}
			if dueOpen > 0 {
				if got := text(t, ctx, "#due-table tbody tr td:nth-child(6)"); !strings.HasPrefix(got, "the ") {
					t.Errorf("due table's first reason %q, want the words the server gives", got)
				}
			}
		}},
		{name: "churn", path: "/churn?" + rangeQuery, status: 200, charts: 2, width: 1280, check: func(t *testing.T, ctx context.Context) {
			sameNumber(t, "affected churn tile", attr(t, ctx, `[data-metric="churn_affected_rate"]`, "data-value"), churn.AffectedRate)
			sameNumber(t, "baseline churn tile", attr(t, ctx, `[data-metric="churn_baseline_rate"]`, "data-value"), churn.BaselineRate)
		}},
		{name: "compensation", path: "/compensation?" + rangeQuery, status: 200, charts: 2, width: 1280, check: func(t *testing.T, ctx context.Context) {
			sameNumber(t, "offered tile", attr(t, ctx, `[data-metric="offered_customers"]`, "data-value"), f64(comp.OfferedCustomers))
			sameNumber(t, "uptake tile", attr(t, ctx, `[data-metric="uptake_rate"]`, "data-value"), comp.UptakeRate)
		}},
		{name: "incident", path: incidentURL(resolved.IncidentID), status: 200, charts: 1, width: 1280, check: func(t *testing.T, ctx context.Context) {
			sameNumber(t, "incident trust score", attr(t, ctx, `[data-metric="trust_score"]`, "data-value"), i2f(resolved.TrustScore))
			items, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".scorecard li").length`))
			if err != nil || items != len(trustlens.Habits) {
				t.Errorf("scorecard has %d habits (%v), want %d", items, err, len(trustlens.Habits))
			}
			// Every communication of the timeline shows its words, folded.
			var detail trustlens.IncidentDetail
			getJSON(t, srv.URL+"/api/v1/incidents/"+url.PathEscape(resolved.IncidentID), &detail)
			said, firstBody := 0, ""
			for _, e := range detail.Timeline {
				if e.Message != nil && e.Message.Body != "" {
					if said == 0 {
						firstBody = e.Message.Body
					}
					said++
				}
			}
			if said == 0 {
				t.Fatalf("incident %s: no communication with words in the API's timeline", resolved.IncidentID)
			}
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("details.tl-words").length`))
			if err != nil || n != said {
				t.Errorf("%d 'What was said' sections (%v), the API has %d communications with words", n, err, said)
			}
			open, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var d=document.querySelector("details.tl-words");`+
				`if(!d)return "<missing>";var q=d.querySelector("blockquote");var before=q.checkVisibility();`+
				`d.querySelector("summary").click();return before+"|"+q.checkVisibility()+"|"+q.textContent})()`))
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.SplitN(open, "|", 3)
			if len(parts) != 3 || parts[0] != "false" || parts[1] != "true" || parts[2] != firstBody {
				t.Errorf("'What was said' before and after a click (visible|visible|words): %q, want false, true, then %q", open, firstBody)
			}
		}},
		{name: "overview-phone", path: "/?" + rangeQuery, status: 200, charts: 4, width: 390, check: func(t *testing.T, ctx context.Context) {
			over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
			if err != nil || over > 0 {
				t.Errorf("the page is %d px wider than a phone screen (%v)", over, err)
			}
		}},
		{name: "not-found", path: "/incidents/NO-SUCH-INCIDENT", status: 404, width: 1280, allow404: true, check: func(t *testing.T, ctx context.Context) {
			if got := text(t, ctx, "h1"); got != "Not found" {
				t.Errorf("404 page heading %q", got)
			}
		}},
	}
	if open != nil {
		pages = append(pages, pageCheck{name: "incident-open", path: incidentURL(open.IncidentID), status: 200, charts: 1, width: 1280,
			check: func(t *testing.T, ctx context.Context) {
				// an open incident always has its next update to send, first
				if got := text(t, ctx, "#next-steps .steps li:first-child .step-text"); !strings.HasPrefix(got, "Send ") {
					t.Errorf("first next step %q, want the next update", got)
				}
			}})
	}

	for _, pc := range pages {
		t.Run(pc.name, func(t *testing.T) {
			allow := ""
			if pc.allow404 {
				allow = srv.URL + pc.path
			}
			rec.reset(allow)
			ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
			defer cancel()
			height := int64(1300)
			if pc.width < 600 {
				height = 844
			}
			if err := chromedp.Do(ctx, chromedp.EmulateViewport(pc.width, height)); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+pc.path))
			t.Logf("%s loaded in %s", pc.path, time.Since(start).Round(time.Millisecond))
			if err != nil {
				t.Fatalf("open %s: %v", pc.path, err)
			}
			if resp.Status != int64(pc.status) {
				t.Errorf("GET %s: status %d, want %d", pc.path, resp.Status, pc.status)
			}
			if chartsBuilt {
				// Wait until charts.js has drawn every chart.
				if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
					`document.readyState === "complete" && document.querySelectorAll(".chart:not([data-drawn])").length === 0`,
					chromedp.WithPollingTimeout(30*time.Second))); err != nil {
					t.Fatalf("charts not drawn: %v", err)
				}
				counts, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](
					`[document.querySelectorAll(".chart").length, document.querySelectorAll(".chart canvas").length]`))
				if err != nil {
					t.Fatal(err)
				}
				if counts[0] < pc.charts || counts[1] < counts[0] {
					t.Errorf("%d charts with %d canvases, want at least %d charts, each drawn", counts[0], counts[1], pc.charts)
				}
			} else if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.readyState === "complete"`)); err != nil {
				t.Fatal(err)
			}
			if pc.check != nil {
				pc.check(t, ctx)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatalf("screenshot: %v", err)
			}
			if err := os.WriteFile(filepath.Join(shots, pc.name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
			if pc.docs != "" {
				top, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
				if err != nil {
					t.Fatalf("screenshot: %v", err)
				}
				if err := os.WriteFile(filepath.Join(shots, "top-"+pc.docs), top, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			problems, requests := rec.snapshot()
			for _, p := range problems {
				t.Errorf("%s: %s", pc.path, p)
			}
			for _, u := range requests {
				if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
					t.Errorf("%s: request to another host: %s", pc.path, u)
				}
			}
			if len(requests) == 0 {
				t.Errorf("%s: no request recorded", pc.path)
			}
		})
	}

	if os.Getenv("TRUSTLENS_UPDATE_SCREENSHOTS") != "" {
		docs := filepath.Join("..", "..", "docs", "screenshots")
		if err := os.MkdirAll(docs, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, pc := range pages {
			if pc.docs == "" {
				continue
			}
			b, err := os.ReadFile(filepath.Join(shots, "top-"+pc.docs))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(docs, pc.docs), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// serveSeeded serves the dashboard on the seeded store until the test ends
// and says whether the chart library is built (in CI it must be).
func serveSeeded(t *testing.T) (*httptest.Server, bool) {
	t.Helper()
	store, now := seed(t)
	srv := httptest.NewServer(dashboard.New(store, dashboard.Config{
		Now: func() time.Time { return now },
		// The machine that runs the tests is small and shared: give the
		// store time (these tests check content, not speed).
		RequestTimeout: 2 * time.Minute,
	}).Handler())
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/static/vendor/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	chartsBuilt := resp.StatusCode == 200
	if !chartsBuilt {
		if os.Getenv("CI") != "" {
			t.Fatal("the chart library is not built: run make assets (cd dashboard/web && npm ci && npm run build) before the tests")
		}
		t.Log("the chart library is not built (make assets): checking the pages without their charts")
	}
	return srv, chartsBuilt
}
