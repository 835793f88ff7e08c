package browsertest_test

import (
	"context"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustlens/trustlens"
)

// TestBrowserTickets opens the pages that show tickets, satisfaction and
// the lost revenue (SPEC §2.6, §1.4) in headless chromium (a fresh
// profile) on the conformance example, and compares what they show with
// the API: the overview's cost-of-silence card and satisfaction chart,
// the incident with the most tickets and its tickets chart, the churn
// page's lost MRR. No console error, no request to another host.
func TestBrowserTickets(t *testing.T) {
	chrome := chromium(t)
	srv, chartsBuilt := serveSeeded(t)

	var summary trustlens.Summary
	getJSON(t, srv.URL+"/api/v1/summary?"+rangeQuery, &summary)
	var list trustlens.IncidentPage
	getJSON(t, srv.URL+"/api/v1/incidents?limit=1000&"+rangeQuery, &list)
	var churn trustlens.Churn
	getJSON(t, srv.URL+"/api/v1/churn?"+rangeQuery, &churn)
	var busiest *trustlens.Incident // the incident with the most tickets
	for i := range list.Incidents {
		if inc := &list.Incidents[i]; busiest == nil || inc.Tickets > busiest.Tickets {
			busiest = inc
		}
	}
	if busiest == nil || busiest.Tickets == 0 {
		t.Fatal("no incident of the seeded store has tickets")
	}
	var detail trustlens.IncidentDetail
	getJSON(t, srv.URL+"/api/v1/incidents/"+url.PathEscape(busiest.IncidentID), &detail)
	if int64(len(detail.TicketTimes)) != detail.Tickets {
		t.Fatalf("%s: %d ticket_times, %d tickets", busiest.IncidentID, len(detail.TicketTimes), detail.Tickets)
	}

	rec := &recorder{}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chrome), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))...)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithListener(rec.listen))
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	shots := filepath.Join("testdata", "output", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}

	// open loads path and waits for its charts; finish checks what the
	// browser reported.
	open := func(t *testing.T, name, path string) context.Context {
		t.Helper()
		rec.reset("")
		ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
		t.Cleanup(cancel)
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 1300)); err != nil {
			t.Fatal(err)
		}
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+path))
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		if resp.Status != 200 {
			t.Errorf("GET %s: status %d", path, resp.Status)
		}
		wait := `document.readyState === "complete"`
		if chartsBuilt {
			wait += ` && document.querySelectorAll(".chart:not([data-drawn])").length === 0`
		}
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](wait, chromedp.WithPollingTimeout(30*time.Second))); err != nil {
			t.Fatalf("%s: not loaded or charts not drawn: %v", path, err)
		}
		if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
			_ = os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644)
		}
		return ctx
	}
	finish := func(t *testing.T, path string) {
		t.Helper()
		problems, requests := rec.snapshot()
		for _, p := range problems {
			t.Errorf("%s: %s", path, p)
		}
		for _, u := range requests {
			if !strings.HasPrefix(u, srv.URL+"/") && !strings.HasPrefix(u, "data:") {
				t.Errorf("%s: request to another host: %s", path, u)
			}
		}
	}
	eval := func(t *testing.T, ctx context.Context, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	attr := func(t *testing.T, ctx context.Context, sel, name string) string {
		t.Helper()
		v := eval(t, ctx, `(function(){var e=document.querySelector(`+strconv.Quote(sel)+`);return e?(e.getAttribute(`+strconv.Quote(name)+`)||""):"<missing>"})()`)
		if v == "<missing>" {
			t.Errorf("no element %s on the page", sel)
		}
		return v
	}
	text := func(t *testing.T, ctx context.Context, sel string) string {
		t.Helper()
		return eval(t, ctx, `(function(){var e=document.querySelector(`+strconv.Quote(sel)+`);return e?e.textContent.trim().replace(/\s+/g," "):"<missing>"})()`)
	}
	// drawn says whether the chart id has a canvas (the library is built)
	drawn := func(t *testing.T, ctx context.Context, id string) {
		t.Helper()
		if !chartsBuilt {
			return
		}
		if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#`+id+` canvas").length`)); err != nil || n == 0 {
			t.Errorf("chart %s is not drawn (%d canvases, %v)", id, n, err)
		}
	}

	t.Run("overview", func(t *testing.T) {
		path := "/?" + rangeQuery
		ctx := open(t, "tickets-overview", path)
		sameNumber(t, "tickets per hour silent", attr(t, ctx, `[data-metric="tickets_per_hour_silent"]`, "data-value"), summary.TicketsPerHourSilent)
		sameNumber(t, "tickets per hour updated", attr(t, ctx, `[data-metric="tickets_per_hour_updated"]`, "data-value"), summary.TicketsPerHourUpdated)
		sameNumber(t, "csat affected", attr(t, ctx, `[data-metric="csat_affected_avg"]`, "data-value"), summary.CSATAffectedAvg)
		sameNumber(t, "csat baseline", attr(t, ctx, `[data-metric="csat_baseline_avg"]`, "data-value"), summary.CSATBaselineAvg)
		reading := text(t, ctx, "#silence-reading")
		if s, u := summary.TicketsPerHourSilent, summary.TicketsPerHourUpdated; s != nil && u != nil && *u > 0 {
			// the multiple, as the card writes it (two decimals below 1,
			// one above)
			x, d := *s / *u, 10.0
			if x < 1 {
				d = 100
			}
			m := strconv.FormatFloat(math.Round(x*d)/d, 'f', -1, 64) + "×"
			if got := text(t, ctx, `[data-metric="silence_multiple"] .kpi-value`); got != m {
				t.Errorf("multiple %q, want %q", got, m)
			}
			if m != "1×" && !strings.Contains(reading, m) {
				t.Errorf("the reading %q does not give the multiple %s", reading, m)
			}
		} else if reading == "" {
			t.Error("the cost-of-silence card has no reading")
		}
		drawn(t, ctx, "chart-csat")
		if chartsBuilt {
			// the chart's two lines are the API's trends (a year: by
			// month), to two decimals, "-" for an empty bucket
			for i, metric := range []string{"csat_affected_avg", "csat_baseline_avg"} {
				var tr trustlens.Trend
				getJSON(t, srv.URL+"/api/v1/trends?metric="+metric+"&interval=month&"+rangeQuery, &tr)
				var want []string
				for _, p := range tr.Points {
					v := "-"
					if p.Value != nil {
						v = strconv.FormatFloat(math.Round(*p.Value*100)/100, 'f', -1, 64)
					}
					want = append(want, v)
				}
				got := eval(t, ctx, `echarts.getInstanceByDom(document.getElementById("chart-csat")).getOption().series[`+strconv.Itoa(i)+
					`].data.map(function(d){return String(d.value)}).join(",")`)
				if got != strings.Join(want, ",") {
					t.Errorf("CSAT chart's %s line %s, API %s", metric, got, strings.Join(want, ","))
				}
			}
		}
		finish(t, path)
	})

	t.Run("incident", func(t *testing.T) {
		path := "/incidents/" + url.PathEscape(busiest.IncidentID) + "?" + rangeQuery
		ctx := open(t, "tickets-incident", path)
		sameNumber(t, "tickets tile", attr(t, ctx, `[data-metric="tickets"]`, "data-value"), f64(detail.Tickets))
		sameNumber(t, "csat tile", attr(t, ctx, `[data-metric="csat_avg"]`, "data-value"), detail.CSATAvg)
		// every ticket is silent, updated or outside [detected, end]
		n := int64(0)
		for _, a := range []string{"data-silent", "data-updated", "data-outside"} {
			v, err := strconv.ParseInt(attr(t, ctx, "#tickets-split", a), 10, 64)
			if err != nil {
				t.Errorf("#tickets-split %s: %v", a, err)
			}
			n += v
		}
		if n != detail.Tickets {
			t.Errorf("the split counts %d tickets, the API %d", n, detail.Tickets)
		}
		drawn(t, ctx, "chart-tickets")
		if chartsBuilt {
			// the step line ends at the incident's tickets
			got := eval(t, ctx, `(function(){var d = echarts.getInstanceByDom(document.getElementById("chart-tickets")).getOption().series[0].data;
  return String(d[d.length-1].value[1])})()`)
			if got != strconv.FormatInt(detail.Tickets, 10) {
				t.Errorf("tickets chart ends at %s, want %d", got, detail.Tickets)
			}
		}
		finish(t, path)
	})

	t.Run("churn", func(t *testing.T) {
		path := "/churn?" + rangeQuery
		ctx := open(t, "tickets-churn", path)
		v := churn.LostMRRAffected
		sameNumber(t, "lost MRR tile", attr(t, ctx, `[data-metric="lost_mrr_affected"]`, "data-value"), &v)
		reading := text(t, ctx, "#lost-mrr")
		if churn.LostMRRAffectedCustomers > 0 {
			want := money(churn.LostMRRAffected) + " of monthly revenue lost among affected customers"
			if !strings.HasPrefix(reading, want) {
				t.Errorf("lost MRR reading %q, want it to start with %q", reading, want)
			}
		} else if !strings.HasPrefix(reading, "No affected customer churned") {
			t.Errorf("lost MRR reading %q with no churned affected customer", reading)
		}
		finish(t, path)
	})
}

// money writes an amount as the pages do: "12,345.60".
func money(v float64) string {
	s := strconv.FormatFloat(math.Round(v*100)/100, 'f', 2, 64)
	whole, cents, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + cents
}
