package connect

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"time"

	"github.com/labstack/echo/v4"
)

// statuspage is the Atlassian Statuspage subscriber-webhook connector
// (SPEC §6.2). Statuspage does not sign its webhooks: the secret is the
// token in the URL, and optionally the page id of the payload.
type statuspage struct {
	token, pageID string
	classifier    Classifier
}

func (s statuspage) verify(c echo.Context, body []byte, _ time.Time) error {
	if subtle.ConstantTimeCompare([]byte(c.Param("token")), []byte(s.token)) != 1 {
		return errors.New("token: does not match TRUSTLENS_STATUSPAGE_TOKEN")
	}
	if s.pageID == "" {
		return nil
	}
	var p struct {
		Page struct {
			ID vendorID `json:"id"`
		} `json:"page"`
	}
	if json.Unmarshal(body, &p) != nil || p.Page.ID == "" {
		return errors.New("page.id: missing")
	}
	if subtle.ConstantTimeCompare([]byte(p.Page.ID), []byte(s.pageID)) != 1 {
		return errors.New("page.id: not TRUSTLENS_STATUSPAGE_PAGE_ID")
	}
	return nil
}

// spDelivery is a Statuspage subscriber webhook: the whole incident, its
// updates newest first.
type spDelivery struct {
	Incident *struct {
		ID                    vendorID   `json:"id"`
		Name                  string     `json:"name"`
		Impact                string     `json:"impact"`
		ImpactOverride        *string    `json:"impact_override"`
		CreatedAt             string     `json:"created_at"`
		StartedAt             *string    `json:"started_at"`
		ScheduledFor          *string    `json:"scheduled_for"`
		PostmortemBody        string     `json:"postmortem_body"`
		PostmortemPublishedAt *string    `json:"postmortem_published_at"`
		Components            []spNamed  `json:"components"`
		Updates               []spUpdate `json:"incident_updates"`
	} `json:"incident"`
}

type spNamed struct {
	Name string `json:"name"`
}

type spUpdate struct {
	ID        vendorID `json:"id"`
	Status    string   `json:"status"`
	Body      string   `json:"body"`
	CreatedAt string   `json:"created_at"`
	DisplayAt *string  `json:"display_at"`
}

// spSeverity maps an incident's impact to a severity.
var spSeverity = map[string]string{"critical": "sev1", "major": "sev2", "minor": "sev3", "none": "sev4"}

