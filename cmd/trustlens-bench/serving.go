package main

// Serving phases of the API bench (issue 15): many closed-loop clients per
// route, and the first answers after a bulk load.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// clientsResult is one route under closed-loop clients.
type clientsResult struct {
	route    string
	requests int
	byStatus map[int]int // 0 = connection error
	seconds  float64
	p95      time.Duration
}

func (r clientsResult) non2xx() int {
	n := 0
	for code, k := range r.byStatus {
		if code < 200 || code > 299 {
			n += k
		}
	}
	return n
}

// statusText is byStatus as "200: 123, 429: 4".
func statusText(byStatus map[int]int) string {
	var codes []int
	for c := range byStatus {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	var parts []string
	for _, c := range codes {
		name := fmt.Sprint(c)
		if c == 0 {
			name = "error"
		}
		parts = append(parts, fmt.Sprintf("%s: %d", name, byStatus[c]))
	}
	return strings.Join(parts, ", ")
}

// measureClients runs clients closed-loop clients (each sends its next
// request when its previous answer has arrived) on route for dur.
func measureClients(ctx context.Context, base, route string, clients int, dur time.Duration) clientsResult {
	res := clientsResult{route: route, byStatus: map[int]int{}}
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	var (
		mu  sync.Mutex
		lat []time.Duration
		wg  sync.WaitGroup
	)
	start := time.Now()
	stop := start.Add(dur)
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			status := map[int]int{}
			for time.Now().Before(stop) && ctx.Err() == nil {
				t0 := time.Now()
				code := 0
				if resp, err := client.Get(base + route); err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				mine = append(mine, time.Since(t0))
				status[code]++
			}
			mu.Lock()
			lat = append(lat, mine...)
			for c, n := range status {
				res.byStatus[c] += n
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.seconds = time.Since(start).Seconds()
	res.requests = len(lat)
	res.p95 = percentile(lat, 0.95)
	return res
}

// percentile of unsorted latencies (sorts them).
func percentile(lat []time.Duration, p float64) time.Duration {
	if len(lat) == 0 {
		return 0
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	i := int(p * float64(len(lat)))
	if i >= len(lat) {
		i = len(lat) - 1
	}
	return lat[i]
}

// coldResult is the first answers of /api/v1/summary after a bulk load.
type coldResult struct {
	rows        uint64  // events loaded
	loadSeconds float64 // the bulk INSERT … SELECT
	requests    int
	failures    int
	byStatus    map[int]int
	p50, p95    time.Duration
	max         time.Duration
	// caughtUp is how long after the load ended the answers' as_of passed
	// it (the background snapshot build); 0 when it did not within the wait
	caughtUp float64
}

// bulkLoad copies the generated customer events (ids u-…) under new ids
// (v-…) in one INSERT … SELECT: as many new events, which change the
// compensation and feedback figures, in seconds.
func bulkLoad(ctx context.Context, admin driver.Conn, db string) (uint64, error) {
	cols := "type, occurred_at, customer_id, incident_id, segment, plan, mrr, compensation_type, amount, currency, channel, csat, sentiment, comment, reason, extra, kafka_topic, kafka_partition, kafka_offset"
	var before, after uint64
	if err := admin.QueryRow(ctx, "SELECT toUInt64(count()) FROM "+db+".customer_events").Scan(&before); err != nil {
		return 0, err
	}
	// one-level aggregation in the views (see loadAPIDataset)
	gctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"group_by_two_level_threshold": 0, "group_by_two_level_threshold_bytes": 0, "max_threads": 1,
	}))
	if err := admin.Exec(gctx, "INSERT INTO "+db+".customer_events (event_id, "+cols+") SELECT concat('v-', substring(event_id, 3)), "+cols+
		" FROM "+db+".customer_events WHERE startsWith(event_id, 'u-')"); err != nil {
		return 0, fmt.Errorf("bulk load: %w", err)
	}
	if err := admin.QueryRow(ctx, "SELECT toUInt64(count()) FROM "+db+".customer_events").Scan(&after); err != nil {
		return 0, err
	}
	return after - before, nil
}

// measureAfterBulkLoad bulk-loads events while serve runs (and ingest
// streams), then sends n requests of /api/v1/summary one after another,
// then waits (up to wait) until the answers are as of after the load.
func measureAfterBulkLoad(ctx context.Context, admin driver.Conn, db, base string, n int, wait time.Duration) (coldResult, error) {
	res := coldResult{byStatus: map[int]int{}}
	t0 := time.Now()
	rows, err := bulkLoad(ctx, admin, db)
	if err != nil {
		return res, err
	}
	loaded := time.Now()
	res.rows, res.loadSeconds = rows, loaded.Sub(t0).Seconds()
	client := &http.Client{Timeout: time.Minute}
	asOf := func() (int, time.Time) {
		resp, err := client.Get(base + "/api/v1/summary")
		if err != nil {
			return 0, time.Time{}
		}
		defer resp.Body.Close()
		var sum struct {
			AsOf time.Time `json:"as_of"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&sum)
		return resp.StatusCode, sum.AsOf
	}
	var lat []time.Duration
	for i := 0; i < n && ctx.Err() == nil; i++ {
		s := time.Now()
		code, _ := asOf()
		lat = append(lat, time.Since(s))
		res.byStatus[code]++
		if code != http.StatusOK {
			res.failures++
		}
	}
	res.requests = len(lat)
	res.max = percentile(lat, 1)
	res.p50, res.p95 = percentile(lat, 0.5), percentile(lat, 0.95)
	for deadline := time.Now().Add(wait); time.Now().Before(deadline) && ctx.Err() == nil; time.Sleep(200 * time.Millisecond) {
		if code, at := asOf(); code == http.StatusOK && !at.Before(loaded) {
			res.caughtUp = time.Since(loaded).Seconds()
			break
		}
	}
	return res, nil
}

func printServing(w io.Writer, clients int, dur time.Duration, rs []clientsResult, cold *coldResult) {
	if len(rs) > 0 {
		fmt.Fprintf(w, "\n%d closed-loop clients for %s per route (target: 0 non-2xx; /api/v1/summary ≥ 2 000 answers/s, pages ≥ 300/s):\n\n", clients, dur)
		fmt.Fprintf(w, "| route | answers/s | requests | non-2xx | statuses | p95 ms |\n|---|---:|---:|---:|---|---:|\n")
		for _, r := range rs {
			fmt.Fprintf(w, "| %s | %.0f | %d | %d | %s | %.1f |\n", r.route, float64(r.requests)/r.seconds, r.requests, r.non2xx(), statusText(r.byStatus), ms(r.p95))
		}
	}
	if cold != nil {
		caught := "not within the wait"
		if cold.caughtUp > 0 {
			caught = fmt.Sprintf("%.1f s after the load", cold.caughtUp)
		}
		fmt.Fprintf(w, "\nAfter a bulk load of %d events (%.1f s), ingest streaming: the first %d GET /api/v1/summary: %d failures (%s), p50 %.1f ms, p95 %.1f ms, max %.1f ms (target: 0 failures, p95 ≤ 100 ms); answers as of after the load %s\n",
			cold.rows, cold.loadSeconds, cold.requests, cold.failures, statusText(cold.byStatus), ms(cold.p50), ms(cold.p95), ms(cold.max), caught)
	}
}
