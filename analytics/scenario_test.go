package analytics_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/internal/chtest"
)

// history builds events by hand; insert stores each event 1, 2 or 3 times
// (at its own Kafka offset), so every figure below also proves that a
// redelivered event counts once.
type history struct{ events []trustlens.Event }

func (h *history) add(e trustlens.Event) {
	e.EventID = e.Type + "/" + e.IncidentID + "/" + e.CustomerID + "/" + e.OccurredAt.Format(time.RFC3339) + "/" + e.Channel
	h.events = append(h.events, e)
}

func (h *history) detected(id, sev string, at time.Time) {
	h.add(trustlens.Event{Type: trustlens.TypeIncidentDetected, IncidentID: id, Severity: sev, Title: "Title of " + id, OccurredAt: at})
}

func (h *history) resolved(id string, at time.Time) {
	h.add(trustlens.Event{Type: trustlens.TypeIncidentResolved, IncidentID: id, OccurredAt: at})
}

func (h *history) affected(id, cust string, at time.Time) {
	h.add(trustlens.Event{Type: trustlens.TypeIncidentCustomerAffected, IncidentID: id, CustomerID: cust, OccurredAt: at})
}

func (h *history) comm(id string, at time.Time, channel, kind string, set ...func(*trustlens.Event)) {
	e := trustlens.Event{Type: trustlens.TypeCommunicationSent, IncidentID: id, OccurredAt: at, Channel: channel, Kind: kind, Audience: "public"}
	for _, f := range set {
		f(&e)
	}
	h.add(e)
}

func (h *history) customer(typ, cust, id string, at time.Time, set ...func(*trustlens.Event)) {
	e := trustlens.Event{Type: typ, CustomerID: cust, IncidentID: id, OccurredAt: at}
	for _, f := range set {
		f(&e)
	}
	h.add(e)
}

func promise(at time.Time) func(*trustlens.Event) {
	return func(e *trustlens.Event) { e.NextUpdateAt = &at }
}

func amount(v float64) func(*trustlens.Event) {
	return func(e *trustlens.Event) { e.Amount = &v }
}

func offer(typ string, v float64) func(*trustlens.Event) {
	return func(e *trustlens.Event) { e.CompensationType, e.Amount, e.Currency = typ, &v, "USD" }
}

func (h *history) insert(t *testing.T, conn driver.Conn, db string) {
	t.Helper()
	var rows []ingest.Row
	offsets := map[trustlens.Stream]int64{}
	for i, e := range h.events {
		if e.Extra == "" {
			e.Extra = "{}"
		}
		for c := 0; c <= i%3; c++ {
			s := e.Stream()
			rows = append(rows, ingest.Row{Event: e, Position: ingest.Position{Topic: "trustlens." + string(s), Offset: offsets[s]}})
			offsets[s]++
		}
	}
	w := ingest.Writer{Conn: conn, DB: db}
	if err := w.Insert(context.Background(), rows); err != nil {
		t.Fatal(err)
	}
}

func i64(v int64) *int64 { return &v }

func f64(v float64) *float64 { return &v }

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %v, want %v", what, show(got), show(want))
	}
}

func show(v any) any {
	switch p := v.(type) {
	case *int64:
		if p != nil {
			return *p
		}
	case *float64:
		if p != nil {
			return *p
		}
	case *time.Time:
		if p != nil {
			return *p
		}
	}
	return v
}

