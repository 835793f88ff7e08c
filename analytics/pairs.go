package analytics

import (
	"context"
	"errors"
	"strconv"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// unknownTable is ClickHouse's UNKNOWN_TABLE error code.
const unknownTable = 60

// snapTables names a snapshot's tables in a query: the tables themselves,
// or subqueries computing the same rows.
type snapTables struct{ pairs, incidents string }

// queryPairs runs the query that q builds around the snapshot's tables,
// while the snapshot loads: with the build's time limit, not an answer's
// (at the SPEC's size reading every affected customer takes seconds), and
// at the build's priority, so that answers go first. Snapshot tables are plain MergeTree tables on the server that built
// them, not replicated: after a failover the connection may reach a
// replica that has none (UNKNOWN_TABLE). The query then runs once more on
// the same rows computed from the events, until a snapshot is built there.
func (s *Store) queryPairs(ctx context.Context, snap *snapshot, q func(snapTables) string, args ...any) (driver.Rows, error) {
	rows, err := s.loadQuery(ctx, q(snapTables{pairs: snap.pairs, incidents: snap.incidents}), args...)
	var ex *clickhouse.Exception
	if err == nil || !errors.As(err, &ex) || ex.Code != unknownTable {
		return rows, err
	}
	b := s.builderCtx(ctx)
	b.state = true
	return s.loadQuery(ctx, q(snapTables{
		pairs:     "(" + b.pairs(scope{}) + ")",
		incidents: "(SELECT " + preColumns + " FROM (" + b.pre(b.joined(scope{}, true)) + "))",
	}), args...)
}

// loadQuery runs q as part of loading a snapshot (see queryPairs).
func (s *Store) loadQuery(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	return s.conn.Query(ctx, q+"\nSETTINGS max_execution_time = "+strconv.Itoa(refreshSeconds)+", priority = 10", args...)
}
