package browsertest_test

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/trustlens/trustlens"
)

// TestBrowserCustomers opens the worklist and one customer's page in
// headless chromium (a fresh profile) on the conformance example and
// compares what they show with the API: one table row per customer in the
// API's order, and the customer's incidents on a drawn timeline chart and
// in the table. No console error, no request to another host.
func TestBrowserCustomers(t *testing.T) {
	chrome := chromium(t)
	srv, chartsBuilt := serveSeeded(t)

	var list struct {
		Customers []trustlens.Customer `json:"customers"`
		Total     int64                `json:"total"`
	}
	getJSON(t, srv.URL+"/api/v1/customers?limit=50&"+rangeQuery, &list) // the page shows 50 rows
	if len(list.Customers) == 0 {
		t.Fatal("the seeded store has no affected customers")
	}
	first := list.Customers[0]
	var detail trustlens.CustomerDetail
	getJSON(t, srv.URL+"/api/v1/customers/"+url.PathEscape(first.CustomerID)+"?"+rangeQuery, &detail)

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

	open := func(t *testing.T, name, path string, charts int) context.Context {
		t.Helper()
		rec.reset("")
		ctx, cancel := context.WithTimeout(browser, 3*time.Minute)
		t.Cleanup(cancel)
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(srv.URL+path))
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		if resp.Status != 200 {
			t.Errorf("GET %s: status %d", path, resp.Status)
		}
		if chartsBuilt {
			if _, err := chromedp.Run(ctx, chromedp.Poll[bool](
				`document.readyState === "complete" && document.querySelectorAll(".chart:not([data-drawn])").length === 0`,
				chromedp.WithPollingTimeout(30*time.Second))); err != nil {
				t.Fatalf("charts not drawn: %v", err)
			}
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".chart canvas").length`))
			if err != nil || n < charts {
				t.Errorf("%d drawn charts (%v), want %d", n, err, charts)
			}
		}
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err == nil {
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

	t.Run("worklist", func(t *testing.T) {
		path := "/customers?" + rangeQuery
		ctx := open(t, "customers", path, 1)
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("#worklist tbody tr")).map(function(r){return r.getAttribute("data-customer")})`))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, c := range list.Customers {
			want = append(want, c.CustomerID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Errorf("worklist rows %v, API order %v", ids, want)
		}
		due, err := chromedp.Run(ctx, chromedp.Evaluate[string](
			`document.querySelector('#worklist tbody tr [data-col="follow_up_due"]').textContent.trim()`))
		if err != nil || due != fmt.Sprint(first.FollowUpDue) {
			t.Errorf("first row's follow-up due %q (%v), API %d", due, err, first.FollowUpDue)
		}
		// the row's link leads to the customer's page
		finish(t, path)
		href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#worklist tbody tr a").href`))
		if err != nil {
			t.Fatal(err)
		}
		if want := srv.URL + "/customers/" + url.PathEscape(first.CustomerID) + "?" + rangeQuery; href != want {
			t.Errorf("the first row links to %s, want %s", href, want)
		}
	})

	t.Run("customer", func(t *testing.T) {
		path := "/customers/" + url.PathEscape(first.CustomerID) + "?" + rangeQuery
		ctx := open(t, "customer", path, 1)
		ids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
			`Array.from(document.querySelectorAll("#customer-incidents tbody tr")).map(function(r){return r.getAttribute("data-incident")})`))
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(ids) != fmt.Sprint(detail.IncidentIDs) {
			t.Errorf("incident rows %v, API %v", ids, detail.IncidentIDs)
		}
		if chartsBuilt {
			// every incident is one dot of the timeline
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(function(){
  var el = document.getElementById("chart-customer"), c = echarts.getInstanceByDom(el);
  return c.getOption().series.reduce(function(n, s){ return n + (s.data || []).length }, 0) })()`))
			if err != nil || n != len(detail.Timeline) {
				t.Errorf("timeline chart has %d dots (%v), want %d", n, err, len(detail.Timeline))
			}
		}
		finish(t, path)
	})
}
