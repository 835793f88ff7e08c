package connect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// pagerDuty is the PagerDuty Webhooks v3 connector (SPEC §6.2).
type pagerDuty struct {
	secret     string
	settings   PagerDutySettings
	classifier Classifier
}

// verify checks X-PagerDuty-Signature: one or more comma-separated
// v1=<hex>, one of which is the HMAC-SHA256 of the raw body.
func (p pagerDuty) verify(c echo.Context, body []byte, _ time.Time) error {
	return verifyPagerDuty(c.Request().Header.Get("X-PagerDuty-Signature"), p.secret, body)
}

func verifyPagerDuty(header, secret string, body []byte) error {
	if header == "" {
		return errors.New("X-PagerDuty-Signature: missing")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := []byte(hex.EncodeToString(mac.Sum(nil)))
	matched := false
	for _, part := range strings.Split(header, ",") {
		v, ok := strings.CutPrefix(strings.TrimSpace(part), "v1=")
		if !ok {
			continue // another scheme version
		}
		// hmac.Equal is constant-time; every candidate is compared.
		if hmac.Equal([]byte(strings.ToLower(v)), want) {
			matched = true
		}
	}
	if !matched {
		return errors.New("X-PagerDuty-Signature: no v1 signature matches")
	}
	return nil
}

// pdDelivery is a PagerDuty v3 webhook payload: one event per delivery.
type pdDelivery struct {
	Event *struct {
		ID         vendorID `json:"id"`
		EventType  string   `json:"event_type"`
		OccurredAt string   `json:"occurred_at"`
		Data       *pdData  `json:"data"`
	} `json:"event"`
}

// pdData is an incident, or an incident_status_update (which names its
// incident in Incident).
type pdData struct {
	ID       vendorID `json:"id"`
	Type     string   `json:"type"`
	Title    string   `json:"title"`
	Urgency  string   `json:"urgency"`
	Message  string   `json:"message"`
	Service  *pdRef   `json:"service"`
	Priority *pdRef   `json:"priority"`
	Incident *pdRef   `json:"incident"`
}

type pdRef struct {
	ID      vendorID `json:"id"`
	Summary string   `json:"summary"`
}

// pdMapped lists the event types that map to something.
var pdMapped = map[string]bool{
	"incident.triggered": true, "incident.acknowledged": true,
	"incident.resolved": true, "incident.status_update_published": true,
}

// mapBody maps one PagerDuty delivery. Incident id pd:<incident id>,
// event id pagerduty:<event.id>.
func (p pagerDuty) mapBody(body []byte) mapping {
	var m mapping
	var d pdDelivery
	if err := json.Unmarshal(body, &d); err != nil {
		m.problem("%s", jsonError(err))
		return m
	}
	if d.Event == nil {
		m.problem("event: missing")
		return m
	}
	e := d.Event
	if !pdMapped[e.EventType] {
		return m // another event type: nothing to map
	}
	if e.ID == "" {
		m.problem("event.id: missing")
		return m
	}
	at, err := parseTime("event.occurred_at", e.OccurredAt)
	if err != nil {
		m.problem("%v", err)
		return m
	}
	if e.Data == nil {
		m.problem("event.data: missing")
		return m
	}
	incident := e.Data.ID
	if e.EventType == "incident.status_update_published" {
		// data is the status update; its incident is data.incident.
		incident = ""
		if e.Data.Incident != nil {
			incident = e.Data.Incident.ID
		}
		if incident == "" {
			m.problem("event.data.incident.id: missing")
			return m
		}
	} else if incident == "" {
		m.problem("event.data.id: missing")
		return m
	}
	ev := Event{
		EventID:    "pagerduty:" + string(e.ID),
		OccurredAt: stamp(at),
		IncidentID: "pd:" + string(incident),
	}
	switch e.EventType {
	case "incident.triggered":
		ev.Type = "incident.detected"
		ev.Title = clipText(e.Data.Title, maxTitle)
		if e.Data.Service != nil && e.Data.Service.Summary != "" {
			ev.Services = []string{e.Data.Service.Summary}
		}
		ev.Source = "pagerduty"
		ev.Severity = p.severity(e.Data)
		if ev.Severity == "" {
			m.problem("event.data.priority.summary / event.data.urgency: no severity (priority %q is not in the severity map, urgency %q is neither high nor low)", priorityName(e.Data), e.Data.Urgency)
			return m
		}
	case "incident.acknowledged":
		ev.Type = "incident.status_changed"
		ev.Status = "investigating"
	case "incident.resolved":
		ev.Type = "incident.resolved"
	case "incident.status_update_published":
		ev.Type = "communication.sent"
		ev.Kind = "update"
		ev.Channel = p.settings.StatusUpdateChannel
		ev.Audience = p.settings.StatusUpdateAudience
		ev.Body = clipText(e.Data.Message, maxBody)
		ev.classified(p.classifier, at)
	}
	m.events = append(m.events, ev)
	return m
}

// severity is the severity of an incident: its priority through the
// severity map, else its urgency (high → sev2, low → sev4); "" if neither.
func (p pagerDuty) severity(d *pdData) string {
	if sev, ok := p.settings.Severity[priorityName(d)]; ok {
		return sev
	}
	switch d.Urgency {
	case "high":
		return "sev2"
	case "low":
		return "sev4"
	}
	return ""
}

func priorityName(d *pdData) string {
	if d.Priority == nil {
		return ""
	}
	return d.Priority.Summary
}
