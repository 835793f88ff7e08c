package dashboard

import (
	"fmt"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// apiChurn answers GET /api/v1/churn?from=&to=&severity=&format=.
// CSV: one row for the pooled figures (scope "all"), one per severity
// (scope "severity") and two per habit (scope "driver", outcome met/missed).
func (s *Server) apiChurn(c echo.Context) error {
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
	ch, err := s.analytics.Churn(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("dashboard: churn: %w", err)
	}
	ch.Policy = s.policyOr(ch.Policy)
	if ch.BySeverity == nil {
		ch.BySeverity = map[string]trustlens.ChurnGroup{}
	}
	if ch.Drivers == nil {
		ch.Drivers = []trustlens.Driver{}
	}
	if format == "csv" {
		return writeCSV(c, "churn", csvChurnHeader, csvChurnRows(ch))
	}
	return answerJSON(c, ch)
}

var csvChurnHeader = []string{
	"scope", "severity", "habit", "outcome", "incidents", "active_affected", "churned_affected",
	"affected_rate", "active_baseline", "churned_baseline", "baseline_rate", "uplift_pp",
}

func csvChurnGroup(scope, sev string, g trustlens.ChurnGroup) []string {
	return []string{scope, sev, "", "", csvInt(g.Incidents), csvInt(g.ActiveAffected), csvInt(g.ChurnedAffected),
		csvFloatP(g.AffectedRate), csvInt(g.ActiveBaseline), csvInt(g.ChurnedBaseline),
		csvFloatP(g.BaselineRate), csvFloatP(g.UpliftPP)}
}

func csvChurnRows(ch trustlens.Churn) [][]string {
	rows := [][]string{csvChurnGroup("all", "", ch.ChurnGroup)}
	sevs := make([]string, 0, len(ch.BySeverity))
	for k := range ch.BySeverity {
		sevs = append(sevs, k)
	}
	sort.Strings(sevs)
	for _, k := range sevs {
		rows = append(rows, csvChurnGroup("severity", csvText(k), ch.BySeverity[k]))
	}
	for _, d := range ch.Drivers {
		for _, side := range []struct {
			outcome string
			v       trustlens.DriverSide
		}{{trustlens.Met, d.Met}, {trustlens.Missed, d.Missed}} {
			rows = append(rows, []string{"driver", "", csvText(d.Habit), side.outcome, csvInt(side.v.Incidents),
				csvInt(side.v.ActiveAffected), csvInt(side.v.ChurnedAffected), csvFloatP(side.v.ChurnRate),
				"", "", "", ""})
		}
	}
	return append(rows, csvCompensationPaysRows(ch.CompensationPays)...)
}