// mapBody maps one delivery. Every delivery repeats the whole incident,
// and every event id comes from a Statuspage id, so a later delivery
// gives again the events of the earlier ones (counted once):
//
//	statuspage:<incident id>:detected    incident.detected
//	statuspage:<update id>               communication.sent of an update
//	statuspage:<update id>:status        its incident.status_changed / incident.resolved
//	statuspage:<incident id>:postmortem  the postmortem
func (s statuspage) mapBody(body []byte) mapping {
	var m mapping
	var d spDelivery
	if err := json.Unmarshal(body, &d); err != nil {
		m.problem("%s", jsonError(err))
		return m
	}
	inc := d.Incident
	if inc == nil || (inc.ScheduledFor != nil && *inc.ScheduledFor != "") {
		return m // a component update, or scheduled maintenance
	}
	if inc.ID == "" {
		m.problem("incident.id: missing")
		return m
	}
	incidentID := "sp:" + string(inc.ID)
	prefix := "statuspage:"

	// incident.detected
	impact := inc.Impact
	if inc.ImpactOverride != nil && *inc.ImpactOverride != "" {
		impact = *inc.ImpactOverride
	}
	startedField, started := "incident.created_at", inc.CreatedAt
	if inc.StartedAt != nil && *inc.StartedAt != "" {
		startedField, started = "incident.started_at", *inc.StartedAt
	}
	detectedAt, err := parseTime(startedField, started)
	switch {
	case err != nil:
		m.problem("%v", err)
	case spSeverity[impact] == "":
		m.problem("incident.impact: must be critical, major, minor or none, got %q", clipText(impact, 40))
	default:
		ev := Event{
			EventID: prefix + string(inc.ID) + ":detected", Type: "incident.detected",
			OccurredAt: stamp(detectedAt), IncidentID: incidentID,
			Severity: spSeverity[impact], Title: clipText(inc.Name, maxTitle), Source: "statuspage",
		}
		for _, c := range inc.Components {
			if c.Name != "" {
				ev.Services = append(ev.Services, c.Name)
			}
		}
		m.events = append(m.events, ev)
	}

	// The earliest update is the acknowledgement.
	earliest := -1
	var earliestAt time.Time
	created := make([]time.Time, len(inc.Updates))
	for i, u := range inc.Updates {
		t, err := parseTime("incident.incident_updates.created_at", u.CreatedAt)
		if err != nil {
			continue
		}
		created[i] = t
		if earliest < 0 || !t.After(earliestAt) {
			earliest, earliestAt = i, t
		}
	}
	// Oldest first, so that the events go out in the order they happened.
	for i := len(inc.Updates) - 1; i >= 0; i-- {
		u := inc.Updates[i]
		if u.ID == "" {
			m.problem("incident.incident_updates[%d].id: missing", i)
			continue
		}
		at := created[i]
		if u.DisplayAt != nil && *u.DisplayAt != "" {
			t, err := parseTime("incident.incident_updates.display_at", *u.DisplayAt)
			if err != nil {
				m.problem("incident.incident_updates[%d].display_at: not an RFC 3339 time: %q", i, clipText(*u.DisplayAt, 60))
				continue
			}
			at = t
		} else if at.IsZero() {
			m.problem("incident.incident_updates[%d].created_at: not an RFC 3339 time: %q", i, clipText(u.CreatedAt, 60))
			continue
		}
		if u.Status == "postmortem" {
			// The postmortem, when the subscribers are notified of it:
			// the same event as postmortem_published_at gives below.
			m.events = append(m.events, s.postmortem(prefix, inc.ID, incidentID, u.Body, at))
			continue
		}
		kind := "update"
		switch {
		case u.Status == "resolved":
			kind = "resolution"
		case i == earliest:
			kind = "acknowledgement"
		}
		comm := Event{
			EventID: prefix + string(u.ID), Type: "communication.sent",
			OccurredAt: stamp(at), IncidentID: incidentID,
			Channel: "status_page", Audience: "public", Kind: kind, Body: clipText(u.Body, maxBody),
		}
		comm.classified(s.classifier, at)
		m.events = append(m.events, comm)
		status := Event{EventID: prefix + string(u.ID) + ":status", OccurredAt: stamp(at), IncidentID: incidentID}
		switch u.Status {
		case "investigating", "identified", "monitoring":
			status.Type, status.Status = "incident.status_changed", u.Status
			m.events = append(m.events, status)
		case "resolved":
			status.Type = "incident.resolved"
			m.events = append(m.events, status)
		}
	}

	if inc.PostmortemPublishedAt != nil && *inc.PostmortemPublishedAt != "" {
		at, err := parseTime("incident.postmortem_published_at", *inc.PostmortemPublishedAt)
		if err != nil {
			m.problem("%v", err)
		} else {
			m.events = append(m.events, s.postmortem(prefix, inc.ID, incidentID, inc.PostmortemBody, at))
		}
	}
	return dedupe(m)
}

func (s statuspage) postmortem(prefix string, id vendorID, incidentID, body string, at time.Time) Event {
	ev := Event{
		EventID: prefix + string(id) + ":postmortem", Type: "communication.sent",
		OccurredAt: stamp(at), IncidentID: incidentID,
		Channel: "status_page", Audience: "public", Kind: "postmortem", Body: clipText(body, maxBody),
	}
	ev.classified(s.classifier, at)
	return ev
}

// dedupe keeps the first event of each id.
func dedupe(m mapping) mapping {
	seen := map[string]bool{}
	out := m.events[:0]
	for _, ev := range m.events {
		if !seen[ev.EventID] {
			seen[ev.EventID] = true
			out = append(out, ev)
		}
	}
	m.events = out
	return m
}
