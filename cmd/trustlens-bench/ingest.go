package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"runtime"
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
	events           int
	bytes            int64
	trustlensSeconds float64
	peakRSSBytes     int64
	trustlensCPU     float64 // CPU seconds of the ingest process
	machineBusy      float64 // CPU seconds all processes used while trustlens ingested
	serverCPU        float64 // of which the ClickHouse server
	brokerCPU        float64 // of which this process (the embedded broker)
	// engine is ClickHouse's Kafka engine writing what trustlens writes
	// (customer_events and the tables its views derive); plain writes
	// customer_events alone.
	engine, plain         engineRun
	loadBefore, loadAfter string // /proc/loadavg around the comparison
	// version is the server's; cascades says its materialized views run
	// the views of the table they write into (19.x and later, not 18.16):
	// then the engine's one view already writes every derived table, and
	// there is no separate customer_events-only run.
	version  string
	cascades bool
}

type engineRun struct {
	seconds   float64
	busy, cpu float64 // machine CPU seconds, of which the ClickHouse server
}

func (r ingestResult) rate(secs float64) float64 { return float64(r.events) / secs }

func (r ingestResult) print(w io.Writer) {
	fmt.Fprintf(w, "\n1. Ingest, %d events (%.0f bytes each on average), same embedded broker, same local ClickHouse %s\n\n", r.events, float64(r.bytes)/float64(r.events), r.version)
	fmt.Fprintf(w, "| consumer | seconds | events/s | machine CPU busy | of which ClickHouse |\n|---|---:|---:|---:|---:|\n")
	fmt.Fprintf(w, "| trustlens ingest | %.2f | %.0f | %.2f s | %.2f s |\n", r.trustlensSeconds, r.rate(r.trustlensSeconds), r.machineBusy, r.serverCPU)
	if r.cascades {
		fmt.Fprintf(w, "| Kafka engine + one view into customer_events (its views cascade: the same tables as trustlens) | %.2f | %.0f | %.2f s | %.2f s |\n", r.engine.seconds, r.rate(r.engine.seconds), r.engine.busy, r.engine.cpu)
	} else {
		fmt.Fprintf(w, "| Kafka engine + views, the same tables as trustlens | %.2f | %.0f | %.2f s | %.2f s |\n", r.engine.seconds, r.rate(r.engine.seconds), r.engine.busy, r.engine.cpu)
		fmt.Fprintf(w, "| Kafka engine + one view, customer_events only | %.2f | %.0f | %.2f s | %.2f s |\n", r.plain.seconds, r.rate(r.plain.seconds), r.plain.busy, r.plain.cpu)
	}
	fmt.Fprintf(w, "\nratio trustlens / Kafka engine writing the same tables: %.2f (target ≥ 2.0)\n", r.engine.seconds/r.trustlensSeconds)
	if !r.cascades {
		fmt.Fprintf(w, "ratio trustlens / Kafka engine writing customer_events only: %.2f\n", r.plain.seconds/r.trustlensSeconds)
	}
	fmt.Fprintf(w, "trustlens ingest peak RSS: %.1f MiB (target ≤ 150 MiB)\n", float64(r.peakRSSBytes)/(1<<20))
	if r.trustlensCPU > 0 {
		fmt.Fprintf(w, "trustlens ingest CPU: %.2f s (%.2f µs per event, start-up included); the broker (this process) %.2f s\n", r.trustlensCPU, r.trustlensCPU/float64(r.events)*1e6, r.brokerCPU)
	}
	fmt.Fprintf(w, "machine CPU busy is of seconds × %d cores (user + system time of every process, /proc/stat)\n", runtime.NumCPU())
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

// machineCPU is the CPU time all processes of the machine have used since
// boot, from /proc/stat (0 if unknown).
func machineCPU() float64 {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0
	}
	var busy float64
	for i, v := range f[1:8] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		x, _ := strconv.ParseFloat(v, 64)
		busy += x
	}
	return busy / 100 // USER_HZ
}

