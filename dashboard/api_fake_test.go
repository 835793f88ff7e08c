package dashboard

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// apiFake is an in-memory implementation of the Analytics interface with
// fixed answers; it records the last filter it was asked for.
type apiFake struct {
	mu       sync.Mutex
	policy   trustlens.Policy
	pingErr  error
	err      error // returned by every figure method when set
	panicMsg string

	summary trustlens.Summary
	page    trustlens.IncidentPage
	details map[string]trustlens.IncidentDetail
	overdue []trustlens.Overdue
	due     []trustlens.UpdateDue
	churn   trustlens.Churn
	comp    trustlens.Compensation
	trend   trustlens.Trend

	// block, when set, makes Summary wait for it (or the context) after
	// signalling started.
	block   chan struct{}
	started chan struct{}
	// waitCtx makes Summary wait for the request context to end.
	waitCtx bool

	filter   trustlens.Filter
	metric   string
	interval string
	calls    int
}

func (f *apiFake) record(flt trustlens.Filter) error {
	f.mu.Lock()
	f.filter = flt
	f.calls++
	f.mu.Unlock()
	if f.panicMsg != "" {
		panic(f.panicMsg)
	}
	return f.err
}

func (f *apiFake) lastFilter() trustlens.Filter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.filter
}

func (f *apiFake) Policy() trustlens.Policy { return f.policy }

func (f *apiFake) Ping(ctx context.Context) error { return f.pingErr }

func (f *apiFake) Summary(ctx context.Context, flt trustlens.Filter) (trustlens.Summary, error) {
	if f.block != nil {
		f.started <- struct{}{}
		select {
		case <-f.block:
		case <-ctx.Done():
			return trustlens.Summary{}, ctx.Err()
		}
	}
	if f.waitCtx {
		<-ctx.Done()
		return trustlens.Summary{}, ctx.Err()
	}
	return f.summary, f.record(flt)
}

func (f *apiFake) Incidents(ctx context.Context, flt trustlens.Filter) (trustlens.IncidentPage, error) {
	return f.page, f.record(flt)
}

func (f *apiFake) Incident(ctx context.Context, id string) (trustlens.IncidentDetail, error) {
	if err := f.record(trustlens.Filter{}); err != nil {
		return trustlens.IncidentDetail{}, err
	}
	d, ok := f.details[id]
	if !ok {
		return d, fmt.Errorf("analytics: incident %q: %w", id, trustlens.ErrNotFound)
	}
	return d, nil
}

func (f *apiFake) UpdatePoints(ctx context.Context, ids []string) (map[string][]time.Time, error) {
	return map[string][]time.Time{}, nil
}

func (f *apiFake) Overdue(ctx context.Context) ([]trustlens.Overdue, error) {
	return f.overdue, f.record(trustlens.Filter{})
}

func (f *apiFake) UpdatesDue(ctx context.Context) ([]trustlens.UpdateDue, error) {
	return f.due, f.record(trustlens.Filter{})
}

func (f *apiFake) Churn(ctx context.Context, flt trustlens.Filter) (trustlens.Churn, error) {
	return f.churn, f.record(flt)
}

func (f *apiFake) Compensation(ctx context.Context, flt trustlens.Filter) (trustlens.Compensation, error) {
	return f.comp, f.record(flt)
}

func (f *apiFake) Trend(ctx context.Context, metric, interval string, flt trustlens.Filter) (trustlens.Trend, error) {
	f.mu.Lock()
	f.metric, f.interval = metric, interval
	f.mu.Unlock()
	return f.trend, f.record(flt)
}

// Fixture: a fixed clock and a small data set whose answers are written
// out by hand in the tests.
var (
	apiNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	cet    = time.FixedZone("CET", 3600)
)

func i64(v int64) *int64        { return &v }
func f64(v float64) *float64    { return &v }
func tm(t time.Time) *time.Time { return &t }

