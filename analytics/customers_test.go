package analytics_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

func apologized(e *trustlens.Event) { e.Apology = true }

func mrr(v float64) func(*trustlens.Event) { return func(e *trustlens.Event) { e.MRR = &v } }

func segment(s string) func(*trustlens.Event) { return func(e *trustlens.Event) { e.Segment = s } }

func csat(n uint8) func(*trustlens.Event) { return func(e *trustlens.Event) { e.CSAT = &n } }

// TestCustomers checks the worklist on a history built by hand; the
// expected rows are worked out in the comments.
func TestCustomers(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	d := func(m time.Month, dd int) time.Time { return time.Date(2026, m, dd, 0, 0, 0, 0, time.UTC) }
	h := &history{}

	// Customers: ca signed up with mrr 100 (enterprise), then an
	// incident.customer_affected says mrr 250 (smb): latest wins → 250,
	// smb. cb has no mrr; churns 15 Jul (and again later: earliest
	// counts). cc signed up with mrr 50.
	h.customer(trustlens.TypeCustomerSignedUp, "ca", "", d(1, 1), mrr(100), segment("enterprise"))
	h.customer(trustlens.TypeCustomerSignedUp, "cc", "", d(1, 1), mrr(50))
	h.customer(trustlens.TypeCustomerChurned, "cb", "", d(7, 15))
	h.customer(trustlens.TypeCustomerChurned, "cb", "", d(8, 1))

	// i0: before the range (1 Feb), apologized, affected ca: counts nowhere.
	h.detected("i0", "sev2", d(2, 1))
	h.comm("i0", d(2, 1).Add(time.Minute), "email", "acknowledgement", apologized)
	h.resolved("i0", d(2, 1).Add(time.Hour))
	h.affected("i0", "ca", d(2, 1).Add(time.Minute))
	h.customer(trustlens.TypeCustomerTicketOpened, "ca", "i0", d(2, 1).Add(2*time.Minute))

	// i1 (1 Apr), apologized, affects ca and cb; ca followed up a day
	// after the resolution (done); cb never (missed). ca opens two
	// tickets naming i1 and one naming nothing, half an hour after i1's
	// detection: attributed to i1 (SPEC §2.6) → 3 tickets.
	h.detected("i1", "sev2", d(4, 1))
	h.comm("i1", d(4, 1).Add(time.Minute), "status_page", "acknowledgement", apologized)
	h.resolved("i1", d(4, 1).Add(2*time.Hour))
	h.affected("i1", "ca", d(4, 1).Add(time.Minute))
	h.affected("i1", "cb", d(4, 1).Add(time.Minute))
	h.customer(trustlens.TypeCustomerFollowedUp, "ca", "i1", d(4, 2), func(e *trustlens.Event) { e.Channel = "phone" })
	h.customer(trustlens.TypeCustomerTicketOpened, "ca", "i1", d(4, 1).Add(10*time.Minute))
	h.customer(trustlens.TypeCustomerTicketOpened, "ca", "i1", d(4, 1).Add(20*time.Minute))
	h.customer(trustlens.TypeCustomerTicketOpened, "ca", "", d(4, 1).Add(30*time.Minute))

	// i6 (1 May), apologized, affects cb only.
	h.detected("i6", "sev3", d(5, 1))
	h.comm("i6", d(5, 1).Add(time.Minute), "email", "acknowledgement", apologized)
	h.resolved("i6", d(5, 1).Add(time.Hour))
	h.affected("i6", "cb", d(5, 1).Add(time.Minute))

	// i2 (15 May), apologized, affects ca (mrr 250, segment smb);
	// offered a credit, redeemed; no follow-up (missed). ca's feedback
	// naming i2: csat 2.
	h.detected("i2", "sev2", d(5, 15))
	h.comm("i2", d(5, 15).Add(time.Minute), "email", "update", apologized)
	h.resolved("i2", d(5, 15).Add(time.Hour))
	h.add(trustlens.Event{Type: trustlens.TypeIncidentCustomerAffected, IncidentID: "i2", CustomerID: "ca",
		OccurredAt: d(5, 15).Add(time.Minute), MRR: f64(250), Segment: "smb"})
	h.customer(trustlens.TypeCompensationOffered, "ca", "i2", d(5, 16), offer("credit", 10))
	h.customer(trustlens.TypeCompensationRedeemed, "ca", "i2", d(5, 17), amount(10))
	h.customer(trustlens.TypeCustomerFeedback, "ca", "i2", d(5, 18), csat(2))

	// i3 (28 Jun), apologized, affects ca: i1, i2, i3 lie within 88 days
	// → ca's apology fatigue. No follow-up (missed).
	h.detected("i3", "sev3", d(6, 28))
	h.comm("i3", d(6, 28).Add(time.Minute), "email", "acknowledgement", apologized)
	h.resolved("i3", d(6, 28).Add(3*time.Hour))
	h.affected("i3", "ca", d(6, 28).Add(time.Minute))

	// i7 (30 Jun = 1 Apr + 90 days exactly), apologized, affects cb: cb's
	// apologies i1, i6, i7 span 90 days, not within one 90-day window
	// → no fatigue.
	h.detected("i7", "sev3", d(6, 30))
	h.comm("i7", d(6, 30).Add(time.Minute), "email", "acknowledgement", apologized)
	h.resolved("i7", d(6, 30).Add(time.Hour))
	h.affected("i7", "cb", d(6, 30).Add(time.Minute))

	// i4 (sev1, detected 3 days ago, resolved 2 days ago), no apology,
	// affects ca and cb: a follow-up is due for both (now ≤ resolved +
	// 7 d). ca's feedback naming i4: csat 5 → ca's csat_avg (2+5)/2.
	i4 := now.Add(-3 * day)
	h.detected("i4", "sev1", i4)
	h.comm("i4", i4.Add(time.Minute), "email", "acknowledgement")
	h.resolved("i4", i4.Add(day))
	h.affected("i4", "ca", i4.Add(time.Minute))
	h.affected("i4", "cb", i4.Add(time.Minute))
	h.customer(trustlens.TypeCustomerFeedback, "ca", "i4", i4.Add(2*day), csat(5))

	// i5 (sev4, open, detected an hour ago) affects cc: open, nothing due.
	h.detected("i5", "sev4", now.Add(-time.Hour))
	h.affected("i5", "cc", now.Add(-time.Hour))

	h.insert(t, conn, db)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))

	ca := trustlens.Customer{
		CustomerID: "ca", Segment: "smb", MRR: f64(250), Incidents: 4, IncidentIDs: []string{"i1", "i2", "i3", "i4"},
		FollowedUp: 1, FollowUpDue: 1, FollowUpMissed: 2, CompensationOffered: 1, CompensationRedeemed: 1,
		ApologizedIncidents: 3, ApologyFatigue: true, Tickets: 3, CSATAvg: f64(3.5),
	}
	churnedB := d(7, 15)
	cb := trustlens.Customer{
		CustomerID: "cb", Incidents: 4, IncidentIDs: []string{"i1", "i6", "i7", "i4"},
		FollowUpDue: 1, FollowUpMissed: 3, ApologizedIncidents: 3, ChurnedAt: &churnedB,
	}
	cc := trustlens.Customer{CustomerID: "cc", MRR: f64(50), Incidents: 1, IncidentIDs: []string{"i5"}, OpenIncidents: 1}
	only := func(c trustlens.Customer, ids ...string) trustlens.Customer {
		c.IncidentIDs, c.Incidents = ids, int64(len(ids))
		c.FollowedUp, c.FollowUpMissed, c.CompensationOffered, c.CompensationRedeemed = 0, 0, 0, 0
		c.ApologizedIncidents, c.ApologyFatigue, c.Tickets, c.CSATAvg = 0, false, 0, nil
		return c
	}
	caI4 := only(ca, "i4")
	caI4.CSATAvg = f64(5)
	rangeF := trustlens.Filter{From: d(3, 1), To: now}
	for _, tc := range []struct {
		name  string
		f     trustlens.CustomerFilter
		want  []trustlens.Customer
		total int64
	}{
		{"all", trustlens.CustomerFilter{Filter: rangeF}, []trustlens.Customer{ca, cb, cc}, 3},
		{"needs follow_up", trustlens.CustomerFilter{Filter: rangeF, Needs: trustlens.NeedsFollowUp}, []trustlens.Customer{ca, cb}, 2},
		{"paged", trustlens.CustomerFilter{Filter: trustlens.Filter{From: d(3, 1), To: now, Limit: 1, Offset: 1}}, []trustlens.Customer{cb}, 3},
		{"sev1", trustlens.CustomerFilter{Filter: trustlens.Filter{From: d(3, 1), To: now, Severity: "sev1"}}, []trustlens.Customer{caI4, only(cb, "i4")}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page, err := store.Customers(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "total", page.Total, tc.total)
			if len(page.Customers) != len(tc.want) {
				t.Fatalf("got %d rows, want %d: %+v", len(page.Customers), len(tc.want), page.Customers)
			}
			for i := range tc.want {
				eqCustomer(t, page.Customers[i], tc.want[i])
			}
		})
	}

	det, err := store.Customer(ctx, "ca", rangeF)
	if err != nil {
		t.Fatal(err)
	}
	eqCustomer(t, det.Customer, ca)
	var states []string
	for _, ci := range det.Timeline {
		states = append(states, ci.IncidentID+":"+ci.FollowUp)
	}
	eq(t, "ca timeline", states, []string{"i1:done", "i2:missed", "i3:missed", "i4:due"})
	eq(t, "i2 offered/redeemed", [2]bool{det.Timeline[1].Offered, det.Timeline[1].Redeemed}, [2]bool{true, true})
	eq(t, "i1 tickets", det.Timeline[0].Tickets, int64(3))

	if _, err := store.Customer(ctx, "nobody", rangeF); !errors.Is(err, trustlens.ErrNotFound) {
		t.Errorf("unknown customer: err = %v, want ErrNotFound", err)
	}
	if _, err := store.Customers(ctx, trustlens.CustomerFilter{Filter: rangeF, Needs: "bogus"}); err == nil {
		t.Error("needs=bogus: no error")
	}

	// A cluster failover can move the connection to a replica without the
	// snapshot's tables (they are not replicated): the same answers come
	// from the events then.
	rows, err := conn.Query(ctx, "SELECT name FROM system.tables WHERE database = '"+db+"' AND name LIKE 'analytics_snapshot_%'")
	if err != nil {
		t.Fatal(err)
	}
	var snapTables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		snapTables = append(snapTables, n)
	}
	rows.Close()
	if len(snapTables) == 0 {
		t.Fatal("no snapshot tables to drop")
	}
	for _, n := range snapTables {
		if err := conn.Exec(ctx, "DROP TABLE "+db+"."+n); err != nil {
			t.Fatal(err)
		}
	}
	page, err := store.Customers(ctx, trustlens.CustomerFilter{Filter: rangeF})
	if err != nil {
		t.Fatalf("without the snapshot tables: %v", err)
	}
	if len(page.Customers) != 3 {
		t.Fatalf("without the snapshot tables: %d rows, want 3", len(page.Customers))
	}
	for i, want := range []trustlens.Customer{ca, cb, cc} {
		eqCustomer(t, page.Customers[i], want)
	}
	if _, err := store.Churn(ctx, rangeF); err != nil {
		t.Errorf("churn without the snapshot tables: %v", err)
	}
}

