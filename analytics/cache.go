package analytics

// Answer sharing. An answer is a function of the snapshot, the clock (read
// to the second: every figure uses whole seconds) and the arguments. So
// requests that arrive in the same second with the same arguments get the
// same answer: the first computes it, the others wait for it and share it
// (the dashboard never modifies an answer). Nothing older than the current
// snapshot and second is kept, so sharing never changes a figure.

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/trustlens/trustlens"
)

// pin fixes the snapshot and the clock of one answer (in its context).
type pin struct {
	snap *snapshot
	now  int64
}

type pinKey struct{}

// answers holds the answers of one (snapshot, second).
type answers struct {
	mu     sync.Mutex
	bucket string
	calls  map[string]*call
}

type call struct {
	done chan struct{}
	val  any
	err  error
}

// do returns the answer of key in bucket, computing it with fn unless
// another caller is computing or has computed it. Errors are not kept.
func (a *answers) do(ctx context.Context, bucket, key string, fn func() (any, error)) (any, error) {
	a.mu.Lock()
	if a.bucket != bucket {
		a.bucket, a.calls = bucket, map[string]*call{}
	}
	if c, ok := a.calls[key]; ok {
		a.mu.Unlock()
		select {
		case <-c.done:
			return c.val, c.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c := &call{done: make(chan struct{})}
	a.calls[key] = c
	a.mu.Unlock()
	c.val, c.err = fn()
	if c.err != nil {
		a.mu.Lock()
		if a.calls[key] == c {
			delete(a.calls, key)
		}
		a.mu.Unlock()
	}
	close(c.done)
	return c.val, c.err
}

// shared runs fn with the snapshot and the clock pinned, sharing its
// answer with the same request in the same second.
func shared[T any](s *Store, ctx context.Context, name, key string, fn func(context.Context) (T, error)) (T, error) {
	var zero T
	snap, err := s.current(ctx)
	if err != nil {
		return zero, fmt.Errorf("analytics: %s: %w", name, err)
	}
	now := s.now().UTC().Unix()
	ctx = context.WithValue(ctx, pinKey{}, pin{snap: snap, now: now})
	v, err := s.answers.do(ctx, snap.incidents+"|"+strconv.FormatInt(now, 10), name+"|"+key, func() (any, error) {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Duration(s.maxExecutionSeconds)*time.Second+5*time.Second)
		defer cancel()
		return fn(wctx)
	})
	if err != nil {
		return zero, err
	}
	return v.(T), nil
}

// filterKey is f as the queries see it (times to the second).
func filterKey(f trustlens.Filter) string {
	sec := func(t interface{ IsZero() bool }, unix int64) string {
		if t.IsZero() {
			return "-"
		}
		return strconv.FormatInt(unix, 10)
	}
	return sec(f.From, f.From.Unix()) + "|" + sec(f.To, f.To.Unix()) + "|" + strconv.Quote(f.Severity) + "|" + f.Status + "|" +
		strconv.Itoa(f.Limit) + "|" + strconv.Itoa(f.Offset)
}

// Summary is the one-object summary of SPEC §3 over the complete incidents
// detected in [f.From, f.To) of severity f.Severity (all when "").
// incomplete_incidents is not range-filtered.
func (s *Store) Summary(ctx context.Context, f trustlens.Filter) (trustlens.Summary, error) {
	return shared(s, ctx, "summary", filterKey(f), func(ctx context.Context) (trustlens.Summary, error) { return s.summary(ctx, f) })
}

// Incidents lists the complete incidents detected in [f.From, f.To) with
// their figures, newest first (detected_at descending, then incident_id),
// filtered by f.Severity and f.Status and paged by f.Limit/f.Offset. Total
// counts every incident that matches before paging.
func (s *Store) Incidents(ctx context.Context, f trustlens.Filter) (trustlens.IncidentPage, error) {
	return shared(s, ctx, "incidents", filterKey(f), func(ctx context.Context) (trustlens.IncidentPage, error) { return s.incidents(ctx, f) })
}

// Incident is one complete incident's figures with its timeline (every
// event naming it, in order) and its silences. It returns an error wrapping
// trustlens.ErrNotFound when no complete incident has this id.
func (s *Store) Incident(ctx context.Context, id string) (trustlens.IncidentDetail, error) {
	return shared(s, ctx, "incident", strconv.Quote(id), func(ctx context.Context) (trustlens.IncidentDetail, error) { return s.incident(ctx, id) })
}

// Overdue lists the open incidents (of any date) whose silence since the
// latest of detection and the last update point exceeds their severity's
// cadence target, longest silence first.
func (s *Store) Overdue(ctx context.Context) ([]trustlens.Overdue, error) {
	return shared(s, ctx, "overdue", "", func(ctx context.Context) ([]trustlens.Overdue, error) { return s.overdue(ctx) })
}

// UpdatesDue lists every open incident with when its customers next
// expect to hear (a pending promise, or its cadence target), the most
// urgent first.
func (s *Store) UpdatesDue(ctx context.Context) ([]trustlens.UpdateDue, error) {
	return shared(s, ctx, "due", "", func(ctx context.Context) ([]trustlens.UpdateDue, error) { return s.updatesDue(ctx) })
}

// Churn is pooled post-outage churn over the non-pending incidents in
// range, by severity, and the trust drivers (affected churn where each
// habit was met vs missed).
func (s *Store) Churn(ctx context.Context, f trustlens.Filter) (trustlens.Churn, error) {
	return shared(s, ctx, "churn", filterKey(f), func(ctx context.Context) (trustlens.Churn, error) { return s.churn(ctx, f) })
}

// Compensation is offered/redeemed customers and amounts over the complete
// incidents in range, in total and by compensation type. A redemption is
// attributed to the type of the customer's earliest offer for the incident.
func (s *Store) Compensation(ctx context.Context, f trustlens.Filter) (trustlens.Compensation, error) {
	return shared(s, ctx, "compensation", filterKey(f), func(ctx context.Context) (trustlens.Compensation, error) { return s.compensation(ctx, f) })
}

// Spread counts the complete incidents of f (range, severity, status) by
// habit verdict, and those acknowledged within each of bounds seconds.
func (s *Store) Spread(ctx context.Context, f trustlens.Filter, bounds []int64) (trustlens.Spread, error) {
	return shared(s, ctx, "spread", fmt.Sprint(bounds)+"|"+filterKey(f), func(ctx context.Context) (trustlens.Spread, error) {
		return s.spread(ctx, f, bounds)
	})
}

// Trend is a time series of one summary metric (one of
// trustlens.TrendMetrics) over buckets of detected_at: day, week (starting
// Monday) or month, UTC. Every bucket from the one holding f.From to the
// one holding the instant before f.To is present; an empty bucket has 0
// for counts and amounts and null for rates, medians and averages.
func (s *Store) Trend(ctx context.Context, metric, interval string, f trustlens.Filter) (trustlens.Trend, error) {
	return shared(s, ctx, "trend", strconv.Quote(metric)+"|"+strconv.Quote(interval)+"|"+filterKey(f), func(ctx context.Context) (trustlens.Trend, error) {
		return s.trend(ctx, metric, interval, f)
	})
}