func apiIncidentA() trustlens.Incident {
	return trustlens.Incident{
		IncidentID: "inc-1", Title: "API down, EU", Severity: "sev1", Status: "resolved",
		DetectedAt:           time.Date(2026, 11, 3, 15, 0, 0, 0, cet), // 14:00Z
		ResolvedAt:           tm(time.Date(2026, 11, 3, 16, 0, 0, 0, time.UTC)),
		TTASeconds:           i64(300),
		MaxSilenceSeconds:    3600,
		Updates:              3,
		Channels:             []string{"email", "status_page"},
		Affected:             2,
		CompensationOffered:  1,
		CompensationRedeemed: 0,
		FollowedUp:           1,
		ActiveAffected:       i64(2),
		ChurnedAffected:      i64(1),
		ActiveBaseline:       i64(10),
		ChurnedBaseline:      i64(1),
		TrustScore:           i64(71),
		Habits: map[string]string{
			"act_swiftly": "met", "take_responsibility": "met", "communicate_proactively": "met",
			"apologize": "met", "compensate": "missed", "learn": "met", "follow_up": "missed",
		},
		PromisesMade: 1, PromisesKept: 1, Tickets: 3, CSATAvg: f64(4.5),
	}
}

func apiIncidentB() trustlens.Incident {
	return trustlens.Incident{
		IncidentID: "inc-2", Title: `=SUM(A1,"x")`, Severity: "sev3", Status: "open",
		DetectedAt: time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC),
		Habits: map[string]string{
			"act_swiftly": "pending", "take_responsibility": "pending", "communicate_proactively": "pending",
			"apologize": "pending", "compensate": "n/a", "learn": "pending", "follow_up": "n/a",
		},
	}
}

func newAPIFake() *apiFake {
	d := trustlens.IncidentDetail{
		Incident: apiIncidentA(),
		Timeline: []trustlens.TimelineEvent{
			{EventID: "e1", Type: "incident.detected", OccurredAt: time.Date(2026, 11, 3, 14, 0, 0, 0, time.UTC), Detail: "sev1"},
			{EventID: "e2", Type: "communication.sent", OccurredAt: time.Date(2026, 11, 3, 15, 5, 0, 0, cet), Detail: "status_page, acknowledgement", UpdatePoint: true},
			{EventID: "e3", Type: "incident.customer_affected", OccurredAt: time.Date(2026, 11, 3, 14, 6, 0, 0, time.UTC), CustomerID: "c-1", Detail: "enterprise"},
		},
		Gaps:        []int64{300, 3600, 3300},
		TicketTimes: []time.Time{time.Date(2026, 11, 3, 14, 10, 0, 0, time.UTC), time.Date(2026, 11, 3, 16, 30, 0, 0, cet)},
		Promises: []trustlens.Promise{{Due: time.Date(2026, 11, 3, 15, 35, 0, 0, cet), MadeAt: time.Date(2026, 11, 3, 15, 5, 0, 0, cet), MadeBy: "e2",
			Status: trustlens.PromiseBroken}},
	}
	return &apiFake{
		policy: trustlens.DefaultPolicy(),
		summary: trustlens.Summary{
			Incidents: 2, OpenIncidents: 1, IncompleteIncidents: 1,
			TTAMedianSeconds: i64(300), TTAP90Seconds: i64(300),
			AckWithinTargetRate: f64(0.5), CompensationOfferedCustomers: 1,
			CompensationOfferedAmount: 12.5, ChurnWindowDays: 30, ChurnUpliftPP: f64(-2.5),
			TicketsPerIncident: f64(1.5), CSATAffectedAvg: f64(3.25), TicketsPerHourUpdated: f64(0.75),
		},
		page:    trustlens.IncidentPage{Incidents: []trustlens.Incident{apiIncidentA(), apiIncidentB()}, Total: 7},
		details: map[string]trustlens.IncidentDetail{"inc-1": d},
		overdue: []trustlens.Overdue{{
			IncidentID: "inc-2", Title: "Slow, logins", Severity: "sev3",
			DetectedAt:     time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC),
			LastUpdateAt:   time.Date(2026, 12, 1, 1, 0, 0, 0, cet),
			SilenceSeconds: 43200, TargetSeconds: 14400,
		}},
		due: []trustlens.UpdateDue{{
			IncidentID: "inc-3", Title: "Search slow", Severity: "sev2",
			DetectedAt:   time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC),
			LastUpdateAt: time.Date(2026, 12, 1, 10, 10, 0, 0, cet),
			CadenceDueAt: time.Date(2026, 12, 1, 11, 10, 0, 0, time.UTC), TargetSeconds: 7200,
			PromisedAt: ptrTime(time.Date(2026, 12, 1, 10, 40, 0, 0, cet)),
			DueAt:      time.Date(2026, 12, 1, 9, 40, 0, 0, time.UTC),
			By:         trustlens.DueByPromise, SecondsLeft: 600,
		}},
		churn: trustlens.Churn{
			ChurnWindowDays: 30, PendingIncidents: 1,
			ChurnGroup: trustlens.ChurnGroup{Incidents: 1, ActiveAffected: 2, ChurnedAffected: 1, ActiveBaseline: 10,
				ChurnedBaseline: 1, AffectedRate: f64(0.5), BaselineRate: f64(0.1), UpliftPP: f64(40)},
			BySeverity: map[string]trustlens.ChurnGroup{
				"sev1": {Incidents: 1, ActiveAffected: 2, ChurnedAffected: 1, ActiveBaseline: 10,
					ChurnedBaseline: 1, AffectedRate: f64(0.5), BaselineRate: f64(0.1), UpliftPP: f64(40)},
			},
			Drivers: []trustlens.Driver{{Habit: "apologize",
				Met:    trustlens.DriverSide{Incidents: 1, ActiveAffected: 2, ChurnedAffected: 1, ChurnRate: f64(0.5)},
				Missed: trustlens.DriverSide{}}},
			CompensationPays: trustlens.CompensationPays{CompensatedActive: 1, UncompensatedActive: 1, UncompensatedChurned: 1,
				ChurnCompensatedRate: f64(0), ChurnUncompensatedRate: f64(1), CompensatedMRR: 100, CompensatedAmount: 20,
				RetainedMRRPerAmount: f64(5)},
			LostMRR: trustlens.LostMRR{LostMRRAffected: 1250.5, LostMRRAffectedCustomers: 2, LostMRRAffectedUnknown: 1,
				LostMRRBaseline: 99, LostMRRBaselineCustomers: 1},
		},
		comp: trustlens.Compensation{
			CompensationFigures: trustlens.CompensationFigures{OfferedCustomers: 3, RedeemedCustomers: 1,
				OfferedAmount: 30, RedeemedAmount: 10, UptakeRate: f64(1.0 / 3)},
			ByType: map[string]trustlens.CompensationFigures{
				"discount": {OfferedCustomers: 1, OfferedAmount: 10, UptakeRate: f64(0)},
				"credit":   {OfferedCustomers: 2, RedeemedCustomers: 1, OfferedAmount: 20, RedeemedAmount: 10, UptakeRate: f64(0.5), MedianDaysToRedeem: f64(2.5)},
			},
			CompensationPays: trustlens.CompensationPays{CompensatedActive: 1, UncompensatedActive: 1, UncompensatedChurned: 1,
				ChurnCompensatedRate: f64(0), ChurnUncompensatedRate: f64(1), CompensatedMRR: 100, CompensatedAmount: 20,
				RetainedMRRPerAmount: f64(5)},
		},
		trend: trustlens.Trend{Metric: "apology_rate", Interval: "week", Points: []trustlens.TrendPoint{
			{Start: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), Value: f64(0.5)},
			{Start: time.Date(2026, 11, 9, 1, 0, 0, 0, cet), Value: nil},
		}},
	}
}

