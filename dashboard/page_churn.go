package dashboard

import (
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// driverRow is one habit of the trust drivers, with the difference of churn
// between incidents that missed and met it.
type driverRow struct {
	trustlens.Driver
	Gap     string // "+4.2 pp" (missed − met), "" when either side is null
	GapBad  bool   // missing the habit went with more churn
	Decided bool   // both sides have incidents
}

type churnData struct {
	layoutData
	C        trustlens.Churn
	Rows     []churnGroupRow
	Chart    chartView
	Drivers  []driverRow
	DrvChart chartView
	Uplift   string
}

// churnPage is GET /churn: affected vs baseline churn by severity, and the
// trust drivers (does keeping each habit go with less churn?).
func (s *Server) churnPage(c echo.Context) error {
	const title = "Post-outage churn"
	st, err := s.pageFilter(c)
	if err != nil {
		return s.filterErrorPage(c, title, pageChurn, st, err)
	}
	ch, err := s.analytics.Churn(c.Request().Context(), st.Filter)
	if err != nil {
		return fmt.Errorf("dashboard: churn: %w", err)
	}
	d := churnData{layoutData: s.newLayout(c, title, pageChurn, st), C: ch, Rows: churnRows(ch), Uplift: "—"}
	if ch.UpliftPP != nil {
		d.Uplift = signed(*ch.UpliftPP) + " pp"
	}
	d.Chart = churnChart("chart-churn", ch)
	d.DrvChart = driversChart("chart-drivers", ch)
	d.DrvChart.Size = "tall"
	for _, drv := range ch.Drivers {
		r := driverRow{Driver: drv, Decided: drv.Met.Incidents > 0 && drv.Missed.Incidents > 0}
		if drv.Met.ChurnRate != nil && drv.Missed.ChurnRate != nil {
			diff := (*drv.Missed.ChurnRate - *drv.Met.ChurnRate) * 100
			r.Gap = signed(diff) + " pp"
			r.GapBad = diff > 0
		}
		d.Drivers = append(d.Drivers, r)
	}
	return s.render(c, http.StatusOK, pageChurn, d)
}
