package dashboard

import (
	"fmt"
	"html/template"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/trustlens/trustlens"
)

// chartView is one chart as the page templates place it: a placeholder
// element whose data-option attribute carries the ECharts option as JSON,
// drawn by static/charts.js.
//
// go-echarts builds the option (RenderSnippet); its own snippet element
// and script are not used because they carry an inline style attribute and
// an inline <script>, both forbidden by the dashboard's Content-Security-
// Policy.
type chartView struct {
	ID     string
	Option string // ECharts option, JSON
	Size   string // CSS modifier: "" (normal), "tall", "short"
	Empty  string // shown instead of the chart when there is nothing to draw
	Label  string // accessible description of the chart
}

// Colours shared by every chart (and by app.css).
const (
	colorBlue    = "#3867d6"
	colorTeal    = "#20a39e"
	colorMet     = "#2f9e66"
	colorMissed  = "#d64550"
	colorPending = "#e5a323"
	colorNA      = "#b7c0cd"
	colorGrey    = "#8792a2"
)

var palette = []string{colorBlue, colorTeal, "#f08a4b", "#8a63d2", "#d64550", "#2f9e66"}

// verdictColors colours the habit verdicts everywhere.
var verdictColors = map[string]string{
	trustlens.Met: colorMet, trustlens.Missed: colorMissed,
	trustlens.Pending: colorPending, trustlens.NA: colorNA,
}

// chartAssetsHost is where go-echarts would load echarts from: our own
// embedded copy, never a CDN.
const chartAssetsHost = "/static/vendor/"

// echartsOption is what snippet needs of a go-echarts chart.
type echartsOption interface {
	Validate()
	JSONNotEscaped() template.HTML
}

// snippet turns a go-echarts chart into a chartView. The option is the
// chart's JSON, as RenderSnippet().Option gives it, without RenderSnippet's
// cost: it parses and runs three templates per chart, of which the page
// uses one (a seventh of a page's CPU). TestSnippetMatchesRenderSnippet
// keeps the two equal.
func snippet(id, label string, c echartsOption) chartView {
	c.Validate()
	return chartView{ID: id, Label: label, Option: strings.TrimSpace(string(c.JSONNotEscaped()))}
}

// baseOpts are the options every chart shares.
func baseOpts(id string, legend bool) []charts.GlobalOpts {
	return baseOptsGrid(id, legend, opts.Grid{Left: "8", Right: "16", Top: gridTop(legend), Bottom: "8", ContainLabel: opts.Bool(true)})
}

// baseOptsGrid is baseOpts with the grid g. A chart has one grid: a
// second charts.WithGridOpts adds a second grid that no axis uses, so a
// chart that needs other margins passes them here.
func baseOptsGrid(id string, legend bool, g opts.Grid) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithInitializationOpts(opts.Initialization{ChartID: id, AssetsHost: chartAssetsHost}),
		charts.WithColorsOpts(opts.Colors(palette)),
		charts.WithAnimation(false),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(legend), Top: "0", Left: "center"}),
		charts.WithGridOpts(g),
	}
}

func gridTop(legend bool) string {
	if legend {
		return "52"
	}
	return "30"
}

func valueAxis(name string) opts.YAxis {
	return opts.YAxis{Type: "value", Name: name, NameLocation: "end",
		SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e6e9ef"}}}
}

// countAxis is a value axis of whole numbers (incidents, customers).
func countAxis(name string) opts.YAxis {
	a := valueAxis(name)
	a.MinInterval = 1
	return a
}

// percent turns a 0…1 rate into a rounded percentage for a chart (nil → null).
func percent(r *float64) interface{} {
	if r == nil {
		return nil
	}
	return math.Round(*r*1000) / 10
}

// trendChart draws a trend (trust score, compliance…) as a line.
func trendChart(id string, t trustlens.Trend, name string, scale float64) chartView {
	if len(t.Points) == 0 {
		return chartView{ID: id, Empty: "No incidents in this period yet."}
	}
	line := charts.NewLine()
	line.SetGlobalOptions(append(baseOpts(id, false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(valueAxis(name)),
	)...)
	x := make([]string, len(t.Points))
	data := make([]opts.LineData, len(t.Points))
	layout := bucketLayout(t.Interval)
	hasValue := false
	for i, p := range t.Points {
		x[i] = p.Start.UTC().Format(layout)
		if p.Value != nil {
			v := math.Round(*p.Value*scale*10) / 10
			data[i] = opts.LineData{Value: v}
			hasValue = true
		} else {
			data[i] = opts.LineData{Value: "-"}
		}
	}
	if !hasValue {
		return chartView{ID: id, Empty: "No incident in this period has a score yet."}
	}
	line.SetXAxis(x)
	line.AddSeries(name, data,
		charts.WithLineChartOpts(opts.LineChart{ConnectNulls: opts.Bool(true), Symbol: "circle", SymbolSize: 7}),
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.12)}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 3}),
	)
	return snippet(id, name+" per "+t.Interval, line)
}

