// Package decbench compares trustlens.DecodeString (every SPEC §1.5 rule)
// with general JSON decoders on the bench's event shapes, for issue 15
// item 4. Its own module, so that the main one does not depend on them:
//
//	cd scripts/decoder-bench && go test -bench . -benchtime 2s -count 3
//
// The others decode into a struct and parse occurred_at only: no type,
// enum, length, UTF-8 or unknown-field rule, so they are a lower bound
// of what they would cost in ingest.
package decbench

import (
	stdjson "encoding/json"
	"testing"
	"time"

	"github.com/bytedance/sonic"
	gojson "github.com/goccy/go-json"
)

type ev struct {
	EventID          string   `json:"event_id"`
	Type             string   `json:"type"`
	OccurredAt       string   `json:"occurred_at"`
	IncidentID       string   `json:"incident_id"`
	CustomerID       string   `json:"customer_id"`
	CSAT             *float64 `json:"csat"`
	Sentiment        *float64 `json:"sentiment"`
	Comment          string   `json:"comment"`
	CompensationType string   `json:"compensation_type"`
	Amount           *float64 `json:"amount"`
	Currency         string   `json:"currency"`
	Segment          string   `json:"segment"`
	Plan             string   `json:"plan"`
	MRR              *float64 `json:"mrr"`
	Channel          string   `json:"channel"`
	Kind             string   `json:"kind"`
	Recipients       *float64 `json:"recipients"`
}

var payloads = [][]byte{
	[]byte(`{"event_id":"bench-000000004","type":"customer.feedback","occurred_at":"2026-10-05T04:04:00Z","customer_id":"cust-000004","incident_id":"inc-00004","csat":5,"sentiment":0.4,"comment":"Thanks for the updates."}`),
	[]byte(`{"event_id":"bench-000000005","type":"customer.compensation_offered","occurred_at":"2026-10-06T05:05:00Z","customer_id":"cust-000005","incident_id":"inc-00005","compensation_type":"credit","amount":5.50,"currency":"USD"}`),
	[]byte(`{"event_id":"bench-000000006","type":"customer.ticket_opened","occurred_at":"2026-10-07T06:06:00Z","customer_id":"cust-000006","incident_id":"inc-00006","comment":"Dashboard is not loading for our team."}`),
	[]byte(`{"event_id":"bench-000000007","type":"customer.signed_up","occurred_at":"2026-10-08T07:07:00Z","customer_id":"cust-000007","segment":"mid-market","plan":"business","mrr":107.00}`),
	[]byte(`{"event_id":"ev-8","type":"incident.customer_affected","occurred_at":"2025-01-01T00:00:08Z","incident_id":"inc-0","customer_id":"c-8","mrr":8}`),
	[]byte(`{"event_id":"ev-9","type":"communication.sent","occurred_at":"2025-01-01T00:00:09Z","incident_id":"inc-0","channel":"email","kind":"update","recipients":9}`),
}

func run(b *testing.B, f func([]byte, *ev) error) {
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var e ev
		if err := f(payloads[i%len(payloads)], &e); err != nil {
			b.Fatal(err)
		}
		if _, err := time.Parse(time.RFC3339, e.OccurredAt); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSonic(b *testing.B) {
	run(b, func(p []byte, e *ev) error { return sonic.Unmarshal(p, e) })
}
func BenchmarkSonicString(b *testing.B) {
	run(b, func(p []byte, e *ev) error { return sonic.UnmarshalString(string(p), e) })
}
func BenchmarkGoccy(b *testing.B) {
	run(b, func(p []byte, e *ev) error { return gojson.Unmarshal(p, e) })
}
func BenchmarkStd(b *testing.B) {
	run(b, func(p []byte, e *ev) error { return stdjson.Unmarshal(p, e) })
}
