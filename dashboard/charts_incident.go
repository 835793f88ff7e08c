package dashboard

// The silences of one incident: its gaps between detection, the update
// points and the end, and their chart (the incident page).

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/trustlens/trustlens"
)

// gapRow is one silence of an incident: between two instants of
// [detected_at, update points…, end].
type gapRow struct {
	From, To  time.Time
	FromLabel string
	ToLabel   string
	Seconds   int64
	Over      bool
}

// incidentGaps pairs the detail's gaps with the instants they separate.
// When the analytics answer's gaps do not line up with the update points of
// the timeline, the gaps are worked out from the timeline.
func incidentGaps(d trustlens.IncidentDetail, target int64, now time.Time) []gapRow {
	start := d.DetectedAt.UTC()
	end := now.UTC()
	endLabel := "now (still open)"
	if d.ResolvedAt != nil {
		end = d.ResolvedAt.UTC()
		endLabel = "resolved"
	}
	instants := []time.Time{start}
	labels := []string{"detected"}
	n := 0
	for _, t := range updatePointTimes(d) {
		if t.Before(start) || t.After(end) {
			continue
		}
		n++
		instants = append(instants, t)
		labels = append(labels, fmt.Sprintf("update %d", n))
	}
	instants = append(instants, end)
	labels = append(labels, endLabel)
	rows := make([]gapRow, 0, len(instants)-1)
	useAPI := len(d.Gaps) == len(instants)-1
	for i := 1; i < len(instants); i++ {
		sec := int64(instants[i].Sub(instants[i-1]).Seconds())
		if useAPI {
			sec = d.Gaps[i-1]
		}
		rows = append(rows, gapRow{From: instants[i-1], To: instants[i], FromLabel: labels[i-1], ToLabel: labels[i],
			Seconds: sec, Over: target > 0 && sec > target})
	}
	return rows
}

// gapsChart draws every silence of one incident against its cadence target.
func gapsChart(id string, gaps []gapRow, target int64) chartView {
	if len(gaps) == 0 {
		return chartView{ID: id, Empty: "No silences to show."}
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOptsGrid(id, false, opts.Grid{Left: "8", Right: "16", Top: "30", Bottom: "28", ContainLabel: opts.Bool(true)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithYAxisOpts(valueAxis("minutes")),
		charts.WithXAxisOpts(opts.XAxis{Name: "silence before…", NameLocation: "middle", NameGap: 28}),
	)...)
	x := make([]string, len(gaps))
	data := make([]opts.BarData, len(gaps))
	for i, g := range gaps {
		x[i] = g.ToLabel
		color := colorMet
		if g.Over {
			color = colorMissed
		}
		data[i] = opts.BarData{Value: math.Round(float64(g.Seconds)/6) / 10, ItemStyle: &opts.ItemStyle{Color: color, BorderRadius: "4"}}
	}
	bar.SetXAxis(x)
	bar.AddSeries("silence", data,
		charts.WithBarChartOpts(opts.BarChart{BarCategoryGap: "35%"}),
		charts.WithMarkLineNameYAxisItemOpts(opts.MarkLineNameYAxisItem{Name: "target", YAxis: math.Round(float64(target)/6) / 10}),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{Symbol: []string{"none", "none"},
			LineStyle: &opts.LineStyle{Color: colorMissed, Type: "dashed", Width: 2},
			Label:     &opts.Label{Show: opts.Bool(true), Position: "insideEndTop", Formatter: "target {c} min"}}),
	)
	return snippet(id, "silences between updates vs the cadence target", bar)
}

// updatePointTimes returns the distinct update instants of a detail, sorted.
func updatePointTimes(d trustlens.IncidentDetail) []time.Time {
	seen := map[int64]bool{}
	var out []time.Time
	for _, e := range d.Timeline {
		if !e.UpdatePoint || seen[e.OccurredAt.Unix()] {
			continue
		}
		seen[e.OccurredAt.Unix()] = true
		out = append(out, e.OccurredAt.UTC())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}
