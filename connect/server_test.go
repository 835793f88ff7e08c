package connect

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/trustlens/trustlens/broker"
)

// receiver is a Server on a real embedded broker, behind a real HTTP
// listener.
type receiver struct {
	url, prefix, brokerAddr, dataDir string
	broker                           *broker.Broker
	reg                              *prometheus.Registry
}

func testLogger() *slog.Logger {
	if os.Getenv("TRUSTLENS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startReceiver(t *testing.T, cfg Config) *receiver {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	r := &receiver{prefix: "t" + hex.EncodeToString(b[:]) + ".", dataDir: t.TempDir(), reg: prometheus.NewRegistry()}
	r.start(t, "127.0.0.1:0")
	pub := NewKafkaPublisher([]string{r.brokerAddr})
	t.Cleanup(func() { _ = pub.Close() })
	cfg.TopicPrefix, cfg.Publisher, cfg.Logger, cfg.Registerer = r.prefix, pub, testLogger(), r.reg
	if cfg.Classifier == nil {
		cfg.Classifier = wordClassifier{}
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	r.url = srv.URL
	return r
}

// start starts (or restarts) the broker, persisted in dataDir.
func (r *receiver) start(t *testing.T, addr string) {
	t.Helper()
	br, err := broker.Start(broker.Config{Addr: addr, TopicPrefix: r.prefix, Partitions: 2, DataDir: r.dataDir})
	if err != nil {
		t.Fatal(err)
	}
	r.broker, r.brokerAddr = br, br.Addr()
	t.Cleanup(br.Close)
}

func (r *receiver) post(t *testing.T, path string, body []byte, header http.Header) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, r.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// count is the number of messages in a topic (the sum of its end offsets).
func (r *receiver) count(t *testing.T, stream string) int64 {
	t.Helper()
	topic := r.prefix + stream
	var n int64
	for p := 0; p < 2; p++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := kafka.DialLeader(ctx, "tcp", r.brokerAddr, topic, p)
		cancel()
		if err != nil {
			t.Fatalf("dial %s/%d: %v", topic, p, err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatalf("offset %s/%d: %v", topic, p, err)
		}
		n += last
	}
	return n
}

// read reads every message of a topic (there must be want).
func (r *receiver) read(t *testing.T, stream string, want int) []*kgo.Record {
	t.Helper()
	if n := r.count(t, stream); n != int64(want) {
		t.Fatalf("%s holds %d messages, want %d", stream, n, want)
	}
	if want == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.brokerAddr), kgo.ConsumeTopics(r.prefix+stream), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(out) < want {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("read %s: got %d of %d messages", stream, len(out), want)
		}
		fs.EachRecord(func(rec *kgo.Record) { out = append(out, rec) })
	}
	return out
}

// eventIDs are the sorted event ids of records.
func eventIDs(t *testing.T, recs []*kgo.Record) []string {
	t.Helper()
	var ids []string
	for _, rec := range recs {
		var ev struct {
			EventID string `json:"event_id"`
		}
		if err := json.Unmarshal(rec.Value, &ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev.EventID)
	}
	sort.Strings(ids)
	return ids
}

