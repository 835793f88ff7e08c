package analytics_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestAnswersWhileSnapshotBuilds holds the snapshot builds of a Store whose
// refresher runs (serve) and checks that no answer waits for one:
//
//   - before the first snapshot the Store is not ready (Ping) and a request
//     waits for it within its own deadline only;
//   - once events arrive and the next build is held back, answers keep
//     coming from the last complete snapshot, with its older as-of time;
//   - once the build is let go, answers have the new events and a later
//     as-of time.
func TestAnswersWhileSnapshotBuilds(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	t0 := now.Add(-48 * time.Hour)
	first := &history{}
	first.detected("b1", "sev2", t0)
	first.resolved("b1", t0.Add(time.Hour))
	first.insert(t, conn, db)

	// every build waits for a token from release
	release := make(chan struct{})
	var held atomic.Int64 // builds waiting for a token
	hook := func(ctx context.Context) error {
		held.Add(1)
		defer held.Add(-1)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }),
		analytics.WithBeforeBuild(hook))
	ctx, cancel := context.WithCancel(context.Background())
	refresher := make(chan struct{})
	go func() { defer close(refresher); _ = store.RunRefresher(ctx, 100*time.Millisecond) }()
	defer func() { cancel(); <-refresher }()

	// ask returns the incident count and the as-of time of one answer,
	// within a deadline that a held build never meets
	ask := func(budget time.Duration) (int64, time.Time, error) {
		rctx, cancel := context.WithTimeout(context.Background(), budget)
		defer cancel()
		rctx, asOf := trustlens.WithAsOf(rctx)
		sum, err := store.Summary(rctx, trustlens.Filter{})
		return sum.Incidents, asOf.Time(), err
	}
	waitHeld := func(what string) {
		t.Helper()
		for i := 0; held.Load() == 0; i++ {
			if i == 3000 {
				t.Fatalf("%s: no build started", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}

	// cold: not ready, and a request waits for the first snapshot within
	// its deadline only
	waitHeld("first snapshot")
	if err := store.Ping(context.Background()); err == nil {
		t.Errorf("Ping before the first snapshot: ready, want not ready")
	}
	if _, _, err := ask(300 * time.Millisecond); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("answer before the first snapshot: %v, want the request's deadline", err)
	}
	release <- struct{}{}
	n, asOf1, err := ask(time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "incidents, first snapshot", n, int64(1))
	if asOf1.IsZero() {
		t.Fatal("no as-of time noted")
	}
	if err := store.Ping(context.Background()); err != nil {
		t.Errorf("Ping after the first snapshot: %v", err)
	}

	// new events; their build is held back
	// (no check that started after insertedAfter can miss them, and none
	// that started before insertStart can see them)
	insertStart := time.Now()
	second := &history{}
	second.detected("b2", "sev1", t0.Add(time.Minute))
	second.insert(t, conn, db)
	insertedAfter := time.Now()
	waitHeld("after new events")
	for i := 0; i < 20; i++ {
		n, asOf, err := ask(30 * time.Second)
		if err != nil {
			t.Fatalf("answer %d while the build is held: %v", i, err)
		}
		eq(t, "incidents while the build is held", n, int64(1))
		if !asOf.Before(insertedAfter) {
			t.Fatalf("answer %d while the build is held: as of %s, not before the insert ended at %s", i, asOf, insertedAfter)
		}
	}

	// let it go: the new events are answered, as of a later time
	close(release)
	for i := 0; ; i++ {
		n, asOf, err := ask(30 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if n == 2 {
			if !asOf.After(insertStart.Truncate(time.Second)) {
				t.Errorf("after the build: as of %s, not after the insert began at %s", asOf, insertStart)
			}
			break
		}
		if i == 3000 {
			t.Fatalf("after the build: still %d incidents", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNotReadyUntilFirstSnapshot: once StartRefresher returns, Ping says
// "not ready" until the first snapshot is built (held back here), then
// ready. It fails if Ping stops waiting for the first snapshot; it cannot
// force the goroutine to start late, so it does not catch a refresher
// that sets its mode only once running.
func TestNotReadyUntilFirstSnapshot(t *testing.T) {
	conn, _ := chtest.NewDatabase(t)
	release := make(chan struct{})
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithBeforeBuild(func(ctx context.Context) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}))
	ctx, cancel := context.WithCancel(context.Background())
	done := store.StartRefresher(ctx, 100*time.Millisecond)
	defer func() { cancel(); <-done }()
	if err := store.Ping(context.Background()); err == nil || !strings.Contains(err.Error(), "first snapshot is being built") {
		t.Fatalf("Ping before the first snapshot: err = %v, want \"the first snapshot is being built\"", err)
	}
	close(release)
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := store.Ping(context.Background())
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Ping after the build: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
