package dashboard

import "github.com/trustlens/trustlens"

// messageFlags are the flags of a communication, in the order the pages
// show them, with their JSON names (the classifier's evidence keys).
var messageFlags = []struct {
	key, label string
	on         func(m *trustlens.Message) bool
}{
	{"apology", "apology", func(m *trustlens.Message) bool { return m.Apology }},
	{"takes_responsibility", "owns the failure", func(m *trustlens.Message) bool { return m.TakesResponsibility }},
	{"root_cause", "root cause", func(m *trustlens.Message) bool { return m.RootCause }},
	{"prevention_steps", "prevention steps", func(m *trustlens.Message) bool { return m.PreventionSteps }},
	{"next_update_at", "next update promised", func(m *trustlens.Message) bool { return m.NextUpdateAt != nil }},
}

// explain gives every communication of d's timeline the evidence for its
// stored flags: the words of its body that the classifier (SPEC §7) finds
// decided each. A flag the producer set that the words do not show gets no
// evidence, and a flag the words show that the producer did not set is not
// added (a producer's explicit flags win). It writes a new timeline and
// new messages: the store's answer may be shared by other requests.
// Without a classifier it changes nothing.
func (s *Server) explain(d *trustlens.IncidentDetail) {
	if s.cfg.Classify == nil {
		return
	}
	tl := append([]trustlens.TimelineEvent{}, d.Timeline...)
	for i := range tl {
		m := tl[i].Message
		if m == nil || m.Body == "" {
			continue
		}
		c := s.cfg.Classify(m.Body, tl[i].OccurredAt)
		ev := map[string]string{}
		for _, f := range messageFlags {
			if w := c.Evidence[f.key]; w != "" && f.on(m) {
				ev[f.key] = w
			}
		}
		if len(ev) > 0 {
			cp := *m
			cp.Evidence = ev
			tl[i].Message = &cp
		}
	}
	d.Timeline = tl
}

// messageChip is a flag of a communication as the timeline shows it.
type messageChip struct {
	Label, Why string
}

// messageChips lists m's true flags with their evidence (the next update's
// promised time in its label).
func messageChips(m *trustlens.Message) []messageChip {
	var out []messageChip
	for _, f := range messageFlags {
		if !f.on(m) {
			continue
		}
		c := messageChip{Label: f.label, Why: m.Evidence[f.key]}
		if f.key == "next_update_at" {
			c.Label += " by " + fmtDateTime(*m.NextUpdateAt)
		}
		out = append(out, c)
	}
	return out
}
