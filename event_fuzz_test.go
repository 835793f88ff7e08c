package trustlens

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"
)

// encodeEvent writes a decoded event back as a message.
func encodeEvent(t testing.TB, e Event) []byte {
	t.Helper()
	m := map[string]any{}
	if e.Extra != "{}" {
		var extra map[string]json.RawMessage
		if err := json.Unmarshal([]byte(e.Extra), &extra); err != nil {
			t.Fatalf("Extra %q is not a JSON object: %v", e.Extra, err)
		}
		for k, v := range extra {
			m[k] = v
		}
	}
	m["event_id"] = e.EventID
	m["type"] = e.Type
	m["occurred_at"] = e.OccurredAt.Format(time.RFC3339)
	str := map[string]string{"incident_id": e.IncidentID, "customer_id": e.CustomerID, "severity": e.Severity,
		"title": e.Title, "source": e.Source, "status": e.Status, "segment": e.Segment, "plan": e.Plan,
		"channel": e.Channel, "kind": e.Kind, "audience": e.Audience, "body": e.Body,
		"compensation_type": e.CompensationType, "currency": e.Currency, "comment": e.Comment, "reason": e.Reason}
	for k, v := range str {
		if v != "" {
			m[k] = v
		}
	}
	if e.Services != nil {
		m["services"] = e.Services
	}
	if e.Regions != nil {
		m["regions"] = e.Regions
	}
	num := map[string]*float64{"mrr": e.MRR, "amount": e.Amount, "sentiment": e.Sentiment}
	for k, v := range num {
		if v != nil {
			m[k] = *v
		}
	}
	if e.Recipients != nil {
		m["recipients"] = *e.Recipients
	}
	if e.CSAT != nil {
		m["csat"] = *e.CSAT
	}
	for k, v := range map[string]bool{"apology": e.Apology, "takes_responsibility": e.TakesResponsibility,
		"root_cause": e.RootCause, "prevention_steps": e.PreventionSteps} {
		if v {
			m[k] = true
		}
	}
	if e.NextUpdateAt != nil {
		m["next_update_at"] = e.NextUpdateAt.Format(time.RFC3339)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSpace(buf.Bytes())
}

// FuzzDecode checks that Decode never panics, agrees with encoding/json on
// what is JSON, and that what it accepts re-validates to the same event.
func FuzzDecode(f *testing.F) {
	for _, typ := range Types() {
		b, _ := json.Marshal(validEvents[typ])
		f.Add(uint8(streamIndex(StreamOfType(typ))), b)
	}
	for _, s := range []string{
		`{}`, `[]`, `null`, `"x"`, `{"event_id":"a\u00e9","type":"incident.resolved","occurred_at":"2026-11-03T10:00:00+05:30","incident_id":"i","x":{"y":[1,2e3,-0.5,true,null]}}`,
		`{"event_id":"a","type":"customer.feedback","occurred_at":"2026-11-03T10:00:00Z","customer_id":"c","csat":3,"sentiment":-1}`,
		`{"event_id":"a","type":"communication.sent","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i","channel":"sms","kind":"update","recipients":1e3}`,
		`{"event_id":"a","event_id":"b","type":"incident.resolved","occurred_at":"2026-11-03T10:00:00Z","incident_id":"i"}`,
		`{"a":"\ud800"}`, `{"a" : 01}`, `{"a":-}`, `{"a":1.}`, `{"a":"\x"}`, "{\"a\":\"\t\"}",
	} {
		for i := range Streams {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, si uint8, raw []byte) {
		s := Streams[int(si)%len(Streams)]
		ev, err := Decode(s, raw, testNow)
		isJSON := json.Valid(raw)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("error %v is %T, not a *ValidationError", err, err)
			}
			if !isJSON && len(raw) <= MaxMessageBytes && utf8.Valid(raw) && ve.Field != "" {
				t.Fatalf("invalid JSON %q blamed on field %q: %v", raw, ve.Field, err)
			}
			return
		}
		if !isJSON || !utf8.Valid(raw) || len(raw) > MaxMessageBytes {
			t.Fatalf("accepted %q (valid JSON: %v)", raw, isJSON)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("accepted %q, which encoding/json cannot read as an object: %v", raw, err)
		}
		if m["event_id"] != ev.EventID || m["type"] != ev.Type {
			t.Fatalf("event_id/type %q/%q, encoding/json reads %v/%v", ev.EventID, ev.Type, m["event_id"], m["type"])
		}
		if ev.Stream() != s || ev.OccurredAt.Location() != time.UTC || ev.OccurredAt.Nanosecond() != 0 {
			t.Fatalf("bad event %+v", ev)
		}
		again, err := Decode(s, encodeEvent(t, ev), testNow)
		if err != nil {
			t.Fatalf("re-encoded event %s does not validate: %v", encodeEvent(t, ev), err)
		}
		if !reflect.DeepEqual(again, ev) {
			t.Fatalf("re-encoded event differs:\n got  %+v\nwant %+v", again, ev)
		}
	})
}

func streamIndex(s Stream) int {
	for i, x := range Streams {
		if x == s {
			return i
		}
	}
	return 0
}
