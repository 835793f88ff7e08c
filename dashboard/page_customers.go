package dashboard

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// The support manager's worklist pages: /customers (whom to call next) and
// /customers/{id} (one customer's incidents on a timeline).

const (
	pageCustomers = "customers"
	pageCustomer  = "customer"
)

// customersPerPage is the worklist page size.
const customersPerPage = 50

// customerFuncs are the template functions of the worklist pages, added
// to templateFuncs before their templates are parsed.
var customerFuncs = template.FuncMap{
	"customerURL": func(id, q string) string { return withQuery("/customers/"+url.PathEscape(id), q) },
	"customerAPI": func(id string) string { return "/api/v1/customers/" + url.PathEscape(id) },
	"deref":       func(p *float64) float64 { return *p },
	"derefTime":   func(p *time.Time) time.Time { return *p },
	"fuClass": func(state string) string { // the badge colour of a follow-up state
		switch state {
		case "done":
			return "met"
		case "due":
			return "pending"
		case "missed":
			return "missed"
		}
		return "na"
	},
}

func init() {
	for k, fn := range customerFuncs {
		templateFuncs[k] = fn
	}
	for _, name := range []string{pageCustomers, pageCustomer} {
		t := template.Must(template.New("layout.html").Funcs(templateFuncs).ParseFS(embedded, "templates/layout.html"))
		views[name] = template.Must(t.ParseFS(embedded, "templates/"+name+".html"))
	}
}

// customerPageParams are what the worklist page accepts.
var customerPageParams = []string{"from", "to", "severity", "needs", "offset"}

type customersData struct {
	layoutData
	Rows       []trustlens.Customer
	Total      int64
	Offset     int
	Needs      string
	First      int // 1-based index of the first row shown
	Last       int
	PrevURL    string
	NextURL    string
	AllURL     string
	DueURL     string
	CSVURL     string
	Chart      chartView
	DueTotal   int64
	Fatigued   int64
	Query      string // F.Query, for the customer links
	FollowDays int
}

// customerPageFilter reads the page's parameters like pageFilter, plus
// needs and offset (kept out of the date form's links).
func (s *Server) customerPageFilter(c echo.Context) (filterState, trustlens.CustomerFilter, error) {
	var st filterState
	q := c.QueryParams()
	st.From = strings.TrimSpace(q.Get("from"))
	st.To = strings.TrimSpace(q.Get("to"))
	st.Severity = strings.TrimSpace(q.Get("severity"))
	keep := url.Values{}
	for _, kv := range [][2]string{{"from", st.From}, {"to", st.To}, {"severity", st.Severity}} {
		if kv[1] != "" {
			keep.Set(kv[0], kv[1])
		}
	}
	st.Query = keep.Encode()
	if err := checkParams(c, customerPageParams...); err != nil {
		return st, trustlens.CustomerFilter{}, err
	}
	cf, err := s.parseCustomerFilter(c)
	if err != nil {
		return st, cf, err
	}
	st.Filter = cf.Filter
	st.Filter.Status = ""
	cf.Limit = customersPerPage
	return st, cf, nil
}

// customersPage is GET /customers: the worklist.
func (s *Server) customersPage(c echo.Context) error {
	const title = "Customers to call"
	st, f, err := s.customerPageFilter(c)
	if err != nil {
		return s.filterErrorPage(c, title, pageCustomers, st, err)
	}
	ca, err := s.customerAnalytics()
	if err != nil {
		return err
	}
	page, err := ca.Customers(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("dashboard: customers: %w", err)
	}
	d := customersData{
		layoutData: s.newLayout(c, title, pageCustomers, st),
		Rows:       normalizeCustomers(page.Customers), Total: page.Total, Offset: f.Offset, Needs: f.Needs,
		Query: st.Query, FollowDays: s.policy().FollowupDays,
	}
	d.First, d.Last = f.Offset+1, f.Offset+len(d.Rows)
	link := func(needs string, offset int) string {
		v, _ := url.ParseQuery(st.Query)
		if needs != "" && needs != trustlens.NeedsAll {
			v.Set("needs", needs)
		}
		if offset > 0 {
			v.Set("offset", strconv.Itoa(offset))
		}
		return withQuery("/customers", v.Encode())
	}
	if f.Offset > 0 {
		d.PrevURL = link(f.Needs, max(0, f.Offset-customersPerPage))
	}
	if int64(f.Offset+len(d.Rows)) < page.Total {
		d.NextURL = link(f.Needs, f.Offset+customersPerPage)
	}
	d.AllURL, d.DueURL = link("", 0), link(trustlens.NeedsFollowUp, 0)
	csv := url.Values{}
	if st.Query != "" {
		csv, _ = url.ParseQuery(st.Query)
	}
	if f.Needs != "" {
		csv.Set("needs", f.Needs)
	}
	csv.Set("format", "csv")
	csv.Set("limit", strconv.Itoa(MaxLimit))
	d.CSVURL = "/api/v1/customers?" + csv.Encode()
	for _, r := range d.Rows {
		if r.FollowUpDue > 0 {
			d.DueTotal++
		}
		if r.ApologyFatigue {
			d.Fatigued++
		}
	}
	d.Chart = worklistChart("chart-worklist", d.Rows)
	return s.render(c, http.StatusOK, pageCustomers, d)
}

