package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestUpdatesDue checks, on ClickHouse, when each open incident's next
// update is due, worked out by hand: now is t0+20 min; cadence targets
// sev1 1 h, sev2 2 h, sev3 4 h; promise_grace 5 min.
func TestUpdatesDue(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ptr := func(t time.Time) *time.Time { return &t }
	det := func(inc, sev string, m int) trustlens.Event {
		return trustlens.Event{EventID: "d-" + inc, Type: trustlens.TypeIncidentDetected, IncidentID: inc, Severity: sev, Title: "t " + inc, OccurredAt: min(m)}
	}
	comm := func(id, inc string, m int, due *time.Time) trustlens.Event {
		return trustlens.Event{EventID: id, Type: trustlens.TypeCommunicationSent, IncidentID: inc, OccurredAt: min(m),
			Channel: "status_page", Kind: "update", Audience: "public", NextUpdateAt: due}
	}
	events := []trustlens.Event{
		// o1: a promise for t0+35, before its cadence end (t0+5 + 1 h)
		det("o1", "sev1", 0), comm("o1a", "o1", 5, ptr(min(35))),
		// o2: no promise: the cadence, t0+10 + 2 h
		det("o2", "sev2", 0), comm("o2a", "o2", 10, nil),
		// o3: silent since t0-110: overdue since t0-50
		det("o3", "sev1", -120), comm("o3a", "o3", -110, nil),
		// o4: its promise (t0+12) broke at t0+17: the cadence, t0+5 + 4 h
		det("o4", "sev3", 0), comm("o4a", "o4", 5, ptr(min(12))),
		// o5: promised t0+16, still within the grace (t0+21): 4 min past the promise
		det("o5", "sev2", 0), comm("o5a", "o5", 15, ptr(min(16))),
		// o6: two pending promises, made by two messages in the same second
		// (one update point, so neither is kept): the earlier (t0+40) counts
		det("o6", "sev2", 0), comm("o6a", "o6", 1, ptr(min(90))), comm("o6b", "o6", 1, ptr(min(40))),
		// o7: promised t0+15; now is exactly its end of grace (t0+20): still pending
		det("o7", "sev2", 0), comm("o7a", "o7", 3, ptr(min(15))),
		// o8: a promise exactly at its cadence end (t0+10 + 1 h): by the promise;
		// o9: due at the same instant by its cadence: after o8 by id
		det("o8", "sev1", 0), comm("o8a", "o8", 10, ptr(min(70))),
		det("o9", "sev1", 0), comm("o9a", "o9", 10, nil),
		// resolved: not listed
		det("r1", "sev1", 0), {EventID: "r1-res", Type: trustlens.TypeIncidentResolved, IncidentID: "r1", OccurredAt: min(10)},
	}
	insertEvents(t, conn, db, events...)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return min(20) }))
	got, err := store.UpdatesDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		id        string
		last, cad time.Time
		promised  *time.Time
		due       time.Time
		by        string
		left      int64
		overdue   bool
	}
	wants := []want{
		{"o3", min(-110), min(-50), nil, min(-50), trustlens.DueByCadence, -70 * 60, true},
		{"o7", min(3), min(123), ptr(min(15)), min(15), trustlens.DueByPromise, -5 * 60, false},
		{"o5", min(15), min(135), ptr(min(16)), min(16), trustlens.DueByPromise, -4 * 60, false},
		{"o1", min(5), min(65), ptr(min(35)), min(35), trustlens.DueByPromise, 15 * 60, false},
		{"o6", min(1), min(121), ptr(min(40)), min(40), trustlens.DueByPromise, 20 * 60, false},
		{"o8", min(10), min(70), ptr(min(70)), min(70), trustlens.DueByPromise, 50 * 60, false},
		{"o9", min(10), min(70), nil, min(70), trustlens.DueByCadence, 50 * 60, false},
		{"o2", min(10), min(130), nil, min(130), trustlens.DueByCadence, 110 * 60, false},
		{"o4", min(5), min(245), nil, min(245), trustlens.DueByCadence, 225 * 60, false},
	}
	if len(got) != len(wants) {
		t.Fatalf("%d incidents, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		g := got[i]
		eq(t, "incident", g.IncidentID, w.id)
		eq(t, w.id+" last_update_at", g.LastUpdateAt, w.last)
		eq(t, w.id+" cadence_due_at", g.CadenceDueAt, w.cad)
		eq(t, w.id+" promised_at", g.PromisedAt, w.promised)
		eq(t, w.id+" due_at", g.DueAt, w.due)
		eq(t, w.id+" by", g.By, w.by)
		eq(t, w.id+" seconds_left", g.SecondsLeft, w.left)
		eq(t, w.id+" overdue", g.Overdue, w.overdue)
	}
	eq(t, "o1 title and severity", got[3].Title+" "+got[3].Severity, "t o1 sev1")
	eq(t, "o1 target_seconds", got[3].TargetSeconds, int64(3600))
	eq(t, "o4 target_seconds", got[8].TargetSeconds, int64(4*3600))

	// the overdue list agrees: o3 only
	od, err := store.Overdue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(od) != 1 || od[0].IncidentID != "o3" {
		t.Errorf("overdue %+v, want o3 only", od)
	}
}
