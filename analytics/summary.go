package analytics

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/trustlens/trustlens"
)

// aggCol is one aggregate over the figure set, always read as Float64.
type aggCol struct{ name, expr string }

// aggCols are the sums and counts behind Summary, Churn and Trend.
func aggCols() []aggCol {
	cols := []aggCol{
		{"incidents", "count()"},
		{"open", "countIf(status = 'open')"},
		{"resolved", "countIf(status = 'resolved')"},
		{"tta_n", "countIf(isNotNull(tta_seconds))"},
		{"tta_p50", "quantileExactIf(0.5)(assumeNotNull(tta_seconds), isNotNull(tta_seconds))"},
		{"tta_p90", "quantileExactIf(0.9)(assumeNotNull(tta_seconds), isNotNull(tta_seconds))"},
		{"ack_met", "countIf(habit_act_swiftly = 'met')"},
		{"cad_met", "countIf(habit_communicate_proactively = 'met')"},
		{"cad_missed", "countIf(habit_communicate_proactively = 'missed')"},
		{"sil_p50", "quantileExactIf(0.5)(max_silence_seconds, status = 'resolved')"},
		{"multi", "countIf(length(channels) >= 2)"},
		{"resp", "countIf(responsibility = 1)"},
		{"apol", "countIf(apology = 1)"},
		{"pm_met", "countIf(habit_learn = 'met')"},
		{"pm_missed", "countIf(habit_learn = 'missed')"},
		{"off_c", "sum(compensation_offered)"},
		{"red_c", "sum(compensation_redeemed)"},
		{"off_amt", "round(sum(compensation_offered_amount), 2)"},
		{"red_amt", "round(sum(compensation_redeemed_amount), 2)"},
		{"fu_num", "sumIf(followed_up, status = 'resolved')"},
		{"fu_den", "sumIf(affected, status = 'resolved')"},
		{"churn_n", "countIf(churn_pending = 0)"},
		{"churn_pending", "countIf(churn_pending = 1)"},
		{"aa", "sumIf(assumeNotNull(active_affected), churn_pending = 0)"},
		{"ca", "sumIf(assumeNotNull(churned_affected), churn_pending = 0)"},
		{"ab", "sumIf(assumeNotNull(active_baseline), churn_pending = 0)"},
		{"cb", "sumIf(assumeNotNull(churned_baseline), churn_pending = 0)"},
		{"ts_sum", "sumIf(assumeNotNull(trust_score), isNotNull(trust_score))"},
		{"ts_n", "countIf(isNotNull(trust_score))"},
		{"kept", "sum(promises_kept)"},
		{"broken", "sum(promises_broken)"},
	}
	for _, h := range trustlens.Habits {
		for _, v := range []string{trustlens.Met, trustlens.Missed} {
			cond := "churn_pending = 0 AND habit_" + h + " = '" + v + "'"
			p := "d_" + h + "_" + v
			cols = append(cols,
				aggCol{p + "_n", "countIf(" + cond + ")"},
				aggCol{p + "_aa", "sumIf(assumeNotNull(active_affected), " + cond + ")"},
				aggCol{p + "_ca", "sumIf(assumeNotNull(churned_affected), " + cond + ")"},
			)
		}
	}
	return cols
}

// aggRow is one row of aggregates, by aggCol name.
type aggRow map[string]float64

