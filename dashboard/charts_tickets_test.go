package dashboard

import (
	"encoding/json"
	"html"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestSplitTickets splits tickets as SPEC §2.6's cost of silence does.
func TestSplitTickets(t *testing.T) {
	d := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	m := func(min int) time.Time { return d.Add(time.Duration(min) * time.Minute) }
	// detected 0, updates at 17 and 112 min, resolved at 180 min
	gaps := []gapRow{{From: m(0), To: m(17)}, {From: m(17), To: m(112)}, {From: m(112), To: m(180)}}
	for _, tc := range []struct {
		name   string
		times  []time.Time
		target int64
		want   ticketSplit
	}{
		// 1 h target: silent when more than 60 min after the last point
		// (0, 17 or 112): 78 (61 after 17) and 180 (68 after 112) are;
		// 77 (60 after 17: not more), 112 (at the update) are not; −5 and
		// 181 are outside [detected, resolved].
		{"1 h", []time.Time{m(-5), m(10), m(77), m(78), m(112), m(180), m(181)}, 3600, ticketSplit{Silent: 2, Updated: 3, Outside: 2}},
		// 2 h target: nothing is silent
		{"2 h", []time.Time{m(78), m(180)}, 7200, ticketSplit{Updated: 2}},
		// unknown severity: counted nowhere, as in the analytics
		{"no target", []time.Time{m(78)}, 0, ticketSplit{Outside: 1}},
		{"none", nil, 3600, ticketSplit{}},
	} {
		if got := splitTickets(tc.times, gaps, tc.target); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	if got, want := silentSpans(gaps, 3600), []silentSpan{{m(77), m(112)}, {m(172), m(180)}}; !reflect.DeepEqual(got, want) {
		t.Errorf("silent spans %v, want %v", got, want)
	}
}

// TestTicketsChart reads the figures of the incident page's chart: the
// steps of tickets so far, the update points on them and the shaded
// silence, in hours since detection.
func TestTicketsChart(t *testing.T) {
	f := newPageFake()
	det := f.details["INC-1"]
	gaps := incidentGaps(det, 3600, fakeNow)
	cv := ticketsChart("chart-tickets", det, gaps, 3600)
	if cv.Empty != "" {
		t.Fatalf("empty chart: %s", cv.Empty)
	}
	var opt struct {
		Series []struct {
			Name     string          `json:"name"`
			Type     string          `json:"type"`
			Data     [][]float64     `json:"-"`
			Raw      json.RawMessage `json:"data"`
			MarkArea struct {
				Data [][]struct {
					XAxis float64 `json:"xAxis"`
				} `json:"data"`
			} `json:"markArea"`
			MarkLine struct {
				Data []struct {
					Name  string  `json:"name"`
					XAxis float64 `json:"xAxis"`
				} `json:"data"`
			} `json:"markLine"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(cv.Option)), &opt); err != nil {
		t.Fatalf("option: %v\n%s", err, cv.Option)
	}
	points := func(raw json.RawMessage) [][]float64 {
		var ds []struct {
			Value []float64 `json:"value"`
		}
		if err := json.Unmarshal(raw, &ds); err != nil {
			t.Fatalf("data %s: %v", raw, err)
		}
		var out [][]float64
		for _, d := range ds {
			out = append(out, d.Value)
		}
		return out
	}
	if len(opt.Series) != 3 {
		t.Fatalf("%d series, want 3 (tickets, updates on time, late)", len(opt.Series))
	}
	// tickets at 5, 80, 100, 112 and 200 min; the line runs from 0 to the
	// last ticket (200 min = 3.33 h, after the resolution at 3 h)
	eqv(t, "tickets so far", points(opt.Series[0].Raw), [][]float64{{0, 0}, {0.08, 1}, {1.33, 2}, {1.67, 3}, {1.87, 4}, {3.33, 5}, {3.33, 5}})
	// updates at 17 min (1 ticket so far) and 170 min (4) on time; the one
	// at 112 min (4, counting the ticket at that instant) ends a 95 min
	// silence
	eqv(t, "updates on time", points(opt.Series[1].Raw), [][]float64{{0.28, 1}, {2.83, 4}})
	eqv(t, "late updates", points(opt.Series[2].Raw), [][]float64{{1.87, 4}})
	// silent past the 1 h target from 77 to 112 min
	ma := opt.Series[0].MarkArea.Data
	if len(ma) != 1 || len(ma[0]) != 2 || ma[0][0].XAxis != 1.28 || ma[0][1].XAxis != 1.87 {
		t.Errorf("silent stretches %+v, want one from 1.28 to 1.87 h", ma)
	}
	ml := opt.Series[0].MarkLine.Data
	if len(ml) != 2 || ml[0].Name != "detected" || ml[0].XAxis != 0 || ml[1].Name != "resolved" || ml[1].XAxis != 3 {
		t.Errorf("mark lines %+v, want detected at 0 and resolved at 3 h", ml)
	}

	empty := ticketsChart("chart-tickets", f.details["INC-2"], incidentGaps(f.details["INC-2"], 14400, fakeNow), 14400)
	if !strings.HasPrefix(empty.Empty, "No tickets counted") {
		t.Errorf("no tickets: %+v", empty)
	}
}

func eqv(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

// TestCostOfSilence checks the overview card's figures and its reading,
// including the honest empty states.
func TestCostOfSilence(t *testing.T) {
	for _, tc := range []struct {
		name            string
		silent, updated *float64
		want            costOfSilence
	}{
		{"3×", pgFloat(4.5), pgFloat(1.5), costOfSilence{Silent: "4.5", Updated: "1.5", RawSilent: "4.5", RawUpdated: "1.5", Multiple: "3×", Known: true, Worse: true,
			Reading: "While an incident was silent past its cadence target, customers opened 3× as many tickets an hour as while it was being updated."}},
		{"fewer", pgFloat(0.12), pgFloat(0.35), costOfSilence{Silent: "0.12", Updated: "0.35", RawSilent: "0.12", RawUpdated: "0.35", Multiple: "0.34×", Known: true,
			Reading: "Silences past the target did not bring more tickets here: 0.34× the hourly rate of updated time."}},
		{"same", pgFloat(2), pgFloat(2), costOfSilence{Silent: "2", Updated: "2", RawSilent: "2", RawUpdated: "2", Multiple: "1×", Known: true,
			Reading: "Customers opened tickets at the same hourly rate whether incidents were silent past their target or being updated."}},
		{"none while updated", pgFloat(0.25), pgFloat(0), costOfSilence{Silent: "0.25", Updated: "0", RawSilent: "0.25", RawUpdated: "0", Known: true, Worse: true,
			Reading: "Customers opened 0.25 tickets an hour while incidents were silent past their target, and none while they were being updated."}},
		{"no tickets", pgFloat(0), pgFloat(0), costOfSilence{Silent: "0", Updated: "0", RawSilent: "0", RawUpdated: "0", Known: true,
			Reading: "Customers opened no tickets during these incidents, silent or updated."}},
		{"never silent", nil, pgFloat(2), costOfSilence{Silent: "—", Updated: "2", RawUpdated: "2",
			Reading: "No incident in this period stayed silent past its cadence target, so there is no silent time to compare with: the updates kept coming."}},
		{"always silent", pgFloat(2), nil, costOfSilence{Silent: "2", Updated: "—", RawSilent: "2",
			Reading: "Every hour of these incidents was spent silent past the cadence target: there is no updated time to compare with."}},
		{"nothing", nil, nil, costOfSilence{Silent: "—", Updated: "—",
			Reading: "No incident in this period has a known severity and a duration yet, so there is nothing to compare."}},
	} {
		got := costOfSilenceOf(trustlens.Summary{TicketsPerHourSilent: tc.silent, TicketsPerHourUpdated: tc.updated})
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// TestTicketsReading words the incident page's line under its tickets
// chart, including an incident never silent past its target.
func TestTicketsReading(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		s                       ticketSplit
		n                       int
		silent, updated, target int64
		resolved                bool
		want                    string
	}{
		// 3 tickets in 30 min silent → 6 an hour; 1 in 2 h updated → 0.5
		{"both", ticketSplit{Silent: 3, Updated: 1}, 4, 1800, 7200, 3600, true,
			"3 of 4 tickets came while the incident had been silent past its 1 h target (6 an hour over 30 min), 1 while it was being updated (0.5 an hour over 2 h)."},
		{"never silent", ticketSplit{Updated: 8}, 8, 0, 6600, 3600, true,
			"The incident was never silent past its 1 h target: 8 of 8 tickets came while it was being updated (4.4 an hour over 1 h 50 min)."},
		{"only silent, open", ticketSplit{Silent: 1, Outside: 2}, 3, 3600, 0, 7200, false,
			"1 of 3 tickets came while the incident had been silent past its 2 h target (1 an hour over 1 h); 2 came before detection or after now."},
		{"no target", ticketSplit{Outside: 1}, 1, 0, 3600, 0, true,
			"1 ticket; the severity has no cadence target, so none counts as silent or updated."},
		{"no tickets", ticketSplit{}, 0, 0, 3600, 3600, true, ""},
		// detected and resolved in the same second, tickets in the 24 h after: no rate (was NaN)
		{"no time", ticketSplit{Outside: 3}, 3, 0, 0, 3600, true,
			"The incident was never silent past its 1 h target: 0 of 3 tickets came while it was being updated (no time to take a rate over); 3 came before detection or after the resolution."},
	} {
		if got := ticketsReading(tc.s, tc.n, tc.silent, tc.updated, tc.target, tc.resolved); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestCSATChart reads the satisfaction chart's two lines off the trends,
// bucket by bucket, and its empty state.
func TestCSATChart(t *testing.T) {
	f := newPageFake()
	aff, base := f.trends["csat_affected_avg"], f.trends["csat_baseline_avg"]
	aff.Interval, base.Interval = "week", "week"
	cv := csatChart("chart-csat", aff, base)
	var opt struct {
		XAxis []struct {
			Data []string `json:"data"`
		} `json:"xAxis"`
		Series []struct {
			Name string `json:"name"`
			Data []struct {
				Value any `json:"value"`
			} `json:"data"`
		} `json:"series"`
	}
	if err := json.Unmarshal([]byte(cv.Option), &opt); err != nil {
		t.Fatalf("option: %v\n%s", err, cv.Option)
	}
	eqv(t, "buckets", opt.XAxis[0].Data, []string{"2026-10-26", "2026-11-02", "2026-11-09"})
	vals := func(i int) []any {
		var out []any
		for _, d := range opt.Series[i].Data {
			out = append(out, d.Value)
		}
		return out
	}
	// 3.125 is drawn to two decimals; a bucket without ratings is a gap
	eqv(t, opt.Series[0].Name, vals(0), []any{2.5, "-", 3.13})
	eqv(t, opt.Series[1].Name, vals(1), []any{4.0, 4.2, "-"})

	for i := range aff.Points {
		aff.Points[i].Value, base.Points[i].Value = nil, nil
	}
	if cv := csatChart("chart-csat", aff, base); !strings.HasPrefix(cv.Empty, "No satisfaction rating") {
		t.Errorf("no ratings: %+v", cv)
	}
}
