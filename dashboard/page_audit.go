package dashboard

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// Audit page sizes.
const (
	auditSilenceBars   = 15 // incidents in the longest-silence chart
	auditTimelineRows  = 6  // incidents in the update-timeline chart
	auditMissedPerList = 8  // incidents listed under each missed habit
	auditDueRows       = 10 // open incidents listed under "Next updates due"
)

// missedHabit lists the incidents that missed one habit.
type missedHabit struct {
	Habit     string
	Incidents []trustlens.Incident
	More      int
	Total     int
}

type auditData struct {
	layoutData
	Overdue      []trustlens.Overdue
	Due          []dueRow // open incidents not overdue, the most urgent first
	DueMore      int      // not shown of those
	DueCount     int      // shown and not
	DueMax       int      // the most shown (auditDueRows), for the refresh script
	Silences     []silenceRow
	SilenceChart chartView
	Timeline     chartView
	Channels     []channelCount
	ChannelChart chartView
	MultiChannel string
	Missed       []missedHabit
	Count        int64
}

// auditPage is GET /audit: the update-cadence audit for support managers.
func (s *Server) auditPage(c echo.Context) error {
	const title = "Update cadence audit"
	st, err := s.pageFilter(c)
	if err != nil {
		return s.filterErrorPage(c, title, pageAudit, st, err)
	}
	ctx := c.Request().Context()
	listF := st.Filter
	listF.Limit = maxChartIncidents
	var (
		overdue []trustlens.Overdue
		due     []trustlens.UpdateDue
		list    trustlens.IncidentPage
	)
	err = parallel(
		func() (err error) { overdue, err = s.analytics.Overdue(ctx); return err },
		func() (err error) { due, err = s.analytics.UpdatesDue(ctx); return err },
		func() (err error) { list, err = s.analytics.Incidents(ctx, listF); return err },
	)
	if err != nil {
		return fmt.Errorf("dashboard: audit: %w", err)
	}
	pol := s.policy()
	d := auditData{layoutData: s.newLayout(c, title, pageAudit, st), Overdue: overdue, Count: list.Total}
	d.Scripts = []string{"audit.js"}
	if n := int64(len(list.Incidents)); list.Total > n {
		d.Truncated, d.Shown = list.Total-n, n
	}
	sort.SliceStable(d.Overdue, func(i, j int) bool { return d.Overdue[i].SilenceSeconds > d.Overdue[j].SilenceSeconds })
	d.Due, d.DueMore = dueRows(due, pol, auditDueRows)
	d.DueCount, d.DueMax = len(d.Due)+d.DueMore, auditDueRows

	d.Silences = worstSilences(list.Incidents, pol, auditSilenceBars)
	d.SilenceChart = silenceChart("chart-silence", d.Silences)
	if len(d.Silences) > 8 {
		d.SilenceChart.Size = "tall"
	}

	// The timeline needs each incident's update points: the worst few only.
	worst := d.Silences
	if len(worst) > auditTimelineRows {
		worst = worst[:auditTimelineRows]
	}
	// It is an extra: it gets a third of the request's time, and the page
	// shows without it when the store is slower than that.
	tctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout/3)
	defer cancel()
	ids := make([]string, len(worst))
	for i, w := range worst {
		ids[i] = w.IncidentID
	}
	points, err := s.analytics.UpdatePoints(tctx, ids)
	switch {
	case err == nil:
		incs := make([]trustlens.Incident, len(worst))
		for i, w := range worst {
			incs[i] = w.Incident
		}
		d.Timeline = updateTimelineChart("chart-timeline", incs, points, pol, s.now())
		if len(points) > 5 {
			d.Timeline.Size = "tall"
		}
	case deadlinePassed(tctx) && ctx.Err() == nil && !deadlinePassed(ctx):
		s.logger(c).Warn("dashboard: audit: update timeline skipped, the store was too slow", slog.String("error", err.Error()))
		d.Timeline = chartView{ID: "chart-timeline", Empty: "The update timeline took too long to load; the rest of the page is complete. Reload, or narrow the date range."}
	default:
		return fmt.Errorf("dashboard: audit: timeline: %w", err)
	}

	d.Channels = channelCoverage(list.Incidents)
	d.ChannelChart = channelChart("chart-channels", d.Channels)
	d.ChannelChart.Size = "short"
	multi := 0
	for i := range list.Incidents {
		if len(list.Incidents[i].Channels) >= pol.MinChannels {
			multi++
		}
	}
	if len(list.Incidents) > 0 {
		d.MultiChannel = fmtPct(float64(multi) / float64(len(list.Incidents)))
	}
	d.Missed = missedHabits(list.Incidents)
	return s.render(c, http.StatusOK, pageAudit, d)
}

// missedHabits groups the incidents that missed each habit, worst (most
// recent) first.
func missedHabits(incidents []trustlens.Incident) []missedHabit {
	out := make([]missedHabit, len(trustlens.Habits))
	for h, name := range trustlens.Habits {
		out[h].Habit = name
	}
	for _, inc := range newestFirst(incidents) {
		for name, v := range inc.Habits { // a walk of the small map, no hashing
			h := slices.Index(trustlens.Habits, name)
			if v != trustlens.Missed || h < 0 {
				continue
			}
			m := &out[h]
			m.Total++
			if len(m.Incidents) < auditMissedPerList {
				m.Incidents = append(m.Incidents, *inc)
			}
		}
	}
	for h := range out {
		out[h].More = out[h].Total - len(out[h].Incidents)
	}
	return out
}