func header(rec *kgo.Record, key string) string {
	for _, h := range rec.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func pdHeader(secret string, body []byte) http.Header {
	return http.Header{"X-Pagerduty-Signature": {pdSign(secret, body)}}
}

// deliveries is the value of trustlens_connector_deliveries_total.
func deliveries(r *receiver, connector, outcome string) float64 {
	mfs, _ := r.reg.Gather()
	for _, mf := range mfs {
		if mf.GetName() != "trustlens_connector_deliveries_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["connector"] == connector && labels["outcome"] == outcome {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func TestReceivePagerDuty(t *testing.T) {
	r := startReceiver(t, Config{PagerDutySecret: "pd-secret"})
	body := fixture(t, "pagerduty_triggered.json")

	// A forged, a missing and a wrong-secret signature publish nothing.
	if code := r.post(t, "/hooks/pagerduty", body, http.Header{"X-Pagerduty-Signature": {"v1=deadbeef"}}); code != http.StatusUnauthorized {
		t.Errorf("forged: %d, want 401", code)
	}
	if code := r.post(t, "/hooks/pagerduty", body, nil); code != http.StatusUnauthorized {
		t.Errorf("unsigned: %d, want 401", code)
	}
	if code := r.post(t, "/hooks/pagerduty", body, pdHeader("other-secret", body)); code != http.StatusUnauthorized {
		t.Errorf("other secret: %d, want 401", code)
	}
	for _, s := range []string{"incidents", "communications", "webhooks", "dead-letter"} {
		r.read(t, s, 0)
	}

	// 202 once the event and the raw delivery are on the broker; a retry
	// gives the same event id.
	for i := 0; i < 2; i++ {
		if code := r.post(t, "/hooks/pagerduty", body, pdHeader("pd-secret", body)); code != http.StatusAccepted {
			t.Fatalf("delivery %d: %d, want 202", i, code)
		}
	}
	recs := r.read(t, "incidents", 2)
	if got, want := eventIDs(t, recs), []string{"pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f", "pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("event ids %q, want %q", got, want)
	}
	if string(recs[0].Key) != "pd:PGR0VU2" {
		t.Errorf("key %q, want pd:PGR0VU2", recs[0].Key)
	}
	raw := r.read(t, "webhooks", 2)
	if !bytes.Equal(raw[0].Value, body) || string(raw[0].Key) != "pagerduty" || header(raw[0], "connector") != "pagerduty" {
		t.Errorf("raw delivery: key %q, connector %q, same body %v", raw[0].Key, header(raw[0], "connector"), bytes.Equal(raw[0].Value, body))
	}
	if _, err := time.Parse(time.RFC3339Nano, header(raw[0], "received_at")); err != nil {
		t.Errorf("received_at: %v", err)
	}

	// Authentic but not JSON: 400; too large: 413; unmapped type: 202 and nothing published.
	notJSON := []byte("event=incident.triggered")
	if code := r.post(t, "/hooks/pagerduty", notJSON, pdHeader("pd-secret", notJSON)); code != http.StatusBadRequest {
		t.Errorf("not JSON: %d, want 400", code)
	}
	huge := []byte(`{"event":{"data":"` + strings.Repeat("x", MaxBodyBytes) + `"}}`)
	if code := r.post(t, "/hooks/pagerduty", huge, pdHeader("pd-secret", huge)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("too large: %d, want 413", code)
	}
	annotated := bytes.Replace(body, []byte(`"incident.triggered"`), []byte(`"incident.annotated"`), 1)
	if code := r.post(t, "/hooks/pagerduty", annotated, pdHeader("pd-secret", annotated)); code != http.StatusAccepted {
		t.Errorf("unmapped: %d, want 202", code)
	}
	r.read(t, "webhooks", 2)

	// A payload missing what the mapping needs: 202, on the dead-letter
	// topic with the reason.
	noTime := bytes.Replace(body, []byte(`"2026-10-02T18:45:22.169Z"`), []byte(`""`), 1)
	if code := r.post(t, "/hooks/pagerduty", noTime, pdHeader("pd-secret", noTime)); code != http.StatusAccepted {
		t.Errorf("unmappable: %d, want 202", code)
	}
	dl := r.read(t, "dead-letter", 1)
	if got := header(dl[0], "reason"); got != "event.occurred_at: missing" || !bytes.Equal(dl[0].Value, noTime) {
		t.Errorf("dead letter: reason %q", got)
	}
	r.read(t, "incidents", 2)
	r.read(t, "webhooks", 3)

	// Another connector is off: 404.
	if code := r.post(t, "/hooks/stripe", body, nil); code != http.StatusNotFound {
		t.Errorf("stripe off: %d, want 404", code)
	}
	for outcome, want := range map[string]float64{"unauthorized": 3, "published": 2, "bad_request": 1, "too_large": 1, "unmapped": 1, "dead_lettered": 1, "unavailable": 0} {
		if got := deliveries(r, "pagerduty", outcome); got != want {
			t.Errorf("deliveries{pagerduty,%s} = %v, want %v", outcome, got, want)
		}
	}
}

// The vendor's retry after a broker outage loses nothing: 503 while the
// broker is down, 202 once it is back.
func TestReceiveBrokerOutage(t *testing.T) {
	r := startReceiver(t, Config{StatuspageToken: "sp-token"})
	full := fixture(t, "statuspage_incident.json")
	if code := r.post(t, "/hooks/statuspage/sp-token", full, nil); code != http.StatusAccepted {
		t.Fatalf("first delivery: %d, want 202", code)
	}
	addr := r.brokerAddr
	r.broker.Close()

	resolved := bytes.Replace(full, []byte(`"incident_updates": [`), []byte(`"incident_updates": [
      {"body": "Resolved.", "created_at": "2026-05-29T17:00:00-06:00", "status": "resolved", "id": "r3s0lv3d0001"},`), 1)
	if code := r.post(t, "/hooks/statuspage/sp-token", resolved, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("broker down: %d, want 503", code)
	}
	r.start(t, addr)
	// The vendor retries.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code := r.post(t, "/hooks/statuspage/sp-token", resolved, nil)
		if code == http.StatusAccepted {
			break
		}
		if code != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("retry: %d", code)
		}
		time.Sleep(500 * time.Millisecond)
	}
	want := []string{
		"statuspage:jdy3tw5mt5r5:status", "statuspage:lbkhbwn21v5q:detected", "statuspage:qdn1d6hy2r8y:status", "statuspage:r3s0lv3d0001:status", "statuspage:tbj6bp9f4d2c:status",
	}
	got := eventIDs(t, r.read(t, "incidents", 4+5))
	if fmt.Sprint(dedupeSorted(got)) != fmt.Sprint(want) {
		t.Errorf("incident events %q, want (each at least once) %q", got, want)
	}
	comms := dedupeSorted(eventIDs(t, r.read(t, "communications", 3+4)))
	if fmt.Sprint(comms) != fmt.Sprint([]string{"statuspage:jdy3tw5mt5r5", "statuspage:qdn1d6hy2r8y", "statuspage:r3s0lv3d0001", "statuspage:tbj6bp9f4d2c"}) {
		t.Errorf("communications %q", comms)
	}
	if got := deliveries(r, "statuspage", "unavailable"); got < 1 {
		t.Errorf("deliveries{statuspage,unavailable} = %v, want ≥ 1", got)
	}
	// A wrong token publishes nothing.
	if code := r.post(t, "/hooks/statuspage/sp-tokeN", full, nil); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d, want 401", code)
	}
	r.read(t, "webhooks", 2)
}

