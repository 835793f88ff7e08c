package ingest_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// benchEvents is the number of events of the ingest benchmarks
// (TRUSTLENS_BENCH_EVENTS overrides it).
func benchEvents() int {
	if v, err := strconv.Atoi(os.Getenv("TRUSTLENS_BENCH_EVENTS")); err == nil && v > 0 {
		return v
	}
	return 500000
}

// benchBatch is the batch size of the benchmarks (TRUSTLENS_BENCH_BATCH).
func benchBatch() int {
	if v, err := strconv.Atoi(os.Getenv("TRUSTLENS_BENCH_BATCH")); err == nil && v > 0 {
		return v
	}
	return 20000
}

// BenchmarkIngest measures one Ingester moving small events from the
// embedded broker (in a process of its own) into ClickHouse (the events
// are produced first, not timed):
//
//	go test -run '^$' -bench 'BenchmarkIngest$' -benchtime 1x ./ingest/
func BenchmarkIngest(b *testing.B) {
	n := benchEvents()
	for i := 0; i < b.N; i++ {
		addr, prefix := startBrokerProcess(b)
		conn, _ := chtest.NewDatabase(b)
		s := genStream(prefix, n)
		produce(b, addr, s.msgs)
		s.msgs = nil
		reg := prometheus.NewRegistry()
		b.ResetTimer()
		start := time.Now()
		r := startIngester(b, ingest.Config{
			Brokers: []string{addr}, TopicPrefix: prefix, GroupID: "g-" + prefix, Conn: conn,
			BatchSize: benchBatch(), FlushInterval: time.Second, Logger: testLogger(b), Registerer: reg,
		})
		var firstAt time.Time
		var firstN float64
		waitFor(b, 10*time.Minute, "every event consumed", func() (bool, string) {
			got := sumMetric(b, reg, "trustlens_ingest_consumed_total", nil)
			if got > 0 && firstAt.IsZero() {
				firstAt, firstN = time.Now(), got
			}
			return got >= float64(n), fmt.Sprint(got)
		})
		took := time.Since(start)
		steady := (float64(n) - firstN) / time.Since(firstAt).Seconds()
		b.StopTimer()
		if err := r.stop(); err != nil {
			b.Fatal(err)
		}
		if got := stored(b, conn); got != uint64(n) {
			b.Fatalf("%d distinct events stored, want %d", got, n)
		}
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
		b.ReportMetric(steady, "steady-events/s")
		b.Logf("%d events in %s: %.0f events/s with the group join, %.0f events/s after the first batch", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), steady)
	}
}

// BenchmarkIngestBinary does the same with `trustlens ingest` as a
// process, and reports its peak RSS:
//
//	go test -run '^$' -bench 'BenchmarkIngestBinary' -benchtime 1x ./ingest/
func BenchmarkIngestBinary(b *testing.B) {
	n := benchEvents()
	for i := 0; i < b.N; i++ {
		addr, prefix := startBrokerProcess(b)
		conn, db := chtest.NewDatabase(b)
		s := genStream(prefix, n)
		produce(b, addr, s.msgs)
		s.msgs = nil
		env := ingestEnv{bin: trustlensBinary(b), brokers: addr, db: db, prefix: prefix, group: "g-" + prefix, chAddr: chtest.Addr()}
		b.ResetTimer()
		start := time.Now()
		p := env.startWith(b, "ingest", "TRUSTLENS_INGEST_BATCH_SIZE="+strconv.Itoa(benchBatch()), "TRUSTLENS_INGEST_FLUSH_INTERVAL=1s")
		waitFor(b, 10*time.Minute, "every event stored", func() (bool, string) {
			p.check(b)
			// cheap while the stream runs: rows in active parts
			var rows uint64
			err := conn.QueryRow(context.Background(), "SELECT toUInt64(sum(rows)) FROM system.parts WHERE database = ? AND active AND table != 'ingest_errors'", db).Scan(&rows)
			return err == nil && rows >= uint64(n), fmt.Sprint(rows, err)
		})
		took := time.Since(start)
		b.StopTimer()
		rss := peakRSS(p.cmd.Process.Pid)
		p.stop(b)
		if got := stored(b, conn); got != uint64(n) {
			b.Fatalf("%d distinct events stored, want %d", got, n)
		}
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
		b.ReportMetric(rss, "peak-RSS-MiB")
		b.Logf("%d events in %s: %.0f events/s (start-up, migrations and group join included); peak RSS %.0f MiB", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), rss)
	}
}

// peakRSS is the VmHWM of a process in MiB (0 if unknown).
func peakRSS(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
