package analytics

import (
	"slices"
	"time"

	"github.com/trustlens/trustlens"
)

// promisesOf lists the promises of a next update in an incident's timeline
// tl (sorted by occurred_at, then event_id, as timeline returns it), one by
// one, by the rule of SPEC §2.1 that promises_made, promises_kept and
// promises_broken count (sql.go's pre: a promise is kept when an update
// point x > made falls at or before due + grace): each distinct
// next_update_at is one promise, made by the earliest communication
// carrying it; now (unix seconds) decides pending against broken. Each
// message of tl that carries a promise gets its PromiseStatus (tl is the
// timeline being built, not yet shared).
func promisesOf(tl []trustlens.TimelineEvent, grace, now int64) []trustlens.Promise {
	var points []int64
	for _, e := range tl {
		if e.UpdatePoint {
			points = append(points, e.OccurredAt.Unix())
		}
	}
	slices.Sort(points)
	points = slices.Compact(points)
	out := []trustlens.Promise{}
	status := map[int64]string{} // by due: the promises made so far
	for _, e := range tl {
		m := e.Message
		if e.Type != trustlens.TypeCommunicationSent || m == nil || m.NextUpdateAt == nil {
			continue
		}
		due, made := m.NextUpdateAt.Unix(), e.OccurredAt.Unix()
		if _, ok := status[due]; ok { // an earlier communication made this promise
			continue
		}
		p := trustlens.Promise{Due: time.Unix(due, 0).UTC(), MadeAt: time.Unix(made, 0).UTC(), MadeBy: e.EventID}
		i, found := slices.BinarySearch(points, made)
		if found {
			i++ // a point at the very instant of the promise does not follow it
		}
		if i < len(points) {
			next := time.Unix(points[i], 0).UTC()
			p.NextUpdateAt = &next
			p.LateSeconds = max(0, points[i]-due)
		}
		switch {
		case p.NextUpdateAt != nil && p.NextUpdateAt.Unix() <= due+grace:
			p.Status = trustlens.PromiseKept
		case now <= due+grace:
			p.Status = trustlens.PromisePending
		default:
			p.Status = trustlens.PromiseBroken
		}
		out = append(out, p)
		status[due] = p.Status
	}
	for _, e := range tl { // each message carrying a promise shows its state
		if m := e.Message; e.Type == trustlens.TypeCommunicationSent && m != nil && m.NextUpdateAt != nil {
			m.PromiseStatus = status[m.NextUpdateAt.Unix()]
		}
	}
	return out
}
