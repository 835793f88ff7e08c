package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/internal/chtest"
	"github.com/trustlens/trustlens/simulate"
)

// TestVersionsAgree (SPEC §5 "versions") runs one generated scenario
// through `trustlens run` into two ClickHouse servers, the one the suite
// uses (TRUSTLENS_CLICKHOUSE_ADDR, ClickHouse 26.x by default) and the one
// at TRUSTLENS_COMPARE_CLICKHOUSE_ADDR (Debian's 18.16 in .ci/run: `make
// test-versions`), and requires every figure of /api/v1/summary,
// /api/v1/incidents, /api/v1/cadence/overdue, /api/v1/churn,
// /api/v1/compensation and /api/v1/customers, and every ingest_errors row,
// to be identical. Skipped when no second server is named.
func TestVersionsAgree(t *testing.T) {
	other := os.Getenv("TRUSTLENS_COMPARE_CLICKHOUSE_ADDR")
	if other == "" {
		t.Skip("TRUSTLENS_COMPARE_CLICKHOUSE_ADDR is not set (make test-versions sets it)")
	}
	now := time.Date(2026, 11, 20, 15, 4, 5, 0, time.UTC)
	dir := t.TempDir()
	files, valid := versionScenario(t, dir, now)

	type answers struct {
		version string
		bodies  map[string]any
		errors  []string
	}
	results := make([]answers, 2)
	for i, addr := range []string{chtest.Addr(), other} {
		v, bodies, errs := scenarioAnswers(t, addr, now, files, valid)
		if t.Failed() {
			return
		}
		results[i] = answers{v, bodies, errs}
	}
	a, b := results[0], results[1]
	t.Logf("ClickHouse %s (%s) against ClickHouse %s (%s)", a.version, chtest.Addr(), b.version, other)
	if a.version == b.version {
		t.Logf("both servers run the same version %s: the comparison still runs", a.version)
	}
	for _, route := range sortedKeys(a.bodies) {
		if msgs := deepDiff(route, a.bodies[route], b.bodies[route]); len(msgs) > 0 {
			if len(msgs) > 20 {
				msgs = append(msgs[:20], fmt.Sprintf("… and %d more", len(msgs)-20))
			}
			t.Errorf("%s differs between ClickHouse %s and %s:\n%s", route, a.version, b.version, strings.Join(msgs, "\n"))
		}
	}
	summary, _ := a.bodies["/api/v1/summary?from=2026-07-01&to=2026-11-21"].(map[string]any)
	list, _ := a.bodies["/api/v1/incidents?limit=1000&from=2026-07-01&to=2026-11-21"].(map[string]any)
	incidents, _ := list["incidents"].([]any)
	overdue, _ := a.bodies["/api/v1/cadence/overdue"].(map[string]any)
	late, _ := overdue["overdue"].([]any)
	t.Logf("compared: summary of %v incidents (%v open), %d incident rows, %d overdue, %d ingest_errors rows",
		summary["incidents"], summary["open_incidents"], len(incidents), len(late), len(a.errors))
	if len(incidents) < 20 || len(late) != 2 {
		t.Errorf("the scenario gave %d incidents in range and %d overdue, want ≥ 20 and 2", len(incidents), len(late))
	}
	if !reflect.DeepEqual(a.errors, b.errors) {
		t.Errorf("ingest_errors differ:\n%s: %q\n%s: %q", a.version, a.errors, b.version, b.errors)
	}
	if len(a.errors) != 4 {
		t.Errorf("ingest_errors has %d rows, want the scenario's 4 bad messages: %q", len(a.errors), a.errors)
	}
}

