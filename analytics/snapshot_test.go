package analytics_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestSnapshotFreshness checks that answers follow the stored events:
// exact by default (a new snapshot as soon as events arrive, duplicates
// changing nothing), up to the staleness bound with WithMaxStaleness, and
// that a Store drops its snapshot tables on Close.
func TestSnapshotFreshness(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	t0 := now.Add(-48 * time.Hour)
	clock := analytics.WithClock(func() time.Time { return now })
	exact := analytics.New(conn, trustlens.DefaultPolicy(), clock)
	lazy := analytics.New(conn, trustlens.DefaultPolicy(), clock, analytics.WithMaxStaleness(time.Hour))
	count := func(s *analytics.Store) int64 {
		t.Helper()
		sum, err := s.Summary(ctx, trustlens.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		return sum.Incidents
	}

	first := &history{}
	first.detected("s1", "sev2", t0)
	first.resolved("s1", t0.Add(time.Hour))
	first.insert(t, conn, db)
	eq(t, "exact, first", count(exact), int64(1))
	eq(t, "lazy, first", count(lazy), int64(1))

	second := &history{}
	second.detected("s2", "sev1", t0.Add(time.Minute))
	second.insert(t, conn, db)
	first.insert(t, conn, db) // every event of s1 once more
	eq(t, "exact, after more events", count(exact), int64(2))
	eq(t, "lazy, within the staleness bound", count(lazy), int64(1))
	if err := lazy.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	eq(t, "lazy, refreshed", count(lazy), int64(2))

	// concurrent identical requests share one answer
	var wg sync.WaitGroup
	got := make([]int64, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = count(exact) }()
	}
	wg.Wait()
	for _, n := range got {
		eq(t, "concurrent answer", n, int64(2))
	}

	tables := func() uint64 {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT toUInt64(count()) FROM system.tables WHERE database = currentDatabase() AND startsWith(name, 'analytics_snapshot_')").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := tables(); n == 0 {
		t.Errorf("no snapshot tables while the stores are open")
	}
	_ = exact.Close()
	_ = lazy.Close()
	eq(t, "snapshot tables after Close", tables(), uint64(0))
}
