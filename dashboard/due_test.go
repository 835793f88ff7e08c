package dashboard

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestDueRows checks which open incidents the audit lists under "Next
// updates due" and the words it gives each.
func TestDueRows(t *testing.T) {
	pol := trustlens.DefaultPolicy()
	due := func(id, sev, by string, left int64, overdue bool) trustlens.UpdateDue {
		return trustlens.UpdateDue{IncidentID: id, Severity: sev, By: by, SecondsLeft: left, Overdue: overdue,
			TargetSeconds: pol.CadenceTarget[sev].Seconds()}
	}
	list := []trustlens.UpdateDue{
		due("o1", "sev1", trustlens.DueByCadence, -600, true), // overdue: its own table
		due("p1", "sev2", trustlens.DueByPromise, -240, false),
		due("p2", "sev1", trustlens.DueByPromise, 900, false),
		due("c1", "sev3", trustlens.DueByCadence, 3600, false),
		due("c2", "sev4", trustlens.DueByCadence, 7200, false),
	}
	tests := []struct {
		n    int
		want string
		more int
	}{
		{10, "p1 4 min ago late: the time an update promised (the promise breaks 5 min after it) | " +
			"p2 in 15 min: the time an update promised | " +
			"c1 in 1 h: the sev3 cadence target of 4 h | " +
			"c2 in 2 h: the sev4 cadence target of 8 h", 0},
		{2, "p1 4 min ago late: the time an update promised (the promise breaks 5 min after it) | p2 in 15 min: the time an update promised", 2},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n), func(t *testing.T) {
			rows, more := dueRows(list, pol, tt.n)
			var parts []string
			for _, r := range rows {
				s := r.IncidentID + " " + r.When
				if r.Late {
					s += " late"
				}
				parts = append(parts, s+": "+r.Why)
			}
			eqv(t, "rows", strings.Join(parts, " | "), tt.want)
			eqv(t, "more", more, tt.more)
		})
	}
}

// TestAuditDue checks the "Next updates due" table of the audit page.
func TestAuditDue(t *testing.T) {
	fake := newPageFake()
	fake.due = []trustlens.UpdateDue{
		{IncidentID: "INC-9", Title: "Logins slow", Severity: "sev2", LastUpdateAt: time.Date(2026, 11, 20, 11, 50, 0, 0, time.UTC),
			DueAt: time.Date(2026, 11, 20, 12, 20, 0, 0, time.UTC), By: trustlens.DueByPromise, SecondsLeft: 1200},
		{IncidentID: "INC-8", Severity: "sev1", Overdue: true, By: trustlens.DueByCadence, SecondsLeft: -60},
	}
	status, body, _ := getPage(t, fake, "/audit")
	if status != http.StatusOK {
		t.Fatalf("status %d", status)
	}
	for _, want := range []string{
		`Next updates due <span class="count count-plain" id="due-count">1</span>`,
		`<td class="nowrap">20 Nov 2026 11:50 UTC</td>`,
		`<td class="nowrap">20 Nov 2026 12:20 UTC</td>`,
		`<td class="num">in 20 min</td>`,
		`<td>the time an update promised</td>`,
		`href="/api/v1/cadence/due?format=csv"`,
	} {
		if !contains(body, want) {
			t.Errorf("audit lacks %q", want)
		}
	}
	if strings.Contains(body, ">INC-8<") {
		t.Errorf("an overdue incident is listed as due; it belongs to the overdue table")
	}

	fake.due = nil
	_, body, _ = getPage(t, fake, "/audit")
	if !contains(body, `<p class="muted" id="due-none">No other open incident.</p>`) || !contains(body, `<div class="table-wrap hidden" id="due-wrap">`) {
		t.Errorf("audit without open incidents lacks its note")
	}
}
