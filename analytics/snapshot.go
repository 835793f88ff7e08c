package analytics

// Snapshots: the clock-free half of every incident's figures, materialized.
//
// Computing the figure set from the raw event tables de-duplicates whole
// tables and merges millions of rows; at the SPEC §5 size that takes
// seconds. But everything except the "now" part (silence of open
// incidents, overdue, pending verdicts, churn windows, promises) is a
// function of the stored events alone. A snapshot is that function's
// value: two plain MergeTree tables built with CREATE TABLE … AS SELECT
// from the exact figure-set SQL —
//
//   - <prefix>_incidents: one row per complete incident with the columns
//     of joined(scope{}, true), sorted by (det, incident_id) so that a
//     detected_at range reads only its granules;
//   - <prefix>_pairs: one row per (incident, customer) of pairs(scope{})
//
// — plus the incomplete-incident count. After a build the Store reads the
// snapshot into memory (memory.go) and every answer applies the clock to
// it in Go (figuresAt, the twin of finish), so it stays exact for any
// clock and runs no query.
//
// A snapshot is labelled with a fingerprint of the event and state tables
// (the highest block number of every partition of each table in
// system.parts: any insert, from any process, changes it; merges do not). A Store checks the
// fingerprint before answering and, when the data changed, builds a new
// snapshot first (one build at a time; concurrent requests wait for it and
// share it), so answers are exactly those of the raw-table SQL.
//
// WithMaxStaleness trades that for latency while ingest runs: a snapshot
// whose data was current less than the given duration ago is used as is,
// and RunRefresher keeps it fresh in the background.

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// snapshotPrefix starts the name of every snapshot table.
const snapshotPrefix = "analytics_snapshot_"

// refreshSeconds bounds the queries that build a snapshot.
const refreshSeconds = 600

// snapshot is one materialized figure state.
type snapshot struct {
	incidents   string // table with the joinedColumns
	pairs       string // table with the pairs columns
	incomplete  int64
	rows        []*preRow          // the incidents table in memory, sorted by det, incident_id (memory.go)
	byID        map[string]*preRow // rows by incident_id
	blocks      []block            // sums of the rows, by blockRows (blocks.go)
	fingerprint string
	verified    atomic.Int64 // unix nanoseconds when the data last matched fingerprint
}

// WithMaxStaleness lets answers use a snapshot whose data was current up to
// d ago, instead of bringing it up to date first. Use it with
// RunRefresher. 0 (the default) keeps every answer exact.
func WithMaxStaleness(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.maxStale = d
		}
	}
}

// WithLogger sets where the refresher reports (default: discard).
func WithLogger(log *slog.Logger) Option {
	return func(s *Store) {
		if log != nil {
			s.log = log
		}
	}
}

