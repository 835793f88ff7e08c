package dashboard

import (
	"fmt"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// apiCompensation answers GET /api/v1/compensation?from=&to=&severity=&format=.
// CSV: the totals (type "all") then one row per compensation type.
func (s *Server) apiCompensation(c echo.Context) error {
	if err := checkParams(c, rangeParams...); err != nil {
		return err
	}
	f, err := parseFilter(c, s.now())
	if err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	comp, err := s.analytics.Compensation(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("dashboard: compensation: %w", err)
	}
	comp.Policy = s.policyOr(comp.Policy)
	if comp.ByType == nil {
		comp.ByType = map[string]trustlens.CompensationFigures{}
	}
	if format == "csv" {
		rows := [][]string{csvCompensationRow("all", comp.CompensationFigures)}
		types := make([]string, 0, len(comp.ByType))
		for k := range comp.ByType {
			types = append(types, k)
		}
		sort.Strings(types)
		for _, k := range types {
			rows = append(rows, csvCompensationRow(csvText(k), comp.ByType[k]))
		}
		return writeCSV(c, "compensation", csvCompensationHeader, rows)
	}
	return answerJSON(c, comp)
}

var csvCompensationHeader = []string{
	"compensation_type", "offered_customers", "redeemed_customers", "offered_amount", "redeemed_amount",
	"uptake_rate", "median_days_to_redeem",
}

func csvCompensationRow(typ string, f trustlens.CompensationFigures) []string {
	return []string{typ, csvInt(f.OfferedCustomers), csvInt(f.RedeemedCustomers), csvFloat(f.OfferedAmount),
		csvFloat(f.RedeemedAmount), csvFloatP(f.UptakeRate), csvFloatP(f.MedianDaysToRedeem)}
}
