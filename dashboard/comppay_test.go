package dashboard

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// paysFake answers the churn of the previous period with prevPays.
type paysFake struct {
	*pageFake
	prevPays trustlens.CompensationPays
}

func (f *paysFake) Churn(ctx context.Context, flt trustlens.Filter) (trustlens.Churn, error) {
	ch, err := f.pageFake.Churn(ctx, flt)
	if flt.To.Before(fakeNow.Add(-24 * time.Hour)) {
		ch.CompensationPays = f.prevPays
	}
	return ch, err
}

// TestCompensationPaysShown: the compensation page and the overview tile
// show "does compensation pay?" with its caveat, and the tile its change
// against the previous period (1.25 now, 0.5 before: +0.75, better); the
// overview's first line names what got better and worse (the page fake's
// summaries: see TestPages).
func TestCompensationPaysShown(t *testing.T) {
	pays := trustlens.CompensationPays{CompensatedActive: 3, CompensatedChurned: 1, UncompensatedActive: 6, UncompensatedChurned: 3,
		ChurnCompensatedRate: pgFloat(1.0 / 3), ChurnUncompensatedRate: pgFloat(0.5), CompensatedMRR: 450, CompensatedAmount: 60,
		RetainedMRRPerAmount: pgFloat(1.25)}
	fake := &paysFake{pageFake: newPageFake(), prevPays: trustlens.CompensationPays{RetainedMRRPerAmount: pgFloat(0.5)}}
	fake.churn.CompensationPays, fake.comp.CompensationPays = pays, pays
	s := New(fake, Config{Now: func() time.Time { return fakeNow }})
	for _, tc := range []struct {
		path string
		want []string
	}{
		{"/", []string{
			`data-metric="retained_mrr_per_amount" data-value="1.25"`, `<span class="kpi-figure">&#43;1.25</span>`,
			`<div class="kpi-delta delta-good">▲ &#43;0.75 vs previous 90 days · better</div>`,
			`<p class="changes" id="overview-changes">Against the previous 90 days: <span class="delta-good">▲ better: Median time to acknowledge −8 min; Compensation uptake &#43;16.7 pp; Does compensation pay? &#43;0.75</span> · <span class="delta-bad">▼ worse: Trust score −11.5 pts; Update cadence compliance −50 pp; Churn uplift &#43;7.5 pp</span>.</p>`,
			"churn 33% with compensation, 50% without; an association, not proof",
		}},
		{"/compensation", []string{
			`data-metric="churn_compensated_rate" data-value="0.3333333333333333"`, "1 of 3 customers",
			`data-metric="churn_uncompensated_rate" data-value="0.5"`, "3 of 6 customers",
			`data-metric="retained_mrr_per_amount" data-value="1.25"`, `<div class="kpi-value">&#43;1.25</div>`,
			"× 450.00 MRR of the compensated ÷ 60.00 offered to them",
			`id="pays-caveat">An association, not proof`,
		}},
	} {
		rec := apiDo(t, s, http.MethodGet, tc.path, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tc.path, rec.Code)
		}
		for _, w := range tc.want {
			if !strings.Contains(rec.Body.String(), w) {
				t.Errorf("%s: missing %q", tc.path, w)
			}
		}
	}
}