// ttaBucket is one bar of the time-to-acknowledge histogram.
type ttaBucket struct {
	Label    string
	Upper    int64 // seconds, inclusive; -1 = no upper bound
	InTarget bool
	Count    int64
}

// ttaMultiples are the bounds of the time-to-acknowledge bars, in
// acknowledgement targets: the target is always a bar boundary.
var ttaMultiples = []float64{0.25, 0.5, 1, 2, 4, 8}

// ttaBounds are the bars' upper bounds in seconds for target.
func ttaBounds(target int64) []int64 {
	if target <= 0 {
		target = 1800
	}
	b := make([]int64, len(ttaMultiples))
	for i, m := range ttaMultiples {
		b[i] = int64(float64(target) * m)
	}
	return b
}

// ttaBuckets are the bars of the time-to-acknowledge histogram of sp,
// whose bounds are ttaBounds: one per bound, one past the last, and the
// incidents with no communication yet last (when there are any).
func ttaBuckets(sp trustlens.Spread) []ttaBucket {
	var b []ttaBucket
	prev, within := int64(0), int64(0)
	target := int64(0)
	if len(sp.AckBounds) > 2 {
		target = sp.AckBounds[2] // the multiple 1
	}
	for i, upper := range sp.AckBounds {
		label := "≤ " + fmtDurationShort(upper)
		if i > 0 {
			label = fmtDurationShort(prev) + "–" + fmtDurationShort(upper)
		}
		b = append(b, ttaBucket{Label: label, Upper: upper, InTarget: upper <= target, Count: sp.AckWithin[i] - within})
		prev, within = upper, sp.AckWithin[i]
	}
	b = append(b, ttaBucket{Label: "> " + fmtDurationShort(prev), Upper: -1, Count: sp.Acknowledged - within})
	if none := sp.Incidents - sp.Acknowledged; none > 0 {
		b = append(b, ttaBucket{Label: "not yet", Upper: -2, Count: none})
	}
	return b
}

// ttaChart is the histogram of time to acknowledge.
func ttaChart(id string, sp trustlens.Spread) chartView {
	if sp.Incidents == 0 {
		return chartView{ID: id, Empty: "No incidents in this period yet."}
	}
	buckets := ttaBuckets(sp)
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(id, false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(countAxis("incidents")),
	)...)
	x := make([]string, len(buckets))
	data := make([]opts.BarData, len(buckets))
	for i, k := range buckets {
		x[i] = k.Label
		color := colorMissed
		switch {
		case k.InTarget:
			color = colorMet
		case k.Upper == -2:
			color = colorNA
		}
		data[i] = opts.BarData{Value: k.Count, ItemStyle: &opts.ItemStyle{Color: color, BorderRadius: "4"}}
	}
	bar.SetXAxis(x)
	bar.AddSeries("incidents", data, charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "20%"}))
	return snippet(id, "incidents by time to acknowledge", bar)
}

// habitsChart stacks met/missed/pending/n/a for each of the seven habits.
func habitsChart(id string, sp trustlens.Spread) chartView {
	if sp.Incidents == 0 {
		return chartView{ID: id, Empty: "No incidents in this period yet."}
	}
	counts := sp.Verdicts
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(id, true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "incidents", MinInterval: 1,
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e6e9ef"}}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
	)...)
	labels := make([]string, len(trustlens.Habits))
	for i, h := range trustlens.Habits {
		labels[i] = habitLabel(h)
	}
	bar.SetXAxis(labels).XYReversal()
	for _, v := range []string{trustlens.Met, trustlens.Missed, trustlens.Pending, trustlens.NA} {
		data := make([]opts.BarData, len(trustlens.Habits))
		for i, h := range trustlens.Habits {
			data[i] = opts.BarData{Value: counts[h][v]}
		}
		bar.AddSeries(v, data,
			charts.WithBarChartOpts(opts.BarChart{Stack: "habits", BarWidth: "60%"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: verdictColors[v]}),
		)
	}
	return snippet(id, "habit verdicts per habit", bar)
}

