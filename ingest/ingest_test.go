package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// templates has a valid event of every type (event_id is set per use).
var templates = map[string]map[string]any{
	trustlens.TypeIncidentDetected:         {"type": trustlens.TypeIncidentDetected, "occurred_at": "2025-06-01T10:00:00Z", "incident_id": "inc-1", "severity": "sev1", "title": "DB down", "services": []string{"db"}, "regions": []string{"eu", "us"}, "source": "monitoring", "x_team": "sre"},
	trustlens.TypeIncidentStatusChanged:    {"type": trustlens.TypeIncidentStatusChanged, "occurred_at": "2025-06-01T10:10:00Z", "incident_id": "inc-1", "status": "monitoring"},
	trustlens.TypeIncidentResolved:         {"type": trustlens.TypeIncidentResolved, "occurred_at": "2025-06-01T12:00:00Z", "incident_id": "inc-1"},
	trustlens.TypeIncidentCustomerAffected: {"type": trustlens.TypeIncidentCustomerAffected, "occurred_at": "2025-06-01T10:05:00Z", "incident_id": "inc-1", "customer_id": "c-1", "segment": "smb", "mrr": 25},
	trustlens.TypeCommunicationSent:        {"type": trustlens.TypeCommunicationSent, "occurred_at": "2025-06-01T10:15:00+02:00", "incident_id": "inc-1", "channel": "status_page", "kind": "acknowledgement", "apology": true, "next_update_at": "2025-06-01T11:15:00Z", "body": "Sorry <3"},
	trustlens.TypeCustomerSignedUp:         {"type": trustlens.TypeCustomerSignedUp, "occurred_at": "2024-01-01T00:00:00Z", "customer_id": "c-1", "plan": "pro", "mrr": 25},
	trustlens.TypeCompensationOffered:      {"type": trustlens.TypeCompensationOffered, "occurred_at": "2025-06-02T10:00:00Z", "customer_id": "c-1", "incident_id": "inc-1", "compensation_type": "credit", "amount": 10},
	trustlens.TypeCompensationRedeemed:     {"type": trustlens.TypeCompensationRedeemed, "occurred_at": "2025-06-03T10:00:00Z", "customer_id": "c-1", "incident_id": "inc-1", "amount": 10},
	trustlens.TypeCustomerFollowedUp:       {"type": trustlens.TypeCustomerFollowedUp, "occurred_at": "2025-06-03T11:00:00Z", "customer_id": "c-1", "incident_id": "inc-1", "channel": "chat"},
	trustlens.TypeCustomerFeedback:         {"type": trustlens.TypeCustomerFeedback, "occurred_at": "2025-06-03T12:00:00Z", "customer_id": "c-1", "csat": 2},
	trustlens.TypeCustomerTicketOpened:     {"type": trustlens.TypeCustomerTicketOpened, "occurred_at": "2025-06-01T10:07:00Z", "customer_id": "c-1", "incident_id": "inc-1"},
	trustlens.TypeCustomerChurned:          {"type": trustlens.TypeCustomerChurned, "occurred_at": "2025-06-20T00:00:00Z", "customer_id": "c-1", "mrr": 25, "reason": "outage"},
}