// versionScenario writes a simulated company's history (four months, a
// few hundred customers) as one NDJSON file per topic, plus four bad
// messages, and returns the files and the valid event count per topic.
func versionScenario(t *testing.T, dir string, now time.Time) (map[string]string, map[string]uint64) {
	t.Helper()
	sink := &fileSink{buf: map[trustlens.Stream]*bytes.Buffer{}, ids: map[trustlens.Stream]map[string]bool{}}
	_, err := simulate.Run(context.Background(), simulate.Config{
		Seed: 7, History: 120 * 24 * time.Hour, Customers: 400, Now: func() time.Time { return now },
	}, sink)
	if err != nil {
		t.Fatal(err)
	}
	bad := map[trustlens.Stream][]string{
		trustlens.Incidents: {
			`{"event_id":"bad-1","type":"incident.detected","occurred_at":"yesterday","incident_id":"x","severity":"sev1"}`,
			`{"event_id":"bad-2","type":"customer.churned","occurred_at":"2026-11-01T00:00:00Z","customer_id":"c"}`,
		},
		trustlens.Communications: {
			`{"event_id":"bad-3","type":"communication.sent","occurred_at":"2026-11-01T00:00:00Z","incident_id":"x","channel":"pigeon","kind":"update"}`,
		},
		trustlens.CustomerResponses: {
			`{"event_id":"bad-4","type":"customer.feedback","occurred_at":"2026-11-01T00:00:00Z","customer_id":"c","csat":9}`,
		},
	}
	// Three incidents still open at now: two overdue (silent past their
	// cadence target), one keeping its cadence.
	at := func(d time.Duration) string { return now.Add(-d).Format(time.RFC3339) }
	for i, o := range []struct {
		sev            string
		detected, last time.Duration
	}{{"sev1", 3 * time.Hour, 2 * time.Hour}, {"sev2", 5 * time.Hour, 150 * time.Minute}, {"sev3", 2 * time.Hour, time.Hour}} {
		id := fmt.Sprintf("open-%d", i+1)
		sink.line(trustlens.Incidents, fmt.Sprintf(`{"event_id":"%s-d","type":"incident.detected","occurred_at":"%s","incident_id":"%s","severity":"%s","title":"Open incident %d"}`, id, at(o.detected), id, o.sev, i+1))
		sink.line(trustlens.Communications, fmt.Sprintf(`{"event_id":"%s-u","type":"communication.sent","occurred_at":"%s","incident_id":"%s","channel":"status_page","kind":"update","apology":true}`, id, at(o.last), id))
	}
	files, valid := map[string]string{}, map[string]uint64{}
	for _, s := range trustlens.Streams {
		buf := sink.buf[s]
		if buf == nil {
			t.Fatalf("the simulation sent nothing on %s", s)
		}
		for _, line := range bad[s] {
			buf.WriteString(line + "\n")
		}
		topic := "trustlens." + string(s)
		path := filepath.Join(dir, string(s)+".ndjson")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files[topic] = path
		valid[topic] = uint64(len(sink.ids[s]))
	}
	return files, valid
}

type fileSink struct {
	buf map[trustlens.Stream]*bytes.Buffer
	ids map[trustlens.Stream]map[string]bool
}

func (f *fileSink) line(s trustlens.Stream, v string) {
	if err := f.Send(context.Background(), s, "", []byte(v)); err != nil {
		panic(err)
	}
}

func (f *fileSink) Send(_ context.Context, s trustlens.Stream, _ string, v []byte) error {
	if f.buf[s] == nil {
		f.buf[s], f.ids[s] = &bytes.Buffer{}, map[string]bool{}
	}
	var ev struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(v, &ev); err != nil {
		return err
	}
	f.ids[s][ev.EventID] = true
	f.buf[s].Write(v)
	f.buf[s].WriteByte('\n')
	return nil
}

