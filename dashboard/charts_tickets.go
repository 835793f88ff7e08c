package dashboard

// Tickets and satisfaction (SPEC §2.6) on the pages: an incident's tickets
// over time against its update points, the overview's cost of silence and
// its satisfaction of affected against baseline customers.

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/trustlens/trustlens"
)

// colorSilent shades the stretches past the cadence target.
const colorSilent = "rgba(214, 69, 80, 0.12)"

// silentSpan is a stretch of [detected_at, end] during which the incident
// had been silent (since detection or its last update point) longer than
// its cadence target: from that point + the target to the next instant.
type silentSpan struct{ From, To time.Time }

// silentSpans are the stretches of gaps past target.
func silentSpans(gaps []gapRow, target int64) []silentSpan {
	var out []silentSpan
	if target <= 0 {
		return out
	}
	for _, g := range gaps {
		from := g.From.Add(time.Duration(target) * time.Second)
		if g.To.After(from) {
			out = append(out, silentSpan{From: from, To: g.To})
		}
	}
	return out
}

// ticketSplit counts an incident's tickets as SPEC §2.6's cost of silence
// does: those opened in [detected_at, end] while the incident had been
// silent longer than its target (Silent) or not (Updated), and the rest
// (Outside: before detection, or after the end while still counting for
// it).
type ticketSplit struct {
	Silent, Updated, Outside int
}

// splitTickets splits the ticket instants by the gaps (detected, update
// points…, end) of an incident with cadence target target (0: unknown
// severity, every ticket counts as outside, as in the analytics).
func splitTickets(times []time.Time, gaps []gapRow, target int64) ticketSplit {
	var s ticketSplit
	if len(gaps) == 0 || target <= 0 {
		s.Outside = len(times)
		return s
	}
	start, end := gaps[0].From, gaps[len(gaps)-1].To
	for _, t := range times {
		if t.Before(start) || t.After(end) {
			s.Outside++
			continue
		}
		last := start // the latest of detection and the update points at or before t
		for _, g := range gaps[1:] {
			if !g.From.After(t) {
				last = g.From
			}
		}
		if int64(t.Sub(last).Seconds()) > target {
			s.Silent++
		} else {
			s.Updated++
		}
	}
	return s
}

// ticketsChart draws an incident's tickets so far against its update
// points, on hours since detection: the shaded stretches are those past
// the cadence target, so a reader sees whether tickets climb in them.
func ticketsChart(id string, d trustlens.IncidentDetail, gaps []gapRow, target int64) chartView {
	if len(d.TicketTimes) == 0 {
		return chartView{ID: id, Empty: "No tickets counted for this incident: none named it, and its affected customers opened none during it or in the 24 hours after."}
	}
	if len(gaps) == 0 {
		return chartView{ID: id, Empty: "No silences to show."}
	}
	start, end := gaps[0].From, gaps[len(gaps)-1].To
	at := func(t time.Time) float64 { return hours(int64(t.Sub(start).Seconds())) }
	lo, hi := 0.0, at(end)
	lo = math.Min(lo, at(d.TicketTimes[0]))
	hi = math.Max(hi, at(d.TicketTimes[len(d.TicketTimes)-1]))

	// tickets so far: a step at each ticket, from lo to hi
	so := []opts.LineData{{Value: []interface{}{lo, 0}}}
	for i, t := range d.TicketTimes {
		so = append(so, opts.LineData{Value: []interface{}{at(t), i + 1}})
	}
	so = append(so, opts.LineData{Value: []interface{}{hi, len(d.TicketTimes)}})
	count := func(t time.Time) int { // tickets at or before t
		n := 0
		for _, x := range d.TicketTimes {
			if !x.After(t) {
				n++
			}
		}
		return n
	}

	line := charts.NewLine()
	line.SetGlobalOptions(append(baseOptsGrid(id, true, opts.Grid{Left: "8", Right: "24", Top: "52", Bottom: "28", ContainLabel: opts.Bool(true)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "hours since detection", NameLocation: "middle", NameGap: 28,
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e6e9ef"}}}),
		charts.WithYAxisOpts(countAxis("")), // the legend names the line
	)...)
	var areas [][]opts.MarkAreaData
	for _, sp := range silentSpans(gaps, target) {
		areas = append(areas, []opts.MarkAreaData{{Name: "silent past target", XAxis: at(sp.From)}, {XAxis: at(sp.To)}})
	}
	endName := "now"
	if d.ResolvedAt != nil {
		endName = "resolved"
	}
	marks := []opts.MarkLineNameXAxisItem{{Name: "detected", XAxis: 0.0}, {Name: endName, XAxis: at(end)}}
	seriesOpts := []charts.SeriesOpts{
		charts.WithLineChartOpts(opts.LineChart{Step: "end", ShowSymbol: opts.Bool(false)}),
		charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.12)}),
		charts.WithLineStyleOpts(opts.LineStyle{Width: 3, Color: colorBlue}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorBlue}),
		charts.WithMarkLineNameXAxisItemOpts(marks...),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
			LineStyle: &opts.LineStyle{Color: colorGrey, Type: "dashed", Width: 1},
			Label:     &opts.Label{Show: opts.Bool(true), Position: "end", Formatter: "{b}"}}),
	}
	if len(areas) > 0 {
		seriesOpts = append(seriesOpts, charts.WithMarkAreaData(areas...),
			charts.WithMarkAreaStyleOpts(opts.MarkAreaStyle{ItemStyle: &opts.ItemStyle{Color: colorSilent},
				Label: &opts.Label{Show: opts.Bool(false)}}))
	}
	line.AddSeries("tickets so far", so, seriesOpts...)

	// the update points, on the line: green when on time, red when they
	// end a silence past the target
	var onTime, late []opts.ScatterData
	for _, g := range gaps[:len(gaps)-1] {
		pt := opts.ScatterData{Value: []interface{}{at(g.To), count(g.To)}}
		if g.Over {
			late = append(late, pt)
		} else {
			onTime = append(onTime, pt)
		}
	}
	sc := charts.NewScatter()
	sc.AddSeries("update on time", onTime, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "circle", SymbolSize: 13}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMet, BorderColor: "#fff", BorderWidth: 2}))
	sc.AddSeries("update after a long silence", late, charts.WithScatterChartOpts(opts.ScatterChart{Symbol: "circle", SymbolSize: 14}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorMissed, BorderColor: "#fff", BorderWidth: 2}))
	line.Overlap(sc)
	return snippet(id, "tickets so far against the update points", line)
}

