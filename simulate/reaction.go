package simulate

import (
	"math/rand/v2"

	"github.com/trustlens/trustlens"
)

// How affected customers react to an incident in the days of SPEC §2.6's
// attribution window: they open tickets during it, more while it is silent,
// and rate it after its resolution, worse the worse it was handled.

// span is a stretch of an incident, in seconds after its detection, during
// which it was silent (past its cadence target) or not.
type span struct {
	from, to int64
	silent   bool
}

// silenceSpans cuts [0, dur] at the update points pts (seconds after
// detection, ascending) into updated and silent stretches: after each of
// detection and the points, the first target seconds are updated, the rest
// until the next point (or dur) silent. Points outside (0, dur] are
// ignored, as SPEC §2.6 limits the silence to [detected_at, end].
func silenceSpans(pts []int64, dur, target int64) []span {
	var out []span
	prev := int64(0)
	cut := func(next int64) {
		if next <= prev {
			return
		}
		u := min(next, prev+target)
		out = append(out, span{prev, u, false})
		if next > u {
			out = append(out, span{u, next, true})
		}
		prev = next
	}
	for _, p := range pts {
		if p > 0 && p <= dur {
			cut(p)
		}
	}
	cut(dur)
	return out
}

// csatDrop is how much lower than csatBaseline an affected customer's
// survey answer is on average, given the severity and the habits kept.
func csatDropOf(sev severityModel, met [habitCount]bool) float64 {
	d := sev.csatDrop
	if !met[habitSwift] {
		d += csatSlowAck
	}
	if !met[habitProactive] {
		d += csatSilence
	}
	if !met[habitApology] {
		d += csatNoApology
	}
	if !met[habitResponsibility] {
		d += csatNoResponsibility
	}
	return d
}

// csatDraw is a csat 1…5 with mean csatBaseline − drop (0 ≤ drop ≤
// csatBaseline − the mean of angryCSAT): an angry answer with probability
// drop ÷ (csatBaseline − mean of angryCSAT), otherwise a usual one.
func csatDraw(r *rand.Rand, drop float64) int {
	if chance(r, drop/(csatBaseline-weightsMean(angryCSAT))) {
		return 1 + pickWeighted(r, angryCSAT)
	}
	return 1 + pickWeighted(r, baselineCSAT)
}

// weightsMean is the mean of 1…len(w) under the weights w.
func weightsMean(w []float64) float64 {
	var m float64
	for i, x := range w {
		m += float64(i+1) * x
	}
	return m
}

// surveyAnswer is one planned survey answer, for the package's tests.
type surveyAnswer struct {
	cust string
	at   int64
	drop float64 // the configured drop of its mean
}

// react queues the tickets and survey answers of an incident's affected
// customers, drawn from r: tickets as a Poisson process over the incident
// (detected at det, resolved dur seconds later, update points pts after
// det) at ticketsPerCustomerHour per customer, × silentTicketFactor in its
// silences past target; survey answers after the resolution with the mean
// csatBaseline − drop. It returns the silent and updated seconds and the
// planned answers.
func (s *sim) react(r *rand.Rand, id string, det, dur, target int64, pts []int64, affected []*customer, drop float64) (silentS, updatedS int64, answers []surveyAnswer) {
	if len(affected) == 0 {
		return 0, 0, nil
	}
	perSecond := ticketsPerCustomerHour * float64(len(affected)) / 3600
	for _, sp := range silenceSpans(pts, dur, target) {
		rate := perSecond
		if sp.silent {
			rate *= silentTicketFactor
			silentS += sp.to - sp.from
		} else {
			updatedS += sp.to - sp.from
		}
		for t := float64(sp.from) + expSeconds(r, rate); t < float64(sp.to); t += expSeconds(r, rate) {
			c := pick(r, affected)
			w := &wire{Type: trustlens.TypeCustomerTicketOpened, CustomerID: c.id}
			if chance(r, ticketTaggedShare) {
				w.IncidentID = id
			}
			s.guarded(det+int64(t), c, w)
		}
	}
	res := det + dur
	for _, c := range affected {
		if !chance(r, surveyRate) {
			continue
		}
		csat := csatDraw(r, drop)
		sent := sentimentOf(r, csat)
		w := &wire{Type: trustlens.TypeCustomerFeedback, CustomerID: c.id, CSAT: csat, Sentiment: &sent}
		if chance(r, surveyTaggedShare) {
			w.IncidentID = id
		}
		switch {
		case csat >= 4 && chance(r, 0.4):
			w.Comment = pick(r, goodComments)
		case csat <= 2 && chance(r, 0.6):
			w.Comment = pick(r, badComments)
		}
		at := res + hours(uniform(r, surveyMinHours, surveyMaxHours))
		answers = append(answers, surveyAnswer{cust: c.id, at: at, drop: drop})
		s.guarded(at, c, w)
	}
	return silentS, updatedS, answers
}
