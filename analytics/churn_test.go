package analytics_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestChurnScenario checks post-outage churn (SPEC §2.1) on a hand-built
// customer base around one resolved incident.
func TestChurnScenario(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	day := 24 * time.Hour
	r := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC) // resolved_at of "i"
	now := r.Add(40 * day)                            // its 30-day window has passed
	w := 30 * day
	h := &history{}
	signup := func(c string, at time.Time) { h.customer(trustlens.TypeCustomerSignedUp, c, "", at) }
	churn := func(c string, at time.Time) { h.customer(trustlens.TypeCustomerChurned, c, "", at) }

	h.detected("i", "sev2", r.Add(-time.Hour))
	h.resolved("i", r)
	// affected customers
	h.affected("i", "a1", r.Add(-time.Hour))
	signup("a1", r.Add(-100*day))
	churn("a1", r) // churned exactly at resolved_at: not active
	h.affected("i", "a2", r.Add(-time.Hour))
	churn("a2", r.Add(w)) // no sign-up (counts as signed up); churn at the window's end: inside
	h.affected("i", "a3", r.Add(-time.Hour))
	signup("a3", r.Add(-50*day))
	churn("a3", r.Add(35*day)) // churned twice: the earliest (r+5d) counts
	churn("a3", r.Add(5*day))
	h.affected("i", "a4", r.Add(-time.Hour))
	signup("a4", r.Add(day)) // not yet signed up at resolved_at: not active
	// every other known customer
	signup("b1", r.Add(-10*day)) // active, stays
	signup("b2", r.Add(-10*day)) // active, churns in the window
	churn("b2", r.Add(day))
	signup("b3", r.Add(day)) // signs up and churns inside the window: not active at r
	churn("b3", r.Add(2*day))
	h.customer(trustlens.TypeCustomerFeedback, "b4", "", r.Add(3*day), func(e *trustlens.Event) { v := uint8(4); e.CSAT = &v }) // known only from feedback: active
	churn("b5", r.Add(-day))                                                                                                    // churned before r (and again after): not active
	churn("b5", r.Add(day))
	signup("b6", r.Add(-5*day)) // churns one second after the window: active, not churned
	churn("b6", r.Add(w+time.Second))
	signup("b7", r) // signed up exactly at r: active; churns at the window's end
	churn("b7", r.Add(w))
	// a resolved incident whose window is still open, and an open one
	h.detected("p", "sev3", now.Add(-11*day))
	h.resolved("p", now.Add(-10*day))
	h.detected("o", "sev4", now.Add(-time.Hour))
	h.insert(t, conn, db)

	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))
	page, err := store.Incidents(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range page.Incidents {
		switch inc.IncidentID {
		case "i":
			// affected a1..a4; active a2, a3; churned a2 (at r+30d), a3 (r+5d)
			eq(t, "i.affected", inc.Affected, int64(4))
			eq(t, "i.active_affected", inc.ActiveAffected, i64(2))
			eq(t, "i.churned_affected", inc.ChurnedAffected, i64(2))
			// baseline active b1, b2, b4, b6, b7; churned b2, b7
			eq(t, "i.active_baseline", inc.ActiveBaseline, i64(5))
			eq(t, "i.churned_baseline", inc.ChurnedBaseline, i64(2))
		default:
			// pending: null churn figures
			eq(t, inc.IncidentID+".active_affected", inc.ActiveAffected, (*int64)(nil))
			eq(t, inc.IncidentID+".active_baseline", inc.ActiveBaseline, (*int64)(nil))
		}
	}

	ch, err := store.Churn(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "pending", ch.PendingIncidents, int64(2))
	eq(t, "pooled", [5]int64{ch.Incidents, ch.ActiveAffected, ch.ChurnedAffected, ch.ActiveBaseline, ch.ChurnedBaseline}, [5]int64{1, 2, 2, 5, 2})
	near(t, "affected rate", ch.AffectedRate, 1)
	near(t, "baseline rate", ch.BaselineRate, 0.4)
	near(t, "uplift", ch.UpliftPP, 60)
	eq(t, "sev2", ch.BySeverity["sev2"].ActiveBaseline, int64(5))
	eq(t, "sev1 rate", ch.BySeverity["sev1"].AffectedRate, (*float64)(nil))
	// "i" has no communication: act_swiftly missed, so its churn is on the missed side
	d := ch.Drivers[0]
	eq(t, "driver habit", d.Habit, trustlens.HabitActSwiftly)
	eq(t, "driver met", d.Met, trustlens.DriverSide{})
	eq(t, "driver missed", [3]int64{d.Missed.Incidents, d.Missed.ActiveAffected, d.Missed.ChurnedAffected}, [3]int64{1, 2, 2})

	sum, err := store.Summary(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	near(t, "summary uplift", sum.ChurnUpliftPP, 60)
}

func near(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil || math.Abs(*got-want) > 1e-9 {
		t.Errorf("%s = %v, want %v", what, show(got), want)
	}
}
