package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens/internal/chtest"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in two goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestHelpListsEveryCommand(t *testing.T) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"--help"}, envOf(nil), strings.NewReader(""), &out, io.Discard)
	if !errors.Is(err, errHelp) {
		t.Fatalf("--help returned %v", err)
	}
	for _, c := range []string{"run", "ingest", "serve", "migrate", "produce", "simulate", "broker"} {
		if !strings.Contains(out.String(), "\n  "+c+" ") {
			t.Errorf("--help does not list %q:\n%s", c, out.String())
		}
		var sub bytes.Buffer
		err := run(context.Background(), []string{c, "--help"}, envOf(nil), strings.NewReader(""), &sub, io.Discard)
		if !errors.Is(err, errHelp) {
			t.Errorf("%s --help returned %v", c, err)
		}
		if !strings.Contains(sub.String(), "Usage: trustlens "+c) {
			t.Errorf("%s --help printed no usage:\n%s", c, sub.String())
		}
	}
	var sub bytes.Buffer
	_ = run(context.Background(), []string{"serve", "--help"}, envOf(nil), strings.NewReader(""), &sub, io.Discard)
	for _, v := range []string{"TRUSTLENS_CLICKHOUSE_ADDR", "TRUSTLENS_CLICKHOUSE_DATABASE", "TRUSTLENS_HTTP_ADDR", "TRUSTLENS_AUTH_TOKEN"} {
		if !strings.Contains(sub.String(), v) {
			t.Errorf("serve --help does not mention %s", v)
		}
	}
}

