// Package analytics computes the figures of SPEC §2 from the ClickHouse
// tables written by ingest.
//
// The heart is figureSet (sql.go): the SQL that yields the whole
// per-incident figure set. Its clock-free half (pre) is materialized as a
// snapshot (snapshot.go), read into memory, and the answers apply the
// clock and aggregate in Go (memory.go); the incident_metrics view runs
// the whole SQL for analysts. Incident timelines are read from the event
// tables.
package analytics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
)

// DefaultMaxExecutionTime bounds every query unless WithMaxExecutionTime
// says otherwise.
const DefaultMaxExecutionTime = 10 * time.Second

// Store answers the analytics questions of SPEC §2 and §3 from ClickHouse.
// It is safe for concurrent use.
type Store struct {
	conn                driver.Conn
	policy              trustlens.Policy
	now                 func() time.Time
	maxExecutionSeconds int
	freshFor            time.Duration // reuse of a freshness check (freshness.go)
	log                 *slog.Logger
	beforeBuild         func(ctx context.Context) error

	snap        atomic.Pointer[snapshot] // the latest snapshot (snapshot.go)
	building    chan struct{}            // held while a snapshot is built
	background  atomic.Bool              // RunRefresher runs: answers never wait for a build
	nudge       chan struct{}            // an answer saw new events: the refresher looks now
	fresh       freshness
	checkWarned atomic.Int64 // unix ns of the last failed-check warning
	firstBuild  atomic.Bool
	gensMu      sync.Mutex
	gens        []string // snapshot generations built by this Store, oldest first
	answers     answers  // answers of the current snapshot and second (cache.go)
}

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for every figure that depends on "now"
// (open incidents' silence, overdue, pending habits, churn windows and
// promises). The default is time.Now.
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// WithMaxExecutionTime sets ClickHouse's max_execution_time for every
// query, rounded up to whole seconds (at least 1).
func WithMaxExecutionTime(d time.Duration) Option {
	return func(s *Store) {
		secs := int((d + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		s.maxExecutionSeconds = secs
	}
}

// New returns a Store reading the tables of the database conn is connected
// to (unqualified table names). policy should have passed ValidatePolicy.
func New(conn driver.Conn, policy trustlens.Policy, opts ...Option) *Store {
	s := &Store{
		conn:                conn,
		policy:              policy,
		now:                 time.Now,
		maxExecutionSeconds: int(DefaultMaxExecutionTime / time.Second),
		log:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
		building:            make(chan struct{}, 1),
		nudge:               make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Policy is the policy every figure is computed with.
func (s *Store) Policy() trustlens.Policy { return s.policy }

// Ping checks that ClickHouse answers.
// While RunRefresher runs it also waits for the first snapshot (so that a
// load balancer sends no request before answers are fast).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.conn.Ping(ctx); err != nil {
		return fmt.Errorf("analytics: ping: %w", err)
	}
	if s.background.Load() && s.snap.Load() == nil {
		return fmt.Errorf("analytics: ping: the first snapshot is being built")
	}
	return nil
}

// builder renders queries with the store's policy and the clock read once.
func (s *Store) builder() builder {
	return builder{now: nowLiteral(s.now().UTC().Unix()), p: s.policy}
}

// builderCtx is builder with the clock pinned in ctx (cache.go), if any.
func (s *Store) builderCtx(ctx context.Context) builder {
	if p, ok := ctx.Value(pinKey{}).(pin); ok {
		return builder{now: nowLiteral(p.now), p: s.policy}
	}
	return s.builder()
}

// query runs q with the execution time limit; args are clickhouse.Named.
// Answers run at ClickHouse priority 1, so that a snapshot build (priority
// 10) pauses while they run (priority 0 would not take part).
func (s *Store) query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	return s.conn.Query(ctx, q+"\nSETTINGS max_execution_time = "+strconv.Itoa(s.maxExecutionSeconds)+", priority = 1", args...)
}

// scopeOf turns a filter into a scope and its bound parameters.
func scopeOf(f trustlens.Filter) (scope, []any) {
	sc := scope{status: f.Status}
	if !f.From.IsZero() {
		sc.from = f.From.UTC().Unix()
	}
	if !f.To.IsZero() {
		sc.to = f.To.UTC().Unix()
	}
	var args []any
	if f.Severity != "" {
		sc.bySev = true
		args = append(args, clickhouse.Named("sev", f.Severity))
	}
	return sc, args
}

// checkFilter rejects a filter that cannot be turned into SQL.
func checkFilter(f trustlens.Filter) error {
	switch f.Status {
	case "", "open", "resolved":
	default:
		return fmt.Errorf("status must be open or resolved, got %q", f.Status)
	}
	if f.Limit < 0 {
		return fmt.Errorf("limit must be ≥ 0, got %d", f.Limit)
	}
	if f.Offset < 0 {
		return fmt.Errorf("offset must be ≥ 0, got %d", f.Offset)
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return fmt.Errorf("from (%s) must be before to (%s)", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	return nil
}

// ratio is num ÷ den, nil when den is 0.
func ratio(num, den float64) *float64 {
	if den == 0 {
		return nil
	}
	v := num / den
	return &v
}

// cents rounds an amount to the cent.
func cents(v float64) float64 { return math.Round(v*100) / 100 }

// nowOf is the clock of an answer: pinned in ctx (cache.go), if any.
func (s *Store) nowOf(ctx context.Context) int64 {
	if p, ok := ctx.Value(pinKey{}).(pin); ok {
		return p.now
	}
	return s.now().UTC().Unix()
}