// churnGroupRow is one row of the churn tables and charts.
type churnGroupRow struct {
	Label string
	trustlens.ChurnGroup
}

// churnRows lists the pooled group then each severity present.
func churnRows(ch trustlens.Churn) []churnGroupRow {
	rows := []churnGroupRow{{Label: "All severities", ChurnGroup: ch.ChurnGroup}}
	sevs := make([]string, 0, len(ch.BySeverity))
	for s := range ch.BySeverity {
		sevs = append(sevs, s)
	}
	sort.Strings(sevs)
	for _, s := range sevs {
		rows = append(rows, churnGroupRow{Label: s, ChurnGroup: ch.BySeverity[s]})
	}
	return rows
}

// churnChart compares affected and baseline churn, pooled and by severity.
func churnChart(id string, ch trustlens.Churn) chartView {
	rows := churnRows(ch)
	if ch.ActiveAffected == 0 && ch.ActiveBaseline == 0 {
		msg := "No resolved incident has completed its churn window yet."
		if ch.PendingIncidents > 0 {
			msg = fmt.Sprintf("%d incident(s) are still inside their %d-day churn window; figures appear once it has passed.", ch.PendingIncidents, ch.ChurnWindowDays)
		}
		return chartView{ID: id, Empty: msg}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(id, true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(valueAxis("churn %")),
	)...)
	x := make([]string, len(rows))
	aff := make([]opts.BarData, len(rows))
	base := make([]opts.BarData, len(rows))
	for i, r := range rows {
		x[i] = strings.Replace(r.Label, "All severities", "all", 1)
		aff[i] = opts.BarData{Value: percent(r.AffectedRate)}
		base[i] = opts.BarData{Value: percent(r.BaselineRate)}
	}
	bar.SetXAxis(x)
	bar.AddSeries("affected customers", aff, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMissed, BorderRadius: "3"}))
	bar.AddSeries("baseline", base, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorGrey, BorderRadius: "3"}))
	return snippet(id, "churn of affected customers vs baseline, by severity", bar)
}

// driversChart compares affected churn where each habit was met vs missed.
func driversChart(id string, ch trustlens.Churn) chartView {
	if len(ch.Drivers) == 0 || (ch.ActiveAffected == 0) {
		return chartView{ID: id, Empty: "Trust drivers need resolved incidents whose churn window has passed."}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(id, true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(valueAxis("churn of affected %")),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0", Rotate: 20}}),
	)...)
	x := make([]string, len(ch.Drivers))
	met := make([]opts.BarData, len(ch.Drivers))
	missed := make([]opts.BarData, len(ch.Drivers))
	for i, d := range ch.Drivers {
		x[i] = habitLabel(d.Habit)
		met[i] = opts.BarData{Value: percent(d.Met.ChurnRate)}
		missed[i] = opts.BarData{Value: percent(d.Missed.ChurnRate)}
	}
	bar.SetXAxis(x)
	bar.AddSeries("habit met", met, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMet, BorderRadius: "3"}))
	bar.AddSeries("habit missed", missed, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMissed, BorderRadius: "3"}))
	return snippet(id, "churn where each habit was met vs missed", bar)
}

// silenceRow is one incident of the longest-silence chart.
type silenceRow struct {
	trustlens.Incident
	Target int64
	Ratio  float64
}

