package analytics_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/conformance"
)

// insertEvents stores events as ingest does, in one INSERT, the i-th at
// offset i of its stream's topic (a repeated event is a redelivered copy).
func insertEvents(t *testing.T, conn driver.Conn, db string, events ...trustlens.Event) {
	t.Helper()
	rows := make([]ingest.Row, len(events))
	for i, e := range events {
		e.Extra = "{}"
		rows[i] = ingest.Row{Event: e, Position: ingest.Position{Topic: "trustlens." + string(e.Stream()), Offset: int64(i)}}
	}
	w := ingest.Writer{Conn: conn, DB: db}
	if err := w.Insert(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

// loadConformance inserts every line of the conformance example (duplicate
// lines included, each at its own Kafka offset) into the database of conn.
func loadConformance(t *testing.T, conn driver.Conn, db string) (now time.Time, expected map[string]json.RawMessage) {
	t.Helper()
	ex := conformance.Open(t)
	ex.Expected(t, &expected)
	ex.Insert(t, conn, db)
	return ex.Now, expected
}
