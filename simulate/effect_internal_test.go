package simulate

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// rowSink decodes every event as ingest would and keeps the rows.
type rowSink struct {
	t    *testing.T
	now  time.Time
	rows []ingest.Row
}

func (m *rowSink) Send(_ context.Context, s trustlens.Stream, _ string, v []byte) error {
	ev, err := trustlens.Decode(s, v, m.now)
	if err != nil {
		m.t.Fatalf("event %d does not validate: %v\n%s", len(m.rows), err, v)
	}
	m.rows = append(m.rows, ingest.Row{Event: ev, Position: ingest.Position{
		Topic: "trustlens." + string(s), Partition: 0, Offset: int64(len(m.rows))}})
	return nil
}

// TestBehaviourPaysOffInChurn loads a half-year history into a fresh
// ClickHouse database and reads it back through analytics:
//   - every habit of every incident comes out as the simulator intended
//     (so the model controls what the dashboard shows);
//   - customers hit by an outage churn more than the others, and more
//     after incidents where the company missed a habit than after those
//     where it kept it (the trust drivers);
//   - the tickets and csat figures of SPEC §2.6 are those the events give
//     (computeTicketFigures), and show the cost of silence and the csat
//     drop (TestTicketAndCSATEffects checks their sizes).
func TestBehaviourPaysOffInChurn(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	const halfYear = 180 * 24 * time.Hour
	sink := &rowSink{t: t, now: now}
	s, err := newSim(Config{Seed: 1, History: halfYear, Now: func() time.Time { return now }}, sink)
	if err != nil {
		t.Fatal(err)
	}
	intent := map[string]incidentTrace{}
	s.trace = func(tr incidentTrace) { intent[tr.id] = tr }
	st, err := s.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	conn, _ := chtest.NewDatabase(t)
	ctx := context.Background()
	w := &ingest.Writer{Conn: conn, Now: func() time.Time { return now }}
	for i := 0; i < len(sink.rows); i += 20000 {
		if err := w.Insert(ctx, sink.rows[i:min(i+20000, len(sink.rows))]); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))

	t.Run("habits as intended", func(t *testing.T) {
		page, err := store.Incidents(ctx, trustlens.Filter{From: now.Add(-halfYear), To: now})
		if err != nil {
			t.Fatalf("Incidents: %v", err)
		}
		if int64(len(page.Incidents)) != st.Incidents {
			t.Fatalf("analytics sees %d incidents, the simulator made %d", len(page.Incidents), st.Incidents)
		}
		for _, inc := range page.Incidents {
			tr, ok := intent[inc.IncidentID]
			if !ok {
				t.Fatalf("incident %s was not planned", inc.IncidentID)
			}
			if int64(len(tr.affected)) != inc.Affected {
				t.Errorf("%s: %d affected, planned %d", inc.IncidentID, inc.Affected, len(tr.affected))
			}
			for h, name := range trustlens.Habits {
				got, want := inc.Habits[name], "missed"
				if tr.met[h] {
					want = "met"
				}
				if got == "pending" || got == "n/a" {
					continue // the window has not passed, or compensation does not apply
				}
				if got != want {
					t.Errorf("%s (%s) %s: analytics says %s, the simulator intended %s", inc.IncidentID, inc.Severity, name, got, want)
				}
			}
		}
	})

	t.Run("tickets and csat as SPEC §2.6", func(t *testing.T) {
		ticketsAsAnalytics(t, ctx, store, sink.rows, intent, now.Add(-halfYear), now)
	})

	t.Run("drivers", func(t *testing.T) {
		ch, err := store.Churn(ctx, trustlens.Filter{From: now.Add(-halfYear), To: now})
		if err != nil {
			t.Fatalf("Churn: %v", err)
		}
		if ch.AffectedRate == nil || ch.BaselineRate == nil || *ch.AffectedRate <= *ch.BaselineRate {
			t.Errorf("affected churn %v not above baseline %v", deref(ch.AffectedRate), deref(ch.BaselineRate))
		}
		t.Logf("%d incidents (%d pending): affected churn %.3f (%d/%d), baseline %.3f (%d/%d)", st.Incidents, ch.PendingIncidents,
			deref(ch.AffectedRate), ch.ChurnedAffected, ch.ActiveAffected, deref(ch.BaselineRate), ch.ChurnedBaseline, ch.ActiveBaseline)
		must := map[string]bool{trustlens.HabitActSwiftly: true, trustlens.HabitApologize: true, trustlens.HabitFollowUp: true}
		pays := 0
		for _, d := range ch.Drivers {
			ok := d.Met.ChurnRate != nil && d.Missed.ChurnRate != nil && *d.Missed.ChurnRate > *d.Met.ChurnRate
			if ok {
				pays++
			}
			t.Logf("%-24s met %.3f (%2d incidents, %4d/%5d)  missed %.3f (%2d incidents, %4d/%5d)  pays off: %v", d.Habit,
				deref(d.Met.ChurnRate), d.Met.Incidents, d.Met.ChurnedAffected, d.Met.ActiveAffected,
				deref(d.Missed.ChurnRate), d.Missed.Incidents, d.Missed.ChurnedAffected, d.Missed.ActiveAffected, ok)
			if must[d.Habit] && !ok {
				t.Errorf("%s: affected churn where missed (%v) is not above where met (%v)", d.Habit, deref(d.Missed.ChurnRate), deref(d.Met.ChurnRate))
			}
			if d.Met.Incidents == 0 || d.Missed.Incidents == 0 {
				t.Errorf("%s: %d incidents met it and %d missed it; the history should have both", d.Habit, d.Met.Incidents, d.Missed.Incidents)
			}
		}
		if len(ch.Drivers) != len(trustlens.Habits) || pays*2 <= len(ch.Drivers) {
			t.Errorf("behaving well pays off for %d of %d habits, want a majority", pays, len(ch.Drivers))
		}
	})
}