// TestScenarios checks one rule of SPEC §2.1–2.2 per incident, on events
// built by hand, with figures worked out in the comments.
func TestScenarios(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	t0 := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) // a Monday
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	day := 24 * time.Hour
	h := &history{}

	// A1: a communication before detection. tta = max(-600, 0) = 0;
	// updates counts both points (t0-600, t0+3600); the silence ignores
	// t0-600: [t0, t0+3600, t0+5400] → gaps 3600, 1800.
	h.detected("a1", "sev2", t0)
	h.comm("a1", t0.Add(sec(-600)), "status_page", "acknowledgement")
	h.comm("a1", t0.Add(sec(3600)), "email", "update")
	h.resolved("a1", t0.Add(sec(5400)))

	// A2: the same update on three channels in one second is one point.
	// tta 60; [t0, t0+60, t0+7200] → gaps 60, 7140; 3 channels.
	h.detected("a2", "sev3", t0)
	for _, ch := range []string{"status_page", "email", "social"} {
		h.comm("a2", t0.Add(sec(60)), ch, "update")
	}
	h.resolved("a2", t0.Add(sec(7200)))

	// A3: silence runs up to the resolution: [t0, +300, +1800, +9000] →
	// gaps 300, 1500, 7200; 7200 > sev1's 3600 → communicate missed.
	h.detected("a3", "sev1", t0)
	h.comm("a3", t0.Add(sec(300)), "status_page", "acknowledgement")
	h.comm("a3", t0.Add(sec(1800)), "status_page", "update")
	h.resolved("a3", t0.Add(sec(9000)))

	// A4: open, detected 3 h before now, one acknowledgement 600 s later
	// on two channels. Silence to now: [det, det+600, now] → 600, 10200;
	// overdue: 10200 > sev2's 7200. act_swiftly met; the rest pending
	// (compensate, follow_up n/a: nobody affected) → trust 100.
	a4 := now.Add(-3 * time.Hour)
	h.detected("a4", "sev2", a4)
	h.comm("a4", a4.Add(sec(600)), "status_page", "acknowledgement")
	h.comm("a4", a4.Add(sec(600)), "email", "acknowledgement")

	// A5: sev3 resolved 3 days ago, two affected, nothing else. No
	// communication: tta null, act_swiftly missed; compensate n/a (sev3);
	// learn and follow_up pending (now ≤ resolved + 7 d); trust 0/4 = 0.
	a5 := now.Add(-3 * day)
	h.detected("a5", "sev3", a5.Add(-2*time.Hour))
	h.resolved("a5", a5)
	h.affected("a5", "c5a", a5.Add(-time.Hour))
	h.affected("a5", "c5b", a5.Add(-time.Hour))

	// A6: sev1 resolved 10 days ago. Affected c6a, c6b. Offers: c6a 10.10
	// (credit), c6x 20.00 (not affected, still counted); redemptions: c6a
	// 10.10, c6b 5 without an offer (not counted). offered 2 / 30.10,
	// redeemed 1 / 10.10; compensate (1 of 2 affected offered) 0.5 ≥ 0.5
	// met. Follow-ups: c6a at resolved+7d (counts), c6b one second later
	// (does not) → followed_up 1 → met. The postmortem comes at
	// resolved+7d+1s → learn missed. tta = 2d+7d+1s = 777601 → missed.
	// Habits: met compensate, follow_up; missed the 5 others → round(200/7)=29.
	a6 := now.Add(-10 * day)
	h.detected("a6", "sev1", a6.Add(-2*day))
	h.resolved("a6", a6)
	h.affected("a6", "c6a", a6.Add(-day))
	h.affected("a6", "c6b", a6.Add(-day))
	h.customer(trustlens.TypeCompensationOffered, "c6a", "a6", a6.Add(day), offer("credit", 10.10))
	h.customer(trustlens.TypeCompensationOffered, "c6x", "a6", a6.Add(day), offer("discount", 20))
	h.customer(trustlens.TypeCompensationRedeemed, "c6a", "a6", a6.Add(2*day), amount(10.10))
	h.customer(trustlens.TypeCompensationRedeemed, "c6b", "a6", a6.Add(2*day), amount(5))
	h.customer(trustlens.TypeCustomerFollowedUp, "c6a", "a6", a6.Add(7*day), func(e *trustlens.Event) { e.Channel = "phone" })
	h.customer(trustlens.TypeCustomerFollowedUp, "c6b", "a6", a6.Add(7*day+time.Second), func(e *trustlens.Event) { e.Channel = "email" })
	h.comm("a6", a6.Add(7*day+time.Second), "status_page", "postmortem", func(e *trustlens.Event) { e.RootCause, e.PreventionSteps = true, true })

	// A7: promises. c1 at t0 promises t0+1800 (kept by the point at
	// t0+2000 ≤ 1800+300); c2 at t0+2000 promises t0+3600 (next point
	// t0+4000 > 3900: broken); c3 at t0+4000 repeats t0+1800 (not a new
	// promise); c4 at t0+4000 promises now+1h (pending). made 3, kept 1,
	// broken 1.
	h.detected("a7", "sev4", t0)
	h.comm("a7", t0, "status_page", "acknowledgement", promise(t0.Add(sec(1800))))
	h.comm("a7", t0.Add(sec(2000)), "status_page", "update", promise(t0.Add(sec(3600))))
	h.comm("a7", t0.Add(sec(4000)), "status_page", "update", promise(t0.Add(sec(1800))))
	h.comm("a7", t0.Add(sec(4000)), "email", "update", promise(now.Add(time.Hour)))
	h.resolved("a7", t0.Add(sec(5000)))

	// an incomplete incident: communications only
	h.comm("x1", t0, "email", "update")
	h.insert(t, conn, db)

	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))
	page, err := store.Incidents(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]trustlens.Incident{}
	for _, inc := range page.Incidents {
		got[inc.IncidentID] = inc
	}
	eq(t, "total", page.Total, int64(7))

	type want struct {
		tta        *int64
		updates    int64
		silence    int64
		channels   []string
		habits     map[string]string
		trust      *int64
		offered    int64
		redeemed   int64
		followedUp int64
		affected   int64
		promises   [3]int64
	}
	hab := func(v ...string) map[string]string {
		m := map[string]string{}
		for i, h := range trustlens.Habits {
			m[h] = v[i]
		}
		return m
	}
	const M, X, P, NA = trustlens.Met, trustlens.Missed, trustlens.Pending, trustlens.NA
	cases := map[string]want{
		"a1": {i64(0), 2, 3600, []string{"email", "status_page"}, hab(M, X, M, X, NA, X, NA), i64(40), 0, 0, 0, 0, [3]int64{}},
		"a2": {i64(60), 1, 7140, []string{"email", "social", "status_page"}, hab(M, X, M, X, NA, X, NA), i64(40), 0, 0, 0, 0, [3]int64{}},
		"a3": {i64(300), 2, 7200, []string{"status_page"}, hab(M, X, X, X, NA, X, NA), i64(20), 0, 0, 0, 0, [3]int64{}},
		"a4": {i64(600), 1, 10200, []string{"email", "status_page"}, hab(M, P, P, P, NA, P, NA), i64(100), 0, 0, 0, 0, [3]int64{}},
		"a5": {nil, 0, 7200, []string{}, hab(X, X, X, X, NA, P, P), i64(0), 0, 0, 0, 2, [3]int64{}},
		"a6": {i64(777601), 0, 172800, []string{"status_page"}, hab(X, X, X, X, M, X, M), i64(29), 2, 1, 1, 2, [3]int64{}},
		"a7": {i64(0), 3, 2000, []string{"email", "status_page"}, hab(M, X, M, X, NA, X, NA), i64(40), 0, 0, 0, 0, [3]int64{3, 1, 1}},
	}
	// a1: met act, communicate (3600 ≤ 7200, 2 channels) → 2/5 = 40.
	// a2: met act, communicate (7140 ≤ 14400, 3 channels) → 40.
	// a3: met act only; missed responsibility, communicate, apologize,
	// learn → round(100/5) = 20.
	// a7: [t0, +2000, +4000, +5000] → gaps 2000, 2000, 1000; 2 channels,
	// sev4 cadence 28800 → communicate met; act met → 2/5 = 40.
	for id, w := range cases {
		g, ok := got[id]
		if !ok {
			t.Errorf("%s missing", id)
			continue
		}
		eq(t, id+".tta_seconds", g.TTASeconds, w.tta)
		eq(t, id+".updates", g.Updates, w.updates)
		eq(t, id+".max_silence_seconds", g.MaxSilenceSeconds, w.silence)
		eq(t, id+".channels", g.Channels, w.channels)
		eq(t, id+".habits", g.Habits, w.habits)
		eq(t, id+".trust_score", g.TrustScore, w.trust)
		eq(t, id+".compensation_offered", g.CompensationOffered, w.offered)
		eq(t, id+".compensation_redeemed", g.CompensationRedeemed, w.redeemed)
		eq(t, id+".followed_up", g.FollowedUp, w.followedUp)
		eq(t, id+".affected", g.Affected, w.affected)
		eq(t, id+".promises", [3]int64{g.PromisesMade, g.PromisesKept, g.PromisesBroken}, w.promises)
	}
	eq(t, "a4.status", got["a4"].Status, "open")
	eq(t, "a4.resolved_at", got["a4"].ResolvedAt, (*time.Time)(nil))
	eq(t, "a4.churn", got["a4"].ActiveAffected, (*int64)(nil))

	t.Run("detail", func(t *testing.T) {
		d, err := store.Incident(ctx, "a3")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "a3.gaps", d.Gaps, []int64{300, 1500, 7200})
		var types []string
		for _, e := range d.Timeline {
			types = append(types, e.Type)
		}
		eq(t, "a3.timeline", types, []string{trustlens.TypeIncidentDetected, trustlens.TypeCommunicationSent,
			trustlens.TypeCommunicationSent, trustlens.TypeIncidentResolved})
		eq(t, "a3.timeline[1].update_point", d.Timeline[1].UpdatePoint, true)
		for _, id := range []string{"nope", "x1"} {
			if _, err := store.Incident(ctx, id); !errors.Is(err, trustlens.ErrNotFound) {
				t.Errorf("Incident(%q): got %v, want ErrNotFound", id, err)
			}
		}
	})

	t.Run("overdue", func(t *testing.T) {
		list, err := store.Overdue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "overdue", list, []trustlens.Overdue{{IncidentID: "a4", Title: "Title of a4", Severity: "sev2",
			DetectedAt: a4, LastUpdateAt: a4.Add(sec(600)), SilenceSeconds: 10200, TargetSeconds: 7200}})
	})

	t.Run("summary and compensation", func(t *testing.T) {
		sum, err := store.Summary(ctx, trustlens.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "incidents", sum.Incidents, int64(7))
		eq(t, "open", sum.OpenIncidents, int64(1))
		eq(t, "incomplete", sum.IncompleteIncidents, int64(1))
		// amounts to the cent: 10.10 + 20.00
		eq(t, "offered amount", sum.CompensationOfferedAmount, 30.10)
		eq(t, "redeemed amount", sum.CompensationRedeemedAmount, 10.10)
		// promises: kept 1 of kept+broken 2
		eq(t, "promise kept rate", sum.PromiseKeptRate, f64(0.5))
		comp, err := store.Compensation(ctx, trustlens.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "credit", [2]int64{comp.ByType["credit"].OfferedCustomers, comp.ByType["credit"].RedeemedCustomers}, [2]int64{1, 1})
		eq(t, "discount", [2]int64{comp.ByType["discount"].OfferedCustomers, comp.ByType["discount"].RedeemedCustomers}, [2]int64{1, 0})
		// c6a: offer at a6+1d, redemption at a6+2d → 1 day
		eq(t, "median days to redeem", comp.MedianDaysToRedeem, f64(1))
	})

	t.Run("trend", func(t *testing.T) {
		tr, err := store.Trend(ctx, "incidents", "week", trustlens.Filter{From: t0.Add(-7 * day), To: t0.Add(14 * day)})
		if err != nil {
			t.Fatal(err)
		}
		// weeks from Monday 25 May: a1, a2, a3, a7 in the week of 1 June
		eq(t, "points", len(tr.Points), 3)
		for i, w := range []float64{0, 4, 0} {
			if i < len(tr.Points) {
				eq(t, "start", tr.Points[i].Start, t0.Add(time.Duration(i-1)*7*day))
				eq(t, "value", tr.Points[i].Value, f64(w))
			}
		}
		rate, err := store.Trend(ctx, "ack_within_target_rate", "week", trustlens.Filter{From: t0.Add(-7 * day), To: t0.Add(14 * day)})
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "empty week rate", rate.Points[0].Value, (*float64)(nil))
		eq(t, "week rate", rate.Points[1].Value, f64(1))
	})

	t.Run("filters and paging", func(t *testing.T) {
		ids := func(f trustlens.Filter) ([]string, int64) {
			t.Helper()
			page, err := store.Incidents(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, inc := range page.Incidents {
				out = append(out, inc.IncidentID)
			}
			return out, page.Total
		}
		// newest first, ties by incident_id: a4, a5, a6, then a1 a2 a3 a7 (all at t0)
		got, total := ids(trustlens.Filter{Limit: 2, Offset: 1})
		eq(t, "page", got, []string{"a5", "a6"})
		eq(t, "page total", total, int64(7))
		got, total = ids(trustlens.Filter{Severity: "sev2"})
		eq(t, "sev2", got, []string{"a4", "a1"})
		eq(t, "sev2 total", total, int64(2))
		got, _ = ids(trustlens.Filter{Status: "open"})
		eq(t, "open", got, []string{"a4"})
		got, _ = ids(trustlens.Filter{Status: "resolved", From: t0, To: t0.Add(time.Second)})
		eq(t, "[t0, t0+1s)", got, []string{"a1", "a2", "a3", "a7"})
		got, _ = ids(trustlens.Filter{From: t0.Add(time.Second), To: now})
		eq(t, "[t0+1s, now)", got, []string{"a4", "a5", "a6"})
		if _, err := store.Incidents(ctx, trustlens.Filter{Status: "closed"}); err == nil {
			t.Error("status closed: no error")
		}
		if _, err := store.Trend(ctx, "nope", "week", trustlens.Filter{}); err == nil {
			t.Error("trend metric nope: no error")
		}
	})

	t.Run("policy override", func(t *testing.T) {
		// ack_target 30 s: a2's tta of 60 s misses; min_channels 4: its 3
		// channels no longer communicate proactively.
		p := trustlens.DefaultPolicy()
		p.AckTarget = trustlens.Duration(30 * time.Second)
		p.MinChannels = 4
		strict := analytics.New(conn, p, analytics.WithClock(func() time.Time { return now }))
		d, err := strict.Incident(ctx, "a2")
		if err != nil {
			t.Fatal(err)
		}
		eq(t, "a2 strict habits", d.Habits, hab(X, X, X, X, NA, X, NA))
		eq(t, "a2 strict trust", d.TrustScore, i64(0))
	})
}
