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

// TestClusterDistributedTables applies the migrations on the two-replica
// cluster: each event table gets a Distributed <table>_all on every
// replica, and, on either replica, the _all tables return the same counts
// as the local tables — for rows inserted into the local tables and for
// rows inserted through an _all table.
func TestClusterDistributedTables(t *testing.T) {
	addrs := os.Getenv("TRUSTLENS_CLUSTER_ADDRS")
	if addrs == "" {
		t.Skip("TRUSTLENS_CLUSTER_ADDRS is not set (make test-cluster)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db := fmt.Sprintf("test_cluster_distributed_%d", time.Now().UnixNano())
	var conns []driver.Conn
	for _, a := range strings.Split(addrs, ",") {
		c, err := clickhouse.Open(&clickhouse.Options{Addr: []string{a}, Auth: clickhouse.Auth{Database: "default"}, DialTimeout: 5 * time.Second, ReadTimeout: 3 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	defer func() { _ = conns[0].Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" ON CLUSTER trustlens") }()
	if _, err := migrations.Apply(ctx, conns[0], db, migrations.WithCluster("trustlens")); err != nil {
		t.Fatal(err)
	}
	keys := map[string]string{"incident_events": "incident_id", "communication_events": "incident_id", "customer_events": "customer_id"}
	for i, c := range conns {
		for table, key := range keys {
			var engine, full string
			if err := c.QueryRow(ctx, "SELECT engine, engine_full FROM system.tables WHERE database = ? AND name = ?", db, table+"_all").Scan(&engine, &full); err != nil {
				t.Fatalf("replica %d: %s_all: %v", i+1, table, err)
			}
			if want := "Distributed(trustlens, " + db + ", " + table + ", cityHash64(" + key + "))"; engine != "Distributed" || !strings.Contains(full, want) {
				t.Errorf("replica %d: %s_all is %s, want %s", i+1, table, full, want)
			}
		}
	}

	// Rows in the local tables, and a few more through customer_events_all.
	for _, q := range []string{
		"INSERT INTO " + db + ".incident_events (event_id, type, occurred_at, incident_id, severity) SELECT concat('i-', toString(number)), 'incident.detected', toDateTime('2025-01-01 00:00:00') + number * 3600, concat('inc-', toString(number % 97)), 'sev2' FROM system.numbers LIMIT 1000",
		"INSERT INTO " + db + ".communication_events (event_id, type, occurred_at, incident_id, channel, kind) SELECT concat('m-', toString(number)), 'communication.sent', toDateTime('2025-02-01 00:00:00') + number * 600, concat('inc-', toString(number % 97)), 'email', 'update' FROM system.numbers LIMIT 2000",
		"INSERT INTO " + db + ".customer_events (event_id, type, occurred_at, customer_id) SELECT concat('c-', toString(number)), 'customer.feedback', toDateTime('2025-03-01 00:00:00') + number * 60, concat('cus-', toString(number % 300)) FROM system.numbers LIMIT 3000",
	} {
		if err := conns[0].Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := conns[1].Exec(clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"insert_distributed_sync": 1})),
		"INSERT INTO "+db+".customer_events_all (event_id, type, occurred_at, customer_id) SELECT concat('d-', toString(number)), 'customer.feedback', toDateTime('2025-04-01 00:00:00') + number, concat('cus-', toString(number)) FROM system.numbers LIMIT 50"); err != nil {
		t.Fatal(err)
	}
	want := map[string][2]uint64{"incident_events": {1000, 1000}, "communication_events": {2000, 2000}, "customer_events": {3050, 3050}}
	for i, c := range conns {
		for table, w := range want {
			deadline := time.Now().Add(30 * time.Second)
			for {
				var local, all [2]uint64
				q := "SELECT toUInt64(count()), toUInt64(uniqExact(event_id)) FROM " + db + "."
				if err := c.QueryRow(ctx, q+table).Scan(&local[0], &local[1]); err != nil {
					t.Fatal(err)
				}
				if err := c.QueryRow(ctx, q+table+"_all").Scan(&all[0], &all[1]); err != nil {
					t.Fatal(err)
				}
				if local == w && all == w {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("replica %d: %s holds (count, distinct events) %v, %s_all %v; want %v in both", i+1, table, local, table, all, w)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}
	}
}
