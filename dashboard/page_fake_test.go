package dashboard

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/trustlens/trustlens"
)

// pageFake is an in-memory Analytics with a small, fixed scenario for the
// page tests: three incidents (one open and overdue), churn, compensation
// and a trust-score trend. It records every filter it is asked for.
type pageFake struct {
	mu      sync.Mutex
	filters []trustlens.Filter
	metrics []string

	summary   trustlens.Summary
	prev      trustlens.Summary // answer for a range that ends where the filter starts
	incidents []trustlens.Incident
	details   map[string]trustlens.IncidentDetail
	overdue   []trustlens.Overdue
	due       []trustlens.UpdateDue
	churn     trustlens.Churn
	comp      trustlens.Compensation
	trend     trustlens.Trend
	trends    map[string]trustlens.Trend // by metric, instead of trend
	err       error
	// slowDetail makes Incident wait for the end of its context.
	slowDetail bool
}

// fakeNow is the clock of the page tests.
var fakeNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func pgInt(v int64) *int64          { return &v }
func pgFloat(v float64) *float64    { return &v }
func pgTime(t time.Time) *time.Time { return &t }

func habitsOf(vs ...string) map[string]string {
	m := map[string]string{}
	for i, h := range trustlens.Habits {
		m[h] = vs[i]
	}
	return m
}

