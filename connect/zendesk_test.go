package connect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

func zendeskSign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func TestVerifyZendesk(t *testing.T) {
	const secret = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="
	body := []byte(`{"type":"zen:event-type:ticket.created"}`)
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ts := "2026-06-01T11:58:00Z"
	tests := []struct {
		name, sig, ts string
		ok            bool
	}{
		{"valid", zendeskSign(secret, ts, body), ts, true},
		{"missing signature", "", ts, false},
		{"missing timestamp", zendeskSign(secret, ts, body), "", false},
		{"forged", zendeskSign("other", ts, body), ts, false},
		{"timestamp changed", zendeskSign(secret, ts, body), "2026-06-01T11:58:01Z", false},
		{"stale (301 s)", zendeskSign(secret, "2026-06-01T11:54:59Z", body), "2026-06-01T11:54:59Z", false},
		{"hex instead of base64", strings.Repeat("ab", 32), ts, false},
		{"second webhook's secret", zendeskSign("csat-webhook-secret", ts, body), ts, true},
		{"empty secret of the list", zendeskSign("", ts, body), ts, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := verifyZendesk(tt.sig, tt.ts, secret+", csat-webhook-secret,", body, now); (err == nil) != tt.ok {
				t.Errorf("verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestZendeskMapping(t *testing.T) {
	zd := zendesk{secret: "x", settings: DefaultSettings().Zendesk}
	byRequester := zendesk{secret: "x", settings: ZendeskSettings{CustomerKey: "requester"}}
	ticket := string(fixture(t, "zendesk_ticket_created.json"))
	csat := string(fixture(t, "zendesk_csat.json"))
	opened := func(customer, incident string) []Event {
		return []Event{{EventID: "zendesk:cbe4028c-7239-495d-b020-f22348516046", Type: "customer.ticket_opened", OccurredAt: "2026-05-29T22:15:07Z",
			CustomerID: customer, IncidentID: incident}}
	}
	feedback := func(csat int, customer string) []Event {
		return []Event{{EventID: "zendesk:csat:5158:2026-05-30T09:00:00Z", Type: "customer.feedback", OccurredAt: "2026-05-30T09:00:00Z",
			CustomerID: customer, IncidentID: "sp:lbkhbwn21v5q", CSAT: ptr(csat), Comment: "Thanks for the quick fix"}}
	}
	tests := []struct {
		name     string
		mapper   func([]byte) mapping
		body     string
		want     []Event
		problems []string
	}{
		{"ticket created: organization, incident tag", zd.mapTicket, ticket, opened("8447346622462", "sp:lbkhbwn21v5q"), nil},
		{"customer key requester", byRequester.mapTicket, ticket, opened("8447388090494", "sp:lbkhbwn21v5q"), nil},
		{"no organization: the requester", zd.mapTicket, strings.Replace(ticket, `"organization_id": "8447346622462"`, `"organization_id": null`, 1), opened("8447388090494", "sp:lbkhbwn21v5q"), nil},
		{"numeric ids, no incident tag", zd.mapTicket, strings.Replace(strings.Replace(ticket, `"organization_id": "8447346622462"`, `"organization_id": 8447346622462`, 1),
			`"tags": ["checkout", "incident_sp:lbkhbwn21v5q"]`, `"tags": ["checkout"]`, 1), opened("8447346622462", ""), nil},
		{"other ticket event", zd.mapTicket, strings.Replace(ticket, "ticket.created", "ticket.status_changed", 1), nil, nil},
		{"no created_at", zd.mapTicket, strings.Replace(ticket, `"created_at": "2026-05-29T22:15:07Z"`, `"created_at": null`, 1), nil, []string{"detail.created_at: missing"}},
		{"no customer", zd.mapTicket, strings.Replace(strings.Replace(ticket, `"organization_id": "8447346622462"`, `"organization_id": ""`, 1), `"requester_id": "8447388090494"`, `"requester_id": null`, 1),
			nil, []string{"detail.organization_id / detail.requester_id: missing"}},
		{"csat good, no organization", zd.mapCSAT, csat, feedback(5, "8447388090494"), nil},
		{"csat Bad with an organization", zd.mapCSAT, strings.Replace(strings.Replace(csat, `"Good"`, `"Bad"`, 1), `"organization_id": ""`, `"organization_id": "8447346622462"`, 1), feedback(1, "8447346622462"), nil},
		{"rated_at to the minute, as Zendesk renders it", zd.mapCSAT, strings.Replace(csat, `"2026-05-30T09:00:00Z"`, `"2026-05-30T11:00+02:00"`, 1), []Event{{
			EventID: "zendesk:csat:5158:2026-05-30T11:00+02:00", Type: "customer.feedback", OccurredAt: "2026-05-30T09:00:00Z",
			CustomerID: "8447388090494", IncidentID: "sp:lbkhbwn21v5q", CSAT: ptr(5), Comment: "Thanks for the quick fix"}}, nil},
		{"csat offered: nothing", zd.mapCSAT, strings.Replace(csat, `"Good"`, `"Offered"`, 1), nil, nil},
		{"csat without a time", zd.mapCSAT, strings.Replace(csat, `"2026-05-30T09:00:00Z"`, `"Saturday"`, 1), nil, []string{`rated_at: not an ISO 8601 time: "Saturday"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMapping(t, tt.mapper([]byte(tt.body)), tt.want, tt.problems)
		})
	}
}