// scenarioAnswers runs `trustlens run` on a fresh database of the server
// at addr with the clock at now, produces the files, waits until every
// valid event and the bad ones are stored, and returns the server's
// version, the decoded answers of the three routes and the ingest_errors
// rows (topic, partition, offset, reason, raw).
func scenarioAnswers(t *testing.T, addr string, now time.Time, files map[string]string, valid map[string]uint64) (string, map[string]any, []string) {
	conn, db := chtest.NewDatabaseAt(t, addr)
	ctx := context.Background()
	var version string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&version); err != nil {
		t.Error(err)
		return "", nil, nil
	}
	httpAddr, kafkaAddr := freeAddr(t), freeAddr(t)
	env := map[string]string{
		"TRUSTLENS_CLICKHOUSE_ADDR":       addr,
		"TRUSTLENS_CLICKHOUSE_DATABASE":   db,
		"TRUSTLENS_HTTP_ADDR":             httpAddr,
		"TRUSTLENS_EMBEDDED_KAFKA_ADDR":   kafkaAddr,
		"TRUSTLENS_INGEST_GROUP":          "g-" + db,
		"TRUSTLENS_INGEST_FLUSH_INTERVAL": "200ms",
		"TRUSTLENS_CLOCK":                 now.Format(time.RFC3339),
		"TRUSTLENS_LOG_LEVEL":             "warn",
	}
	base := startRun(t, env)
	for _, topic := range sortedKeys(files) {
		err := run(ctx, []string{"produce", "--topic", topic, "--file", files[topic]},
			envOf(map[string]string{"TRUSTLENS_KAFKA_BROKERS": kafkaAddr}), strings.NewReader(""), io.Discard, io.Discard)
		if err != nil {
			t.Errorf("produce %s to %s: %v", topic, addr, err)
			return "", nil, nil
		}
	}
	tables := map[string]string{"trustlens.incidents": "incident_events", "trustlens.communications": "communication_events", "trustlens.customer-responses": "customer_events"}
	waitFor(t, "every event stored in "+addr, 120*time.Second, func() bool {
		for topic, table := range tables {
			var n uint64
			if err := conn.QueryRow(ctx, "SELECT toUInt64(uniqExact(event_id)) FROM "+table).Scan(&n); err != nil || n != valid[topic] {
				return false
			}
		}
		var bad uint64
		return conn.QueryRow(ctx, "SELECT toUInt64(count()) FROM ingest_errors").Scan(&bad) == nil && bad >= 4
	})

	// answers as of after every event was stored: the figures of a
	// snapshot taken later (the as_of time itself differs between the
	// servers, so it is checked and then left out of the comparison)
	stored := time.Now()
	waitAnswers(t, base, stored)
	rng := "from=2026-07-01&to=2026-11-21"
	bodies := map[string]any{}
	for _, route := range []string{
		"/api/v1/summary?" + rng,
		"/api/v1/summary?severity=sev1&" + rng,
		"/api/v1/incidents?limit=1000&" + rng,
		"/api/v1/cadence/overdue",
		"/api/v1/churn?" + rng,
		"/api/v1/compensation?" + rng,
		"/api/v1/customers?limit=1000&" + rng,
	} {
		var v map[string]any
		getJSON(t, base+route, &v)
		if asOf, err := time.Parse(time.RFC3339, fmt.Sprint(v["as_of"])); err != nil || asOf.Before(stored.Truncate(time.Second)) {
			t.Errorf("%s on %s: as_of %v, want a time after every event was stored (%s)", route, addr, v["as_of"], stored.Format(time.RFC3339))
		}
		delete(v, "as_of")
		bodies[route] = v
	}
	rows, err := conn.Query(ctx, `SELECT kafka_topic, toInt64(kafka_partition), toInt64(kafka_offset), reason, raw
FROM ingest_errors ORDER BY kafka_topic, kafka_partition, kafka_offset`)
	if err != nil {
		t.Error(err)
		return version, bodies, nil
	}
	defer rows.Close()
	var errs []string
	for rows.Next() {
		var topic, reason, raw string
		var part, off int64
		if err := rows.Scan(&topic, &part, &off, &reason, &raw); err != nil {
			t.Error(err)
			break
		}
		errs = append(errs, fmt.Sprintf("%s/%d/%d %s %s", topic, part, off, reason, raw))
	}
	return version, bodies, errs
}

// deepDiff lists where a and b (decoded JSON) differ, by path.
func deepDiff(path string, a, b any) []string {
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %v vs %v", path, a, b)}
		}
		var out []string
		keys := map[string]bool{}
		for k := range av {
			keys[k] = true
		}
		for k := range bv {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			out = append(out, deepDiff(path+"."+k, av[k], bv[k])...)
		}
		return out
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			return []string{fmt.Sprintf("%s: %d items vs %v", path, len(av), b)}
		}
		var out []string
		for i := range av {
			out = append(out, deepDiff(fmt.Sprintf("%s[%d]", path, i), av[i], bv[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(a, b) {
			return []string{fmt.Sprintf("%s: %v vs %v", path, a, b)}
		}
		return nil
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
