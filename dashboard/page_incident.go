package dashboard

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// habitReason is one line of an incident's scorecard.
type habitReason struct {
	Habit   string
	Verdict string
	Reason  string
}

// timelineRow is an event of the timeline or, between two update instants,
// the silence that separated them.
type timelineRow struct {
	Event *trustlens.TimelineEvent
	Gap   *gapRow
	Group []trustlens.TimelineEvent // a run of customer events, folded
}

// minFold is the shortest run of consecutive customer events that the
// timeline folds into one expandable row.
const minFold = 3

// progress is one bar of the compensation and follow-up section.
type progress struct {
	Label string
	Value int64
	Max   int64
	Text  string
}

type incidentData struct {
	layoutData
	I          trustlens.IncidentDetail
	Target     int64
	Duration   string
	Scorecard  []habitReason
	Rows       []timelineRow
	Gaps       []gapRow
	GapsChart  chartView
	Over       int
	Progress   []progress
	ChurnKnown bool
	ChurnText  []string // affected, baseline and uplift lines
	ChurnEnds  string   // when the churn window of a resolved incident ends
	JSONURL    string
	Tickets    incidentTickets
	Promises   []promiseRow
	NextSteps  []nextStep
}

// incidentTickets is the incident's tickets section: its tickets over
// time against its update points, and how many came in the silences.
type incidentTickets struct {
	Chart   chartView
	Split   ticketSplit
	CSAT    string // mean CSAT, "—" when none
	Reading string // how many came in the silences, in words
}

// ticketsSection reads the tickets section of an incident from its
// detail and gaps.
func ticketsSection(det trustlens.IncidentDetail, gaps []gapRow, target int64) incidentTickets {
	t := incidentTickets{Chart: ticketsChart("chart-tickets", det, gaps, target), CSAT: fmtCSAT(det.CSATAvg),
		Split: splitTickets(det.TicketTimes, gaps, target)}
	t.Chart.Size = "tall"
	var silent, total int64
	for _, g := range gaps {
		total += g.Seconds
		if target > 0 {
			silent += max(0, g.Seconds-target)
		}
	}
	t.Reading = ticketsReading(t.Split, len(det.TicketTimes), silent, total-silent, target, det.ResolvedAt != nil)
	return t
}

// ticketsReading says how many of an incident's n tickets came while it
// had been silent past its target (silent seconds in that state) and
// while it was being updated (updated seconds).
func ticketsReading(s ticketSplit, n int, silent, updated, target int64, resolved bool) string {
	if n == 0 {
		return ""
	}
	rate := func(k int, sec int64) string {
		if sec <= 0 { // detected and resolved in the same second: no time to take a rate over
			return "no time to take a rate over"
		}
		return fmtRate(float64(k)/(float64(sec)/3600)) + " an hour over " + fmtDuration(sec)
	}
	tickets := func(k int) string { return fmt.Sprintf("%d ticket%s", k, plural(k)) }
	outside := ""
	if s.Outside > 0 {
		end := "now"
		if resolved {
			end = "the resolution"
		}
		outside = fmt.Sprintf("; %d came before detection or after %s", s.Outside, end)
	}
	switch {
	case target <= 0:
		return fmt.Sprintf("%s; the severity has no cadence target, so none counts as silent or updated.", tickets(n))
	case silent == 0:
		return fmt.Sprintf("The incident was never silent past its %s target: %d of %s came while it was being updated (%s)%s.",
			fmtDuration(target), s.Updated, tickets(n), rate(s.Updated, updated), outside)
	case updated == 0:
		return fmt.Sprintf("%d of %s came while the incident had been silent past its %s target (%s)%s.",
			s.Silent, tickets(n), fmtDuration(target), rate(s.Silent, silent), outside)
	}
	return fmt.Sprintf("%d of %s came while the incident had been silent past its %s target (%s), %d while it was being updated (%s)%s.",
		s.Silent, tickets(n), fmtDuration(target), rate(s.Silent, silent), s.Updated, rate(s.Updated, updated), outside)
}

