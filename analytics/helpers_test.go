package analytics_test

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

// loadConformance inserts every line of the conformance example (duplicate
// lines included, each at its own Kafka offset) into the database of conn.
func loadConformance(t *testing.T, conn driver.Conn, db string) (now time.Time, expected map[string]json.RawMessage) {
	t.Helper()
	dir := chtest.ConformanceDir(t)
	var manifest struct {
		Now   time.Time         `json:"now"`
		Files map[string]string `json:"files"`
	}
	readJSON(t, filepath.Join(dir, "manifest.json"), &manifest)
	readJSON(t, filepath.Join(dir, "expected.json"), &expected)
	var rows []ingest.Row
	for topic, file := range manifest.Files {
		s, ok := trustlens.StreamOfTopic("trustlens.", topic)
		if !ok {
			t.Fatalf("manifest: unknown topic %q", topic)
		}
		f, err := os.Open(filepath.Join(dir, file))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var off int64
		for sc.Scan() {
			ev, err := trustlens.Decode(s, sc.Bytes(), manifest.Now)
			if err != nil {
				t.Fatalf("%s line %d: %v", file, off+1, err)
			}
			rows = append(rows, ingest.Row{Event: ev, Position: ingest.Position{Topic: topic, Partition: 0, Offset: off}})
			off++
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	w := ingest.Writer{Conn: conn, DB: db}
	if err := w.Insert(context.Background(), rows); err != nil {
		t.Fatalf("insert conformance events: %v", err)
	}
	return manifest.Now, expected
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
