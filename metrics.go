package trustlens

import (
	"errors"
	"fmt"
	"time"
)

// The seven habits of SPEC §2.2, in the article's order.
const (
	HabitActSwiftly             = "act_swiftly"
	HabitTakeResponsibility     = "take_responsibility"
	HabitCommunicateProactively = "communicate_proactively"
	HabitApologize              = "apologize"
	HabitCompensate             = "compensate"
	HabitLearn                  = "learn"
	HabitFollowUp               = "follow_up"
)

// Habits lists the seven habits in order.
var Habits = []string{
	HabitActSwiftly, HabitTakeResponsibility, HabitCommunicateProactively,
	HabitApologize, HabitCompensate, HabitLearn, HabitFollowUp,
}

// Verdicts of a habit for one incident.
const (
	Met     = "met"
	Missed  = "missed"
	NA      = "n/a"
	Pending = "pending"
)

// Policy holds the thresholds of SPEC §2.4. It is echoed in every API answer.
type Policy struct {
	AckTarget              Duration            `json:"ack_target" yaml:"ack_target"`
	CadenceTarget          map[string]Duration `json:"cadence_target" yaml:"cadence_target"`
	MinChannels            int                 `json:"min_channels" yaml:"min_channels"`
	CompensationSeverities []string            `json:"compensation_severities" yaml:"compensation_severities"`
	CompensationCoverage   float64             `json:"compensation_coverage" yaml:"compensation_coverage"`
	PostmortemDays         int                 `json:"postmortem_days" yaml:"postmortem_days"`
	FollowupDays           int                 `json:"followup_days" yaml:"followup_days"`
	FollowupCoverage       float64             `json:"followup_coverage" yaml:"followup_coverage"`
	ChurnWindowDays        int                 `json:"churn_window_days" yaml:"churn_window_days"`
	PromiseGrace           Duration            `json:"promise_grace" yaml:"promise_grace"`
}

// DefaultPolicy is the policy of SPEC §2.4.
func DefaultPolicy() Policy {
	return Policy{
		AckTarget: Duration(30 * time.Minute),
		CadenceTarget: map[string]Duration{
			"sev1": Duration(60 * time.Minute), "sev2": Duration(120 * time.Minute),
			"sev3": Duration(240 * time.Minute), "sev4": Duration(480 * time.Minute),
		},
		MinChannels:            2,
		CompensationSeverities: []string{"sev1", "sev2"},
		CompensationCoverage:   0.5,
		PostmortemDays:         7,
		FollowupDays:           7,
		FollowupCoverage:       0.5,
		ChurnWindowDays:        30,
		PromiseGrace:           Duration(5 * time.Minute),
	}
}

// Duration is a time.Duration written as "30m" in YAML and JSON.
type Duration time.Duration

// Seconds is the duration in whole seconds.
func (d Duration) Seconds() int64 { return int64(time.Duration(d) / time.Second) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as Go writes it ("30m0s").
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads "30m", "2h", "90s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration such as 30m or 2h: %q", string(b))
	}
	*d = Duration(v)
	return nil
}

// Filter selects incidents for the API and the pages.
type Filter struct {
	From     time.Time // inclusive, detected_at
	To       time.Time // exclusive
	Severity string    // "" = all
	Status   string    // "", "open" or "resolved"
	Limit    int       // 0 = no limit
	Offset   int
}

