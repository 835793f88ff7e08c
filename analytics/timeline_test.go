package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestTimelineMessages checks that an incident's timeline carries what
// each communication said and the flags stored with it (migration 0010),
// once for a redelivered event, and nothing for the other events.
func TestTimelineMessages(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	promised := t0.Add(45 * time.Minute)

	detected := trustlens.Event{EventID: "d", Type: trustlens.TypeIncidentDetected, IncidentID: "m1", Severity: "sev2", Title: "Logins failing", OccurredAt: t0}
	ack := trustlens.Event{EventID: "c1", Type: trustlens.TypeCommunicationSent, IncidentID: "m1", OccurredAt: t0.Add(15 * time.Minute),
		Channel: "status_page", Kind: "acknowledgement", Audience: "public",
		Body: "We are investigating failed logins. Next update in 30 minutes.", NextUpdateAt: &promised}
	update := trustlens.Event{EventID: "c2", Type: trustlens.TypeCommunicationSent, IncidentID: "m1", OccurredAt: t0.Add(40 * time.Minute),
		Channel: "email", Kind: "update", Audience: "affected",
		Body:    "We are sorry. A configuration change we made broke logins; we now stage every change.",
		Apology: true, TakesResponsibility: true, RootCause: true, PreventionSteps: true}
	// redelivered copies (identical, as Kafka redelivers) show once
	later := update
	ticket := trustlens.Event{EventID: "t1", Type: trustlens.TypeCustomerTicketOpened, IncidentID: "m1", CustomerID: "cust-1", OccurredAt: t0.Add(20 * time.Minute)}
	other := trustlens.Event{EventID: "c3", Type: trustlens.TypeCommunicationSent, IncidentID: "m2", OccurredAt: t0,
		Channel: "email", Kind: "update", Audience: "public", Body: "another incident's words"}

	insertEvents(t, conn, db, detected, ack, update, later, ack, ticket, other)

	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return t0.Add(2 * time.Hour) }))
	d, err := store.Incident(ctx, "m1")
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		id  string
		msg *trustlens.Message
	}
	var got []row
	for _, e := range d.Timeline {
		got = append(got, row{e.EventID, e.Message})
	}
	p := promised
	want := []row{
		{"d", nil},
		{"c1", &trustlens.Message{Kind: "acknowledgement", Channel: "status_page", Body: ack.Body, NextUpdateAt: &p, PromiseStatus: trustlens.PromiseKept}}, // c2 came before 10:45 + 5 min
		{"t1", nil},
		{"c2", &trustlens.Message{Kind: "update", Channel: "email", Body: update.Body, Apology: true, TakesResponsibility: true, RootCause: true, PreventionSteps: true}},
	}
	if len(got) != len(want) {
		t.Fatalf("timeline has %d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		eq(t, "timeline["+want[i].id+"].event_id", got[i].id, want[i].id)
		eq(t, "timeline["+want[i].id+"].message", got[i].msg, want[i].msg)
	}
}

