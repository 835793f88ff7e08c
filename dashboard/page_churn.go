package dashboard

import (
	"fmt"
	"net/http"
	"strings"

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
	Lost     lostRevenue
}

// lostRevenue names the monthly revenue the churn took.
type lostRevenue struct {
	Affected, Baseline string // amounts, formatted
	Reading            string // "4,500.00 of monthly revenue lost among affected customers: …"
	Unknown            string // customers whose churn carried no amount, "" when none
}

// lostRevenueOf describes the lost MRR of a churn answer.
func lostRevenueOf(l trustlens.LostMRR, window int) lostRevenue {
	out := lostRevenue{Affected: fmtMoney(l.LostMRRAffected), Baseline: fmtMoney(l.LostMRRBaseline)}
	customers := func(n int64) string {
		if n == 1 {
			return "1 customer"
		}
		return fmtInt(n) + " customers"
	}
	if l.LostMRRAffectedCustomers == 0 {
		out.Reading = "No affected customer churned within the churn window of an incident in this period."
	} else {
		out.Reading = fmt.Sprintf("%s of monthly revenue lost among affected customers: the MRR of the %s who churned within %d days of an incident's resolution.",
			out.Affected, strings.Replace(customers(l.LostMRRAffectedCustomers), "customer", "affected customer", 1), window)
		if l.LostMRRBaselineCustomers > 0 {
			out.Reading += fmt.Sprintf(" Over the same windows, %s unaffected by them took %s.", customers(l.LostMRRBaselineCustomers), out.Baseline)
		}
	}
	if n := l.LostMRRAffectedUnknown + l.LostMRRBaselineUnknown; n > 0 {
		out.Unknown = fmt.Sprintf("%s churned without an amount (counted as 0).", customers(n))
	}
	return out
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
	d.Lost = lostRevenueOf(ch.LostMRR, ch.ChurnWindowDays)
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
