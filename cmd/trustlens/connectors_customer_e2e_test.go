package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens/internal/chtest"
)

// vendorFixture is one of connect/testdata's vendor payloads (shaped as the
// vendor documents it), to be changed with setPath.
func vendorFixture(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "connect", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

// setPath sets the value at a dotted path of nested objects.
func setPath(m map[string]any, path string, v any) {
	keys := strings.Split(path, ".")
	for _, k := range keys[:len(keys)-1] {
		m = m[k].(map[string]any)
	}
	m[keys[len(keys)-1]] = v
}

// deepCopy copies a JSON value.
func deepCopy(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// TestEndToEndCustomerConnectors sends, through the real routes of
// `trustlens run` (receive → broker → ingest → ClickHouse → API), a
// Statuspage incident, the Stripe events of one affected customer
// (subscription created with a monthly and a yearly price, a credit note
// and a customer-restricted promotion code tagged with the incident, the
// discount applied, the subscription deleted) and Zendesk tickets and
// satisfaction ratings of an affected and an unaffected organisation.
// Which customers the incident affected comes in as ordinary events
// (`trustlens produce`): no connector says it. It checks the stored rows
// and every figure they imply, worked out by hand below; then sends
// retried, stale and forged deliveries and checks that nothing changed.
func TestEndToEndCustomerConnectors(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	// t0, the detection, 60 days ago; the dashboard's clock 40 days after
	// it, so the 30-day churn window after the resolution has passed.
	t0 := time.Now().UTC().Add(-60 * 24 * time.Hour).Truncate(time.Hour)
	clock := t0.Add(40 * 24 * time.Hour)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	ts := func(d time.Duration) string { return at(d).Format(time.RFC3339) }
	day := 24 * time.Hour
	httpAddr, kafkaAddr, hooksAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	const (
		spToken      = "e2e-statuspage-token-customer-side"
		stripeSecret = "whsec_e2e_0123456789abcdef"
		zdSecret     = "zd-e2e-secret-dGhpcyBpcyBhIHRlc3Q="
		incident     = "sp:e2echk01"
		acme         = "cus_E2EAcme0001" // Stripe customer, affected
		orgAffected  = "9001"            // Zendesk organisation, affected
		orgOther     = "9002"            // Zendesk organisation, not affected
	)
	env := map[string]string{
		"TRUSTLENS_CLICKHOUSE_ADDR":       chtest.Addr(),
		"TRUSTLENS_CLICKHOUSE_DATABASE":   db,
		"TRUSTLENS_HTTP_ADDR":             httpAddr,
		"TRUSTLENS_EMBEDDED_KAFKA_ADDR":   kafkaAddr,
		"TRUSTLENS_RECEIVE_ADDR":          hooksAddr,
		"TRUSTLENS_STATUSPAGE_TOKEN":      spToken,
		"TRUSTLENS_STRIPE_SECRET":         stripeSecret,
		"TRUSTLENS_ZENDESK_SECRET":        zdSecret,
		"TRUSTLENS_INGEST_GROUP":          "g-" + db,
		"TRUSTLENS_INGEST_FLUSH_INTERVAL": "200ms",
		"TRUSTLENS_CLOCK":                 clock.Format(time.RFC3339),
		"TRUSTLENS_LOG_LEVEL":             "warn",
	}
	base := startRun(t, env)
	post := func(path string, body []byte, header http.Header, want int) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+hooksAddr+path, bytes.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("POST %s: %d %s, want %d", path, resp.StatusCode, b, want)
		}
	}

	// Statuspage: a critical incident (sev1, cadence target 1 h) started
	// at t0, investigating at 10 min, resolved at 4 h: two update points.
	// Its id is lower case, as Statuspage's are, so that a Zendesk tag can
	// name it (Zendesk lower-cases tags).
	spBody := func() []byte {
		updates := []map[string]any{
			{"id": "e2eupd2", "incident_id": "e2echk01", "status": "resolved", "body": "This incident has been resolved.",
				"created_at": ts(4 * time.Hour), "updated_at": ts(4 * time.Hour), "display_at": ts(4 * time.Hour)},
			{"id": "e2eupd1", "incident_id": "e2echk01", "status": "investigating", "body": "Checkout is failing for some customers. We are investigating.",
				"created_at": ts(10 * time.Minute), "updated_at": ts(10 * time.Minute), "display_at": ts(10 * time.Minute)},
		}
		b, _ := json.Marshal(map[string]any{"meta": map[string]any{"unsubscribe": "", "documentation": ""}, "page": map[string]any{"id": "pge2e"},
			"incident": map[string]any{"id": "e2echk01", "name": "Checkout errors", "status": "resolved", "impact": "critical", "impact_override": nil,
				"created_at": ts(time.Minute), "started_at": ts(0), "resolved_at": ts(4 * time.Hour), "scheduled_for": nil,
				"components": []map[string]any{{"id": "cmpe2e", "name": "Checkout"}}, "incident_updates": updates,
				"postmortem_body": nil, "postmortem_published_at": nil}})
		return b
	}
	post("/hooks/statuspage/"+spToken, spBody(), nil, http.StatusAccepted)

	// The incident affected acme (the Stripe customer) and organisation
	// 9001, not 9002: ordinary events through the broker.
	var affected strings.Builder
	for i, c := range []string{acme, orgAffected} {
		fmt.Fprintf(&affected, `{"event_id":"e2e-aff-%d","type":"incident.customer_affected","occurred_at":%q,"incident_id":%q,"customer_id":%q}`+"\n",
			i, ts(time.Minute), incident, c)
	}
	affFile := filepath.Join(t.TempDir(), "affected.ndjson")
	if err := os.WriteFile(affFile, []byte(affected.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"produce", "--topic", "trustlens.incidents", "--file", affFile},
		envOf(map[string]string{"TRUSTLENS_KAFKA_BROKERS": kafkaAddr}), strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatalf("produce: %v", err)
	}

	// Stripe, signed at the real time (the 300 s tolerance is about the
	// delivery, not the event), events at their own "created".
	stripeHeader := func(body []byte, signedAt int64, secret string) http.Header {
		mac := hmac.New(sha256.New, []byte(secret))
		fmt.Fprintf(mac, "%d.", signedAt)
		mac.Write(body)
		return http.Header{"Stripe-Signature": {fmt.Sprintf("t=%d,v1=%s", signedAt, hex.EncodeToString(mac.Sum(nil)))}}
	}
	stripeBody := func(fixture, id string, d time.Duration, set map[string]any) []byte {
		ev := vendorFixture(t, fixture)
		ev["id"], ev["created"] = id, at(d).Unix()
		for p, v := range set {
			setPath(ev, p, v)
		}
		b, _ := json.Marshal(ev)
		return b
	}
	sendStripe := func(body []byte) {
		t.Helper()
		post("/hooks/stripe", body, stripeHeader(body, time.Now().Unix(), stripeSecret), http.StatusAccepted)
	}
	// The subscription: 49.00 a month × 2 and 1,200.00 a year × 1:
	// MRR 98.00 + 100.00 = 198.00; plan = the first price's lookup_key.
	sub := vendorFixture(t, "stripe_subscription_created.json")
	items := sub["data"].(map[string]any)["object"].(map[string]any)["items"].(map[string]any)
	monthly := items["data"].([]any)[0].(map[string]any)
	monthly["quantity"] = 2
	yearly := deepCopy(monthly).(map[string]any)
	yearly["id"], yearly["quantity"] = "si_E2EYearly", 1
	setPath(yearly, "price.id", "price_E2EYearly")
	setPath(yearly, "price.lookup_key", "pro_yearly")
	setPath(yearly, "price.unit_amount", 120000)
	setPath(yearly, "price.unit_amount_decimal", "120000")
	setPath(yearly, "price.recurring.interval", "year")
	setPath(yearly, "plan.interval", "year")
	setPath(yearly, "plan.amount", 120000)
	items["data"], items["total_count"] = []any{monthly, yearly}, 2
	subItems := items["data"]
	created := stripeBody("stripe_subscription_created.json", "evt_E2ESubCreated", -30*day, map[string]any{
		"data.object.customer": acme, "data.object.items.data": subItems, "data.object.items.total_count": 2,
	})
	sendStripe(created)
	// a credit note of 25.00 for the incident, 5 h after detection
	creditNote := stripeBody("stripe_credit_note_created.json", "evt_E2ECreditNote", 5*time.Hour, map[string]any{
		"data.object.customer": acme, "data.object.metadata": map[string]any{"incident_id": incident},
		"data.object.currency": "usd", "data.object.total": 2500, "data.object.subtotal": 2500, "data.object.amount": 2500,
	})
	sendStripe(creditNote)
	// a promotion code restricted to acme, its coupon (10.00 off) tagged
	// with the incident, 6 h after detection; acme applies it 2 days after
	coupon := map[string]any{"id": "E2ESORRY", "object": "coupon", "amount_off": 1000, "currency": "usd", "duration": "once",
		"metadata": map[string]any{"incident_id": incident}, "name": "Checkout outage", "percent_off": nil, "valid": true}
	sendStripe(stripeBody("stripe_promotion_code_created.json", "evt_E2EPromo", 6*time.Hour, map[string]any{
		"data.object.customer": acme, "data.object.coupon": coupon, "data.object.code": "SORRYACME",
	}))
	sendStripe(stripeBody("stripe_discount_created.json", "evt_E2EDiscount", 2*day, map[string]any{
		"data.object.customer": acme, "data.object.coupon": coupon,
	}))
	// the subscription deleted 10 days after detection
	sendStripe(stripeBody("stripe_subscription_created.json", "evt_E2ESubDeleted", 10*day, map[string]any{
		"type": "customer.subscription.deleted", "data.object.customer": acme, "data.object.items.data": subItems,
		"data.object.status": "canceled", "data.object.cancellation_details.reason": "cancellation_requested",
	}))

	// Zendesk: both webhooks signed with the same secret at the real time.
	zdHeader := func(body []byte, signedAt time.Time, secret string) http.Header {
		stamp := signedAt.UTC().Format(time.RFC3339)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(stamp))
		mac.Write(body)
		return http.Header{"X-Zendesk-Webhook-Signature": {base64.StdEncoding.EncodeToString(mac.Sum(nil))},
			"X-Zendesk-Webhook-Signature-Timestamp": {stamp}}
	}
	ticketBody := func(n int, org string, d time.Duration, tags ...string) []byte {
		ev := vendorFixture(t, "zendesk_ticket_created.json")
		id := fmt.Sprint(7000 + n)
		ev["id"], ev["subject"], ev["time"] = fmt.Sprintf("0e2e0000-0000-4000-8000-%012d", n), "zen:ticket:"+id, ts(d)
		for p, v := range map[string]any{"id": id, "organization_id": org, "tags": append([]string{"checkout"}, tags...),
			"created_at": ts(d), "updated_at": ts(d)} {
			setPath(ev, "detail."+p, v)
		}
		b, _ := json.Marshal(ev)
		return b
	}
	csatBody := func(ticket int, org, rating, tags string, d time.Duration) []byte {
		b, _ := json.Marshal(map[string]string{"ticket_id": fmt.Sprint(7000 + ticket), "organization_id": org, "requester_id": "8447388090494",
			"rating": rating, "comment": "rated " + rating, "tags": tags, "rated_at": ts(d)})
		return b
	}
	sendZD := func(path string, body []byte) {
		t.Helper()
		post(path, body, zdHeader(body, time.Now(), zdSecret), http.StatusAccepted)
	}
	tag := "incident_" + incident
	// The incident's window for untagged tickets and ratings of its
	// affected customers: [t0, resolution + 24 h = t0 + 28 h]. Update
	// point at 10 min, cadence 1 h: silent from 1 h 10 min to 4 h.
	tickets := [][]byte{
		ticketBody(1, orgAffected, 2*time.Hour, tag),             // tagged, affected, 1 h 50 min silent → incident, silent
		ticketBody(2, orgAffected, 30*time.Minute),               // untagged in the window, 20 min after the update → incident, updated
		ticketBody(3, orgAffected, 3*time.Hour),                  // untagged in the window, 2 h 50 min silent → incident, silent
		ticketBody(4, orgAffected, 3*day),                        // untagged, after the window → nothing
		ticketBody(5, orgOther, time.Hour),                       // untagged, unaffected organisation → nothing
		ticketBody(6, orgOther, 2*time.Hour+30*time.Minute, tag), // tagged, unaffected organisation → incident, silent
	}
	for _, b := range tickets {
		sendZD("/hooks/zendesk", b)
	}
	ratings := [][]byte{
		csatBody(1, orgAffected, "good", "checkout "+tag, day),      // tagged → incident: 5
		csatBody(2, orgAffected, "bad", "checkout", 5*time.Hour),    // untagged in the window → incident: 1
		csatBody(5, orgOther, "good", "checkout", 5*time.Hour),      // unaffected → baseline: 5
		csatBody(6, orgOther, "Good", "", 20*day),                   // unaffected → baseline: 5
		csatBody(3, orgAffected, "offered", "checkout "+tag, 2*day), // not a rating: 202, nothing
	}
	for _, b := range ratings {
		sendZD("/hooks/zendesk/csat", b)
	}

	// The stored customer events: each event_id's first copy.
	var (
		wantRows = []string{
			// event_id | type | customer | incident | compensation type | amount | currency | mrr | csat | reason | plan | occurred_at
			fmt.Sprintf("stripe:evt_E2ECreditNote|customer.compensation_offered|%s|%s|credit|25|USD|-|-|||%s", acme, incident, ts(5*time.Hour)),
			fmt.Sprintf("stripe:evt_E2ECreditNote:redeemed|customer.compensation_redeemed|%s|%s||25||-|-|||%s", acme, incident, ts(5*time.Hour)),
			fmt.Sprintf("stripe:evt_E2EDiscount|customer.compensation_redeemed|%s|%s||10||-|-|||%s", acme, incident, ts(2*day)),
			fmt.Sprintf("stripe:evt_E2EPromo|customer.compensation_offered|%s|%s|discount|10|USD|-|-|||%s", acme, incident, ts(6*time.Hour)),
			fmt.Sprintf("stripe:evt_E2ESubCreated|customer.signed_up|%s|||-||198|-||pro_monthly|%s", acme, ts(-30*day)),
			fmt.Sprintf("stripe:evt_E2ESubDeleted|customer.churned|%s|||-||198|-|cancellation_requested||%s", acme, ts(10*day)),
		}
		ticketAt = []time.Duration{2 * time.Hour, 30 * time.Minute, 3 * time.Hour, 3 * day, time.Hour, 2*time.Hour + 30*time.Minute}
	)
	for i, d := range ticketAt {
		org, inc := orgAffected, ""
		if i >= 4 {
			org = orgOther
		}
		if i == 0 || i == 5 {
			inc = incident
		}
		wantRows = append(wantRows, fmt.Sprintf("zendesk:0e2e0000-0000-4000-8000-%012d|customer.ticket_opened|%s|%s||-||-|-|||%s", i+1, org, inc, ts(d)))
	}
	for _, r := range []struct {
		ticket   int
		org, inc string
		csat     int
		d        time.Duration
	}{{1, orgAffected, incident, 5, day}, {2, orgAffected, "", 1, 5 * time.Hour}, {5, orgOther, "", 5, 5 * time.Hour}, {6, orgOther, "", 5, 20 * day}} {
		wantRows = append(wantRows, fmt.Sprintf("zendesk:csat:%d:%s|customer.feedback|%s|%s||-||-|%d|||%s", 7000+r.ticket, ts(r.d), r.org, r.inc, r.csat, ts(r.d)))
	}
	checkStored(t, conn, incident, wantRows)

	rng := "from=" + at(-day).Format("2006-01-02") + "&to=" + at(30*day).Format("2006-01-02")
	want := wantFigures(acme, orgAffected, incident, t0)
	waitAnswers(t, base, time.Now())
	checkFigures(t, base, rng, want)
	// the analysts' view agrees (its clock is the server's, but a resolved
	// incident's tickets and ratings do not depend on it)
	var viewTickets int64
	var viewCSAT *float64
	if err := conn.QueryRow(ctx, "SELECT tickets, csat_avg FROM incident_metrics WHERE incident_id = ?", incident).Scan(&viewTickets, &viewCSAT); err != nil {
		t.Fatal(err)
	}
	if viewTickets != 4 || viewCSAT == nil || *viewCSAT != 3 {
		t.Errorf("incident_metrics: tickets %d, csat_avg %v; want 4 and 3", viewTickets, derefFloat(viewCSAT))
	}

	// Retried, stale and forged deliveries change nothing: the retries
	// repeat event ids already stored, the others are refused (401) before
	// anything is published. Each stale or forged one would change a
	// figure if it were taken: another credit note, a tagged ticket, a bad
	// rating for the incident.
	post("/hooks/statuspage/"+spToken, spBody(), nil, http.StatusAccepted)
	sendStripe(creditNote)
	sendStripe(created)
	sendZD("/hooks/zendesk", tickets[0])
	sendZD("/hooks/zendesk/csat", ratings[0])
	moreCredit := stripeBody("stripe_credit_note_created.json", "evt_E2EStaleCredit", 7*time.Hour, map[string]any{
		"data.object.customer": acme, "data.object.metadata": map[string]any{"incident_id": incident}, "data.object.total": 9900,
	})
	post("/hooks/stripe", moreCredit, stripeHeader(moreCredit, time.Now().Unix()-301, stripeSecret), http.StatusUnauthorized)
	post("/hooks/stripe", moreCredit, stripeHeader(moreCredit, time.Now().Unix(), "whsec_forged"), http.StatusUnauthorized)
	post("/hooks/stripe", moreCredit, nil, http.StatusUnauthorized)
	moreTicket := ticketBody(9, orgAffected, time.Hour, tag)
	post("/hooks/zendesk", moreTicket, zdHeader(moreTicket, time.Now().Add(-301*time.Second), zdSecret), http.StatusUnauthorized)
	post("/hooks/zendesk", moreTicket, zdHeader(moreTicket, time.Now(), "forged"), http.StatusUnauthorized)
	badRating := csatBody(9, orgAffected, "bad", tag, 2*time.Hour)
	post("/hooks/zendesk/csat", badRating, zdHeader(badRating, time.Now().Add(-301*time.Second), zdSecret), http.StatusUnauthorized)
	post("/hooks/zendesk/csat", badRating, zdHeader(badRating, time.Now(), "forged"), http.StatusUnauthorized)
	// A last authentic rating, sent after all of them, shows when the
	// answers include everything before it: a bad rating of unaffected
	// organisation 9003, 25 days after detection: the baseline becomes
	// (5 + 5 + 1) / 3.
	sentinel := csatBody(8, "9003", "bad", "", 25*day)
	sendZD("/hooks/zendesk/csat", sentinel)
	wantRows = append(wantRows, fmt.Sprintf("zendesk:csat:7008:%s|customer.feedback|9003|||-||-|1|||%s", ts(25*day), ts(25*day)))
	checkStored(t, conn, incident, wantRows)
	waitAnswers(t, base, time.Now())
	want.summary["csat_baseline_avg"] = 11.0 / 3
	// 9003 is now a known customer, active at the resolution and not
	// affected: one more in the baseline, which churned none
	want.incident["active_baseline"] = 2.0
	want.churn["active_baseline"] = 2.0
	checkFigures(t, base, rng, want)
}

