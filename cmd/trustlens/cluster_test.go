package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// buildBinary builds cmd/trustlens once per test binary run.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "trustlens")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// streamLines is every line of the conformance example by topic, plus filler
// feedback events (which change no figure) to make a longer stream.
func streamLines(t *testing.T, filler int) map[string][][]byte {
	t.Helper()
	dir := chtest.ConformanceDir(t)
	out := map[string][][]byte{}
	for _, s := range trustlens.Streams {
		f, err := os.Open(filepath.Join(dir, "trustlens."+string(s)+".ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<20), 1<<20)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				out[string(s)] = append(out[string(s)], append([]byte(nil), line...))
			}
		}
		f.Close()
	}
	for i := 0; i < filler; i++ {
		out[string(trustlens.CustomerResponses)] = append(out[string(trustlens.CustomerResponses)], fmt.Appendf(nil,
			`{"event_id":"filler-%07d","type":"customer.feedback","occurred_at":"2026-06-01T10:00:00Z","customer_id":"cust-%04d","csat":4}`, i, i%400))
	}
	return out
}

func distinctEvents(lines map[string][][]byte) uint64 {
	seen := map[string]bool{}
	for _, ls := range lines {
		for _, l := range ls {
			var e struct {
				ID string `json:"event_id"`
			}
			_ = json.Unmarshal(l, &e)
			seen[e.ID] = true
		}
	}
	return uint64(len(seen))
}

// TestClusterIngestSurvivesReplicaAndProcessLoss runs on the two-replica
// cluster of scripts/cluster.sh (make test-cluster): two ingest processes in
// one group write through either replica; mid-stream one replica and one
// ingest process are killed with SIGKILL. Every event ends up stored on the
// surviving replica, counted once, and the figures equal a single-node run
// over the same events.
func TestClusterIngestSurvivesReplicaAndProcessLoss(t *testing.T) {
	addrs := os.Getenv("TRUSTLENS_CLUSTER_ADDRS")
	if addrs == "" {
		t.Skip("TRUSTLENS_CLUSTER_ADDRS is not set (make test-cluster)")
	}
	replicas := strings.Split(addrs, ",")
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	prefix := fmt.Sprintf("tc%d.", time.Now().UnixNano())
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: prefix, Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	db := fmt.Sprintf("test_cluster_e2e_%d", time.Now().UnixNano())
	env := []string{
		"TRUSTLENS_KAFKA_BROKERS=" + b.Addr(), "TRUSTLENS_TOPIC_PREFIX=" + prefix,
		"TRUSTLENS_CLICKHOUSE_ADDR=" + addrs, "TRUSTLENS_CLICKHOUSE_CLUSTER=trustlens",
		"TRUSTLENS_CLICKHOUSE_DATABASE=" + db, "TRUSTLENS_INGEST_GROUP=g-" + db,
		"TRUSTLENS_INGEST_FLUSH_INTERVAL=200ms", "TRUSTLENS_METRICS_ADDR=127.0.0.1:0", "TRUSTLENS_LOG_LEVEL=info",
	}
	envMap := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		envMap[k] = v
	}
	if err := run(ctx, []string{"migrate"}, envOf(envMap), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate on the cluster: %v", err)
	}
	survivor, err := clickhouse.Open(&clickhouse.Options{Addr: []string{replicas[1]}, Auth: clickhouse.Auth{Database: db}, DialTimeout: 5 * time.Second, ReadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer survivor.Close()
	defer func() {
		_ = exec.Command("../../scripts/cluster.sh", "start-replica", "1").Run()
		_ = survivor.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" ON CLUSTER trustlens")
	}()

	var logs [2]syncBuffer
	start := func(i int) *exec.Cmd {
		cmd := exec.Command(bin, "ingest")
		cmd.Env = append(os.Environ(), env...)
		cmd.Stderr = &logs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	p1, p2 := start(0), start(1)
	defer func() {
		if t.Failed() {
			for i := range logs {
				t.Logf("log of ingest process %d:\n%s", i+1, lastLogLines(logs[i].String(), 40))
			}
		}
	}()
	defer func() {
		for _, p := range []*exec.Cmd{p1, p2} {
			_ = p.Process.Signal(syscall.SIGTERM)
			_ = p.Wait()
		}
	}()

	lines := streamLines(t, 20000)
	want := distinctEvents(lines)
	produceHalf := func(half int) {
		for topic, ls := range lines {
			part := ls[:len(ls)/2]
			if half == 1 {
				part = ls[len(ls)/2:]
			}
			var buf bytes.Buffer
			for _, l := range part {
				buf.Write(l)
				buf.WriteByte('\n')
			}
			if _, err := ingest.Produce(ctx, []string{b.Addr()}, prefix+topic, &buf); err != nil {
				t.Fatal(err)
			}
		}
	}
	produceHalf(0)
	time.Sleep(time.Second) // let the stream get going
	if out, err := exec.Command("../../scripts/cluster.sh", "kill-replica", "1").CombinedOutput(); err != nil {
		t.Fatalf("kill replica 1: %v\n%s", err, out)
	}
	_ = p1.Process.Kill()
	_ = p1.Wait()
	produceHalf(1)

	var got uint64
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var n [3]uint64
		for i, table := range []string{"incident_events", "communication_events", "customer_events"} {
			_ = survivor.QueryRow(ctx, "SELECT toUInt64(uniqExact(event_id)) FROM "+table).Scan(&n[i])
		}
		got = n[0] + n[1] + n[2]
		if got >= want || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got != want {
		t.Fatalf("the surviving replica holds %d distinct events, want %d", got, want)
	}

	// the same events on a single node give the same figures
	single, _ := chtest.NewDatabase(t)
	loadLines(t, single, lines)
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	f := trustlens.Filter{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), Limit: 1000}
	answers := func(conn driver.Conn) string {
		s := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))
		var parts []any
		sum, err := s.Summary(ctx, f)
		parts = append(parts, sum, err)
		inc, err := s.Incidents(ctx, f)
		parts = append(parts, inc, err)
		ch, err := s.Churn(ctx, f)
		parts = append(parts, ch, err)
		co, err := s.Compensation(ctx, f)
		parts = append(parts, co, err)
		od, err := s.Overdue(ctx)
		parts = append(parts, od, err)
		js, _ := json.Marshal(parts)
		return string(js)
	}
	if a, b := answers(survivor), answers(single); a != b {
		t.Errorf("cluster and single-node figures differ:\ncluster: %.600s\nsingle:  %.600s", a, b)
	}
}

// lastLogLines is the end of a process log without clickhouse-go's version warnings.
func lastLogLines(s string, n int) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "unsupported clickhouse version") {
			keep = append(keep, l)
		}
	}
	if len(keep) > n {
		keep = keep[len(keep)-n:]
	}
	return strings.Join(keep, "\n")
}

func loadLines(t *testing.T, conn driver.Conn, lines map[string][][]byte) {
	t.Helper()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	var rows []ingest.Row
	for topic, ls := range lines {
		for i, l := range ls {
			e, err := trustlens.Decode(trustlens.Stream(topic), l, now)
			if err != nil {
				t.Fatalf("%s line %d: %v", topic, i+1, err)
			}
			rows = append(rows, ingest.Row{Event: e, Position: ingest.Position{Topic: topic, Offset: int64(i)}})
		}
	}
	w := &ingest.Writer{Conn: conn}
	if err := w.Insert(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}