func newPageFake() *pageFake {
	d1 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	d2 := time.Date(2026, 11, 10, 14, 0, 0, 0, time.UTC)
	d3 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	inc1 := trustlens.Incident{
		IncidentID: "INC-1", Title: "Checkout down", Severity: "sev1", Status: "resolved",
		DetectedAt: d1, ResolvedAt: pgTime(d1.Add(3 * time.Hour)), TTASeconds: pgInt(17 * 60),
		MaxSilenceSeconds: 95 * 60, Updates: 3, Channels: []string{"email", "status_page"},
		Affected: 4, CompensationOffered: 3, CompensationRedeemed: 2, FollowedUp: 1,
		ActiveAffected: pgInt(4), ChurnedAffected: pgInt(1), ActiveBaseline: pgInt(20), ChurnedBaseline: pgInt(1),
		TrustScore:   pgInt(57),
		Habits:       habitsOf(trustlens.Met, trustlens.Met, trustlens.Missed, trustlens.Met, trustlens.Met, trustlens.Missed, trustlens.Missed),
		PromisesMade: 2, PromisesKept: 1, PromisesBroken: 1,
		Tickets: 5, CSATAvg: pgFloat(2.5),
	}
	inc2 := trustlens.Incident{
		IncidentID: "INC-2", Title: "Slow search", Severity: "sev3", Status: "resolved",
		DetectedAt: d2, ResolvedAt: pgTime(d2.Add(2 * time.Hour)), TTASeconds: pgInt(50 * 60),
		MaxSilenceSeconds: 70 * 60, Updates: 2, Channels: []string{"status_page"},
		Affected: 0, TrustScore: pgInt(40),
		Habits: habitsOf(trustlens.Missed, trustlens.Met, trustlens.Missed, trustlens.Met, trustlens.NA, trustlens.Pending, trustlens.NA),
	}
	inc3 := trustlens.Incident{
		IncidentID: "INC 3/x", Title: "Login errors <EU>", Severity: "sev2", Status: "open",
		DetectedAt: d3, TTASeconds: nil, MaxSilenceSeconds: 4 * 3600, Updates: 0,
		Affected: 2, Habits: habitsOf(trustlens.Pending, trustlens.Pending, trustlens.Pending, trustlens.Pending, trustlens.Pending, trustlens.Pending, trustlens.Pending),
	}
	det1 := trustlens.IncidentDetail{Incident: inc1, Timeline: []trustlens.TimelineEvent{
		{EventID: "e1", Type: trustlens.TypeIncidentDetected, OccurredAt: d1, Detail: "sev1 detected by monitoring"},
		{EventID: "e2", Type: trustlens.TypeCommunicationSent, OccurredAt: d1.Add(17 * time.Minute), Detail: "status_page acknowledgement", UpdatePoint: true},
		{EventID: "e3", Type: trustlens.TypeCommunicationSent, OccurredAt: d1.Add(17 * time.Minute), Detail: "email acknowledgement", UpdatePoint: true},
		{EventID: "e4", Type: trustlens.TypeCommunicationSent, OccurredAt: d1.Add(112 * time.Minute), Detail: "status_page update", UpdatePoint: true},
		{EventID: "e5", Type: trustlens.TypeCompensationOffered, OccurredAt: d1.Add(150 * time.Minute), CustomerID: "C1", Detail: "credit 50 USD"},
		{EventID: "e6", Type: trustlens.TypeCommunicationSent, OccurredAt: d1.Add(170 * time.Minute), Detail: "status_page resolution", UpdatePoint: true},
		{EventID: "e7", Type: trustlens.TypeIncidentResolved, OccurredAt: d1.Add(3 * time.Hour), Detail: "resolved"},
	}, Gaps: []int64{17 * 60, 95 * 60, 58 * 60, 10 * 60},
		// sev1, target 1 h: silent past it from 1 h 17 min (update 1 +
		// 1 h) to 1 h 52 min (update 2). Tickets at 5 min (updated), 80
		// and 100 min (silent), 112 min (at update 2: updated) and after
		// the resolution (outside).
		TicketTimes: []time.Time{d1.Add(5 * time.Minute), d1.Add(80 * time.Minute), d1.Add(100 * time.Minute),
			d1.Add(112 * time.Minute), d1.Add(200 * time.Minute)}}
	det2 := trustlens.IncidentDetail{Incident: inc2, Timeline: []trustlens.TimelineEvent{
		{EventID: "f1", Type: trustlens.TypeIncidentDetected, OccurredAt: d2, Detail: "sev3 detected"},
		{EventID: "f2", Type: trustlens.TypeCommunicationSent, OccurredAt: d2.Add(50 * time.Minute), Detail: "status_page acknowledgement", UpdatePoint: true},
		{EventID: "f3", Type: trustlens.TypeIncidentResolved, OccurredAt: d2.Add(2 * time.Hour), Detail: "resolved"},
	}, Gaps: []int64{50 * 60, 70 * 60}}
	det3 := trustlens.IncidentDetail{Incident: inc3, Timeline: []trustlens.TimelineEvent{
		{EventID: "g1", Type: trustlens.TypeIncidentDetected, OccurredAt: d3, Detail: "sev2 detected"},
	}, Gaps: []int64{4 * 3600},
		// silent since detection (08:00) at fakeNow (12:00), past the 2 h target since 10:00
		Due: &trustlens.UpdateDue{IncidentID: inc3.IncidentID, Severity: "sev2", DetectedAt: d3, LastUpdateAt: d3,
			CadenceDueAt: d3.Add(2 * time.Hour), TargetSeconds: 7200, DueAt: d3.Add(2 * time.Hour), By: trustlens.DueByCadence,
			SecondsLeft: -7200, Overdue: true}}
	return &pageFake{
		summary: trustlens.Summary{
			Incidents: 3, OpenIncidents: 1, TTAMedianSeconds: pgInt(17 * 60), TTAP90Seconds: pgInt(50 * 60),
			CadenceComplianceRate: pgFloat(0), CompensationOfferedCustomers: 3, CompensationRedeemedCustomers: 2,
			CompensationUptakeRate: pgFloat(2.0 / 3), ChurnWindowDays: 30, ChurnAffectedRate: pgFloat(0.25),
			ChurnBaselineRate: pgFloat(0.05), ChurnUpliftPP: pgFloat(20), TrustScoreAvg: pgFloat(48.5),
			TicketsPerIncident: pgFloat(5.0 / 3), CSATAffectedAvg: pgFloat(2.75), CSATBaselineAvg: pgFloat(4.1),
			TicketsPerHourSilent: pgFloat(4.5), TicketsPerHourUpdated: pgFloat(1.5),
		},
		prev: trustlens.Summary{
			Incidents: 2, TTAMedianSeconds: pgInt(25 * 60), CadenceComplianceRate: pgFloat(0.5),
			CompensationUptakeRate: pgFloat(0.5), ChurnUpliftPP: pgFloat(12.5), TrustScoreAvg: pgFloat(60),
		},
		incidents: []trustlens.Incident{inc3, inc2, inc1},
		details:   map[string]trustlens.IncidentDetail{"INC-1": det1, "INC-2": det2, "INC 3/x": det3},
		overdue: []trustlens.Overdue{{IncidentID: "INC 3/x", Title: "Login errors <EU>", Severity: "sev2", DetectedAt: d3,
			LastUpdateAt: d3, SilenceSeconds: 4 * 3600, TargetSeconds: 2 * 3600}},
		churn: trustlens.Churn{
			ChurnWindowDays: 30, PendingIncidents: 1,
			ChurnGroup: trustlens.ChurnGroup{Incidents: 1, ActiveAffected: 4, ChurnedAffected: 1, ActiveBaseline: 20, ChurnedBaseline: 1,
				AffectedRate: pgFloat(0.25), BaselineRate: pgFloat(0.05), UpliftPP: pgFloat(20)},
			BySeverity: map[string]trustlens.ChurnGroup{"sev1": {Incidents: 1, ActiveAffected: 4, ChurnedAffected: 1, ActiveBaseline: 20,
				ChurnedBaseline: 1, AffectedRate: pgFloat(0.25), BaselineRate: pgFloat(0.05), UpliftPP: pgFloat(20)}},
			Drivers: func() []trustlens.Driver {
				var ds []trustlens.Driver
				for _, h := range trustlens.Habits {
					ds = append(ds, trustlens.Driver{Habit: h,
						Met:    trustlens.DriverSide{Incidents: 1, ActiveAffected: 4, ChurnedAffected: 1, ChurnRate: pgFloat(0.25)},
						Missed: trustlens.DriverSide{}})
				}
				ds[2].Met, ds[2].Missed = ds[2].Missed, trustlens.DriverSide{Incidents: 1, ActiveAffected: 4, ChurnedAffected: 1, ChurnRate: pgFloat(0.25)}
				return ds
			}(),
			LostMRR: trustlens.LostMRR{LostMRRAffected: 4500.5, LostMRRAffectedCustomers: 3, LostMRRAffectedUnknown: 1,
				LostMRRBaseline: 1200, LostMRRBaselineCustomers: 7},
		},
		comp: trustlens.Compensation{
			CompensationFigures: trustlens.CompensationFigures{OfferedCustomers: 3, RedeemedCustomers: 2, OfferedAmount: 1250.5,
				RedeemedAmount: 100, UptakeRate: pgFloat(2.0 / 3), MedianDaysToRedeem: pgFloat(2.5)},
			ByType: map[string]trustlens.CompensationFigures{
				"credit":   {OfferedCustomers: 2, RedeemedCustomers: 2, OfferedAmount: 100, RedeemedAmount: 100, UptakeRate: pgFloat(1), MedianDaysToRedeem: pgFloat(2.5)},
				"discount": {OfferedCustomers: 1, OfferedAmount: 1150.5, UptakeRate: pgFloat(0)},
			},
		},
		trend: trustlens.Trend{Metric: "trust_score_avg", Interval: "week", Points: []trustlens.TrendPoint{
			{Start: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), Value: pgFloat(57)},
			{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Value: nil},
			{Start: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), Value: pgFloat(40)},
		}},
		trends: map[string]trustlens.Trend{
			"csat_affected_avg": {Points: []trustlens.TrendPoint{
				{Start: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), Value: pgFloat(2.5)},
				{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Value: nil},
				{Start: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), Value: pgFloat(3.125)},
			}},
			"csat_baseline_avg": {Points: []trustlens.TrendPoint{
				{Start: time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), Value: pgFloat(4)},
				{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Value: pgFloat(4.2)},
				{Start: time.Date(2026, 11, 9, 0, 0, 0, 0, time.UTC), Value: nil},
			}},
		},
	}
}