// clickhouseCPU is the CPU time used so far by the machine's ClickHouse
// server processes (0 if none is seen).
func clickhouseCPU() float64 {
	dirs, _ := os.ReadDir("/proc")
	var sum float64
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile("/proc/" + d.Name() + "/comm")
		// clickhouse-server (18.16) or scripts/chdb/chdb-server (26.x)
		if err == nil && (strings.HasPrefix(string(comm), "clickhouse") || strings.HasPrefix(string(comm), "chdb-server")) {
			sum += cpuSeconds(pid)
		}
	}
	return sum
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
	dbs := []string{"bench_trustlens", "bench_kafka_engine", "bench_kafka_engine_plain"}
	for _, db := range dbs {
		if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			return res, err
		}
		if _, err := migrations.Apply(ctx, admin, db); err != nil {
			return res, err
		}
	}
	defer func() {
		for _, db := range dbs {
			_ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db)
		}
	}()

	// trustlens ingest, as a real process
	res.loadBefore = loadAvg()
	busy0, server0, bench0 := machineCPU(), clickhouseCPU(), cpuSeconds(os.Getpid())
	secs, rss, cpu, err := runIngestProcess(ctx, c, b.Addr(), prefix, admin)
	if err != nil {
		return res, err
	}
	res.machineBusy = machineCPU() - busy0
	res.serverCPU, res.brokerCPU = clickhouseCPU()-server0, cpuSeconds(os.Getpid())-bench0
	res.trustlensSeconds, res.peakRSSBytes, res.trustlensCPU = secs, rss, cpu

	// ClickHouse's own Kafka engine, same topic, same broker: first
	// writing the same tables as trustlens, then customer_events alone.
	// On 19.x and later one view into customer_events already runs that
	// table's views, so the first run needs no copies and the second is
	// the same as the first.
	if err := admin.QueryRow(ctx, "SELECT version()").Scan(&res.version); err != nil {
		return res, err
	}
	res.cascades = !strings.HasPrefix(res.version, "18.")
	runs := []struct {
		db    string
		views bool
		run   *engineRun
	}{{"bench_kafka_engine", !res.cascades, &res.engine}}
	if !res.cascades {
		runs = append(runs, struct {
			db    string
			views bool
			run   *engineRun
		}{"bench_kafka_engine_plain", false, &res.plain})
	}
	for _, e := range runs {
		if *e.run, err = runKafkaEngine(ctx, c, admin, b.Addr(), topic, e.db, e.views); err != nil {
			return res, err
		}
	}
	res.loadAfter = loadAvg()
	// the same tables, the same contents
	if err := sameDerived(ctx, admin, "bench_trustlens", "bench_kafka_engine"); err != nil {
		return res, err
	}
	return res, nil
}

// derivedChecks count what the views on customer_events derive: rows of
// incident_timeline, and the keys of the aggregating state tables.
var derivedChecks = []struct{ table, expr string }{
	{"incident_timeline", "uniqExact(event_id)"},
	{"customer_state", "uniqExact(customer_id)"},
	{"response_state", "uniqExact(incident_id, customer_id)"},
}

