package migrations_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens/migrations"
)

// TestApplyOnCluster runs against the two-replica cluster of
// scripts/cluster.sh (make test-cluster sets TRUSTLENS_CLUSTER_ADDRS): the
// migrations create Replicated tables on both replicas, re-running is a
// no-op, and a row inserted on one replica is read on the other.
func TestApplyOnCluster(t *testing.T) {
	addrs := os.Getenv("TRUSTLENS_CLUSTER_ADDRS")
	if addrs == "" {
		t.Skip("TRUSTLENS_CLUSTER_ADDRS is not set (make test-cluster)")
	}
	replicas := strings.Split(addrs, ",")
	conns := make([]driver.Conn, len(replicas))
	for i, a := range replicas {
		c, err := clickhouse.Open(&clickhouse.Options{Addr: []string{a}, DialTimeout: 5 * time.Second, ReadTimeout: 3 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db := fmt.Sprintf("test_cluster_migrations_%d", time.Now().UnixNano())
	defer func() { _ = conns[0].Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" ON CLUSTER trustlens") }()
	if _, err := migrations.Apply(ctx, conns[0], db, migrations.WithCluster("trustlens")); err != nil {
		t.Fatal(err)
	}
	res, err := migrations.Apply(ctx, conns[1], db, migrations.WithCluster("trustlens"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 {
		t.Fatalf("second run on the other replica applied %v", res.Applied)
	}
	for i, c := range conns {
		var engine string
		if err := c.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = ? AND name = 'customer_events'", db).Scan(&engine); err != nil {
			t.Fatalf("replica %d: %v", i+1, err)
		}
		if engine != "ReplicatedReplacingMergeTree" {
			t.Errorf("replica %d: engine %s", i+1, engine)
		}
	}
	b, err := conns[0].PrepareBatch(ctx, "INSERT INTO "+db+".ingest_errors (kafka_topic, kafka_partition, kafka_offset, reason, raw)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("t", int32(0), int64(1), "r", "x"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n uint64
		if err := conns[1].QueryRow(ctx, "SELECT toUInt64(count()) FROM "+db+".ingest_errors").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the row inserted on replica 1 did not reach replica 2 (count %d)", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