func (f *pageFake) record(flt trustlens.Filter) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.filters = append(f.filters, flt)
	return f.err
}

func (f *pageFake) seen() []trustlens.Filter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]trustlens.Filter(nil), f.filters...)
}

func (f *pageFake) Policy() trustlens.Policy       { return trustlens.DefaultPolicy() }
func (f *pageFake) Ping(ctx context.Context) error { return nil }

func (f *pageFake) Summary(ctx context.Context, flt trustlens.Filter) (trustlens.Summary, error) {
	if err := f.record(flt); err != nil {
		return trustlens.Summary{}, err
	}
	if flt.To.Before(fakeNow.Add(-24 * time.Hour)) {
		return f.prev, nil
	}
	return f.summary, nil
}

func (f *pageFake) Incidents(ctx context.Context, flt trustlens.Filter) (trustlens.IncidentPage, error) {
	if err := f.record(flt); err != nil {
		return trustlens.IncidentPage{}, err
	}
	return trustlens.IncidentPage{Incidents: f.incidents, Total: int64(len(f.incidents))}, nil
}

func (f *pageFake) Incident(ctx context.Context, id string) (trustlens.IncidentDetail, error) {
	if f.slowDetail {
		<-ctx.Done()
		return trustlens.IncidentDetail{}, fmt.Errorf("fake: incident %q: %w", id, ctx.Err())
	}
	if f.err != nil {
		return trustlens.IncidentDetail{}, f.err
	}
	d, ok := f.details[id]
	if !ok {
		return d, fmt.Errorf("fake: incident %q: %w", id, trustlens.ErrNotFound)
	}
	return d, nil
}

