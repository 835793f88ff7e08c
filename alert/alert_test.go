package alert_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/alert"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// receiver is a local webhook: it records every accepted body and refuses
// (503) the first `down` attempts.
type receiver struct {
	srv      *httptest.Server
	mu       sync.Mutex
	got      []alert.Message
	down     atomic.Int64
	attempts atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	r := &receiver{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.attempts.Add(1)
		if r.down.Add(-1) >= 0 {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		b, _ := io.ReadAll(req.Body)
		var m alert.Message
		if err := json.Unmarshal(b, &m); err != nil || req.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, m)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) messages() []alert.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]alert.Message(nil), r.got...)
}

// clock is a settable clock shared by the store and the monitors.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

var offset atomic.Int64

func insert(t *testing.T, conn driver.Conn, db string, events ...trustlens.Event) {
	t.Helper()
	var rows []ingest.Row
	for _, e := range events {
		e.EventID = e.Type + "/" + e.IncidentID + "/" + e.OccurredAt.Format(time.RFC3339) + "/" + e.Channel
		e.Extra = "{}"
		// every event twice: a redelivery changes nothing
		for range 2 {
			rows = append(rows, ingest.Row{Event: e, Position: ingest.Position{Topic: "trustlens." + string(e.Stream()), Offset: offset.Add(1)}})
		}
	}
	if err := (&ingest.Writer{Conn: conn, DB: db}).Insert(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

// lease is the claims' lease in these tests: a stopped process's claim
// is taken over this long after its last renewal.
var lease = 2 * time.Second

func monitor(t *testing.T, store alert.Source, conn driver.Conn, hook string, clk *clock, reg prometheus.Registerer) *alert.Monitor {
	t.Helper()
	m, err := alert.New(store, alert.Config{
		WebhookURL: hook, PublicURL: "https://trust.example.com/",
		Claims:     &alert.Claims{Conn: conn, Owner: alert.NewOwner(), Settle: 300 * time.Millisecond, Lease: lease},
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Registerer: reg, Now: clk.now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOverdueAlerts walks one sev1 incident (cadence target 1 h) through
// two overdue episodes with two monitors (two serve processes) sharing
// the database, and a receiver that is down for the first attempts.
func TestOverdueAlerts(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: t0.Add(30 * time.Minute)}
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(clk.now))
	insert(t, conn, db,
		trustlens.Event{Type: trustlens.TypeIncidentDetected, IncidentID: "inc-1", Severity: "sev1", Title: "Checkout down", OccurredAt: t0},
		trustlens.Event{Type: trustlens.TypeCommunicationSent, IncidentID: "inc-1", OccurredAt: t0.Add(10 * time.Minute),
			Channel: "status_page", Kind: "acknowledgement", Audience: "public"},
	)
	rcv := newReceiver(t)
	reg := prometheus.NewRegistry()
	a := monitor(t, store, conn, rcv.srv.URL, clk, reg)
	b := monitor(t, store, conn, rcv.srv.URL, clk, nil)
	both := func() {
		t.Helper()
		var wg sync.WaitGroup
		for _, m := range []*alert.Monitor{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := m.Check(ctx); err != nil {
					t.Error(err)
				}
				m.Wait()
			}()
		}
		wg.Wait()
	}

	// 10:30: silent 20 min since the acknowledgement at 10:10: nothing.
	both()
	if got := rcv.messages(); len(got) != 0 {
		t.Fatalf("alerts while the cadence is kept: %+v", got)
	}
	if v := metricValue(t, reg, "trustlens_longest_open_silence_seconds"); v != 20*60 {
		t.Errorf("longest open silence %v, want 1200", v)
	}

	// 11:15: silent 65 min > 60: the first episode. The receiver refuses
	// the first 3 attempts; both monitors look twice: one message.
	rcv.down.Store(3)
	clk.set(t0.Add(75 * time.Minute))
	both()
	both()
	got := rcv.messages()
	if len(got) != 1 {
		t.Fatalf("first episode: %d messages, want 1: %+v", len(got), got)
	}
	want := alert.Message{
		Text:       `Incident inc-1 (sev1) "Checkout down" has had no update for 1 h 5 min, past its 1 h update target; last update 3 Nov 10:10 UTC. https://trust.example.com/incidents/inc-1`,
		IncidentID: "inc-1", Title: "Checkout down", Severity: "sev1", SilenceSeconds: 65 * 60, TargetSeconds: 3600,
		LastUpdateAt: "2026-11-03T10:10:00Z", URL: "https://trust.example.com/incidents/inc-1",
	}
	if got[0] != want {
		t.Errorf("message\n got %+v\nwant %+v", got[0], want)
	}
	if n := rcv.attempts.Load(); n != 4 {
		t.Errorf("%d POST attempts, want 4 (3 refused, then accepted)", n)
	}
	if v := metricValue(t, reg, "trustlens_incidents_overdue"); v != 1 {
		t.Errorf("trustlens_incidents_overdue %v, want 1", v)
	}
	if v := metricValue(t, reg, "trustlens_longest_open_silence_seconds"); v != 65*60 {
		t.Errorf("longest open silence %v, want 3900", v)
	}

	// 11:20 an update ends the episode; 11:50 silent 30 min: nothing new.
	insert(t, conn, db, trustlens.Event{Type: trustlens.TypeCommunicationSent, IncidentID: "inc-1", OccurredAt: t0.Add(80 * time.Minute),
		Channel: "email", Kind: "update", Audience: "public"})
	clk.set(t0.Add(110 * time.Minute))
	both()
	if got := rcv.messages(); len(got) != 1 {
		t.Fatalf("after an update: %d messages, want 1", len(got))
	}
	if v := metricValue(t, reg, "trustlens_incidents_overdue"); v != 0 {
		t.Errorf("trustlens_incidents_overdue %v, want 0", v)
	}

	// 12:30: silent 70 min since 11:20: a new episode, one message.
	clk.set(t0.Add(150 * time.Minute))
	both()
	both()
	got = rcv.messages()
	if len(got) != 2 {
		t.Fatalf("second episode: %d messages, want 2: %+v", len(got), got)
	}
	if got[1].LastUpdateAt != "2026-11-03T11:20:00Z" || got[1].SilenceSeconds != 70*60 {
		t.Errorf("second message %+v", got[1])
	}

	// A third process started later finds both episodes claimed and sent.
	c := monitor(t, store, conn, rcv.srv.URL, clk, nil)
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	c.Wait()
	if got := rcv.messages(); len(got) != 2 {
		t.Errorf("a restarted process sent again: %d messages", len(got))
	}
}

// metricValue is the value of the gauge name in reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}

// TestDeadReceiverDoesNotBlock: a receiver that never answers delays
// neither Check nor the figures; the delivery ends when its context does.
func TestDeadReceiverDoesNotBlock(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: t0.Add(3 * time.Hour)}
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(clk.now))
	insert(t, conn, db, trustlens.Event{Type: trustlens.TypeIncidentDetected, IncidentID: "inc-9", Severity: "sev2", OccurredAt: t0})
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(hang)
	m := monitor(t, store, conn, srv.URL, clk, nil)
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Check(ctx); err != nil { // returns while the delivery hangs
		t.Fatal(err)
	}
	if _, err := store.Summary(context.Background(), trustlens.Filter{}); err != nil {
		t.Fatal(err)
	}
	cancel()
	m.Wait()
}