// Incident is the per-incident figure set of SPEC §2.1–2.2 and §3.
type Incident struct {
	IncidentID           string            `json:"incident_id"`
	Title                string            `json:"title"`
	Severity             string            `json:"severity"`
	Status               string            `json:"status"`
	DetectedAt           time.Time         `json:"detected_at"`
	ResolvedAt           *time.Time        `json:"resolved_at"`
	TTASeconds           *int64            `json:"tta_seconds"`
	MaxSilenceSeconds    int64             `json:"max_silence_seconds"`
	Updates              int64             `json:"updates"`
	Channels             []string          `json:"channels"`
	Affected             int64             `json:"affected"`
	CompensationOffered  int64             `json:"compensation_offered"`
	CompensationRedeemed int64             `json:"compensation_redeemed"`
	FollowedUp           int64             `json:"followed_up"`
	ActiveAffected       *int64            `json:"active_affected"`
	ChurnedAffected      *int64            `json:"churned_affected"`
	ActiveBaseline       *int64            `json:"active_baseline"`
	ChurnedBaseline      *int64            `json:"churned_baseline"`
	TrustScore           *int64            `json:"trust_score"`
	Habits               map[string]string `json:"habits"`
	PromisesMade         int64             `json:"promises_made"`
	PromisesKept         int64             `json:"promises_kept"`
	PromisesBroken       int64             `json:"promises_broken"`
	// Tickets counts the distinct customer.ticket_opened events naming the
	// incident or attributed to it (SPEC §2.6).
	Tickets int64 `json:"tickets"`
	// CSATAvg is the mean csat of the feedback naming or attributed to the
	// incident; nil when none.
	CSATAvg *float64 `json:"csat_avg"`
}

// IncidentPage is the answer of GET /api/v1/incidents.
type IncidentPage struct {
	Incidents []Incident `json:"incidents"`
	Total     int64      `json:"total"`
}

