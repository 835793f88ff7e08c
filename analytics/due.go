package analytics

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/trustlens/trustlens"
)

// updatesDue lists every open complete incident (of any date) with when its
// customers next expect to hear: the earliest pending promise of a next
// update, or the end of its cadence target, whichever comes first; the
// most urgent first (earliest due, then incident_id). It reads only the
// snapshot.
func (s *Store) updatesDue(ctx context.Context) ([]trustlens.UpdateDue, error) {
	snap, err := s.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("analytics: updates due: %w", err)
	}
	now := s.nowOf(ctx)
	out := []trustlens.UpdateDue{}
	for _, r := range snap.rows {
		if r.isRes {
			continue
		}
		out = append(out, dueOf(&s.policy, r, now))
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].DueAt.Equal(out[j].DueAt) {
			return out[i].DueAt.Before(out[j].DueAt)
		}
		return out[i].IncidentID < out[j].IncidentID
	})
	return out, nil
}

// dueOf is the next update due of open incident r at now (r.unkept holds
// due + grace of each promise not kept: pending while now is not past it,
// as figuresAt counts them).
func dueOf(p *trustlens.Policy, r *preRow, now int64) trustlens.UpdateDue {
	grace := p.PromiseGrace.Seconds()
	cadenceDue := r.lastN + r.cadence
	d := trustlens.UpdateDue{
		IncidentID:    r.id,
		Title:         r.title,
		Severity:      r.sev,
		DetectedAt:    time.Unix(r.det, 0).UTC(),
		LastUpdateAt:  time.Unix(r.lastN, 0).UTC(),
		CadenceDueAt:  time.Unix(cadenceDue, 0).UTC(),
		TargetSeconds: r.cadence,
		Overdue:       r.overdueAt(now),
	}
	promised, has := int64(0), false
	for _, u := range r.unkept {
		if now <= u && (!has || u-grace < promised) {
			promised, has = u-grace, true
		}
	}
	due := cadenceDue
	d.By = trustlens.DueByCadence
	if has {
		t := time.Unix(promised, 0).UTC()
		d.PromisedAt = &t
		if promised <= cadenceDue {
			due, d.By = promised, trustlens.DueByPromise
		}
	}
	d.DueAt = time.Unix(due, 0).UTC()
	d.SecondsLeft = due - now
	return d
}