// costOfSilence is the overview's card: tickets per hour while an
// incident had been silent past its cadence target against while it was
// being updated (SPEC §2.6).
type costOfSilence struct {
	Silent, Updated string // "3.2" tickets per hour, "—" for null
	RawSilent       string // as the API gives it ("" for null)
	RawUpdated      string
	Multiple        string // "3.2×", "" when not comparable
	Reading         string // one plain-English line
	Known           bool   // both rates are known
	Worse           bool   // more tickets an hour while silent
}

// fmtRate writes a rate with two decimals below 1 ("0.35"), one above
// ("4.5", "12.5").
func fmtRate(v float64) string {
	if math.Abs(v) < 1 {
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
	return trimZero(v)
}

// costOfSilenceOf reads the card from a summary.
func costOfSilenceOf(sum trustlens.Summary) costOfSilence {
	rate := func(v *float64) string {
		if v == nil {
			return "—"
		}
		return fmtRate(*v)
	}
	c := costOfSilence{Silent: rate(sum.TicketsPerHourSilent), Updated: rate(sum.TicketsPerHourUpdated),
		RawSilent: rawFloat(sum.TicketsPerHourSilent), RawUpdated: rawFloat(sum.TicketsPerHourUpdated)}
	s, u := sum.TicketsPerHourSilent, sum.TicketsPerHourUpdated
	c.Known = s != nil && u != nil
	switch {
	case s == nil && u == nil:
		c.Reading = "No incident in this period has a known severity and a duration yet, so there is nothing to compare."
	case s == nil:
		c.Reading = "No incident in this period stayed silent past its cadence target, so there is no silent time to compare with: the updates kept coming."
	case u == nil:
		c.Reading = "Every hour of these incidents was spent silent past the cadence target: there is no updated time to compare with."
	case *u == 0 && *s == 0:
		c.Reading = "Customers opened no tickets during these incidents, silent or updated."
	case *u == 0:
		c.Worse = true
		c.Reading = fmt.Sprintf("Customers opened %s tickets an hour while incidents were silent past their target, and none while they were being updated.", c.Silent)
	default:
		m := *s / *u
		c.Multiple = fmtRate(m) + "×"
		c.Worse = m > 1
		switch {
		case math.Round(m*10) > 10:
			c.Reading = fmt.Sprintf("While an incident was silent past its cadence target, customers opened %s as many tickets an hour as while it was being updated.", c.Multiple)
		case math.Round(m*10) < 10:
			c.Reading = fmt.Sprintf("Silences past the target did not bring more tickets here: %s the hourly rate of updated time.", c.Multiple)
		default:
			c.Reading = "Customers opened tickets at the same hourly rate whether incidents were silent past their target or being updated."
		}
	}
	return c
}

// silenceCostChart draws the two rates of the cost of silence side by
// side: tickets per hour while silent past the target and while updated.
func silenceCostChart(id string, sum trustlens.Summary) chartView {
	s, u := sum.TicketsPerHourSilent, sum.TicketsPerHourUpdated
	if s == nil && u == nil {
		return chartView{ID: id, Empty: "No incident time to measure in this period."}
	}
	val := func(v *float64) interface{} {
		if v == nil {
			return "-"
		}
		return math.Round(*v*100) / 100
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOptsGrid(id, false, opts.Grid{Left: "8", Right: "64", Top: "10", Bottom: "8", ContainLabel: opts.Bool(true)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "tickets / hour",
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e6e9ef"}}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
	)...)
	bar.SetXAxis([]string{"silent past target", "being updated"}).XYReversal()
	bar.AddSeries("tickets per hour", []opts.BarData{
		{Value: val(s), ItemStyle: &opts.ItemStyle{Color: colorMissed, BorderRadius: "4"}},
		{Value: val(u), ItemStyle: &opts.ItemStyle{Color: colorMet, BorderRadius: "4"}},
	}, charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "35%"}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(true), Position: "right"}))
	return snippet(id, "tickets per hour while silent past the target vs while updated", bar)
}

