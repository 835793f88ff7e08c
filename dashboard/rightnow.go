package dashboard

import (
	"fmt"
	"time"

	"github.com/trustlens/trustlens"
)

// rightNow is the overview's line on the open incidents of any date: how
// many, how many are overdue for an update, and which needs one first.
type rightNow struct {
	Open    int
	Overdue int
	First   trustlens.UpdateDue // the most urgent
	Text    string              // after "Right now:"
	Class   string              // "bad" when one is overdue, "warn" past a promised time, else ""
}

// rightNowOf reads due (the open incidents, the most urgent first, as
// UpdatesDue gives them) at now; ok is false when nothing is open.
func rightNowOf(due []trustlens.UpdateDue, now time.Time) (rightNow, bool) {
	if len(due) == 0 {
		return rightNow{}, false
	}
	r := rightNow{Open: len(due), First: due[0]}
	for _, d := range due {
		if d.Overdue {
			r.Overdue++
		}
	}
	open := fmt.Sprintf("%d open incident%s", r.Open, plural(r.Open))
	first := r.First.IncidentID
	if r.First.Title != "" {
		first += " (" + clipTo(r.First.Title, 60) + ")"
	}
	switch {
	case r.Overdue > 0:
		r.Class = "bad"
		r.Text = fmt.Sprintf("%s, %d overdue for an update; %s has been silent for %s.",
			open, r.Overdue, first, fmtDuration(int64(now.Sub(r.First.LastUpdateAt).Seconds())))
	case r.First.SecondsLeft < 0: // a promised time passed, its grace still running
		r.Class = "warn"
		r.Text = fmt.Sprintf("%s, none overdue; %s promised an update %s ago.", open, first, fmtDuration(-r.First.SecondsLeft))
	default:
		r.Text = fmt.Sprintf("%s, none overdue; the next update is due in %s, for %s.", open, fmtDuration(r.First.SecondsLeft), first)
	}
	return r, true
}