// sameDerived checks that two databases hold the same derived rows, so
// that the engine was measured doing trustlens's work.
func sameDerived(ctx context.Context, conn driver.Conn, a, b string) error {
	for _, d := range derivedChecks {
		var na, nb uint64
		if err := conn.QueryRow(ctx, "SELECT toUInt64("+d.expr+") FROM "+a+"."+d.table).Scan(&na); err != nil {
			return err
		}
		if err := conn.QueryRow(ctx, "SELECT toUInt64("+d.expr+") FROM "+b+"."+d.table).Scan(&nb); err != nil {
			return err
		}
		if na != nb || na == 0 {
			return fmt.Errorf("%s: %s is %d in %s, %d in %s: the two consumers did not write the same tables", d.table, d.expr, na, a, nb, b)
		}
	}
	return nil
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
		"TRUSTLENS_LOG_LEVEL="+envOr("BENCH_INGEST_LOG_LEVEL", "warn"),
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
	if err == nil {
		err = waitDistinct(ctx, c, admin, "bench_trustlens")
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	_ = cmd.Wait()
	return secs, peak, cpu, err
}

// waitDistinct waits (untimed) until db.customer_events holds every event
// once at least. A consumer's count() can reach the number of events with
// redelivered copies before the last events are stored (the engine's
// consumers redeliver after a rebalance); the comparison of derived tables
// needs them all.
func waitDistinct(ctx context.Context, c config, admin driver.Conn, db string) error {
	return waitUntil(ctx, 2*time.Minute, func() (bool, error) {
		var n uint64
		err := admin.QueryRow(ctx, "SELECT toUInt64(uniqExact(event_id)) FROM "+db+".customer_events").Scan(&n)
		return n >= uint64(c.events), err
	})
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

// engineColumns stand, in a view reading the Kafka table, for the
// customer_events columns that the Kafka table lacks or holds as text.
func engineColumns(topic string) map[string]string {
	return map[string]string{
		"occurred_at":     "parseDateTimeBestEffort(occurred_at)",
		"extra":           "'{}'",
		"ingested_at":     "now()",
		"kafka_topic":     "'" + topic + "'",
		"kafka_partition": "toInt32(0)",
		"kafka_offset":    "toInt64(0)",
	}
}

var identifier = regexp.MustCompile(`\b(occurred_at|extra|ingested_at|kafka_topic|kafka_partition|kafka_offset)\b`)

// rewriteSelect makes a view's SELECT on customer_events read the Kafka
// table: each column the Kafka table lacks becomes its expression, named
// as the column where it is a column of the result.
func rewriteSelect(sel string, cols map[string]string) string {
	var b strings.Builder
	last := 0
	for _, m := range identifier.FindAllStringIndex(sel, -1) {
		name := sel[m[0]:m[1]]
		b.WriteString(sel[last:m[0]])
		b.WriteString(cols[name])
		before, after := sel[:m[0]], sel[m[1]:]
		if (strings.HasSuffix(before, "SELECT ") || strings.HasSuffix(before, ", ")) &&
			(strings.HasPrefix(after, ",") || strings.HasPrefix(after, " FROM ")) {
			b.WriteString(" AS " + name)
		}
		last = m[1]
	}
	b.WriteString(sel[last:])
	return b.String()
}

// engineViews are the views that derive tables from db.customer_events,
// rewritten to read the Kafka table. ClickHouse 18.16 does not run a
// table's own views for the rows a materialized view writes into it (25.8
// does), so without these the engine would skip work trustlens's ingest
// does: the figure state tables and incident_timeline.
func engineViews(ctx context.Context, conn driver.Conn, db, topic string) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT name FROM system.tables WHERE database = '"+db+"' AND engine = 'MaterializedView' ORDER BY name")
	if err != nil {
		return nil, err
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	cols := engineColumns(topic)
	var out []string
	for _, n := range names {
		var create string
		if err := conn.QueryRow(ctx, "SHOW CREATE TABLE "+db+"."+n).Scan(&create); err != nil {
			return nil, err
		}
		from := " FROM " + db + ".customer_events "
		head, sel, ok := strings.Cut(create, " AS SELECT ")
		if !ok || !strings.Contains(sel+" ", from) {
			continue
		}
		sel = strings.Replace("SELECT "+sel+" ", from, " FROM "+db+".kafka_queue ", 1)
		sel = rewriteSelect(sel, cols)
		head = strings.Replace(head, db+"."+n+" ", db+"."+n+"_kafka ", 1)
		out = append(out, head+" AS "+sel)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no views on %s.customer_events found", db)
	}
	return out, nil
}

// runKafkaEngine measures ClickHouse's Kafka engine loading the topic into
// db.customer_events through one materialized view, and with views, also
// into the tables derived from customer_events.
func runKafkaEngine(ctx context.Context, c config, admin driver.Conn, brokerAddr, topic, db string, views bool) (engineRun, error) {
	queue := fmt.Sprintf(`CREATE TABLE %s.kafka_queue (
    event_id String, type String, occurred_at String, customer_id String, incident_id String,
    segment String, plan String, mrr Nullable(Float64), compensation_type String, amount Nullable(Float64),
    currency String, channel String, csat Nullable(UInt8), sentiment Nullable(Float64), comment String, reason String
) ENGINE = Kafka SETTINGS kafka_broker_list = '%s', kafka_topic_list = '%s',
    kafka_group_name = '%s', kafka_format = 'JSONEachRow', kafka_num_consumers = %d`, db, brokerAddr, topic, db, c.partitions)
	mv := fmt.Sprintf(`CREATE MATERIALIZED VIEW %[1]s.kafka_mv TO %[1]s.customer_events AS
SELECT event_id, type, parseDateTimeBestEffort(occurred_at) AS occurred_at, customer_id, incident_id,
       segment, plan, mrr, compensation_type, amount, currency, channel, csat, sentiment, comment, reason,
       '{}' AS extra, now() AS ingested_at, '%[2]s' AS kafka_topic, toInt32(0) AS kafka_partition, toInt64(0) AS kafka_offset
FROM %[1]s.kafka_queue`, db, topic)
	var derived []string
	if views {
		var err error
		if derived, err = engineViews(ctx, admin, db, topic); err != nil {
			return engineRun{}, err
		}
	}
	// drop the Kafka table before the broker goes away: an 18.16 server
	// holding a Kafka table whose broker is gone hangs on SIGTERM (the
	// views go with the database)
	defer func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = admin.Exec(dctx, "DROP TABLE IF EXISTS "+db+".kafka_queue")
	}()
	// Every view is created on a Null table of the same name, which is then
	// replaced by the Kafka table: the engine starts with all its views
	// (they are found by name), instead of consuming into the first alone.
	null, _, _ := strings.Cut(queue, ") ENGINE = Kafka")
	if err := admin.Exec(ctx, null+") ENGINE = Null"); err != nil {
		return engineRun{}, fmt.Errorf("create stand-in table: %w", err)
	}
	for _, v := range append([]string{mv}, derived...) {
		if err := admin.Exec(ctx, v); err != nil {
			return engineRun{}, fmt.Errorf("create view on the Kafka table: %w\n%s", err, v)
		}
	}
	if err := admin.Exec(ctx, "DROP TABLE "+db+".kafka_queue"); err != nil {
		return engineRun{}, fmt.Errorf("drop stand-in table: %w", err)
	}
	c.log.Info("measuring ClickHouse's Kafka engine", "database", db, "views", len(derived)+1)
	busy0, server0 := machineCPU(), clickhouseCPU()
	start := time.Now()
	if err := admin.Exec(ctx, queue); err != nil {
		return engineRun{}, fmt.Errorf("create Kafka table: %w", err)
	}
	var first time.Duration
	err := waitUntil(ctx, 3*time.Minute, func() (bool, error) {
		n, err := countRows(ctx, admin, db+".customer_events")
		if n > 0 && first == 0 {
			first = time.Since(start)
		}
		return n >= uint64(c.events), err
	})
	c.log.Info("Kafka engine done", "database", db, "first_rows_after_s", first.Seconds(), "all_after_s", time.Since(start).Seconds())
	run := engineRun{seconds: time.Since(start).Seconds(), busy: machineCPU() - busy0, cpu: clickhouseCPU() - server0}
	if err == nil { // before the Kafka table goes
		err = waitDistinct(ctx, c, admin, db)
	}
	return run, err
}
