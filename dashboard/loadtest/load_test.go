package loadtest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/dashboard"
	"github.com/trustlens/trustlens/ingest"
)

func chaos() bool { return os.Getenv("TRUSTLENS_CHAOS") != "" }

// TestLoadAndHostile seeds one database with the conformance example and
// runs, over the real analytics store: every parameter of every route
// fuzzed, hostile incident ids, then 200 concurrent clients.
func TestLoadAndHostile(t *testing.T) {
	sd := seed(t)
	t.Run("HostileParameters", func(t *testing.T) { testHostileParameters(t, sd) })
	t.Run("HostileIncidentIDs", func(t *testing.T) { testHostileIncidentIDs(t, sd) })
	t.Run("Load200Clients", func(t *testing.T) { testLoad200Clients(t, sd) })
}

// loadTargets are the pages and API answers the clients ask for, over the
// conformance example's range.
func loadTargets(id string) []string {
	r := "from=2026-01-01&to=2027-01-01"
	id = url.PathEscape(id)
	return []string{
		"/?" + r, "/audit", "/incidents/" + id, "/churn?" + r, "/compensation?" + r,
		"/api/v1/summary?" + r, "/api/v1/summary?" + r + "&severity=sev1",
		"/api/v1/incidents?" + r, "/api/v1/incidents?" + r + "&status=open&limit=20&format=csv",
		"/api/v1/incidents/" + id, "/api/v1/cadence/overdue",
		"/api/v1/churn?" + r, "/api/v1/compensation?" + r + "&format=csv",
		"/api/v1/trends?metric=trust_score_avg&interval=month&" + r,
	}
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return d[i]
}

// testLoad200Clients runs 200 closed-loop clients (each sends its next
// request as soon as its previous answer arrived) for 5 s (30 s under
// TRUSTLENS_CHAOS) over loopback against the dashboard set up as `trustlens
// serve` sets it up: the real analytics store with the shared 1 s
// freshness check and the background refresher, 16 requests at once (the
// ClickHouse pool), the default queue and timeouts. Meanwhile copies of
// stored events are written every 200 ms, as a running ingest would: the
// figures stay the same, but the fingerprint moves, so snapshots are
// rebuilt under the load.
//
// The server promises: every answer 2xx, not one 429, 5xx or connection
// error, and the figures those of the seeded data. The figures of the run
// (rate, status counts, latency) are printed, not asserted.
func testLoad200Clients(t *testing.T, sd *seeded) {
	const clients = 200
	dur := 5 * time.Second
	if chaos() {
		dur = 30 * time.Second
	}
	now, id := sd.now, sd.id
	store := analytics.New(sd.conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }),
		analytics.WithMaxExecutionTime(10*time.Second), analytics.WithMaxStaleness(time.Second))
	ctx, cancel := context.WithCancel(context.Background())
	refresher := make(chan struct{})
	go func() { defer close(refresher); _ = store.RunRefresher(ctx, time.Second) }()
	defer func() { cancel(); <-refresher }()

	logs := &syncBuffer{}
	srv := dashboard.New(store, dashboard.Config{
		Logger:         slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:            func() time.Time { return now },
		RequestTimeout: 15 * time.Second, // serve: --query-timeout + 5 s
		MaxConcurrent:  16,               // serve: the ClickHouse pool
	})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	targets := loadTargets(id)

	get := func(target string) (int, []byte, error) {
		res, err := client.Get(ts.URL + target)
		if err != nil {
			return 0, nil, err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		return res.StatusCode, b, err
	}
	summary := func(when string) int64 {
		t.Helper()
		code, b, err := get("/api/v1/summary?from=2026-01-01&to=2027-01-01")
		if err != nil || code != http.StatusOK {
			t.Fatalf("%s, summary: status %d, %v", when, code, err)
		}
		var sum struct{ Incidents int64 }
		if err := json.Unmarshal(b, &sum); err != nil {
			t.Fatalf("%s, summary: %v", when, err)
		}
		return sum.Incidents
	}
	// warm up: every target answers 200 alone (the first waits for the
	// first snapshot)
	for _, target := range targets {
		if code, _, err := get(target); err != nil || code != http.StatusOK {
			t.Fatalf("%s before the load: status %d, %v", target, code, err)
		}
	}
	incidents := summary("before the load")

	// ingest: copies of stored events every 200 ms
	writer := &ingest.Writer{Conn: sd.conn, DB: sd.db}
	ictx, stopIngest := context.WithCancel(ctx)
	defer stopIngest()
	ingestDone := make(chan int)
	go func() {
		n := 0
		defer func() { ingestDone <- n }()
		for i := 0; ictx.Err() == nil; i++ {
			select {
			case <-ictx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			k := (i * 7) % len(sd.rows)
			if err := writer.Insert(ictx, sd.rows[k:min(k+5, len(sd.rows))]); err == nil {
				n++
			}
		}
	}()

	var (
		mu       sync.Mutex
		byStatus = map[int]int{}
		bad      = map[string]int{}
		all      []time.Duration
		wg       sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(dur)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var took []time.Duration
			status := map[int]int{}
			errs := map[string]int{}
			for i := 0; time.Now().Before(stop); i++ {
				target := targets[(c+i)%len(targets)]
				t0 := time.Now()
				code, _, err := get(target)
				took = append(took, time.Since(t0))
				switch {
				case err != nil:
					errs["error: "+err.Error()]++
				case code < 200 || code > 299:
					errs[fmt.Sprintf("%d on %s", code, target)]++
				}
				status[code]++
			}
			mu.Lock()
			all = append(all, took...)
			for k, n := range status {
				byStatus[k] += n
			}
			for k, n := range errs {
				bad[k] += n
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	t.Logf("%d closed-loop clients, %s: %d requests (%.0f/s), by status %v", clients, elapsed.Round(time.Millisecond),
		len(all), float64(len(all))/elapsed.Seconds(), byStatus)
	t.Logf("latency: p50 %s, p95 %s, p99 %s, max %s", percentile(all, .5).Round(time.Millisecond),
		percentile(all, .95).Round(time.Millisecond), percentile(all, .99).Round(time.Millisecond), percentile(all, 1).Round(time.Millisecond))
	if len(bad) > 0 {
		var lines []string
		for k, n := range bad {
			lines = append(lines, fmt.Sprintf("%d× %s", n, k))
		}
		sort.Strings(lines)
		t.Errorf("answers other than 2xx:\n%s", strings.Join(lines, "\n"))
		shown := 0
		for _, line := range strings.Split(logs.String(), "\n") {
			if shown < 20 && (strings.Contains(line, `"level":"ERROR"`) || strings.Contains(line, `"level":"WARN"`)) {
				t.Logf("server log: %.800s", line)
				shown++
			}
		}
	}
	if byStatus[http.StatusOK] == 0 {
		t.Error("no request was served")
	}
	stopIngest()
	t.Logf("%d inserts of copies during the load", <-ingestDone)

	// the figures are those of the seeded data, and it serves normally right after
	if got := summary("after the load"); got != incidents {
		t.Errorf("after the load: %d incidents, want %d", got, incidents)
	}
	for _, target := range targets {
		if code, _, err := get(target); err != nil || code != http.StatusOK {
			t.Errorf("after the load, %s: status %d, %v", target, code, err)
		}
	}
}
