// Package migrations holds the numbered ClickHouse schema migrations of
// trustlens, embedded in the binary, and the runner that applies them.
//
// Each file NNNN_name.sql is a text/template rendered with the target
// database ({{.DB}}) and then split into statements on ";" at the end of a
// line. Applied versions are recorded in {{.DB}}.schema_migrations; a
// version already recorded is skipped, so re-running changes nothing.
//
// goose v3 was the first choice, but over clickhouse-go's database/sql its
// "INSERT … VALUES" into the version table never returns on ClickHouse
// 18.16 (the native server waits for data blocks). This runner records
// versions with a batch insert that names its columns, which works on 18.16
// and 25.8 alike. Statements must be idempotent (IF NOT EXISTS), so that a
// migration interrupted half-way can simply run again.
package migrations

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

//go:embed *.sql
var files embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string // file name
	SQL     string // template text
}

var fileName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// All returns the embedded migrations in version order.
func All() ([]Migration, error) {
	entries, err := fs.ReadDir(files, ".")
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	var out []Migration
	seen := map[int]string{}
	for _, e := range entries {
		m := fileName.FindStringSubmatch(e.Name())
		if m == nil {
			return nil, fmt.Errorf("migrations: %s: file name must look like 0001_name.sql", e.Name())
		}
		v, _ := strconv.Atoi(m[1])
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations: %s and %s share version %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := files.ReadFile(e.Name())
		if err != nil {
			return nil, fmt.Errorf("migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: e.Name(), SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Params are the values a migration template may use.
type Params struct {
	DB      string // target database, already validated as an identifier
	Cluster string // ClickHouse cluster name; "" = a single server
}

// OnCluster is " ON CLUSTER <name>" in cluster mode, "" otherwise: write
// "CREATE TABLE IF NOT EXISTS {{.DB}}.t{{.OnCluster}} (…)".
func (p Params) OnCluster() string {
	if p.Cluster == "" {
		return ""
	}
	return " ON CLUSTER " + p.Cluster
}

// engine renders a MergeTree-family engine: on a single server as given
// ("ReplacingMergeTree"), in cluster mode as its Replicated variant with a
// ZooKeeper path per database and table and the {shard}/{replica} macros.
func (p Params) engine(family, table string) string {
	if p.Cluster == "" {
		return family
	}
	return fmt.Sprintf("Replicated%s('/clickhouse/tables/{shard}/%s/%s', '{replica}')", family, p.DB, table)
}

// Statements renders m and splits it into statements.
func (m Migration) Statements(p Params) ([]string, error) {
	t, err := template.New(m.Name).Option("missingkey=error").Funcs(template.FuncMap{"engine": p.engine}).Parse(m.SQL)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, p); err != nil {
		return nil, fmt.Errorf("%s: %w", m.Name, err)
	}
	var out []string
	for _, part := range regexp.MustCompile(`;\s*\n`).Split(buf.String()+"\n", -1) {
		if s := stripComments(part); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

// stripComments drops whole-line "--" comments and surrounding space.
func stripComments(s string) string {
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "--") {
			continue
		}
		lines = append(lines, l)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,63}$`)

// ValidDatabase reports whether name can be used as a database name.
func ValidDatabase(name string) bool { return identifier.MatchString(name) }

// Result says what Apply did.
type Result struct {
	Applied []string // file names applied now
	Skipped int      // already applied before
}

// Option changes how Apply works.
type Option func(*Params)

// WithCluster applies every statement ON CLUSTER name, with Replicated
// engines (SPEC §4: "replicated ClickHouse tables").
func WithCluster(name string) Option { return func(p *Params) { p.Cluster = name } }

// Apply applies every migration not yet recorded in database db, creating
// the database first if needed. conn may be connected to any database.
//
// When every migration is already recorded (the schema is current) it runs
// no DDL at all, only a read of db.schema_migrations: so processes that
// start while a replica of the cluster is down (an ON CLUSTER statement
// waits for every host) start all the same. When there is work to do and
// an ON CLUSTER statement times out (distributed_ddl_task_timeout, best
// set on conn shorter than its read timeout) the error names the hosts
// that had not run it (UnfinishedError).
func Apply(ctx context.Context, conn driver.Conn, db string, opts ...Option) (Result, error) {
	var res Result
	p := Params{DB: db}
	for _, o := range opts {
		o(&p)
	}
	if !ValidDatabase(db) {
		return res, fmt.Errorf("migrations: database name %q is not a plain identifier", db)
	}
	if p.Cluster != "" && !ValidDatabase(p.Cluster) {
		return res, fmt.Errorf("migrations: cluster name %q is not a plain identifier", p.Cluster)
	}
	all, err := All()
	if err != nil {
		return res, err
	}
	// schema current: nothing to do, and no DDL (a missing database or
	// table, or any other failure to read, goes the long way below)
	if done, err := appliedVersions(ctx, conn, db); err == nil && len(pendingOf(all, done)) == 0 {
		res.Skipped = len(all)
		return res, nil
	}
	for _, q := range []string{
		"CREATE DATABASE IF NOT EXISTS " + db + p.OnCluster(),
		"CREATE TABLE IF NOT EXISTS " + db + ".schema_migrations" + p.OnCluster() + " (version UInt32, name String, applied_at DateTime('UTC') DEFAULT now()) ENGINE = " + p.engine("ReplacingMergeTree", "schema_migrations") + " ORDER BY version",
	} {
		if err := conn.Exec(ctx, q); err != nil {
			return res, fmt.Errorf("migrations: prepare %s: %w", db, p.explain(ctx, conn, err))
		}
	}
	done, err := appliedVersions(ctx, conn, db)
	if err != nil {
		return res, err
	}
	for _, m := range all {
		if done[m.Version] {
			res.Skipped++
			continue
		}
		stmts, err := m.Statements(p)
		if err != nil {
			return res, fmt.Errorf("migrations: %w", err)
		}
		for i, s := range stmts {
			if err := conn.Exec(ctx, s); err != nil {
				return res, fmt.Errorf("migrations: %s, statement %d: %w", m.Name, i+1, p.explain(ctx, conn, err))
			}
		}
		if err := record(ctx, conn, db, m); err != nil {
			return res, err
		}
		res.Applied = append(res.Applied, m.Name)
	}
	return res, nil
}

// pendingOf is the migrations of all whose versions are not in done.
func pendingOf(all []Migration, done map[int]bool) []Migration {
	var out []Migration
	for _, m := range all {
		if !done[m.Version] {
			out = append(out, m)
		}
	}
	return out
}

func appliedVersions(ctx context.Context, conn driver.Conn, db string) (map[int]bool, error) {
	rows, err := conn.Query(ctx, "SELECT DISTINCT version FROM "+db+".schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("migrations: read versions: %w", err)
	}
	defer rows.Close()
	done := map[int]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("migrations: read versions: %w", err)
		}
		done[int(v)] = true
	}
	return done, rows.Err()
}

func record(ctx context.Context, conn driver.Conn, db string, m Migration) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+".schema_migrations (version, name, applied_at)")
	if err != nil {
		return fmt.Errorf("migrations: record %s: %w", m.Name, err)
	}
	if err := b.Append(uint32(m.Version), m.Name, time.Now().UTC()); err != nil {
		_ = b.Abort()
		return fmt.Errorf("migrations: record %s: %w", m.Name, err)
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("migrations: record %s: %w", m.Name, err)
	}
	return nil
}
