package analytics_test

import (
	"context"
	"fmt"
	"math"
	"math/rand"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestCompensationPays checks SPEC §2.3 "Does compensation pay?" on a
// history built by hand (now 1 Sep 2026, churn window 30 days).
func TestCompensationPays(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	d := func(m time.Month, dd int) time.Time { return time.Date(2026, m, dd, 0, 0, 0, 0, time.UTC) }
	h := &history{}
	signup := func(c string, at time.Time, v float64) { h.customer(trustlens.TypeCustomerSignedUp, c, "", at, mrr(v)) }
	churn := func(c string, at time.Time) { h.customer(trustlens.TypeCustomerChurned, c, "", at) }
	offerTo := func(c, id string, at time.Time, typ string, v float64) {
		h.customer(trustlens.TypeCompensationOffered, c, id, at, offer(typ, v))
	}

	// p1 (sev1): detected 1 May, resolved 1 May 02:00; window to 31 May
	// 02:00. Affected a1…a7.
	//   offered: a1 (20, mrr 100, churns 10 May: in the window),
	//            a2 (30, mrr 200 at sign-up, then 300 on a later
	//                customer_affected: latest → 300; stays),
	//            a3 (50, churned 15 Apr: not active at resolved_at → out);
	//   not offered: a4 (churns 20 May), a5 (churns 1 Jul: after the
	//            window), a6 (stays), a7 (signs up 1 Jun: not active);
	//   x (not affected) is offered 99: not in either group.
	// p1: compensated 2 active, 1 churned; uncompensated 3 active
	// (a4, a5, a6), 1 churned (a4).
	p1 := d(5, 1)
	h.detected("p1", "sev1", p1)
	h.resolved("p1", p1.Add(2*time.Hour))
	for _, c := range []string{"a1", "a3", "a4", "a5", "a6", "a7"} {
		h.affected("p1", c, p1.Add(time.Minute))
	}
	h.add(trustlens.Event{Type: trustlens.TypeIncidentCustomerAffected, IncidentID: "p1", CustomerID: "a2", OccurredAt: p1.Add(time.Minute), MRR: f64(300)})
	signup("a1", d(1, 1), 100)
	signup("a2", d(1, 1), 200)
	signup("a7", d(6, 1), 70)
	churn("a1", d(5, 10))
	churn("a3", d(4, 15))
	churn("a4", d(5, 20))
	churn("a5", d(7, 1))
	offerTo("a1", "p1", p1.Add(3*time.Hour), "credit", 20)
	offerTo("a2", "p1", p1.Add(3*time.Hour), "credit", 30)
	offerTo("a3", "p1", p1.Add(3*time.Hour), "discount", 50)
	offerTo("x", "p1", p1.Add(3*time.Hour), "credit", 99)

	// p2 (sev2): detected 1 Jun, resolved 1 Jun 01:00 (window passed 1
	// Jul). Affected b1…b4; b1 offered 10 (mrr 50), stays; b2 and b3
	// churn in the window, b4 stays. Compensated 1 active, 0 churned;
	// uncompensated 3 active, 2 churned.
	p2 := d(6, 1)
	h.detected("p2", "sev2", p2)
	h.resolved("p2", p2.Add(time.Hour))
	for _, c := range []string{"b1", "b2", "b3", "b4"} {
		h.affected("p2", c, p2.Add(time.Minute))
	}
	signup("b1", d(1, 1), 50)
	churn("b2", d(6, 10))
	churn("b3", d(6, 15))
	offerTo("b1", "p2", p2.Add(2*time.Hour), "extension", 10)

	// p3: resolved 20 Aug, its window has not passed (pending); p4 is
	// open. Their offered customers count nowhere.
	h.detected("p3", "sev1", d(8, 19))
	h.resolved("p3", d(8, 20))
	h.affected("p3", "c1", d(8, 19).Add(time.Minute))
	offerTo("c1", "p3", d(8, 20), "credit", 1000)
	h.detected("p4", "sev1", d(8, 30))
	h.affected("p4", "c2", d(8, 30).Add(time.Minute))
	offerTo("c2", "p4", d(8, 30).Add(time.Hour), "credit", 1000)

	h.insert(t, conn, db)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))

	ratio := func(a, b float64) *float64 { v := a / b; return &v }
	// p1 alone: 1/2 vs 1/3: (1/3 − 1/2) × 400 / 50 = −4/3: the
	// compensated churned more.
	onlyP1 := trustlens.CompensationPays{CompensatedActive: 2, CompensatedChurned: 1, UncompensatedActive: 3, UncompensatedChurned: 1,
		ChurnCompensatedRate: ratio(1, 2), ChurnUncompensatedRate: ratio(1, 3), CompensatedMRR: 400, CompensatedAmount: 50,
		RetainedMRRPerAmount: ratio(-4, 3)}
	// p2 alone: 0/1 vs 2/3: (2/3 − 0) × 50 / 10 = 10/3.
	onlyP2 := trustlens.CompensationPays{CompensatedActive: 1, UncompensatedActive: 3, UncompensatedChurned: 2,
		ChurnCompensatedRate: f64(0), ChurnUncompensatedRate: ratio(2, 3), CompensatedMRR: 50, CompensatedAmount: 10,
		RetainedMRRPerAmount: ratio(10, 3)}
	year := func(sev string) trustlens.Filter { return trustlens.Filter{From: d(1, 1), To: now, Severity: sev} }
	for _, tc := range []struct {
		name string
		f    trustlens.Filter
		want trustlens.CompensationPays
	}{
		// all: compensated a1, a2, b1: 3 active, 1 churned → 1/3; MRR
		// 100+300+50 = 450, offered 20+30+10 = 60. Uncompensated 3+3 = 6
		// active, 1+2 = 3 churned → 1/2. Retained MRR per unit offered
		// (1/2 − 1/3) × 450 / 60 = 1/6 × 7.5 = 1.25.
		{"every severity", year(""), trustlens.CompensationPays{CompensatedActive: 3, CompensatedChurned: 1, UncompensatedActive: 6, UncompensatedChurned: 3,
			ChurnCompensatedRate: ratio(1, 3), ChurnUncompensatedRate: ratio(1, 2), CompensatedMRR: 450, CompensatedAmount: 60,
			RetainedMRRPerAmount: f64(1.25)}},
		{"sev1 (p1)", year("sev1"), onlyP1},
		{"sev2 (p2)", year("sev2"), onlyP2},
		// sev3: nothing settled: every rate null
		{"sev3", year("sev3"), trustlens.CompensationPays{}},
		// the range's ends: [1 May, 1 Jun) holds p1 (detected at its
		// start) and not p2 (detected at its end)
		{"range [p1, p2)", trustlens.Filter{From: p1, To: p2}, onlyP1},
		// [1 May 00:00:01, now) holds p2 only
		{"range after p1", trustlens.Filter{From: p1.Add(time.Second), To: now}, onlyP2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch, err := store.Churn(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			comp, err := store.Compensation(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			for name, got := range map[string]trustlens.CompensationPays{"churn": ch.CompensationPays, "compensation": comp.CompensationPays} {
				w := tc.want
				eq(t, name+" groups", [4]int64{got.CompensatedActive, got.CompensatedChurned, got.UncompensatedActive, got.UncompensatedChurned},
					[4]int64{w.CompensatedActive, w.CompensatedChurned, w.UncompensatedActive, w.UncompensatedChurned})
				eq(t, name+" sums", [2]float64{got.CompensatedMRR, got.CompensatedAmount}, [2]float64{w.CompensatedMRR, w.CompensatedAmount})
				nearP(t, name+" churn_compensated_rate", got.ChurnCompensatedRate, w.ChurnCompensatedRate)
				nearP(t, name+" churn_uncompensated_rate", got.ChurnUncompensatedRate, w.ChurnUncompensatedRate)
				nearP(t, name+" retained_mrr_per_amount", got.RetainedMRRPerAmount, w.RetainedMRRPerAmount)
			}
			// the groups split the churn page's affected customers exactly
			eq(t, "active affected", ch.ActiveAffected, tc.want.CompensatedActive+tc.want.UncompensatedActive)
			eq(t, "churned affected", ch.ChurnedAffected, tc.want.CompensatedChurned+tc.want.UncompensatedChurned)
		})
	}
}