func TestBadSettingsNameTheSetting(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want []string // substrings of the error
	}{
		{"unknown command", []string{"frobnicate"}, nil, []string{`unknown command "frobnicate"`}},
		{"http addr", []string{"serve"}, map[string]string{"TRUSTLENS_HTTP_ADDR": "nope"}, []string{"TRUSTLENS_HTTP_ADDR", `"nope"`}},
		{"clickhouse addr", []string{"migrate"}, map[string]string{"TRUSTLENS_CLICKHOUSE_ADDR": "host:99999"}, []string{"TRUSTLENS_CLICKHOUSE_ADDR", "host:99999"}},
		{"database", []string{"migrate"}, map[string]string{"TRUSTLENS_CLICKHOUSE_DATABASE": "a-b"}, []string{"TRUSTLENS_CLICKHOUSE_DATABASE", `"a-b"`}},
		{"batch size not a number", []string{"ingest"}, map[string]string{"TRUSTLENS_INGEST_BATCH_SIZE": "lots"}, []string{"TRUSTLENS_INGEST_BATCH_SIZE", `"lots"`}},
		{"batch size out of range", []string{"ingest", "--batch-size", "0"}, nil, []string{"--batch-size", "got 0"}},
		{"flush interval", []string{"ingest"}, map[string]string{"TRUSTLENS_INGEST_FLUSH_INTERVAL": "soon"}, []string{"TRUSTLENS_INGEST_FLUSH_INTERVAL", `"soon"`}},
		{"log level", []string{"broker"}, map[string]string{"TRUSTLENS_LOG_LEVEL": "loud"}, []string{"TRUSTLENS_LOG_LEVEL", `"loud"`}},
		{"kafka brokers", []string{"run"}, map[string]string{"TRUSTLENS_KAFKA_BROKERS": "kafka"}, []string{"TRUSTLENS_KAFKA_BROKERS", `"kafka"`}},
		{"bool", []string{"run"}, map[string]string{"TRUSTLENS_DEMO": "perhaps"}, []string{"TRUSTLENS_DEMO", `"perhaps"`}},
		{"alert webhook", []string{"serve"}, map[string]string{"TRUSTLENS_ALERT_WEBHOOK_URL": "hooks.example.com"}, []string{"TRUSTLENS_ALERT_WEBHOOK_URL", `"hooks.example.com"`}},
		{"unknown flag", []string{"serve", "--colour"}, nil, []string{"colour"}},
		{"stray argument", []string{"migrate", "now"}, nil, []string{`unexpected argument "now"`}},
		{"produce without topic", []string{"produce"}, nil, []string{"--topic is required"}},
		{"ingest without brokers", []string{"ingest"}, nil, []string{"TRUSTLENS_KAFKA_BROKERS", "required"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, tc.args, envOf(tc.env), strings.NewReader(""), io.Discard, io.Discard)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestBrokerWorksWithKcat runs `trustlens broker` and talks to it with kcat:
// list the topics, produce a message, read it back.
func TestBrokerWorksWithKcat(t *testing.T) {
	if _, err := exec.LookPath("kcat"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("kcat is not installed (apt-get install kcat)")
		}
		t.Skip("kcat is not installed")
	}
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"broker"}, envOf(map[string]string{"TRUSTLENS_EMBEDDED_KAFKA_ADDR": addr}), strings.NewReader(""), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("broker returned %v", err)
		}
	}()
	waitFor(t, "the broker", 10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	kcat := func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("kcat", append([]string{"-b", addr}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("kcat %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	list := kcat("", "-L")
	for _, topic := range []string{"trustlens.incidents", "trustlens.communications", "trustlens.customer-responses", "trustlens.dead-letter"} {
		if !strings.Contains(list, `topic "`+topic+`"`) {
			t.Errorf("kcat -L does not list %s:\n%s", topic, list)
		}
	}
	msg := fmt.Sprintf(`{"event_id":"kcat-%d","type":"incident.resolved"}`, time.Now().UnixNano())
	kcat(msg+"\n", "-P", "-t", "trustlens.incidents", "-p", "0")
	got := kcat("", "-C", "-t", "trustlens.incidents", "-p", "0", "-o", "beginning", "-c", "1", "-e", "-q")
	if strings.TrimSpace(got) != msg {
		t.Errorf("kcat read back %q, want %q", got, msg)
	}
}

// TestRunServesHealth starts `trustlens run` with the embedded broker against
// the real local ClickHouse, checks /healthz and /readyz, and stops it.
func TestRunServesHealth(t *testing.T) {
	_, db := chtest.NewDatabase(t) // a fresh database the run migrates again (no-op)
	httpAddr, kafkaAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"TRUSTLENS_CLICKHOUSE_ADDR":     chtest.Addr(),
		"TRUSTLENS_CLICKHOUSE_DATABASE": db,
		"TRUSTLENS_HTTP_ADDR":           httpAddr,
		"TRUSTLENS_EMBEDDED_KAFKA_ADDR": kafkaAddr,
		"TRUSTLENS_INGEST_GROUP":        "g-" + db,
	}
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run"}, envOf(env), strings.NewReader(""), &out, io.Discard) }()
	stopped := false
	defer func() {
		if !stopped {
			cancel()
			<-done
		}
	}()
	get := func(path string) int {
		resp, err := http.Get("http://" + httpAddr + path)
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor(t, "/healthz", 60*time.Second, func() bool { return get("/healthz") == 200 })
	waitFor(t, "/readyz", 30*time.Second, func() bool { return get("/readyz") == 200 })
	if !strings.Contains(out.String(), "http://"+httpAddr+"/") {
		t.Errorf("run did not print the dashboard URL:\n%s", out.String())
	}
	metrics := func() string {
		resp, err := http.Get("http://" + httpAddr + "/metrics")
		if err != nil {
			return ""
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	waitFor(t, "the overdue gauges on /metrics", 30*time.Second, func() bool {
		m := metrics()
		return strings.Contains(m, "\ntrustlens_incidents_overdue 0\n") && strings.Contains(m, "\ntrustlens_longest_open_silence_seconds 0\n")
	})
	cancel()
	stopped = true
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run returned %v after Ctrl-C", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("run did not stop within 30 s of cancellation")
	}
}

func TestCompressionOf(t *testing.T) {
	for _, tc := range []struct {
		setting string
		addrs   []string
		lz4     bool
	}{
		{"auto", []string{"127.0.0.1:9000"}, false},
		{"auto", []string{"localhost:9000", "[::1]:9000"}, false},
		{"auto", []string{"127.0.0.1:9000", "clickhouse:9000"}, true},
		{"auto", []string{"10.0.0.5:9000"}, true},
		{"lz4", []string{"127.0.0.1:9000"}, true},
		{"none", []string{"10.0.0.5:9000"}, false},
	} {
		got := compressionOf(tc.setting, tc.addrs)
		if (got != nil) != tc.lz4 || (got != nil && got.Method != clickhouse.CompressionLZ4) {
			t.Errorf("compressionOf(%q, %v) = %+v, want lz4 %v", tc.setting, tc.addrs, got, tc.lz4)
		}
	}
}

// startRun runs `trustlens run` in-process with env until the test ends
// (then it must stop within 30 s without an error), waits until /readyz
// answers 200 and returns the dashboard's base URL.
func startRun(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"run"}, envOf(env), strings.NewReader(""), io.Discard, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("run did not stop")
		}
	})
	base := "http://" + env["TRUSTLENS_HTTP_ADDR"]
	waitFor(t, "/readyz of "+base, 60*time.Second, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
	return base
}
