package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestPromiseRows checks the words the incident page gives each promise.
func TestPromiseRows(t *testing.T) {
	t0 := time.Date(2026, 12, 6, 19, 10, 0, 0, time.UTC)
	at := func(min int) *time.Time { v := t0.Add(time.Duration(min) * time.Minute); return &v }
	ack := trustlens.TimelineEvent{EventID: "ack", Type: trustlens.TypeCommunicationSent, OccurredAt: t0,
		Message: &trustlens.Message{Kind: "acknowledgement", Channel: "status_page"}}
	const made = "The acknowledgement of 6 Dec 2026 19:10 UTC on status_page promised the next update by 6 Dec 2026 19:40 UTC. "
	cases := []struct {
		name string
		p    trustlens.Promise
		want string
	}{
		{"kept on time", trustlens.Promise{Status: trustlens.PromiseKept, NextUpdateAt: at(30)},
			made + "Kept: the next update came at 6 Dec 2026 19:40 UTC, on time."},
		{"kept within the grace", trustlens.Promise{Status: trustlens.PromiseKept, NextUpdateAt: at(33), LateSeconds: 180},
			made + "Kept: the next update came at 6 Dec 2026 19:43 UTC, 3 min after the promised time, within the 5 min grace."},
		{"pending", trustlens.Promise{Status: trustlens.PromisePending},
			made + "Pending: the next update is due by 6 Dec 2026 19:40 UTC (6 Dec 2026 19:45 UTC with the 5 min grace)."},
		{"broken, late", trustlens.Promise{Status: trustlens.PromiseBroken, NextUpdateAt: at(70), LateSeconds: 2400},
			made + "Broken: the next update came at 6 Dec 2026 20:20 UTC, 40 min late."},
		{"broken, none since", trustlens.Promise{Status: trustlens.PromiseBroken},
			made + "Broken: no update has followed it (due by 6 Dec 2026 19:45 UTC with the 5 min grace)."},
		{"made by a message not in the timeline", trustlens.Promise{MadeBy: "gone", Status: trustlens.PromisePending},
			"The message of 6 Dec 2026 19:10 UTC promised the next update by 6 Dec 2026 19:40 UTC. " +
				"Pending: the next update is due by 6 Dec 2026 19:40 UTC (6 Dec 2026 19:45 UTC with the 5 min grace)."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := c.p
			p.Due, p.MadeAt = *at(30), t0
			if p.MadeBy == "" {
				p.MadeBy = "ack"
			}
			d := trustlens.IncidentDetail{Timeline: []trustlens.TimelineEvent{ack}, Promises: []trustlens.Promise{p}}
			rows := promiseRows(d, 300)
			if len(rows) != 1 {
				t.Fatalf("%d rows, want 1", len(rows))
			}
			if got := rows[0].Made + " " + rows[0].Result; got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			eqv(t, "status", rows[0].Status, c.p.Status)
		})
	}
}

// TestIncidentPromisesPage checks that the incident page lists the
// promises with their state and marks each promise on its message's chip.
func TestIncidentPromisesPage(t *testing.T) {
	due := time.Date(2026, 11, 3, 14, 35, 0, 0, time.UTC)
	fake := newAPIFake()
	d := fake.details["inc-1"]
	tl := append([]trustlens.TimelineEvent{}, d.Timeline...)
	tl[1].Message = &trustlens.Message{Kind: "acknowledgement", Channel: "status_page", Body: "Next update in 30 minutes.",
		NextUpdateAt: &due, PromiseStatus: trustlens.PromiseBroken}
	d.Timeline = tl
	fake.details["inc-1"] = d
	s := newAPIServer(t, fake, nil)
	rec := apiDo(t, s, http.MethodGet, "/incidents/inc-1", nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	page := rec.Body.String()
	for _, want := range []string{
		`<span class="chip chip-broken">next update promised by 3 Nov 2026 14:35 UTC · broken</span>`,
		`<h2>Promises of the next update</h2>`,
		`<li class="promise promise-broken"><span class="badge badge-broken">broken</span><span class="promise-text">` +
			`The acknowledgement of 3 Nov 2026 14:05 UTC on status_page promised the next update by 3 Nov 2026 14:35 UTC. ` +
			`Broken: no update has followed it (due by 3 Nov 2026 14:40 UTC with the 5 min grace).</span></li>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}

	d.Promises = nil
	fake.details["inc-1"] = d
	page = apiDo(t, s, http.MethodGet, "/incidents/inc-1", nil).Body.String()
	if !strings.Contains(page, "No update said when the next one would come.") || strings.Contains(page, `class="promise `) {
		t.Errorf("page without promises: want the note that none was made and no list")
	}
}
