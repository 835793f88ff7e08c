package dashboard

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// apiTrends answers GET /api/v1/trends?metric=&interval=&from=&to=&severity=&format=.
func (s *Server) apiTrends(c echo.Context) error {
	if err := checkParams(c, trendParams...); err != nil {
		return err
	}
	f, err := parseFilter(c, s.now())
	if err != nil {
		return err
	}
	metric, interval, err := parseTrend(c, f)
	if err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	tr, err := s.analytics.Trend(c.Request().Context(), metric, interval, f)
	if err != nil {
		return fmt.Errorf("dashboard: trend %s by %s: %w", metric, interval, err)
	}
	tr.Policy = s.policyOr(tr.Policy)
	if tr.Metric == "" {
		tr.Metric = metric
	}
	if tr.Interval == "" {
		tr.Interval = interval
	}
	tr.Points = append([]trustlens.TrendPoint{}, tr.Points...) // a copy: never write to the store's slice
	for i := range tr.Points {
		tr.Points[i].Start = tr.Points[i].Start.UTC()
	}
	if format == "csv" {
		rows := make([][]string, len(tr.Points))
		for i, p := range tr.Points {
			rows[i] = []string{csvTime(p.Start), csvFloatP(p.Value)}
		}
		return writeCSV(c, "trend-"+metric+"-"+interval, []string{"start", metric}, rows)
	}
	return answerJSON(c, tr)
}