// event is the template of typ with id and changes (a nil value deletes).
func event(t testing.TB, typ, id string, kv ...any) []byte {
	t.Helper()
	m := map[string]any{"event_id": id}
	for k, v := range templates[typ] {
		m[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(m, kv[i].(string))
		} else {
			m[kv[i].(string)] = kv[i+1]
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func topicOf(prefix, typ string) string { return prefix + string(trustlens.StreamOfType(typ)) }

// TestIngestMixed sends valid events of every type, duplicates and one
// message per broken rule, and checks where each one ends up.
func TestIngestMixed(t *testing.T) {
	br, prefix := startBroker(t)
	conn, db := chtest.NewDatabase(t)
	_ = db

	var msgs []message
	want := map[string]uint64{}
	n := 0
	for _, typ := range trustlens.Types() {
		for i := 0; i < 3; i++ { // three of each type
			n++
			v := event(t, typ, fmt.Sprintf("ok-%03d", n))
			msgs = append(msgs, message{topic: topicOf(prefix, typ), key: "inc-1", value: v})
			want[trustlens.StreamOfType(typ).Table()]++
			if i == 0 { // an exact duplicate, on a partition of its own choosing
				msgs = append(msgs, message{topic: topicOf(prefix, typ), key: "other", value: v})
			}
		}
	}

	type bad struct {
		topic  string
		value  []byte
		reason string // the reason must start with this
		label  string // dead-letter metric label
	}
	inc, com, cus := prefix+"incidents", prefix+"communications", prefix+"customer-responses"
	long := func(n int) string { return strings.Repeat("é", n) }
	bads := []bad{
		{inc, []byte("not json at all #1"), "not valid JSON: ", "json"},
		{com, []byte(`["an","array","#2"]`), "not a JSON object: got an array", "json"},
		{cus, []byte(`{"event_id":"#3","pad":"` + strings.Repeat("x", 70000) + `"}`), "message is 70026 bytes, more than the limit of 65536", "json"},
		{inc, []byte("{\"event_id\":\"#4\xff\"}"), "message is not valid UTF-8", "json"},
		{inc, event(t, trustlens.TypeIncidentResolved, "#5", "event_id", nil, "x", "#5"), "event_id: required field is missing", "event_id"},
		{inc, event(t, trustlens.TypeIncidentResolved, long(129)), "event_id: must be at most 128 characters, got 129", "event_id"},
		{com, event(t, trustlens.TypeIncidentResolved, "#7"), `type: "incident.resolved" does not belong on the communications topic`, "type"},
		{inc, event(t, trustlens.TypeIncidentResolved, "#8", "type", "incident.paused"), `type: unknown event type "incident.paused"`, "type"},
		{inc, event(t, trustlens.TypeIncidentResolved, "#9", "occurred_at", "yesterday"), `occurred_at: not RFC 3339: "yesterday"`, "occurred_at"},
		{inc, event(t, trustlens.TypeIncidentResolved, "#10", "occurred_at", "1999-12-31T23:59:59Z"), `occurred_at: 1999-12-31T23:59:59Z is before 2000-01-01`, "occurred_at"},
		{inc, event(t, trustlens.TypeIncidentResolved, "#11", "occurred_at", time.Now().Add(25*time.Hour).Format(time.RFC3339)), `occurred_at: `, "occurred_at"},
		{inc, event(t, trustlens.TypeIncidentDetected, "#12", "severity", nil), "severity: required field is missing", "severity"},
		{inc, event(t, trustlens.TypeIncidentDetected, "#13", "severity", "sev0"), `severity: must be one of sev1, sev2, sev3, sev4, got "sev0"`, "severity"},
		{inc, event(t, trustlens.TypeIncidentDetected, "#14", "title", long(501)), "title: must be at most 500 characters, got 501", "title"},
		{inc, event(t, trustlens.TypeIncidentStatusChanged, "#15", "status", "done"), `status: must be one of investigating, identified, monitoring, got "done"`, "status"},
		{inc, event(t, trustlens.TypeIncidentCustomerAffected, "#16", "customer_id", nil), "customer_id: required field is missing", "customer_id"},
		{inc, event(t, trustlens.TypeIncidentCustomerAffected, "#17", "mrr", -1), "mrr: must be ≥ 0, got -1", "mrr"},
		{com, event(t, trustlens.TypeCommunicationSent, "#18", "channel", "fax"), `channel: must be one of status_page, email, social, website, in_app, sms, got "fax"`, "channel"},
		{com, event(t, trustlens.TypeCommunicationSent, "#19", "kind", nil), "kind: required field is missing", "kind"},
		{com, event(t, trustlens.TypeCommunicationSent, "#20", "recipients", 1.5), "recipients: must be a whole number, got 1.5", "recipients"},
		{com, event(t, trustlens.TypeCommunicationSent, "#21", "body", long(10001)), "body: must be at most 10000 characters, got 10001", "body"},
		{com, event(t, trustlens.TypeCommunicationSent, "#22", "incident_id", nil), "incident_id: required field is missing", "incident_id"},
		{cus, event(t, trustlens.TypeCompensationOffered, "#23", "currency", "EURO"), `currency: not an ISO 4217 currency code: "EURO"`, "currency"},
		{cus, event(t, trustlens.TypeCompensationOffered, "#24", "amount", nil), "amount: required field is missing", "amount"},
		{cus, event(t, trustlens.TypeCompensationOffered, "#25", "compensation_type", "cash"), `compensation_type: must be one of credit, discount, extension, got "cash"`, "compensation_type"},
		{cus, event(t, trustlens.TypeCustomerFeedback, "#26", "csat", 3.5), "csat: must be a whole number, got 3.5", "csat"},
		{cus, event(t, trustlens.TypeCustomerFeedback, "#27", "csat", nil), "csat: a feedback event needs csat or sentiment", "csat"},
		{cus, event(t, trustlens.TypeCustomerFeedback, "#28", "sentiment", -2), "sentiment: must be between -1 and 1, got -2", "sentiment"},
		{cus, event(t, trustlens.TypeCustomerFollowedUp, "#29", "channel", "email!"), `channel: must be one of email, phone, meeting, chat, got "email!"`, "channel"},
		{cus, event(t, trustlens.TypeCustomerChurned, "#30", "customer_id", ""), "customer_id: must not be empty", "customer_id"},
	}
	for _, b := range bads {
		msgs = append(msgs, message{topic: b.topic, value: b.value})
	}
	produce(t, br.Addr(), msgs)

	reg := prometheus.NewRegistry()
	group := "g-" + prefix
	r := startIngester(t, ingest.Config{
		Brokers: []string{br.Addr()}, TopicPrefix: prefix, GroupID: group, Conn: conn,
		BatchSize: 7, FlushInterval: 50 * time.Millisecond, Logger: testLogger(t), Registerer: reg,
	})
	want["ingest_errors"] = uint64(len(bads))
	waitFor(t, 60*time.Second, "every message stored", func() (bool, string) {
		got, err := distinctCounts(t, conn)
		if err != nil {
			return false, err.Error()
		}
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("got %v, want %v", got, want)
	})
	topics := []string{inc, com, cus}
	waitFor(t, 30*time.Second, "every offset committed", func() (bool, string) { return committedAll(t, br.Addr(), group, topics) })
	if err := r.in.Ready(context.Background()); err != nil {
		t.Errorf("Ready: %v", err)
	}
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}

	// ingest_errors: one row per bad message, raw bytes kept
	ctx := context.Background()
	rows, err := conn.Query(ctx, "SELECT kafka_topic, kafka_partition, kafka_offset, reason, raw FROM ingest_errors")
	if err != nil {
		t.Fatal(err)
	}
	type pos struct {
		topic     string
		partition int32
		offset    int64
	}
	stored := map[string]pos{} // by raw value
	reasons := map[string]string{}
	for rows.Next() {
		var p pos
		var reason, raw string
		if err := rows.Scan(&p.topic, &p.partition, &p.offset, &reason, &raw); err != nil {
			t.Fatal(err)
		}
		stored[raw] = p
		reasons[raw] = reason
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, b := range bads {
		p, ok := stored[string(b.value)]
		if !ok {
			t.Errorf("bad message %.60q not in ingest_errors", b.value)
			continue
		}
		if p.topic != b.topic {
			t.Errorf("bad message %.60q stored with topic %s, want %s", b.value, p.topic, b.topic)
		}
		if !strings.HasPrefix(reasons[string(b.value)], b.reason) {
			t.Errorf("bad message %.60q: reason %q, want it to start with %q", b.value, reasons[string(b.value)], b.reason)
		}
	}

	// the dead-letter topic: original bytes and the four headers
	dl := readAll(t, br.Addr(), prefix+"dead-letter", len(bads))
	if len(dl) != len(bads) {
		t.Fatalf("%d dead letters, want %d", len(dl), len(bads))
	}
	for _, m := range dl {
		h := map[string]string{}
		for _, x := range m.Headers {
			h[x.Key] = string(x.Value)
		}
		p, ok := stored[string(m.Value)]
		if !ok {
			t.Errorf("dead letter %.60q is not one of the bad messages", m.Value)
			continue
		}
		wantH := map[string]string{"source_topic": p.topic, "source_partition": strconv.Itoa(int(p.partition)),
			"source_offset": strconv.FormatInt(p.offset, 10), "reason": reasons[string(m.Value)]}
		if fmt.Sprint(h) != fmt.Sprint(wantH) {
			t.Errorf("dead letter %.60q: headers %v, want %v", m.Value, h, wantH)
		}
	}

	// valid events stored field by field (one of them)
	var title, extra, body string
	var services []string
	if err := conn.QueryRow(ctx, "SELECT any(title), any(extra), any(services) FROM incident_events WHERE event_id = 'ok-028'").Scan(&title, &extra, &services); err != nil {
		t.Fatal(err)
	}
	if title != "DB down" || extra != `{"x_team":"sre"}` || fmt.Sprint(services) != "[db]" {
		t.Errorf("incident.detected stored as title %q, extra %q, services %v", title, extra, services)
	}
	var occurred time.Time
	if err := conn.QueryRow(ctx, "SELECT any(body), any(occurred_at) FROM communication_events WHERE event_id = 'ok-001'").Scan(&body, &occurred); err != nil {
		t.Fatal(err)
	}
	if body != "Sorry <3" || !occurred.Equal(time.Date(2025, 6, 1, 8, 15, 0, 0, time.UTC)) {
		t.Errorf("communication.sent stored as body %q, occurred_at %s", body, occurred)
	}

	// metrics
	total := float64(len(msgs))
	if got := sumMetric(t, reg, "trustlens_ingest_consumed_total", nil); got != total {
		t.Errorf("consumed_total = %v, want %v", got, total)
	}
	if got := sumMetric(t, reg, "trustlens_ingest_dead_lettered_total", nil); got != float64(len(bads)) {
		t.Errorf("dead_lettered_total = %v, want %d", got, len(bads))
	}
	for _, b := range bads {
		if got := sumMetric(t, reg, "trustlens_ingest_dead_lettered_total", map[string]string{"reason": b.label, "topic": b.topic}); got < 1 {
			t.Errorf("dead_lettered_total{topic=%q,reason=%q} = %v, want ≥ 1", b.topic, b.label, got)
		}
	}
	if got := sumMetric(t, reg, "trustlens_ingest_lag", nil); got != 0 {
		t.Errorf("lag = %v after everything was consumed, want 0", got)
	}
	if got := sumMetric(t, reg, "trustlens_ingest_batch_size", nil); got < 1 {
		t.Errorf("no batch_size observations")
	}
	if got := sumMetric(t, reg, "trustlens_ingest_inserted_total", map[string]string{"table": "ingest_errors"}); got != float64(len(bads)) {
		t.Errorf("inserted_total{table=ingest_errors} = %v, want %d", got, len(bads))
	}
}

// sumMetric adds the values of the series of name whose labels include match.
func sumMetric(t testing.TB, reg *prometheus.Registry, name string, match map[string]string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if labels[k] != v {
					continue series
				}
			}
			sum += value(m)
		}
	}
	return sum
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

// TestIngestClickHouseOutage cuts the connection to ClickHouse while
// events arrive: nothing is committed meanwhile, Ready says why, and
// everything arrives once ClickHouse is back.
func TestIngestClickHouseOutage(t *testing.T) {
	br, prefix := startBroker(t)
	direct, db := chtest.NewDatabase(t)
	px := startProxy(t, chtest.Addr())
	conn := connectVia(t, px.addr, db)
	group := "g-" + prefix
	reg := prometheus.NewRegistry()
	r := startIngester(t, ingest.Config{
		Brokers: []string{br.Addr()}, TopicPrefix: prefix, GroupID: group, Conn: conn,
		BatchSize: 100, FlushInterval: 50 * time.Millisecond, Logger: testLogger(t), Registerer: reg,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
	})
	batch := func(from, n int) []message {
		var out []message
		for i := from; i < from+n; i++ {
			out = append(out, message{topic: prefix + "incidents", key: fmt.Sprint(i % 7),
				value: event(t, trustlens.TypeIncidentResolved, fmt.Sprintf("e%05d", i), "incident_id", fmt.Sprintf("inc-%d", i%7))})
		}
		return out
	}
	produce(t, br.Addr(), batch(0, 500))
	waitFor(t, 60*time.Second, "the first 500 events", func() (bool, string) {
		got, err := distinctCounts(t, direct)
		return err == nil && got["incident_events"] == 500, fmt.Sprint(got, err)
	})
	waitFor(t, 30*time.Second, "the first commit", func() (bool, string) {
		return committedAll(t, br.Addr(), group, []string{prefix + "incidents"})
	})

	px.cut()
	produce(t, br.Addr(), batch(500, 500))
	waitFor(t, 30*time.Second, "Ready to report the outage", func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		err := r.in.Ready(ctx)
		return err != nil, fmt.Sprint(err)
	})
	waitFor(t, 30*time.Second, "three failed inserts", func() (bool, string) {
		n := sumMetric(t, reg, "trustlens_ingest_clickhouse_errors_total", nil)
		return n >= 3, fmt.Sprint(n, " errors")
	})
	// the new events must not be committed
	if ok, state := committedAll(t, br.Addr(), group, []string{prefix + "incidents"}); ok {
		t.Fatalf("offsets committed while ClickHouse is unreachable: %s", state)
	}
	px.restore()
	waitFor(t, 60*time.Second, "all 1000 events after the outage", func() (bool, string) {
		got, err := distinctCounts(t, direct)
		return err == nil && got["incident_events"] == 1000, fmt.Sprint(got, err)
	})
	waitFor(t, 30*time.Second, "every offset committed", func() (bool, string) {
		return committedAll(t, br.Addr(), group, []string{prefix + "incidents"})
	})
	waitFor(t, 30*time.Second, "Ready again", func() (bool, string) {
		err := r.in.Ready(context.Background())
		return err == nil, fmt.Sprint(err)
	})
	if err := r.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  ingest.Config
		want string
	}{
		{"no brokers", ingest.Config{}, "ingest: no Kafka brokers configured"},
		{"no connection", ingest.Config{Brokers: []string{"127.0.0.1:1"}}, "ingest: no ClickHouse connection"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ingest.New(tc.cfg)
			if err == nil || err.Error() != tc.want {
				t.Errorf("got %v, want %s", err, tc.want)
			}
		})
	}
}