// TimelineEvent is one event of an incident's timeline.
type TimelineEvent struct {
	EventID    string    `json:"event_id"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	CustomerID string    `json:"customer_id,omitempty"`
	// Detail is a short human description (channel and kind, status, amount…).
	Detail string `json:"detail"`
	// UpdatePoint is true for a communication that counts as an update point.
	UpdatePoint bool `json:"update_point"`
	// Message is what a communication said and the habits recorded with
	// it; nil for the other events.
	Message *Message `json:"message,omitempty"`
}

// Message is the words of a communication and the flags stored with it
// (SPEC §1.3; for connector deliveries read from the words by §7).
// Evidence is filled by the dashboard, never stored: per true flag, the
// words of Body that the classifier finds decided it.
type Message struct {
	Kind                string     `json:"kind"`    // acknowledgement, update, resolution or postmortem
	Channel             string     `json:"channel"` // status_page, email, …
	Body                string     `json:"body"`
	Apology             bool       `json:"apology"`
	TakesResponsibility bool       `json:"takes_responsibility"`
	RootCause           bool       `json:"root_cause"`
	PreventionSteps     bool       `json:"prevention_steps"`
	NextUpdateAt        *time.Time `json:"next_update_at"`
	// PromiseStatus is the state of the promise of NextUpdateAt
	// (PromiseKept, PromiseBroken or PromisePending, as the incident's
	// Promises give it); "" when the message promises nothing.
	PromiseStatus string            `json:"promise_status,omitempty"`
	Evidence      map[string]string `json:"evidence,omitempty"`
}

// IncidentDetail is the answer of GET /api/v1/incidents/{id}.
type IncidentDetail struct {
	Incident
	Timeline []TimelineEvent `json:"timeline"`
	// Gaps are the silences between consecutive instants of
	// [detected_at, update points…, end], in seconds.
	Gaps []int64 `json:"gaps"`
	// TicketTimes are the occurred_at of the tickets that count for the
	// incident (SPEC §2.6: naming it or attributed to it), in order: the
	// Tickets of the incident over time.
	TicketTimes []time.Time `json:"ticket_times"`
	// Promises are the promises of a next update made during the incident
	// (SPEC §2.1 "Promises kept"), in the order they were made: the
	// promises_made, promises_kept and promises_broken of its figures,
	// one by one.
	Promises []Promise `json:"promises"`
	// Due is, for an open incident, when its customers next expect to hear
	// (as GET /api/v1/cadence/due gives it); nil once resolved.
	Due *UpdateDue `json:"due"`
	// AffectedOffered counts the affected customers offered compensation:
	// the part of CompensationOffered the compensate habit counts.
	AffectedOffered int64 `json:"affected_offered"`
}

// Promise states of SPEC §2.1.
const (
	PromiseKept    = "kept"
	PromiseBroken  = "broken"
	PromisePending = "pending"
)

// Promise is one promise of a next update: a distinct next_update_at among
// an incident's communications, made when the earliest communication
// carrying it was sent. It is kept when an update point follows that send
// and falls at or before Due + promise_grace; pending while now is not
// past that; otherwise broken.
type Promise struct {
	Due    time.Time `json:"due"`     // the promised time of the next update
	MadeAt time.Time `json:"made_at"` // when the earliest communication carrying it was sent
	MadeBy string    `json:"made_by"` // that communication's event_id
	Status string    `json:"status"`  // PromiseKept, PromiseBroken or PromisePending
	// NextUpdateAt is the first update point after MadeAt: the one that
	// kept the promise, or the late one that followed a broken or pending
	// promise; nil while none has come.
	NextUpdateAt *time.Time `json:"next_update_at"`
	// LateSeconds is how long after Due the next update came (0 when it
	// came on time or has not come).
	LateSeconds int64 `json:"late_seconds"`
}

// Summary is the answer of GET /api/v1/summary (SPEC §3).
type Summary struct {
	Incidents                     int64    `json:"incidents"`
	OpenIncidents                 int64    `json:"open_incidents"`
	IncompleteIncidents           int64    `json:"incomplete_incidents"`
	TTAMedianSeconds              *int64   `json:"tta_median_seconds"`
	TTAP90Seconds                 *int64   `json:"tta_p90_seconds"`
	AckWithinTargetRate           *float64 `json:"ack_within_target_rate"`
	CadenceComplianceRate         *float64 `json:"cadence_compliance_rate"`
	MaxSilenceMedianSeconds       *int64   `json:"max_silence_median_seconds"`
	MultiChannelRate              *float64 `json:"multi_channel_rate"`
	ResponsibilityRate            *float64 `json:"responsibility_rate"`
	ApologyRate                   *float64 `json:"apology_rate"`
	PostmortemRate                *float64 `json:"postmortem_rate"`
	CompensationOfferedCustomers  int64    `json:"compensation_offered_customers"`
	CompensationRedeemedCustomers int64    `json:"compensation_redeemed_customers"`
	CompensationUptakeRate        *float64 `json:"compensation_uptake_rate"`
	CompensationOfferedAmount     float64  `json:"compensation_offered_amount"`
	CompensationRedeemedAmount    float64  `json:"compensation_redeemed_amount"`
	FollowupRate                  *float64 `json:"followup_rate"`
	ChurnWindowDays               int      `json:"churn_window_days"`
	ChurnAffectedRate             *float64 `json:"churn_affected_rate"`
	ChurnBaselineRate             *float64 `json:"churn_baseline_rate"`
	ChurnUpliftPP                 *float64 `json:"churn_uplift_pp"`
	TrustScoreAvg                 *float64 `json:"trust_score_avg"`
	PromiseKeptRate               *float64 `json:"promise_kept_rate"`
	TicketsPerIncident            *float64 `json:"tickets_per_incident"`
	CSATAffectedAvg               *float64 `json:"csat_affected_avg"`
	CSATBaselineAvg               *float64 `json:"csat_baseline_avg"`
	TicketsPerHourSilent          *float64 `json:"tickets_per_hour_silent"`
	TicketsPerHourUpdated         *float64 `json:"tickets_per_hour_updated"`
	Policy                        Policy   `json:"policy"`
}

// Overdue is one open incident past its cadence target.
type Overdue struct {
	IncidentID     string    `json:"incident_id"`
	Title          string    `json:"title"`
	Severity       string    `json:"severity"`
	DetectedAt     time.Time `json:"detected_at"`
	LastUpdateAt   time.Time `json:"last_update_at"`
	SilenceSeconds int64     `json:"silence_seconds"`
	TargetSeconds  int64     `json:"target_seconds"`
}

// Why an open incident's next update is due (UpdateDue.By).
const (
	DueByPromise = "promise" // a pending promise of a next update
	DueByCadence = "cadence" // the severity's cadence target
)

// UpdateDue is when the customers of an open incident next expect to hear
// (GET /api/v1/cadence/due): the earlier of the time a pending promise
// named and the moment the incident becomes overdue.
type UpdateDue struct {
	IncidentID string    `json:"incident_id"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	DetectedAt time.Time `json:"detected_at"`
	// LastUpdateAt is the latest of detection and the last update point.
	LastUpdateAt time.Time `json:"last_update_at"`
	// CadenceDueAt is LastUpdateAt + the severity's cadence target
	// (TargetSeconds): past it the incident is overdue (SPEC §2.1).
	CadenceDueAt  time.Time `json:"cadence_due_at"`
	TargetSeconds int64     `json:"target_seconds"`
	// PromisedAt is the earliest promised next update still pending (not
	// kept, and now not past it + promise_grace); nil when none.
	PromisedAt *time.Time `json:"promised_at"`
	// DueAt is the earlier of PromisedAt and CadenceDueAt; By says which
	// (DueByPromise on a tie).
	DueAt time.Time `json:"due_at"`
	By    string    `json:"by"`
	// SecondsLeft is DueAt − now, negative once DueAt has passed.
	SecondsLeft int64 `json:"seconds_left"`
	// Overdue is true once the incident is past its cadence target.
	Overdue bool `json:"overdue"`
}

