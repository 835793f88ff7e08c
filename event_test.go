package trustlens

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var testNow = time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)

// validEvents has one valid message of every type with every field set.
var validEvents = map[string]map[string]any{
	TypeIncidentDetected: {"event_id": "e1", "type": TypeIncidentDetected, "occurred_at": "2026-11-03T10:00:00Z",
		"incident_id": "inc-1", "severity": "sev2", "title": "API down", "services": []any{"api", "db"}, "regions": []any{"eu"}, "source": "monitoring"},
	TypeIncidentStatusChanged: {"event_id": "e2", "type": TypeIncidentStatusChanged, "occurred_at": "2026-11-03T10:05:00Z",
		"incident_id": "inc-1", "status": "identified"},
	TypeIncidentResolved: {"event_id": "e3", "type": TypeIncidentResolved, "occurred_at": "2026-11-03T11:00:00Z", "incident_id": "inc-1"},
	TypeIncidentCustomerAffected: {"event_id": "e4", "type": TypeIncidentCustomerAffected, "occurred_at": "2026-11-03T10:01:00Z",
		"incident_id": "inc-1", "customer_id": "c-1", "segment": "enterprise", "mrr": 1200.5},
	TypeCommunicationSent: {"event_id": "e5", "type": TypeCommunicationSent, "occurred_at": "2026-11-03T10:10:00Z",
		"incident_id": "inc-1", "channel": "email", "kind": "update", "audience": "affected", "recipients": 40,
		"apology": true, "takes_responsibility": true, "root_cause": false, "prevention_steps": true,
		"next_update_at": "2026-11-03T11:10:00+01:00", "body": "We are sorry."},
	TypeCustomerSignedUp: {"event_id": "e6", "type": TypeCustomerSignedUp, "occurred_at": "2025-01-01T00:00:00Z",
		"customer_id": "c-1", "segment": "smb", "plan": "pro", "mrr": 99},
	TypeCompensationOffered: {"event_id": "e7", "type": TypeCompensationOffered, "occurred_at": "2026-11-03T11:30:00Z",
		"customer_id": "c-1", "incident_id": "inc-1", "compensation_type": "credit", "amount": 50, "currency": "EUR"},
	TypeCompensationRedeemed: {"event_id": "e8", "type": TypeCompensationRedeemed, "occurred_at": "2026-11-03T11:40:00Z",
		"customer_id": "c-1", "incident_id": "inc-1", "amount": 50},
	TypeCustomerFollowedUp: {"event_id": "e9", "type": TypeCustomerFollowedUp, "occurred_at": "2026-11-03T11:45:00Z",
		"customer_id": "c-1", "incident_id": "inc-1", "channel": "phone"},
	TypeCustomerFeedback: {"event_id": "e10", "type": TypeCustomerFeedback, "occurred_at": "2026-11-03T11:50:00Z",
		"customer_id": "c-1", "incident_id": "inc-1", "csat": 4, "sentiment": -0.25, "comment": "ok"},
	TypeCustomerTicketOpened: {"event_id": "e11", "type": TypeCustomerTicketOpened, "occurred_at": "2026-11-03T10:02:00Z",
		"customer_id": "c-1", "incident_id": "inc-1"},
	TypeCustomerChurned: {"event_id": "e12", "type": TypeCustomerChurned, "occurred_at": "2026-11-03T11:55:00Z",
		"customer_id": "c-1", "mrr": 99, "reason": "outages"},
}

