package dashboard

import (
	"context"
	"errors"
	"net/http"
	"testing"
)

var errBoom = errors.New("boom")

func TestHealth(t *testing.T) {
	tests := []struct {
		name         string
		pingErr      error
		ready        func(context.Context) error
		healthStatus int
		readyStatus  int
		readyBody    string
	}{
		{"all well", nil, nil, 200, 200, `{"status":"ready"}`},
		{"extra check passes", nil, func(context.Context) error { return nil }, 200, 200, `{"status":"ready"}`},
		{"ClickHouse down", errors.New("dial tcp 10.1.2.3:9000: connection refused"), nil, 200, 503,
			`{"error":"not ready: ClickHouse does not answer"}`},
		{"extra check fails", nil, func(context.Context) error { return errors.New("ingest: no partition assigned") }, 200, 503,
			`{"error":"not ready: ingest: no partition assigned"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newAPIFake()
			fake.pingErr = tt.pingErr
			s := newAPIServer(t, fake, func(c *Config) { c.Ready = tt.ready; c.AuthToken = "tok" })
			if rec := apiDo(t, s, http.MethodGet, "/healthz", nil); rec.Code != tt.healthStatus {
				t.Errorf("healthz %d, want %d", rec.Code, tt.healthStatus)
			}
			rec := apiDo(t, s, http.MethodGet, "/readyz", nil)
			if rec.Code != tt.readyStatus {
				t.Fatalf("readyz %d, want %d: %s", rec.Code, tt.readyStatus, rec.Body)
			}
			assertJSON(t, rec.Body.Bytes(), tt.readyBody)
			if rec := apiDo(t, s, http.MethodHead, "/readyz", nil); rec.Code != tt.readyStatus {
				t.Errorf("HEAD /readyz %d, want %d", rec.Code, tt.readyStatus)
			}
			if rec := apiDo(t, s, http.MethodHead, "/healthz", nil); rec.Code != tt.healthStatus {
				t.Errorf("HEAD /healthz %d, want %d", rec.Code, tt.healthStatus)
			}
		})
	}
}
