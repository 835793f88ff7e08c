package connect

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
)

func pdSign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "v1=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifyPagerDuty(t *testing.T) {
	body := []byte(`{"event":{}}`)
	good := pdSign("s3cret", body)
	tests := []struct {
		name, header string
		ok           bool
	}{
		{"valid", good, true},
		{"valid among several", "v1=00ff," + good, true},
		{"valid with space after the comma", "v1=abcd, " + good, true},
		{"upper-case hex", "v1=" + strings.ToUpper(strings.TrimPrefix(good, "v1=")), true},
		{"missing", "", false},
		{"forged", pdSign("other", body), false},
		{"signature of another body", pdSign("s3cret", []byte(`{"event":{"id":"x"}}`)), false},
		{"no v1 scheme", "v0=" + strings.TrimPrefix(good, "v1="), false},
		{"empty v1", "v1=", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := verifyPagerDuty(tt.header, "s3cret", body)
			if (err == nil) != tt.ok {
				t.Errorf("verify(%q) = %v, want ok=%v", tt.header, err, tt.ok)
			}
		})
	}
}

func TestPagerDutyMapping(t *testing.T) {
	pd := pagerDuty{secret: "x", settings: DefaultSettings().PagerDuty, classifier: wordClassifier{}}
	custom := DefaultSettings().PagerDuty
	custom.Severity["P1"] = "sev2"
	custom.StatusUpdateChannel, custom.StatusUpdateAudience = "in_app", "public"
	pdCustom := pagerDuty{secret: "x", settings: custom, classifier: wordClassifier{}}

	triggered := string(fixture(t, "pagerduty_triggered.json"))
	withType := func(typ string) string {
		return strings.Replace(triggered, `"incident.triggered"`, `"`+typ+`"`, 1)
	}
	tests := []struct {
		name     string
		pd       pagerDuty
		body     string
		want     []Event
		problems []string
	}{
		{"triggered", pd, triggered, []Event{{
			EventID: "pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f", Type: "incident.detected",
			OccurredAt: "2026-10-02T18:45:22Z", IncidentID: "pd:PGR0VU2", Severity: "sev1",
			Title: "A little bump in the road", Services: []string{"API Service"}, Source: "pagerduty",
		}}, nil},
		{"triggered, custom severity map", pdCustom, triggered, []Event{{
			EventID: "pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f", Type: "incident.detected",
			OccurredAt: "2026-10-02T18:45:22Z", IncidentID: "pd:PGR0VU2", Severity: "sev2",
			Title: "A little bump in the road", Services: []string{"API Service"}, Source: "pagerduty",
		}}, nil},
		{"triggered without priority: urgency low", pd,
			strings.Replace(strings.Replace(triggered, `"summary": "P1"`, `"summary": "Critical-ish"`, 1), `"urgency": "high"`, `"urgency": "low"`, 1),
			[]Event{{
				EventID: "pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f", Type: "incident.detected",
				OccurredAt: "2026-10-02T18:45:22Z", IncidentID: "pd:PGR0VU2", Severity: "sev4",
				Title: "A little bump in the road", Services: []string{"API Service"}, Source: "pagerduty",
			}}, nil},
		{"triggered with P4", pd, strings.Replace(triggered, `"summary": "P1"`, `"summary": "P4"`, 1), []Event{{
			EventID: "pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f", Type: "incident.detected",
			OccurredAt: "2026-10-02T18:45:22Z", IncidentID: "pd:PGR0VU2", Severity: "sev4",
			Title: "A little bump in the road", Services: []string{"API Service"}, Source: "pagerduty",
		}}, nil},
		{"acknowledged", pd, withType("incident.acknowledged"), []Event{{
			EventID: "pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f", Type: "incident.status_changed",
			OccurredAt: "2026-10-02T18:45:22Z", IncidentID: "pd:PGR0VU2", Status: "investigating",
		}}, nil},
		{"resolved", pd, withType("incident.resolved"), []Event{{
			EventID: "pagerduty:5ac64822-4adc-4fda-ade0-410becf0de4f", Type: "incident.resolved",
			OccurredAt: "2026-10-02T18:45:22Z", IncidentID: "pd:PGR0VU2",
		}}, nil},
		{"status update: incident from data.incident, time to UTC, classified", pd, string(fixture(t, "pagerduty_status_update.json")), []Event{{
			EventID: "pagerduty:01DEN3B4PAD2R9BPAHOPT9ACJW", Type: "communication.sent",
			OccurredAt: "2026-10-02T17:15:00Z", IncidentID: "pd:PGR0VU2",
			Channel: "email", Audience: "affected", Kind: "update",
			Body:    "We are sorry: a fix for this incident is being developed. Next update in 30 minutes.",
			Apology: true, NextUpdateAt: ptr("2026-10-02T17:45:00Z"),
		}}, nil},
		{"status update: channel and audience from the settings", pdCustom, string(fixture(t, "pagerduty_status_update.json")), []Event{{
			EventID: "pagerduty:01DEN3B4PAD2R9BPAHOPT9ACJW", Type: "communication.sent",
			OccurredAt: "2026-10-02T17:15:00Z", IncidentID: "pd:PGR0VU2",
			Channel: "in_app", Audience: "public", Kind: "update",
			Body:    "We are sorry: a fix for this incident is being developed. Next update in 30 minutes.",
			Apology: true, NextUpdateAt: ptr("2026-10-02T17:45:00Z"),
		}}, nil},
		{"unmapped event type", pd, withType("incident.annotated"), nil, nil},
		{"service event", pd, `{"event":{"id":"01BRB6ZP4M6T8ZG4X6BP63ZB9O","event_type":"service.updated","occurred_at":"2021-03-02T13:35:11.682Z","data":{"id":"PF9KMXH","type":"service"}}}`, nil, nil},
		{"no event", pd, `{"messages":[]}`, nil, []string{"event: missing"}},
		{"no severity", pd, strings.Replace(strings.Replace(triggered, `"summary": "P1"`, `"summary": "P9"`, 1), `"urgency": "high"`, `"urgency": "medium"`, 1), nil,
			[]string{`event.data.priority.summary / event.data.urgency: no severity (priority "P9" is not in the severity map, urgency "medium" is neither high nor low)`}},
		{"bad time", pd, strings.Replace(triggered, "2026-10-02T18:45:22.169Z", "yesterday", 1), nil, []string{`event.occurred_at: not an RFC 3339 time: "yesterday"`}},
		{"missing incident id", pd, strings.Replace(triggered, `"id": "PGR0VU2"`, `"id": null`, 1), nil, []string{"event.data.id: missing"}},
		{"wrong shape", pd, `{"event":{"id":"x","event_type":"incident.triggered","data":[1]}}`, nil, []string{"event.data: must be an object, got array"}},
		{"status update without its incident", pd, `{"event":{"id":"E1","event_type":"incident.status_update_published","occurred_at":"2026-10-02T18:45:22Z","data":{"id":"P2LA89X","message":"x"}}}`, nil,
			[]string{"event.data.incident.id: missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMapping(t, tt.pd.mapBody([]byte(tt.body)), tt.want, tt.problems)
		})
	}
}