func dedupeSorted(ids []string) []string {
	var out []string
	for i, id := range ids {
		if i == 0 || ids[i-1] != id {
			out = append(out, id)
		}
	}
	return out
}

func TestReceiveStripeAndZendesk(t *testing.T) {
	r := startReceiver(t, Config{StripeSecret: "whsec_abc", ZendeskSecret: "zd-secret"})
	now := time.Now()
	credit := fixture(t, "stripe_credit_note_created.json")
	stripeHeader := func(ts int64) http.Header {
		return http.Header{"Stripe-Signature": {fmt.Sprintf("t=%d,v1=%s", ts, stripeSign("whsec_abc", ts, credit))}}
	}
	if code := r.post(t, "/hooks/stripe", credit, stripeHeader(now.Unix()-400)); code != http.StatusUnauthorized {
		t.Errorf("stale stripe: %d, want 401", code)
	}
	if code := r.post(t, "/hooks/stripe", credit, stripeHeader(now.Unix())); code != http.StatusAccepted {
		t.Errorf("stripe: %d, want 202", code)
	}
	if got, want := eventIDs(t, r.read(t, "customer-responses", 2)), []string{"stripe:evt_1MxvRsLkdIwHu7ixC4BdqF8r", "stripe:evt_1MxvRsLkdIwHu7ixC4BdqF8r:redeemed"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("stripe events %q, want %q", got, want)
	}

	ticket := fixture(t, "zendesk_ticket_created.json")
	csat := fixture(t, "zendesk_csat.json")
	ts := now.UTC().Format(time.RFC3339)
	zdHeader := func(ts string, body []byte) http.Header {
		return http.Header{"X-Zendesk-Webhook-Signature": {zendeskSign("zd-secret", ts, body)}, "X-Zendesk-Webhook-Signature-Timestamp": {ts}}
	}
	if code := r.post(t, "/hooks/zendesk", ticket, zdHeader(ts, csat)); code != http.StatusUnauthorized {
		t.Errorf("zendesk signature of another body: %d, want 401", code)
	}
	if code := r.post(t, "/hooks/zendesk", ticket, zdHeader(ts, ticket)); code != http.StatusAccepted {
		t.Errorf("zendesk ticket: %d, want 202", code)
	}
	if code := r.post(t, "/hooks/zendesk/csat", csat, zdHeader(ts, csat)); code != http.StatusAccepted {
		t.Errorf("zendesk csat: %d, want 202", code)
	}
	got := eventIDs(t, r.read(t, "customer-responses", 4))
	if want := []string{"stripe:evt_1MxvRsLkdIwHu7ixC4BdqF8r", "stripe:evt_1MxvRsLkdIwHu7ixC4BdqF8r:redeemed", "zendesk:cbe4028c-7239-495d-b020-f22348516046", "zendesk:csat:5158:2026-05-30T09:00:00Z"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("events %q, want %q", got, want)
	}
	raw := r.read(t, "webhooks", 3)
	routes := map[string]int{}
	for _, rec := range raw {
		routes[header(rec, "connector")+" "+header(rec, "route")]++
	}
	if fmt.Sprint(routes) != "map[stripe /hooks/stripe:1 zendesk /hooks/zendesk:1 zendesk /hooks/zendesk/csat:1]" {
		t.Errorf("raw deliveries by route: %v", routes)
	}
}

