package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trustlens/trustlens"
)

// aggRow is one row of aggregates, by name (acc.row in memory.go).
type aggRow map[string]float64

func median(n, v float64) *int64 {
	if n == 0 {
		return nil
	}
	x := int64(v)
	return &x
}

func uplift(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	v := 100 * (*a - *b)
	return &v
}

// summaryOf turns an aggregate row into the summary figures.
func (s *Store) summaryOf(r aggRow, incomplete int64) trustlens.Summary {
	sum := trustlens.Summary{
		Incidents:                     int64(r["incidents"]),
		OpenIncidents:                 int64(r["open"]),
		IncompleteIncidents:           incomplete,
		TTAMedianSeconds:              median(r["tta_n"], r["tta_p50"]),
		TTAP90Seconds:                 median(r["tta_n"], r["tta_p90"]),
		AckWithinTargetRate:           ratio(r["ack_met"], r["incidents"]),
		CadenceComplianceRate:         ratio(r["cad_met"], r["cad_met"]+r["cad_missed"]),
		MaxSilenceMedianSeconds:       median(r["resolved"], r["sil_p50"]),
		MultiChannelRate:              ratio(r["multi"], r["incidents"]),
		ResponsibilityRate:            ratio(r["resp"], r["incidents"]),
		ApologyRate:                   ratio(r["apol"], r["incidents"]),
		PostmortemRate:                ratio(r["pm_met"], r["pm_met"]+r["pm_missed"]),
		CompensationOfferedCustomers:  int64(r["off_c"]),
		CompensationRedeemedCustomers: int64(r["red_c"]),
		CompensationUptakeRate:        ratio(r["red_c"], r["off_c"]),
		CompensationOfferedAmount:     cents(r["off_amt"]),
		CompensationRedeemedAmount:    cents(r["red_amt"]),
		FollowupRate:                  ratio(r["fu_num"], r["fu_den"]),
		ChurnWindowDays:               s.policy.ChurnWindowDays,
		ChurnAffectedRate:             ratio(r["ca"], r["aa"]),
		ChurnBaselineRate:             ratio(r["cb"], r["ab"]),
		TrustScoreAvg:                 ratio(r["ts_sum"], r["ts_n"]),
		PromiseKeptRate:               ratio(r["kept"], r["kept"]+r["broken"]),
		Policy:                        s.policy,
	}
	sum.ChurnUpliftPP = uplift(sum.ChurnAffectedRate, sum.ChurnBaselineRate)
	return sum
}

func churnGroupOf(r aggRow) trustlens.ChurnGroup {
	g := trustlens.ChurnGroup{
		Incidents:       int64(r["churn_n"]),
		ActiveAffected:  int64(r["aa"]),
		ChurnedAffected: int64(r["ca"]),
		ActiveBaseline:  int64(r["ab"]),
		ChurnedBaseline: int64(r["cb"]),
		AffectedRate:    ratio(r["ca"], r["aa"]),
		BaselineRate:    ratio(r["cb"], r["ab"]),
	}
	g.UpliftPP = uplift(g.AffectedRate, g.BaselineRate)
	return g
}

// summary is the one-object summary of SPEC §3 over the complete incidents
// detected in [f.From, f.To) of severity f.Severity (all when "").
// incomplete_incidents is not range-filtered.
func (s *Store) summary(ctx context.Context, f trustlens.Filter) (trustlens.Summary, error) {
	if err := checkFilter(f); err != nil {
		return trustlens.Summary{}, fmt.Errorf("analytics: summary: %w", err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return trustlens.Summary{}, fmt.Errorf("analytics: summary: %w", err)
	}
	f.Status = ""
	sel := snap.selectionOf(f)
	now := s.nowOf(ctx)
	a := combine(s.aggregate(snap, sel, now, true), sel.mask)
	sum := s.summaryOf(a.row(), snap.incomplete)
	sc, _ := scopeOf(f)
	snap.setTicketSummary(&sum, snap.selectRows(f), sc.from, sc.to, now)
	return sum, nil
}

// incomplete counts the incident ids seen on the incidents or
// communications topic without an incident.detected.
func (s *Store) incompleteRaw(ctx context.Context, b builder) (int64, error) {
	q := b.incompleteState()
	if !b.state {
		q = `SELECT toInt64(count()) FROM (
  SELECT incident_id, max(det) AS has_det
  FROM (
    SELECT incident_id, toUInt8(type = 'incident.detected') AS det
    FROM (` + b.dedup("incident_events", "event_id, type, incident_id", "") + `)
    UNION ALL
    SELECT incident_id, toUInt8(0) AS det
    FROM (` + b.dedup("communication_events", "event_id, incident_id", "") + `)
  )
  WHERE incident_id != ''
  GROUP BY incident_id
)
WHERE has_det = 0`
	}
	rows, err := s.query(ctx, q)
	if err != nil {
		return 0, fmt.Errorf("incomplete incidents: %w", err)
	}
	defer rows.Close()
	var n int64
	for rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return 0, fmt.Errorf("incomplete incidents: %w", err)
		}
	}
	return n, rows.Err()
}

