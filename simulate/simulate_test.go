package simulate_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/simulate"
)

// fixedNow anchors every test history.
var fixedNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

const halfYear = 180 * 24 * time.Hour

type sent struct {
	stream trustlens.Stream
	key    string
	value  []byte
}

// collector is a Sink that keeps everything in memory.
type collector struct {
	mu     sync.Mutex
	events []sent
}

func (c *collector) Send(_ context.Context, s trustlens.Stream, key string, value []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, sent{s, key, append([]byte(nil), value...)})
	return nil
}

func (c *collector) snapshot() []sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]sent(nil), c.events...)
}

func history(t *testing.T, cfg simulate.Config) ([]sent, simulate.Stats) {
	t.Helper()
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	c := &collector{}
	st, err := simulate.Run(context.Background(), cfg, c)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return c.events, st
}

// TestHistoryEventsAreValid checks every event of a half-year history
// against SPEC §1 (trustlens.Decode), the uniqueness of event ids, the
// keys, the time order and that every event type occurs.
func TestHistoryEventsAreValid(t *testing.T) {
	evs, st := history(t, simulate.Config{Seed: 1, History: halfYear})
	if int64(len(evs)) != st.Events || st.History != st.Events {
		t.Fatalf("stats say %d events (%d history), sink got %d", st.Events, st.History, len(evs))
	}
	ids := map[string]bool{}
	types := map[string]int64{}
	var last time.Time
	start := fixedNow.Add(-halfYear)
	for i, e := range evs {
		ev, err := trustlens.Decode(e.stream, e.value, fixedNow)
		if err != nil {
			t.Fatalf("event %d does not validate: %v\n%s", i, err, e.value)
		}
		if ids[ev.EventID] {
			t.Fatalf("event %d: duplicate event_id %s", i, ev.EventID)
		}
		ids[ev.EventID] = true
		types[ev.Type]++
		want := ev.IncidentID
		if want == "" {
			want = ev.CustomerID
		}
		if e.key != want {
			t.Errorf("event %d (%s): key %q, want %q", i, ev.Type, e.key, want)
		}
		if ev.OccurredAt.Before(last) {
			t.Fatalf("event %d at %s comes after one at %s", i, ev.OccurredAt, last)
		}
		last = ev.OccurredAt
		if ev.OccurredAt.Before(start) || !ev.OccurredAt.Before(fixedNow) {
			t.Fatalf("event %d at %s is outside the history [%s, %s)", i, ev.OccurredAt, start, fixedNow)
		}
		if ev.Extra != "{}" && ev.Type != trustlens.TypeCustomerSignedUp {
			t.Errorf("event %d (%s) has unknown fields %s", i, ev.Type, ev.Extra)
		}
	}
	for _, typ := range trustlens.Types() {
		if types[typ] == 0 {
			t.Errorf("no %s event in the history", typ)
		}
		if types[typ] != st.ByType[typ] {
			t.Errorf("%s: stats say %d, sink got %d", typ, st.ByType[typ], types[typ])
		}
	}
	// Sanity of the size: a few incidents a week, the customer base grows.
	weeks := halfYear.Hours() / (24 * 7)
	if perWeek := float64(st.Incidents) / weeks; perWeek < 1.5 || perWeek > 6 {
		t.Errorf("%.1f incidents per week, want a few", perWeek)
	}
	if st.Customers < 2000 || st.Customers > 3000 {
		t.Errorf("%d customers signed up, want 2000 at the start plus some growth", st.Customers)
	}
	t.Logf("%d events, %d incidents, %d customers, %d churned; by type %v", st.Events, st.Incidents, st.Customers, st.Churned, st.ByType)
}

