package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// incidentsAnswer is GET /api/v1/incidents: the page of incidents, the
// total matching the filter, the paging used and the policy.
type incidentsAnswer struct {
	Incidents []trustlens.Incident `json:"incidents"`
	Total     int64                `json:"total"`
	Limit     int                  `json:"limit"`
	Offset    int                  `json:"offset"`
	Policy    trustlens.Policy     `json:"policy"`
}

// incidentAnswer is GET /api/v1/incidents/{id}.
type incidentAnswer struct {
	trustlens.IncidentDetail
	Policy trustlens.Policy `json:"policy"`
}

// apiIncidents answers GET /api/v1/incidents?from=&to=&severity=&status=&limit=&offset=&format=.
func (s *Server) apiIncidents(c echo.Context) error {
	if err := checkParams(c, listParams...); err != nil {
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
	page, err := s.analytics.Incidents(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("dashboard: incidents: %w", err)
	}
	// Normalize a copy: the store's slices may be shared (a cache).
	page.Incidents = append([]trustlens.Incident{}, page.Incidents...)
	for i := range page.Incidents {
		normalizeIncident(&page.Incidents[i])
	}
	if format == "csv" {
		rows := make([][]string, len(page.Incidents))
		for i, inc := range page.Incidents {
			rows[i] = csvIncidentRow(inc)
		}
		c.Response().Header().Set("X-Total-Count", strconv.FormatInt(page.Total, 10))
		return writeCSV(c, "incidents", csvIncidentHeader, rows)
	}
	return answerJSON(c, incidentsAnswer{
		Incidents: page.Incidents, Total: page.Total, Limit: f.Limit, Offset: f.Offset,
		Policy: s.analytics.Policy(),
	})
}

// apiIncident answers GET /api/v1/incidents/{id}; ?format=csv gives the
// timeline.
func (s *Server) apiIncident(c echo.Context) error {
	if err := checkParams(c, formatParam...); err != nil {
		return err
	}
	id, err := parseIncidentID(c)
	if err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	d, err := s.analytics.Incident(c.Request().Context(), id)
	if errors.Is(err, trustlens.ErrNotFound) {
		return &statusError{Status: http.StatusNotFound, Msg: fmt.Sprintf("incident %q not found", clip(id)), Cause: err}
	}
	if err != nil {
		return fmt.Errorf("dashboard: incident %q: %w", id, err)
	}
	normalizeDetail(&d)
	s.explain(&d)
	if format == "csv" {
		rows := make([][]string, len(d.Timeline))
		for i, ev := range d.Timeline {
			rows[i] = []string{csvText(ev.EventID), csvText(ev.Type), csvTime(ev.OccurredAt),
				csvText(ev.CustomerID), csvText(ev.Detail), csvBool(ev.UpdatePoint)}
		}
		return writeCSV(c, "incident-timeline", csvTimelineHeader, rows)
	}
	return answerJSON(c, incidentAnswer{IncidentDetail: d, Policy: s.analytics.Policy()})
}

// normalizeIncident puts timestamps in UTC and turns absent lists into
// empty ones, so that JSON never has null where a list is expected.
func normalizeIncident(inc *trustlens.Incident) {
	inc.DetectedAt = inc.DetectedAt.UTC()
	if inc.ResolvedAt != nil {
		t := inc.ResolvedAt.UTC()
		inc.ResolvedAt = &t
	}
	if inc.Channels == nil {
		inc.Channels = []string{}
	}
	if inc.Habits == nil {
		inc.Habits = map[string]string{}
	}
}

func normalizeDetail(d *trustlens.IncidentDetail) {
	normalizeIncident(&d.Incident)
	d.Timeline = append([]trustlens.TimelineEvent{}, d.Timeline...) // a copy: never write to the store's slice
	for i := range d.Timeline {
		d.Timeline[i].OccurredAt = d.Timeline[i].OccurredAt.UTC()
	}
	if d.Gaps == nil {
		d.Gaps = []int64{}
	}
	proms := make([]trustlens.Promise, len(d.Promises)) // a copy, as the timeline, in UTC
	for i, p := range d.Promises {
		p.Due, p.MadeAt = p.Due.UTC(), p.MadeAt.UTC()
		if p.NextUpdateAt != nil {
			t := p.NextUpdateAt.UTC()
			p.NextUpdateAt = &t
		}
		proms[i] = p
	}
	d.Promises = proms
	if d.Due != nil {
		due := utcDue([]trustlens.UpdateDue{*d.Due})[0]
		d.Due = &due
	}
	times := make([]time.Time, len(d.TicketTimes)) // a copy, as the timeline
	for i, t := range d.TicketTimes {
		times[i] = t.UTC()
	}
	d.TicketTimes = times
}

var csvIncidentHeader = append(append([]string{
	"incident_id", "title", "severity", "status", "detected_at", "resolved_at", "tta_seconds",
	"max_silence_seconds", "updates", "channels", "affected", "compensation_offered",
	"compensation_redeemed", "followed_up", "active_affected", "churned_affected", "active_baseline",
	"churned_baseline", "trust_score",
}, trustlens.Habits...), "promises_made", "promises_kept", "promises_broken", "tickets", "csat_avg")

// csvIncidentRow is one CSV row: channels joined by ";", one column per habit.
func csvIncidentRow(inc trustlens.Incident) []string {
	row := []string{
		csvText(inc.IncidentID), csvText(inc.Title), csvText(inc.Severity), csvText(inc.Status),
		csvTime(inc.DetectedAt), csvTimeP(inc.ResolvedAt), csvIntP(inc.TTASeconds),
		csvInt(inc.MaxSilenceSeconds), csvInt(inc.Updates), csvText(strings.Join(inc.Channels, ";")),
		csvInt(inc.Affected), csvInt(inc.CompensationOffered), csvInt(inc.CompensationRedeemed),
		csvInt(inc.FollowedUp), csvIntP(inc.ActiveAffected), csvIntP(inc.ChurnedAffected),
		csvIntP(inc.ActiveBaseline), csvIntP(inc.ChurnedBaseline), csvIntP(inc.TrustScore),
	}
	for _, h := range trustlens.Habits {
		row = append(row, inc.Habits[h])
	}
	return append(row, csvInt(inc.PromisesMade), csvInt(inc.PromisesKept), csvInt(inc.PromisesBroken),
		csvInt(inc.Tickets), csvFloatP(inc.CSATAvg))
}

var csvTimelineHeader = []string{"event_id", "type", "occurred_at", "customer_id", "detail", "update_point"}