// A replay maps the raw deliveries again and publishes the same event ids.
func TestReplay(t *testing.T) {
	r := startReceiver(t, Config{PagerDutySecret: "pd-secret", StatuspageToken: "sp-token"})
	pd := fixture(t, "pagerduty_triggered.json")
	if code := r.post(t, "/hooks/pagerduty", pd, pdHeader("pd-secret", pd)); code != http.StatusAccepted {
		t.Fatalf("pagerduty: %d", code)
	}
	if code := r.post(t, "/hooks/statuspage/sp-token", fixture(t, "statuspage_incident.json"), nil); code != http.StatusAccepted {
		t.Fatalf("statuspage: %d", code)
	}
	before := eventIDs(t, r.read(t, "incidents", 5))
	comms := eventIDs(t, r.read(t, "communications", 3))

	pub := NewKafkaPublisher([]string{r.brokerAddr})
	defer pub.Close()
	cfg := Config{TopicPrefix: r.prefix, Publisher: pub, Classifier: wordClassifier{}, Logger: testLogger()}
	st, err := Replay(context.Background(), []string{r.brokerAddr}, cfg, "statuspage")
	if err != nil {
		t.Fatal(err)
	}
	if st != (ReplayStats{Deliveries: 2, Events: 7, Skipped: 1}) {
		t.Errorf("statuspage replay: %+v", st)
	}
	st, err = Replay(context.Background(), []string{r.brokerAddr}, cfg, "")
	if err != nil {
		t.Fatal(err)
	}
	if st != (ReplayStats{Deliveries: 2, Events: 8}) {
		t.Errorf("full replay: %+v", st)
	}
	after := dedupeSorted(eventIDs(t, r.read(t, "incidents", 5+4+5)))
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("event ids after replays %q, want %q", after, before)
	}
	if got := dedupeSorted(eventIDs(t, r.read(t, "communications", 3+3+3))); fmt.Sprint(got) != fmt.Sprint(comms) {
		t.Errorf("communications after replays %q, want %q", got, comms)
	}
	r.read(t, "webhooks", 2) // a replay publishes no raw delivery
}
