package dashboard

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

func TestMiddlewareSecurityHeaders(t *testing.T) {
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	}
	s := newAPIServer(t, newAPIFake(), nil)
	authed := authServer(t, nil)
	tests := []struct {
		name   string
		s      *Server
		method string
		target string
		status int
	}{
		{"healthz", s, "GET", "/healthz", 200},
		{"API", s, "GET", "/api/v1/summary", 200},
		{"CSV", s, "GET", "/api/v1/incidents?format=csv", 200},
		{"bad parameter", s, "GET", "/api/v1/summary?severity=x", 400},
		{"API not found", s, "GET", "/api/v1/incidents/nope", 404},
		{"no route", s, "GET", "/api/v2/x", 404},
		{"method not allowed", s, "DELETE", "/api/v1/summary", 405},
		{"unauthorized", authed, "GET", "/api/v1/summary", 401},
		{"login redirect", authed, "GET", "/audit", 303},
		{"login form", authed, "GET", "/login", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := apiDo(t, tt.s, tt.method, tt.target, nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestMiddlewareRequestID(t *testing.T) {
	s := newAPIServer(t, newAPIFake(), nil)
	tests := []struct {
		name, in string
		keep     bool
	}{
		{"kept", "req-1.2:3_x", true},
		{"absent", "", false},
		{"spaces replaced", "bad id", false},
		{"newline replaced", "a\nb", false},
		{"too long replaced", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.in != "" {
				hdr = []string{"X-Request-ID", tt.in}
			}
			got := apiDo(t, s, "GET", "/healthz", nil, hdr...).Header().Get("X-Request-ID")
			switch {
			case tt.keep && got != tt.in:
				t.Errorf("X-Request-ID %q, want %q", got, tt.in)
			case !tt.keep && (len(got) != 24 || !saneRequestID(got)):
				t.Errorf("X-Request-ID %q, want a fresh 24-hex id", got)
			}
		})
	}
}

// TestMiddlewareLogging checks the request log line and that every line of
// a request carries its id.
func TestMiddlewareLogging(t *testing.T) {
	var logs bytes.Buffer
	fake := newAPIFake()
	s := newAPIServer(t, fake, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	apiDo(t, s, "GET", "/api/v1/incidents/inc-1?format=json", nil, "X-Request-ID", "log-1")
	fake.err = errBoom
	apiDo(t, s, "GET", "/api/v1/summary", nil, "X-Request-ID", "log-2")

	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line not JSON: %q", l)
		}
		if m["request_id"] != "log-1" && m["request_id"] != "log-2" {
			t.Errorf("log line without the request id: %q", l)
		}
		lines = append(lines, m)
	}
	find := func(id, msg string) map[string]any {
		for _, m := range lines {
			if m["request_id"] == id && m["msg"] == msg {
				return m
			}
		}
		t.Fatalf("no %q line for %s in\n%s", msg, id, logs.String())
		return nil
	}
	first := find("log-1", "http request")
	for k, v := range map[string]any{"level": "INFO", "method": "GET", "path": "/api/v1/incidents/inc-1",
		"route": "/api/v1/incidents/:id", "status": float64(200)} {
		if first[k] != v {
			t.Errorf("request line %s = %v, want %v", k, first[k], v)
		}
	}
	if find("log-2", "http request")["status"] != float64(500) {
		t.Errorf("status of the failed request not logged as 500")
	}
	if e := find("log-2", "dashboard: request failed"); !strings.Contains(e["error"].(string), "boom") {
		t.Errorf("the cause is not logged: %v", e)
	}
}

func TestMiddlewarePanic(t *testing.T) {
	fake := newAPIFake()
	fake.panicMsg = "nil map write"
	s := newAPIServer(t, fake, nil)
	rec := apiDo(t, s, "GET", "/api/v1/summary", nil, "X-Request-ID", "p-1")
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	assertJSON(t, rec.Body.Bytes(), `{"error":"internal error (request id p-1)"}`)
	fake.panicMsg = ""
	if rec := apiDo(t, s, "GET", "/api/v1/summary", nil); rec.Code != http.StatusOK {
		t.Fatalf("after a panic: status %d, want 200", rec.Code)
	}
}

// blockingFake makes Summary wait until released.
func blockingFake() *apiFake {
	f := newAPIFake()
	f.block = make(chan struct{})
	f.started = make(chan struct{}, 16)
	return f
}

func TestMiddlewareConcurrencyLimit(t *testing.T) {
	t.Run("shed at once when every slot is busy", func(t *testing.T) {
		fake := blockingFake()
		s := newAPIServer(t, fake, func(c *Config) { c.MaxConcurrent = 1; c.QueueWait = -1 })
		var wg sync.WaitGroup
		var first int
		wg.Add(1)
		go func() { defer wg.Done(); first = apiDo(t, s, "GET", "/api/v1/summary", nil).Code }()
		<-fake.started

		rec := apiDo(t, s, "GET", "/api/v1/churn", nil)
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
			t.Fatalf("saturated: status %d Retry-After %q, want 429 and 1", rec.Code, rec.Header().Get("Retry-After"))
		}
		assertJSON(t, rec.Body.Bytes(), `{"error":"too many requests at once; retry in a second"}`)
		if rec := apiDo(t, s, "GET", "/healthz", nil); rec.Code != http.StatusOK {
			t.Errorf("healthz while saturated: %d", rec.Code)
		}
		if rec := apiDo(t, s, "GET", "/readyz", nil); rec.Code != http.StatusOK {
			t.Errorf("readyz while saturated: %d", rec.Code)
		}

		close(fake.block)
		wg.Wait()
		if first != http.StatusOK {
			t.Errorf("the running request got %d", first)
		}
		if rec := apiDo(t, s, "GET", "/api/v1/churn", nil); rec.Code != http.StatusOK {
			t.Errorf("after release: %d", rec.Code)
		}
	})
	t.Run("wait in the queue, shed when it is full", func(t *testing.T) {
		fake := blockingFake()
		s := newAPIServer(t, fake, func(c *Config) { c.MaxConcurrent = 1; c.MaxQueued = 1; c.QueueWait = time.Hour })
		var wg sync.WaitGroup
		codes := make([]int, 2)
		wg.Add(1)
		go func() { defer wg.Done(); codes[0] = apiDo(t, s, "GET", "/api/v1/summary", nil).Code }()
		<-fake.started
		wg.Add(1)
		go func() { defer wg.Done(); codes[1] = apiDo(t, s, "GET", "/api/v1/summary", nil).Code }()
		for len(s.waiting) == 0 { // the second request is queued
			time.Sleep(time.Millisecond)
		}
		if rec := apiDo(t, s, "GET", "/api/v1/churn", nil); rec.Code != http.StatusTooManyRequests {
			t.Errorf("queue full: status %d, want 429", rec.Code)
		}
		close(fake.block)
		wg.Wait()
		if codes[0] != 200 || codes[1] != 200 {
			t.Errorf("running and queued requests got %v, want 200s", codes)
		}
	})
	t.Run("shed when the wait runs out", func(t *testing.T) {
		fake := blockingFake()
		s := newAPIServer(t, fake, func(c *Config) { c.MaxConcurrent = 1; c.QueueWait = time.Millisecond })
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); apiDo(t, s, "GET", "/api/v1/summary", nil) }()
		<-fake.started
		if rec := apiDo(t, s, "GET", "/api/v1/churn", nil); rec.Code != http.StatusTooManyRequests {
			t.Errorf("status %d, want 429", rec.Code)
		}
		close(fake.block)
		wg.Wait()
	})
}

func TestMiddlewareMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := newAPIServer(t, newAPIFake(), func(c *Config) { c.Registerer, c.Gatherer = reg, reg })
	newAPIServer(t, newAPIFake(), func(c *Config) { c.Registerer = reg }) // a second server on the same registry
	apiDo(t, s, "GET", "/api/v1/incidents/inc-1", nil)
	apiDo(t, s, "GET", "/api/v1/incidents/inc-1?format=csv", nil)
	apiDo(t, s, "GET", "/api/v1/incidents/nope", nil)
	apiDo(t, s, "GET", "/api/v1/nothing/at/all", nil)
	apiDo(t, s, "BREW", "/api/v1/summary", nil)

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]uint64{}
	for _, mf := range mfs {
		if mf.GetName() != "trustlens_http_request_duration_seconds" {
			continue
		}
		for _, m := range mf.GetMetric() {
			got[labelString(m)] = m.GetHistogram().GetSampleCount()
		}
	}
	want := map[string]uint64{
		"GET /api/v1/incidents/:id 200": 2,
		"GET /api/v1/incidents/:id 404": 1,
		"GET unmatched 404":             1,
		"other /api/v1/summary 405":     1,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("count of %q = %d, want %d (all: %v)", k, got[k], v, got)
		}
	}
	rec := apiDo(t, s, "GET", "/metrics", nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `trustlens_http_request_duration_seconds_count{method="GET",route="/api/v1/incidents/:id",status="200"} 2`) {
		t.Errorf("/metrics: %d\n%s", rec.Code, rec.Body)
	}
	if rec := apiDo(t, newAPIServer(t, newAPIFake(), nil), "GET", "/metrics", nil); rec.Code != http.StatusNotFound {
		t.Errorf("/metrics without a Gatherer: status %d, want 404", rec.Code)
	}
}

func labelString(m *dto.Metric) string {
	l := map[string]string{}
	for _, p := range m.GetLabel() {
		l[p.GetName()] = p.GetValue()
	}
	return l["method"] + " " + l["route"] + " " + l["status"]
}

// TestMiddlewareManyClients: 200 concurrent clients over real HTTP with the
// default limits get no error (SPEC §5 "web").
func TestMiddlewareManyClients(t *testing.T) {
	s := newAPIServer(t, newAPIFake(), nil)
	ts := httptest.NewServer(s.Handler())
	defer ts.Close()
	client := ts.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 200
	targets := []string{"/api/v1/summary", "/api/v1/incidents?format=csv", "/api/v1/churn", "/api/v1/trends?metric=incidents"}
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := map[int]int{}
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 5; j++ {
				res, err := client.Get(ts.URL + targets[(i+j)%len(targets)])
				code := -1
				if err == nil {
					code = res.StatusCode
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
				if code != http.StatusOK {
					mu.Lock()
					failures[code]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("failed requests by status: %v", failures)
	}
}
