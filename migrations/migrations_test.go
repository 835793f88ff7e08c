package migrations_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens/internal/chtest"
	"github.com/trustlens/trustlens/migrations"
)

func TestStatementsSplitAndRender(t *testing.T) {
	m := migrations.Migration{Version: 1, Name: "0001_x.sql", SQL: "-- c\nCREATE TABLE {{.DB}}.a (x UInt8) ENGINE = Memory;\n\nCREATE VIEW {{.DB}}.b AS SELECT ';' AS s FROM {{.DB}}.a;\n"}
	got, err := m.Statements(migrations.Params{DB: "d"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATE TABLE d.a (x UInt8) ENGINE = Memory", "CREATE VIEW d.b AS SELECT ';' AS s FROM d.a"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("statements = %q, want %q", got, want)
	}
}

func TestClusterRendering(t *testing.T) {
	m := migrations.Migration{Version: 1, Name: "0001_x.sql", SQL: "CREATE TABLE IF NOT EXISTS {{.DB}}.t{{.OnCluster}} (x UInt8) ENGINE = {{engine \"ReplacingMergeTree\" \"t\"}} ORDER BY x;\n"}
	cases := []struct {
		name string
		p    migrations.Params
		want string
	}{
		{"single", migrations.Params{DB: "d"}, "CREATE TABLE IF NOT EXISTS d.t (x UInt8) ENGINE = ReplacingMergeTree ORDER BY x"},
		{"cluster", migrations.Params{DB: "d", Cluster: "c"}, "CREATE TABLE IF NOT EXISTS d.t ON CLUSTER c (x UInt8) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/d/t', '{replica}') ORDER BY x"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := m.Statements(tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidDatabase(t *testing.T) {
	for name, want := range map[string]bool{"trustlens": true, "t_1": true, "": false, "a-b": false, "x; DROP": false, "1abc": false} {
		if got := migrations.ValidDatabase(name); got != want {
			t.Errorf("ValidDatabase(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestApplyTwice applies the migrations to a fresh database twice on the real
// ClickHouse: the second run applies nothing, and the tables of SPEC §2.5 exist.
func TestApplyTwice(t *testing.T) {
	conn, db := chtest.NewDatabase(t) // first application
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	res, err := migrations.Apply(ctx, conn, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 0 || res.Skipped != len(all) {
		t.Fatalf("second run applied %v, skipped %d; want nothing applied, %d skipped", res.Applied, res.Skipped, len(all))
	}
	rows, err := conn.Query(ctx, "SELECT name FROM system.tables WHERE database = ?", db)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	got := strings.Join(names, ",")
	for _, want := range []string{"communication_events", "customer_events", "incident_events", "incident_metrics", "ingest_errors", "schema_migrations"} {
		if !strings.Contains(","+got+",", ","+want+",") {
			t.Errorf("table %s missing; have %s", want, got)
		}
	}
	for _, n := range names {
		if strings.HasSuffix(n, "_all") { // Distributed tables are for cluster mode only
			t.Errorf("a single server got table %s", n)
		}
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if int(n) != len(all) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(all))
	}
}

// TestSingleNodeRenderingUnchanged renders every migration for a single
// server: nothing of cluster mode (ON CLUSTER, Replicated engines,
// Distributed tables) appears, and 0005 (the Distributed tables) renders
// to no statement at all; in cluster mode it creates the three _all tables.
func TestSingleNodeRenderingUnchanged(t *testing.T) {
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		single, err := m.Statements(migrations.Params{DB: "d"})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range single {
			for _, bad := range []string{"ON CLUSTER", "Replicated", "Distributed", "_all"} {
				if strings.Contains(s, bad) {
					t.Errorf("%s renders %q for a single server:\n%s", m.Name, bad, s)
				}
			}
		}
		if m.Version != 5 {
			continue
		}
		cluster, err := m.Statements(migrations.Params{DB: "d", Cluster: "c"})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"CREATE TABLE IF NOT EXISTS d.incident_events_all ON CLUSTER c AS d.incident_events\nENGINE = Distributed(c, d, incident_events, cityHash64(incident_id))",
			"CREATE TABLE IF NOT EXISTS d.communication_events_all ON CLUSTER c AS d.communication_events\nENGINE = Distributed(c, d, communication_events, cityHash64(incident_id))",
			"CREATE TABLE IF NOT EXISTS d.customer_events_all ON CLUSTER c AS d.customer_events\nENGINE = Distributed(c, d, customer_events, cityHash64(customer_id))",
		}
		if len(single) != 0 || strings.Join(cluster, "|") != strings.Join(want, "|") {
			t.Errorf("%s: single server %q, cluster %q; want none and %q", m.Name, single, cluster, want)
		}
	}
}
