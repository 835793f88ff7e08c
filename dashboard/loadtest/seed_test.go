package loadtest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/dashboard"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// seed loads the conformance example into a fresh database and returns the
// real store over it, clocked at the manifest's now, and one incident id.
func seed(t *testing.T) (*analytics.Store, time.Time, string) {
	t.Helper()
	admin, db := chtest.NewDatabase(t)
	dir := chtest.ConformanceDir(t)
	var manifest struct {
		Now   time.Time         `json:"now"`
		Files map[string]string `json:"files"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	var rows []ingest.Row
	incident := ""
	for topic, file := range manifest.Files {
		s, ok := trustlens.StreamOfTopic("trustlens.", topic)
		if !ok {
			t.Fatalf("manifest: unknown topic %q", topic)
		}
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var off int64
		for sc.Scan() {
			ev, err := trustlens.Decode(s, sc.Bytes(), manifest.Now)
			if err != nil {
				t.Fatalf("%s line %d: %v", file, off+1, err)
			}
			if incident == "" && ev.Type == trustlens.TypeIncidentDetected {
				incident = ev.IncidentID
			}
			rows = append(rows, ingest.Row{Event: ev, Position: ingest.Position{Topic: topic, Offset: off}})
			off++
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
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
	now := manifest.Now
	return analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }),
		analytics.WithMaxExecutionTime(10*time.Second)), now, incident
}

// seeded is the store over the conformance example, shared by the tests.
type seeded struct {
	store *analytics.Store
	now   time.Time
	id    string
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
