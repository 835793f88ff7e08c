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
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM schema_migrations").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if int(n) != len(all) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(all))
	}
}
