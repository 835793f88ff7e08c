package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/migrations"
)

type ingestResult struct {
	events                int
	bytes                 int64
	trustlensSeconds      float64
	kafkaEngineSeconds    float64
	peakRSSBytes          int64
	trustlensRate, engine float64
	trustlensCPU          float64 // CPU seconds of the ingest process
	loadBefore, loadAfter string  // /proc/loadavg around the comparison
}

func (r ingestResult) print(w io.Writer) {
	fmt.Fprintf(w, "\n1. Ingest, %d events (%.0f bytes each on average), same embedded broker, same local ClickHouse\n\n", r.events, float64(r.bytes)/float64(r.events))
	fmt.Fprintf(w, "| consumer | seconds | events/s |\n|---|---:|---:|\n")
	fmt.Fprintf(w, "| trustlens ingest | %.2f | %.0f |\n", r.trustlensSeconds, r.trustlensRate)
	fmt.Fprintf(w, "| ClickHouse Kafka engine + materialized view | %.2f | %.0f |\n", r.kafkaEngineSeconds, r.engine)
	fmt.Fprintf(w, "\nratio trustlens / Kafka engine: %.2f (target ≥ 2.0)\n", r.trustlensRate/r.engine)
	fmt.Fprintf(w, "trustlens ingest peak RSS: %.1f MiB (target ≤ 150 MiB)\n", float64(r.peakRSSBytes)/(1<<20))
	if r.trustlensCPU > 0 {
		fmt.Fprintf(w, "trustlens ingest CPU: %.2f s (%.2f µs per event, start-up included)\n", r.trustlensCPU, r.trustlensCPU/float64(r.events)*1e6)
	}
	if r.loadBefore != "" {
		fmt.Fprintf(w, "load average before: %s; after: %s (2 cores; figures are noisy above ~1.5)\n", r.loadBefore, r.loadAfter)
	}
}

// loadAvg is the 1, 5 and 15 minute load average ("" if unknown).
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// cpuSeconds is the user and system CPU time of a process so far (0 if
// unknown).
func cpuSeconds(pid int) float64 {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(raw)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // clock ticks
}

// benchEvent is a customer event of about 200 bytes, valid under SPEC §1.
func benchEvent(i int) []byte {
	switch i % 4 {
	case 0:
		return fmt.Appendf(nil, `{"event_id":"bench-%09d","type":"customer.feedback","occurred_at":"2026-10-%02dT%02d:%02d:%02dZ","customer_id":"cust-%06d","incident_id":"inc-%05d","csat":%d,"sentiment":0.%d,"comment":"Thanks for the updates."}`,
			i, 1+i%28, i%24, i%60, (i/60)%60, i%100000, i%5000, 1+i%5, i%10)
	case 1:
		return fmt.Appendf(nil, `{"event_id":"bench-%09d","type":"customer.compensation_offered","occurred_at":"2026-10-%02dT%02d:%02d:%02dZ","customer_id":"cust-%06d","incident_id":"inc-%05d","compensation_type":"credit","amount":%d.50,"currency":"USD"}`,
			i, 1+i%28, i%24, i%60, (i/60)%60, i%100000, i%5000, i%200)
	case 2:
		return fmt.Appendf(nil, `{"event_id":"bench-%09d","type":"customer.ticket_opened","occurred_at":"2026-10-%02dT%02d:%02d:%02dZ","customer_id":"cust-%06d","incident_id":"inc-%05d","comment":"Dashboard is not loading for our team."}`,
			i, 1+i%28, i%24, i%60, (i/60)%60, i%100000, i%5000)
	default:
		return fmt.Appendf(nil, `{"event_id":"bench-%09d","type":"customer.signed_up","occurred_at":"2026-10-%02dT%02d:%02d:%02dZ","customer_id":"cust-%06d","segment":"mid-market","plan":"business","mrr":%d.00}`,
			i, 1+i%28, i%24, i%60, (i/60)%60, i%100000, 100+i%900)
	}
}

// produceBench writes n events to topic with franz-go (fast, batched).
func produceBench(ctx context.Context, addr, topic string, n int) (int64, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic),
		kgo.ProducerBatchMaxBytes(1<<20), kgo.ProducerLinger(5*time.Millisecond), kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(),
		kgo.MaxBufferedRecords(200_000))
	if err != nil {
		return 0, err
	}
	defer cl.Close()
	var (
		mu    sync.Mutex
		first error
		bytes int64
	)
	for i := 0; i < n; i++ {
		v := benchEvent(i)
		bytes += int64(len(v))
		cl.Produce(ctx, &kgo.Record{Key: []byte(strconv.Itoa(i % 5000)), Value: v}, func(_ *kgo.Record, err error) {
			if err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		})
	}
	if err := cl.Flush(ctx); err != nil {
		return 0, err
	}
	return bytes, first
}

func openCH(addr, db string) (driver.Conn, error) {
	return clickhouse.Open(&clickhouse.Options{
		Addr:        strings.Split(addr, ","),
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 5 * time.Second,
		ReadTimeout: 5 * time.Minute,
	})
}

func countRows(ctx context.Context, conn driver.Conn, table string) (uint64, error) {
	var n uint64
	err := conn.QueryRow(ctx, "SELECT toUInt64(count()) FROM "+table).Scan(&n)
	return n, err
}

