package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestTickets checks SPEC §2.6 (tickets and satisfaction) on a history
// built by hand; the expected values are worked out in the comments. Every
// ticket and feedback is added twice (and insert stores each copy 1–3
// times), so each must count once.
func TestTickets(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	d := func(m time.Month, dd, hh int) time.Time { return time.Date(2026, m, dd, hh, 0, 0, 0, time.UTC) }
	h := &history{}
	twice := func(typ, cust, id string, at time.Time, set ...func(*trustlens.Event)) {
		h.customer(typ, cust, id, at, set...)
		h.customer(typ, cust, id, at, set...)
	}
	ticket := trustlens.TypeCustomerTicketOpened
	feedback := trustlens.TypeCustomerFeedback

	// Incidents (windows [detected, (resolved or now) + 24 h]):
	//   iX 1 Jul 00:00–01:00, affects c1: window to 2 Jul 01:00; before the range.
	//   iA 1 Aug 00:00–02:00, affects c1, c2: window to 2 Aug 02:00.
	//   iB 2 Aug 00:00–01:00, affects c1: window to 3 Aug 01:00 (overlaps iA's
	//      for c1 from 2 Aug 00:00 to 02:00).
	//   iO open, detected 31 Aug 22:00, affects c3: window to now + 24 h =
	//      2 Sep 00:00.
	//   iP open, sev4, detected 31 Aug 22:30, affects c3 too: c3's tickets
	//      and ratings from 22:30 count for both open incidents.
	// c4 is affected by nothing. iO has one update point, 31 Aug 22:30.
	for _, inc := range []struct {
		id, sev  string
		det, res time.Time
		custs    []string
	}{
		{"iX", "sev2", d(7, 1, 0), d(7, 1, 1), []string{"c1"}},
		{"iA", "sev2", d(8, 1, 0), d(8, 1, 2), []string{"c1", "c2"}},
		{"iB", "sev3", d(8, 2, 0), d(8, 2, 1), []string{"c1"}},
		{"iO", "sev1", d(8, 31, 22), time.Time{}, []string{"c3"}},
		{"iP", "sev4", d(8, 31, 22).Add(30 * time.Minute), time.Time{}, []string{"c3"}},
	} {
		h.detected(inc.id, inc.sev, inc.det)
		if !inc.res.IsZero() {
			h.resolved(inc.id, inc.res)
		}
		for _, c := range inc.custs {
			h.affected(inc.id, c, inc.det.Add(time.Minute))
		}
	}

	h.comm("iO", d(8, 31, 22).Add(30*time.Minute), "email", "update")

	// Tickets:
	twice(ticket, "c2", "iA", d(8, 5, 0))                     // names iA, outside its window → iA
	twice(ticket, "c2", "", d(8, 2, 2))                       // iA's window end exactly (c2 not in iB) → iA
	twice(ticket, "c2", "", d(8, 2, 2).Add(time.Second))      // a second past it → none
	twice(ticket, "c1", "", d(8, 2, 1))                       // in iA's and iB's windows → iA and iB
	twice(ticket, "c1", "", d(8, 10, 0))                      // outside every window → none
	twice(ticket, "c4", "", d(8, 1, 1))                       // c4 unaffected → none
	twice(ticket, "c3", "", d(8, 31, 22).Add(45*time.Minute)) // → iO, 15 min after its update
	twice(ticket, "c3", "", d(8, 31, 23).Add(45*time.Minute)) // → iO, 75 min after it (> 1 h: silent)
	twice(ticket, "c3", "", now.Add(23*time.Hour))            // before now + 24 h → iO
	twice(ticket, "c3", "", now.Add(25*time.Hour))            // after now + 24 h → none
	twice(ticket, "c1", "", d(7, 1, 12))                      // → iX
	// tickets: iX 1, iA 3, iB 1, iO 3, iP 3 (c3's three from 22:45).

	// Feedback:
	twice(feedback, "c1", "iB", d(8, 20, 0), csat(1))                  // names iB → iB (1)
	twice(feedback, "c2", "", d(8, 1, 1), csat(4))                     // → iA (4)
	twice(feedback, "c1", "", d(8, 2, 0).Add(30*time.Minute), csat(2)) // → iA and iB (2)
	twice(feedback, "c2", "", d(8, 1, 1).Add(30*time.Minute))          // no csat: counts nowhere
	twice(feedback, "c1", "", d(8, 15, 0), csat(5))                    // no window → baseline (5)
	twice(feedback, "c4", "", d(8, 3, 0), csat(3))                     // c4 unaffected → baseline (3)
	twice(feedback, "c3", "", d(8, 31, 23), csat(4))                   // → iO and iP (4)
	twice(feedback, "c1", "", d(7, 1, 0).Add(30*time.Minute), csat(2)) // → iX (2), before the range
	twice(feedback, "c4", "", d(7, 15, 0), csat(1))                    // before the range: no baseline
	// csat_avg: iX 2, iA (4+2)/2 = 3, iB (1+2)/2 = 1.5, iO 4, iP 4.

	h.insert(t, conn, db)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))

	want := map[string]struct {
		tickets int64
		csat    *float64
		times   []time.Time // the tickets' instants, in order (from the list above)
	}{
		"iX": {1, f64(2), []time.Time{d(7, 1, 12)}},
		"iA": {3, f64(3), []time.Time{d(8, 2, 1), d(8, 2, 2), d(8, 5, 0)}},
		"iB": {1, f64(1.5), []time.Time{d(8, 2, 1)}},
		"iO": {3, f64(4), []time.Time{d(8, 31, 22).Add(45 * time.Minute), d(8, 31, 23).Add(45 * time.Minute), now.Add(23 * time.Hour)}},
		"iP": {3, f64(4), []time.Time{d(8, 31, 22).Add(45 * time.Minute), d(8, 31, 23).Add(45 * time.Minute), now.Add(23 * time.Hour)}},
	}
	page, err := store.Incidents(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "incidents", page.Total, int64(len(want)))
	for _, inc := range page.Incidents {
		w := want[inc.IncidentID]
		eq(t, inc.IncidentID+" tickets", inc.Tickets, w.tickets)
		eq(t, inc.IncidentID+" csat_avg", inc.CSATAvg, w.csat)
		det, err := store.Incident(ctx, inc.IncidentID)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, inc.IncidentID+" detail tickets", det.Tickets, w.tickets)
		eq(t, inc.IncidentID+" detail csat_avg", det.CSATAvg, w.csat)
		eq(t, inc.IncidentID+" ticket_times", det.TicketTimes, w.times)
	}

	for _, tc := range []struct {
		name                            string
		f                               trustlens.Filter
		perIncident, affected, baseline *float64
		perHourSilent, perHourUpdated   *float64
	}{
		// iA, iB, iO, iP: (3+1+3+3)/4 tickets; feedback 1, 4, 2 (once,
		// though it counts for iA and iB), 4 (once, though it counts for
		// the open iO and iP) → 11/4; baseline 5 and 3 → 4.
		// Cost of silence (cadence sev1 1 h, sev2 2 h, sev3 4 h):
		//   iA 00:00–02:00, no update: silent 0 s, updated 7200 s; its
		//      tickets all come after 02:00 → neither.
		//   iB 00:00–01:00: silent 0, updated 3600; the ticket at 01:00
		//      (1 h after detection ≤ 4 h) → updated.
		//   iO 22:00–now (00:00), update at 22:30: silent 22:30 + 1 h →
		//      00:00 = 1800 s, updated 5400 s; tickets 22:45 → updated,
		//      23:45 → silent, now + 23 h → neither.
		//   iP 22:30–now (sev4, 8 h), no update: updated 5400 s; tickets
		//      22:45 and 23:45 → updated, now + 23 h → neither.
		//   silent 1 ticket / 0.5 h = 2; updated 4 tickets / 6 h.
		{"August", trustlens.Filter{From: d(8, 1, 0), To: now}, f64(2.5), f64(2.75), f64(4), f64(2), f64(4.0 / 6)},
		// iB only: 1 ticket; feedback 1, 2 → 1.5; baseline the same as
		// above (it does not depend on the severity); no silent hours.
		{"August sev3", trustlens.Filter{From: d(8, 1, 0), To: now, Severity: "sev3"}, f64(1), f64(1.5), f64(4), nil, f64(1)},
		// iX only: 1 ticket, csat 2; baseline: the feedback of July
		// attributed to no incident: 1. iX's 1 h is updated, its ticket
		// (12:00) after its resolution.
		{"July", trustlens.Filter{From: d(7, 1, 0), To: d(8, 1, 0)}, f64(1), f64(2), f64(1), nil, f64(0)},
		// no incident in range, no feedback
		{"June", trustlens.Filter{From: d(6, 1, 0), To: d(7, 1, 0)}, nil, nil, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sum, err := store.Summary(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			eq(t, "tickets_per_incident", sum.TicketsPerIncident, tc.perIncident)
			eq(t, "csat_affected_avg", sum.CSATAffectedAvg, tc.affected)
			eq(t, "csat_baseline_avg", sum.CSATBaselineAvg, tc.baseline)
			eq(t, "tickets_per_hour_silent", sum.TicketsPerHourSilent, tc.perHourSilent)
			eq(t, "tickets_per_hour_updated", sum.TicketsPerHourUpdated, tc.perHourUpdated)
		})
	}

	// Trends: each bucket is the summary of its range (the cases above).
	// June has no incident and no feedback; July is the "July" case,
	// August the "August" one (its range ends at now).
	jun, jul, aug := d(6, 1, 0), d(7, 1, 0), d(8, 1, 0)
	for _, tc := range []struct {
		name     string
		interval string
		f        trustlens.Filter
		starts   []time.Time
		want     map[string][]*float64
	}{
		{"by month", "month", trustlens.Filter{From: jun, To: now}, []time.Time{jun, jul, aug}, map[string][]*float64{
			"tickets_per_incident":     {nil, f64(1), f64(2.5)},
			"csat_affected_avg":        {nil, f64(2), f64(2.75)},
			"csat_baseline_avg":        {nil, f64(1), f64(4)},
			"tickets_per_hour_silent":  {nil, nil, f64(2)},
			"tickets_per_hour_updated": {nil, f64(0), f64(4.0 / 6)},
		}},
		// the week of Monday 10 Aug has no incident, but c1's rating of 5
		// on 15 Aug, attributed to none: a baseline of 5
		{"a week without incidents", "week", trustlens.Filter{From: d(8, 10, 0), To: d(8, 17, 0)}, []time.Time{d(8, 10, 0)}, map[string][]*float64{
			"tickets_per_incident": {nil}, "csat_affected_avg": {nil}, "csat_baseline_avg": {f64(5)},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for metric, want := range tc.want {
				tr, err := store.Trend(ctx, metric, tc.interval, tc.f)
				if err != nil {
					t.Fatal(err)
				}
				var starts []time.Time
				var got []*float64
				for _, p := range tr.Points {
					starts = append(starts, p.Start)
					got = append(got, p.Value)
				}
				eq(t, metric+" starts", starts, tc.starts)
				eq(t, metric, got, want)
			}
		})
	}
}
