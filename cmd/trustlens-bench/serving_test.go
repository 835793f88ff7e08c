package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/trustlens/trustlens/internal/chtest"
)

// TestMeasureClients counts every answer by status.
func TestMeasureClients(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%2 == 0 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer ts.Close()
	r := measureClients(context.Background(), ts.URL, "/x", 4, 200*time.Millisecond)
	if int64(r.requests) != n.Load() || r.byStatus[200]+r.byStatus[429] != r.requests || r.non2xx() != r.byStatus[429] {
		t.Fatalf("%d requests served, result %+v", n.Load(), r)
	}
	if got, want := statusText(map[int]int{429: 2, 0: 1, 200: 7}), "error: 1, 200: 7, 429: 2"; got != want {
		t.Errorf("statusText = %q, want %q", got, want)
	}
}

// TestBulkLoad copies the generated customer events under new ids.
func TestBulkLoad(t *testing.T) {
	admin := chtest.Connect(t, "")
	_, db := chtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := loadAPIDataset(ctx, config{apiCustomers: 1000, apiComms: 100, apiIncidents: 10}, admin, db); err != nil {
		t.Fatal(err)
	}
	rows, err := bulkLoad(ctx, admin, db)
	if err != nil {
		t.Fatal(err)
	}
	var distinct uint64
	if err := admin.QueryRow(ctx, "SELECT toUInt64(uniqExact(event_id)) FROM "+db+".customer_events").Scan(&distinct); err != nil {
		t.Fatal(err)
	}
	if rows != 1000 || distinct != 2000 {
		t.Errorf("bulk load: %d rows, %d distinct events; want 1000 and 2000", rows, distinct)
	}
}