func benchIngest(ctx context.Context, c config) (ingestResult, error) {
	res := ingestResult{events: c.events}
	prefix := fmt.Sprintf("bench%d.", time.Now().Unix())
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: prefix, Partitions: c.partitions})
	if err != nil {
		return res, err
	}
	defer b.Close()
	topic := prefix + "customer-responses"
	c.log.Info("producing benchmark events", "events", c.events, "topic", topic)
	t0 := time.Now()
	if res.bytes, err = produceBench(ctx, b.Addr(), topic, c.events); err != nil {
		return res, fmt.Errorf("produce: %w", err)
	}
	c.log.Info("produced", "seconds", time.Since(t0).Seconds())

	admin, err := openCH(c.chAddr, "default")
	if err != nil {
		return res, err
	}
	defer admin.Close()
	for _, db := range []string{"bench_trustlens", "bench_kafka_engine"} {
		if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			return res, err
		}
		if _, err := migrations.Apply(ctx, admin, db); err != nil {
			return res, err
		}
	}

	// trustlens ingest, as a real process
	res.loadBefore = loadAvg()
	secs, rss, cpu, err := runIngestProcess(ctx, c, b.Addr(), prefix, admin)
	if err != nil {
		return res, err
	}
	res.trustlensSeconds, res.peakRSSBytes, res.trustlensCPU = secs, rss, cpu
	res.trustlensRate = float64(c.events) / secs

	// ClickHouse's own Kafka engine, same topic, same broker
	secs, err = runKafkaEngine(ctx, c, admin, b.Addr(), topic)
	if err != nil {
		return res, err
	}
	res.kafkaEngineSeconds = secs
	res.engine = float64(c.events) / secs
	res.loadAfter = loadAvg()
	for _, db := range []string{"bench_trustlens", "bench_kafka_engine"} {
		_ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
	}
	return res, nil
}

func runIngestProcess(ctx context.Context, c config, brokerAddr, prefix string, admin driver.Conn) (float64, int64, float64, error) {
	cmd := exec.CommandContext(ctx, c.bin, "ingest")
	cmd.Env = append(os.Environ(),
		"TRUSTLENS_KAFKA_BROKERS="+brokerAddr,
		"TRUSTLENS_TOPIC_PREFIX="+prefix,
		"TRUSTLENS_CLICKHOUSE_ADDR="+c.chAddr,
		"TRUSTLENS_CLICKHOUSE_DATABASE=bench_trustlens",
		"TRUSTLENS_INGEST_GROUP=bench-trustlens",
		"TRUSTLENS_METRICS_ADDR=127.0.0.1:0",
		"TRUSTLENS_LOG_LEVEL=warn",
	)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	c.log.Info("measuring trustlens ingest")
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, 0, err
	}
	var (
		peak  int64
		first time.Duration
	)
	err := waitUntil(ctx, 10*time.Minute, func() (bool, error) {
		if rss := vmHWM(cmd.Process.Pid); rss > peak {
			peak = rss
		}
		n, err := countRows(ctx, admin, "bench_trustlens.customer_events")
		if n > 0 && first == 0 {
			first = time.Since(start)
		}
		return n >= uint64(c.events), err
	})
	c.log.Info("trustlens ingest done", "first_rows_after_s", first.Seconds(), "all_after_s", time.Since(start).Seconds())
	secs := time.Since(start).Seconds()
	if rss := vmHWM(cmd.Process.Pid); rss > peak {
		peak = rss
	}
	cpu := cpuSeconds(cmd.Process.Pid)
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	return secs, peak, cpu, err
}

// vmHWM reads a process's peak resident set size from /proc.
func vmHWM(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func runKafkaEngine(ctx context.Context, c config, admin driver.Conn, brokerAddr, topic string) (float64, error) {
	const db = "bench_kafka_engine"
	queue := fmt.Sprintf(`CREATE TABLE %s.kafka_queue (
    event_id String, type String, occurred_at String, customer_id String, incident_id String,
    segment String, plan String, mrr Nullable(Float64), compensation_type String, amount Nullable(Float64),
    currency String, channel String, csat Nullable(UInt8), sentiment Nullable(Float64), comment String, reason String
) ENGINE = Kafka SETTINGS kafka_broker_list = '%s', kafka_topic_list = '%s',
    kafka_group_name = 'bench-kafka-engine', kafka_format = 'JSONEachRow', kafka_num_consumers = %d`, db, brokerAddr, topic, c.partitions)
	mv := fmt.Sprintf(`CREATE MATERIALIZED VIEW %[1]s.kafka_mv TO %[1]s.customer_events AS
SELECT event_id, type, parseDateTimeBestEffort(occurred_at) AS occurred_at, customer_id, incident_id,
       segment, plan, mrr, compensation_type, amount, currency, channel, csat, sentiment, comment, reason,
       '{}' AS extra, now() AS ingested_at, '%[2]s' AS kafka_topic, toInt32(0) AS kafka_partition, toInt64(0) AS kafka_offset
FROM %[1]s.kafka_queue`, db, topic)
	// drop the Kafka table before the broker goes away: an 18.16 server
	// holding a Kafka table whose broker is gone hangs on SIGTERM
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = admin.Exec(dctx, "DROP TABLE IF EXISTS "+db+".kafka_mv")
		_ = admin.Exec(dctx, "DROP TABLE IF EXISTS "+db+".kafka_queue")
	}()
	if err := admin.Exec(ctx, queue); err != nil {
		return 0, fmt.Errorf("create Kafka table: %w", err)
	}
	c.log.Info("measuring ClickHouse's Kafka engine")
	start := time.Now()
	if err := admin.Exec(ctx, mv); err != nil {
		return 0, fmt.Errorf("create materialized view: %w", err)
	}
	var first time.Duration
	err := waitUntil(ctx, 10*time.Minute, func() (bool, error) {
		n, err := countRows(ctx, admin, db+".customer_events")
		if n > 0 && first == 0 {
			first = time.Since(start)
		}
		return n >= uint64(c.events), err
	})
	c.log.Info("Kafka engine done", "first_rows_after_s", first.Seconds(), "all_after_s", time.Since(start).Seconds())
	return time.Since(start).Seconds(), err
}
