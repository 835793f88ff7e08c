// Package conformance reads the example event history of
// ../shared/conformance (events, manifest, expected figures) and loads it
// into a test database, for the tests of every package that check figures
// against it.
package conformance

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// Example is the conformance example's manifest.
type Example struct {
	Dir         string
	Now         time.Time         `json:"now"`
	ValidEvents map[string]uint64 `json:"valid_events"`
	Files       map[string]string `json:"files"` // topic → file name
	Range       struct {
		From string `json:"from"`
		To   string `json:"to"`
	} `json:"range"`
}

// Open reads the manifest of the example beside the repository.
func Open(t testing.TB) Example {
	t.Helper()
	e := Example{Dir: chtest.ConformanceDir(t)}
	ReadJSON(t, filepath.Join(e.Dir, "manifest.json"), &e)
	return e
}

// Expected decodes expected.json into v.
func (e Example) Expected(t testing.TB, v any) {
	t.Helper()
	ReadJSON(t, filepath.Join(e.Dir, "expected.json"), v)
}

// Rows decodes every line of every file, duplicate lines included, each at
// its own offset of its topic.
func (e Example) Rows(t testing.TB) []ingest.Row {
	t.Helper()
	var rows []ingest.Row
	for topic, file := range e.Files {
		s, ok := trustlens.StreamOfTopic("trustlens.", topic)
		if !ok {
			t.Fatalf("conformance: manifest names unknown topic %q", topic)
		}
		f, err := os.Open(filepath.Join(e.Dir, file))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var off int64
		for sc.Scan() {
			ev, err := trustlens.Decode(s, sc.Bytes(), e.Now)
			if err != nil {
				t.Fatalf("conformance: %s line %d: %v", file, off+1, err)
			}
			rows = append(rows, ingest.Row{Event: ev, Position: ingest.Position{Topic: topic, Offset: off}})
			off++
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// Insert stores every line of the example in database db through conn.
func (e Example) Insert(t testing.TB, conn driver.Conn, db string) {
	t.Helper()
	if err := (&ingest.Writer{Conn: conn, DB: db}).Insert(context.Background(), e.Rows(t)); err != nil {
		t.Fatalf("conformance: insert: %v", err)
	}
}

// ReadJSON decodes the JSON file at path into v.
func ReadJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
