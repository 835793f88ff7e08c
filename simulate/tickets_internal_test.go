package simulate

import (
	"context"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/ingest"
)

// ticketFigures are the figures of SPEC §2.6 computed in Go from the
// events, plus what the effect tests need beside them: the affected
// customer-seconds (the exposure of the ticket rates) and the csat the
// model intended for the feedback counted as affected.
type ticketFigures struct {
	incidents map[string]*incTickets // every complete incident detected in range

	silentT, updatedT int64 // tickets opened while silent / updated
	silentS, updatedS int64 // incident-seconds so
	// the same seconds × the incident's affected customers
	silentCS, updatedCS float64

	affN, baseN     int64 // feedback named or attributed to incidents in range / baseline
	affSum, baseSum float64
	affSq, baseSq   float64 // sums of squares, for the standard errors
	// intended is the sum over the affected feedback of the mean the model
	// gave it: csatBaseline − the drop of its survey, or csatBaseline for a
	// rating unrelated to the incident that fell in its window.
	intended float64
}

type incTickets struct {
	sev      string
	det      int64
	res      int64 // 0: open
	pts      []int64
	affected map[string]bool
	tickets  int64
	csN      int64
	csSum    float64
}

type answerKey struct {
	cust string
	at   int64
}

// computeTicketFigures applies SPEC §2.1 (update points, silence) and §2.6
// (attribution, tickets, csat, cost of silence) to rows, for incidents
// detected in [from, to) at now. answers gives the configured drop of each
// survey answer the simulator planned (nil: none known).
func computeTicketFigures(rows []ingest.Row, from, to, now int64, answers map[answerKey]float64) ticketFigures {
	all := map[string]*incTickets{}
	get := func(id string) *incTickets {
		r := all[id]
		if r == nil {
			r = &incTickets{affected: map[string]bool{}}
			all[id] = r
		}
		return r
	}
	byCust := map[string][]string{} // customer → incidents that affected them
	seenPt := map[string]map[int64]bool{}
	for _, e := range rows {
		ts := e.OccurredAt.Unix()
		switch e.Type {
		case trustlens.TypeIncidentDetected:
			r := get(e.IncidentID)
			if r.sev == "" || ts < r.det {
				r.sev, r.det = e.Severity, ts
			}
		case trustlens.TypeIncidentResolved:
			if r := get(e.IncidentID); r.res == 0 || ts < r.res {
				r.res = ts
			}
		case trustlens.TypeIncidentCustomerAffected:
			r := get(e.IncidentID)
			if !r.affected[e.CustomerID] {
				r.affected[e.CustomerID] = true
				byCust[e.CustomerID] = append(byCust[e.CustomerID], e.IncidentID)
			}
		case trustlens.TypeCommunicationSent:
			if e.Kind == "acknowledgement" || e.Kind == "update" || e.Kind == "resolution" {
				if seenPt[e.IncidentID] == nil {
					seenPt[e.IncidentID] = map[int64]bool{}
				}
				if !seenPt[e.IncidentID][ts] {
					seenPt[e.IncidentID][ts] = true
					get(e.IncidentID).pts = append(get(e.IncidentID).pts, ts)
				}
			}
		}
	}
	for id, r := range all {
		if r.sev == "" {
			delete(all, id) // incomplete
			continue
		}
		sort.Slice(r.pts, func(i, j int) bool { return r.pts[i] < r.pts[j] })
	}
	end := func(r *incTickets) int64 {
		if r.res != 0 {
			return r.res
		}
		return now
	}
	inRange := func(r *incTickets) bool { return r.det >= from && r.det < to }
	f := ticketFigures{incidents: map[string]*incTickets{}}
	for id, r := range all {
		if inRange(r) {
			f.incidents[id] = r
		}
	}
	// Silent and updated seconds of each incident in range.
	policy := trustlens.DefaultPolicy()
	lastPoint := func(r *incTickets, t int64) int64 {
		last := r.det
		for _, x := range r.pts {
			if x >= r.det && x <= t {
				last = x
			}
		}
		return last
	}
	for _, r := range f.incidents {
		target, ok := policy.CadenceTarget[r.sev]
		if !ok {
			continue
		}
		cad, e := int64(target.Seconds()), end(r)
		prev, silent := r.det, int64(0)
		for _, x := range append(append([]int64(nil), r.pts...), e) {
			if x < r.det || x > e {
				continue
			}
			silent += max(0, x-prev-cad)
			prev = x
		}
		f.silentS += silent
		f.updatedS += e - r.det - silent
		n := float64(len(r.affected))
		f.silentCS += float64(silent) * n
		f.updatedCS += float64(e-r.det-silent) * n
	}
	// Tickets and feedback, named or attributed.
	for _, e := range rows {
		isT := e.Type == trustlens.TypeCustomerTicketOpened
		if !isT && (e.Type != trustlens.TypeCustomerFeedback || e.CSAT == nil) {
			continue
		}
		ts := e.OccurredAt.Unix()
		var counts []*incTickets // every incident it counts for
		if e.IncidentID != "" {
			if r := all[e.IncidentID]; r != nil {
				counts = append(counts, r)
			}
		} else {
			for _, id := range byCust[e.CustomerID] {
				if r := all[id]; r != nil && ts >= r.det && ts <= end(r)+24*3600 {
					counts = append(counts, r)
				}
			}
		}
		if isT {
			for _, r := range counts {
				if !inRange(r) {
					continue
				}
				r.tickets++
				target, ok := policy.CadenceTarget[r.sev]
				if !ok || ts < r.det || ts > end(r) {
					continue
				}
				if ts-lastPoint(r, ts) > int64(target.Seconds()) {
					f.silentT++
				} else {
					f.updatedT++
				}
			}
			continue
		}
		cs := float64(*e.CSAT)
		affected := false
		for _, r := range counts {
			if inRange(r) {
				r.csN++
				r.csSum += cs
				affected = true
			}
		}
		switch {
		case affected:
			f.affN++
			f.affSum += cs
			f.affSq += cs * cs
			f.intended += csatBaseline - answers[answerKey{e.CustomerID, ts}]
		case e.IncidentID == "" && len(counts) == 0 && ts >= from && ts < to:
			f.baseN++
			f.baseSum += cs
			f.baseSq += cs * cs
		}
	}
	return f
}