// incidentPage is GET /incidents/:id: the incident's timeline with its
// silences, the scorecard with the reason for every verdict, compensation
// and follow-up.
func (s *Server) incidentPage(c echo.Context) error {
	const title = "Incident"
	st, err := s.pageFilter(c)
	if err != nil {
		return s.filterErrorPage(c, title, pageIncident, st, err)
	}
	id, err := parseIncidentID(c)
	if err != nil {
		return s.filterErrorPage(c, title, pageIncident, st, err)
	}
	det, err := s.analytics.Incident(c.Request().Context(), id)
	if errors.Is(err, trustlens.ErrNotFound) {
		return s.notFoundPage(c, fmt.Sprintf("There is no incident %q. It may not have been detected yet (no incident.detected event), or the id is mistyped.", clip(id)))
	}
	if err != nil {
		return fmt.Errorf("dashboard: incident %q: %w", id, err)
	}
	s.explain(&det)
	pol := s.policy()
	now := s.now()
	l := s.newLayout(c, incidentTitle(det.Incident), pageIncident, st)
	l.Action = "/"
	l.HideRange = true
	d := incidentData{layoutData: l, I: det, Target: pol.CadenceTarget[det.Severity].Seconds()}
	end := now
	if det.ResolvedAt != nil {
		end = *det.ResolvedAt
	}
	d.Duration = fmtDuration(int64(end.Sub(det.DetectedAt).Seconds()))
	d.Scorecard = scorecard(det, pol)
	d.Gaps = incidentGaps(det, d.Target, now)
	for _, g := range d.Gaps {
		if g.Over {
			d.Over++
		}
	}
	d.GapsChart = gapsChart("chart-gaps", d.Gaps, d.Target)
	d.Rows = timelineRows(det, d.Gaps)
	d.Progress = incidentProgress(det.Incident)
	d.ChurnKnown = det.ActiveAffected != nil && det.ChurnedAffected != nil && det.ActiveBaseline != nil && det.ChurnedBaseline != nil
	if d.ChurnKnown {
		d.ChurnText = incidentChurn(det.Incident)
	} else if det.ResolvedAt != nil {
		d.ChurnEnds = fmtDateTime(det.ResolvedAt.AddDate(0, 0, pol.ChurnWindowDays))
	}
	d.JSONURL = "/api/v1/incidents/" + url.PathEscape(det.IncidentID)
	d.Tickets = ticketsSection(det, d.Gaps, d.Target)
	d.Promises = promiseRows(det, pol.PromiseGrace.Seconds())
	d.NextSteps = nextSteps(det, pol, now)
	return s.render(c, http.StatusOK, pageIncident, d)
}

func incidentTitle(i trustlens.Incident) string {
	if i.Title != "" {
		return i.IncidentID + ": " + i.Title
	}
	return i.IncidentID
}

// timelineRows interleaves the events with the silences: each silence is
// placed just before the update point (or the resolution) that ended it;
// the silence of an open incident that is still running comes last.
func timelineRows(d trustlens.IncidentDetail, gaps []gapRow) []timelineRow {
	rows := make([]timelineRow, 0, len(d.Timeline)+len(gaps))
	k := 0
	for i := range d.Timeline {
		e := &d.Timeline[i]
		ends := e.UpdatePoint || e.Type == trustlens.TypeIncidentResolved
		for ends && k < len(gaps) && gaps[k].To.Equal(e.OccurredAt.UTC()) {
			rows = append(rows, timelineRow{Gap: &gaps[k]})
			k++
		}
		rows = append(rows, timelineRow{Event: e})
	}
	for ; k < len(gaps); k++ {
		rows = append(rows, timelineRow{Gap: &gaps[k]})
	}
	return foldCustomerRuns(rows)
}

// foldCustomerRuns folds each run of at least minFold consecutive customer
// events (affected, tickets, offers, feedback…) into one row, so that the
// incident's own events and messages stay readable.
func foldCustomerRuns(rows []timelineRow) []timelineRow {
	out := make([]timelineRow, 0, len(rows))
	var run []timelineRow
	flush := func() {
		if len(run) >= minFold {
			g := timelineRow{}
			for _, r := range run {
				g.Group = append(g.Group, *r.Event)
			}
			out = append(out, g)
		} else {
			out = append(out, run...)
		}
		run = nil
	}
	for _, r := range rows {
		if r.Event != nil && customerEvent(r.Event.Type) {
			run = append(run, r)
			continue
		}
		flush()
		out = append(out, r)
	}
	flush()
	return out
}

// customerEvent is true for the events about customers rather than the
// incident or its communication.
func customerEvent(typ string) bool {
	return typ == trustlens.TypeIncidentCustomerAffected || strings.HasPrefix(typ, "customer.")
}

