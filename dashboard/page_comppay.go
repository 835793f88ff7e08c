package dashboard

import (
	"fmt"
	"math"
	"strconv"

	"github.com/trustlens/trustlens"
)

// "Does compensation pay?" (SPEC §2.3) on the compensation page and as an
// overview tile.

// compensationPaysCaveat is said wherever the figure is shown.
const compensationPaysCaveat = "An association, not proof: customers are not offered compensation at random."

// fmtRetained writes retained_mrr_per_amount ("+1.25", "−0.4"); null is "—".
func fmtRetained(v *float64) string {
	if v == nil {
		return "—"
	}
	r := math.Round(*v*100) / 100
	s := strconv.FormatFloat(math.Abs(r), 'f', -1, 64)
	switch {
	case r > 0:
		return "+" + s
	case r < 0:
		return "−" + s
	}
	return "0"
}

// compensationPaysKPI is the overview tile: MRR retained per unit of money
// offered, against the previous period.
func compensationPaysKPI(cur, prev trustlens.CompensationPays, prevLabel string) kpi {
	k := kpi{Metric: "retained_mrr_per_amount", Label: "Does compensation pay?", Value: fmtRetained(cur.RetainedMRRPerAmount),
		Raw: rawFloat(cur.RetainedMRRPerAmount), Unit: "MRR / 1 offered"}
	k.Hint = fmt.Sprintf("churn %s with compensation, %s without; an association, not proof",
		fmtPercent(cur.ChurnCompensatedRate), fmtPercent(cur.ChurnUncompensatedRate))
	if cur.RetainedMRRPerAmount != nil && prev.RetainedMRRPerAmount != nil {
		diff := *cur.RetainedMRRPerAmount - *prev.RetainedMRRPerAmount
		if math.Round(diff*100) == 0 {
			k.Delta, k.Trend = "unchanged vs "+prevLabel, "flat"
		} else {
			k.Delta, k.Trend = fmtRetained(&diff)+" vs "+prevLabel, trendOf(diff, true)
		}
	}
	return k
}

// csvCompensationPaysRows are the churn CSV's rows of "does compensation
// pay?": scope "compensation", outcome offered / not_offered.
func csvCompensationPaysRows(p trustlens.CompensationPays) [][]string {
	return [][]string{
		{"compensation", "", "", "offered", "", csvInt(p.CompensatedActive), csvInt(p.CompensatedChurned), csvFloatP(p.ChurnCompensatedRate), "", "", "", ""},
		{"compensation", "", "", "not_offered", "", csvInt(p.UncompensatedActive), csvInt(p.UncompensatedChurned), csvFloatP(p.ChurnUncompensatedRate), "", "", "", ""},
	}
}