// ChurnGroup is pooled churn over a set of non-pending incidents.
type ChurnGroup struct {
	Incidents       int64    `json:"incidents"`
	ActiveAffected  int64    `json:"active_affected"`
	ChurnedAffected int64    `json:"churned_affected"`
	ActiveBaseline  int64    `json:"active_baseline"`
	ChurnedBaseline int64    `json:"churned_baseline"`
	AffectedRate    *float64 `json:"affected_rate"`
	BaselineRate    *float64 `json:"baseline_rate"`
	UpliftPP        *float64 `json:"uplift_pp"`
}

// DriverSide is pooled affected churn over incidents where a habit was met
// (or missed).
type DriverSide struct {
	Incidents       int64    `json:"incidents"`
	ActiveAffected  int64    `json:"active_affected"`
	ChurnedAffected int64    `json:"churned_affected"`
	ChurnRate       *float64 `json:"churn_rate"`
}

// Driver compares churn where a habit was met with where it was missed.
type Driver struct {
	Habit  string     `json:"habit"`
	Met    DriverSide `json:"met"`
	Missed DriverSide `json:"missed"`
}

// Churn is the answer of GET /api/v1/churn.
type Churn struct {
	ChurnWindowDays  int                   `json:"churn_window_days"`
	PendingIncidents int64                 `json:"pending_incidents"`
	ChurnGroup                             // pooled over all non-pending incidents
	BySeverity       map[string]ChurnGroup `json:"by_severity"`
	Drivers          []Driver              `json:"drivers"` // in the order of Habits
	CompensationPays                       // does compensation pay? (customer.go)
	LostMRR                                // the monthly revenue the churn took
	Policy           Policy                `json:"policy"`
}

// LostMRR is the monthly recurring revenue lost with the churn of the
// churn answer (SPEC §1.4: customer.churned carries the lost MRR), over
// the non-pending incidents in range, each customer counted once however
// many incidents they count for. A customer's lost MRR is the mrr of
// their earliest customer.churned (ties: smallest event_id); 0 when it
// carries none (counted in the _unknown figures).
type LostMRR struct {
	// LostMRRAffected sums it over the affected customers who churned in
	// the churn window of an incident (active at its resolved_at, churned
	// in (resolved_at, resolved_at + churn_window_days]).
	LostMRRAffected float64 `json:"lost_mrr_affected"`
	// LostMRRAffectedCustomers counts those customers;
	// LostMRRAffectedUnknown those of them whose churn carries no mrr.
	LostMRRAffectedCustomers int64 `json:"lost_mrr_affected_customers"`
	LostMRRAffectedUnknown   int64 `json:"lost_mrr_affected_unknown"`
	// LostMRRBaseline and its counts are the same over the baseline:
	// customers who churned in the window of an incident that did not
	// affect them (and were active at its resolved_at), less those counted
	// among the affected: the two sides never share a customer.
	LostMRRBaseline          float64 `json:"lost_mrr_baseline"`
	LostMRRBaselineCustomers int64   `json:"lost_mrr_baseline_customers"`
	LostMRRBaselineUnknown   int64   `json:"lost_mrr_baseline_unknown"`
}

