package analytics

import (
	"fmt"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestPromisesOf checks each promise of a timeline against SPEC §2.1, by
// hand: t0 is detection; the grace is 5 min; times are minutes after t0.
func TestPromisesOf(t *testing.T) {
	t0 := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	atS := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// comm is a communication sent at when; kind "postmortem" is not an
	// update point; a zero due promises nothing.
	comm := func(id string, when time.Time, kind string, due time.Time) trustlens.TimelineEvent {
		e := trustlens.TimelineEvent{EventID: id, Type: trustlens.TypeCommunicationSent, OccurredAt: when,
			UpdatePoint: kind != "postmortem", Message: &trustlens.Message{Kind: kind, Channel: "status_page"}}
		if !due.IsZero() {
			d := due
			e.Message.NextUpdateAt = &d
		}
		return e
	}
	none := time.Time{}
	ticket := trustlens.TimelineEvent{EventID: "t", Type: trustlens.TypeCustomerTicketOpened, OccurredAt: at(31)}
	const grace = 300
	type want struct {
		due, made time.Time
		by        string
		status    string
		next      time.Time // zero: none
		late      int64
	}
	cases := []struct {
		name string
		tl   []trustlens.TimelineEvent
		now  time.Time
		want []want
	}{
		{"none made", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", none)}, at(60), nil},
		{"kept on time", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), comm("b", at(30), "update", none)}, at(60),
			[]want{{at(35), at(5), "a", "kept", at(30), 0}}},
		{"kept within the grace, 4 min late", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), comm("b", at(39), "update", none)}, at(60),
			[]want{{at(35), at(5), "a", "kept", at(39), 240}}},
		{"kept at due + grace exactly", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), comm("b", at(40), "update", none)}, at(60),
			[]want{{at(35), at(5), "a", "kept", at(40), 300}}},
		{"broken one second past the grace", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), comm("b", atS(40*60+1), "update", none)}, at(60),
			[]want{{at(35), at(5), "a", "broken", atS(40*60 + 1), 301}}},
		{"broken, no update since", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), ticket}, at(41),
			[]want{{at(35), at(5), "a", "broken", none, 0}}},
		{"pending until due + grace", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), ticket}, at(40),
			[]want{{at(35), at(5), "a", "pending", none, 0}}},
		{"a postmortem is not an update point", []trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), comm("p", at(20), "postmortem", none)}, at(90),
			[]want{{at(35), at(5), "a", "broken", none, 0}}},
		{"an update in the same second as the promise does not follow it",
			[]trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(35)), comm("b", at(5), "update", none)}, at(90),
			[]want{{at(35), at(5), "a", "broken", none, 0}}},
		{"a repeated promise counts once, made by the earliest",
			[]trustlens.TimelineEvent{comm("a", at(5), "acknowledgement", at(60)), comm("b", at(30), "update", at(60)), comm("c", at(62), "update", none)}, at(90),
			// b (at 30) follows a's promise and comes before 60 + 5: kept by b
			[]want{{at(60), at(5), "a", "kept", at(30), 0}}},
		{"two promises, one broken, one kept (the demo's shape)",
			[]trustlens.TimelineEvent{
				comm("ack", at(5), "acknowledgement", at(35)),
				comm("u1", at(35), "update", at(65)),
				comm("u2", at(75), "update", none),
				comm("res", at(105), "resolution", none),
			}, at(200),
			[]want{{at(35), at(5), "ack", "kept", at(35), 0}, {at(65), at(35), "u1", "broken", at(75), 600}}},
		{"a promise in the past of its message (due before made) is broken by the next update",
			[]trustlens.TimelineEvent{comm("a", at(20), "update", at(10)), comm("b", at(30), "update", none)}, at(90),
			[]want{{at(10), at(20), "a", "broken", at(30), 1200}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := promisesOf(c.tl, grace, c.now.Unix())
			if len(got) != len(c.want) {
				t.Fatalf("%d promises, want %d: %+v", len(got), len(c.want), got)
			}
			for i, w := range c.want {
				g := got[i]
				next := "none"
				if g.NextUpdateAt != nil {
					next = g.NextUpdateAt.Format(time.RFC3339)
				}
				wnext := "none"
				if !w.next.IsZero() {
					wnext = w.next.Format(time.RFC3339)
				}
				gs := fmt.Sprintf("due %s made %s by %s %s next %s late %d", g.Due.Format(time.RFC3339), g.MadeAt.Format(time.RFC3339), g.MadeBy, g.Status, next, g.LateSeconds)
				ws := fmt.Sprintf("due %s made %s by %s %s next %s late %d", w.due.Format(time.RFC3339), w.made.Format(time.RFC3339), w.by, w.status, wnext, w.late)
				if gs != ws {
					t.Errorf("promise %d:\n got %s\nwant %s", i, gs, ws)
				}
			}
		})
	}
}