func f64(v float64) *float64 { return &v }

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// with copies the valid event of typ and sets (or, for a nil value,
// deletes) fields.
func with(typ string, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range validEvents[typ] {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

func TestDecodeValid(t *testing.T) {
	at := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v.UTC() }
	next := at("2026-11-03T10:10:00Z")
	recipients, csat := uint64(40), uint8(4)
	want := map[string]Event{
		TypeIncidentDetected: {EventID: "e1", Type: TypeIncidentDetected, OccurredAt: at("2026-11-03T10:00:00Z"), IncidentID: "inc-1",
			Severity: "sev2", Title: "API down", Services: []string{"api", "db"}, Regions: []string{"eu"}, Source: "monitoring", Extra: "{}"},
		TypeIncidentStatusChanged: {EventID: "e2", Type: TypeIncidentStatusChanged, OccurredAt: at("2026-11-03T10:05:00Z"), IncidentID: "inc-1", Status: "identified", Extra: "{}"},
		TypeIncidentResolved:      {EventID: "e3", Type: TypeIncidentResolved, OccurredAt: at("2026-11-03T11:00:00Z"), IncidentID: "inc-1", Extra: "{}"},
		TypeIncidentCustomerAffected: {EventID: "e4", Type: TypeIncidentCustomerAffected, OccurredAt: at("2026-11-03T10:01:00Z"), IncidentID: "inc-1",
			CustomerID: "c-1", Segment: "enterprise", MRR: f64(1200.5), Extra: "{}"},
		TypeCommunicationSent: {EventID: "e5", Type: TypeCommunicationSent, OccurredAt: at("2026-11-03T10:10:00Z"), IncidentID: "inc-1",
			Channel: "email", Kind: "update", Audience: "affected", Recipients: &recipients, Apology: true, TakesResponsibility: true,
			PreventionSteps: true, NextUpdateAt: &next, Body: "We are sorry.", Extra: "{}"},
		TypeCustomerSignedUp: {EventID: "e6", Type: TypeCustomerSignedUp, OccurredAt: at("2025-01-01T00:00:00Z"), CustomerID: "c-1",
			Segment: "smb", Plan: "pro", MRR: f64(99), Extra: "{}"},
		TypeCompensationOffered: {EventID: "e7", Type: TypeCompensationOffered, OccurredAt: at("2026-11-03T11:30:00Z"), CustomerID: "c-1",
			IncidentID: "inc-1", CompensationType: "credit", Amount: f64(50), Currency: "EUR", Extra: "{}"},
		TypeCompensationRedeemed: {EventID: "e8", Type: TypeCompensationRedeemed, OccurredAt: at("2026-11-03T11:40:00Z"), CustomerID: "c-1",
			IncidentID: "inc-1", Amount: f64(50), Extra: "{}"},
		TypeCustomerFollowedUp: {EventID: "e9", Type: TypeCustomerFollowedUp, OccurredAt: at("2026-11-03T11:45:00Z"), CustomerID: "c-1",
			IncidentID: "inc-1", Channel: "phone", Extra: "{}"},
		TypeCustomerFeedback: {EventID: "e10", Type: TypeCustomerFeedback, OccurredAt: at("2026-11-03T11:50:00Z"), CustomerID: "c-1",
			IncidentID: "inc-1", CSAT: &csat, Sentiment: f64(-0.25), Comment: "ok", Extra: "{}"},
		TypeCustomerTicketOpened: {EventID: "e11", Type: TypeCustomerTicketOpened, OccurredAt: at("2026-11-03T10:02:00Z"), CustomerID: "c-1",
			IncidentID: "inc-1", Extra: "{}"},
		TypeCustomerChurned: {EventID: "e12", Type: TypeCustomerChurned, OccurredAt: at("2026-11-03T11:55:00Z"), CustomerID: "c-1",
			MRR: f64(99), Reason: "outages", Extra: "{}"},
	}
	if len(want) != len(Types()) {
		t.Fatalf("%d types tested, %d exist", len(want), len(Types()))
	}
	for typ, w := range want {
		t.Run(typ, func(t *testing.T) {
			got, err := Decode(StreamOfType(typ), mustJSON(t, validEvents[typ]), testNow)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !reflect.DeepEqual(got, w) {
				t.Errorf("got  %+v\nwant %+v", got, w)
			}
		})
	}
}

func TestDecodeDefaultsAndExtra(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		s    Stream
		want func(e Event) bool
	}{
		{"audience defaults to public", `{"event_id":"a","type":"communication.sent","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i","channel":"sms","kind":"acknowledgement"}`,
			Communications, func(e Event) bool {
				return e.Audience == "public" && !e.Apology && e.Recipients == nil && e.NextUpdateAt == nil
			}},
		{"currency defaults to USD", `{"event_id":"a","type":"customer.compensation_offered","occurred_at":"2026-11-03T10:00:00Z","customer_id":"c","incident_id":"i","compensation_type":"discount","amount":0}`,
			CustomerResponses, func(e Event) bool { return e.Currency == "USD" && *e.Amount == 0 }},
		{"feedback with sentiment only", `{"event_id":"a","type":"customer.feedback","occurred_at":"2026-11-03T10:00:00Z","customer_id":"c","sentiment":1}`,
			CustomerResponses, func(e Event) bool { return e.CSAT == nil && *e.Sentiment == 1 }},
		{"feedback with csat only", `{"event_id":"a","type":"customer.feedback","occurred_at":"2026-11-03T10:00:00Z","customer_id":"c","csat":5.0}`,
			CustomerResponses, func(e Event) bool { return *e.CSAT == 5 && e.Sentiment == nil }},
		{"unknown fields kept compact, sorted, not HTML-escaped", `{ "zeta" : [1, {"b" : "<&>"}], "event_id":"a","type":"incident.resolved","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i", "alpha": null, "severity":"x"}`,
			Incidents, func(e Event) bool { return e.Extra == `{"alpha":null,"severity":"x","zeta":[1,{"b":"<&>"}]}` }},
		{"repeated unknown field: the last wins", `{"event_id":"a","type":"incident.resolved","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i","x":1,"x":2}`,
			Incidents, func(e Event) bool { return e.Extra == `{"x":2}` }},
		{"offset converted to UTC, fraction dropped", `{"event_id":"a","type":"incident.resolved","occurred_at":"2026-11-03T16:05:09.987+02:00","incident_id":"i"}`,
			Incidents, func(e Event) bool {
				return e.OccurredAt.Equal(time.Date(2026, 11, 3, 14, 5, 9, 0, time.UTC)) && e.OccurredAt.Location() == time.UTC
			}},
		{"escaped strings decoded", `{"event_id":"a\u00e9\"","type":"incident.resolved","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i\\n"}`,
			Incidents, func(e Event) bool { return e.EventID == "aé\"" && e.IncidentID == `i\n` }},
		{"null counts as absent", `{"event_id":"a","type":"incident.detected","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i","severity":"sev1","title":null,"customer_id":null}`,
			Incidents, func(e Event) bool { return e.Title == "" && e.CustomerID == "" && e.Extra == "{}" }},
		{"128-character id, 500-character title, 24 h ahead exactly", `{"event_id":"` + strings.Repeat("é", 128) + `","type":"incident.detected","occurred_at":"2026-11-04T12:00:00Z","incident_id":"i","severity":"sev4","title":"` + strings.Repeat("x", 500) + `"}`,
			Incidents, func(e Event) bool { return len([]rune(e.EventID)) == 128 && len(e.Title) == 500 }},
		{"2000-01-01 exactly", `{"event_id":"a","type":"incident.resolved","occurred_at":"2000-01-01T00:00:00Z","incident_id":"i"}`,
			Incidents, func(e Event) bool { return e.OccurredAt.Year() == 2000 }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.s, []byte(tc.raw), testNow)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !tc.want(got) {
				t.Errorf("unexpected event %+v", got)
			}
		})
	}
}

