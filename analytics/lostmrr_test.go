package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestLostMRR checks the lost MRR of the churn answer on a history built
// by hand (now 1 Sep 2026, churn window 30 days); the expected values are
// worked out in the comments.
func TestLostMRR(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	d := func(m time.Month, dd, hh int) time.Time { return time.Date(2026, m, dd, hh, 0, 0, 0, time.UTC) }
	h := &history{}
	churn := func(c string, at time.Time, set ...func(*trustlens.Event)) {
		h.customer(trustlens.TypeCustomerChurned, c, "", at, set...)
	}

	// Incidents and their churn windows (resolved_at, resolved_at + 30 d]:
	//   p1 sev1 1 May 00:00–02:00: (1 May 02:00, 31 May 02:00], affects a1…a5
	//   p5 sev3 10 May 00:00–01:00: (10 May 01:00, 9 Jun 01:00], affects x4
	//   p2 sev2 1 Jun 00:00–01:00: (1 Jun 01:00, 1 Jul 01:00], affects a1, b1
	//   p3 sev1 19 Aug–20 Aug: window not passed (pending), affects c1
	//   p4 sev2 open since 25 Aug, affects c2
	for _, inc := range []struct {
		id, sev  string
		det, res time.Time
		custs    []string
	}{
		{"p1", "sev1", d(5, 1, 0), d(5, 1, 2), []string{"a1", "a2", "a3", "a4", "a5"}},
		{"p5", "sev3", d(5, 10, 0), d(5, 10, 1), []string{"x4"}},
		{"p2", "sev2", d(6, 1, 0), d(6, 1, 1), []string{"a1", "b1"}},
		{"p3", "sev1", d(8, 19, 0), d(8, 20, 0), []string{"c1"}},
		{"p4", "sev2", d(8, 25, 0), time.Time{}, []string{"c2"}},
		{"p6", "sev4", d(7, 1, 10), d(7, 1, 12), nil}, // window (1 Jul 12:00, 31 Jul 12:00]
	} {
		h.detected(inc.id, inc.sev, inc.det)
		if !inc.res.IsZero() {
			h.resolved(inc.id, inc.res)
		}
		for _, c := range inc.custs {
			h.affected(inc.id, c, inc.det.Add(time.Minute))
		}
	}

	// a1 churns 10 May 00:00 twice at the same instant: the smallest
	// event_id wins → 100. In p1's window; before p5's resolution, and
	// churned before p2's.
	for _, e := range []struct {
		id string
		v  float64
	}{{"churn-a1-b", 999}, {"churn-a1-a", 100}} {
		v := e.v
		h.events = append(h.events, trustlens.Event{EventID: e.id, Type: trustlens.TypeCustomerChurned, CustomerID: "a1", OccurredAt: d(5, 10, 0), MRR: &v})
	}
	churn("a2", d(5, 20, 0), mrr(40))  // p1 → affected 40 (p5's window too, but p1 affected a2)
	churn("a2", d(5, 25, 0), mrr(999)) // a later churn: not the earliest
	churn("a3", d(4, 15, 0), mrr(70))  // before p1's resolution: not active → nowhere
	churn("a4", d(7, 1, 0), mrr(60))   // p2's window, p2 did not affect a4 → baseline 60
	churn("a5", d(5, 5, 0))            // p1 → affected, no mrr (0, unknown)
	// b1's churn is delivered twice (and insert stores each copy 1–3
	// times): it counts once → p2, affected 25.
	churn("b1", d(6, 15, 0), mrr(25))
	churn("b1", d(6, 15, 0), mrr(25))
	churn("x1", d(5, 12, 0), mrr(30)) // p1's and p5's windows, affected by neither → baseline 30, once
	h.customer(trustlens.TypeCustomerSignedUp, "x2", "", d(5, 2, 0), mrr(11))
	churn("x2", d(5, 20, 0), mrr(11))  // signed up after p1's resolution; p5's window → baseline 11
	churn("x4", d(6, 5, 0), mrr(15))   // p5 (affected) and p2 (not): affected 15, once
	churn("x5", d(5, 15, 0))           // p1's and p5's windows → baseline, no mrr (unknown)
	churn("x3", d(8, 25, 0), mrr(500)) // only p3's window, pending → nowhere
	churn("c1", d(8, 21, 0), mrr(80))  // p3 pending → nowhere
	churn("c2", d(8, 26, 0), mrr(90))  // p4 open → nowhere
	churn("y1", d(7, 1, 12), mrr(7))   // at p6's resolution: outside its window (and p2's) → nowhere
	churn("y2", d(7, 31, 12), mrr(3))  // at the end of p6's window: inside → baseline 3

	h.insert(t, conn, db)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))

	for _, tc := range []struct {
		name string
		f    trustlens.Filter
		want trustlens.LostMRR
	}{
		// affected: a1 100 + a2 40 + a5 0 + b1 25 + x4 15 = 180 (5, a5
		// unknown); baseline: a4 60 + x1 30 + x2 11 + x5 0 + y2 3 = 104
		// (5, x5 unknown).
		{"all", trustlens.Filter{}, trustlens.LostMRR{
			LostMRRAffected: 180, LostMRRAffectedCustomers: 5, LostMRRAffectedUnknown: 1,
			LostMRRBaseline: 104, LostMRRBaselineCustomers: 5, LostMRRBaselineUnknown: 1}},
		// p6 alone: y2 at the end of its window; y1, at its resolution, not
		{"sev4", trustlens.Filter{Severity: "sev4"}, trustlens.LostMRR{
			LostMRRBaseline: 3, LostMRRBaselineCustomers: 1}},
		// p1 (p3 pending): affected a1, a2, a5 = 140; baseline in p1's
		// window: x1 30, x5 (x2 signed up after its resolution).
		{"sev1", trustlens.Filter{Severity: "sev1"}, trustlens.LostMRR{
			LostMRRAffected: 140, LostMRRAffectedCustomers: 3, LostMRRAffectedUnknown: 1,
			LostMRRBaseline: 30, LostMRRBaselineCustomers: 2, LostMRRBaselineUnknown: 1}},
		// p5: affected x4 15; baseline a2 40, x1 30, x2 11, x5 (a1 and a5
		// churned before its resolution).
		{"sev3", trustlens.Filter{Severity: "sev3"}, trustlens.LostMRR{
			LostMRRAffected: 15, LostMRRAffectedCustomers: 1,
			LostMRRBaseline: 81, LostMRRBaselineCustomers: 4, LostMRRBaselineUnknown: 1}},
		// June: p2 only. Affected b1 25 (a1 churned before); baseline x4
		// 15 (p5 is out of range) and a4 60.
		{"June", trustlens.Filter{From: d(6, 1, 0), To: d(7, 1, 0)}, trustlens.LostMRR{
			LostMRRAffected: 25, LostMRRAffectedCustomers: 1,
			LostMRRBaseline: 75, LostMRRBaselineCustomers: 2}},
		// August: p3 pending, p4 open → nothing.
		{"August", trustlens.Filter{From: d(8, 1, 0), To: now}, trustlens.LostMRR{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := store.Churn(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "lost MRR", ch.LostMRR, tc.want)
		})
	}
}
