package dashboard

import (
	"fmt"
	"math"
	"net/http"
	"sort"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// kpi is one tile of the overview: a figure and its change against the
// previous period of equal length.
type kpi struct {
	Metric string // the summary field (data-metric), for tests and analysts
	Label  string
	Value  string // formatted
	Raw    string // the raw figure as the API gives it ("" for null)
	Unit   string
	Delta  string // "+4 pts vs previous 90 days", "" when not comparable
	Trend  string // "good", "bad" or "flat"
	Hint   string
}

type overviewData struct {
	layoutData
	Summary      trustlens.Summary
	KPIs         []kpi
	Trust        chartView
	TTA          chartView
	Habits       chartView
	Churn        chartView
	Silence      costOfSilence // tickets per hour, silent vs updated
	SilenceChart chartView
	CSAT         chartView // satisfaction, affected vs baseline
	CSATInterval string    // of the satisfaction chart
	Recent       []trustlens.Incident
	Total        int64
	PrevLabel    string
	Interval     string // of the trust-score trend
	Changes      overviewChanges
	RightNow     *rightNow // the open incidents of any date; nil when none
}

// overviewRecent is how many of the most recent incidents the overview
// lists.
const overviewRecent = 10

// overviewPage is GET /: the executive overview.
func (s *Server) overviewPage(c echo.Context) error {
	const title = "Executive overview"
	st, err := s.pageFilter(c)
	if err != nil {
		return s.filterErrorPage(c, title, pageOverview, st, err)
	}
	ctx := c.Request().Context()
	f := st.Filter
	var (
		cur, prev trustlens.Summary
		trend     trustlens.Trend
		list      trustlens.IncidentPage
		churn     trustlens.Churn
		prevChurn trustlens.Churn
		spread    trustlens.Spread
		csatAff   trustlens.Trend
		csatBase  trustlens.Trend
		due       []trustlens.UpdateDue
	)
	pol := s.policy()
	listF := f
	listF.Limit = overviewRecent
	err = parallel(
		func() (err error) { cur, err = s.analytics.Summary(ctx, f); return err },
		func() (err error) { due, err = s.analytics.UpdatesDue(ctx); return err },
		func() (err error) { prev, err = s.analytics.Summary(ctx, previousPeriod(f)); return err },
		func() (err error) {
			trend, err = s.analytics.Trend(ctx, "trust_score_avg", trendInterval(f), f)
			return err
		},
		func() (err error) { list, err = s.analytics.Incidents(ctx, listF); return err },
		func() (err error) { churn, err = s.analytics.Churn(ctx, f); return err },
		func() (err error) { prevChurn, err = s.analytics.Churn(ctx, previousPeriod(f)); return err },
		func() (err error) {
			spread, err = s.analytics.Spread(ctx, f, ttaBounds(pol.AckTarget.Seconds()))
			return err
		},
		func() (err error) {
			csatAff, err = s.analytics.Trend(ctx, "csat_affected_avg", csatInterval(f), f)
			return err
		},
		func() (err error) {
			csatBase, err = s.analytics.Trend(ctx, "csat_baseline_avg", csatInterval(f), f)
			return err
		},
	)
	if err != nil {
		return fmt.Errorf("dashboard: overview: %w", err)
	}
	d := overviewData{
		layoutData: s.newLayout(c, title, pageOverview, st),
		Summary:    cur,
		Total:      list.Total,
		PrevLabel:  "previous " + periodLabel(f),
		Interval:   trendInterval(f),
	}
	d.KPIs = overviewKPIs(cur, prev, d.PrevLabel)
	d.KPIs = append(d.KPIs, compensationPaysKPI(churn.CompensationPays, prevChurn.CompensationPays, d.PrevLabel))
	d.Changes = changesOf(d.KPIs, d.PrevLabel)
	d.Trust = trendChart("chart-trust", trend, "trust score", 1)
	// the histogram and the habits chart count every incident of the
	// filter, not a list of them
	d.TTA = ttaChart("chart-tta", spread)
	d.Habits = habitsChart("chart-habits", spread)
	d.Habits.Size = "tall"
	d.Churn = churnChart("chart-churn", churn)
	d.Silence = costOfSilenceOf(cur)
	d.SilenceChart = silenceCostChart("chart-silence-cost", cur)
	d.SilenceChart.Size = "short"
	d.CSAT = csatChart("chart-csat", csatAff, csatBase)
	d.CSATInterval = csatInterval(f)
	d.Recent = recentIncidents(list.Incidents, overviewRecent)
	if r, ok := rightNowOf(due, s.now()); ok {
		d.RightNow = &r
	}
	return s.render(c, http.StatusOK, pageOverview, d)
}

// periodLabel names the length of the filter's range ("90 days").
func periodLabel(f trustlens.Filter) string {
	days := f.To.Sub(f.From).Hours() / 24
	if days == math.Trunc(days) {
		if days == 1 {
			return "day"
		}
		return strconv.Itoa(int(days)) + " days"
	}
	return fmtDuration(int64(f.To.Sub(f.From).Seconds()))
}

// recentIncidents are the n most recently detected incidents.
func recentIncidents(in []trustlens.Incident, n int) []trustlens.Incident {
	ptrs := newestFirst(in)
	out := make([]trustlens.Incident, 0, min(n, len(ptrs)))
	for _, p := range ptrs[:min(n, len(ptrs))] {
		out = append(out, *p)
	}
	return out
}

// newestFirst points at the incidents, most recently detected first (ties
// by id). The analytics list is already in that order: it is sorted only
// when it is not (sorting pointers, not the large structs).
func newestFirst(in []trustlens.Incident) []*trustlens.Incident {
	newer := func(a, b *trustlens.Incident) bool {
		if !a.DetectedAt.Equal(b.DetectedAt) {
			return a.DetectedAt.After(b.DetectedAt)
		}
		return a.IncidentID < b.IncidentID
	}
	ptrs := make([]*trustlens.Incident, len(in))
	sorted := true
	for i := range in {
		ptrs[i] = &in[i]
		sorted = sorted && (i == 0 || !newer(&in[i], &in[i-1]))
	}
	if !sorted {
		sort.SliceStable(ptrs, func(i, j int) bool { return newer(ptrs[i], ptrs[j]) })
	}
	return ptrs
}

// overviewKPIs are the five tiles of SPEC §3's executive overview, plus the
// incident count.
func overviewKPIs(cur, prev trustlens.Summary, prevLabel string) []kpi {
	var tiles []kpi

	score := kpi{Metric: "trust_score_avg", Label: "Trust score", Value: "—", Unit: "/ 100",
		Hint: "mean of the incidents' scores: habits met ÷ (met + missed)"}
	if cur.TrustScoreAvg != nil {
		score.Value = strconv.FormatFloat(math.Round(*cur.TrustScoreAvg*10)/10, 'f', -1, 64)
		score.Raw = rawFloat(cur.TrustScoreAvg)
	}
	score.Delta, score.Trend = deltaFloat(cur.TrustScoreAvg, prev.TrustScoreAvg, 1, " pts", true, prevLabel)
	tiles = append(tiles, score)

	tta := kpi{Metric: "tta_median_seconds", Label: "Median time to acknowledge", Value: "—",
		Hint: "from detection to the first communication"}
	if cur.TTAMedianSeconds != nil {
		tta.Value = fmtDuration(*cur.TTAMedianSeconds)
		tta.Raw = strconv.FormatInt(*cur.TTAMedianSeconds, 10)
	}
	if cur.TTAMedianSeconds != nil && prev.TTAMedianSeconds != nil {
		diff := *cur.TTAMedianSeconds - *prev.TTAMedianSeconds
		tta.Trend = trendOf(float64(diff), false)
		sign := "+"
		if diff < 0 {
			sign = ""
		}
		tta.Delta = sign + fmtDuration(diff) + " vs " + prevLabel
		if diff == 0 {
			tta.Delta = "unchanged vs " + prevLabel
		}
	}
	tiles = append(tiles, tta)

	rate := func(metric, label, hint string, cur, prev *float64, upGood bool) kpi {
		k := kpi{Metric: metric, Label: label, Value: fmtPercent(cur), Raw: rawFloat(cur), Hint: hint}
		k.Delta, k.Trend = deltaFloat(cur, prev, 100, " pp", upGood, prevLabel)
		return k
	}
	tiles = append(tiles,
		rate("cadence_compliance_rate", "Update cadence compliance", "incidents that kept to their update cadence on enough channels",
			cur.CadenceComplianceRate, prev.CadenceComplianceRate, true),
		rate("compensation_uptake_rate", "Compensation uptake", "customers who redeemed the compensation offered",
			cur.CompensationUptakeRate, prev.CompensationUptakeRate, true),
	)

	uplift := kpi{Metric: "churn_uplift_pp", Label: "Churn uplift", Value: "—", Unit: "pp",
		Hint: fmt.Sprintf("churn of affected customers minus baseline, %d days after resolution", cur.ChurnWindowDays)}
	if cur.ChurnUpliftPP != nil {
		uplift.Value = signed(*cur.ChurnUpliftPP)
		uplift.Raw = rawFloat(cur.ChurnUpliftPP)
	}
	uplift.Delta, uplift.Trend = deltaFloat(cur.ChurnUpliftPP, prev.ChurnUpliftPP, 1, " pp", false, prevLabel)
	tiles = append(tiles, uplift)

	inc := kpi{Metric: "incidents", Label: "Incidents", Value: fmtInt(cur.Incidents), Raw: strconv.FormatInt(cur.Incidents, 10),
		Hint: fmt.Sprintf("%s still open", fmtInt(cur.OpenIncidents))}
	n, p := float64(cur.Incidents), float64(prev.Incidents)
	inc.Delta, _ = deltaFloat(&n, &p, 1, "", false, prevLabel)
	inc.Trend = "neutral" // more incidents is not the communication team's doing
	tiles = append(tiles, inc)
	return tiles
}

// rawFloat is the figure as JSON writes it ("" for null).
func rawFloat(v *float64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// signed writes a number with one decimal and its sign: "+3.2", "−1", "0".
func signed(v float64) string {
	r := math.Round(v*10) / 10
	s := strconv.FormatFloat(math.Abs(r), 'f', -1, 64)
	switch {
	case r > 0:
		return "+" + s
	case r < 0:
		return "−" + s
	}
	return "0"
}

// deltaFloat describes cur − prev (scaled) and whether it is good news.
func deltaFloat(cur, prev *float64, scale float64, unit string, upGood bool, prevLabel string) (string, string) {
	if cur == nil || prev == nil {
		return "", ""
	}
	diff := (*cur - *prev) * scale
	if math.Round(diff*10) == 0 {
		return "unchanged vs " + prevLabel, "flat"
	}
	return signed(diff) + unit + " vs " + prevLabel, trendOf(diff, upGood)
}

func trendOf(diff float64, upGood bool) string {
	switch {
	case diff == 0:
		return "flat"
	case (diff > 0) == upGood:
		return "good"
	}
	return "bad"
}
