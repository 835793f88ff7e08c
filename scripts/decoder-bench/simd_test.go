package decbench

import (
	"testing"
	"time"

	"github.com/minio/simdjson-go"
)

// BenchmarkSimdjson parses each message (reusing the parsed buffer) and
// reads the same fields as the struct decoders into ev.
func BenchmarkSimdjson(b *testing.B) {
	if !simdjson.SupportedCPU() {
		b.Skip("no AVX2")
	}
	var pj *simdjson.ParsedJson
	var it simdjson.Iter
	var obj *simdjson.Object
	var el simdjson.Element
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var err error
		pj, err = simdjson.Parse(payloads[i%len(payloads)], pj)
		if err != nil {
			b.Fatal(err)
		}
		it = pj.Iter()
		it.Advance()
		_, root, err := it.Root(nil)
		if err != nil {
			b.Fatal(err)
		}
		obj, err = root.Object(obj)
		if err != nil {
			b.Fatal(err)
		}
		var e ev
		for _, f := range []struct {
			name string
			dst  *string
		}{{"event_id", &e.EventID}, {"type", &e.Type}, {"occurred_at", &e.OccurredAt}, {"incident_id", &e.IncidentID}, {"customer_id", &e.CustomerID}, {"comment", &e.Comment}} {
			if obj.FindKey(f.name, &el) != nil {
				s, err := el.Iter.String()
				if err != nil {
					b.Fatal(err)
				}
				*f.dst = s
			}
		}
		if obj.FindKey("mrr", &el) != nil {
			v, _ := el.Iter.Float()
			e.MRR = &v
		}
		if _, err := time.Parse(time.RFC3339, e.OccurredAt); err != nil {
			b.Fatal(err)
		}
	}
}
