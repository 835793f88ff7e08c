package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// customerFake is the page fake with a worklist of two customers.
type customerFake struct {
	*pageFake
	cmu     sync.Mutex
	cfilter trustlens.CustomerFilter
	rows    []trustlens.Customer
	detail  trustlens.CustomerDetail
}

func (f *customerFake) Customers(ctx context.Context, flt trustlens.CustomerFilter) (trustlens.CustomerPage, error) {
	f.cmu.Lock()
	f.cfilter = flt
	f.cmu.Unlock()
	return trustlens.CustomerPage{Customers: f.rows, Total: int64(len(f.rows)) + 60}, nil
}

func (f *customerFake) Customer(ctx context.Context, id string, flt trustlens.Filter) (trustlens.CustomerDetail, error) {
	if id != f.detail.CustomerID {
		return trustlens.CustomerDetail{}, fmt.Errorf("fake: %w", trustlens.ErrNotFound)
	}
	return f.detail, nil
}

func newCustomerFake() *customerFake {
	churned := time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC)
	acme := trustlens.Customer{
		CustomerID: "acme/eu", Segment: "enterprise", MRR: pgFloat(1200), Incidents: 3, IncidentIDs: []string{"INC-1", "INC-2", "INC-3"},
		FollowedUp: 1, FollowUpDue: 1, FollowUpMissed: 1, OpenIncidents: 0, CompensationOffered: 2, CompensationRedeemed: 1,
		ApologizedIncidents: 3, ApologyFatigue: true, Tickets: 4, CSATAvg: pgFloat(2.5),
	}
	bolt := trustlens.Customer{CustomerID: "bolt", Incidents: 1, IncidentIDs: []string{"INC-3"}, OpenIncidents: 1, ChurnedAt: &churned}
	d1 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	return &customerFake{
		pageFake: newPageFake(),
		rows:     []trustlens.Customer{acme, bolt},
		detail: trustlens.CustomerDetail{Customer: acme, Timeline: []trustlens.CustomerIncident{
			{IncidentID: "INC-1", Title: "Checkout down", Severity: "sev1", Status: "resolved", DetectedAt: d1,
				ResolvedAt: pgTime(d1.Add(3 * time.Hour)), Apologized: true, FollowedUp: true,
				FollowUpAt: pgTime(d1.Add(24 * time.Hour)), FollowUp: "done", Offered: true, Redeemed: true, Tickets: 2,
				CSATAvg: pgFloat(2), TrustScore: pgInt(57)},
			{IncidentID: "INC-2", Title: "Slow search", Severity: "sev3", Status: "resolved", DetectedAt: d1.Add(8 * 24 * time.Hour),
				ResolvedAt: pgTime(d1.Add(8*24*time.Hour + time.Hour)), Apologized: true, FollowUp: "due"},
		}},
	}
}

func customerServer(f Analytics) *Server {
	return New(f, Config{Now: func() time.Time { return fakeNow }})
}

