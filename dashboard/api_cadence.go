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

// dueAnswer is GET /api/v1/cadence/due.
type dueAnswer struct {
	Due    []trustlens.UpdateDue `json:"due"`
	Policy trustlens.Policy      `json:"policy"`
}

// apiDue answers GET /api/v1/cadence/due: every open incident with when its
// customers next expect to hear (a pending promise or the cadence target),
// the most urgent first.
func (s *Server) apiDue(c echo.Context) error {
	if err := checkParams(c, formatParam...); err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	list, err := s.analytics.UpdatesDue(c.Request().Context())
	if err != nil {
		return fmt.Errorf("dashboard: updates due: %w", err)
	}
	list = utcDue(list)
	if format == "csv" {
		rows := make([][]string, len(list))
		for i, d := range list {
			rows[i] = []string{csvText(d.IncidentID), csvText(d.Title), csvText(d.Severity), csvTime(d.DetectedAt),
				csvTime(d.LastUpdateAt), csvTime(d.CadenceDueAt), csvInt(d.TargetSeconds), csvTimeP(d.PromisedAt), csvTime(d.DueAt), csvText(d.By),
				csvInt(d.SecondsLeft), csvBool(d.Overdue)}
		}
		return writeCSV(c, "updates-due", csvDueHeader, rows)
	}
	return answerJSON(c, dueAnswer{Due: list, Policy: s.analytics.Policy()})
}

var csvDueHeader = []string{"incident_id", "title", "severity", "detected_at", "last_update_at", "cadence_due_at",
	"target_seconds", "promised_at", "due_at", "by", "seconds_left", "overdue"}

// utcDue is a copy of list (never write to the store's slice) with every
// time in UTC.
func utcDue(list []trustlens.UpdateDue) []trustlens.UpdateDue {
	out := make([]trustlens.UpdateDue, len(list))
	for i, d := range list {
		d.DetectedAt, d.LastUpdateAt, d.CadenceDueAt, d.DueAt = d.DetectedAt.UTC(), d.LastUpdateAt.UTC(), d.CadenceDueAt.UTC(), d.DueAt.UTC()
		if d.PromisedAt != nil {
			t := d.PromisedAt.UTC()
			d.PromisedAt = &t
		}
		out[i] = d
	}
	return out
}