// CompensationFigures are offered/redeemed counts and amounts.
type CompensationFigures struct {
	OfferedCustomers  int64    `json:"offered_customers"`
	RedeemedCustomers int64    `json:"redeemed_customers"`
	OfferedAmount     float64  `json:"offered_amount"`
	RedeemedAmount    float64  `json:"redeemed_amount"`
	UptakeRate        *float64 `json:"uptake_rate"`
	// MedianDaysToRedeem is the median time from offer to redemption.
	MedianDaysToRedeem *float64 `json:"median_days_to_redeem"`
}

// Compensation is the answer of GET /api/v1/compensation.
type Compensation struct {
	CompensationFigures
	ByType           map[string]CompensationFigures `json:"by_type"`
	CompensationPays                                // does compensation pay? (customer.go)
	Policy           Policy                         `json:"policy"`
}

// TrendPoint is one bucket of a trend.
type TrendPoint struct {
	Start time.Time `json:"start"`
	Value *float64  `json:"value"`
}

// Trend is the answer of GET /api/v1/trends.
type Trend struct {
	Metric   string       `json:"metric"`
	Interval string       `json:"interval"`
	Points   []TrendPoint `json:"points"`
	Policy   Policy       `json:"policy"`
}

// ErrNotFound is returned when an incident (or another named thing) does not exist.
var ErrNotFound = errors.New("not found")

// TrendMetrics are the summary figures a trend can follow (GET /api/v1/trends?metric=).
var TrendMetrics = []string{
	"incidents", "open_incidents", "tta_median_seconds", "tta_p90_seconds",
	"ack_within_target_rate", "cadence_compliance_rate", "max_silence_median_seconds",
	"multi_channel_rate", "responsibility_rate", "apology_rate", "postmortem_rate",
	"compensation_offered_customers", "compensation_redeemed_customers",
	"compensation_uptake_rate", "compensation_offered_amount", "compensation_redeemed_amount",
	"followup_rate", "churn_affected_rate", "churn_baseline_rate", "churn_uplift_pp",
	"trust_score_avg", "promise_kept_rate",
	"tickets_per_incident", "csat_affected_avg", "csat_baseline_avg",
	"tickets_per_hour_silent", "tickets_per_hour_updated",
}

// TrendIntervals are the bucket widths of a trend.
var TrendIntervals = []string{"day", "week", "month"}

// Spread is how the incidents of a filter spread over the habits' verdicts
// and over time to acknowledge: what the overview's charts draw.
type Spread struct {
	Incidents int64
	// Verdicts counts the incidents by habit (every one of Habits) and
	// verdict (only those that occur).
	Verdicts map[string]map[string]int64
	// AckWithin[i] counts the incidents acknowledged within
	// AckBounds[i] seconds (TTASeconds ≤ the bound); Acknowledged, all
	// that were acknowledged.
	AckBounds    []int64
	AckWithin    []int64
	Acknowledged int64
}

// SpreadOf is the Spread of incidents over the acknowledgement bounds.
func SpreadOf(incidents []Incident, bounds []int64) Spread {
	sp := Spread{Incidents: int64(len(incidents)), Verdicts: map[string]map[string]int64{},
		AckBounds: bounds, AckWithin: make([]int64, len(bounds))}
	for _, h := range Habits {
		sp.Verdicts[h] = map[string]int64{}
	}
	for i := range incidents {
		inc := &incidents[i]
		for h, v := range inc.Habits {
			if m := sp.Verdicts[h]; m != nil && v != "" {
				m[v]++
			}
		}
		if inc.TTASeconds == nil {
			continue
		}
		sp.Acknowledged++
		for k, b := range bounds {
			if *inc.TTASeconds <= b {
				sp.AckWithin[k]++
			}
		}
	}
	return sp
}
