// Package chtest gives integration tests a fresh database on the real local
// ClickHouse (TRUSTLENS_CLICKHOUSE_ADDR, default 127.0.0.1:9000), with the
// migrations applied, dropped when the test ends.
package chtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens/migrations"
)

// Addr is the ClickHouse native address the tests use.
func Addr() string {
	if a := os.Getenv("TRUSTLENS_CLICKHOUSE_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:9000"
}

// Connect opens a connection to database db ("" = default).
func Connect(t testing.TB, db string) driver.Conn {
	t.Helper()
	return ConnectAt(t, Addr(), db)
}

// ConnectAt opens a connection to database db ("" = default) of the server
// at addr (a comma-separated list allowed).
func ConnectAt(t testing.TB, addr, db string) driver.Conn {
	t.Helper()
	if db == "" {
		db = "default"
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        strings.Split(addr, ","),
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 5 * time.Second,
		ReadTimeout: 60 * time.Second,
		Logger:      nil,
	})
	if err != nil {
		t.Fatalf("chtest: open ClickHouse at %s: %v", addr, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		t.Fatalf("chtest: ClickHouse does not answer at %s (start it with scripts/clickhouse.sh start): %v", addr, err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

var nonIdent = regexp.MustCompile(`[^a-z0-9_]+`)

// NewDatabase creates a database named after the test, applies the
// migrations, and returns a connection to it with the database name. The
// database is dropped at the end unless TRUSTLENS_KEEP_TEST_DB is set.
func NewDatabase(t testing.TB) (driver.Conn, string) {
	t.Helper()
	sweepOnce.Do(func() { sweepStale(t) })
	return NewDatabaseAt(t, Addr())
}

// staleAfter is the age past which a test database on the local server is
// a leftover: a run that was killed, or whose server died under it, never
// ran its cleanup (a test run takes minutes).
const staleAfter = 6 * time.Hour

var sweepOnce sync.Once

// sweepStale drops the test databases of the local server that no table
// has been created in for staleAfter, once per test process, so that
// interrupted runs do not pile up. It keeps them when
// TRUSTLENS_KEEP_TEST_DB is set, and only ever logs a failure.
func sweepStale(t testing.TB) {
	if os.Getenv("TRUSTLENS_KEEP_TEST_DB") != "" {
		return
	}
	admin := Connect(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rows, err := admin.Query(ctx, `SELECT database FROM system.tables
WHERE substring(database, 1, 5) = 'test_'
GROUP BY database
HAVING max(metadata_modification_time) < now() - `+strconv.Itoa(int(staleAfter.Seconds())))
	if err != nil {
		t.Logf("chtest: look for leftover test databases: %v", err)
		return
	}
	var stale []string
	for rows.Next() {
		var db string
		if err := rows.Scan(&db); err != nil {
			t.Logf("chtest: look for leftover test databases: %v", err)
			break
		}
		stale = append(stale, db)
	}
	_ = rows.Close()
	dropped := 0
	for _, db := range stale {
		if !testDB.MatchString(db) { // only names NewDatabaseAt makes
			continue
		}
		if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Logf("chtest: drop leftover %s: %v", db, err)
			continue
		}
		dropped++
	}
	if dropped > 0 {
		t.Logf("chtest: dropped %d leftover test database(s) older than %s", dropped, staleAfter)
	}
}

// testDB matches the names NewDatabaseAt gives.
var testDB = regexp.MustCompile(`^test_[a-z0-9_]*_[0-9a-f]{8}$`)

// NewDatabaseAt is NewDatabase on the server at addr.
func NewDatabaseAt(t testing.TB, addr string) (driver.Conn, string) {
	t.Helper()
	admin := ConnectAt(t, addr, "")
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := nonIdent.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	db := "test_" + name + "_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := migrations.Apply(ctx, admin, db); err != nil {
		t.Fatalf("chtest: migrate %s: %v", db, err)
	}
	t.Cleanup(func() {
		if os.Getenv("TRUSTLENS_KEEP_TEST_DB") != "" {
			t.Logf("chtest: kept database %s", db)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+db)
	})
	return ConnectAt(t, addr, db), db
}

// ConformanceDir is ../shared/conformance/example beside the repository.
func ConformanceDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	dir := filepath.Join(root, "..", "shared", "conformance", "example")
	if env := os.Getenv("TRUSTLENS_CONFORMANCE_DIR"); env != "" {
		dir = env
	}
	if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
		t.Fatalf("chtest: conformance example not found at %s (set TRUSTLENS_CONFORMANCE_DIR): %v", dir, err)
	}
	return dir
}

// IsChDB says whether the server at Addr() is the local ClickHouse 26.x
// that scripts/clickhouse.sh runs from chDB's libchdb.so (clickhouse-local
// serving TCP and HTTP), which has the function chdb. That build ends its
// whole process when a native-protocol login fails, so the tests that log
// in with a wrong password on purpose run only on a real clickhouse-server.
func IsChDB(t testing.TB) bool {
	t.Helper()
	conn := Connect(t, "")
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT toUInt64(count()) FROM system.functions WHERE name = 'chdb'").Scan(&n); err != nil {
		t.Fatalf("chtest: %v", err)
	}
	return n > 0
}