// csatInterval is the bucket of the satisfaction chart: ratings are
// fewer than incidents, so a week for up to 120 days, else a month.
func csatInterval(f trustlens.Filter) string {
	if f.To.Sub(f.From) <= 120*24*time.Hour {
		return "week"
	}
	return "month"
}

// csatChart follows the mean satisfaction of the feedback about incidents
// (named or attributed) and of the rest, bucket by bucket (the trends of
// csat_affected_avg and csat_baseline_avg over the same buckets).
func csatChart(id string, affected, baseline trustlens.Trend) chartView {
	val := func(p *float64) opts.LineData {
		if p == nil {
			return opts.LineData{Value: "-"}
		}
		return opts.LineData{Value: math.Round(*p*100) / 100}
	}
	x := make([]string, len(affected.Points))
	aff := make([]opts.LineData, len(affected.Points))
	base := make([]opts.LineData, len(affected.Points))
	layout := bucketLayout(affected.Interval)
	known := false
	for i, p := range affected.Points {
		x[i] = p.Start.UTC().Format(layout)
		aff[i] = val(p.Value)
		base[i] = opts.LineData{Value: "-"}
		if i < len(baseline.Points) && baseline.Points[i].Start.Equal(p.Start) {
			base[i] = val(baseline.Points[i].Value)
			known = known || baseline.Points[i].Value != nil
		}
		known = known || p.Value != nil
	}
	if !known {
		return chartView{ID: id, Empty: "No satisfaction rating (customer.feedback with a csat) in this period."}
	}
	line := charts.NewLine()
	line.SetGlobalOptions(append(baseOpts(id, true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "value", Name: "CSAT", NameLocation: "end", Min: 1, Max: 5,
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: "#e6e9ef"}}}),
	)...)
	line.SetXAxis(x)
	style := func(color string) []charts.SeriesOpts {
		return []charts.SeriesOpts{
			charts.WithLineChartOpts(opts.LineChart{ConnectNulls: opts.Bool(true), Symbol: "circle", SymbolSize: 7}),
			charts.WithLineStyleOpts(opts.LineStyle{Width: 3, Color: color}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: color}),
		}
	}
	line.AddSeries("about an incident", aff, style(colorMissed)...)
	line.AddSeries("baseline", base, style(colorGrey)...)
	return snippet(id, "mean CSAT of feedback about incidents vs the rest, per "+affected.Interval, line)
}

// fmtCSAT writes a mean CSAT with two decimals at most ("—" for null).
func fmtCSAT(v *float64) string {
	if v == nil {
		return "—"
	}
	return strconv.FormatFloat(math.Round(*v*100)/100, 'f', -1, 64)
}