func TestDecodeInvalid(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	big := `{"event_id":"a","type":"incident.resolved","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i","pad":"` + long(MaxMessageBytes) + `"}`
	tests := []struct {
		name   string
		s      Stream
		raw    any // a map (marshalled) or a string (sent as is)
		field  string
		reason string // the whole Error() text
	}{
		// the message as a whole
		{"not JSON", Incidents, `yesterday`, "", `not valid JSON: unexpected 'y' at byte 0`},
		{"truncated JSON", Incidents, `{"event_id":"a"`, "", `not valid JSON: unexpected end of input`},
		{"trailing garbage", Incidents, `{"event_id":"a"} x`, "", `not valid JSON: unexpected 'x' at byte 17`},
		{"not an object: array", Incidents, `[1,2]`, "", `not a JSON object: got an array`},
		{"not an object: null", Incidents, ` null `, "", `not a JSON object: got null`},
		{"not an object: string", Incidents, `"x"`, "", `not a JSON object: got a string`},
		{"empty message", Incidents, ``, "", `not valid JSON: unexpected end of input`},
		{"too large", Incidents, big, "", `message is 65643 bytes, more than the limit of 65536`},
		{"invalid UTF-8", Incidents, "{\"event_id\":\"a\xff\"}", "", `message is not valid UTF-8`},
		{"control character in string", Incidents, "{\"event_id\":\"a\x01\"}", "", `not valid JSON: control character in string: '\x01' at byte 14`},

		// common fields
		{"event_id missing", Incidents, with(TypeIncidentResolved, "event_id", nil), "event_id", `event_id: required field is missing`},
		{"event_id empty", Incidents, with(TypeIncidentResolved, "event_id", ""), "event_id", `event_id: must not be empty`},
		{"event_id too long", Incidents, with(TypeIncidentResolved, "event_id", long(129)), "event_id", `event_id: must be at most 128 characters, got 129: "` + long(80) + `…"`},
		{"event_id not a string", Incidents, with(TypeIncidentResolved, "event_id", 7), "event_id", `event_id: must be a string, got 7`},
		{"type missing", Incidents, with(TypeIncidentResolved, "type", nil), "type", `type: required field is missing`},
		{"type unknown", Incidents, with(TypeIncidentResolved, "type", "incident.exploded"), "type", `type: unknown event type "incident.exploded"`},
		{"type on the wrong topic", Communications, with(TypeIncidentResolved), "type", `type: "incident.resolved" does not belong on the communications topic (it belongs on incidents)`},
		{"occurred_at missing", Incidents, with(TypeIncidentResolved, "occurred_at", nil), "occurred_at", `occurred_at: required field is missing`},
		{"occurred_at not RFC 3339", Incidents, with(TypeIncidentResolved, "occurred_at", "yesterday"), "occurred_at", `occurred_at: not RFC 3339: "yesterday"`},
		{"occurred_at without offset", Incidents, with(TypeIncidentResolved, "occurred_at", "2026-11-03T10:00:00"), "occurred_at", `occurred_at: not RFC 3339: "2026-11-03T10:00:00"`},
		{"occurred_at a number", Incidents, with(TypeIncidentResolved, "occurred_at", 1700000000), "occurred_at", `occurred_at: not RFC 3339: 1700000000`},
		{"occurred_at before 2000", Incidents, with(TypeIncidentResolved, "occurred_at", "1999-12-31T23:59:59Z"), "occurred_at", `occurred_at: 1999-12-31T23:59:59Z is before 2000-01-01`},
		{"occurred_at before 2000 after UTC conversion", Incidents, with(TypeIncidentResolved, "occurred_at", "2000-01-01T00:30:00+01:00"), "occurred_at", `occurred_at: 1999-12-31T23:30:00Z is before 2000-01-01`},
		{"occurred_at > 24 h ahead", Incidents, with(TypeIncidentResolved, "occurred_at", "2026-11-04T12:00:01Z"), "occurred_at", `occurred_at: 2026-11-04T12:00:01Z is more than 24 h in the future`},
		{"occurred_at > 24 h ahead after UTC conversion", Incidents, with(TypeIncidentResolved, "occurred_at", "2026-11-04T11:00:01-01:00"), "occurred_at", `occurred_at: 2026-11-04T12:00:01Z is more than 24 h in the future`},
		{"incident_id missing", Incidents, with(TypeIncidentResolved, "incident_id", nil), "incident_id", `incident_id: required field is missing`},
		{"incident_id too long", Incidents, with(TypeIncidentResolved, "incident_id", long(129)), "incident_id", `incident_id: must be at most 128 characters, got 129: "` + long(80) + `…"`},
		{"optional incident_id empty", CustomerResponses, with(TypeCustomerTicketOpened, "incident_id", ""), "incident_id", `incident_id: must be 1 to 128 characters, got ""`},
		{"optional customer_id on an incident event empty", Incidents, with(TypeIncidentResolved, "customer_id", ""), "customer_id", `customer_id: must be 1 to 128 characters, got ""`},

		// incidents
		{"severity missing", Incidents, with(TypeIncidentDetected, "severity", nil), "severity", `severity: required field is missing`},
		{"severity bad", Incidents, with(TypeIncidentDetected, "severity", "sev5"), "severity", `severity: must be one of sev1, sev2, sev3, sev4, got "sev5"`},
		{"title too long", Incidents, with(TypeIncidentDetected, "title", long(501)), "title", `title: must be at most 500 characters, got 501: "` + long(80) + `…"`},
		{"services not a list", Incidents, with(TypeIncidentDetected, "services", "api"), "services", `services: must be a list of strings, got "api"`},
		{"regions with a number", Incidents, with(TypeIncidentDetected, "regions", []any{"eu", 1}), "regions", `regions: must be a list of strings, got ["eu",1]`},
		{"source not a string", Incidents, with(TypeIncidentDetected, "source", true), "source", `source: must be a string, got true`},
		{"status missing", Incidents, with(TypeIncidentStatusChanged, "status", nil), "status", `status: required field is missing`},
		{"status bad", Incidents, with(TypeIncidentStatusChanged, "status", "resolved"), "status", `status: must be one of investigating, identified, monitoring, got "resolved"`},
		{"affected customer_id missing", Incidents, with(TypeIncidentCustomerAffected, "customer_id", nil), "customer_id", `customer_id: required field is missing`},
		{"affected mrr negative", Incidents, with(TypeIncidentCustomerAffected, "mrr", -1), "mrr", `mrr: must be ≥ 0, got -1`},
		{"affected mrr a string", Incidents, with(TypeIncidentCustomerAffected, "mrr", "12"), "mrr", `mrr: must be a number, got "12"`},
		{"mrr out of float range", Incidents, `{"event_id":"a","type":"incident.customer_affected","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i","customer_id":"c","mrr":1e400}`, "mrr", `mrr: number out of range: 1e400`},

		// communications
		{"communication incident_id missing", Communications, with(TypeCommunicationSent, "incident_id", nil), "incident_id", `incident_id: required field is missing`},
		{"channel missing", Communications, with(TypeCommunicationSent, "channel", nil), "channel", `channel: required field is missing`},
		{"channel bad", Communications, with(TypeCommunicationSent, "channel", "phone"), "channel", `channel: must be one of status_page, email, social, website, in_app, sms, got "phone"`},
		{"kind missing", Communications, with(TypeCommunicationSent, "kind", nil), "kind", `kind: required field is missing`},
		{"kind bad", Communications, with(TypeCommunicationSent, "kind", "apology"), "kind", `kind: must be one of acknowledgement, update, resolution, postmortem, got "apology"`},
		{"audience bad", Communications, with(TypeCommunicationSent, "audience", "everyone"), "audience", `audience: must be one of public, affected, got "everyone"`},
		{"recipients negative", Communications, with(TypeCommunicationSent, "recipients", -3), "recipients", `recipients: must be between 0 and 9.007199254740992e+15, got -3`},
		{"recipients not whole", Communications, with(TypeCommunicationSent, "recipients", 2.5), "recipients", `recipients: must be a whole number, got 2.5`},
		{"apology not a boolean", Communications, with(TypeCommunicationSent, "apology", "yes"), "apology", `apology: must be true or false, got "yes"`},
		{"takes_responsibility not a boolean", Communications, with(TypeCommunicationSent, "takes_responsibility", 1), "takes_responsibility", `takes_responsibility: must be true or false, got 1`},
		{"root_cause not a boolean", Communications, with(TypeCommunicationSent, "root_cause", "true"), "root_cause", `root_cause: must be true or false, got "true"`},
		{"prevention_steps not a boolean", Communications, with(TypeCommunicationSent, "prevention_steps", []any{}), "prevention_steps", `prevention_steps: must be true or false, got []`},
		{"next_update_at not RFC 3339", Communications, with(TypeCommunicationSent, "next_update_at", "in an hour"), "next_update_at", `next_update_at: not RFC 3339: "in an hour"`},
		{"next_update_at out of storable range", Communications, with(TypeCommunicationSent, "next_update_at", "2200-01-01T00:00:00Z"), "next_update_at", `next_update_at: 2200-01-01T00:00:00Z is outside 2000-01-01 … 2105-12-31`},
		{"body too long", Communications, with(TypeCommunicationSent, "body", long(10001)), "body", `body: must be at most 10000 characters, got 10001: "` + long(80) + `…"`},

		// customer responses
		{"signed_up customer_id missing", CustomerResponses, with(TypeCustomerSignedUp, "customer_id", nil), "customer_id", `customer_id: required field is missing`},
		{"signed_up customer_id too long", CustomerResponses, with(TypeCustomerSignedUp, "customer_id", long(129)), "customer_id", `customer_id: must be at most 128 characters, got 129: "` + long(80) + `…"`},
		{"signed_up mrr negative", CustomerResponses, with(TypeCustomerSignedUp, "mrr", -0.01), "mrr", `mrr: must be ≥ 0, got -0.01`},
		{"plan not a string", CustomerResponses, with(TypeCustomerSignedUp, "plan", 3), "plan", `plan: must be a string, got 3`},
		{"offer incident_id missing", CustomerResponses, with(TypeCompensationOffered, "incident_id", nil), "incident_id", `incident_id: required field is missing`},
		{"offer compensation_type missing", CustomerResponses, with(TypeCompensationOffered, "compensation_type", nil), "compensation_type", `compensation_type: required field is missing`},
		{"offer compensation_type bad", CustomerResponses, with(TypeCompensationOffered, "compensation_type", "refund"), "compensation_type", `compensation_type: must be one of credit, discount, extension, got "refund"`},
		{"offer amount missing", CustomerResponses, with(TypeCompensationOffered, "amount", nil), "amount", `amount: required field is missing`},
		{"offer amount negative", CustomerResponses, with(TypeCompensationOffered, "amount", -5), "amount", `amount: must be ≥ 0, got -5`},
		{"currency lower case", CustomerResponses, with(TypeCompensationOffered, "currency", "usd"), "currency", `currency: not an ISO 4217 currency code: "usd"`},
		{"currency not a code", CustomerResponses, with(TypeCompensationOffered, "currency", "ABC"), "currency", `currency: not an ISO 4217 currency code: "ABC"`},
		{"redeemed customer_id missing", CustomerResponses, with(TypeCompensationRedeemed, "customer_id", nil), "customer_id", `customer_id: required field is missing`},
		{"redeemed amount negative", CustomerResponses, with(TypeCompensationRedeemed, "amount", -1), "amount", `amount: must be ≥ 0, got -1`},
		{"followed_up incident_id missing", CustomerResponses, with(TypeCustomerFollowedUp, "incident_id", nil), "incident_id", `incident_id: required field is missing`},
		{"followed_up channel missing", CustomerResponses, with(TypeCustomerFollowedUp, "channel", nil), "channel", `channel: required field is missing`},
		{"followed_up channel bad", CustomerResponses, with(TypeCustomerFollowedUp, "channel", "sms"), "channel", `channel: must be one of email, phone, meeting, chat, got "sms"`},
		{"feedback with neither csat nor sentiment", CustomerResponses, with(TypeCustomerFeedback, "csat", nil, "sentiment", nil), "csat", `csat: a feedback event needs csat or sentiment (neither was given)`},
		{"csat not an integer", CustomerResponses, with(TypeCustomerFeedback, "csat", 4.5), "csat", `csat: must be a whole number, got 4.5`},
		{"csat too low", CustomerResponses, with(TypeCustomerFeedback, "csat", 0), "csat", `csat: must be between 1 and 5, got 0`},
		{"csat too high", CustomerResponses, with(TypeCustomerFeedback, "csat", 6), "csat", `csat: must be between 1 and 5, got 6`},
		{"sentiment out of range", CustomerResponses, with(TypeCustomerFeedback, "sentiment", 1.5), "sentiment", `sentiment: must be between -1 and 1, got 1.5`},
		{"comment too long", CustomerResponses, with(TypeCustomerFeedback, "comment", long(10001)), "comment", `comment: must be at most 10000 characters, got 10001: "` + long(80) + `…"`},
		{"feedback customer_id missing", CustomerResponses, with(TypeCustomerFeedback, "customer_id", nil), "customer_id", `customer_id: required field is missing`},
		{"ticket customer_id missing", CustomerResponses, with(TypeCustomerTicketOpened, "customer_id", nil), "customer_id", `customer_id: required field is missing`},
		{"churned customer_id missing", CustomerResponses, with(TypeCustomerChurned, "customer_id", nil), "customer_id", `customer_id: required field is missing`},
		{"churned mrr negative", CustomerResponses, with(TypeCustomerChurned, "mrr", -20), "mrr", `mrr: must be ≥ 0, got -20`},
		{"churned reason not a string", CustomerResponses, with(TypeCustomerChurned, "reason", map[string]any{}), "reason", `reason: must be a string, got {}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, ok := tc.raw.(string)
			if !ok {
				raw = string(mustJSON(t, tc.raw))
			}
			_, err := Decode(tc.s, []byte(raw), testNow)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got error %v (%T), want a *ValidationError", err, err)
			}
			if ve.Field != tc.field {
				t.Errorf("field %q, want %q", ve.Field, tc.field)
			}
			if err.Error() != tc.reason {
				t.Errorf("error\n got %s\nwant %s", err, tc.reason)
			}
		})
	}
}
