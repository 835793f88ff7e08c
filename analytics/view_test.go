package analytics_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

func migrationFile(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "migrations", "0009_incident_metrics_tickets.sql")
}

// TestIncidentMetricsViewFile keeps the view migration equal to the SQL the
// Store runs (set TRUSTLENS_UPDATE_VIEW=1 to rewrite it).
func TestIncidentMetricsViewFile(t *testing.T) {
	want := analytics.IncidentMetricsMigration()
	path := migrationFile(t)
	if os.Getenv("TRUSTLENS_UPDATE_VIEW") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is out of date: run TRUSTLENS_UPDATE_VIEW=1 go test ./analytics/ -run TestIncidentMetricsViewFile", path)
	}
}

// TestIncidentMetricsView checks that the view agrees with Store.Incidents
// on the conformance data, for every figure that does not depend on the
// clock (the view uses the server's now()).
func TestIncidentMetricsView(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	now, _ := loadConformance(t, conn, db)
	ctx := context.Background()
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))
	page, err := store.Incidents(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]trustlens.Incident{}
	for _, inc := range page.Incidents {
		if inc.Status == "resolved" {
			want[inc.IncidentID] = inc
		}
	}
	rows, err := conn.Query(ctx, `SELECT incident_id, severity, title, detected_at, resolved_at, status,
  tta_seconds, updates, channels, max_silence_seconds, affected, compensation_offered,
  compensation_redeemed, followed_up, habit_act_swiftly, habit_take_responsibility,
  habit_apologize, habit_compensate, promises_made, promises_kept, tickets, csat_avg
FROM incident_metrics ORDER BY incident_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, open := 0, 0
	for rows.Next() {
		var (
			g                        trustlens.Incident
			act, resp, apol, compens string
		)
		if err := rows.Scan(&g.IncidentID, &g.Severity, &g.Title, &g.DetectedAt, &g.ResolvedAt, &g.Status,
			&g.TTASeconds, &g.Updates, &g.Channels, &g.MaxSilenceSeconds, &g.Affected, &g.CompensationOffered,
			&g.CompensationRedeemed, &g.FollowedUp, &act, &resp, &apol, &compens, &g.PromisesMade, &g.PromisesKept,
			&g.Tickets, &g.CSATAvg); err != nil {
			t.Fatal(err)
		}
		n++
		if g.Status == "open" {
			open++
			continue // silence, pending verdicts depend on the clock
		}
		w, ok := want[g.IncidentID]
		if !ok {
			t.Errorf("view has %s, Store.Incidents does not", g.IncidentID)
			continue
		}
		checks := []struct {
			field     string
			got, want any
		}{
			{"severity", g.Severity, w.Severity},
			{"title", g.Title, w.Title},
			{"detected_at", g.DetectedAt.Unix(), w.DetectedAt.Unix()},
			{"resolved_at", g.ResolvedAt.Unix(), w.ResolvedAt.Unix()},
			{"tta_seconds", deref(g.TTASeconds), deref(w.TTASeconds)},
			{"updates", g.Updates, w.Updates},
			{"channels", len(g.Channels), len(w.Channels)},
			{"max_silence_seconds", g.MaxSilenceSeconds, w.MaxSilenceSeconds},
			{"affected", g.Affected, w.Affected},
			{"compensation_offered", g.CompensationOffered, w.CompensationOffered},
			{"compensation_redeemed", g.CompensationRedeemed, w.CompensationRedeemed},
			{"followed_up", g.FollowedUp, w.FollowedUp},
			{"habit_act_swiftly", act, w.Habits[trustlens.HabitActSwiftly]},
			{"habit_take_responsibility", resp, w.Habits[trustlens.HabitTakeResponsibility]},
			{"habit_apologize", apol, w.Habits[trustlens.HabitApologize]},
			{"habit_compensate", compens, w.Habits[trustlens.HabitCompensate]},
			{"promises_made", g.PromisesMade, w.PromisesMade},
			{"promises_kept", g.PromisesKept, w.PromisesKept},
			{"tickets", g.Tickets, w.Tickets},
			{"csat_avg", show(g.CSATAvg), show(w.CSATAvg)},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s.%s: view %v, Store %v", g.IncidentID, c.field, c.got, c.want)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(page.Incidents) || n-open != len(want) {
		t.Errorf("view has %d incidents (%d open), Store %d (%d resolved)", n, open, len(page.Incidents), len(want))
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestIncidentMetricsViewTickets checks the view's tickets and csat_avg
// (SPEC §2.6) on a history built by hand, against the values worked out in
// the comments and against Store.Incidents. The view uses the server's
// now(), so the Store here uses the real clock too; the open incident's
// window, [detected, now + 24 h], holds every event dated 2026 and none
// dated 2100. Every event is inserted twice (each time 1–3 copies), and
// those added twice are more copies of one event_id: each counts once.
func TestIncidentMetricsViewTickets(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	d := func(m time.Month, dd, hh, mm int) time.Time { return time.Date(2026, m, dd, hh, mm, 0, 0, time.UTC) }
	h := &history{}
	twice := func(typ, cust, id string, at time.Time, set ...func(*trustlens.Event)) {
		h.customer(typ, cust, id, at, set...)
		h.customer(typ, cust, id, at, set...)
	}
	ticket := trustlens.TypeCustomerTicketOpened
	feedback := trustlens.TypeCustomerFeedback

	// Incidents (windows [detected, (resolved or now) + 24 h]):
	//   iN 1 Jun 00:00–01:00, affects c5, which never writes: 0 tickets.
	//   iX 1 Jul 00:00–01:00, affects c1: window to 2 Jul 01:00.
	//   iA 1 Aug 00:00–02:00, affects c1, c2: window to 2 Aug 02:00.
	//   iB 2 Aug 00:00–01:00, affects c1: window to 3 Aug 01:00 (overlaps
	//      iA's for c1 from 2 Aug 00:00 to 02:00).
	//   iO open, detected 31 Aug 22:00, affects c3: window to now + 24 h.
	//   iZ has no incident.detected: incomplete, not in the view.
	// c4 is affected by nothing.
	for _, inc := range []struct {
		id       string
		det, res time.Time
		custs    []string
	}{
		{"iN", d(6, 1, 0, 0), d(6, 1, 1, 0), []string{"c5"}},
		{"iX", d(7, 1, 0, 0), d(7, 1, 1, 0), []string{"c1"}},
		{"iA", d(8, 1, 0, 0), d(8, 1, 2, 0), []string{"c1", "c2"}},
		{"iB", d(8, 2, 0, 0), d(8, 2, 1, 0), []string{"c1"}},
		{"iO", d(8, 31, 22, 0), time.Time{}, []string{"c3"}},
	} {
		h.detected(inc.id, "sev2", inc.det)
		if !inc.res.IsZero() {
			h.resolved(inc.id, inc.res)
		}
		for _, c := range inc.custs {
			h.affected(inc.id, c, inc.det.Add(time.Minute))
		}
	}
	h.affected("iZ", "c4", d(8, 1, 0, 0))

	// Tickets:
	twice(ticket, "c2", "iA", d(8, 5, 0, 0))                             // names iA, outside its window → iA
	twice(ticket, "c2", "", d(8, 2, 2, 0))                               // iA's window end exactly (c2 not in iB) → iA
	twice(ticket, "c2", "", d(8, 2, 2, 0).Add(time.Second))              // a second past it → none
	twice(ticket, "c1", "", d(8, 2, 1, 0))                               // in iA's and iB's windows → iA and iB
	twice(ticket, "c1", "", d(8, 10, 0, 0))                              // outside every window → none
	twice(ticket, "c4", "", d(8, 1, 1, 0))                               // c4 unaffected → none
	twice(ticket, "c3", "", d(8, 31, 21, 59))                            // a minute before iO's detection → none
	twice(ticket, "c3", "", d(8, 31, 22, 45))                            // → iO
	twice(ticket, "c3", "", d(9, 1, 12, 0))                              // → iO
	twice(ticket, "c3", "", time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) // after now + 24 h → none
	twice(ticket, "c1", "", d(7, 1, 12, 0))                              // → iX
	twice(ticket, "c4", "iZ", d(8, 1, 1, 0))                             // names an incomplete incident → none
	// tickets: iN 0, iX 1, iA 3, iB 1, iO 2.

	// Feedback:
	twice(feedback, "c1", "iB", d(8, 20, 0, 0), csat(1)) // names iB → iB (1)
	twice(feedback, "c2", "", d(8, 1, 1, 0), csat(4))    // → iA (4)
	twice(feedback, "c1", "", d(8, 2, 0, 30), csat(2))   // → iA and iB (2)
	twice(feedback, "c2", "", d(8, 1, 1, 30))            // no csat: counts nowhere
	twice(feedback, "c2", "iA", d(8, 1, 1, 40))          // names iA, no csat: counts nowhere
	twice(feedback, "c1", "", d(8, 15, 0, 0), csat(5))   // no window → none
	twice(feedback, "c3", "", d(8, 31, 23, 0), csat(4))  // → iO (4)
	twice(feedback, "c3", "", d(9, 1, 0, 0), csat(1))    // → iO (1)
	twice(feedback, "c1", "", d(7, 1, 0, 30), csat(2))   // → iX (2)
	twice(feedback, "c4", "", d(7, 1, 0, 30), csat(5))   // c4 unaffected → none
	// csat_avg: iN NULL, iX 2, iA (4+2)/2 = 3, iB (1+2)/2 = 1.5,
	// iO (4+1)/2 = 2.5.

	// twice more: ClickHouse 26.x collapses the copies of an event within
	// one insert (a ReplacingMergeTree), not those of separate inserts
	h.insert(t, conn, db)
	h.insert(t, conn, db)
	want := map[string]struct {
		tickets int64
		csat    *float64
	}{
		"iN": {0, nil}, "iX": {1, f64(2)}, "iA": {3, f64(3)}, "iB": {1, f64(1.5)}, "iO": {2, f64(2.5)},
	}

	rows, err := conn.Query(ctx, `SELECT incident_id, tickets, csat_avg FROM incident_metrics ORDER BY incident_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	got := map[string]trustlens.Incident{}
	for rows.Next() {
		var g trustlens.Incident
		if err := rows.Scan(&g.IncidentID, &g.Tickets, &g.CSATAvg); err != nil {
			t.Fatal(err)
		}
		got[g.IncidentID] = g
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	store := analytics.New(conn, trustlens.DefaultPolicy())
	page, err := store.Incidents(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "view incidents", len(got), len(want))
	eq(t, "Store incidents", len(page.Incidents), len(want))
	for id, w := range want {
		eq(t, id+" view tickets", got[id].Tickets, w.tickets)
		eq(t, id+" view csat_avg", got[id].CSATAvg, w.csat)
	}
	for _, inc := range page.Incidents {
		w := want[inc.IncidentID]
		eq(t, inc.IncidentID+" Store tickets", inc.Tickets, w.tickets)
		eq(t, inc.IncidentID+" Store csat_avg", inc.CSATAvg, w.csat)
	}
}
