package dashboard

import "strings"

// overviewChanges is the overview's one-line answer to "what changed since
// the previous period?": the tiles that moved for the better and for the
// worse.
type overviewChanges struct {
	PrevLabel     string
	Better, Worse string // tile labels with their change, joined
	Unchanged     int
	Compared      bool // some tile has an earlier figure
}

func changesOf(kpis []kpi, prevLabel string) overviewChanges {
	c := overviewChanges{PrevLabel: prevLabel}
	var better, worse []string
	for _, k := range kpis {
		if k.Delta == "" || k.Trend == "neutral" { // a count that is nobody's doing is no "change"
			continue
		}
		c.Compared = true
		move := k.Label + " " + strings.TrimSuffix(k.Delta, " vs "+prevLabel)
		switch k.Trend {
		case "good":
			better = append(better, move)
		case "bad":
			worse = append(worse, move)
		case "flat":
			c.Unchanged++
		}
	}
	c.Better, c.Worse = strings.Join(better, "; "), strings.Join(worse, "; ")
	return c
}