// TestStoppedSenderTakenOver: a process that claimed an episode and stops
// while the receiver is down loses its claim after the lease; another
// process, which saw the claim held before, looks again and delivers the
// alert, once.
func TestStoppedSenderTakenOver(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	clk := &clock{t: t0.Add(3 * time.Hour)}
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(clk.now))
	insert(t, conn, db, trustlens.Event{Type: trustlens.TypeIncidentDetected, IncidentID: "inc-7", Severity: "sev2", OccurredAt: t0})
	rcv := newReceiver(t)
	rcv.down.Store(1 << 40) // down until told otherwise
	a := monitor(t, store, conn, rcv.srv.URL, clk, nil)
	ctx, stopA := context.WithCancel(context.Background())
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	for rcv.attempts.Load() < 2 { // a claimed and tried
		time.Sleep(20 * time.Millisecond)
	}
	stopA() // the process stops with the alert undelivered
	a.Wait()
	rcv.down.Store(0)

	b := monitor(t, store, conn, rcv.srv.URL, clk, nil)
	if err := b.Check(context.Background()); err != nil { // within the lease: a's claim holds
		t.Fatal(err)
	}
	b.Wait()
	if n := len(rcv.messages()); n != 0 {
		t.Fatalf("%d messages while a's claim holds, want 0", n)
	}
	time.Sleep(lease + 200*time.Millisecond)
	if err := b.Check(context.Background()); err != nil { // b looks again and takes over
		t.Fatal(err)
	}
	b.Wait()
	if got := rcv.messages(); len(got) != 1 || got[0].IncidentID != "inc-7" {
		t.Fatalf("after the lease: %+v, want one message for inc-7", got)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []alert.Config{
		{WebhookURL: "ftp://x", Claims: &alert.Claims{}},
		{WebhookURL: "hooks.slack.com/x", Claims: &alert.Claims{}},
		{WebhookURL: "https://hooks.example.com/x"}, // no claims
		{PublicURL: "trust.example.com"},
	} {
		if _, err := alert.New(nil, cfg); err == nil {
			t.Errorf("%+v: no error", cfg)
		}
	}
}