func eqCustomer(t *testing.T, got, want trustlens.Customer) {
	t.Helper()
	if fmt.Sprintf("%+v", show2(got)) != fmt.Sprintf("%+v", show2(want)) {
		t.Errorf("customer %s:\n got %+v\nwant %+v", want.CustomerID, show2(got), show2(want))
	}
}

// show2 prints a row with its pointers followed.
func show2(c trustlens.Customer) string {
	return fmt.Sprintf("id=%s seg=%q mrr=%v n=%d ids=%v open=%d fu=%d due=%d missed=%d off=%d red=%d apol=%d fatigue=%v tickets=%d csat=%v churned=%v",
		c.CustomerID, c.Segment, show(c.MRR), c.Incidents, c.IncidentIDs, c.OpenIncidents, c.FollowedUp, c.FollowUpDue,
		c.FollowUpMissed, c.CompensationOffered, c.CompensationRedeemed, c.ApologizedIncidents, c.ApologyFatigue,
		c.Tickets, show(c.CSATAvg), show(c.ChurnedAt))
}

// TestCustomersGenerated compares the worklist with a plain recomputation
// from the events fed: random incidents over a year, each apologizing or
// not, affecting random customers, with random follow-ups, offers and
// redemptions, tickets and rated feedback naming an incident or none
// (every event stored 1–3 times).
func TestCustomersGenerated(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	rng := rand.New(rand.NewSource(18))
	h := &history{}
	type inc struct {
		id       string
		det, res time.Time
		resolved bool
		apol     bool
		aff      []string
		fu, off  map[string]bool
		red      map[string]bool
	}
	var incs []inc
	custs := []string{"c00", "c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08", "c09"}
	for i := 0; i < 60; i++ {
		in := inc{id: fmt.Sprintf("g%02d", i), det: now.Add(-time.Duration(rng.Intn(360*24)) * time.Hour),
			fu: map[string]bool{}, off: map[string]bool{}, red: map[string]bool{}}
		in.resolved = rng.Intn(6) != 0
		in.res = in.det.Add(time.Duration(1+rng.Intn(48)) * time.Hour)
		if in.res.After(now) {
			in.resolved = false
		}
		in.apol = rng.Intn(2) == 0
		h.detected(in.id, trustlens.Severities[rng.Intn(4)], in.det)
		set := []func(*trustlens.Event){}
		if in.apol {
			set = append(set, apologized)
		}
		h.comm(in.id, in.det.Add(time.Minute), "email", "acknowledgement", set...)
		if in.resolved {
			h.resolved(in.id, in.res)
		}
		for _, c := range custs {
			if rng.Intn(4) != 0 {
				continue
			}
			in.aff = append(in.aff, c)
			h.affected(in.id, c, in.det.Add(time.Minute))
			if rng.Intn(3) == 0 {
				at := in.det.Add(time.Duration(rng.Intn(20*24)) * time.Hour)
				if at.Before(now) {
					in.fu[c] = true
					h.customer(trustlens.TypeCustomerFollowedUp, c, in.id, at, func(e *trustlens.Event) { e.Channel = "email" })
				}
			}
			if rng.Intn(3) == 0 {
				in.off[c] = true
				h.customer(trustlens.TypeCompensationOffered, c, in.id, in.det.Add(time.Hour), offer("credit", 5))
				if rng.Intn(2) == 0 {
					in.red[c] = true
					h.customer(trustlens.TypeCompensationRedeemed, c, in.id, in.det.Add(2*time.Hour))
				}
			}
		}
		incs = append(incs, in)
	}
	// tickets and rated feedback: a third name a random incident (whether
	// or not it affected the customer), the rest none.
	type cev struct {
		cust, inc string
		at        time.Time
		ticket    bool
		cs        uint8
	}
	var cevs []cev
	for i := 0; i < 400; i++ {
		e := cev{cust: custs[rng.Intn(len(custs))], at: now.Add(-time.Duration(rng.Intn(360*24*60)) * time.Minute), ticket: rng.Intn(2) == 0}
		if rng.Intn(3) == 0 {
			e.inc = incs[rng.Intn(len(incs))].id
		}
		typ := trustlens.TypeCustomerTicketOpened
		var set []func(*trustlens.Event)
		if !e.ticket {
			typ, e.cs = trustlens.TypeCustomerFeedback, uint8(1+rng.Intn(5))
			set = append(set, csat(e.cs))
		}
		h.customer(typ, e.cust, e.inc, e.at, set...)
		cevs = append(cevs, e)
	}
	h.insert(t, conn, db)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))

	from := now.Add(-180 * day)
	want := map[string]*trustlens.Customer{}
	apols := map[string][]time.Time{}
	sort.Slice(incs, func(i, j int) bool {
		return incs[i].det.Before(incs[j].det) || (incs[i].det.Equal(incs[j].det) && incs[i].id < incs[j].id)
	})
	for _, in := range incs {
		if in.det.Before(from) {
			continue
		}
		for _, c := range in.aff {
			w := want[c]
			if w == nil {
				w = &trustlens.Customer{CustomerID: c, IncidentIDs: []string{}}
				want[c] = w
			}
			w.Incidents++
			w.IncidentIDs = append(w.IncidentIDs, in.id)
			switch {
			case !in.resolved && !in.fu[c]:
				w.OpenIncidents++
			case in.fu[c]:
				w.FollowedUp++
			case !now.After(in.res.Add(7 * day)):
				w.FollowUpDue++
			default:
				w.FollowUpMissed++
			}
			if !in.resolved && in.fu[c] {
				w.OpenIncidents++
			}
			if in.off[c] {
				w.CompensationOffered++
			}
			if in.red[c] {
				w.CompensationRedeemed++
			}
			if in.apol {
				w.ApologizedIncidents++
				apols[c] = append(apols[c], in.det)
			}
		}
	}
	// a customer's tickets and CSAT: the distinct events naming one of
	// their incidents in range, or naming none and lying in such an
	// incident's window [detected, (resolved or now) + 24 h] (SPEC §2.6)
	rated := map[string][2]int{}
	for _, e := range cevs {
		counts := false
		for _, in := range incs {
			if in.det.Before(from) || !slices.Contains(in.aff, e.cust) {
				continue
			}
			end := now
			if in.resolved {
				end = in.res
			}
			if e.inc == in.id || (e.inc == "" && !e.at.Before(in.det) && !e.at.After(end.Add(day))) {
				counts = true
			}
		}
		if !counts {
			continue
		}
		if e.ticket {
			want[e.cust].Tickets++
		} else {
			v := rated[e.cust]
			rated[e.cust] = [2]int{v[0] + int(e.cs), v[1] + 1}
		}
	}
	for c, v := range rated {
		avg := float64(v[0]) / float64(v[1])
		want[c].CSATAvg = &avg
	}
	for c, ts := range apols {
		for i := 0; i+2 < len(ts); i++ {
			if ts[i+2].Sub(ts[i]) < 90*day {
				want[c].ApologyFatigue = true
			}
		}
	}
	page, err := store.Customers(ctx, trustlens.CustomerFilter{Filter: trustlens.Filter{From: from, To: now}})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "total", page.Total, int64(len(want)))
	fatigued := 0
	for i, got := range page.Customers {
		w := want[got.CustomerID]
		if w == nil {
			t.Errorf("unexpected customer %s", got.CustomerID)
			continue
		}
		eqCustomer(t, got, *w)
		if w.ApologyFatigue {
			fatigued++
		}
		if prev := page.Customers[max(i-1, 0)]; i > 0 && (prev.FollowUpDue < got.FollowUpDue ||
			prev.FollowUpDue == got.FollowUpDue && prev.CustomerID >= got.CustomerID) { // no mrr: by id
			t.Errorf("row %d: %s (follow_up_due %d) after %s (%d)", i, got.CustomerID, got.FollowUpDue, prev.CustomerID, prev.FollowUpDue)
		}
	}
	t.Logf("%d customers, %d with apology fatigue", len(page.Customers), fatigued)
}
