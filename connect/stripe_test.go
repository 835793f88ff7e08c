package connect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

func stripeSign(secret string, t int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", t)
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyStripe(t *testing.T) {
	const secret = "whsec_test_5ecret"
	body := []byte(`{"id":"evt_1","type":"customer.created"}`)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ts := now.Unix() - 30
	good := stripeSign(secret, ts, body)
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"valid", fmt.Sprintf("t=%d,v1=%s", ts, good), true},
		{"valid among several v1 (secret rolling)", fmt.Sprintf("t=%d,v1=%s,v1=%s", ts, stripeSign("whsec_old", ts, body), good), true},
		{"with a v0 scheme", fmt.Sprintf("t=%d,v1=%s,v0=%s", ts, good, good), true},
		{"299 s in the future", fmt.Sprintf("t=%d,v1=%s", now.Unix()+299, stripeSign(secret, now.Unix()+299, body)), true},
		{"missing", "", false},
		{"forged", fmt.Sprintf("t=%d,v1=%s", ts, stripeSign("whsec_other", ts, body)), false},
		{"signature of another timestamp", fmt.Sprintf("t=%d,v1=%s", ts+1, good), false},
		{"stale (301 s)", fmt.Sprintf("t=%d,v1=%s", now.Unix()-301, stripeSign(secret, now.Unix()-301, body)), false},
		{"no timestamp", "v1=" + good, false},
		{"no v1", fmt.Sprintf("t=%d,v0=%s", ts, good), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := verifyStripe(tt.header, secret, body, now); (err == nil) != tt.ok {
				t.Errorf("verify(%q) = %v, want ok=%v", tt.header, err, tt.ok)
			}
		})
	}
}

