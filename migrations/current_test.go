package migrations_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens/internal/chtest"
	"github.com/trustlens/trustlens/migrations"
)

// TestApplyRunsNoDDLWhenCurrent checks the start-up decision on the real
// ClickHouse: with every migration recorded Apply runs no DDL at all, so
// it succeeds on a connection that refuses DDL (readonly = 2) and in
// cluster mode with a cluster no server knows (any ON CLUSTER statement
// fails at once). With one version missing from schema_migrations, or no
// database yet, it does run DDL, and both fail.
func TestApplyRunsNoDDLWhenCurrent(t *testing.T) {
	conn, current := chtest.NewDatabase(t)
	_, behind := chtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	last := all[len(all)-1]
	// behind: every version recorded but the last (TRUNCATE and a batch
	// insert rather than ALTER … DELETE, a mutation that 18.16 cannot wait
	// for: it has no mutations_sync)
	if err := conn.Exec(ctx, "TRUNCATE TABLE "+behind+".schema_migrations"); err != nil {
		t.Fatal(err)
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+behind+".schema_migrations (version, name)")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:len(all)-1] {
		if err := b.Append(uint32(m.Version), m.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	missing := "test_never_created_" + strings.ReplaceAll(current, "test_", "")
	readonly := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"readonly": 2}))
	noCluster := migrations.WithCluster("trustlens_no_such_cluster")

	cases := []struct {
		name    string
		ctx     context.Context
		db      string
		opts    []migrations.Option
		wantErr string // "" = success with nothing applied
	}{
		{"current, read-only", readonly, current, nil, ""},
		{"current, unknown cluster", ctx, current, []migrations.Option{noCluster}, ""},
		{"one version missing, read-only", readonly, behind, nil, "readonly"},
		{"one version missing, unknown cluster", ctx, behind, []migrations.Option{noCluster}, "trustlens_no_such_cluster"},
		{"no database, read-only", readonly, missing, nil, "readonly"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := migrations.Apply(tc.ctx, conn, tc.db, tc.opts...)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if len(res.Applied) != 0 || res.Skipped != len(all) {
					t.Fatalf("applied %v, skipped %d; want nothing applied, %d skipped", res.Applied, res.Skipped, len(all))
				}
				return
			}
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), tc.wantErr) {
				t.Fatalf("Apply: %v; want an error naming %q", err, tc.wantErr)
			}
		})
	}
	// the database behind is still behind: nothing was recorded
	res, err := migrations.Apply(ctx, conn, behind)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Applied) != 1 || res.Applied[0] != last.Name {
		t.Errorf("catching up applied %v, want [%s]", res.Applied, last.Name)
	}
}