// ticketsAsAnalytics checks that analytics gives the §2.6 figures that
// computeTicketFigures gets from the events, summary and per incident.
func ticketsAsAnalytics(t *testing.T, ctx context.Context, store *analytics.Store, rows []ingest.Row, intent map[string]incidentTrace, from, now time.Time) {
	answers := map[answerKey]float64{}
	for _, tr := range intent {
		for _, a := range tr.answers {
			answers[answerKey{a.cust, a.at}] = a.drop
		}
	}
	f := computeTicketFigures(rows, from.Unix(), now.Unix(), now.Unix(), answers)
	sum, err := store.Summary(ctx, trustlens.Filter{From: from, To: now})
	if err != nil {
		t.Fatalf("Summary: %v", err)
	}
	same := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || math.Abs(*got-want) > 1e-9*math.Max(1, math.Abs(want)) {
			t.Errorf("%s: analytics says %v, the events give %v", name, deref(got), want)
		}
	}
	same("tickets_per_hour_silent", sum.TicketsPerHourSilent, f.perHourSilent())
	same("tickets_per_hour_updated", sum.TicketsPerHourUpdated, f.perHourUpdated())
	same("csat_affected_avg", sum.CSATAffectedAvg, f.csatAffected())
	same("csat_baseline_avg", sum.CSATBaselineAvg, f.csatBaseline())
	var tickets int64
	for _, r := range f.incidents {
		tickets += r.tickets
	}
	same("tickets_per_incident", sum.TicketsPerIncident, float64(tickets)/float64(len(f.incidents)))
	page, err := store.Incidents(ctx, trustlens.Filter{From: from, To: now})
	if err != nil {
		t.Fatalf("Incidents: %v", err)
	}
	if len(page.Incidents) != len(f.incidents) {
		t.Fatalf("analytics sees %d incidents, the events %d", len(page.Incidents), len(f.incidents))
	}
	var withCSAT int
	for _, inc := range page.Incidents {
		r := f.incidents[inc.IncidentID]
		if r == nil {
			t.Fatalf("%s: not among the events' incidents", inc.IncidentID)
		}
		if inc.Tickets != r.tickets {
			t.Errorf("%s: %d tickets, the events give %d", inc.IncidentID, inc.Tickets, r.tickets)
		}
		if r.csN == 0 {
			if inc.CSATAvg != nil {
				t.Errorf("%s: csat_avg %v, the events have no rating", inc.IncidentID, *inc.CSATAvg)
			}
			continue
		}
		withCSAT++
		same(inc.IncidentID+" csat_avg", inc.CSATAvg, r.csSum/float64(r.csN))
	}
	sil, upd := f.perCustomerHour()
	t.Logf("%d incidents (%d with a csat_avg), %.1f tickets each; tickets per hour silent %.1f vs updated %.1f (per affected customer-hour %.4f vs %.4f); csat affected %.2f vs baseline %.2f",
		len(f.incidents), withCSAT, float64(tickets)/float64(len(f.incidents)), f.perHourSilent(), f.perHourUpdated(), sil, upd, f.csatAffected(), f.csatBaseline())
	if !(f.perHourSilent() > f.perHourUpdated() && f.csatAffected() < f.csatBaseline()) {
		t.Errorf("the history shows no cost of silence or no csat drop")
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}