func TestStripeMapping(t *testing.T) {
	st := stripe{secret: "x"}
	sub := string(fixture(t, "stripe_subscription_created.json"))
	deleted := strings.Replace(strings.Replace(sub, `"customer.subscription.created"`, `"customer.subscription.deleted"`, 1),
		`"reason": null`, `"reason": "cancellation_requested"`, 1)
	// price changes of the subscription fixture
	price := func(s, interval string, count int, unit int, currency string) string {
		s = strings.Replace(s, `"interval": "month", "interval_count": 1, "trial_period_days"`, fmt.Sprintf(`"interval": %q, "interval_count": %d, "trial_period_days"`, interval, count), 1)
		s = strings.Replace(s, `"unit_amount": 4900,`, fmt.Sprintf(`"unit_amount": %d,`, unit), 1)
		return strings.Replace(s, `"currency": "usd",
      "current_period_end"`, fmt.Sprintf(`"currency": %q,
      "current_period_end"`, currency), 1)
	}
	signedUp := func(mrr float64) []Event {
		return []Event{{EventID: "stripe:evt_1NG8Du2eZvKYlo2CUI79vXWy", Type: "customer.signed_up", OccurredAt: "2026-05-28T20:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", Plan: "pro_monthly", MRR: ptr(mrr)}}
	}
	credit := string(fixture(t, "stripe_credit_note_created.json"))
	promo := string(fixture(t, "stripe_promotion_code_created.json"))
	discount := string(fixture(t, "stripe_discount_created.json"))
	tests := []struct {
		name     string
		body     string
		want     []Event
		problems []string
	}{
		{"subscription created: 49.00 × 3 a month", sub, signedUp(147), nil},
		{"yearly 990.00 × 3: 247.50 a month", price(sub, "year", 1, 99000, "usd"), signedUp(247.5), nil},
		{"every 2 weeks 10.00: 10 × 52 ÷ 12 ÷ 2 × 3", price(sub, "week", 2, 1000, "usd"), signedUp(65), nil},
		{"daily 1.00 × 3: 365 ÷ 12 × 3 = 91.25", price(sub, "day", 1, 100, "usd"), signedUp(91.25), nil},
		{"zero-decimal yen: 5000 × 3 kept whole", price(sub, "month", 1, 5000, "jpy"), signedUp(15000), nil},
		{"quarterly 300.00 × 3 in three months", price(sub, "month", 3, 30000, "usd"), signedUp(300), nil},
		{"no lookup_key: the price id", strings.Replace(sub, `"lookup_key": "pro_monthly"`, `"lookup_key": null`, 1), []Event{{
			EventID: "stripe:evt_1NG8Du2eZvKYlo2CUI79vXWy", Type: "customer.signed_up", OccurredAt: "2026-05-28T20:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", Plan: "price_1MowQULkdIwHu7ixraBm864M", MRR: ptr(147.0)}}, nil},
		{"trustlens_customer_id in the metadata", strings.Replace(sub, `"latest_invoice": "in_1NG8Du2eZvKYlo2CbAVbaVCz",
      "livemode": false,
      "metadata": {}`, `"latest_invoice": "in_1NG8Du2eZvKYlo2CbAVbaVCz",
      "livemode": false,
      "metadata": {"trustlens_customer_id": "acme-corp"}`, 1), []Event{{
			EventID: "stripe:evt_1NG8Du2eZvKYlo2CUI79vXWy", Type: "customer.signed_up", OccurredAt: "2026-05-28T20:26:40Z",
			CustomerID: "acme-corp", Plan: "pro_monthly", MRR: ptr(147.0)}}, nil},
		{"subscription deleted", deleted, []Event{{EventID: "stripe:evt_1NG8Du2eZvKYlo2CUI79vXWy", Type: "customer.churned", OccurredAt: "2026-05-28T20:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", MRR: ptr(147.0), Reason: "cancellation_requested"}}, nil},
		{"bad interval", price(sub, "fortnight", 1, 100, "usd"), []Event{{EventID: "stripe:evt_1NG8Du2eZvKYlo2CUI79vXWy", Type: "customer.signed_up", OccurredAt: "2026-05-28T20:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", Plan: "pro_monthly"}}, []string{`data.object.items.data[0].price.recurring.interval: must be day, week, month or year, got "fortnight"`}},
		{"credit note: offered and redeemed", credit, []Event{
			{EventID: "stripe:evt_1MxvRsLkdIwHu7ixC4BdqF8r", Type: "customer.compensation_offered", OccurredAt: "2026-05-28T21:26:40Z",
				CustomerID: "acme-corp", IncidentID: "sp:lbkhbwn21v5q", CompensationType: "credit", Amount: ptr(10.99), Currency: "EUR"},
			{EventID: "stripe:evt_1MxvRsLkdIwHu7ixC4BdqF8r:redeemed", Type: "customer.compensation_redeemed", OccurredAt: "2026-05-28T21:26:40Z",
				CustomerID: "acme-corp", IncidentID: "sp:lbkhbwn21v5q", Amount: ptr(10.99)},
		}, nil},
		{"credit note without incident", strings.Replace(credit, `"incident_id": "sp:lbkhbwn21v5q", `, ``, 1), nil, nil},
		{"promotion code for one customer", promo, []Event{{EventID: "stripe:evt_1MiM6MLkdIwHu7ixKzJ2CkQb", Type: "customer.compensation_offered", OccurredAt: "2026-05-28T22:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", IncidentID: "pd:PGR0VU2", CompensationType: "discount", Amount: ptr(20.0), Currency: "USD"}}, nil},
		{"promotion code, percentage coupon: amount 0", strings.Replace(promo, `"amount_off": 2000,`, `"amount_off": null,`, 1), []Event{{EventID: "stripe:evt_1MiM6MLkdIwHu7ixKzJ2CkQb", Type: "customer.compensation_offered", OccurredAt: "2026-05-28T22:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", IncidentID: "pd:PGR0VU2", CompensationType: "discount", Amount: ptr(0.0)}}, nil},
		{"promotion code for anyone", strings.Replace(promo, `"customer": "cus_NffrFeUfNV2Hib"`, `"customer": null`, 1), nil, nil},
		{"promotion code not about an incident", strings.Replace(promo, `"metadata": {"incident_id": "pd:PGR0VU2"}`, `"metadata": {}`, 1), nil, nil},
		{"incident id on the promotion code itself", strings.Replace(strings.Replace(promo, `"metadata": {"incident_id": "pd:PGR0VU2"}`, `"metadata": {}`, 1),
			`"metadata": {},
      "restrictions"`, `"metadata": {"incident_id": "INC-7"},
      "restrictions"`, 1), []Event{{EventID: "stripe:evt_1MiM6MLkdIwHu7ixKzJ2CkQb", Type: "customer.compensation_offered", OccurredAt: "2026-05-28T22:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", IncidentID: "INC-7", CompensationType: "discount", Amount: ptr(20.0), Currency: "USD"}}, nil},
		{"discount applied", discount, []Event{{EventID: "stripe:evt_1MiN2zLkdIwHu7ixTLmaqTPz", Type: "customer.compensation_redeemed", OccurredAt: "2026-05-28T23:26:40Z",
			CustomerID: "cus_NffrFeUfNV2Hib", IncidentID: "pd:PGR0VU2", Amount: ptr(20.0)}}, nil},
		// trustlens_customer_id on the coupon: the offer and the redemption
		// (which carries the coupon, not the code) name the same customer
		{"promotion code, customer id on the coupon", strings.Replace(promo, `"metadata": {"incident_id": "pd:PGR0VU2"}`, `"metadata": {"incident_id": "pd:PGR0VU2", "trustlens_customer_id": "acme-corp"}`, 1),
			[]Event{{EventID: "stripe:evt_1MiM6MLkdIwHu7ixKzJ2CkQb", Type: "customer.compensation_offered", OccurredAt: "2026-05-28T22:26:40Z",
				CustomerID: "acme-corp", IncidentID: "pd:PGR0VU2", CompensationType: "discount", Amount: ptr(20.0), Currency: "USD"}}, nil},
		{"discount, customer id on the coupon", strings.Replace(discount, `"metadata": {"incident_id": "pd:PGR0VU2"}`, `"metadata": {"incident_id": "pd:PGR0VU2", "trustlens_customer_id": "acme-corp"}`, 1),
			[]Event{{EventID: "stripe:evt_1MiN2zLkdIwHu7ixTLmaqTPz", Type: "customer.compensation_redeemed", OccurredAt: "2026-05-28T23:26:40Z",
				CustomerID: "acme-corp", IncidentID: "pd:PGR0VU2", Amount: ptr(20.0)}}, nil},
		{"unmapped type", strings.Replace(sub, `"customer.subscription.created"`, `"customer.subscription.updated"`, 1), nil, nil},
		{"no customer", strings.Replace(sub, `"customer": "cus_NffrFeUfNV2Hib"`, `"customer": null`, 1), nil, []string{"data.object.customer: missing"}},
		{"no created", strings.Replace(sub, `"created": 1780000000,
  "data"`, `"data"`, 1), nil, []string{"created: missing"}},
		{"wrong shape", `{"id":"evt_1","type":"credit_note.created","created":1780000000,"data":{"object":{"total":"ten"}}}`, nil, []string{"data.object.total: must be a number, got string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMapping(t, st.mapBody([]byte(tt.body)), tt.want, tt.problems)
		})
	}
}
