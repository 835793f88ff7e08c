package loadtest_test

import (
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

	"github.com/trustlens/trustlens/dashboard"
)

func chaos() bool { return os.Getenv("TRUSTLENS_CHAOS") != "" }

// TestLoadAndHostile seeds one database with the conformance example and
// runs, over the real analytics store: every parameter of every route
// fuzzed, hostile incident ids, then 200 concurrent clients.
func TestLoadAndHostile(t *testing.T) {
	store, now, id := seed(t)
	sd := &seeded{store: store, now: now, id: id}
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

type sample struct {
	target  string
	status  int
	retry   string
	took    time.Duration
	err     error
	bodyLen int
}

func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return d[i]
}

// testLoad200Clients runs 200 concurrent clients over loopback against the
// dashboard on the real analytics store (conformance data) for 5 s (30 s
// under TRUSTLENS_CHAOS), each sending at most a bounded number of
// requests. The server promises: no connection error, no answer but 200 or
// 503-with-Retry-After (load shed gracefully, never a 500 or 504 from
// requests piling up), none slower than its queue wait plus request
// timeout, and it serves normally right after. The figures (rate, shed
// share, p50/p99) are printed.
func testLoad200Clients(t *testing.T, sd *seeded) {
	const clients = 200
	dur, perClient := 5*time.Second, 40
	if chaos() {
		dur, perClient = 30*time.Second, 1000
	}
	store, now, id := sd.store, sd.now, sd.id
	logs := &syncBuffer{}
	cfg := dashboard.Config{
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Now:    func() time.Time { return now },
		// the production defaults: 64 at once, 5 s queue, 4×64 queued, 15 s
		RequestTimeout: dashboard.DefaultRequestTimeout,
	}
	srv := dashboard.New(store, cfg)
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	worst := dashboard.DefaultRequestTimeout + dashboard.DefaultQueueWait + 2*time.Second
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: worst}
	targets := loadTargets(id)

	// warm up: every target answers 200 alone
	for _, target := range targets {
		res, err := client.Get(ts.URL + target)
		if err != nil {
			t.Fatalf("%s: %v", target, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: status %d before the load", target, res.StatusCode)
		}
	}

	var (
		mu      sync.Mutex
		samples []sample
		wg      sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(dur)
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []sample
			for i := 0; i < perClient && time.Now().Before(stop); i++ {
				target := targets[(c+i)%len(targets)]
				t0 := time.Now()
				res, err := client.Get(ts.URL + target)
				s := sample{target: target, err: err}
				if err == nil {
					n, _ := io.Copy(io.Discard, res.Body)
					res.Body.Close()
					s.status, s.retry, s.bodyLen = res.StatusCode, res.Header.Get("Retry-After"), int(n)
				}
				s.took = time.Since(t0)
				mine = append(mine, s)
				if s.status == http.StatusServiceUnavailable {
					time.Sleep(time.Second) // what Retry-After: 1 asks
				}
			}
			mu.Lock()
			samples = append(samples, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	byStatus := map[int]int{}
	var all, ok []time.Duration
	bad := map[string]int{}
	for _, s := range samples {
		all = append(all, s.took)
		switch {
		case s.err != nil:
			bad["error: "+s.err.Error()]++
			continue
		case s.status == http.StatusOK:
			ok = append(ok, s.took)
		case s.status == http.StatusServiceUnavailable && s.retry != "":
		default:
			bad[fmt.Sprintf("%d (Retry-After %q) on %s", s.status, s.retry, s.target)]++
		}
		byStatus[s.status]++
		if s.took > worst {
			bad[fmt.Sprintf("slower than %s on %s", worst, s.target)]++
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	sort.Slice(ok, func(i, j int) bool { return ok[i] < ok[j] })
	t.Logf("%d clients, %s: %d requests (%.0f/s), by status %v", clients, elapsed.Round(time.Millisecond), len(samples), float64(len(samples))/elapsed.Seconds(), byStatus)
	t.Logf("latency of every answer: p50 %s, p95 %s, p99 %s, max %s", percentile(all, .5).Round(time.Millisecond),
		percentile(all, .95).Round(time.Millisecond), percentile(all, .99).Round(time.Millisecond), percentile(all, 1).Round(time.Millisecond))
	t.Logf("latency of the 200s (%d): p50 %s, p95 %s, p99 %s", len(ok), percentile(ok, .5).Round(time.Millisecond),
		percentile(ok, .95).Round(time.Millisecond), percentile(ok, .99).Round(time.Millisecond))
	if len(bad) > 0 {
		var lines []string
		for k, n := range bad {
			lines = append(lines, fmt.Sprintf("%d× %s", n, k))
		}
		sort.Strings(lines)
		t.Errorf("answers the server does not promise:\n%s", strings.Join(lines, "\n"))
		for _, line := range strings.Split(logs.String(), "\n") {
			if strings.Contains(line, `"level":"ERROR"`) {
				t.Logf("server log: %.800s", line)
			}
		}
	}
	if len(ok) == 0 {
		t.Error("no request was served")
	}

	// it serves normally right after
	for _, target := range targets {
		res, err := client.Get(ts.URL + target)
		if err != nil {
			t.Fatalf("after the load, %s: %v", target, err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("after the load, %s: status %d", target, res.StatusCode)
		}
	}
}
