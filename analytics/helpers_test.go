package analytics_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/trustlens/trustlens/internal/conformance"
)

// loadConformance inserts every line of the conformance example (duplicate
// lines included, each at its own Kafka offset) into the database of conn.
func loadConformance(t *testing.T, conn driver.Conn, db string) (now time.Time, expected map[string]json.RawMessage) {
	t.Helper()
	ex := conformance.Open(t)
	ex.Expected(t, &expected)
	ex.Insert(t, conn, db)
	return ex.Now, expected
}
