package trustlens

import (
	"context"
	"sync"
	"time"
)

// AsOf collects, for one request, the instant its figures are exact as of:
// every event stored before it is counted. A request that reads several
// answers (a page) keeps the oldest instant. The dashboard puts one in the
// request's context (WithAsOf); the analytics store notes the instant of
// the figures it answers from (NoteAsOf). It is safe for concurrent use.
type AsOf struct {
	mu sync.Mutex
	t  time.Time
}

type asOfKey struct{}

// WithAsOf returns ctx carrying a new, empty AsOf.
func WithAsOf(ctx context.Context) (context.Context, *AsOf) {
	a := &AsOf{}
	return context.WithValue(ctx, asOfKey{}, a), a
}

// NoteAsOf records t in the AsOf of ctx, if any, keeping the oldest
// instant noted. A zero t is ignored.
func NoteAsOf(ctx context.Context, t time.Time) {
	a, ok := ctx.Value(asOfKey{}).(*AsOf)
	if !ok || t.IsZero() {
		return
	}
	a.mu.Lock()
	if a.t.IsZero() || t.Before(a.t) {
		a.t = t
	}
	a.mu.Unlock()
}

// Time is the oldest instant noted (UTC), zero when none was.
func (a *AsOf) Time() time.Time {
	if a == nil {
		return time.Time{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.t.UTC()
}