// newAPIServer builds a server on fake with the fixed clock; tweak adjusts
// the config.
func newAPIServer(t *testing.T, fake *apiFake, tweak func(*Config)) *Server {
	t.Helper()
	cfg := Config{Now: func() time.Time { return apiNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if tweak != nil {
		tweak(&cfg)
	}
	return New(fake, cfg)
}

// apiDo sends a request to the server and returns the recorded answer.
func apiDo(t *testing.T, s *Server, method, target string, body io.Reader, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, body)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

// policyJSON is the default policy as the API writes it.
func policyJSON(t *testing.T) string {
	t.Helper()
	b, err := json.Marshal(trustlens.DefaultPolicy())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// assertJSON compares a JSON body with the expected document (POLICY in
// want stands for the default policy), ignoring key order and spacing.
func assertJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	want = strings.ReplaceAll(want, "POLICY", policyJSON(t))
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("expected document is not JSON: %v\n%s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		var gb, wb bytes.Buffer
		_ = json.Indent(&gb, got, "", "  ")
		_ = json.Indent(&wb, []byte(want), "", "  ")
		t.Errorf("JSON differs\n got: %s\nwant: %s", gb.String(), wb.String())
	}
}

type httptestRecorder = httptest.ResponseRecorder

func (f *apiFake) Spread(ctx context.Context, flt trustlens.Filter, bounds []int64) (trustlens.Spread, error) {
	return trustlens.SpreadOf(f.page.Incidents, bounds), f.record(flt)
}

func ptrTime(t time.Time) *time.Time { return &t }