func digest(evs []sent) [32]byte {
	h := sha256.New()
	for _, e := range evs {
		h.Write([]byte(e.stream))
		h.Write([]byte{0})
		h.Write([]byte(e.key))
		h.Write([]byte{0})
		h.Write(e.value)
		h.Write([]byte{'\n'})
	}
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

func TestSameSeedSameBytes(t *testing.T) {
	cfg := simulate.Config{Seed: 42, History: 60 * 24 * time.Hour, Customers: 500}
	a, _ := history(t, cfg)
	b, _ := history(t, cfg)
	if len(a) != len(b) || digest(a) != digest(b) {
		t.Fatalf("two runs with seed 42 differ: %d and %d events", len(a), len(b))
	}
	cfg.Seed = 43
	c, _ := history(t, cfg)
	if digest(a) == digest(c) {
		t.Fatal("seeds 42 and 43 gave the same events")
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  simulate.Config
		sink simulate.Sink
		want string
	}{
		{"no sink", simulate.Config{}, nil, "no sink"},
		{"negative history", simulate.Config{History: -time.Hour}, &collector{}, "history must not be negative"},
		{"negative customers", simulate.Config{Customers: -1}, &collector{}, "customers must not be negative"},
		{"NaN speed", simulate.Config{Speed: math.NaN()}, &collector{}, "speed must be a positive number"},
		{"before 2000", simulate.Config{History: 40 * 365 * 24 * time.Hour, Now: func() time.Time { return fixedNow }}, &collector{}, "before 2000-01-01"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := simulate.Run(context.Background(), tc.cfg, tc.sink)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// fastClock runs 3600 times faster than the wall clock from fixedNow.
func fastClock() func() time.Time {
	began := time.Now()
	return func() time.Time { return fixedNow.Add(time.Since(began) * 3600) }
}

// TestLiveStartsWithIncidentsInProgress runs live mode for about two
// simulated hours: at the start an incident must be open, and one open
// sev1 must be past its update cadence target (60 min); events then keep
// coming, each no later than the clock.
func TestLiveStartsWithIncidentsInProgress(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := fastClock()
	c := &collector{}
	var historyEvents int64 = -1
	done := make(chan error, 1)
	var st simulate.Stats
	go func() {
		var err error
		st, err = simulate.Run(ctx, simulate.Config{
			Seed: 7, History: 10 * 24 * time.Hour, Customers: 300, Live: true, Speed: 30, Now: clock,
			HistorySent: func(s simulate.Stats) { historyEvents = s.Events },
		}, c)
		done <- err
	}()
	// The live part starts right after the history; wait until the clock
	// has passed the forced sev1's resolution (165 min after it began,
	// 65 min after the start), with room for the 200 ms polling.
	deadline := time.Now().Add(20 * time.Second)
	for clock().Before(fixedNow.Add(100*time.Minute)) && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("live Run returned %v, want nil when the context ends", err)
	}
	evs := c.snapshot()
	if historyEvents <= 0 || int64(len(evs)) <= historyEvents {
		t.Fatalf("history sent %d events, %d in all: nothing live", historyEvents, len(evs))
	}
	type inc struct {
		sev                string
		detected, resolved time.Time
		points             []time.Time
	}
	incs := map[string]*inc{}
	for i, e := range evs {
		ev, err := trustlens.Decode(e.stream, e.value, fixedNow.Add(3*time.Hour))
		if err != nil {
			t.Fatalf("event %d does not validate: %v", i, err)
		}
		if i >= int(historyEvents) && ev.OccurredAt.Before(fixedNow) {
			t.Errorf("live event %d at %s is before the start of live", i, ev.OccurredAt)
		}
		if ev.IncidentID == "" {
			continue
		}
		in := incs[ev.IncidentID]
		if in == nil {
			in = &inc{}
			incs[ev.IncidentID] = in
		}
		switch {
		case ev.Type == trustlens.TypeIncidentDetected:
			in.sev, in.detected = ev.Severity, ev.OccurredAt
		case ev.Type == trustlens.TypeIncidentResolved:
			in.resolved = ev.OccurredAt
		case ev.Type == trustlens.TypeCommunicationSent && ev.Kind != "postmortem":
			in.points = append(in.points, ev.OccurredAt)
		}
	}
	open, overdue := 0, 0
	for _, in := range incs {
		if in.detected.IsZero() || !in.detected.Before(fixedNow) || (!in.resolved.IsZero() && in.resolved.Before(fixedNow)) {
			continue
		}
		open++
		last := in.detected
		for _, p := range in.points {
			if p.Before(fixedNow) && p.After(last) {
				last = p
			}
		}
		if in.sev == "sev1" && fixedNow.Sub(last) > time.Hour {
			overdue++
			if in.resolved.IsZero() {
				t.Errorf("the overdue sev1 was not resolved within the live run")
			}
		}
	}
	if open < 2 || overdue < 1 {
		t.Errorf("at the start of live: %d open incidents (want ≥ 2), %d overdue sev1 (want ≥ 1)", open, overdue)
	}
	t.Logf("live: %d events after %d of history, stats %d", len(evs)-int(historyEvents), historyEvents, st.Events)
}

func TestFileSink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	fs, err := simulate.NewFileSink(dir, "trustlens.")
	if err != nil {
		t.Fatal(err)
	}
	st, err := simulate.Run(context.Background(), simulate.Config{Seed: 3, History: 20 * 24 * time.Hour, Customers: 200,
		Now: func() time.Time { return fixedNow }}, fs)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range trustlens.Streams {
		p := filepath.Join(dir, "trustlens."+string(s)+".ndjson")
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		var n int64
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<16), trustlens.MaxMessageBytes)
		for sc.Scan() {
			if _, err := trustlens.Decode(s, sc.Bytes(), fixedNow); err != nil {
				t.Fatalf("%s line %d: %v", p, n+1, err)
			}
			n++
		}
		f.Close()
		if n != st.ByStream[s] || n == 0 {
			t.Errorf("%s: %d lines, stats say %d", p, n, st.ByStream[s])
		}
	}
}

// failingSink fails after n events.
type failingSink struct{ n int }

func (f *failingSink) Send(context.Context, trustlens.Stream, string, []byte) error {
	f.n--
	if f.n < 0 {
		return errors.New("disk full")
	}
	return nil
}

func TestSinkErrorStopsRun(t *testing.T) {
	_, err := simulate.Run(context.Background(), simulate.Config{Seed: 1, History: 24 * time.Hour, Customers: 50,
		Now: func() time.Time { return fixedNow }}, &failingSink{n: 10})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("got %v, want the sink's error", err)
	}
}

// decodeAll decodes raw events (a helper for the ClickHouse tests).
func decodeAll(t *testing.T, evs []sent) []trustlens.Event {
	t.Helper()
	out := make([]trustlens.Event, 0, len(evs))
	for i, e := range evs {
		ev, err := trustlens.Decode(e.stream, e.value, fixedNow)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		out = append(out, ev)
	}
	return out
}

var _ = bytes.Equal
var _ = json.Marshal
