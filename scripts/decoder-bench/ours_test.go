package decbench

import (
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

var streams = []trustlens.Stream{trustlens.CustomerResponses, trustlens.CustomerResponses, trustlens.CustomerResponses, trustlens.CustomerResponses, trustlens.Incidents, trustlens.Communications}

// BenchmarkOurs is trustlens.DecodeString, as ingest calls it: every
// SPEC §1.5 rule, UTF-8 check, unknown fields kept.
func BenchmarkOurs(b *testing.B) {
	ss := make([]string, len(payloads))
	for i, p := range payloads {
		ss[i] = string(p)
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := trustlens.DecodeString(streams[i%6], ss[i%6], now); err != nil {
			b.Fatal(err)
		}
	}
}
