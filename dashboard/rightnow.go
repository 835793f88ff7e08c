package dashboard

import (
	"fmt"
	"time"

	"github.com/trustlens/trustlens"
)

// rightNow is the overview's line on the open incidents of any date: how
// many, how many are overdue for an update, and which needs one first.
type rightNow struct {
	Text  string // after "Right now:"
	Class string // "bad" when one is overdue, "warn" past a promised time, else ""
}

// rightNowOf reads due (the open incidents, the most urgent first, as
// UpdatesDue gives them) at now; ok is false when nothing is open.
func rightNowOf(due []trustlens.UpdateDue, now time.Time) (rightNow, bool) {
	if len(due) == 0 {
		return rightNow{}, false
	}
	overdue := 0
	for _, d := range due {
		if d.Overdue {
			overdue++
		}
	}
	var r rightNow
	open := fmt.Sprintf("%d open incident%s", len(due), plural(len(due)))
	first := due[0]
	name := first.IncidentID
	if first.Title != "" {
		name += " (" + clipTo(first.Title, 60) + ")"
	}
	switch {
	case overdue > 0:
		r.Class = "bad"
		r.Text = fmt.Sprintf("%s, %d overdue for an update; %s has been silent for %s.",
			open, overdue, name, fmtDuration(int64(now.Sub(first.LastUpdateAt).Seconds())))
	case first.SecondsLeft < 0: // a promised time passed, its grace still running
		r.Class = "warn"
		r.Text = fmt.Sprintf("%s, none overdue; %s promised an update %s ago.", open, name, fmtDuration(-first.SecondsLeft))
	default:
		r.Text = fmt.Sprintf("%s, none overdue; the next update is due in %s, for %s.", open, fmtDuration(first.SecondsLeft), name)
	}
	return r, true
}
