package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens/broker"
)

func TestReceiveBadSettingsNameTheKey(t *testing.T) {
	dir := t.TempDir()
	file := func(name, yaml string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"no connector", nil, []string{"no connector configured", "TRUSTLENS_PAGERDUTY_SECRET"}},
		{"unknown key", map[string]string{"TRUSTLENS_PAGERDUTY_SECRET": "x", "TRUSTLENS_CONNECTORS_FILE": file("a.yaml", "pagerduty:\n  severty: {P1: sev1}\n")},
			[]string{"TRUSTLENS_CONNECTORS_FILE", "severty"}},
		{"bad severity", map[string]string{"TRUSTLENS_PAGERDUTY_SECRET": "x", "TRUSTLENS_CONNECTORS_FILE": file("b.yaml", "pagerduty:\n  severity: {P1: critical}\n")},
			[]string{"TRUSTLENS_CONNECTORS_FILE", "pagerduty.severity.P1", `"critical"`}},
		{"bad channel", map[string]string{"TRUSTLENS_PAGERDUTY_SECRET": "x", "TRUSTLENS_CONNECTORS_FILE": file("c.yaml", "pagerduty:\n  status_update_channel: pigeon\n")},
			[]string{"pagerduty.status_update_channel", `"pigeon"`}},
		{"bad customer key", map[string]string{"TRUSTLENS_ZENDESK_SECRET": "x", "TRUSTLENS_CONNECTORS_FILE": file("d.yaml", "zendesk:\n  customer_key: email\n")},
			[]string{"zendesk.customer_key", `"email"`}},
		{"missing file", map[string]string{"TRUSTLENS_ZENDESK_SECRET": "x", "TRUSTLENS_CONNECTORS_FILE": filepath.Join(dir, "none.yaml")},
			[]string{"TRUSTLENS_CONNECTORS_FILE", "none.yaml"}},
		{"short token", map[string]string{"TRUSTLENS_STATUSPAGE_TOKEN": "abc"}, []string{"TRUSTLENS_STATUSPAGE_TOKEN", "16"}},
		{"receive addr", map[string]string{"TRUSTLENS_STRIPE_SECRET": "x", "TRUSTLENS_RECEIVE_ADDR": "nope"}, []string{"TRUSTLENS_RECEIVE_ADDR", `"nope"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err := run(ctx, []string{"receive"}, envOf(tc.env), strings.NewReader(""), io.Discard, io.Discard)
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

// `trustlens receive` publishes a signed PagerDuty delivery and serves
// its metrics.
func TestReceiveCommand(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: "rcv.", Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	env := map[string]string{
		"TRUSTLENS_KAFKA_BROKERS": b.Addr(), "TRUSTLENS_TOPIC_PREFIX": "rcv.", "TRUSTLENS_RECEIVE_ADDR": addr,
		"TRUSTLENS_PAGERDUTY_SECRET": "pd-secret",
	}
	go func() {
		done <- run(ctx, []string{"receive"}, envOf(env), strings.NewReader(""), io.Discard, io.Discard)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("receive: %v", err)
		}
	}()
	body := []byte(`{"event":{"id":"E1","event_type":"incident.resolved","occurred_at":"2026-10-02T18:45:22Z","data":{"id":"PGR0VU2","type":"incident"}}}`)
	mac := hmac.New(sha256.New, []byte("pd-secret"))
	mac.Write(body)
	var code int
	for deadline := time.Now().Add(10 * time.Second); ; {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/hooks/pagerduty", bytes.NewReader(body))
		req.Header.Set("X-PagerDuty-Signature", "v1="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			code = resp.StatusCode
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code != http.StatusAccepted {
		t.Fatalf("delivery answered %d, want 202", code)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	if want := `trustlens_connector_deliveries_total{connector="pagerduty",outcome="published"} 1`; !strings.Contains(string(text), want) {
		t.Errorf("/metrics lacks %s", want)
	}

	var out bytes.Buffer
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	if err := run(rctx, []string{"replay-hooks"}, envOf(env), strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("replay-hooks: %v", err)
	}
	if want := "replayed 1 deliveries: 1 events published, 0 with unmappable parts, 0 skipped\n"; out.String() != want {
		t.Errorf("replay-hooks printed %q, want %q", out.String(), want)
	}
}