// TestIncidentPromises checks that an incident lists its promises one by
// one, and that they add up to its figures' promises_made, _kept and
// _broken: on a resolved incident (one kept, one broken 10 min late, one
// repeated on a second channel) and an open one (one pending).
func TestIncidentPromises(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	min := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ptr := func(t time.Time) *time.Time { return &t }
	comm := func(id, inc string, m int, kind, channel string, due *time.Time) trustlens.Event {
		return trustlens.Event{EventID: id, Type: trustlens.TypeCommunicationSent, IncidentID: inc, OccurredAt: min(m),
			Channel: channel, Kind: kind, Audience: "public", Body: kind + " " + id, NextUpdateAt: due}
	}
	events := []trustlens.Event{
		{EventID: "d1", Type: trustlens.TypeIncidentDetected, IncidentID: "p1", Severity: "sev2", Title: "Checkout failing", OccurredAt: t0},
		comm("ack", "p1", 5, "acknowledgement", "status_page", ptr(min(35))),
		comm("u1", "p1", 35, "update", "status_page", ptr(min(65))),
		comm("u1e", "p1", 35, "update", "email", ptr(min(65))), // the same update on a second channel: one point, one promise, made by u1
		comm("u2", "p1", 75, "update", "status_page", nil),
		comm("res", "p1", 105, "resolution", "status_page", nil),
		{EventID: "r1", Type: trustlens.TypeIncidentResolved, IncidentID: "p1", OccurredAt: min(105)},
		{EventID: "d2", Type: trustlens.TypeIncidentDetected, IncidentID: "p2", Severity: "sev3", Title: "Search slow", OccurredAt: min(100)},
		comm("ack2", "p2", 110, "acknowledgement", "status_page", ptr(min(140))),
	}
	insertEvents(t, conn, db, events...)
	// now: 130, before p2's promise (140) + grace (5 min) has passed
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return min(130) }))
	type want struct {
		due, made   time.Time
		by, status  string
		next        *time.Time
		lateSeconds int64
	}
	for _, c := range []struct {
		id                 string
		want               []want
		made, kept, broken int64
	}{
		{"p1", []want{
			{min(35), min(5), "ack", trustlens.PromiseKept, ptr(min(35)), 0},
			{min(65), min(35), "u1", trustlens.PromiseBroken, ptr(min(75)), 600},
		}, 2, 1, 1},
		{"p2", []want{{min(140), min(110), "ack2", trustlens.PromisePending, nil, 0}}, 1, 0, 0},
	} {
		d, err := store.Incident(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, c.id+" promises_made", d.PromisesMade, c.made)
		eq(t, c.id+" promises_kept", d.PromisesKept, c.kept)
		eq(t, c.id+" promises_broken", d.PromisesBroken, c.broken)
		if len(d.Promises) != len(c.want) {
			t.Fatalf("%s: %d promises, want %d: %+v", c.id, len(d.Promises), len(c.want), d.Promises)
		}
		var kept, broken int64
		for i, w := range c.want {
			p := d.Promises[i]
			eq(t, c.id+" promise due", p.Due, w.due)
			eq(t, c.id+" promise made_at", p.MadeAt, w.made)
			eq(t, c.id+" promise made_by", p.MadeBy, w.by)
			eq(t, c.id+" promise status", p.Status, w.status)
			eq(t, c.id+" promise next_update_at", p.NextUpdateAt, w.next)
			eq(t, c.id+" promise late_seconds", p.LateSeconds, w.lateSeconds)
			switch p.Status {
			case trustlens.PromiseKept:
				kept++
			case trustlens.PromiseBroken:
				broken++
			}
		}
		// an open incident says when its next update is due: p2's promise
		// (t0+140) comes before its cadence end (t0+110 + 4 h)
		if c.id == "p1" && d.Due != nil {
			t.Errorf("p1 is resolved, but has a next update due: %+v", d.Due)
		}
		if c.id == "p2" {
			if d.Due == nil {
				t.Fatal("p2 is open, but has no next update due")
			}
			eq(t, "p2 due_at", d.Due.DueAt, min(140))
			eq(t, "p2 due by", d.Due.By, trustlens.DueByPromise)
		}
		// the list adds up to the figures
		eq(t, c.id+" kept in the list", kept, d.PromisesKept)
		eq(t, c.id+" broken in the list", broken, d.PromisesBroken)
		// each message carrying a promise shows its state; a repeat shows
		// the state of the promise it repeats
		for _, e := range d.Timeline {
			if e.Message == nil {
				continue
			}
			want := map[string]string{"ack": trustlens.PromiseKept, "u1": trustlens.PromiseBroken, "u1e": trustlens.PromiseBroken,
				"ack2": trustlens.PromisePending}[e.EventID]
			eq(t, c.id+" "+e.EventID+" promise_status", e.Message.PromiseStatus, want)
		}
	}
}
