package dashboard

import (
	"strings"
	"testing"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/go-echarts/go-echarts/v2/render"
)

// TestSnippetMatchesRenderSnippet checks that snippet's option is the one
// go-echarts' RenderSnippet gives, for every kind of chart the dashboard
// draws, with text that HTML would escape.
func TestSnippetMatchesRenderSnippet(t *testing.T) {
	text := `Outage <eu-west> & "api" 'v2'`
	build := map[string]func() interface {
		echartsOption
		render.Renderer
	}{
		"bar": func() interface {
			echartsOption
			render.Renderer
		} {
			b := charts.NewBar()
			b.SetGlobalOptions(append(baseOpts("c1", true), charts.WithTitleOpts(opts.Title{Title: text}))...)
			b.SetXAxis([]string{text, "b"}).XYReversal()
			b.AddSeries(text, []opts.BarData{{Value: 1, ItemStyle: &opts.ItemStyle{Color: colorMet}}, {Value: 2.5}},
				charts.WithBarChartOpts(opts.BarChart{Stack: "s", BarWidth: "60%"}))
			return b
		},
		"line": func() interface {
			echartsOption
			render.Renderer
		} {
			l := charts.NewLine()
			l.SetGlobalOptions(append(baseOpts("c2", false), charts.WithYAxisOpts(countAxis(text)))...)
			l.SetXAxis([]string{"2026-10-01", "2026-10-08"})
			l.AddSeries(text, []opts.LineData{{Value: 71.5}, {Value: nil}})
			return l
		},
		"scatter": func() interface {
			echartsOption
			render.Renderer
		} {
			sc := charts.NewScatter()
			sc.SetGlobalOptions(baseOpts("c3", true)...)
			sc.AddSeries(text, []opts.ScatterData{{Value: []any{1764547200000, text}, Symbol: "circle"}})
			return sc
		},
	}
	for name, b := range build {
		t.Run(name, func(t *testing.T) {
			want := strings.TrimSpace(b().RenderSnippet().Option)
			got := snippet("id", "label", b()).Option
			if got != want {
				t.Errorf("snippet option:\n got %s\nwant %s", got, want)
			}
			if !strings.Contains(got, `\u003ceu-west\u003e`) && !strings.Contains(got, "<eu-west>") {
				t.Errorf("option lost the text: %s", got)
			}
		})
	}
}