// worstSilences sorts incidents by longest silence relative to their
// severity's cadence target, worst first, at most n.
func worstSilences(incidents []trustlens.Incident, p trustlens.Policy, n int) []silenceRow {
	// keep the n worst as small keys while scanning, then copy them out
	type key struct {
		i      int
		target int64
		ratio  float64
	}
	worse := func(a, b key) bool {
		if a.ratio != b.ratio {
			return a.ratio > b.ratio
		}
		return incidents[a.i].IncidentID < incidents[b.i].IncidentID
	}
	targets := map[string]int64{}
	for sev, d := range p.CadenceTarget {
		targets[sev] = d.Seconds()
	}
	top := make([]key, 0, n+1) // worst first
	for i := range incidents {
		inc := &incidents[i]
		k := key{i: i, target: targets[inc.Severity]}
		if k.target > 0 {
			k.ratio = float64(inc.MaxSilenceSeconds) / float64(k.target)
		}
		if len(top) == n && (n == 0 || !worse(k, top[n-1])) {
			continue
		}
		j := sort.Search(len(top), func(j int) bool { return worse(k, top[j]) })
		top = slices.Insert(top, j, k)
		if len(top) > n {
			top = top[:n]
		}
	}
	rows := make([]silenceRow, len(top))
	for j, k := range top {
		rows[j] = silenceRow{Incident: incidents[k.i], Target: k.target, Ratio: k.ratio}
	}
	return rows
}

// silenceChart shows the longest silence of each incident against its target.
func silenceChart(id string, rows []silenceRow) chartView {
	if len(rows) == 0 {
		return chartView{ID: id, Empty: "No incidents in this period yet."}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(id, true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "hours",
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e6e9ef"}}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
	)...)
	y := make([]string, len(rows))
	silence := make([]opts.BarData, len(rows))
	target := make([]opts.BarData, len(rows))
	for i, r := range rows {
		y[i] = r.IncidentID
		color := colorMet
		if r.MaxSilenceSeconds > r.Target {
			color = colorMissed
		}
		silence[i] = opts.BarData{Value: hours(r.MaxSilenceSeconds), ItemStyle: &opts.ItemStyle{Color: color, BorderRadius: "3"}}
		target[i] = opts.BarData{Value: hours(r.Target)}
	}
	bar.SetXAxis(y).XYReversal()
	bar.AddSeries("longest silence (red: over target)", silence, charts.WithBarChartOpts(opts.BarChart{BarGap: "10%"}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMissed}))
	bar.AddSeries("cadence target", target, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorNA, BorderRadius: "3"}))
	return snippet(id, "longest silence vs cadence target per incident", bar)
}

func hours(sec int64) float64 { return math.Round(float64(sec)/36) / 100 }

// updateTimelineChart puts the update points of several incidents on a
// shared "hours since detection" axis: gaps between dots are silences, red
// dots end a silence longer than the cadence target.
// incidents are drawn in order; points holds each one's update instants
// (an incident without an entry is left out).
func updateTimelineChart(id string, incidents []trustlens.Incident, points map[string][]time.Time, p trustlens.Policy, now time.Time) chartView {
	var shown []trustlens.Incident
	for _, inc := range incidents {
		if _, ok := points[inc.IncidentID]; ok {
			shown = append(shown, inc)
		}
	}
	if len(shown) == 0 {
		return chartView{ID: id, Empty: "No incidents in this period yet."}
	}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(append(baseOptsGrid(id, true, opts.Grid{Left: "8", Right: "24", Top: "52", Bottom: "28", ContainLabel: opts.Bool(true)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "hours since detection", NameLocation: "middle", NameGap: 28,
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e6e9ef"}}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), Data: incidentIDs(shown),
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#f0f2f5"}}}),
	)...)
	var detected, onTime, late, resolved, open []opts.ScatterData
	for i, d := range shown {
		target := p.CadenceTarget[d.Severity].Seconds()
		start := d.DetectedAt.UTC()
		detected = append(detected, opts.ScatterData{Value: []interface{}{0, i}})
		prev := start
		for _, t := range points[d.IncidentID] {
			if t.Before(start) {
				continue
			}
			pt := opts.ScatterData{Value: []interface{}{hours(int64(t.Sub(start).Seconds())), i}}
			if target > 0 && int64(t.Sub(prev).Seconds()) > target {
				late = append(late, pt)
			} else {
				onTime = append(onTime, pt)
			}
			prev = t
		}
		if d.ResolvedAt != nil {
			resolved = append(resolved, opts.ScatterData{Value: []interface{}{hours(int64(d.ResolvedAt.Sub(start).Seconds())), i}})
		} else {
			open = append(open, opts.ScatterData{Value: []interface{}{hours(int64(now.Sub(start).Seconds())), i}})
		}
	}
	sc.AddSeries("detected", detected, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "triangle", SymbolSize: 11}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorGrey}))
	sc.AddSeries("update on time", onTime, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "circle", SymbolSize: 10}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMet}))
	sc.AddSeries("update after a long silence", late, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "circle", SymbolSize: 12}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMissed}))
	sc.AddSeries("resolved", resolved, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "rect", SymbolSize: 10}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorBlue}))
	if len(open) > 0 {
		sc.AddSeries("now (still open)", open, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "diamond", SymbolSize: 13}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorPending}))
	}
	return snippet(id, "update timeline of the incidents with the longest silences", sc)
}

