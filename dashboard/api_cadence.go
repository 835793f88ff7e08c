package dashboard

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// overdueAnswer is GET /api/v1/cadence/overdue.
type overdueAnswer struct {
	Overdue []trustlens.Overdue `json:"overdue"`
	Policy  trustlens.Policy    `json:"policy"`
}

// apiOverdue answers GET /api/v1/cadence/overdue: the open incidents past
// their cadence target right now.
func (s *Server) apiOverdue(c echo.Context) error {
	if err := checkParams(c, formatParam...); err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	list, err := s.analytics.Overdue(c.Request().Context())
	if err != nil {
		return fmt.Errorf("dashboard: overdue: %w", err)
	}
	list = append([]trustlens.Overdue{}, list...) // a copy: never write to the store's slice
	for i := range list {
		list[i].DetectedAt = list[i].DetectedAt.UTC()
		list[i].LastUpdateAt = list[i].LastUpdateAt.UTC()
	}
	if format == "csv" {
		rows := make([][]string, len(list))
		for i, o := range list {
			rows[i] = []string{csvText(o.IncidentID), csvText(o.Title), csvText(o.Severity), csvTime(o.DetectedAt),
				csvTime(o.LastUpdateAt), csvInt(o.SilenceSeconds), csvInt(o.TargetSeconds)}
		}
		return writeCSV(c, "overdue", csvOverdueHeader, rows)
	}
	return answerJSON(c, overdueAnswer{Overdue: list, Policy: s.analytics.Policy()})
}

var csvOverdueHeader = []string{"incident_id", "title", "severity", "detected_at", "last_update_at", "silence_seconds", "target_seconds"}
