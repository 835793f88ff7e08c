package analytics_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
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

// TestAnalystPromiseQuery checks that the documented one-row-per-promise
// query of docs/analysts.md agrees with incident_metrics' promises_kept,
// _broken and _pending for every incident of the conformance data (both
// read the server's now()), and that the data has kept and broken promises
// for it to agree on.
func TestAnalystPromiseQuery(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	doc, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "docs", "analysts.md"))
	if err != nil {
		t.Fatal(err)
	}
	var q string
	for _, b := range sqlBlock.FindAllStringSubmatch(string(doc), -1) {
		if strings.Contains(b[1], "AS promised_for") {
			q = b[1]
		}
	}
	if q == "" {
		t.Fatal("docs/analysts.md has no promise query (one with AS promised_for)")
	}
	conn, db := chtest.NewDatabase(t)
	loadConformance(t, conn, db)
	ctx := context.Background()
	type counts struct{ kept, broken, pending uint64 }
	fromDoc := map[string]counts{}
	rows, err := conn.Query(ctx, "SELECT incident_id, countIf(status = 'kept'), countIf(status = 'broken'), countIf(status = 'pending') FROM ("+
		strings.ReplaceAll(q, "trustlens.", db+".")+") GROUP BY incident_id")
	if err != nil {
		t.Fatalf("promise query: %v", err)
	}
	var all counts
	for rows.Next() {
		var id string
		var c counts
		if err := rows.Scan(&id, &c.kept, &c.broken, &c.pending); err != nil {
			t.Fatal(err)
		}
		fromDoc[id] = c
		all.kept, all.broken, all.pending = all.kept+c.kept, all.broken+c.broken, all.pending+c.pending
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if all.kept == 0 || all.broken == 0 {
		t.Fatalf("the conformance data has %d kept and %d broken promises: nothing to compare", all.kept, all.broken)
	}
	rows, err = conn.Query(ctx, "SELECT incident_id, toUInt64(promises_kept), toUInt64(promises_broken), toUInt64(promises_pending) FROM "+db+".incident_metrics WHERE promises_made > 0")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		var id string
		var c counts
		if err := rows.Scan(&id, &c.kept, &c.broken, &c.pending); err != nil {
			t.Fatal(err)
		}
		n++
		if fromDoc[id] != c {
			t.Errorf("%s: the documented query gives kept/broken/pending %v, incident_metrics %v", id, fromDoc[id], c)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(fromDoc) {
		t.Errorf("incident_metrics has promises for %d incidents, the documented query for %d", n, len(fromDoc))
	}
	t.Logf("%d incidents with promises: %d kept, %d broken, %d pending", n, all.kept, all.broken, all.pending)

	// and promise by promise, every column, as the incident page and API
	// list them (Store.Incident's Promises, whose clock is now too)
	perDoc := map[string][]string{}
	rows, err = conn.Query(ctx, "SELECT incident_id, toInt64(promised_for), toInt64(made_at), followed, toInt64(ifNull(followed_at, toDateTime(0))), late_seconds, status FROM ("+
		strings.ReplaceAll(q, "trustlens.", db+".")+")")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, status string
		var due, made, followedAt, late int64
		var followed uint8
		if err := rows.Scan(&id, &due, &made, &followed, &followedAt, &late, &status); err != nil {
			t.Fatal(err)
		}
		if followed == 0 {
			followedAt = -1
		}
		perDoc[id] = append(perDoc[id], fmt.Sprintf("due %d made %d next %d late %d %s", due, made, followedAt, late, status))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	store := analytics.New(conn, trustlens.DefaultPolicy())
	for id, want := range perDoc {
		d, err := store.Incident(ctx, id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		var got []string
		for _, p := range d.Promises {
			next := int64(-1)
			if p.NextUpdateAt != nil {
				next = p.NextUpdateAt.Unix()
			}
			got = append(got, fmt.Sprintf("due %d made %d next %d late %d %s", p.Due.Unix(), p.MadeAt.Unix(), next, p.LateSeconds, p.Status))
		}
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: the page lists\n  %s\nthe documented query\n  %s", id, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
}
