package dashboard

import (
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestRightNow checks the overview's line on the open incidents.
func TestRightNow(t *testing.T) {
	now := time.Date(2026, 12, 6, 21, 0, 0, 0, time.UTC)
	overdue := trustlens.UpdateDue{IncidentID: "inc-1", Title: "Checkout down", LastUpdateAt: now.Add(-70 * time.Minute), Overdue: true, SecondsLeft: -600}
	promised := trustlens.UpdateDue{IncidentID: "inc-2", SecondsLeft: -120}
	soon := trustlens.UpdateDue{IncidentID: "inc-3", Title: "Search slow", SecondsLeft: 19 * 60}
	tests := []struct {
		name  string
		due   []trustlens.UpdateDue
		want  string
		class string
	}{
		{"none open", nil, "", ""},
		{"one overdue first", []trustlens.UpdateDue{overdue, promised, soon},
			"3 open incidents, 1 overdue for an update; inc-1 (Checkout down) has been silent for 1 h 10 min.", "bad"},
		{"a promised time passed", []trustlens.UpdateDue{promised, soon},
			"2 open incidents, none overdue; inc-2 promised an update 2 min ago.", "warn"},
		{"one due soon", []trustlens.UpdateDue{soon},
			"1 open incident, none overdue; the next update is due in 19 min, for inc-3 (Search slow).", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, ok := rightNowOf(tt.due, now)
			if ok != (tt.want != "") {
				t.Fatalf("ok = %v for %d open", ok, len(tt.due))
			}
			eqv(t, "text", r.Text, tt.want)
			eqv(t, "class", r.Class, tt.class)
		})
	}

	fake := newPageFake()
	fake.due = []trustlens.UpdateDue{soon}
	_, body, _ := getPage(t, fake, "/")
	if want := `<p class="right-now" id="right-now"><b>Right now:</b> 1 open incident, none overdue; the next update is due in 19 min, for inc-3 (Search slow). <a href="/audit">`; !strings.Contains(body, want) {
		t.Errorf("overview lacks %s", want)
	}
	fake.due = nil
	if _, body, _ = getPage(t, fake, "/"); strings.Contains(body, `id="right-now"`) {
		t.Errorf("overview shows the right-now line with nothing open")
	}
}
