package analytics_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

var sqlBlock = regexp.MustCompile("(?s)```sql\n(.*?)```")

// TestAnalystDocQueries runs every ```sql block of docs/analysts.md as the
// read-only analyst user against the conformance data: each must succeed
// and return at least one row.
func TestAnalystDocQueries(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "docs", "analysts.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := sqlBlock.FindAllStringSubmatch(string(doc), -1)
	if len(blocks) < 6 {
		t.Fatalf("docs/analysts.md has %d sql examples, want at least 6", len(blocks))
	}

	conn, db := chtest.NewDatabase(t)
	loadConformance(t, conn, db)
	w := ingest.Writer{Conn: conn, DB: db}
	if err := w.InsertErrors(context.Background(), []ingest.BadMessage{{
		Position: ingest.Position{Topic: "trustlens.incidents", Offset: 1},
		Reason:   `occurred_at: not RFC 3339: "yesterday"`,
		Raw:      []byte(`{"occurred_at":"yesterday"}`),
	}}); err != nil {
		t.Fatal(err)
	}

	analyst, err := clickhouse.Open(&clickhouse.Options{
		Addr:        strings.Split(chtest.Addr(), ","),
		Auth:        clickhouse.Auth{Database: db, Username: "analyst", Password: "analyst"},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer analyst.Close()

	for i, b := range blocks {
		q := strings.ReplaceAll(b[1], "trustlens.", db+".")
		t.Run(firstLine(b[1]), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			rows, err := analyst.Query(ctx, q)
			if err != nil {
				t.Fatalf("example %d: %v\n%s", i+1, err, b[1])
			}
			defer rows.Close()
			n := 0
			for rows.Next() {
				n++
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("example %d: %v", i+1, err)
			}
			if n == 0 {
				t.Errorf("example %d returned no rows:\n%s", i+1, b[1])
			}
		})
	}

	// the analyst user is read-only
	if err := analyst.Exec(context.Background(), "DROP TABLE "+db+".ingest_errors"); err == nil {
		t.Errorf("the analyst user could drop a table")
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}