// aggregate runs aggCols over the figure set of sc, grouped by the String
// expression group ("" for one row). It returns the rows by group key.
func (s *Store) aggregate(ctx context.Context, b builder, snap *snapshot, sc scope, args []any, group string, keep func(name string) bool) (map[string]aggRow, []string, error) {
	var cols []aggCol
	for _, c := range aggCols() {
		if keep == nil || keep(c.name) {
			cols = append(cols, c)
		}
	}
	sel := make([]string, 0, len(cols)+1)
	key := "''"
	if group != "" {
		key = group
	}
	sel = append(sel, "toString("+key+") AS g_key")
	for _, c := range cols {
		sel = append(sel, "toFloat64("+c.expr+") AS a_"+c.name)
	}
	q := "SELECT " + strings.Join(sel, ",\n  ") + "\nFROM (" + b.snapFigures(snap, sc) + ")"
	if group != "" {
		q += "\nGROUP BY g_key\nORDER BY g_key"
	}
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	out := map[string]aggRow{}
	var keys []string
	for rows.Next() {
		var k string
		vals := make([]float64, len(cols))
		dest := []any{&k}
		for i := range vals {
			dest = append(dest, &vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		r := make(aggRow, len(cols))
		for i, c := range cols {
			r[c.name] = vals[i]
		}
		out[k] = r
		keys = append(keys, k)
	}
	return out, keys, rows.Err()
}

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
	b := s.builderCtx(ctx)
	sc, args := scopeOf(f)
	sc.status = ""
	rows, _, err := s.aggregate(ctx, b, snap, sc, args, "", nil)
	if err != nil {
		return trustlens.Summary{}, fmt.Errorf("analytics: summary: %w", err)
	}
	return s.summaryOf(rows[""], snap.incomplete), nil
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
	b := s.builderCtx(ctx)
	sc, args := scopeOf(f)
	sc.status = ""
	// only the churn sums (the others are 0 in the rows)
	churnOnly := func(name string) bool {
		switch name {
		case "churn_n", "churn_pending", "aa", "ca", "ab", "cb":
			return true
		}
		return strings.HasPrefix(name, "d_")
	}
	bySev, _, err := s.aggregate(ctx, b, snap, sc, args, "severity", churnOnly)
	if err != nil {
		return out, fmt.Errorf("analytics: churn: %w", err)
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
	b := s.builderCtx(ctx)
	sc, args := scopeOf(f)
	sc.status = ""
	parts := []struct {
		key  string
		redC string // condition for a redeemed pair
		offC string // offered-customer condition
		amt  string // offered amount of the pair
	}{{"", "n_off > 0 AND n_red > 0", "n_off > 0", "off_amt"}}
	for _, t := range trustlens.CompensationTypes {
		parts = append(parts, struct{ key, redC, offC, amt string }{
			t,
			"n_off > 0 AND n_red > 0 AND off_type = '" + t + "'",
			"has(off_types, '" + t + "')",
			"arraySum(arrayFilter((a_, t_) -> t_ = '" + t + "', off_amts, off_types))",
		})
	}
	var sel []string
	for i, p := range parts {
		n := fmt.Sprintf("c%d_", i)
		sel = append(sel,
			"toFloat64(countIf("+p.offC+")) AS "+n+"off",
			"toFloat64(countIf("+p.redC+")) AS "+n+"red",
			"toFloat64(round(sum("+p.amt+"), 2)) AS "+n+"off_amt",
			"toFloat64(round(sumIf(red_amt, "+p.redC+"), 2)) AS "+n+"red_amt",
			"toFloat64(quantileExactIf(0.5)((red_first - off_first) / 86400, "+p.redC+")) AS "+n+"med",
		)
	}
	// the pairs of the incidents in scope, as pairs(sc) selects them
	q := "SELECT " + strings.Join(sel, ",\n  ") + "\nFROM " + snap.pairs + "\nWHERE " + b.inScope(sc)
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return out, fmt.Errorf("analytics: compensation: %w", err)
	}
	defer rows.Close()
	vals := make([]float64, len(sel))
	dest := make([]any, len(sel))
	for i := range vals {
		dest[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return out, fmt.Errorf("analytics: compensation: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("analytics: compensation: %w", err)
	}
	for i, p := range parts {
		v := vals[i*5 : i*5+5]
		fig := trustlens.CompensationFigures{
			OfferedCustomers:  int64(v[0]),
			RedeemedCustomers: int64(v[1]),
			OfferedAmount:     cents(v[2]),
			RedeemedAmount:    cents(v[3]),
			UptakeRate:        ratio(v[1], v[0]),
		}
		if v[1] > 0 {
			m := v[4]
			fig.MedianDaysToRedeem = &m
		}
		if p.key == "" {
			out.CompensationFigures = fig
		} else {
			out.ByType[p.key] = fig
		}
	}
	return out, nil
}

// countMetrics are the trend metrics that are 0 (not null) in an empty bucket.
var countMetrics = map[string]bool{
	"incidents": true, "open_incidents": true,
	"compensation_offered_customers": true, "compensation_redeemed_customers": true,
	"compensation_offered_amount": true, "compensation_redeemed_amount": true,
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
	var group string
	switch interval {
	case "day":
		group = "toDate(detected_at)"
	case "week":
		group = "toMonday(detected_at)"
	case "month":
		group = "toStartOfMonth(detected_at)"
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
	b := s.builderCtx(ctx)
	sc, args := scopeOf(f)
	sc.status = ""
	rows, keys, err := s.aggregate(ctx, b, snap, sc, args, group, nil)
	if err != nil {
		return out, fmt.Errorf("analytics: trend: %w", err)
	}
	byStart := map[time.Time]aggRow{}
	var first, last time.Time
	for _, k := range keys {
		t, err := time.ParseInLocation("2006-01-02", k, time.UTC)
		if err != nil {
			return out, fmt.Errorf("analytics: trend: bucket %q: %w", k, err)
		}
		byStart[t] = rows[k]
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
