package analytics_test

import (
	"context"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/ingest"
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

	var rows []ingest.Row
	offset := int64(0)
	for _, e := range []trustlens.Event{detected, ack, update, later, ack, ticket, other} {
		e.Extra = "{}"
		rows = append(rows, ingest.Row{Event: e, Position: ingest.Position{Topic: "trustlens." + string(e.Stream()), Offset: offset}})
		offset++
	}
	w := ingest.Writer{Conn: conn, DB: db}
	if err := w.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}

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
		{"c1", &trustlens.Message{Kind: "acknowledgement", Channel: "status_page", Body: ack.Body, NextUpdateAt: &p}},
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
