package dashboard

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/trustlens/trustlens"
)

// nextStep is one thing a support manager can still do for an incident,
// in the imperative, with its deadline.
type nextStep struct {
	Text   string
	Due    string // "now", "by 6 Dec 2026 20:47 UTC", or "" when the deadline is not known yet
	Urgent bool   // its deadline has passed
}

// nextSteps lists what can still be done for incident d at now, most
// pressing first: the next update while it is open (d.Due: a pending
// promise, or the end of the cadence target), then each habit still
// pending (SPEC §2.2), with what it takes to meet it. A habit already met
// or missed gets no step: nothing can change it.
func nextSteps(d trustlens.IncidentDetail, p trustlens.Policy, now time.Time) []nextStep {
	i := d.Incident
	open := i.ResolvedAt == nil
	pending := func(h string) bool { return i.Habits[h] == trustlens.Pending }
	var out []nextStep
	if open && d.Due != nil {
		out = append(out, nextUpdateStep(d, *d.Due, p, now))
	}
	if open && pending(trustlens.HabitCommunicateProactively) && len(i.Channels) < p.MinChannels {
		txt := fmt.Sprintf("Reach customers on at least %d channel%s (status page, email, in-app…)", p.MinChannels, plural(p.MinChannels))
		if len(i.Channels) > 0 {
			txt += ": so far only " + strings.Join(i.Channels, ", ")
		}
		out = append(out, nextStep{Text: txt + "."})
	}
	if pending(trustlens.HabitApologize) {
		out = append(out, nextStep{Text: "Apologize for the outage and its impact in the next update: no message has yet."})
	}
	if pending(trustlens.HabitTakeResponsibility) {
		out = append(out, nextStep{Text: "If the failure is yours, say so plainly (“a change we made caused …”): no message has owned it yet. " +
			"Describing the cause impersonally or blaming a provider does not count."})
	}
	if pending(trustlens.HabitCompensate) && i.Affected > 0 {
		need := atLeast(p.CompensationCoverage, i.Affected)
		out = append(out, nextStep{Text: fmt.Sprintf("Offer compensation to %s (%s for %s); %s of them offered so far.",
			ofAffected(need, i.Affected), fmtPct(p.CompensationCoverage), i.Severity, fmtInt(d.AffectedOffered))})
	}
	if pending(trustlens.HabitLearn) {
		s := nextStep{Text: "Publish a postmortem that states what caused the outage and the concrete steps that stop it recurring"}
		if open {
			s.Text += " within " + days(p.PostmortemDays) + " of the resolution"
		} else {
			s.Due = "by " + fmtDateTime(i.ResolvedAt.AddDate(0, 0, p.PostmortemDays))
		}
		if gap := postmortemGap(d.Timeline); gap != "" {
			s.Text += ": " + gap
		}
		out = append(out, nextStep{Text: s.Text + ".", Due: s.Due})
	}
	if pending(trustlens.HabitFollowUp) && i.Affected > 0 {
		need := atLeast(p.FollowupCoverage, i.Affected)
		s := nextStep{Text: fmt.Sprintf("Contact %s individually (%s)", ofAffected(need, i.Affected), fmtPct(p.FollowupCoverage))}
		if open {
			s.Text += " within " + days(p.FollowupDays) + " of the resolution"
		} else {
			s.Due = "by " + fmtDateTime(i.ResolvedAt.AddDate(0, 0, p.FollowupDays))
		}
		out = append(out, nextStep{Text: s.Text + fmt.Sprintf("; %s so far.", fmtInt(i.FollowedUp)), Due: s.Due})
	}
	return out
}

// atLeast is the fewest of n that make a share of at least coverage.
func atLeast(coverage float64, n int64) int64 {
	return int64(math.Ceil(coverage*float64(n) - 1e-9))
}

// ofAffected is "at least 179 of the 357 affected customers", "the 1
// affected customer", "all 2 affected customers".
func ofAffected(need, affected int64) string {
	switch {
	case affected == 1:
		return "the 1 affected customer"
	case need == affected:
		return fmt.Sprintf("all %s affected customers", fmtInt(affected))
	}
	return fmt.Sprintf("at least %s of the %s affected customers", fmtInt(need), fmtInt(affected))
}

// days is "7 days", "1 day".
func days(n int) string { return fmt.Sprintf("%d day%s", n, plural(n)) }

// nextUpdateStep says when an open incident's next update is due (due, as
// the analytics store worked it out at the answer's time): now when it is
// past its cadence target or a promised time, else by the earlier of a
// pending promise and the end of the target, naming the message that
// promised.
func nextUpdateStep(d trustlens.IncidentDetail, due trustlens.UpdateDue, p trustlens.Policy, now time.Time) nextStep {
	sev := d.Incident.Severity
	silent := fmtDuration(max(0, int64(now.Sub(due.LastUpdateAt).Seconds())))
	since := "since the detection"
	if due.LastUpdateAt.After(d.Incident.DetectedAt) {
		since = "since the last update"
	}
	target := "the " + fmtDuration(due.TargetSeconds) + " target for " + sev
	if due.TargetSeconds == 0 {
		target = "no cadence target is set for " + sev
	}
	// a broken promise nothing has followed, to name
	var broken string
	for _, pr := range d.Promises {
		if pr.Status == trustlens.PromiseBroken && pr.NextUpdateAt == nil {
			broken = fmt.Sprintf("; the %s promised one by %s", madeBy(d, pr), fmtDateTime(pr.Due))
		}
	}
	if due.Overdue {
		txt := fmt.Sprintf("Send an update now: customers have heard nothing for %s %s, past %s", silent, since, target)
		if due.TargetSeconds == 0 {
			txt = fmt.Sprintf("Send an update now: customers have heard nothing for %s %s (%s)", silent, since, target)
		}
		return nextStep{Text: txt + broken + ". Say when the next one will come.", Due: "now", Urgent: true}
	}
	if due.By == trustlens.DueByPromise {
		var by string
		for _, pr := range d.Promises {
			if pr.Status == trustlens.PromisePending && due.PromisedAt != nil && pr.Due.Equal(*due.PromisedAt) {
				by = "the " + madeBy(d, pr)
			}
		}
		if by == "" {
			by = "an update"
		}
		if due.SecondsLeft < 0 {
			return nextStep{Text: fmt.Sprintf("Send the next update now: %s promised one by %s; the promise breaks %s after that.",
				by, fmtDateTime(due.DueAt), fmtDuration(p.PromiseGrace.Seconds())), Due: "now", Urgent: true}
		}
		return nextStep{Text: fmt.Sprintf("Send the next update by %s, as %s promised.", fmtDateTime(due.DueAt), by),
			Due: "by " + fmtDateTime(due.DueAt)}
	}
	txt := fmt.Sprintf("Send the next update by %s: %s is %s, and customers have heard nothing for %s %s",
		fmtDateTime(due.DueAt), "the "+sev+" cadence target", fmtDuration(due.TargetSeconds), silent, since)
	if due.PromisedAt == nil {
		txt += broken + ". Say when the next one will come"
	} else {
		txt += broken
	}
	return nextStep{Text: txt + ".", Due: "by " + fmtDateTime(due.DueAt)}
}

// madeBy names the message that made promise pr, "update of … on …", or
// "message of …" (its time) when it is not in d's timeline.
func madeBy(d trustlens.IncidentDetail, pr trustlens.Promise) string {
	for _, e := range d.Timeline {
		if e.EventID == pr.MadeBy {
			return messageName(e)
		}
	}
	return messageName(trustlens.TimelineEvent{OccurredAt: pr.MadeAt})
}
