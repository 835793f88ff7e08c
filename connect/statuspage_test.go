package connect

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func TestVerifyStatuspage(t *testing.T) {
	body := fixture(t, "statuspage_incident.json")
	tests := []struct {
		name, token, pageID string
		body                []byte
		ok                  bool
	}{
		{"token", "tok-123", "", body, true},
		{"token and page id", "tok-123", "j2mfxwj97wnj", body, true},
		{"wrong token", "tok-124", "", body, false},
		{"empty token", "", "", body, false},
		{"prefix of the token", "tok-12", "", body, false},
		{"other page", "tok-123", "zzzzzzzzzzzz", body, false},
		{"page id asked, not JSON", "tok-123", "j2mfxwj97wnj", []byte("{"), false},
		{"not JSON without a page id: authentic (then 400)", "tok-123", "", []byte("{"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := statuspage{token: "tok-123", pageID: tt.pageID}
			e := echo.New()
			c := e.NewContext(httptest.NewRequest(http.MethodPost, "/", nil), httptest.NewRecorder())
			c.SetParamNames("token")
			c.SetParamValues(tt.token)
			if err := s.verify(c, tt.body, time.Now()); (err == nil) != tt.ok {
				t.Errorf("verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// spWant are the events of testdata/statuspage_incident.json, by hand:
// times are the payload's -06:00 times in UTC.
func spWant() []Event {
	return []Event{
		{EventID: "statuspage:lbkhbwn21v5q:detected", Type: "incident.detected", OccurredAt: "2026-05-29T21:00:00Z",
			IncidentID: "sp:lbkhbwn21v5q", Severity: "sev2", Title: "Virginia Is Down", Services: []string{"API", "Dashboard"}, Source: "statuspage"},
		{EventID: "statuspage:tbj6bp9f4d2c", Type: "communication.sent", OccurredAt: "2026-05-29T21:10:00Z", IncidentID: "sp:lbkhbwn21v5q",
			Channel: "status_page", Audience: "public", Kind: "acknowledgement", Body: "We are sorry: we are investigating elevated API errors.", Apology: true},
		{EventID: "statuspage:tbj6bp9f4d2c:status", Type: "incident.status_changed", OccurredAt: "2026-05-29T21:10:00Z", IncidentID: "sp:lbkhbwn21v5q", Status: "investigating"},
		{EventID: "statuspage:jdy3tw5mt5r5", Type: "communication.sent", OccurredAt: "2026-05-29T22:07:53Z", IncidentID: "sp:lbkhbwn21v5q",
			Channel: "status_page", Audience: "public", Kind: "update", Body: "The issue has been identified and a fix is being implemented."},
		{EventID: "statuspage:jdy3tw5mt5r5:status", Type: "incident.status_changed", OccurredAt: "2026-05-29T22:07:53Z", IncidentID: "sp:lbkhbwn21v5q", Status: "identified"},
		{EventID: "statuspage:qdn1d6hy2r8y", Type: "communication.sent", OccurredAt: "2026-05-29T22:30:35Z", IncidentID: "sp:lbkhbwn21v5q",
			Channel: "status_page", Audience: "public", Kind: "update",
			Body: "A fix has been implemented and we are monitoring the results. Next update in 30 minutes.", NextUpdateAt: ptr("2026-05-29T23:00:35Z")},
		{EventID: "statuspage:qdn1d6hy2r8y:status", Type: "incident.status_changed", OccurredAt: "2026-05-29T22:30:35Z", IncidentID: "sp:lbkhbwn21v5q", Status: "monitoring"},
	}
}

func TestStatuspageMapping(t *testing.T) {
	sp := statuspage{token: "t", classifier: wordClassifier{}}
	base := string(fixture(t, "statuspage_incident.json"))
	resolvedUpdate := `"incident_updates": [
      {"body": "This incident was caused by a bad deploy; it has been resolved.", "created_at": "2026-05-29T17:00:00-06:00", "display_at": "2026-05-29T17:00:00-06:00",
       "status": "resolved", "id": "r3s0lv3d0001", "incident_id": "lbkhbwn21v5q"},`
	resolved := strings.Replace(base, `"incident_updates": [`, resolvedUpdate, 1)
	postmortem := strings.Replace(strings.Replace(resolved, `"postmortem_published_at": null`, `"postmortem_published_at": "2026-06-01T10:00:00Z"`, 1),
		`"postmortem_body": null`, `"postmortem_body": "We are sorry. The outage was caused by a bad deploy."`, 1)
	resolvedWant := append(spWant(),
		Event{EventID: "statuspage:r3s0lv3d0001", Type: "communication.sent", OccurredAt: "2026-05-29T23:00:00Z", IncidentID: "sp:lbkhbwn21v5q",
			Channel: "status_page", Audience: "public", Kind: "resolution", Body: "This incident was caused by a bad deploy; it has been resolved.", RootCause: true},
		Event{EventID: "statuspage:r3s0lv3d0001:status", Type: "incident.resolved", OccurredAt: "2026-05-29T23:00:00Z", IncidentID: "sp:lbkhbwn21v5q"},
	)
	pmEvent := Event{EventID: "statuspage:lbkhbwn21v5q:postmortem", Type: "communication.sent", OccurredAt: "2026-06-01T10:00:00Z", IncidentID: "sp:lbkhbwn21v5q",
		Channel: "status_page", Audience: "public", Kind: "postmortem", Body: "We are sorry. The outage was caused by a bad deploy.", Apology: true, RootCause: true}
	noOverride := spWant()
	noOverride[0].Severity = "sev1"
	noStarted := spWant()
	noStarted[0].OccurredAt = "2026-05-29T21:08:51Z"

	tests := []struct {
		name     string
		body     string
		want     []Event
		problems []string
	}{
		{"investigating → monitoring", base, spWant(), nil},
		{"impact without override", strings.Replace(base, `"impact_override": "major"`, `"impact_override": null`, 1), noOverride, nil},
		{"no started_at: created_at", strings.Replace(base, `"started_at": "2026-05-29T15:00:00-06:00",`, ``, 1), noStarted, nil},
		{"resolved", resolved, resolvedWant, nil},
		{"postmortem published", postmortem, append(append([]Event{}, resolvedWant...), pmEvent), nil},
		{"postmortem as an update: the same event id", strings.Replace(postmortem, `"incident_updates": [`, `"incident_updates": [
      {"body": "We are sorry. The outage was caused by a bad deploy.", "created_at": "2026-06-01T04:00:00-06:00", "status": "postmortem", "id": "pm0000000001"},`, 1),
			append(append([]Event{}, resolvedWant...), pmEvent), nil},
		{"scheduled maintenance", strings.Replace(base, `"scheduled_for": null`, `"scheduled_for": "2026-06-01T00:00:00Z"`, 1), nil, nil},
		{"component update", `{"meta":{},"page":{"id":"j2mfxwj97wnj"},"component_update":{"created_at":"2026-05-29T15:08:51-06:00","new_status":"major_outage","old_status":"operational","id":"k7mf5z1gz05c","component_id":"6w5qkbq0n93y"},"component":{"created_at":"2026-05-29T15:08:51-06:00","id":"6w5qkbq0n93y","name":"API","status":"major_outage"}}`, nil, nil},
		{"unknown impact", strings.Replace(base, `"impact_override": "major"`, `"impact_override": "apocalyptic"`, 1), spWant()[1:],
			[]string{`incident.impact: must be critical, major, minor or none, got "apocalyptic"`}},
		{"no incident id", strings.Replace(base, `"id": "lbkhbwn21v5q"`, `"id": ""`, 1), nil, []string{"incident.id: missing"}},
		{"update without a time", strings.Replace(base, `"created_at": "2026-05-29T16:07:53-06:00",
        "display_at": null,`, `"created_at": "soon", "display_at": null,`, 1),
			append(spWant()[:3:3], spWant()[5:]...), []string{`incident.incident_updates[1].created_at: not an RFC 3339 time: "soon"`}},
		{"incident is not an object", `{"incident": "lbkhbwn21v5q"}`, nil, []string{"incident: must be an object, got string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMapping(t, sp.mapBody([]byte(tt.body)), tt.want, tt.problems)
		})
	}
}

// A later delivery repeating earlier updates gives their events again
// with the same ids, and the same content.
func TestStatuspageRepeatedUpdates(t *testing.T) {
	sp := statuspage{token: "t", classifier: wordClassifier{}}
	full := fixture(t, "statuspage_incident.json")
	// The first delivery: only the first update (the others are newer).
	i := strings.Index(string(full), `"incident_updates": [`)
	j := strings.Index(string(full), `{
        "body": "We are sorry`)
	first := string(full[:i]) + `"incident_updates": [` + string(full[j:])
	got1 := sp.mapBody([]byte(first))
	got2 := sp.mapBody(full)
	checkMapping(t, got1, spWant()[:3], nil)
	for k, ev := range got1.events {
		if got2.events[k].EventID != ev.EventID || got2.events[k].OccurredAt != ev.OccurredAt || got2.events[k].Kind != ev.Kind {
			t.Errorf("event %d differs between deliveries: %+v vs %+v", k, ev, got2.events[k])
		}
	}
}

func BenchmarkStatuspageMapping(b *testing.B) {
	sp := statuspage{classifier: wordClassifier{}}
	body := fixture(b, "statuspage_incident.json")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if m := sp.mapBody(body); len(m.events) != 7 {
			b.Fatal(len(m.events))
		}
	}
}
