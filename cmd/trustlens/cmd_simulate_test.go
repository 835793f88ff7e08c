package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/trustlens/trustlens/broker"
)

func TestSimulateToFiles(t *testing.T) {
	dir := t.TempDir()
	args := []string{"simulate", "--out", dir, "--history", "240h", "--customers", "100", "--seed", "5", "--now", "2026-06-01T00:00:00Z"}
	var first bytes.Buffer
	if err := run(context.Background(), args, envOf(nil), strings.NewReader(""), &first, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(first.String(), "wrote ") || !strings.Contains(first.String(), "trustlens.incidents") {
		t.Errorf("no summary printed:\n%s", first.String())
	}
	a, err := os.ReadFile(filepath.Join(dir, "trustlens.customer-responses.ndjson"))
	if err != nil || len(a) == 0 {
		t.Fatalf("no customer responses written: %v", err)
	}
	// The same seed and --now write the same bytes.
	var second bytes.Buffer
	if err := run(context.Background(), args, envOf(nil), strings.NewReader(""), &second, io.Discard); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir, "trustlens.customer-responses.ndjson"))
	if !bytes.Equal(a, b) || first.String() != second.String() {
		t.Error("two runs with the same --seed and --now differ")
	}
}

func TestSimulateToKafka(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: "simcmd.", Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var out bytes.Buffer
	env := envOf(map[string]string{"TRUSTLENS_EMBEDDED_KAFKA_ADDR": b.Addr(), "TRUSTLENS_TOPIC_PREFIX": "simcmd."})
	if err := run(context.Background(), []string{"simulate", "--history", "72h", "--customers", "50"}, env, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "sent ") || !strings.Contains(out.String(), "simcmd.customer-responses") {
		t.Errorf("unexpected output:\n%s", out.String())
	}
}

func TestSimulateBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"simulate", "--now", "yesterday"}, "--now: not RFC 3339"},
		{[]string{"simulate", "--now", "2026-06-01T00:00:00Z", "--live"}, "cannot be combined with --live"},
		{[]string{"simulate", "--history", "0"}, "nothing to do"},
		{[]string{"simulate", "--speed", "0"}, "--speed"},
		{[]string{"simulate", "--customers", "-5"}, "--customers"},
		{[]string{"simulate", "--history", "soon"}, "history"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			err := run(context.Background(), tc.args, envOf(nil), strings.NewReader(""), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