func (f ticketFigures) perHourSilent() float64 {
	return float64(f.silentT) / (float64(f.silentS) / 3600)
}
func (f ticketFigures) perHourUpdated() float64 {
	return float64(f.updatedT) / (float64(f.updatedS) / 3600)
}

// perCustomerHour are the ticket rates per affected customer-hour, silent
// and updated: the rates the model draws tickets at.
func (f ticketFigures) perCustomerHour() (silent, updated float64) {
	return float64(f.silentT) / (f.silentCS / 3600), float64(f.updatedT) / (f.updatedCS / 3600)
}

func (f ticketFigures) csatAffected() float64 { return f.affSum / float64(f.affN) }
func (f ticketFigures) csatBaseline() float64 { return f.baseSum / float64(f.baseN) }

// csatSE is the standard error of baseline − affected mean csat.
func (f ticketFigures) csatSE() float64 {
	v := func(sum, sq float64, n int64) float64 {
		m := sum / float64(n)
		return (sq/float64(n) - m*m) / float64(n)
	}
	return math.Sqrt(v(f.affSum, f.affSq, f.affN) + v(f.baseSum, f.baseSq, f.baseN))
}

// add pools g into f (for several histories).
func (f *ticketFigures) add(g ticketFigures) {
	f.silentT += g.silentT
	f.updatedT += g.updatedT
	f.silentS += g.silentS
	f.updatedS += g.updatedS
	f.silentCS += g.silentCS
	f.updatedCS += g.updatedCS
	f.affN += g.affN
	f.baseN += g.baseN
	f.affSum += g.affSum
	f.baseSum += g.baseSum
	f.affSq += g.affSq
	f.baseSq += g.baseSq
	f.intended += g.intended
}

