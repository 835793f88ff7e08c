package dashboard

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestWorstSilencesIsTopOfSort checks the scan that keeps the n worst
// against sorting every incident.
func TestWorstSilencesIsTopOfSort(t *testing.T) {
	p := trustlens.DefaultPolicy()
	rng := rand.New(rand.NewPCG(3, 5))
	sevs := append([]string{"sev9"}, trustlens.Severities...)
	for round := 0; round < 50; round++ {
		incs := make([]trustlens.Incident, rng.IntN(300))
		for i := range incs {
			incs[i] = trustlens.Incident{IncidentID: fmt.Sprintf("inc-%03d", rng.IntN(1000)), Severity: sevs[rng.IntN(len(sevs))],
				MaxSilenceSeconds: int64(rng.IntN(8) * 900), DetectedAt: time.Unix(int64(i), 0)}
		}
		for _, n := range []int{0, 1, 15, 400} {
			want := make([]silenceRow, len(incs))
			for i, inc := range incs {
				tg := p.CadenceTarget[inc.Severity].Seconds()
				want[i] = silenceRow{Incident: inc, Target: tg}
				if tg > 0 {
					want[i].Ratio = float64(inc.MaxSilenceSeconds) / float64(tg)
				}
			}
			sort.SliceStable(want, func(a, b int) bool {
				if want[a].Ratio != want[b].Ratio {
					return want[a].Ratio > want[b].Ratio
				}
				return want[a].IncidentID < want[b].IncidentID
			})
			want = want[:min(n, len(want))]
			got := worstSilences(incs, p, n)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("round %d, n %d: got %d rows, want %d; first got %+v want %+v", round, n, len(got), len(want), got, want)
			}
		}
	}
}