func incidentIDs(incidents []trustlens.Incident) []string {
	ids := make([]string, len(incidents))
	for i, inc := range incidents {
		ids[i] = inc.IncidentID
	}
	return ids
}

// channelCount is how many incidents used a channel.
type channelCount struct {
	Channel string
	Count   int64
	Share   float64
}

// channelCoverage counts incidents per channel, most used first.
func channelCoverage(incidents []trustlens.Incident) []channelCount {
	// a handful of channels: a short list beats hashing every name
	var out []channelCount
	for i := range incidents {
	next:
		for _, ch := range incidents[i].Channels {
			for j := range out {
				if out[j].Channel == ch {
					out[j].Count++
					continue next
				}
			}
			out = append(out, channelCount{Channel: ch, Count: 1})
		}
	}
	for j := range out {
		out[j].Share = float64(out[j].Count) / float64(len(incidents))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Channel < out[j].Channel
	})
	return out
}

// channelChart draws how many incidents used each channel.
func channelChart(id string, cov []channelCount) chartView {
	if len(cov) == 0 {
		return chartView{ID: id, Empty: "No communication has been sent for these incidents."}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(id, false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(countAxis("incidents")),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)...)
	x := make([]string, len(cov))
	data := make([]opts.BarData, len(cov))
	for i, c := range cov {
		x[i] = strings.ReplaceAll(c.Channel, "_", " ")
		data[i] = opts.BarData{Value: c.Count, ItemStyle: &opts.ItemStyle{Color: colorTeal, BorderRadius: "4"}}
	}
	bar.SetXAxis(x)
	bar.AddSeries("incidents", data, charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "30%"}))
	return snippet(id, "incidents that used each channel", bar)
}

// compensationTypeRow is one compensation type.
type compensationTypeRow struct {
	Type string
	trustlens.CompensationFigures
}

func compensationRows(c trustlens.Compensation) []compensationTypeRow {
	types := make([]string, 0, len(c.ByType))
	for t := range c.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	rows := make([]compensationTypeRow, len(types))
	for i, t := range types {
		rows[i] = compensationTypeRow{Type: t, CompensationFigures: c.ByType[t]}
	}
	return rows
}

// compensationChart compares offered and redeemed, by type, in customers
// (amounts=false) or money (amounts=true).
func compensationChart(id string, rows []compensationTypeRow, amounts bool) chartView {
	if len(rows) == 0 {
		return chartView{ID: id, Empty: "No compensation has been offered in this period."}
	}
	bar := charts.NewBar()
	unit := "customers"
	if amounts {
		unit = "amount"
	}
	bar.SetGlobalOptions(append(baseOpts(id, true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(map[bool]opts.YAxis{false: countAxis(unit), true: valueAxis(unit)}[amounts]),
	)...)
	x := make([]string, len(rows))
	off := make([]opts.BarData, len(rows))
	red := make([]opts.BarData, len(rows))
	for i, r := range rows {
		x[i] = r.Type
		if amounts {
			off[i] = opts.BarData{Value: math.Round(r.OfferedAmount*100) / 100}
			red[i] = opts.BarData{Value: math.Round(r.RedeemedAmount*100) / 100}
		} else {
			off[i] = opts.BarData{Value: r.OfferedCustomers}
			red[i] = opts.BarData{Value: r.RedeemedCustomers}
		}
	}
	bar.SetXAxis(x)
	bar.AddSeries("offered", off, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorBlue, BorderRadius: "3"}))
	bar.AddSeries("redeemed", red, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMet, BorderRadius: "3"}))
	return snippet(id, "compensation offered vs redeemed by type ("+unit+")", bar)
}

// bucketLayout is the time layout of a trend bucket's label on an axis.
func bucketLayout(interval string) string {
	if interval == "month" {
		return "2006-01"
	}
	return "2006-01-02"
}
