package dashboard

import (
	"fmt"
	"time"

	"github.com/trustlens/trustlens"
)

// promiseRow is one promise of a next update as the incident page lists
// it: its state and, in words, who made it, for when, and what followed.
type promiseRow struct {
	Status string // trustlens.PromiseKept, PromiseBroken or PromisePending
	Made   string // "The acknowledgement of … on status_page promised the next update by …"
	Result string // what followed: "kept: the update of … came on time", …
}

// promiseRows describes d's promises one by one (SPEC §2.1), so that a
// support manager sees which promise was broken and by how much; grace is
// the policy's promise_grace in seconds.
func promiseRows(d trustlens.IncidentDetail, grace int64) []promiseRow {
	rows := make([]promiseRow, 0, len(d.Promises))
	for _, p := range d.Promises {
		r := promiseRow{Status: p.Status, Made: fmt.Sprintf("The %s promised the next update by %s.", madeBy(d, p), fmtDateTime(p.Due))}
		withGrace := fmtDateTime(p.Due.Add(time.Duration(grace) * time.Second))
		switch p.Status {
		case trustlens.PromiseKept:
			if p.LateSeconds == 0 {
				r.Result = fmt.Sprintf("Kept: the next update came at %s, on time.", fmtDateTime(*p.NextUpdateAt))
			} else {
				r.Result = fmt.Sprintf("Kept: the next update came at %s, %s after the promised time, within the %s grace.",
					fmtDateTime(*p.NextUpdateAt), fmtDuration(p.LateSeconds), fmtDuration(grace))
			}
		case trustlens.PromisePending:
			r.Result = fmt.Sprintf("Pending: the next update is due by %s (%s with the %s grace).", fmtDateTime(p.Due), withGrace, fmtDuration(grace))
		default:
			if p.NextUpdateAt != nil {
				r.Result = fmt.Sprintf("Broken: the next update came at %s, %s late.", fmtDateTime(*p.NextUpdateAt), fmtDuration(p.LateSeconds))
			} else {
				r.Result = fmt.Sprintf("Broken: no update has followed it (due by %s with the %s grace).", withGrace, fmtDuration(grace))
			}
		}
		rows = append(rows, r)
	}
	return rows
}