// fingerprint identifies the stored events: the highest block number of
// every partition of the event tables and of the state tables the
// snapshot reads (a materialized view writes its block just after the
// event table's, so a snapshot built in between is rebuilt).
func (s *Store) fingerprint(ctx context.Context) (string, error) {
	rows, err := s.query(ctx, `SELECT toString(count()), toString(sum(cityHash64(table, partition_id, mb)))
FROM (
  SELECT table, partition_id, max(max_block_number) AS mb
  FROM system.parts
  WHERE database = currentDatabase() AND active
    AND table IN ('incident_events', 'communication_events', 'customer_events',
                  'incident_state', 'communication_state', 'response_state', 'customer_state')
  GROUP BY table, partition_id
)`)
	if err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	defer rows.Close()
	var n, h string
	for rows.Next() {
		if err := rows.Scan(&n, &h); err != nil {
			return "", fmt.Errorf("fingerprint: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("fingerprint: %w", err)
	}
	return n + ":" + h, nil
}

// current is the snapshot to answer from: the latest one when its data is
// still current (or, with WithMaxStaleness, was current recently enough),
// otherwise a new one.
func (s *Store) current(ctx context.Context) (*snapshot, error) {
	if p, ok := ctx.Value(pinKey{}).(pin); ok {
		return p.snap, nil
	}
	snap := s.snap.Load()
	if snap != nil && s.maxStale > 0 && time.Since(time.Unix(0, snap.verified.Load())) <= s.maxStale {
		return snap, nil
	}
	fp, err := s.fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	if snap != nil && snap.fingerprint == fp {
		snap.verified.Store(time.Now().UnixNano())
		return snap, nil
	}
	return s.refresh(ctx, s.maxStale > 0)
}

// Refresh brings the snapshot up to date with the stored events.
func (s *Store) Refresh(ctx context.Context) error {
	_, err := s.refresh(ctx, false)
	return err
}

// RunRefresher checks every interval whether events were stored and, if
// so, builds a new snapshot, until ctx ends. After a build it rests at
// least as long as the build took, so that building never takes more than
// half the time (builds also run on one thread and at a lower ClickHouse
// priority than answers). It then drops the snapshot tables this Store built and
// returns nil.
func (s *Store) RunRefresher(ctx context.Context, every time.Duration) error {
	defer s.Close()
	for {
		t0 := time.Now()
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("analytics: snapshot refresh failed", slog.Any("err", err))
		}
		rest := time.Since(t0)
		if rest < every {
			rest = every
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(rest):
		}
	}
}

// refresh builds a new snapshot unless the latest one is current (or, when
// stale is true, recent enough under WithMaxStaleness). One build runs at
// a time; a caller that waited for another's build uses it. A build is not
// tied to ctx: when ctx ends first the caller gets ctx's error and the
// build goes on for the next caller.
func (s *Store) refresh(ctx context.Context, stale bool) (*snapshot, error) {
	select {
	case s.building <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	type result struct {
		snap *snapshot
		err  error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-s.building }()
		bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshSeconds*time.Second)
		defer cancel()
		snap, err := s.build(bctx, stale)
		// A materialized view commits its block just after the event
		// table's: a build that started in between missed that block and
		// is labelled with the older fingerprint. An exact Store builds
		// again when the fingerprint moved during the build (at most
		// twice, so that a steady stream of inserts cannot hold it).
		for i := 0; err == nil && s.maxStale == 0 && i < 2; i++ {
			fp, ferr := s.fingerprint(bctx)
			if ferr != nil || fp == snap.fingerprint {
				break
			}
			snap, err = s.build(bctx, false)
		}
		done <- result{snap, err}
	}()
	select {
	case r := <-done:
		return r.snap, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// build makes a new snapshot unless the latest one is current; the caller
// holds s.building.
func (s *Store) build(ctx context.Context, stale bool) (*snapshot, error) {
	fp, err := s.fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	verified := time.Now().UnixNano()
	if snap := s.snap.Load(); snap != nil {
		if snap.fingerprint == fp {
			snap.verified.Store(verified)
			return snap, nil
		}
		if stale && time.Since(time.Unix(0, snap.verified.Load())) <= s.maxStale {
			return snap, nil
		}
	}
	if s.firstBuild.CompareAndSwap(false, true) {
		s.dropOrphans(ctx)
	}
	t0 := time.Now()
	gen := snapshotPrefix + strconv.FormatInt(time.Now().UnixNano(), 10)
	snap := &snapshot{incidents: gen + "_incidents", pairs: gen + "_pairs", fingerprint: fp}
	snap.verified.Store(verified)
	b := s.builder() // the clock is not used: pre and pairs are clock-free
	b.state = true
	stmts := []string{
		"CREATE TABLE " + snap.incidents + " ENGINE = MergeTree ORDER BY (det, incident_id) AS\nSELECT " + preColumns + "\nFROM (" + b.pre(b.joined(scope{}, true)) + ")",
		"CREATE TABLE " + snap.pairs + " ENGINE = MergeTree ORDER BY (incident_id, customer_id) AS\n" + b.pairs(scope{}),
	}
	for _, q := range stmts {
		if err := s.conn.Exec(ctx, q+"\nSETTINGS max_execution_time = "+strconv.Itoa(refreshSeconds)+", priority = 10, max_threads = 1"); err != nil {
			s.dropTables(context.Background(), snap.incidents, snap.pairs)
			return nil, fmt.Errorf("snapshot: %w", err)
		}
	}
	if snap.incomplete, err = s.incompleteRaw(ctx, b); err != nil {
		s.dropTables(context.Background(), snap.incidents, snap.pairs)
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	if err := s.load(ctx, snap); err != nil {
		s.dropTables(context.Background(), snap.incidents, snap.pairs)
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	s.snap.Store(snap)
	s.log.Info("analytics: snapshot built", slog.String("table", gen), slog.Duration("took", time.Since(t0)))
	// keep this snapshot and the previous one (answers may still read it)
	s.gensMu.Lock()
	s.gens = append(s.gens, gen)
	s.gensMu.Unlock()
	s.retire(2)
	return snap, nil
}

// retire drops the snapshot tables this Store built, except the newest
// keep generations.
func (s *Store) retire(keep int) {
	s.gensMu.Lock()
	defer s.gensMu.Unlock()
	for len(s.gens) > keep {
		g := s.gens[0]
		s.gens = s.gens[1:]
		s.dropTables(context.Background(), g+"_incidents", g+"_pairs")
	}
}

// orphanAge is the age after which a snapshot table that no running Store
// tracks (its process ended without dropping it) is dropped.
const orphanAge = 6 * time.Hour

// dropOrphans drops snapshot tables older than orphanAge.
func (s *Store) dropOrphans(ctx context.Context) {
	rows, err := s.query(ctx, "SELECT name FROM system.tables WHERE database = currentDatabase() AND startsWith(name, '"+snapshotPrefix+"')")
	if err != nil {
		s.log.Warn("analytics: list snapshot tables", slog.Any("err", err))
		return
	}
	var old []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			break
		}
		gen, _, _ := strings.Cut(strings.TrimPrefix(name, snapshotPrefix), "_")
		if ns, err := strconv.ParseInt(gen, 10, 64); err == nil && time.Since(time.Unix(0, ns)) > orphanAge {
			old = append(old, name)
		}
	}
	rows.Close()
	s.dropTables(ctx, old...)
}

func (s *Store) dropTables(ctx context.Context, tables ...string) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for _, t := range tables {
		if err := s.conn.Exec(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			s.log.Warn("analytics: drop snapshot table", slog.String("table", t), slog.Any("err", err))
		}
	}
}

// Close drops the snapshot tables this Store built.
func (s *Store) Close() error {
	s.snap.Store(nil)
	s.retire(0)
	return nil
}
