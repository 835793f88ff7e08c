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
// system.parts: any insert, from any process, changes it; merges do not).
// Before answering, a Store learns whether the data changed through a
// freshness check shared by all requests (freshness.go).
//
// When the data changed, an exact Store (the default) builds a new snapshot
// first (one build at a time; concurrent requests wait for it and share
// it), so answers are exactly those of the raw-table SQL. While
// RunRefresher runs (serve and run), no request waits for a build once a
// snapshot exists: the refresher builds the next one in the background and
// until it is ready answers come from the last complete one, as of the
// last instant it was confirmed current (trustlens.NoteAsOf). Only a
// request that comes before the very first snapshot waits for it, within
// its own deadline.

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/trustlens/trustlens"
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
	rows        []*preRow           // the incidents table in memory, sorted by det, incident_id (memory.go)
	byID        map[string]*preRow  // rows by incident_id
	feedback    []*custEvent        // every rated feedback naming no incident, by occurred_at (tickets.go)
	offered     []offeredPair       // every offered affected pair, for "does compensation pay?" (comppay.go)
	custs       []*custRec          // every affected customer with their pairs, by mrr descending (unknown last), id: the worklist (customers.go)
	custByID    map[string]*custRec // custs by customer_id
	churners    []churner           // every churned customer, by churn time (lostmrr.go)
	blocks      []block             // sums of the rows, by blockRows (blocks.go)
	fingerprint string
	verified    atomic.Int64 // unix nanoseconds when the data last matched fingerprint
}

// confirm records that the stored events matched the snapshot at at.
func (snap *snapshot) confirm(at time.Time) {
	ns := at.UnixNano()
	for {
		old := snap.verified.Load()
		if ns <= old || snap.verified.CompareAndSwap(old, ns) {
			return
		}
	}
}

// asOf is the last instant the stored events were known to match snap:
// its figures count every event stored before it.
func (snap *snapshot) asOf() time.Time { return time.Unix(0, snap.verified.Load()).UTC() }

// WithMaxStaleness lets answers reuse a freshness check (freshness.go) up
// to d old instead of asking ClickHouse again, so that events stored in
// the last d may be missing from an answer (its as-of time says which).
// 0 (the default) checks for every answer, concurrent answers sharing one
// check; `serve` uses 1 s.
func WithMaxStaleness(d time.Duration) Option {
	return func(s *Store) {
		if d > 0 {
			s.freshFor = d
		}
	}
}

// WithBeforeBuild calls fn before each snapshot build, once it is known
// that a new snapshot is needed; an error of fn fails that build. Tests
// use it to hold a build back.
func WithBeforeBuild(fn func(ctx context.Context) error) Option {
	return func(s *Store) { s.beforeBuild = fn }
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
	at := time.Now()
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
	fp := n + ":" + h
	s.fresh.note(fp, at)
	return fp, nil
}

// current is the snapshot to answer from, noted in ctx's trustlens.AsOf:
//
//   - none yet: wait (within ctx) for the first one;
//   - the latest one when the shared freshness check finds its data current;
//   - otherwise, while RunRefresher runs, still the latest one (the
//     refresher is told to build the next at once), and also when the check
//     fails or is slow: the answer is as of the last instant it was current;
//   - otherwise (an exact Store) a new one, built first.
func (s *Store) current(ctx context.Context) (*snapshot, error) {
	if p, ok := ctx.Value(pinKey{}).(pin); ok {
		return p.snap, nil
	}
	snap := s.snap.Load()
	if snap == nil {
		var err error
		if snap, err = s.refresh(ctx, s.background.Load()); err != nil {
			return nil, err
		}
		trustlens.NoteAsOf(ctx, snap.asOf())
		return snap, nil
	}
	bg := s.background.Load()
	wait := time.Duration(0)
	if bg {
		wait = checkWait
	}
	c, err := s.check(ctx, wait)
	switch {
	case err == nil && c.fp == snap.fingerprint:
		snap.confirm(c.at)
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case bg && err != nil:
		if !errors.Is(err, errCheckSlow) {
			s.warnCheck(err)
		}
	case bg:
		s.nudgeRefresher()
	case err != nil:
		return nil, err
	default:
		if snap, err = s.refresh(ctx, false); err != nil {
			return nil, err
		}
	}
	trustlens.NoteAsOf(ctx, snap.asOf())
	return snap, nil
}

// nudgeRefresher asks the refresher to look for new events now (after its
// rest, see RunRefresher).
func (s *Store) nudgeRefresher() {
	select {
	case s.nudge <- struct{}{}:
	default:
	}
}

// Refresh brings the snapshot up to date with the stored events.
func (s *Store) Refresh(ctx context.Context) error {
	_, err := s.refresh(ctx, false)
	return err
}

// StartRefresher runs RunRefresher in a goroutine of its own and returns
// with the store already in its background mode, so that Ping reports
// "not ready" from the first instant until the first snapshot is built,
// whenever the goroutine gets to run. done closes when the refresher has
// ended, after ctx ends.
func (s *Store) StartRefresher(ctx context.Context, every time.Duration) (done <-chan struct{}) {
	s.background.Store(true)
	ch := make(chan struct{})
	go func() {
		defer close(ch)
		_ = s.RunRefresher(ctx, every)
	}()
	return ch
}

// RunRefresher keeps the snapshot up to date in the background until ctx
// ends: it builds one at once, then checks for new events every interval,
// or sooner when an answer found some. While it runs answers never wait
// for a build (see current). After a build it rests at least as long as
// the build took, so that building never takes more than half the time
// (builds also run on one thread and at a lower ClickHouse priority than
// answers). It then drops the snapshot tables this Store built and returns
// nil.
func (s *Store) RunRefresher(ctx context.Context, every time.Duration) error {
	s.background.Store(true)
	defer s.Close()
	defer s.background.Store(false)
	for {
		t0 := time.Now()
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("analytics: snapshot refresh failed", slog.Any("err", err))
		}
		took := time.Since(t0)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(took):
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every - took):
		case <-s.nudge:
		}
	}
}

// refresh builds a new snapshot unless the latest one is current. One
// build runs at a time. With takeAny (a request that found no snapshot
// while the refresher runs) a snapshot built while the caller waited is
// used as is. A build is not tied to ctx: when ctx ends first the caller
// gets ctx's error and the build goes on for the next caller.
func (s *Store) refresh(ctx context.Context, takeAny bool) (*snapshot, error) {
	select {
	case s.building <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if cur := s.snap.Load(); takeAny && cur != nil {
		<-s.building
		return cur, nil
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
		snap, err := s.build(bctx)
		// A materialized view commits its block just after the event
		// table's: a build that started in between missed that block and
		// is labelled with the older fingerprint. An exact Store builds
		// again when the fingerprint moved during the build (at most
		// twice, so that a steady stream of inserts cannot hold it).
		for i := 0; err == nil && !s.background.Load() && i < 2; i++ {
			fp, ferr := s.fingerprint(bctx)
			if ferr != nil || fp == snap.fingerprint {
				break
			}
			snap, err = s.build(bctx)
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

// build makes a new snapshot unless the latest one is current (by a
// freshness check at most s.freshFor old); the caller holds s.building.
func (s *Store) build(ctx context.Context) (*snapshot, error) {
	c, err := s.check(ctx, 0)
	if err != nil {
		return nil, err
	}
	fp := c.fp
	verified := c.at.UnixNano()
	if snap := s.snap.Load(); snap != nil && snap.fingerprint == fp {
		snap.confirm(c.at)
		return snap, nil
	}
	if s.beforeBuild != nil {
		if err := s.beforeBuild(ctx); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
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
