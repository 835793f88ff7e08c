package dashboard

import (
	"fmt"

	"github.com/trustlens/trustlens"
)

// messageFlags are the flags of a communication, in the order the pages
// show them, with their JSON names (the classifier's evidence keys).
var messageFlags = []struct {
	key, label string
	on         func(m *trustlens.Message) bool
}{
	{trustlens.EvidenceApology, "apology", func(m *trustlens.Message) bool { return m.Apology }},
	{trustlens.EvidenceTakesResponsibility, "owns the failure", func(m *trustlens.Message) bool { return m.TakesResponsibility }},
	{trustlens.EvidenceRootCause, "root cause", func(m *trustlens.Message) bool { return m.RootCause }},
	{trustlens.EvidencePreventionSteps, "prevention steps", func(m *trustlens.Message) bool { return m.PreventionSteps }},
	{trustlens.EvidenceNextUpdateAt, "next update promised", func(m *trustlens.Message) bool { return m.NextUpdateAt != nil }},
}

// explain gives every communication of d's timeline the evidence for its
// stored flags: the words of its body that the classifier (SPEC §7) finds
// decided each. A flag the producer set that the words do not show gets no
// evidence, and a flag the words show that the producer did not set is not
// added (a producer's explicit flags win), so a message with no flag set
// is not classified at all. It never writes to d's timeline or messages
// (the store's answer may be shared by other requests): it gives d a new
// timeline when a message gets evidence. Without a classifier it changes
// nothing.
func (s *Server) explain(d *trustlens.IncidentDetail) {
	if s.cfg.Classify == nil {
		return
	}
	copied := false
	for i, e := range d.Timeline {
		m := e.Message
		if m == nil || m.Body == "" || !anyFlag(m) {
			continue
		}
		c := s.cfg.Classify(m.Body, e.OccurredAt)
		ev := map[string]string{}
		for _, f := range messageFlags {
			if w := c.Evidence[f.key]; w != "" && f.on(m) {
				ev[f.key] = w
			}
		}
		if len(ev) == 0 {
			continue
		}
		if !copied {
			d.Timeline = append([]trustlens.TimelineEvent{}, d.Timeline...)
			copied = true
		}
		cp := *m
		cp.Evidence = ev
		d.Timeline[i].Message = &cp
	}
}

// anyFlag reports whether m has a flag set.
func anyFlag(m *trustlens.Message) bool {
	for _, f := range messageFlags {
		if f.on(m) {
			return true
		}
	}
	return false
}

// messageChip is a flag of a communication as the timeline shows it;
// Class is "chip-kept", "chip-broken" or "chip-pending" on a promise of a
// next update.
type messageChip struct {
	Label, Why, Class string
}

// messageChips lists m's true flags with their evidence (the next update's
// promised time and whether that promise was kept in its label).
func messageChips(m *trustlens.Message) []messageChip {
	var out []messageChip
	for _, f := range messageFlags {
		if !f.on(m) {
			continue
		}
		c := messageChip{Label: f.label, Why: m.Evidence[f.key]}
		if f.key == trustlens.EvidenceNextUpdateAt {
			c.Label += " by " + fmtDateTime(*m.NextUpdateAt)
			if m.PromiseStatus != "" {
				c.Label += " · " + m.PromiseStatus
				c.Class = "chip-" + m.PromiseStatus
			}
		}
		out = append(out, c)
	}
	return out
}

// evidenceRunes bounds the words the scorecard quotes.
const evidenceRunes = 160

// saidBy names the first communication of tl that has flag key: its kind,
// time and, when the classifier shows them, the words that decided it —
// what the scorecard gives as the reason a habit was met. "" when none
// has the flag.
func saidBy(tl []trustlens.TimelineEvent, key string) string {
	for _, e := range tl {
		m := e.Message
		if m == nil || !flagOn(m, key) {
			continue
		}
		what := messageName(e)
		if w := m.Evidence[key]; w != "" {
			return fmt.Sprintf("%s: “%s”", what, clipTo(w, evidenceRunes))
		}
		return what
	}
	return ""
}

// postmortemGap says what the incident's latest postmortem lacks for the
// `learn` habit (a root cause and prevention steps, SPEC §2.2), so that a
// support manager knows what to add; "" when there is no postmortem.
func postmortemGap(tl []trustlens.TimelineEvent) string {
	var last *trustlens.TimelineEvent
	for i := range tl {
		if m := tl[i].Message; m != nil && m.Kind == "postmortem" {
			last = &tl[i]
		}
	}
	if last == nil {
		return ""
	}
	m := last.Message
	var lacks string
	switch {
	case !m.RootCause && !m.PreventionSteps:
		lacks = "states neither what caused the outage nor the steps that stop it recurring"
	case !m.RootCause:
		lacks = "gives prevention steps but not what caused the outage"
	case !m.PreventionSteps:
		lacks = "gives the root cause but no concrete steps against a repeat (tests, alerts, staged roll-outs, process changes)"
	default:
		return ""
	}
	return "the " + messageName(*last) + " " + lacks
}

func flagOn(m *trustlens.Message, key string) bool {
	for _, f := range messageFlags {
		if f.key == key {
			return f.on(m)
		}
	}
	return false
}

// messageName is "the update of 6 Dec 2026 17:15 UTC on status_page".
func messageName(e trustlens.TimelineEvent) string {
	kind := "message"
	if e.Message != nil && e.Message.Kind != "" {
		kind = e.Message.Kind
	}
	s := kind + " of " + fmtDateTime(e.OccurredAt)
	if e.Message != nil && e.Message.Channel != "" {
		s += " on " + e.Message.Channel
	}
	return s
}