// nearP compares optional numbers to 1e-9.
func nearP(t *testing.T, what string, got, want *float64) {
	t.Helper()
	if (got == nil) != (want == nil) || (got != nil && math.Abs(*got-*want) > 1e-9) {
		t.Errorf("%s = %v, want %v", what, show(got), show(want))
	}
}

// TestCompensationPaysGenerated compares the figures with a plain
// recomputation from the events fed: random resolved incidents over a
// year, random affected customers (some signing up late, some churning
// before, inside or after each window), random offers with amounts and
// MRRs (every event stored 1–3 times).
func TestCompensationPaysGenerated(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	ctx := context.Background()
	now := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	rng := rand.New(rand.NewSource(23))
	h := &history{}
	type cust struct {
		su, churn time.Time // zero: none
		mrr       float64
		hasMRR    bool
	}
	custs := map[string]*cust{}
	var ids []string
	for i := 0; i < 30; i++ {
		id := fmt.Sprintf("k%02d", i)
		c := &cust{}
		if rng.Intn(4) != 0 {
			c.su = now.Add(-time.Duration(rng.Intn(400*24)) * time.Hour)
			c.mrr, c.hasMRR = float64(10*(1+rng.Intn(50))), rng.Intn(3) != 0
			if c.hasMRR {
				h.customer(trustlens.TypeCustomerSignedUp, id, "", c.su, mrr(c.mrr))
			} else {
				h.customer(trustlens.TypeCustomerSignedUp, id, "", c.su)
			}
		}
		if rng.Intn(2) == 0 {
			c.churn = now.Add(-time.Duration(rng.Intn(360*24)) * time.Hour)
			h.customer(trustlens.TypeCustomerChurned, id, "", c.churn)
		}
		custs[id] = c
		ids = append(ids, id)
	}
	type pair struct {
		inc   string
		res   time.Time
		cust  string
		amt   float64
		offer bool
	}
	var pairs []pair
	for i := 0; i < 40; i++ {
		inc := fmt.Sprintf("q%02d", i)
		det := now.Add(-time.Duration(rng.Intn(360*24)) * time.Hour)
		res := det.Add(time.Duration(1+rng.Intn(10)) * time.Hour)
		h.detected(inc, trustlens.Severities[rng.Intn(2)], det)
		h.resolved(inc, res)
		for _, c := range ids {
			if rng.Intn(5) != 0 {
				continue
			}
			h.affected(inc, c, det.Add(time.Minute))
			p := pair{inc: inc, res: res, cust: c}
			if rng.Intn(2) == 0 {
				p.offer, p.amt = true, float64(1+rng.Intn(100))
				h.customer(trustlens.TypeCompensationOffered, c, inc, res.Add(time.Hour), offer("credit", p.amt))
			}
			pairs = append(pairs, p)
		}
	}
	h.insert(t, conn, db)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))

	var want trustlens.CompensationPays
	window := 30 * day
	for _, p := range pairs {
		c := custs[p.cust]
		if !now.After(p.res.Add(window)) { // pending
			continue
		}
		active := (c.su.IsZero() || !c.su.After(p.res)) && (c.churn.IsZero() || c.churn.After(p.res))
		if !active {
			continue
		}
		churned := !c.churn.IsZero() && !c.churn.After(p.res.Add(window))
		if p.offer {
			want.CompensatedActive++
			want.CompensatedAmount += p.amt
			if c.hasMRR {
				want.CompensatedMRR += c.mrr
			}
			if churned {
				want.CompensatedChurned++
			}
		} else {
			want.UncompensatedActive++
			if churned {
				want.UncompensatedChurned++
			}
		}
	}
	got, err := store.Compensation(ctx, trustlens.Filter{From: now.Add(-400 * day), To: now})
	if err != nil {
		t.Fatal(err)
	}
	g := got.CompensationPays
	eq(t, "groups", [4]int64{g.CompensatedActive, g.CompensatedChurned, g.UncompensatedActive, g.UncompensatedChurned},
		[4]int64{want.CompensatedActive, want.CompensatedChurned, want.UncompensatedActive, want.UncompensatedChurned})
	eq(t, "sums", [2]float64{g.CompensatedMRR, g.CompensatedAmount}, [2]float64{want.CompensatedMRR, want.CompensatedAmount})
	rc := float64(want.CompensatedChurned) / float64(want.CompensatedActive)
	ru := float64(want.UncompensatedChurned) / float64(want.UncompensatedActive)
	nearP(t, "churn_compensated_rate", g.ChurnCompensatedRate, &rc)
	nearP(t, "churn_uncompensated_rate", g.ChurnUncompensatedRate, &ru)
	r := (ru - rc) * want.CompensatedMRR / want.CompensatedAmount
	nearP(t, "retained_mrr_per_amount", g.RetainedMRRPerAmount, &r)
	t.Logf("compensated %d/%d, uncompensated %d/%d, retained %.4f", want.CompensatedChurned, want.CompensatedActive,
		want.UncompensatedChurned, want.UncompensatedActive, r)
}