// churn is pooled post-outage churn over the non-pending incidents in
// range, by severity, and the trust drivers (affected churn where each
// habit was met vs missed).
func (s *Store) churn(ctx context.Context, f trustlens.Filter) (trustlens.Churn, error) {
	out := trustlens.Churn{ChurnWindowDays: s.policy.ChurnWindowDays, Policy: s.policy, BySeverity: map[string]trustlens.ChurnGroup{}}
	if err := checkFilter(f); err != nil {
		return out, fmt.Errorf("analytics: churn: %w", err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return out, fmt.Errorf("analytics: churn: %w", err)
	}
	f.Status = ""
	bySev := map[string]aggRow{}
	sel := snap.selectionOf(f)
	slots := s.aggregate(snap, sel, s.nowOf(ctx), false)
	for k := -1; k < len(trustlens.Severities); k++ {
		a := combine(slots, sel.mask&(uint16(3)<<((k+1)*2)))
		if a.incidents == 0 {
			continue
		}
		sev := ""
		if k >= 0 {
			sev = trustlens.Severities[k]
		}
		bySev[sev] = a.row() // unknown severities count in the pooled row only
	}
	// every figure of churn is a sum, so the pooled row is the sum of the
	// severities' rows.
	r := aggRow{}
	for _, row := range bySev {
		for k, v := range row {
			r[k] += v
		}
	}
	out.PendingIncidents = int64(r["churn_pending"])
	out.ChurnGroup = churnGroupOf(r)
	for _, sev := range trustlens.Severities {
		if f.Severity != "" && sev != f.Severity {
			continue
		}
		g := aggRow{}
		if row, ok := bySev[sev]; ok {
			g = row
		}
		out.BySeverity[sev] = churnGroupOf(g)
	}
	for _, h := range trustlens.Habits {
		side := func(v string) trustlens.DriverSide {
			p := "d_" + h + "_" + v
			return trustlens.DriverSide{
				Incidents:       int64(r[p+"_n"]),
				ActiveAffected:  int64(r[p+"_aa"]),
				ChurnedAffected: int64(r[p+"_ca"]),
				ChurnRate:       ratio(r[p+"_ca"], r[p+"_aa"]),
			}
		}
		out.Drivers = append(out.Drivers, trustlens.Driver{Habit: h, Met: side(trustlens.Met), Missed: side(trustlens.Missed)})
	}
	if out.CompensationPays, err = s.compensationPays(ctx, snap, f, s.nowOf(ctx)); err != nil {
		return out, fmt.Errorf("analytics: churn: %w", err)
	}
	out.LostMRR = snap.lostMRR(f, int64(s.policy.ChurnWindowDays)*86400, s.nowOf(ctx))
	return out, nil
}

// compensation is offered/redeemed customers and amounts over the complete
// incidents in range, in total and by compensation type. A redemption is
// attributed to the type of the customer's earliest offer for the incident.
func (s *Store) compensation(ctx context.Context, f trustlens.Filter) (trustlens.Compensation, error) {
	out := trustlens.Compensation{ByType: map[string]trustlens.CompensationFigures{}, Policy: s.policy}
	if err := checkFilter(f); err != nil {
		return out, fmt.Errorf("analytics: compensation: %w", err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return out, fmt.Errorf("analytics: compensation: %w", err)
	}
	f.Status = ""
	type tally struct {
		compSums
		days []float64
	}
	total := &tally{}
	byType := make([]*tally, len(trustlens.CompensationTypes))
	for i := range byType {
		byType[i] = &tally{}
	}
	add := func(t *tally, c compSums) {
		t.offered += c.offered
		t.redeemed += c.redeemed
		t.offAmt += c.offAmt
		t.redAmt += c.redAmt
	}
	for _, r := range snap.selectRows(f) {
		c := r.comp
		if c == nil {
			continue
		}
		add(total, c.total)
		total.days = append(total.days, c.days...)
		for i, sums := range c.byType {
			add(byType[i], sums)
		}
		for k, t := range c.dayType {
			if t >= 0 {
				byType[t].days = append(byType[t].days, c.days[k])
			}
		}
	}
	figs := func(t *tally) trustlens.CompensationFigures {
		fig := trustlens.CompensationFigures{
			OfferedCustomers:  t.offered,
			RedeemedCustomers: t.redeemed,
			OfferedAmount:     cents(t.offAmt),
			RedeemedAmount:    cents(t.redAmt),
			UptakeRate:        ratio(float64(t.redeemed), float64(t.offered)),
		}
		if t.redeemed > 0 {
			m := quantileExact(t.days, 0.5)
			fig.MedianDaysToRedeem = &m
		}
		return fig
	}
	out.CompensationFigures = figs(total)
	for i, t := range trustlens.CompensationTypes {
		out.ByType[t] = figs(byType[i])
	}
	if out.CompensationPays, err = s.compensationPays(ctx, snap, f, s.nowOf(ctx)); err != nil {
		return out, fmt.Errorf("analytics: compensation: %w", err)
	}
	return out, nil
}

// medianMetrics are the trend metrics that are medians or percentiles.
var medianMetrics = map[string]bool{"tta_median_seconds": true, "tta_p90_seconds": true, "max_silence_median_seconds": true}

// countMetrics are the trend metrics that are 0 (not null) in an empty bucket.
var countMetrics = map[string]bool{
	"incidents": true, "open_incidents": true,
	"compensation_offered_customers": true, "compensation_redeemed_customers": true,
	"compensation_offered_amount": true, "compensation_redeemed_amount": true,
}

// ticketMetrics are the trend metrics of SPEC §2.6 (tickets.go): they
// also count events outside the incidents' rows, so each bucket is a
// summary of its own range.
var ticketMetrics = map[string]bool{
	"tickets_per_incident": true, "csat_affected_avg": true, "csat_baseline_avg": true,
	"tickets_per_hour_silent": true, "tickets_per_hour_updated": true,
}

// maxTrendBuckets bounds the number of points of a trend.
const maxTrendBuckets = 5000

// trend is a time series of one summary metric (one of
// trustlens.TrendMetrics) over buckets of detected_at: day, week (starting
// Monday) or month, UTC. Every bucket from the one holding f.From to the
// one holding the instant before f.To is present; an empty bucket has 0
// for counts and amounts and null for rates, medians and averages.
func (s *Store) trend(ctx context.Context, metric, interval string, f trustlens.Filter) (trustlens.Trend, error) {
	out := trustlens.Trend{Metric: metric, Interval: interval, Points: []trustlens.TrendPoint{}, Policy: s.policy}
	known := false
	for _, m := range trustlens.TrendMetrics {
		known = known || m == metric
	}
	if !known {
		return out, fmt.Errorf("analytics: trend: metric must be one of %s, got %q", strings.Join(trustlens.TrendMetrics, ", "), metric)
	}
	switch interval {
	case "day", "week", "month":
	default:
		return out, fmt.Errorf("analytics: trend: interval must be day, week or month, got %q", interval)
	}
	if err := checkFilter(f); err != nil {
		return out, fmt.Errorf("analytics: trend: %w", err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return out, fmt.Errorf("analytics: trend: %w", err)
	}
	f.Status = ""
	if ticketMetrics[metric] {
		return snap.ticketTrend(out, f, s.nowOf(ctx))
	}
	byStart := map[time.Time]aggRow{}
	var first, last time.Time
	sel, now := snap.selectionOf(f), s.nowOf(ctx)
	for lo := sel.lo; lo < sel.hi; {
		// the rows of one bucket are consecutive (sorted by det)
		k := bucketStartUnix(snap.rows[lo].det, interval)
		t := time.Unix(k, 0).UTC()
		bucket := sel
		bucket.lo, bucket.hi = lo, min(sel.hi, snap.firstAtOrAfter(nextBucket(t, interval).Unix()))
		lo = bucket.hi
		a := combine(s.aggregate(snap, bucket, now, medianMetrics[metric]), sel.mask)
		if a.incidents == 0 {
			continue // rows of other severities only
		}
		byStart[t] = a.row()
		if first.IsZero() || t.Before(first) {
			first = t
		}
		if t.After(last) {
			last = t
		}
	}
	if !f.From.IsZero() {
		first = bucketStart(f.From.UTC(), interval)
	}
	if !f.To.IsZero() {
		last = bucketStart(f.To.UTC().Add(-time.Second), interval)
	}
	if first.IsZero() {
		return out, nil
	}
	for t, n := first, 0; !t.After(last); t, n = nextBucket(t, interval), n+1 {
		if n >= maxTrendBuckets {
			return out, fmt.Errorf("analytics: trend: more than %d %s buckets: narrow the range", maxTrendBuckets, interval)
		}
		p := trustlens.TrendPoint{Start: t}
		if r, ok := byStart[t]; ok {
			v, err := metricValue(s.summaryOf(r, 0), metric)
			if err != nil {
				return out, fmt.Errorf("analytics: trend: %w", err)
			}
			p.Value = v
		} else if countMetrics[metric] {
			zero := 0.0
			p.Value = &zero
		}
		out.Points = append(out.Points, p)
	}
	return out, nil
}

// metricValue reads one summary figure by its JSON name.
func metricValue(sum trustlens.Summary, metric string) (*float64, error) {
	raw, err := json.Marshal(sum)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, err
	}
	var v *float64
	if err := json.Unmarshal(fields[metric], &v); err != nil {
		return nil, fmt.Errorf("metric %q: %w", metric, err)
	}
	return v, nil
}

// bucketStartUnix is bucketStart of a unix instant, as a unix instant.
func bucketStartUnix(unix int64, interval string) int64 {
	day := unix - ((unix%86400)+86400)%86400
	switch interval {
	case "week":
		d := day / 86400
		return day - (((d+3)%7+7)%7)*86400 // 1970-01-01 was a Thursday
	case "month":
		return bucketStart(time.Unix(unix, 0).UTC(), interval).Unix()
	}
	return day
}

func bucketStart(t time.Time, interval string) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch interval {
	case "week":
		wd := (int(d.Weekday()) + 6) % 7 // Monday = 0
		return d.AddDate(0, 0, -wd)
	case "month":
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return d
}

func nextBucket(t time.Time, interval string) time.Time {
	switch interval {
	case "week":
		return t.AddDate(0, 0, 7)
	case "month":
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}

// spread counts the incidents of f (range, severity and status) by habit
// verdict and by time to acknowledge, from the blocks' sums.
func (s *Store) spread(ctx context.Context, f trustlens.Filter, bounds []int64) (trustlens.Spread, error) {
	if err := checkFilter(f); err != nil {
		return trustlens.Spread{}, fmt.Errorf("analytics: spread: %w", err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return trustlens.Spread{}, fmt.Errorf("analytics: spread: %w", err)
	}
	return s.spreadOf(snap, f, s.nowOf(ctx), bounds), nil
}

func (s *Store) spreadOf(snap *snapshot, f trustlens.Filter, now int64, bounds []int64) trustlens.Spread {
	sel := snap.selectionOf(f)
	a := combine(s.aggregate(snap, sel, now, true), sel.mask)
	out := trustlens.Spread{Incidents: a.incidents, Verdicts: map[string]map[string]int64{},
		AckBounds: bounds, AckWithin: make([]int64, len(bounds)), Acknowledged: a.ttaN}
	for h, name := range trustlens.Habits {
		out.Verdicts[name] = map[string]int64{}
		for v, n := range a.verdicts[h] {
			if n > 0 {
				out.Verdicts[name][verdictNames[v]] = n
			}
		}
	}
	for i, b := range bounds {
		out.AckWithin[i] = countAtMost(a.tta, a.ttaParts, b)
	}
	return out
}
