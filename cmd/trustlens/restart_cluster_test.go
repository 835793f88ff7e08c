package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/conformance"
	"github.com/trustlens/trustlens/migrations"
)

// TestClusterRestartWithReplicaDown runs on the two-replica cluster of
// scripts/cluster.sh (make test-cluster). The schema is migrated on the
// whole cluster, then replica 1 is killed (SIGKILL), and processes start
// with replica 1 first in TRUSTLENS_CLICKHOUSE_ADDR, as a deploy or a
// crash-restart during the outage would:
//
//   - `ingest` starts (the schema is current: no ON CLUSTER statement),
//     becomes ready and stores the conformance stream on replica 2;
//   - `serve` starts, becomes ready and answers the example's figures;
//   - `migrate` of a database not yet created (an ON CLUSTER statement to
//     run) fails once TRUSTLENS_CLICKHOUSE_DDL_TIMEOUT has passed, naming
//     replica 1, instead of hanging.
func TestClusterRestartWithReplicaDown(t *testing.T) {
	addrs := os.Getenv("TRUSTLENS_CLUSTER_ADDRS")
	if addrs == "" {
		t.Skip("TRUSTLENS_CLUSTER_ADDRS is not set (make test-cluster)")
	}
	replicas := strings.Split(addrs, ",")
	if len(replicas) != 2 {
		t.Fatalf("TRUSTLENS_CLUSTER_ADDRS: want two replicas, got %q", addrs)
	}
	bin := buildBinary(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	manifest := conformance.Open(t)
	var expected struct {
		Summary map[string]any `json:"summary"`
	}
	manifest.Expected(t, &expected)

	db := fmt.Sprintf("test_cluster_restart_%d", time.Now().UnixNano())
	prefix := fmt.Sprintf("tr%d.", time.Now().UnixNano())
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: prefix, Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	env := map[string]string{
		"TRUSTLENS_CLICKHOUSE_ADDR": addrs, "TRUSTLENS_CLICKHOUSE_CLUSTER": "trustlens",
		"TRUSTLENS_CLICKHOUSE_DATABASE": db, "TRUSTLENS_LOG_LEVEL": "info",
		"TRUSTLENS_KAFKA_BROKERS": b.Addr(), "TRUSTLENS_TOPIC_PREFIX": prefix, "TRUSTLENS_INGEST_GROUP": "g-" + db,
		"TRUSTLENS_INGEST_FLUSH_INTERVAL": "200ms",
	}
	if err := run(ctx, []string{"migrate"}, envOf(env), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatalf("migrate on the whole cluster: %v", err)
	}
	survivor, err := clickhouse.Open(&clickhouse.Options{Addr: []string{replicas[1]}, Auth: clickhouse.Auth{Database: db}, DialTimeout: 5 * time.Second, ReadTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// runs last: the cluster is whole again for the next tests
	t.Cleanup(func() {
		if out, err := exec.Command("../../scripts/cluster.sh", "start-replica", "1").CombinedOutput(); err != nil {
			t.Errorf("start replica 1 again: %v\n%s", err, out)
		}
		for _, d := range []string{db, db + "_new"} {
			if err := survivor.Exec(context.Background(), "DROP DATABASE IF EXISTS "+d+" ON CLUSTER trustlens"); err != nil {
				t.Logf("drop %s: %v", d, err)
			}
		}
		survivor.Close()
	})
	// The test is about a replica lost after a finished migrate, so replica
	// 2 must hold every migration's record first: killed sooner, replica 1
	// can take the newest record of schema_migrations with it (seen once in
	// CI: "Found part all_9_9_0 on r1 that covers the missing part"), and a
	// process that reads replica 2 rightly finds the schema behind.
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "replica 2 holds every migration record", time.Minute, func() bool {
		var n uint64
		err := survivor.QueryRow(ctx, "SELECT toUInt64(uniqExact(version)) FROM schema_migrations").Scan(&n)
		return err == nil && n == uint64(len(all))
	})
	if out, err := exec.Command("../../scripts/cluster.sh", "kill-replica", "1").CombinedOutput(); err != nil {
		t.Fatalf("kill replica 1: %v\n%s", err, out)
	}

	// ingest starts and stores the stream on replica 2
	metrics := freeAddr(t)
	ing := exec.Command(bin, "ingest")
	ing.Env = os.Environ()
	for k, v := range env {
		ing.Env = append(ing.Env, k+"="+v)
	}
	ing.Env = append(ing.Env, "TRUSTLENS_METRICS_ADDR="+metrics)
	var ingLog syncBuffer
	ing.Stdout, ing.Stderr = io.Discard, &ingLog
	if err := ing.Start(); err != nil {
		t.Fatal(err)
	}
	// exited closes when ingest has ended, with its error in exitErr: both
	// the wait below and the cleanup can see it (a channel read once left
	// the cleanup waiting forever after a failed wait)
	exited := make(chan struct{})
	var exitErr error
	go func() { exitErr = ing.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = ing.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = ing.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("log of ingest:\n%s", lastLogLines(ingLog.String(), 40))
		}
	})
	client := &http.Client{Timeout: 10 * time.Second}
	waitFor(t, "ingest /readyz with replica 1 down", 120*time.Second, func() bool {
		select {
		case <-exited:
			t.Fatalf("ingest exited with replica 1 down: %v\n%s", exitErr, lastLogLines(ingLog.String(), 20))
		default:
		}
		res, err := client.Get("http://" + metrics + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	lines := streamLines(t, 0)
	want := distinctEvents(lines)
	for topic, ls := range lines {
		var buf bytes.Buffer
		for _, l := range ls {
			buf.Write(l)
			buf.WriteByte('\n')
		}
		if _, err := ingest.Produce(ctx, []string{b.Addr()}, prefix+topic, &buf); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "every event stored on replica 2", 2*time.Minute, func() bool {
		var got uint64
		for _, table := range []string{"incident_events", "communication_events", "customer_events"} {
			var n uint64
			if err := survivor.QueryRow(ctx, "SELECT toUInt64(uniqExact(event_id)) FROM "+table).Scan(&n); err != nil {
				return false
			}
			got += n
		}
		return got == want
	})

	// serve starts and answers the example's figures
	s := startServe(t, bin, env, "with replica 1 down", time.Second, manifest.Now)
	waitFor(t, "serve /readyz with replica 1 down", 120*time.Second, func() bool { code, _, _ := s.get("/readyz"); return code == 200 })
	code, body, err := s.get("/api/v1/summary?from=" + manifest.Range.From + "&to=" + manifest.Range.To)
	if err != nil || code != http.StatusOK {
		t.Fatalf("summary with replica 1 down: %d %v %.300s", code, err, body)
	}
	var summary map[string]any
	if err := json.Unmarshal([]byte(body), &summary); err != nil {
		t.Fatal(err)
	}
	compareFields(t, "summary with replica 1 down", expected.Summary, summary)

	// migrate with work to do fails, naming the replica that is down
	newEnv := map[string]string{}
	for k, v := range env {
		newEnv[k] = v
	}
	newEnv["TRUSTLENS_CLICKHOUSE_DATABASE"] = db + "_new"
	newEnv["TRUSTLENS_CLICKHOUSE_DDL_TIMEOUT"] = "10s"
	err = run(ctx, []string{"migrate"}, envOf(newEnv), strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), replicas[0]) {
		t.Fatalf("migrate of a new database with replica 1 down: %v; want an error naming %s", err, replicas[0])
	}
	t.Logf("migrate with replica 1 down: %v", err)
}
