package dashboard

import (
	"fmt"
	"math"
	"slices"
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
// pressing first: the next update while it is open (when it is due: a
// pending promise, or the end of the cadence target), then each habit still
// pending (SPEC §2.2), with what it takes to meet it. A habit already met
// or missed gets no step: nothing can change it.
func nextSteps(d trustlens.IncidentDetail, p trustlens.Policy, now time.Time) []nextStep {
	i := d.Incident
	open := i.ResolvedAt == nil
	pending := func(h string) bool { return i.Habits[h] == trustlens.Pending }
	var out []nextStep
	if open {
		out = append(out, nextUpdateStep(d, p, now))
	}
	if open && pending(trustlens.HabitCommunicateProactively) && len(i.Channels) < p.MinChannels {
		txt := fmt.Sprintf("Reach customers on at least %d channels (status page, email, in-app…)", p.MinChannels)
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
		out = append(out, nextStep{Text: fmt.Sprintf("Offer compensation to at least %s of the %s affected customers (%s for %s); %s offered so far.",
			fmtInt(need), fmtInt(i.Affected), fmtPct(p.CompensationCoverage), i.Severity, fmtInt(i.CompensationOffered))})
	}
	if pending(trustlens.HabitLearn) {
		s := nextStep{Text: "Publish a postmortem that states what caused the outage and the concrete steps that stop it recurring"}
		if open {
			s.Text += fmt.Sprintf(", within %d days of the resolution", p.PostmortemDays)
		} else {
			due := i.ResolvedAt.AddDate(0, 0, p.PostmortemDays)
			s.Due = "by " + fmtDateTime(due)
		}
		if gap := postmortemGap(d.Timeline); gap != "" {
			s.Text += ": " + gap
		}
		out = append(out, s.withPeriod())
	}
	if pending(trustlens.HabitFollowUp) && i.Affected > 0 {
		need := atLeast(p.FollowupCoverage, i.Affected)
		s := nextStep{Text: fmt.Sprintf("Contact at least %s of the %s affected customers individually (%s)",
			fmtInt(need), fmtInt(i.Affected), fmtPct(p.FollowupCoverage))}
		if open {
			s.Text += fmt.Sprintf(" within %d days of the resolution", p.FollowupDays)
		} else {
			s.Due = "by " + fmtDateTime(i.ResolvedAt.AddDate(0, 0, p.FollowupDays))
		}
		s.Text += fmt.Sprintf("; %s so far", fmtInt(i.FollowedUp))
		out = append(out, s.withPeriod())
	}
	return out
}

func (s nextStep) withPeriod() nextStep {
	s.Text += "."
	return s
}

// atLeast is the fewest of n that make a share of at least coverage.
func atLeast(coverage float64, n int64) int64 {
	return int64(math.Ceil(coverage*float64(n) - 1e-9))
}

// nextUpdateStep says when an open incident's next update is due: now when
// it is past its cadence target or a promised time, else by the earlier of
// a pending promise and the end of the target (the rule of
// GET /api/v1/cadence/due, read from the incident's own timeline).
func nextUpdateStep(d trustlens.IncidentDetail, p trustlens.Policy, now time.Time) nextStep {
	i := d.Incident
	last := i.DetectedAt
	var points []time.Time
	for _, e := range d.Timeline {
		if e.UpdatePoint {
			points = append(points, e.OccurredAt)
		}
	}
	if len(points) > 0 {
		if m := slices.MaxFunc(points, func(a, b time.Time) int { return a.Compare(b) }); m.After(last) {
			last = m
		}
	}
	target := time.Duration(p.CadenceTarget[i.Severity])
	cadenceDue := last.Add(target)
	silent := fmtDuration(int64(now.Sub(last).Seconds()))
	since := "since the detection"
	if last.After(i.DetectedAt) {
		since = "since the last update"
	}

	var promise *trustlens.Promise // the earliest pending, or a broken one nothing has followed
	var broken *trustlens.Promise
	for k := range d.Promises {
		pr := &d.Promises[k]
		switch {
		case pr.Status == trustlens.PromisePending && (promise == nil || pr.Due.Before(promise.Due)):
			promise = pr
		case pr.Status == trustlens.PromiseBroken && pr.NextUpdateAt == nil:
			broken = pr
		}
	}
	madeBy := func(pr *trustlens.Promise) string {
		for _, e := range d.Timeline {
			if e.EventID == pr.MadeBy {
				return "the " + messageName(e)
			}
		}
		return "a message of " + fmtDateTime(pr.MadeAt)
	}

	if now.After(cadenceDue) {
		txt := fmt.Sprintf("Send an update now: customers have heard nothing for %s %s, past the %s target for %s",
			silent, since, fmtDuration(int64(target.Seconds())), i.Severity)
		if broken != nil {
			txt += fmt.Sprintf("; %s promised one by %s", madeBy(broken), fmtDateTime(broken.Due))
		}
		return nextStep{Text: txt + ". Say when the next one will come.", Due: "now", Urgent: true}
	}
	if promise != nil && !promise.Due.After(cadenceDue) {
		if now.After(promise.Due) {
			return nextStep{Text: fmt.Sprintf("Send the next update now: %s promised one by %s; it breaks %s after that.",
				madeBy(promise), fmtDateTime(promise.Due), fmtDuration(p.PromiseGrace.Seconds())), Due: "now", Urgent: true}
		}
		return nextStep{Text: fmt.Sprintf("Send the next update by %s, as %s promised.", fmtDateTime(promise.Due), madeBy(promise)),
			Due: "by " + fmtDateTime(promise.Due)}
	}
	txt := fmt.Sprintf("Send the next update by %s: the %s cadence target is %s, and customers have heard nothing for %s %s",
		fmtDateTime(cadenceDue), i.Severity, fmtDuration(int64(target.Seconds())), silent, since)
	if broken != nil {
		txt += fmt.Sprintf("; %s promised one by %s", madeBy(broken), fmtDateTime(broken.Due))
	}
	if promise == nil {
		txt += ". Say when the next one will come"
	}
	return nextStep{Text: txt + ".", Due: "by " + fmtDateTime(cadenceDue)}
}