// simulated runs a history of cfg into a rowSink and returns its rows with
// the survey answers the simulator planned.
func simulated(t *testing.T, cfg Config) ([]ingest.Row, map[answerKey]float64, Stats) {
	t.Helper()
	sink := &rowSink{t: t, now: cfg.Now()}
	s, err := newSim(cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	answers := map[answerKey]float64{}
	s.trace = func(tr incidentTrace) {
		for _, a := range tr.answers {
			answers[answerKey{a.cust, a.at}] = a.drop
		}
	}
	st, err := s.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return sink.rows, answers, st
}

// TestTicketAndCSATEffects generates four half-year histories (seeds 1–4,
// 2000 customers), computes SPEC §2.6's figures from their events and
// checks that they recover the effect sizes of model.go. The figures are
// pooled over the four histories so that the tolerances are several
// standard errors wide (the standard errors are logged); the histories are
// seeded, so the test gives the same figures every run.
//
// The tickets: §2.6's tickets_per_hour_silent and _updated divide by
// incident-hours, so they also weigh how many customers each incident hit
// (the long silences are mostly in sev1 and sev2 incidents, which hit the
// most customers). Divided by affected customer-hours instead, they are the
// rates the model draws: ticketsPerCustomerHour while updated, ×
// silentTicketFactor while silent. Beside them the windows also collect
// the unprompted tickets of the affected customers (activityPerMonth ×
// (1 − feedbackShare) ≈ 0.0004 an hour, half a percent of the updated
// rate) and tickets of another incident hitting the same customer at the
// same time, so both rates are a little above the configured ones.
//
// The csat: the baseline mean is csatBaseline, and the affected mean is
// below it by the average configured drop of the answers counted (a rating
// unrelated to the incident that falls in its window has no drop).
func TestTicketAndCSATEffects(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	const halfYear = 180 * 24 * time.Hour
	var pooled ticketFigures
	for seed := int64(1); seed <= 4; seed++ {
		rows, answers, _ := simulated(t, Config{Seed: seed, History: halfYear, Now: func() time.Time { return now }})
		f := computeTicketFigures(rows, now.Add(-halfYear).Unix(), now.Unix(), now.Unix(), answers)
		sil, upd := f.perCustomerHour()
		t.Logf("seed %d: %d silent tickets in %.1f h (%.0f customer-h), %d updated in %.1f h (%.0f customer-h): per hour %.1f vs %.1f, per customer-hour %.4f vs %.4f (×%.2f); csat affected %.2f (%d) vs baseline %.2f (%d)",
			seed, f.silentT, float64(f.silentS)/3600, f.silentCS/3600, f.updatedT, float64(f.updatedS)/3600, f.updatedCS/3600,
			f.perHourSilent(), f.perHourUpdated(), sil, upd, sil/upd, f.csatAffected(), f.affN, f.csatBaseline(), f.baseN)
		pooled.add(f)
	}

	t.Run("tickets", func(t *testing.T) {
		sil, upd := pooled.perCustomerHour()
		ratio := sil / upd
		// relative standard error of the ratio of two Poisson counts over
		// known exposures
		se := math.Sqrt(1/float64(pooled.silentT) + 1/float64(pooled.updatedT))
		t.Logf("per affected customer-hour: silent %.4f (%d tickets), updated %.4f (%d tickets), ratio %.3f (configured %.1f, relative standard error %.1f %%)",
			sil, pooled.silentT, upd, pooled.updatedT, ratio, silentTicketFactor, 100*se)
		if math.Abs(ratio/silentTicketFactor-1) > 0.15 {
			t.Errorf("silent/updated tickets per customer-hour %.3f, want %.1f ± 15 %%", ratio, silentTicketFactor)
		}
		if math.Abs(upd/ticketsPerCustomerHour-1) > 0.08 {
			t.Errorf("updated tickets per customer-hour %.4f, want %.2f ± 8 %%", upd, ticketsPerCustomerHour)
		}
		if pooled.perHourSilent() <= pooled.perHourUpdated() {
			t.Errorf("tickets_per_hour_silent %.1f not above tickets_per_hour_updated %.1f", pooled.perHourSilent(), pooled.perHourUpdated())
		}
	})

	t.Run("csat", func(t *testing.T) {
		base, aff := pooled.csatBaseline(), pooled.csatAffected()
		want := csatBaseline - pooled.intended/float64(pooled.affN)
		t.Logf("csat baseline %.3f (%d ratings; configured %.1f), affected %.3f (%d ratings): drop %.3f, configured for these ratings %.3f (standard error %.3f)",
			base, pooled.baseN, csatBaseline, aff, pooled.affN, base-aff, want, pooled.csatSE())
		if math.Abs(base-csatBaseline) > 0.05 {
			t.Errorf("csat_baseline_avg %.3f, want %.1f ± 0.05", base, csatBaseline)
		}
		if math.Abs((base-aff)-want) > 0.1 {
			t.Errorf("csat drop %.3f, want %.3f ± 0.1", base-aff, want)
		}
	})
}
