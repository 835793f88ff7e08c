package analytics

// Freshness: is the snapshot still the stored events?
//
// Every answer needs to know whether events were stored since its
// snapshot was built. Asking ClickHouse once per request (the fingerprint
// query of snapshot.go) made ClickHouse the bottleneck of answers that are
// otherwise computed in memory: under 200 concurrent clients the queries
// queued, timed out and were cancelled. So requests share the check:
//
//   - at most one fingerprint query is in flight (singleflight), and every
//     request that needs a check while it runs waits for it;
//   - its result is reused for freshFor (WithMaxStaleness; `serve` uses
//     1 s), measured from the instant the query started;
//   - every fingerprint query the Store runs (a build, the refresher) also
//     counts as a check, so while the refresher runs requests seldom ask.
//
// An answer is exact as of the instant of the check it used: every event
// stored before that instant is in it. That instant (or, while a newer
// snapshot is built in the background, the last instant the older one was
// confirmed) is the answer's as-of time (trustlens.NoteAsOf).
//
// A check is not tied to the request that started it (a request that
// gives up never cancels it for the others); it is bounded by the query
// time limit.

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// checkWait bounds how long a request waits for a freshness check when a
// refresher runs: past it the request answers from the last snapshot, as
// of the last instant that snapshot was confirmed.
const checkWait = 100 * time.Millisecond

// errCheckSlow is a freshness check that took longer than checkWait.
var errCheckSlow = errors.New("freshness check still running")

// freshness is the latest fingerprint result and the check in flight.
type freshness struct {
	flight singleflight.Group
	mu     sync.Mutex
	fp     string
	at     time.Time // when the query that returned fp started
}

// checked is the result of one fingerprint query.
type checked struct {
	fp string
	at time.Time // when the query started
}

// note records fp, returned by a fingerprint query that started at at,
// unless a later query's result is already known.
func (f *freshness) note(fp string, at time.Time) {
	f.mu.Lock()
	if at.After(f.at) {
		f.fp, f.at = fp, at
	}
	f.mu.Unlock()
}

// latest is the latest result when it is at most d old.
func (f *freshness) latest(d time.Duration) (checked, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.at.IsZero() || time.Since(f.at) > d {
		return checked{}, false
	}
	return checked{f.fp, f.at}, true
}

// check returns the fingerprint of the stored events and the instant it
// holds for: a result at most s.freshFor old, or that of the check in
// flight, or a new check. When wait > 0 it waits at most that long for a
// check (errCheckSlow after). It fails with ctx's error when ctx ends first.
func (s *Store) check(ctx context.Context, wait time.Duration) (checked, error) {
	if c, ok := s.fresh.latest(s.freshFor); ok {
		return c, nil
	}
	ch := s.fresh.flight.DoChan("fingerprint", func() (any, error) {
		// bounded by the query time limit and by no request's context
		qctx, cancel := context.WithTimeout(context.Background(), time.Duration(s.maxExecutionSeconds)*time.Second)
		defer cancel()
		at := time.Now()
		fp, err := s.fingerprint(qctx) // notes (fp, at) on success
		return checked{fp, at}, err
	})
	var timeout <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return checked{}, r.Err
		}
		return r.Val.(checked), nil
	case <-ctx.Done():
		return checked{}, ctx.Err()
	case <-timeout:
		return checked{}, errCheckSlow
	}
}

// warnCheck logs a failed freshness check at most once per minute.
func (s *Store) warnCheck(err error) {
	now := time.Now().UnixNano()
	last := s.checkWarned.Load()
	if now-last < int64(time.Minute) || !s.checkWarned.CompareAndSwap(last, now) {
		return
	}
	s.log.Warn("analytics: freshness check failed; answering from the last snapshot", slog.Any("err", err))
}
