package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestNextSteps checks what the incident page tells a support manager to
// do next, worked out by hand. Detection is 19:00 UTC on 6 Dec 2026, the
// policy the default (sev1 cadence 1 h, grace 5 min, compensation and
// follow-up 50%, postmortem and follow-up within 7 days); d.Due is what
// the analytics store gives for the same clock.
func TestNextSteps(t *testing.T) {
	pol := trustlens.DefaultPolicy()
	det := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return det.Add(time.Duration(min) * time.Minute) }
	ptr := func(t time.Time) *time.Time { return &t }
	update := func(id string, min int, kind string) trustlens.TimelineEvent {
		return trustlens.TimelineEvent{EventID: id, Type: trustlens.TypeCommunicationSent, OccurredAt: at(min), UpdatePoint: kind != "postmortem",
			Message: &trustlens.Message{Kind: kind, Channel: "status_page"}}
	}
	allPending := map[string]string{}
	for _, h := range trustlens.Habits {
		allPending[h] = trustlens.Pending
	}
	allPending[trustlens.HabitActSwiftly] = trustlens.Met
	// 10 customers offered compensation, 7 of them affected
	open := trustlens.Incident{Severity: "sev1", DetectedAt: det, Channels: []string{"status_page"}, Affected: 357, CompensationOffered: 10,
		FollowedUp: 3, Habits: allPending}
	resolvedAt := at(120)
	resolved := trustlens.Incident{Severity: "sev1", DetectedAt: det, ResolvedAt: &resolvedAt, Channels: []string{"email", "status_page"},
		Affected: 4, FollowedUp: 1, Habits: map[string]string{
			trustlens.HabitActSwiftly: trustlens.Met, trustlens.HabitTakeResponsibility: trustlens.Missed,
			trustlens.HabitCommunicateProactively: trustlens.Met, trustlens.HabitApologize: trustlens.Met,
			trustlens.HabitCompensate: trustlens.Missed, trustlens.HabitLearn: trustlens.Pending, trustlens.HabitFollowUp: trustlens.Pending,
		}}
	tail := []string{
		"Reach customers on at least 2 channels (status page, email, in-app…): so far only status_page.",
		"Apologize for the outage and its impact in the next update: no message has yet.",
		"If the failure is yours, say so plainly (“a change we made caused …”): no message has owned it yet. Describing the cause impersonally or blaming a provider does not count.",
		"Offer compensation to at least 179 of the 357 affected customers (50% for sev1); 7 of them offered so far.",
		"Publish a postmortem that states what caused the outage and the concrete steps that stop it recurring within 7 days of the resolution.",
		"Contact at least 179 of the 357 affected customers individually (50%) within 7 days of the resolution; 3 so far.",
	}
	cadence := func(last, due time.Time, left int64, overdue bool, promised *time.Time) *trustlens.UpdateDue {
		return &trustlens.UpdateDue{LastUpdateAt: last, CadenceDueAt: due, TargetSeconds: 3600, PromisedAt: promised, DueAt: due,
			By: trustlens.DueByCadence, SecondsLeft: left, Overdue: overdue}
	}
	byPromise := func(last, promised time.Time, left int64) *trustlens.UpdateDue {
		return &trustlens.UpdateDue{LastUpdateAt: last, CadenceDueAt: last.Add(time.Hour), TargetSeconds: 3600, PromisedAt: &promised,
			DueAt: promised, By: trustlens.DueByPromise, SecondsLeft: left}
	}
	tests := []struct {
		name     string
		inc      trustlens.Incident
		pol      *trustlens.Policy
		tl       []trustlens.TimelineEvent
		promises []trustlens.Promise
		due      *trustlens.UpdateDue
		offered  int64
		now      time.Time
		want     []string // "text | due | urgent"
	}{
		{"open, overdue, a promise broken with nothing since", open, nil,
			[]trustlens.TimelineEvent{update("a", 5, "acknowledgement"), update("u", 10, "update")},
			[]trustlens.Promise{{Due: at(40), MadeAt: at(10), MadeBy: "u", Status: trustlens.PromiseBroken}},
			cadence(at(10), at(70), -300, true, nil), 7, at(75),
			append([]string{"Send an update now: customers have heard nothing for 1 h 5 min since the last update, past the 1 h target for sev1; " +
				"the update of 6 Dec 2026 19:10 UTC on status_page promised one by 6 Dec 2026 19:40 UTC. Say when the next one will come. | now | urgent"}, tail...)},
		{"open, a pending promise before the cadence ends", open, nil,
			[]trustlens.TimelineEvent{update("a", 5, "acknowledgement")},
			[]trustlens.Promise{{Due: at(35), MadeAt: at(5), MadeBy: "a", Status: trustlens.PromisePending}},
			byPromise(at(5), at(35), 900), 7, at(20),
			append([]string{"Send the next update by 6 Dec 2026 19:35 UTC, as the acknowledgement of 6 Dec 2026 19:05 UTC on status_page promised. | by 6 Dec 2026 19:35 UTC"}, tail...)},
		{"open, the promised time passed, within the grace", open, nil,
			[]trustlens.TimelineEvent{update("a", 5, "acknowledgement")},
			[]trustlens.Promise{{Due: at(35), MadeAt: at(5), MadeBy: "a", Status: trustlens.PromisePending}},
			byPromise(at(5), at(35), -180), 7, at(38),
			append([]string{"Send the next update now: the acknowledgement of 6 Dec 2026 19:05 UTC on status_page promised one by 6 Dec 2026 19:35 UTC; the promise breaks 5 min after that. | now | urgent"}, tail...)},
		{"open, a pending promise later than the cadence end", open, nil,
			[]trustlens.TimelineEvent{update("a", 5, "acknowledgement")},
			[]trustlens.Promise{{Due: at(120), MadeAt: at(5), MadeBy: "a", Status: trustlens.PromisePending}},
			cadence(at(5), at(65), 2700, false, ptr(at(120))), 7, at(20),
			append([]string{"Send the next update by 6 Dec 2026 20:05 UTC: the sev1 cadence target is 1 h, and customers have heard nothing for 15 min since the last update. | by 6 Dec 2026 20:05 UTC"}, tail...)},
		{"open, nothing sent yet", open, nil, nil, nil, cadence(det, at(60), 2400, false, nil), 7, at(20),
			append([]string{"Send the next update by 6 Dec 2026 20:00 UTC: the sev1 cadence target is 1 h, and customers have heard nothing for 20 min since the detection. Say when the next one will come. | by 6 Dec 2026 20:00 UTC"}, tail...)},
		{"open, a severity without a cadence target", trustlens.Incident{Severity: "sev9", DetectedAt: det, Habits: map[string]string{}}, nil, nil, nil,
			&trustlens.UpdateDue{LastUpdateAt: det, CadenceDueAt: det, DueAt: det, By: trustlens.DueByCadence, SecondsLeft: -1200, Overdue: true}, 0, at(20),
			[]string{"Send an update now: customers have heard nothing for 20 min since the detection (no cadence target is set for sev9). Say when the next one will come. | now | urgent"}},
		{"one affected customer, offers to others; a one-channel, one-day policy",
			trustlens.Incident{Severity: "sev1", DetectedAt: det, Affected: 1, CompensationOffered: 5, Habits: allPending},
			&trustlens.Policy{MinChannels: 1, CompensationCoverage: 0.5, FollowupCoverage: 1, PostmortemDays: 1, FollowupDays: 1, PromiseGrace: pol.PromiseGrace},
			nil, nil, nil, 0, at(20),
			[]string{
				"Reach customers on at least 1 channel (status page, email, in-app…).",
				"Apologize for the outage and its impact in the next update: no message has yet.",
				"If the failure is yours, say so plainly (“a change we made caused …”): no message has owned it yet. Describing the cause impersonally or blaming a provider does not count.",
				"Offer compensation to the 1 affected customer (50% for sev1); 0 of them offered so far.",
				"Publish a postmortem that states what caused the outage and the concrete steps that stop it recurring within 1 day of the resolution.",
				"Contact the 1 affected customer individually (100%) within 1 day of the resolution; 0 so far.",
			}},
		{"resolved: the postmortem lacks the cause, follow-ups due", resolved, nil,
			[]trustlens.TimelineEvent{update("a", 5, "acknowledgement"), {EventID: "pm", Type: trustlens.TypeCommunicationSent, OccurredAt: at(180),
				Message: &trustlens.Message{Kind: "postmortem", Channel: "email", PreventionSteps: true}}},
			nil, nil, 0, at(300),
			[]string{
				"Publish a postmortem that states what caused the outage and the concrete steps that stop it recurring: the postmortem of 6 Dec 2026 22:00 UTC on email gives prevention steps but not what caused the outage. | by 13 Dec 2026 21:00 UTC",
				"Contact at least 2 of the 4 affected customers individually (50%); 1 so far. | by 13 Dec 2026 21:00 UTC",
			}},
		{"resolved, every habit decided: nothing to do", trustlens.Incident{Severity: "sev2", DetectedAt: det, ResolvedAt: &resolvedAt,
			Habits: map[string]string{trustlens.HabitLearn: trustlens.Met, trustlens.HabitApologize: trustlens.Missed}}, nil, nil, nil, nil, 0, at(300), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pol
			if tt.pol != nil {
				p = *tt.pol
			}
			d := trustlens.IncidentDetail{Incident: tt.inc, Timeline: tt.tl, Promises: tt.promises, Due: tt.due, AffectedOffered: tt.offered}
			var got []string
			for _, s := range nextSteps(d, p, tt.now) {
				line := s.Text
				if s.Due != "" {
					line += " | " + s.Due
				}
				if s.Urgent {
					line += " | urgent"
				}
				got = append(got, line)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
		})
	}
}