func TestCustomersAPI(t *testing.T) {
	fake := newCustomerFake()
	s := customerServer(fake)
	rec := apiDo(t, s, http.MethodGet, "/api/v1/customers?needs=follow_up&limit=2&offset=4&severity=sev1", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	assertJSON(t, rec.Body.Bytes(), strings.ReplaceAll(`{"customers":[
		{"customer_id":"acme/eu","segment":"enterprise","mrr":1200,"incidents":3,"incident_ids":["INC-1","INC-2","INC-3"],
		 "open_incidents":0,"followed_up":1,"follow_up_due":1,"follow_up_missed":1,"compensation_offered":2,
		 "compensation_redeemed":1,"apologized_incidents":3,"apology_fatigue":true,"tickets":4,"csat_avg":2.5,"churned_at":null},
		{"customer_id":"bolt","segment":"","mrr":null,"incidents":1,"incident_ids":["INC-3"],"open_incidents":1,
		 "followed_up":0,"follow_up_due":0,"follow_up_missed":0,"compensation_offered":0,"compensation_redeemed":0,
		 "apologized_incidents":0,"apology_fatigue":false,"tickets":0,"csat_avg":null,"churned_at":"2026-11-15T00:00:00Z"}],
		"total":62,"limit":2,"offset":4,"policy":POLICY}`, "POLICY", policyJSON(t)))
	want := trustlens.CustomerFilter{Filter: trustlens.Filter{From: fakeNow.Add(-DefaultRange), To: fakeNow, Severity: "sev1", Limit: 2, Offset: 4}, Needs: "follow_up"}
	if fake.cfilter != want {
		t.Errorf("filter %+v, want %+v", fake.cfilter, want)
	}

	rec = apiDo(t, s, http.MethodGet, "/api/v1/customers?format=csv", nil)
	wantCSV := "customer_id,segment,mrr,incidents,incident_ids,open_incidents,followed_up,follow_up_due,follow_up_missed,compensation_offered,compensation_redeemed,apologized_incidents,apology_fatigue,tickets,csat_avg,churned_at\r\n" +
		"acme/eu,enterprise,1200,3,INC-1;INC-2;INC-3,0,1,1,1,2,1,3,true,4,2.5,\r\n" +
		"bolt,,,1,INC-3,1,0,0,0,0,0,0,false,0,,2026-11-15T00:00:00Z\r\n"
	if got := rec.Body.String(); got != wantCSV {
		t.Errorf("CSV\n got %q\nwant %q", got, wantCSV)
	}
	if got := rec.Header().Get("X-Total-Count"); got != "62" {
		t.Errorf("X-Total-Count %q", got)
	}

	for _, tc := range []struct{ target, msg string }{
		{"/api/v1/customers?needs=everyone", `needs: must be one of follow_up, all, got \"everyone\"`},
		{"/api/v1/customers?status=open", "status: unknown query parameter"},
		{"/api/v1/customers?limit=0", "limit: must be an integer"},
		{"/api/v1/customers/acme%2Feu?from=yesterday", "from: must be RFC 3339"},
	} {
		rec := apiDo(t, s, http.MethodGet, tc.target, nil)
		if rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), tc.msg) {
			t.Errorf("%s: %d %s, want 400 with %q", tc.target, rec.Code, rec.Body, tc.msg)
		}
	}

	rec = apiDo(t, s, http.MethodGet, "/api/v1/customers/acme%2Feu?format=csv", nil)
	wantCSV = "incident_id,title,severity,status,detected_at,resolved_at,apologized,follow_up,follow_up_at,compensation_offered,compensation_redeemed,tickets,csat_avg,trust_score,max_silence_seconds\r\n" +
		"INC-1,Checkout down,sev1,resolved,2026-11-02T09:00:00Z,2026-11-02T12:00:00Z,true,done,2026-11-03T09:00:00Z,true,true,2,2,57,0\r\n" +
		"INC-2,Slow search,sev3,resolved,2026-11-10T09:00:00Z,2026-11-10T10:00:00Z,true,due,,false,false,0,,,0\r\n"
	if rec.Code != http.StatusOK || rec.Body.String() != wantCSV {
		t.Errorf("customer CSV %d\n got %q\nwant %q", rec.Code, rec.Body.String(), wantCSV)
	}
	if rec := apiDo(t, s, http.MethodGet, "/api/v1/customers/nobody", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown customer: %d %s", rec.Code, rec.Body)
	}
	// a backend without the worklist answers 501, not a panic
	if rec := apiDo(t, customerServer(newPageFake()), http.MethodGet, "/api/v1/customers", nil); rec.Code != http.StatusNotImplemented {
		t.Errorf("no worklist backend: %d %s", rec.Code, rec.Body)
	}
}

func TestCustomerPages(t *testing.T) {
	s := customerServer(newCustomerFake())
	for _, tc := range []struct {
		path   string
		status int
		want   []string
	}{
		{"/customers?severity=sev1", 200, []string{
			"<title>Customers to call · trustlens</title>",
			`<a href="/customers?severity=sev1" class="active" aria-current="page">Customers</a>`,
			`<tr data-customer="acme/eu">`, `href="/customers/acme%2Feu?severity=sev1"`,
			`<td class="num bad" data-col="follow_up_due">1</td>`,
			`<span class="badge badge-missed" title="3 apologized incidents within 90 days">fatigue</span>`,
			"1,200.00", "2.5", `<span class="bad">15 Nov 2026</span>`,
			`id="chart-worklist"`, "Rows 1–2 of 62", `href="/customers?offset=50&amp;severity=sev1" rel="next"`,
			`href="/customers?needs=follow_up&amp;severity=sev1" id="show-due"`,
			`href="/api/v1/customers?format=csv&amp;limit=1000&amp;severity=sev1"`,
		}},
		{"/customers?needs=follow_up&offset=50", 200, []string{
			`href="/customers?needs=follow_up" rel="prev"`, `<a href="/customers" id="show-all">`, "Customers owed a follow-up",
		}},
		{"/customers/acme%2Feu", 200, []string{
			"<title>Customer acme/eu · trustlens</title>", `id="chart-customer"`,
			`<tr data-incident="INC-1">`, `<span class="badge badge-met">done</span>`, `<span class="badge badge-pending">due</span>`,
			`href="/api/v1/customers/acme%2Feu?format=csv"`, "apology fatigue",
		}},
		{"/customers/nobody", 404, []string{"no incident in this range affected customer"}},
		{"/customers?needs=bogus", 400, []string{"needs: must be one of follow_up, all"}},
	} {
		rec := apiDo(t, s, http.MethodGet, tc.path, nil)
		if rec.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.path, rec.Code, tc.status)
		}
		body := rec.Body.String()
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: missing %q", tc.path, w)
			}
		}
	}
}
