package ingest_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens"

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
		heapProfile := os.Getenv("TRUSTLENS_BENCH_HEAPPROFILE") // written half-way
		waitFor(b, 10*time.Minute, "every event consumed", func() (bool, string) {
			got := sumMetric(b, reg, "trustlens_ingest_consumed_total", nil)
			if got > 0 && firstAt.IsZero() {
				firstAt, firstN = time.Now(), got
			}
			if heapProfile != "" && got >= float64(n)/2 {
				writeHeapProfile(b, heapProfile)
				heapProfile = ""
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
			err := conn.QueryRow(context.Background(), "SELECT toUInt64(sum(rows)) FROM system.parts WHERE database = ? AND active AND table IN ('incident_events', 'communication_events', 'customer_events')", db).Scan(&rows)
			return err == nil && rows >= uint64(n), fmt.Sprint(rows, err)
		})
		took := time.Since(start)
		b.StopTimer()
		rss := peakRSS(p.cmd.Process.Pid)
		cpu := cpuSeconds(p.cmd.Process.Pid)
		p.stop(b)
		if got := stored(b, conn); got != uint64(n) {
			b.Fatalf("%d distinct events stored, want %d", got, n)
		}
		b.ReportMetric(float64(n)/took.Seconds(), "events/s")
		b.ReportMetric(rss, "peak-RSS-MiB")
		b.ReportMetric(cpu/float64(n)*1e6, "cpu-µs/event")
		b.Logf("%d events in %s: %.0f events/s (start-up, migrations and group join included); peak RSS %.0f MiB; %.2f s CPU (%.2f µs per event)", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), rss, cpu, cpu/float64(n)*1e6)
	}
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		b.Fatal(err)
	}
}

// cpuSeconds is the user and system CPU time a process used so far (0 if
// unknown): the cost of ingest that does not depend on how busy the
// machine is.
func cpuSeconds(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// the fields after the command name, which is in parentheses
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // clock ticks; 100 per second on Linux
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

// benchPayloads are events like those of `trustlens-bench` (about 200
// bytes, the four customer-response shapes) and of genStream.
func benchPayloads() []struct {
	stream trustlens.Stream
	raw    []byte
} {
	out := []struct {
		stream trustlens.Stream
		raw    []byte
	}{
		{trustlens.CustomerResponses, []byte(`{"event_id":"bench-000000004","type":"customer.feedback","occurred_at":"2026-10-05T04:04:00Z","customer_id":"cust-000004","incident_id":"inc-00004","csat":5,"sentiment":0.4,"comment":"Thanks for the updates."}`)},
		{trustlens.CustomerResponses, []byte(`{"event_id":"bench-000000005","type":"customer.compensation_offered","occurred_at":"2026-10-06T05:05:00Z","customer_id":"cust-000005","incident_id":"inc-00005","compensation_type":"credit","amount":5.50,"currency":"USD"}`)},
		{trustlens.CustomerResponses, []byte(`{"event_id":"bench-000000006","type":"customer.ticket_opened","occurred_at":"2026-10-07T06:06:00Z","customer_id":"cust-000006","incident_id":"inc-00006","comment":"Dashboard is not loading for our team."}`)},
		{trustlens.CustomerResponses, []byte(`{"event_id":"bench-000000007","type":"customer.signed_up","occurred_at":"2026-10-08T07:07:00Z","customer_id":"cust-000007","segment":"mid-market","plan":"business","mrr":107.00}`)},
		{trustlens.Incidents, []byte(`{"event_id":"ev-8","type":"incident.customer_affected","occurred_at":"2025-01-01T00:00:08Z","incident_id":"inc-0","customer_id":"c-8","mrr":8}`)},
		{trustlens.Communications, []byte(`{"event_id":"ev-9","type":"communication.sent","occurred_at":"2025-01-01T00:00:09Z","incident_id":"inc-0","channel":"email","kind":"update","recipients":9}`)},
	}
	return out
}

// BenchmarkDecode measures trustlens.Decode on typical small events:
//
//	go test -run '^$' -bench 'BenchmarkDecode' -benchmem ./ingest/
func BenchmarkDecode(b *testing.B) {
	ps := benchPayloads()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		p := ps[i%len(ps)]
		if _, err := trustlens.Decode(p.stream, p.raw, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWriterInsert measures ClickHouse alone: batches of
// TRUSTLENS_BENCH_BATCH decoded customer events (trustlens-bench's shapes)
// inserted with Writer.Insert, one after the other:
//
//	go test -run '^$' -bench 'BenchmarkWriterInsert' -benchtime 1x ./ingest/
func BenchmarkWriterInsert(b *testing.B) {
	n, batch := benchEvents(), benchBatch()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	ps := benchPayloads()[:4]
	rows := make([]ingest.Row, batch)
	for i := range rows {
		ev, err := trustlens.Decode(ps[i%4].stream, ps[i%4].raw, now)
		if err != nil {
			b.Fatal(err)
		}
		ev.EventID = fmt.Sprintf("bench-%09d", i)
		rows[i] = ingest.Row{Event: ev, Position: ingest.Position{Topic: "bench.customer-responses", Partition: i % 4, Offset: int64(i)}}
	}
	for i := 0; i < b.N; i++ {
		conn, _ := chtest.NewDatabase(b)
		w := &ingest.Writer{Conn: conn}
		b.ResetTimer()
		start := time.Now()
		for done := 0; done < n; done += batch {
			if err := w.Insert(context.Background(), rows); err != nil {
				b.Fatal(err)
			}
		}
		took := time.Since(start)
		b.StopTimer()
		b.ReportMetric(float64(n)/took.Seconds(), "rows/s")
		b.Logf("%d rows in batches of %d: %s, %.0f rows/s", n, batch, took.Round(time.Millisecond), float64(n)/took.Seconds())
	}
}