// checkStored waits until the event tables hold the incident's 5 incident
// events (detected, investigating, resolved, 2 affected) and 2
// communications, and exactly the customer events of want, then checks
// each event's first stored copy field by field, and that nothing was
// rejected by ingest.
func checkStored(t *testing.T, conn driver.Conn, incident string, want []string) {
	t.Helper()
	ctx := context.Background()
	count := func(q string) uint64 {
		var n uint64
		if err := conn.QueryRow(ctx, q).Scan(&n); err != nil {
			return 0
		}
		return n
	}
	waitFor(t, "every event stored", 90*time.Second, func() bool {
		return count("SELECT toUInt64(uniqExact(event_id)) FROM customer_events") == uint64(len(want)) &&
			count("SELECT toUInt64(uniqExact(event_id)) FROM incident_events WHERE incident_id = '"+incident+"'") == 5 &&
			count("SELECT toUInt64(uniqExact(event_id)) FROM communication_events WHERE incident_id = '"+incident+"'") == 2
	})
	rows, err := conn.Query(ctx, `SELECT event_id, type, customer_id, incident_id, compensation_type, amount, currency, mrr, csat, reason, plan, occurred_at
FROM customer_events
ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
LIMIT 1 BY event_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	opt := func(v any) string {
		switch p := v.(type) {
		case *float64:
			if p != nil {
				return fmt.Sprint(*p)
			}
		case *uint8:
			if p != nil {
				return fmt.Sprint(*p)
			}
		}
		return "-"
	}
	var got []string
	for rows.Next() {
		var (
			id, typ, cust, inc, ctype, cur, reason, plan string
			amount, mrr                                  *float64
			csat                                         *uint8
			at                                           time.Time
		)
		if err := rows.Scan(&id, &typ, &cust, &inc, &ctype, &amount, &cur, &mrr, &csat, &reason, &plan, &at); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join([]string{id, typ, cust, inc, ctype, opt(amount), cur, opt(mrr), opt(csat), reason, plan, at.UTC().Format(time.RFC3339)}, "|"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want = append([]string(nil), want...)
	sort.Strings(want)
	sort.Strings(got)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("customer_events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := count("SELECT toUInt64(count()) FROM ingest_errors"); n != 0 {
		t.Errorf("ingest_errors has %d rows, want 0", n)
	}
}

// waitAnswers waits until the API at base answers from a snapshot as of
// stored or later (the refresher builds them in the background), and
// checks that X-Trustlens-As-Of repeats each answer's as_of.
func waitAnswers(t *testing.T, base string, stored time.Time) {
	t.Helper()
	waitFor(t, "answers as of after every event was stored at "+base, 60*time.Second, func() bool {
		resp, err := http.Get(base + "/api/v1/summary")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var sum struct {
			AsOf time.Time `json:"as_of"`
		}
		if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&sum) != nil {
			return false
		}
		if h := resp.Header.Get("X-Trustlens-As-Of"); h != sum.AsOf.UTC().Format(time.RFC3339) {
			t.Errorf("X-Trustlens-As-Of %q, as_of %s", h, sum.AsOf)
		}
		return !sum.AsOf.Before(stored)
	})
}

// customerFigures are the answers TestEndToEndCustomerConnectors expects.
type customerFigures struct {
	incident, summary, churn, compensation map[string]any
	customers                              []map[string]any // in the worklist's order
}

// wantFigures works out the figures of TestEndToEndCustomerConnectors:
//
//   - the incident (sev1, cadence 1 h) runs from t0 to t0 + 4 h, with
//     update points at 10 min and at the resolution: tta 600 s, longest
//     silence 4 h − 10 min = 13 800 s; silent (past the cadence) from
//     1 h 10 min to 4 h = 10 200 s, updated the other 4 200 s;
//   - tickets: #1 (tagged, 2 h), #2 (untagged, 30 min), #3 (untagged,
//     3 h) of affected 9001 and #6 (tagged, 2 h 30) of unaffected 9002 = 4;
//     #4 (after the window) and #5 (untagged, unaffected) count nowhere.
//     Silent when opened more than 1 h after the last update point (10
//     min): #1, #3, #6 silent, #2 updated: 3 ÷ (10 200 s / 3600) =
//     1.0588… tickets an hour silent, 1 ÷ (4 200 s / 3600) = 0.857… updated;
//   - ratings: good (5, tagged) and bad (1, untagged, in the window) of
//     9001 → csat_avg (5 + 1) ÷ 2 = 3; 9002's two good ones are the
//     baseline: 5; "offered" is no rating;
//   - compensation: a credit of 25.00 (offered and redeemed at once) and a
//     discount of 10.00 (offered, then applied): acme offered and
//     redeemed, 35.00 each way; 1 of 2 affected offered ≥ 50 % → the
//     compensate habit is met;
//   - churn (window 30 days after t0 + 4 h, passed at the clock t0 + 40
//     days): affected acme (signed up t0 − 30 days, churned t0 + 10 days)
//     and 9001 active at the resolution, acme churned: 1 of 2 = 0.5;
//     baseline 9002 (known from its tickets), active, not churned: 0 of 1;
//     uplift 100 × (0.5 − 0) = 50 points;
//   - does compensation pay: compensated acme churned (1 of 1), the
//     uncompensated 9001 did not (0 of 1); acme's MRR 49.00 × 2 + 1 200.00
//     ÷ 12 = 198.00 (its sign-up; the churn's MRR is not the customer's
//     MRR): (0 − 1) × 198 ÷ 35 retained per unit offered;
//   - the worklist: acme (MRR 198) before 9001 (no MRR); neither followed
//     up, 7 days after the resolution long past: one follow-up missed each.
func wantFigures(acme, org, incident string, t0 time.Time) customerFigures {
	ts := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }
	silent, updated := 3/(10200.0/3600), 1/(4200.0/3600)
	return customerFigures{
		incident: map[string]any{
			"incident_id": incident, "severity": "sev1", "status": "resolved", "title": "Checkout errors",
			"detected_at": ts(0), "resolved_at": ts(4 * time.Hour),
			"tta_seconds": 600.0, "updates": 2.0, "max_silence_seconds": 13800.0,
			"affected": 2.0, "compensation_offered": 1.0, "compensation_redeemed": 1.0, "followed_up": 0.0,
			"active_affected": 2.0, "churned_affected": 1.0, "active_baseline": 1.0, "churned_baseline": 0.0,
			"tickets": 4.0, "csat_avg": 3.0,
			"habits": map[string]any{"act_swiftly": "met", "communicate_proactively": "missed", "compensate": "met", "follow_up": "missed"},
		},
		summary: map[string]any{
			"incidents": 1.0, "open_incidents": 0.0, "tta_median_seconds": 600.0,
			"compensation_offered_customers": 1.0, "compensation_redeemed_customers": 1.0, "compensation_uptake_rate": 1.0,
			"compensation_offered_amount": 35.0, "compensation_redeemed_amount": 35.0,
			"churn_affected_rate": 0.5, "churn_baseline_rate": 0.0, "churn_uplift_pp": 50.0,
			"tickets_per_incident": 4.0, "csat_affected_avg": 3.0, "csat_baseline_avg": 5.0,
			"tickets_per_hour_silent": silent, "tickets_per_hour_updated": updated,
		},
		churn: map[string]any{
			"churn_window_days": 30.0, "pending_incidents": 0.0, "incidents": 1.0,
			"active_affected": 2.0, "churned_affected": 1.0, "active_baseline": 1.0, "churned_baseline": 0.0,
			"affected_rate": 0.5, "baseline_rate": 0.0, "uplift_pp": 50.0,
			"compensated_active": 1.0, "compensated_churned": 1.0, "uncompensated_active": 1.0, "uncompensated_churned": 0.0,
			"churn_compensated_rate": 1.0, "churn_uncompensated_rate": 0.0,
			"compensated_mrr": 198.0, "compensated_offered_amount": 35.0, "retained_mrr_per_amount": -198.0 / 35,
		},
		compensation: map[string]any{
			"offered_customers": 1.0, "redeemed_customers": 1.0, "offered_amount": 35.0, "redeemed_amount": 35.0, "uptake_rate": 1.0,
		},
		customers: []map[string]any{
			{"customer_id": acme, "mrr": 198.0, "incidents": 1.0, "incident_ids": []any{incident}, "open_incidents": 0.0,
				"followed_up": 0.0, "follow_up_due": 0.0, "follow_up_missed": 1.0,
				"compensation_offered": 1.0, "compensation_redeemed": 1.0, "tickets": 0.0, "csat_avg": nil, "churned_at": ts(10 * 24 * time.Hour)},
			// tickets #1, #2, #3; ratings 5 and 1
			{"customer_id": org, "mrr": nil, "incidents": 1.0, "incident_ids": []any{incident}, "open_incidents": 0.0,
				"followed_up": 0.0, "follow_up_due": 0.0, "follow_up_missed": 1.0,
				"compensation_offered": 0.0, "compensation_redeemed": 0.0, "tickets": 3.0, "csat_avg": 3.0, "churned_at": nil},
		},
	}
}

// checkFigures compares the answers of /api/v1/incidents, summary, churn,
// compensation and customers over rng with want.
func checkFigures(t *testing.T, base, rng string, want customerFigures) {
	t.Helper()
	var incs struct {
		Incidents []map[string]any `json:"incidents"`
	}
	getJSON(t, base+"/api/v1/incidents?limit=100&"+rng, &incs)
	if len(incs.Incidents) != 1 {
		t.Fatalf("incidents: %d, want 1: %v", len(incs.Incidents), incs.Incidents)
	}
	compareFields(t, "incident", want.incident, incs.Incidents[0])
	for path, w := range map[string]map[string]any{"summary": want.summary, "churn": want.churn, "compensation": want.compensation} {
		var got map[string]any
		getJSON(t, base+"/api/v1/"+path+"?"+rng, &got)
		compareFields(t, path, w, got)
	}
	var custs struct {
		Customers []map[string]any `json:"customers"`
		Total     float64          `json:"total"`
	}
	getJSON(t, base+"/api/v1/customers?limit=100&"+rng, &custs)
	if int(custs.Total) != len(want.customers) || len(custs.Customers) != len(want.customers) {
		t.Fatalf("customers: total %v, rows %v; want %d", custs.Total, custs.Customers, len(want.customers))
	}
	for i, w := range want.customers {
		compareFields(t, fmt.Sprintf("customers[%d]", i), w, custs.Customers[i])
	}
}

func derefFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