// groupSummary describes a folded run: "12 customer events: 9 customer
// affected, 3 ticket opened".
func groupSummary(events []trustlens.TimelineEvent) string {
	counts := map[string]int{}
	var order []string
	for _, e := range events {
		l := strings.ReplaceAll(e.Type[strings.LastIndex(e.Type, ".")+1:], "_", " ")
		if counts[l] == 0 {
			order = append(order, l)
		}
		counts[l]++
	}
	parts := make([]string, len(order))
	for i, l := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[l], l)
	}
	return fmt.Sprintf("%d customer events: %s", len(events), strings.Join(parts, ", "))
}

// incidentChurn describes the churn of a resolved incident whose window
// has passed.
func incidentChurn(i trustlens.Incident) []string {
	rate := func(churned, active int64) (string, *float64) {
		if active == 0 {
			return "—", nil
		}
		r := float64(churned) / float64(active)
		return fmtPct(r), &r
	}
	a, ar := rate(*i.ChurnedAffected, *i.ActiveAffected)
	b, br := rate(*i.ChurnedBaseline, *i.ActiveBaseline)
	out := []string{
		fmt.Sprintf("Affected customers: %s churned (%s of %s)", a, fmtInt(*i.ChurnedAffected), fmtInt(*i.ActiveAffected)),
		fmt.Sprintf("Baseline: %s churned (%s of %s other customers)", b, fmtInt(*i.ChurnedBaseline), fmtInt(*i.ActiveBaseline)),
	}
	if ar != nil && br != nil {
		out = append(out, "Uplift: "+signed((*ar-*br)*100)+" pp")
	}
	return out
}

// incidentProgress are the compensation and follow-up bars.
func incidentProgress(i trustlens.Incident) []progress {
	var out []progress
	if i.Affected > 0 || i.CompensationOffered > 0 {
		max := max(i.Affected, i.CompensationOffered)
		out = append(out, progress{Label: "Compensation offered", Value: i.CompensationOffered, Max: max,
			Text: fmt.Sprintf("%s customers offered, %s affected", fmtInt(i.CompensationOffered), fmtInt(i.Affected))})
	}
	if i.CompensationOffered > 0 {
		out = append(out, progress{Label: "Compensation redeemed", Value: i.CompensationRedeemed, Max: i.CompensationOffered,
			Text: fmt.Sprintf("%s of %s offers redeemed", fmtInt(i.CompensationRedeemed), fmtInt(i.CompensationOffered))})
	}
	if i.Affected > 0 {
		out = append(out, progress{Label: "Followed up", Value: i.FollowedUp, Max: i.Affected,
			Text: fmt.Sprintf("%s of %s affected customers contacted individually", fmtInt(i.FollowedUp), fmtInt(i.Affected))})
	}
	return out
}

// scorecard explains each habit's verdict with the figures behind it.
func scorecard(d trustlens.IncidentDetail, p trustlens.Policy) []habitReason {
	out := make([]habitReason, 0, len(trustlens.Habits))
	for _, h := range trustlens.Habits {
		v := d.Habits[h]
		if v == "" {
			v = "—"
		}
		out = append(out, habitReason{Habit: h, Verdict: v, Reason: habitReasonText(h, v, d.Incident, d.Timeline, p)})
	}
	return out
}

