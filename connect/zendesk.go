package connect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// zendesk is the Zendesk connector (SPEC §6.3): ticket events, and the
// satisfaction ratings a trigger posts.
type zendesk struct {
	secret   string
	settings ZendeskSettings
}

const zendeskTolerance = 300 * time.Second

func (z zendesk) verify(c echo.Context, body []byte, now time.Time) error {
	h := c.Request().Header
	return verifyZendesk(h.Get("X-Zendesk-Webhook-Signature"), h.Get("X-Zendesk-Webhook-Signature-Timestamp"), z.secret, body, now)
}

// verifyZendesk checks that sig is the base64 HMAC-SHA256 of timestamp +
// body keyed with one of the secrets, and that the timestamp is within
// 300 s of now.
func verifyZendesk(sig, timestamp, secret string, body []byte, now time.Time) error {
	if sig == "" {
		return errors.New("X-Zendesk-Webhook-Signature: missing")
	}
	if timestamp == "" {
		return errors.New("X-Zendesk-Webhook-Signature-Timestamp: missing")
	}
	// Each Zendesk webhook has its own secret: secret may list several,
	// comma-separated (the ticket webhook's and the CSAT webhook's).
	matched := false
	for _, sec := range strings.Split(secret, ",") {
		if sec = strings.TrimSpace(sec); sec == "" {
			continue
		}
		mac := hmac.New(sha256.New, []byte(sec))
		mac.Write([]byte(timestamp))
		mac.Write(body)
		want := []byte(base64.StdEncoding.EncodeToString(mac.Sum(nil)))
		if hmac.Equal([]byte(sig), want) {
			matched = true
		}
	}
	if !matched {
		return errors.New("X-Zendesk-Webhook-Signature: does not match")
	}
	t, err := time.Parse(time.RFC3339Nano, timestamp)
	if err != nil {
		return errors.New("X-Zendesk-Webhook-Signature-Timestamp: not an RFC 3339 time")
	}
	if d := now.Sub(t); d > zendeskTolerance || d < -zendeskTolerance {
		return fmt.Errorf("X-Zendesk-Webhook-Signature-Timestamp: %s from now, outside the tolerance of %s", d.Round(time.Second), zendeskTolerance)
	}
	return nil
}

// zdTicketEvent is a Zendesk event webhook of a ticket.
type zdTicketEvent struct {
	Type   string   `json:"type"`
	ID     vendorID `json:"id"`
	Detail *struct {
		RequesterID    vendorID `json:"requester_id"`
		OrganizationID vendorID `json:"organization_id"`
		Tags           []string `json:"tags"`
		CreatedAt      string   `json:"created_at"`
	} `json:"detail"`
}

// mapTicket maps zen:event-type:ticket.created to customer.ticket_opened,
// event id zendesk:<id>.
func (z zendesk) mapTicket(body []byte) mapping {
	var m mapping
	var e zdTicketEvent
	if err := json.Unmarshal(body, &e); err != nil {
		m.problem("%s", jsonError(err))
		return m
	}
	if e.Type != "zen:event-type:ticket.created" {
		return m
	}
	if e.ID == "" {
		m.problem("id: missing")
		return m
	}
	if e.Detail == nil {
		m.problem("detail: missing")
		return m
	}
	at, err := parseTime("detail.created_at", e.Detail.CreatedAt)
	if err != nil {
		m.problem("%v", err)
		return m
	}
	customer := z.customer(string(e.Detail.OrganizationID), string(e.Detail.RequesterID))
	if customer == "" {
		m.problem("detail.organization_id / detail.requester_id: missing")
		return m
	}
	m.events = append(m.events, Event{
		EventID: "zendesk:" + string(e.ID), Type: "customer.ticket_opened", OccurredAt: stamp(at),
		CustomerID: customer, IncidentID: incidentTag(e.Detail.Tags),
	})
	return m
}

// zdRating is the JSON of the satisfaction trigger given in
// docs/connectors.md (every value a string, from placeholders).
type zdRating struct {
	TicketID       vendorID `json:"ticket_id"`
	OrganizationID vendorID `json:"organization_id"`
	RequesterID    vendorID `json:"requester_id"`
	Rating         string   `json:"rating"`
	Comment        string   `json:"comment"`
	Tags           string   `json:"tags"`
	RatedAt        string   `json:"rated_at"`
}

// mapCSAT maps a good or bad rating to customer.feedback with csat 5 or 1,
// event id zendesk:csat:<ticket_id>:<rated_at>.
func (z zendesk) mapCSAT(body []byte) mapping {
	var m mapping
	var r zdRating
	if err := json.Unmarshal(body, &r); err != nil {
		m.problem("%s", jsonError(err))
		return m
	}
	var csat int
	switch strings.ToLower(strings.TrimSpace(r.Rating)) {
	case "good":
		csat = 5
	case "bad":
		csat = 1
	default:
		return m // offered, unoffered: not a rating
	}
	if r.TicketID == "" {
		m.problem("ticket_id: missing")
		return m
	}
	at, err := parseZendeskTime(r.RatedAt)
	if err != nil {
		m.problem("%v", err)
		return m
	}
	customer := z.customer(string(r.OrganizationID), string(r.RequesterID))
	if customer == "" {
		m.problem("organization_id / requester_id: missing")
		return m
	}
	m.events = append(m.events, Event{
		EventID: "zendesk:csat:" + string(r.TicketID) + ":" + r.RatedAt, Type: "customer.feedback", OccurredAt: stamp(at),
		CustomerID: customer, IncidentID: incidentTag(strings.Fields(r.Tags)), CSAT: &csat,
		Comment: clipText(r.Comment, maxBody),
	})
	return m
}

// parseZendeskTime reads rated_at: ISO 8601 as Zendesk renders
// {{ticket.updated_at_with_timestamp}}, to the minute ("2013-12-12T05:35Z")
// or to the second.
func parseZendeskTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05-0700", "2006-01-02T15:04-0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	if s == "" {
		return time.Time{}, errors.New("rated_at: missing")
	}
	return time.Time{}, fmt.Errorf("rated_at: not an ISO 8601 time: %q", clipText(s, 60))
}

// customer is the customer of a ticket by the customer-key setting.
func (z zendesk) customer(org, requester string) string {
	if z.settings.CustomerKey != "requester" && org != "" {
		return org
	}
	return requester
}

// incidentTag is the incident of the first tag incident_<id>, or "".
func incidentTag(tags []string) string {
	for _, t := range tags {
		if id, ok := strings.CutPrefix(t, "incident_"); ok && id != "" {
			return id
		}
	}
	return ""
}
