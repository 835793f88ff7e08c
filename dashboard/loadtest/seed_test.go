package loadtest_test

import (
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/dashboard"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
	"github.com/trustlens/trustlens/internal/conformance"
)

// seed loads the conformance example into a fresh database and returns the
// real store over it, clocked at the manifest's now, and one incident id.
func seed(t *testing.T) *seeded {
	t.Helper()
	admin, db := chtest.NewDatabase(t)
	ex := conformance.Open(t)
	rows := ex.Rows(t)
	incident := ""
	for _, r := range rows {
		if r.Type == trustlens.TypeIncidentDetected {
			incident = r.IncidentID
			break
		}
	}
	if err := (&ingest.Writer{Conn: admin, DB: db}).Insert(context.Background(), rows); err != nil {
		t.Fatalf("insert conformance events: %v", err)
	}
	// the connection `trustlens serve` opens (cmd/trustlens/clickhouse.go)
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:             strings.Split(chtest.Addr(), ","),
		Auth:             clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout:      5 * time.Second,
		ReadTimeout:      60 * time.Second,
		MaxOpenConns:     16,
		MaxIdleConns:     16,
		ConnMaxLifetime:  time.Hour,
		ConnOpenStrategy: clickhouse.ConnOpenInOrder,
		Compression:      &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	now := ex.Now
	return &seeded{
		store: analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }),
			analytics.WithMaxExecutionTime(10*time.Second)),
		now: now, id: incident, conn: conn, db: db, rows: rows,
	}
}

// seeded is the store over the conformance example, shared by the tests.
type seeded struct {
	store *analytics.Store
	now   time.Time
	id    string
	conn  driver.Conn  // the connection `trustlens serve` would open
	db    string       // its database
	rows  []ingest.Row // the conformance events
}

// counting wraps the real store and counts the calls that query figures
// (everything but Policy and Ping), to prove that a rejected parameter
// never reached SQL.
type counting struct {
	dashboard.Analytics
	calls atomic.Int64
}

func (c *counting) Summary(ctx context.Context, f trustlens.Filter) (trustlens.Summary, error) {
	c.calls.Add(1)
	return c.Analytics.Summary(ctx, f)
}

func (c *counting) Incidents(ctx context.Context, f trustlens.Filter) (trustlens.IncidentPage, error) {
	c.calls.Add(1)
	return c.Analytics.Incidents(ctx, f)
}

func (c *counting) Incident(ctx context.Context, id string) (trustlens.IncidentDetail, error) {
	c.calls.Add(1)
	return c.Analytics.Incident(ctx, id)
}

func (c *counting) Overdue(ctx context.Context) ([]trustlens.Overdue, error) {
	c.calls.Add(1)
	return c.Analytics.Overdue(ctx)
}

func (c *counting) UpdatesDue(ctx context.Context) ([]trustlens.UpdateDue, error) {
	c.calls.Add(1)
	return c.Analytics.UpdatesDue(ctx)
}

func (c *counting) Churn(ctx context.Context, f trustlens.Filter) (trustlens.Churn, error) {
	c.calls.Add(1)
	return c.Analytics.Churn(ctx, f)
}

func (c *counting) Compensation(ctx context.Context, f trustlens.Filter) (trustlens.Compensation, error) {
	c.calls.Add(1)
	return c.Analytics.Compensation(ctx, f)
}

func (c *counting) Trend(ctx context.Context, metric, interval string, f trustlens.Filter) (trustlens.Trend, error) {
	c.calls.Add(1)
	return c.Analytics.Trend(ctx, metric, interval, f)
}
