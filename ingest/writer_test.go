package ingest_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestWriterRoundTrip inserts one event of each table with every field set
// and reads every column back.
func TestWriterRoundTrip(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	at := time.Date(2025, 6, 1, 10, 0, 0, 0, time.UTC)
	next := at.Add(time.Hour)
	now := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	mrr, amount, sentiment := 12.5, 30.0, -0.5
	recipients, csat := uint64(42), uint8(3)
	rows := []ingest.Row{
		{Event: trustlens.Event{EventID: "i1", Type: trustlens.TypeIncidentCustomerAffected, OccurredAt: at, IncidentID: "inc", CustomerID: "cus",
			Severity: "sev1", Title: "t", Services: []string{"a", "b"}, Regions: []string{"r"}, Source: "src", Status: "st", Segment: "seg", MRR: &mrr, Extra: `{"x":1}`},
			Position: ingest.Position{Topic: "p.incidents", Partition: 3, Offset: 77}},
		{Event: trustlens.Event{EventID: "m1", Type: trustlens.TypeCommunicationSent, OccurredAt: at, IncidentID: "inc", CustomerID: "cus",
			Channel: "email", Kind: "update", Audience: "affected", Recipients: &recipients, Apology: true, TakesResponsibility: false,
			RootCause: true, PreventionSteps: false, NextUpdateAt: &next, Body: "b", Extra: "{}"},
			Position: ingest.Position{Topic: "p.communications", Partition: 1, Offset: 5}},
		{Event: trustlens.Event{EventID: "c1", Type: trustlens.TypeCustomerFeedback, OccurredAt: at, IncidentID: "inc", CustomerID: "cus",
			Segment: "seg", Plan: "plan", MRR: &mrr, CompensationType: "credit", Amount: &amount, Currency: "EUR", Channel: "chat",
			CSAT: &csat, Sentiment: &sentiment, Comment: "com", Reason: "why", Extra: "{}"},
			Position: ingest.Position{Topic: "p.customer-responses", Partition: 0, Offset: 9}},
		{Event: trustlens.Event{EventID: "c2", Type: trustlens.TypeCustomerTicketOpened, OccurredAt: at, CustomerID: "cus", Extra: "{}"},
			Position: ingest.Position{Topic: "p.customer-responses", Partition: 2, Offset: 10}},
	}
	w := ingest.Writer{Conn: conn, DB: db, Now: func() time.Time { return now }}
	ctx := context.Background()
	if err := w.Insert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	if err := w.InsertErrors(ctx, []ingest.BadMessage{{Position: ingest.Position{Topic: "p.incidents", Partition: 2, Offset: 8}, Reason: "r", Raw: []byte("raw")}}); err != nil {
		t.Fatal(err)
	}
	queries := []struct{ query, want string }{
		{"SELECT event_id, type, toString(occurred_at), incident_id, customer_id, severity, title, services, regions, source, status, segment, mrr, extra, toString(ingested_at), kafka_topic, kafka_partition, kafka_offset FROM incident_events",
			"i1|incident.customer_affected|2025-06-01 10:00:00|inc|cus|sev1|t|[a b]|[r]|src|st|seg|12.5|{\"x\":1}|2025-06-02 00:00:00|p.incidents|3|77"},
		{"SELECT event_id, type, toString(occurred_at), incident_id, customer_id, channel, kind, audience, recipients, apology, takes_responsibility, root_cause, prevention_steps, toString(next_update_at), body, extra, toString(ingested_at), kafka_topic, kafka_partition, kafka_offset FROM communication_events",
			"m1|communication.sent|2025-06-01 10:00:00|inc|cus|email|update|affected|42|1|0|1|0|2025-06-01 11:00:00|b|{}|2025-06-02 00:00:00|p.communications|1|5"},
		{"SELECT event_id, type, toString(occurred_at), customer_id, incident_id, segment, plan, mrr, compensation_type, amount, currency, channel, csat, sentiment, comment, reason, extra, toString(ingested_at), kafka_topic, kafka_partition, kafka_offset FROM customer_events ORDER BY event_id",
			"c1|customer.feedback|2025-06-01 10:00:00|cus|inc|seg|plan|12.5|credit|30|EUR|chat|3|-0.5|com|why|{}|2025-06-02 00:00:00|p.customer-responses|0|9\n" +
				"c2|customer.ticket_opened|2025-06-01 10:00:00|cus||||NULL||NULL|||NULL|NULL|||{}|2025-06-02 00:00:00|p.customer-responses|2|10"},
		{"SELECT toString(ingested_at), kafka_topic, kafka_partition, kafka_offset, reason, raw FROM ingest_errors",
			"2025-06-02 00:00:00|p.incidents|2|8|r|raw"},
	}
	for _, q := range queries {
		got := queryText(t, conn, q.query)
		if got != q.want {
			t.Errorf("%s\n got %s\nwant %s", q.query, got, q.want)
		}
	}
}

// queryText runs a query and renders its rows as "a|b|c" lines (NULL
// for a null).
func queryText(t testing.TB, conn driver.Conn, query string) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		types := rows.ColumnTypes()
		ptrs := make([]any, len(types))
		for i, ct := range types {
			ptrs[i] = reflect.New(ct.ScanType()).Interface()
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		var cells []string
		for _, p := range ptrs {
			v := reflect.ValueOf(p).Elem()
			if v.Kind() == reflect.Pointer {
				if v.IsNil() {
					cells = append(cells, "NULL")
					continue
				}
				v = v.Elem()
			}
			cells = append(cells, fmt.Sprint(v.Interface()))
		}
		lines = append(lines, strings.Join(cells, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return strings.Join(lines, "\n")
}