// worklistChart stacks each shown customer's incidents by follow-up state
// (the first 20 rows, in worklist order).
func worklistChart(id string, rows []trustlens.Customer) chartView {
	if len(rows) == 0 {
		return chartView{ID: id, Empty: "No affected customers in this period."}
	}
	rows = rows[:min(len(rows), 20)]
	names := make([]string, len(rows))
	var due, missed, done, open []opts.BarData
	for i, r := range rows {
		names[i] = r.CustomerID
		due = append(due, opts.BarData{Value: r.FollowUpDue})
		missed = append(missed, opts.BarData{Value: r.FollowUpMissed})
		done = append(done, opts.BarData{Value: r.FollowedUp})
		open = append(open, opts.BarData{Value: r.OpenIncidents - min(r.OpenIncidents, r.FollowedUp)})
	}
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(id, true),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Rotate: 30}}),
		charts.WithYAxisOpts(countAxis("incidents")),
	)...)
	bar.SetXAxis(names)
	stack := func(color string) charts.SeriesOpts {
		return charts.WithItemStyleOpts(opts.ItemStyle{Color: color})
	}
	bar.AddSeries("follow-up due", due, charts.WithBarChartOpts(opts.BarChart{Stack: "fu"}), stack(colorPending))
	bar.AddSeries("follow-up missed", missed, charts.WithBarChartOpts(opts.BarChart{Stack: "fu"}), stack(colorMissed))
	bar.AddSeries("followed up", done, charts.WithBarChartOpts(opts.BarChart{Stack: "fu"}), stack(colorMet))
	bar.AddSeries("still open", open, charts.WithBarChartOpts(opts.BarChart{Stack: "fu"}), stack(colorGrey))
	return snippet(id, "incidents of each customer on the worklist by follow-up state", bar)
}

type customerData struct {
	layoutData
	C     trustlens.CustomerDetail
	Chart chartView
	Back  string
}

// customerPage is GET /customers/{id}: one customer's incidents in range.
func (s *Server) customerPage(c echo.Context) error {
	st, err := s.pageFilter(c)
	if err != nil {
		return s.filterErrorPage(c, "Customer", pageCustomers, st, err)
	}
	id, err := parseIncidentID(c)
	if err != nil {
		return s.filterErrorPage(c, "Customer", pageCustomers, st, err)
	}
	d, err := s.customerDetail(c.Request().Context(), id, st.Filter)
	var se *statusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return s.notFoundPage(c, se.Msg+". Widen the date range, or pick a customer on the worklist.")
	}
	if err != nil {
		return err
	}
	data := customerData{layoutData: s.newLayout(c, "Customer "+id, pageCustomers, st), C: d, Back: withQuery("/customers", st.Query)}
	data.Chart = customerTimelineChart("chart-customer", d.Timeline, st.Filter)
	return s.render(c, http.StatusOK, pageCustomer, data)
}

// followUpColors colours a customer's incidents by follow-up state.
var followUpColors = map[string]string{"done": colorMet, "due": colorPending, "missed": colorMissed, "open": colorGrey}

// customerTimelineChart puts a customer's incidents on a time axis, one
// row per severity, coloured by follow-up state (a larger dot: an
// apology), over the page's whole range.
func customerTimelineChart(id string, incidents []trustlens.CustomerIncident, f trustlens.Filter) chartView {
	if len(incidents) == 0 {
		return chartView{ID: id, Empty: "No incidents affected this customer in this period."}
	}
	sc := charts.NewScatter()
	sc.SetGlobalOptions(append(baseOptsGrid(id, true, opts.Grid{Left: "8", Right: "24", Top: "52", Bottom: "28", ContainLabel: opts.Bool(true)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "time", Name: "detected", NameLocation: "middle", NameGap: 28,
			Min: f.From.UnixMilli(), Max: f.To.UnixMilli()}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Data: severities, Inverse: opts.Bool(true)}),
	)...)
	for _, state := range []string{"due", "missed", "done", "open"} {
		var pts []opts.ScatterData
		for _, ci := range incidents {
			if ci.FollowUp != state {
				continue
			}
			size := 12
			if ci.Apologized {
				size = 16
			}
			pts = append(pts, opts.ScatterData{Name: ci.IncidentID, SymbolSize: size,
				Value: []interface{}{ci.DetectedAt.UTC().Format("2006-01-02T15:04:05Z"), ci.Severity}})
		}
		label := map[string]string{"due": "follow-up due", "missed": "follow-up missed", "done": "followed up", "open": "still open"}[state]
		sc.AddSeries(label, pts, charts.WithItemStyleOpts(opts.ItemStyle{Color: followUpColors[state]}))
	}
	return snippet(id, "this customer's incidents over time, by severity and follow-up state", sc)
}