// UpdatePoints reads the update points off the details' timelines.
func (f *pageFake) UpdatePoints(ctx context.Context, ids []string) (map[string][]time.Time, error) {
	if f.slowDetail {
		<-ctx.Done()
		return nil, fmt.Errorf("fake: update points: %w", ctx.Err())
	}
	if f.err != nil {
		return nil, f.err
	}
	out := map[string][]time.Time{}
	for _, id := range ids {
		if d, ok := f.details[id]; ok {
			out[id] = updatePointTimes(d)
		}
	}
	return out, nil
}

func (f *pageFake) Overdue(ctx context.Context) ([]trustlens.Overdue, error) {
	return f.overdue, f.err
}

func (f *pageFake) UpdatesDue(ctx context.Context) ([]trustlens.UpdateDue, error) {
	return f.due, f.err
}

func (f *pageFake) Churn(ctx context.Context, flt trustlens.Filter) (trustlens.Churn, error) {
	return f.churn, f.record(flt)
}

func (f *pageFake) Compensation(ctx context.Context, flt trustlens.Filter) (trustlens.Compensation, error) {
	return f.comp, f.record(flt)
}

func (f *pageFake) Trend(ctx context.Context, metric, interval string, flt trustlens.Filter) (trustlens.Trend, error) {
	f.mu.Lock()
	f.metrics = append(f.metrics, metric+"/"+interval)
	f.mu.Unlock()
	t := f.trend
	if m, ok := f.trends[metric]; ok {
		t = m
	}
	t.Metric, t.Interval = metric, interval
	return t, f.record(flt)
}

func (f *pageFake) Spread(ctx context.Context, flt trustlens.Filter, bounds []int64) (trustlens.Spread, error) {
	if err := f.record(flt); err != nil {
		return trustlens.Spread{}, err
	}
	return trustlens.SpreadOf(f.incidents, bounds), nil
}