func habitReasonText(h, v string, i trustlens.Incident, tl []trustlens.TimelineEvent, p trustlens.Policy) string {
	open := i.ResolvedAt == nil
	yet := ""
	if v == trustlens.Pending {
		yet = " yet"
	}
	switch h {
	case trustlens.HabitActSwiftly:
		target := fmtDuration(p.AckTarget.Seconds())
		if i.TTASeconds == nil {
			return fmt.Sprintf("no communication sent%s, target %s", yet, target)
		}
		return fmt.Sprintf("acknowledged after %s, target %s", fmtDuration(*i.TTASeconds), target)
	case trustlens.HabitTakeResponsibility:
		if v == trustlens.Met {
			if by := saidBy(tl, trustlens.EvidenceTakesResponsibility); by != "" {
				return "the " + by + " took responsibility for the outage"
			}
			return "a message took responsibility for the outage"
		}
		return "no message has taken responsibility" + yet
	case trustlens.HabitCommunicateProactively:
		// say which of the two conditions failed, so the reader knows what to fix
		target := p.CadenceTarget[i.Severity].Seconds()
		within := "within"
		if i.MaxSilenceSeconds > target {
			within = "over"
			if fmtDuration(i.MaxSilenceSeconds) == fmtDuration(target) { // "2 h, over the 2 h target" reads as a mistake
				within = "just over"
			}
		}
		txt := fmt.Sprintf("longest silence %s, %s the %s target for %s; ", fmtDuration(i.MaxSilenceSeconds), within, fmtDuration(target), i.Severity)
		if target == 0 {
			txt = fmt.Sprintf("longest silence %s, and no cadence target is set for %s; ", fmtDuration(i.MaxSilenceSeconds), i.Severity)
		}
		n := len(i.Channels)
		chans := " (" + strings.Join(i.Channels, ", ") + ")"
		switch {
		case n == 0:
			txt += fmt.Sprintf("no channel used%s (minimum %d)", yet, p.MinChannels)
		case n < p.MinChannels:
			txt += fmt.Sprintf("only %d channel%s%s, fewer than the %d asked for", n, plural(n), chans, p.MinChannels)
		default:
			txt += fmt.Sprintf("%d channel%s%s (minimum %d)", n, plural(n), chans, p.MinChannels)
		}
		if open {
			txt += "; still open, so the silence can grow"
		}
		return txt
	case trustlens.HabitApologize:
		if v == trustlens.Met {
			if by := saidBy(tl, trustlens.EvidenceApology); by != "" {
				return "the " + by + " apologized to customers"
			}
			return "a message apologized to customers"
		}
		return "no message has apologized" + yet
	case trustlens.HabitCompensate:
		switch {
		case i.Affected == 0 && v == trustlens.NA:
			return "no affected customers recorded, so no compensation is due"
		case v == trustlens.NA:
			return fmt.Sprintf("%s outages do not call for compensation (policy: %s)", i.Severity, strings.Join(p.CompensationSeverities, ", "))
		}
		return fmt.Sprintf("%s customer%s offered compensation, %s affected; target: at least %s of the affected",
			fmtInt(i.CompensationOffered), plural(int(i.CompensationOffered)), fmtInt(i.Affected), fmtPct(p.CompensationCoverage))
	case trustlens.HabitLearn:
		switch {
		case v == trustlens.Met:
			return fmt.Sprintf("postmortem with root cause and prevention steps published within %d days of resolution", p.PostmortemDays)
		case open:
			if gap := postmortemGap(tl); gap != "" {
				return fmt.Sprintf("%s; a complete postmortem is due within %d days of resolution", gap, p.PostmortemDays)
			}
			return fmt.Sprintf("no complete postmortem yet; due within %d days of resolution", p.PostmortemDays)
		case v == trustlens.Pending:
			due := fmtDateTime(i.ResolvedAt.AddDate(0, 0, p.PostmortemDays))
			if gap := postmortemGap(tl); gap != "" {
				return gap + "; a complete postmortem is due by " + due
			}
			return fmt.Sprintf("no postmortem with root cause and prevention steps yet; due by %s", due)
		}
		if gap := postmortemGap(tl); gap != "" {
			return fmt.Sprintf("%s; no complete postmortem within %d days of resolution", gap, p.PostmortemDays)
		}
		return fmt.Sprintf("no postmortem with root cause and prevention steps within %d days of resolution", p.PostmortemDays)
	case trustlens.HabitFollowUp:
		if i.Affected == 0 {
			return "no affected customers recorded"
		}
		txt := fmt.Sprintf("%s of %s affected customers contacted individually; target %s",
			fmtInt(i.FollowedUp), fmtInt(i.Affected), fmtPct(p.FollowupCoverage))
		if v == trustlens.Pending && i.ResolvedAt != nil {
			txt += "; window ends " + fmtDateTime(i.ResolvedAt.AddDate(0, 0, p.FollowupDays))
		}
		return txt
	}
	return ""
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// eventKind groups timeline events for their icon and colour.
func eventKind(t string) string {
	switch {
	case t == trustlens.TypeCommunicationSent:
		return "comm"
	case t == trustlens.TypeIncidentCustomerAffected:
		return "customer"
	case strings.HasPrefix(t, "incident."):
		return "incident"
	case slices.Contains([]string{trustlens.TypeCompensationOffered, trustlens.TypeCompensationRedeemed}, t):
		return "comp"
	}
	return "customer"
}
