package dashboard

import (
	"fmt"

	"github.com/trustlens/trustlens"
)

// dueRow is an open incident, not yet overdue, as the audit lists it under
// "Next updates due": when its customers next expect to hear, and why.
type dueRow struct {
	trustlens.UpdateDue
	When string // "in 15 min", or "4 min ago" once a promised time has passed
	Late bool   // the promised time has passed (the grace still runs)
	Why  string // "the time an update promised", "the sev2 cadence target of 2 h"
}

// dueRows keeps the incidents of list (the most urgent first) that are not
// overdue (the overdue ones have their own table), at most n of them, and
// says how many more there are.
func dueRows(list []trustlens.UpdateDue, p trustlens.Policy, n int) ([]dueRow, int) {
	var rows []dueRow
	more := 0
	for _, d := range list {
		if d.Overdue {
			continue
		}
		if len(rows) == n {
			more++
			continue
		}
		r := dueRow{UpdateDue: d}
		if d.SecondsLeft >= 0 {
			r.When = "in " + fmtDuration(d.SecondsLeft)
		} else {
			r.When, r.Late = fmtDuration(-d.SecondsLeft)+" ago", true
		}
		if d.By == trustlens.DueByPromise {
			r.Why = "the time an update promised"
			if r.Late {
				r.Why += fmt.Sprintf(" (the promise breaks %s after it)", fmtDuration(p.PromiseGrace.Seconds()))
			}
		} else if d.TargetSeconds > 0 {
			r.Why = fmt.Sprintf("the %s cadence target of %s", d.Severity, fmtDuration(d.TargetSeconds))
		} else {
			r.Why = "no cadence target is set for " + d.Severity
		}
		rows = append(rows, r)
	}
	return rows, more
}
