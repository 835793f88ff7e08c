package connect

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// stripe is the Stripe connector (SPEC §6.3). The signature is checked
// here rather than with stripe-go's webhook.ConstructEvent, which also
// refuses events of another API version than the library's.
type stripe struct {
	secret string
}

// stripeTolerance is how far the signed timestamp may be from now.
const stripeTolerance = 300 * time.Second

func (s stripe) verify(c echo.Context, body []byte, now time.Time) error {
	return verifyStripe(c.Request().Header.Get("Stripe-Signature"), s.secret, body, now)
}

// verifyStripe checks "t=<unix>,v1=<hex>[,v1=…]": one v1 is the hex
// HMAC-SHA256 of "<t>.<body>" keyed with the whsec_… secret as is, and t
// is within 300 s of now.
func verifyStripe(header, secret string, body []byte, now time.Time) error {
	if header == "" {
		return errors.New("Stripe-Signature: missing")
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("Stripe-Signature: t is missing or not Unix seconds")
	}
	if len(sigs) == 0 {
		return errors.New("Stripe-Signature: no v1 signature")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	want := []byte(hex.EncodeToString(mac.Sum(nil)))
	matched := false
	for _, sig := range sigs {
		if hmac.Equal([]byte(strings.ToLower(sig)), want) {
			matched = true
		}
	}
	if !matched {
		return errors.New("Stripe-Signature: no v1 signature matches")
	}
	if d := now.Sub(time.Unix(t, 0)); d > stripeTolerance || d < -stripeTolerance {
		return fmt.Errorf("Stripe-Signature: t is %s from now, outside the tolerance of %s", d.Round(time.Second), stripeTolerance)
	}
	return nil
}

// stripeEvent is a Stripe event object.
type stripeEvent struct {
	ID      vendorID `json:"id"`
	Type    string   `json:"type"`
	Created int64    `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// stripeRef is an id, or the expanded object carrying it.
type stripeRef struct {
	ID       string            `json:"id"`
	Metadata map[string]string `json:"metadata"`
}

func (r *stripeRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	if string(b) == "null" {
		return nil
	}
	type plain stripeRef
	return json.Unmarshal(b, (*plain)(r))
}

type stripeCoupon struct {
	ID        string            `json:"id"`
	AmountOff *int64            `json:"amount_off"`
	Currency  string            `json:"currency"`
	Metadata  map[string]string `json:"metadata"`
}

// stripeCouponRef is a coupon id or the coupon.
type stripeCouponRef struct{ stripeCoupon }

func (r *stripeCouponRef) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &r.ID)
	}
	if string(b) == "null" {
		return nil
	}
	return json.Unmarshal(b, &r.stripeCoupon)
}

type stripeSubscription struct {
	Customer stripeRef         `json:"customer"`
	Currency string            `json:"currency"`
	Metadata map[string]string `json:"metadata"`
	Items    struct {
		Data []struct {
			Quantity *int64 `json:"quantity"`
			Price    *struct {
				ID                string  `json:"id"`
				LookupKey         *string `json:"lookup_key"`
				UnitAmount        *int64  `json:"unit_amount"`
				UnitAmountDecimal *string `json:"unit_amount_decimal"`
				Currency          string  `json:"currency"`
				Recurring         *struct {
					Interval      string `json:"interval"`
					IntervalCount int64  `json:"interval_count"`
				} `json:"recurring"`
			} `json:"price"`
		} `json:"data"`
	} `json:"items"`
	CancellationDetails *struct {
		Reason *string `json:"reason"`
	} `json:"cancellation_details"`
}

type stripeCreditNote struct {
	Customer stripeRef         `json:"customer"`
	Total    *int64            `json:"total"`
	Currency string            `json:"currency"`
	Metadata map[string]string `json:"metadata"`
}

type stripePromotionCode struct {
	Customer  stripeRef         `json:"customer"`
	Coupon    *stripeCouponRef  `json:"coupon"`
	Metadata  map[string]string `json:"metadata"`
	Promotion *struct {
		Coupon *stripeCouponRef `json:"coupon"`
	} `json:"promotion"` // API versions from 2025-09 on
}

type stripeDiscount struct {
	Customer      stripeRef        `json:"customer"`
	Coupon        *stripeCouponRef `json:"coupon"`
	PromotionCode stripeRef        `json:"promotion_code"`
	Source        *struct {
		Coupon *stripeCouponRef `json:"coupon"`
	} `json:"source"` // API versions from 2025-09 on
}

// mapBody maps one Stripe event; event ids are stripe:<event id>.
func (s stripe) mapBody(body []byte) mapping {
	var m mapping
	var e stripeEvent
	if err := json.Unmarshal(body, &e); err != nil {
		m.problem("%s", jsonError(err))
		return m
	}
	switch e.Type {
	case "customer.subscription.created", "customer.subscription.deleted", "credit_note.created",
		"promotion_code.created", "customer.discount.created":
	default:
		return m
	}
	if e.ID == "" {
		m.problem("id: missing")
		return m
	}
	if e.Created <= 0 {
		m.problem("created: missing")
		return m
	}
	if len(e.Data.Object) == 0 {
		m.problem("data.object: missing")
		return m
	}
	base := Event{EventID: "stripe:" + string(e.ID), OccurredAt: stamp(unixTime(e.Created))}
	decode := func(v any) bool {
		if err := json.Unmarshal(e.Data.Object, v); err != nil {
			m.problem("data.object.%s", strings.TrimPrefix(jsonError(err), "payload: "))
			return false
		}
		return true
	}
	switch e.Type {
	case "customer.subscription.created", "customer.subscription.deleted":
		var sub stripeSubscription
		if !decode(&sub) {
			return m
		}
		ev := base
		ev.CustomerID = customerOf(sub.Customer, sub.Metadata)
		if ev.CustomerID == "" {
			m.problem("data.object.customer: missing")
			return m
		}
		mrr, err := monthly(sub)
		if err != nil {
			m.problem("%v", err)
		}
		ev.MRR = mrr
		if e.Type == "customer.subscription.created" {
			ev.Type = "customer.signed_up"
			if len(sub.Items.Data) > 0 && sub.Items.Data[0].Price != nil {
				p := sub.Items.Data[0].Price
				ev.Plan = p.ID
				if p.LookupKey != nil && *p.LookupKey != "" {
					ev.Plan = *p.LookupKey
				}
			}
		} else {
			ev.Type = "customer.churned"
			if d := sub.CancellationDetails; d != nil && d.Reason != nil {
				ev.Reason = *d.Reason
			}
		}
		m.events = append(m.events, ev)
	case "credit_note.created":
		var cn stripeCreditNote
		if !decode(&cn) {
			return m
		}
		incident := cn.Metadata["incident_id"]
		if incident == "" {
			return m // a credit note not about an incident
		}
		customer := customerOf(cn.Customer, cn.Metadata)
		if customer == "" {
			m.problem("data.object.customer: missing")
			return m
		}
		if cn.Total == nil {
			m.problem("data.object.total: missing")
			return m
		}
		amount := majorUnits(*cn.Total, cn.Currency)
		offered := base
		offered.Type, offered.CustomerID, offered.IncidentID = "customer.compensation_offered", customer, incident
		offered.CompensationType, offered.Amount, offered.Currency = "credit", &amount, strings.ToUpper(cn.Currency)
		// Stripe applies a credit note at once: it is also redeemed.
		redeemed := base
		redeemed.EventID += ":redeemed"
		redeemed.Type, redeemed.CustomerID, redeemed.IncidentID, redeemed.Amount = "customer.compensation_redeemed", customer, incident, &amount
		m.events = append(m.events, offered, redeemed)
	case "promotion_code.created":
		var pc stripePromotionCode
		if !decode(&pc) {
			return m
		}
		coupon := pc.Coupon
		if coupon == nil && pc.Promotion != nil {
			coupon = pc.Promotion.Coupon
		}
		incident := pc.Metadata["incident_id"]
		if incident == "" && coupon != nil {
			incident = coupon.Metadata["incident_id"]
		}
		if incident == "" || pc.Customer.ID == "" {
			return m // not restricted to one customer, or not about an incident
		}
		ev := base
		ev.Type, ev.CustomerID, ev.IncidentID, ev.CompensationType = "customer.compensation_offered", customerOf(pc.Customer, pc.Metadata, couponMeta(coupon), pc.Customer.Metadata), incident, "discount"
		ev.Amount, ev.Currency = couponAmount(coupon)
		m.events = append(m.events, ev)
	case "customer.discount.created":
		var d stripeDiscount
		if !decode(&d) {
			return m
		}
		coupon := d.Coupon
		if coupon == nil && d.Source != nil {
			coupon = d.Source.Coupon
		}
		incident := d.PromotionCode.Metadata["incident_id"]
		if incident == "" && coupon != nil {
			incident = coupon.Metadata["incident_id"]
		}
		if incident == "" {
			return m
		}
		if d.Customer.ID == "" {
			m.problem("data.object.customer: missing")
			return m
		}
		ev := base
		ev.Type, ev.CustomerID, ev.IncidentID = "customer.compensation_redeemed", customerOf(d.Customer, d.PromotionCode.Metadata, couponMeta(coupon), d.Customer.Metadata), incident
		ev.Amount, _ = couponAmount(coupon)
		m.events = append(m.events, ev)
	}
	return m
}

// customerOf is the first metadata.trustlens_customer_id of metas, else
// the Stripe customer. A discount carries its coupon but neither the
// promotion code nor the customer (unless expanded): the promotion code's
// offer and the discount's redemption find the same id in the coupon's
// metadata.
func customerOf(customer stripeRef, metas ...map[string]string) string {
	for _, meta := range metas {
		if id := meta["trustlens_customer_id"]; id != "" {
			return id
		}
	}
	return customer.ID
}

// couponMeta is c's metadata, nil without a coupon.
func couponMeta(c *stripeCouponRef) map[string]string {
	if c == nil {
		return nil
	}
	return c.Metadata
}

// couponAmount is a coupon's amount_off in major units (0 for a percentage
// coupon) and its currency.
func couponAmount(c *stripeCouponRef) (*float64, string) {
	if c == nil || c.AmountOff == nil {
		zero := 0.0
		return &zero, ""
	}
	v := majorUnits(*c.AmountOff, c.Currency)
	return &v, strings.ToUpper(c.Currency)
}

// monthly is the MRR of a subscription in major units: Σ unit_amount ×
// quantity of its items, per month. nil when a price has no unit amount
// (tiered or metered prices).
func monthly(sub stripeSubscription) (*float64, error) {
	total := 0.0
	currency := sub.Currency
	for i, it := range sub.Items.Data {
		p := it.Price
		if p == nil || p.Recurring == nil {
			return nil, nil
		}
		if currency == "" {
			currency = p.Currency
		}
		var unit float64
		switch {
		case p.UnitAmount != nil:
			unit = float64(*p.UnitAmount)
		case p.UnitAmountDecimal != nil:
			v, err := strconv.ParseFloat(*p.UnitAmountDecimal, 64)
			if err != nil || v < 0 || math.IsInf(v, 0) {
				return nil, fmt.Errorf("data.object.items.data[%d].price.unit_amount_decimal: not a number: %q", i, clipText(*p.UnitAmountDecimal, 40))
			}
			unit = v
		default:
			return nil, nil
		}
		qty := int64(1)
		if it.Quantity != nil {
			qty = *it.Quantity
		}
		if qty < 0 || unit < 0 {
			return nil, fmt.Errorf("data.object.items.data[%d]: negative amount or quantity", i)
		}
		count := p.Recurring.IntervalCount
		if count <= 0 {
			count = 1
		}
		var perMonth float64
		switch p.Recurring.Interval {
		case "month":
			perMonth = 1
		case "year":
			perMonth = 1.0 / 12
		case "week":
			perMonth = 52.0 / 12
		case "day":
			perMonth = 365.0 / 12
		default:
			return nil, fmt.Errorf("data.object.items.data[%d].price.recurring.interval: must be day, week, month or year, got %q", i, clipText(p.Recurring.Interval, 20))
		}
		total += unit * float64(qty) * perMonth / float64(count)
	}
	v := math.Round(minorToMajor(total, currency)*100) / 100
	return &v, nil
}

// majorUnits converts an amount in the currency's smallest unit.
func majorUnits(minor int64, currency string) float64 {
	return math.Round(minorToMajor(float64(minor), currency)*100) / 100
}

func minorToMajor(v float64, currency string) float64 {
	if zeroDecimal[strings.ToLower(currency)] {
		return v
	}
	return v / 100
}

// zeroDecimal lists Stripe's zero-decimal currencies, whose amounts are
// in whole units (https://docs.stripe.com/currencies#zero-decimal).
var zeroDecimal = map[string]bool{
	"bif": true, "clp": true, "djf": true, "gnf": true, "jpy": true, "kmf": true, "krw": true, "mga": true,
	"pyg": true, "rwf": true, "ugx": true, "vnd": true, "vuv": true, "xaf": true, "xof": true, "xpf": true,
}
