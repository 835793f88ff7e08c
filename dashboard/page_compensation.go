package dashboard

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

type compensationData struct {
	layoutData
	C             trustlens.Compensation
	Rows          []compensationTypeRow
	Customers     chartView
	Amounts       chartView
	MedianRedeem  string
	HasRedeemTime bool
	Retained      string // retained_mrr_per_amount, formatted
	PaysCaveat    string
}

// compensationPage is GET /compensation: offered vs redeemed by type, the
// amounts and the time customers took to redeem.
func (s *Server) compensationPage(c echo.Context) error {
	const title = "Compensation"
	st, err := s.pageFilter(c)
	if err != nil {
		return s.filterErrorPage(c, title, pageCompensation, st, err)
	}
	comp, err := s.analytics.Compensation(c.Request().Context(), st.Filter)
	if err != nil {
		return fmt.Errorf("dashboard: compensation: %w", err)
	}
	d := compensationData{layoutData: s.newLayout(c, title, pageCompensation, st), C: comp, Rows: compensationRows(comp)}
	d.MedianRedeem = fmtDays(comp.MedianDaysToRedeem)
	d.Retained, d.PaysCaveat = fmtRetained(comp.RetainedMRRPerAmount), compensationPaysCaveat
	for _, r := range d.Rows {
		if r.MedianDaysToRedeem != nil {
			d.HasRedeemTime = true
		}
	}
	d.Customers = compensationChart("chart-comp-customers", d.Rows, false)
	d.Amounts = compensationChart("chart-comp-amounts", d.Rows, true)
	return s.render(c, http.StatusOK, pageCompensation, d)
}

// fmtDays writes a number of days ("2.5 days"); null is "—".
func fmtDays(v *float64) string {
	if v == nil {
		return "—"
	}
	s := trimZero(*v)
	if s == "1" {
		return "1 day"
	}
	return s + " days"
}

// fmtPlainFloat is a float as JSON writes it.
func fmtPlainFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
