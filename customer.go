package trustlens

import "time"

// The support manager's worklist of SPEC §3 (GET /api/v1/customers).

// Needs values of CustomerFilter.Needs.
const (
	NeedsAll      = "all"
	NeedsFollowUp = "follow_up"
)

// ApologyFatigueWindow and ApologyFatigueCount: a customer shows apology
// fatigue when ApologyFatigueCount incidents that apologized to them were
// detected within one window of this length.
const (
	ApologyFatigueWindow = 90 * 24 * time.Hour
	ApologyFatigueCount  = 3
)

// CustomerFilter selects the worklist: the incidents detected in
// [From, To) of Severity ("" = all), the customers they affected, and
// with Needs = NeedsFollowUp only those with a follow-up due.
type CustomerFilter struct {
	Filter        // Status is not used
	Needs  string // "", NeedsAll or NeedsFollowUp
}

// Customer is one row of the worklist: one customer affected by incidents
// in range.
type Customer struct {
	CustomerID string `json:"customer_id"`
	Segment    string `json:"segment"`
	// MRR is the latest mrr on the customer's customer.signed_up or
	// incident.customer_affected events (any time); null when none.
	MRR           *float64 `json:"mrr"`
	Incidents     int64    `json:"incidents"`
	IncidentIDs   []string `json:"incident_ids"` // by detected_at, then id
	OpenIncidents int64    `json:"open_incidents"`
	// FollowedUp counts the incidents with a customer.followed_up for this
	// customer (at any time).
	FollowedUp int64 `json:"followed_up"`
	// FollowUpDue counts the resolved incidents with no follow-up yet
	// whose resolved_at + followup_days has not passed.
	FollowUpDue int64 `json:"follow_up_due"`
	// FollowUpMissed counts the resolved incidents with no follow-up
	// whose resolved_at + followup_days has passed.
	FollowUpMissed       int64 `json:"follow_up_missed"`
	CompensationOffered  int64 `json:"compensation_offered"`
	CompensationRedeemed int64 `json:"compensation_redeemed"`
	// ApologizedIncidents counts the incidents whose communications
	// apologized.
	ApologizedIncidents int64 `json:"apologized_incidents"`
	// ApologyFatigue: ApologyFatigueCount apologized incidents were
	// detected within one ApologyFatigueWindow.
	ApologyFatigue bool `json:"apology_fatigue"`
	// Tickets counts the customer's customer.ticket_opened events naming
	// one of the incidents.
	Tickets int64 `json:"tickets"`
	// CSATAvg is the mean csat of the customer's feedback naming one of
	// the incidents; null when none.
	CSATAvg   *float64   `json:"csat_avg"`
	ChurnedAt *time.Time `json:"churned_at"`
}

// CustomerPage is a page of the worklist and the number of rows before
// paging.
type CustomerPage struct {
	Customers []Customer `json:"customers"`
	Total     int64      `json:"total"`
}

// CustomerIncident is one incident that affected a customer, with what
// happened between them.
type CustomerIncident struct {
	IncidentID  string     `json:"incident_id"`
	Title       string     `json:"title"`
	Severity    string     `json:"severity"`
	Status      string     `json:"status"`
	DetectedAt  time.Time  `json:"detected_at"`
	ResolvedAt  *time.Time `json:"resolved_at"`
	Apologized  bool       `json:"apologized"`
	FollowedUp  bool       `json:"followed_up"`
	FollowUpAt  *time.Time `json:"follow_up_at"`
	FollowUp    string     `json:"follow_up"` // "done", "due", "missed" or "open"
	Offered     bool       `json:"compensation_offered"`
	Redeemed    bool       `json:"compensation_redeemed"`
	Tickets     int64      `json:"tickets"`
	CSATAvg     *float64   `json:"csat_avg"`
	TrustScore  *int64     `json:"trust_score"`
	MaxSilence  int64      `json:"max_silence_seconds"`
	CadenceKept bool       `json:"cadence_kept"`
}

// CustomerDetail is one customer's row (over the range) and every incident
// in range that affected them, oldest first.
type CustomerDetail struct {
	Customer
	Timeline []CustomerIncident `json:"timeline"`
}

// CompensationPays answers SPEC §2.3 "Does compensation pay?": over the
// non-pending resolved incidents in range, each incident's affected
// customers active at resolved_at, split into those offered compensation
// for it and the rest, with their pooled churn in the churn window. It is
// an association, like the trust drivers: customers are not offered
// compensation at random.
type CompensationPays struct {
	CompensatedActive      int64    `json:"compensated_active"`
	CompensatedChurned     int64    `json:"compensated_churned"`
	UncompensatedActive    int64    `json:"uncompensated_active"`
	UncompensatedChurned   int64    `json:"uncompensated_churned"`
	ChurnCompensatedRate   *float64 `json:"churn_compensated_rate"`
	ChurnUncompensatedRate *float64 `json:"churn_uncompensated_rate"`
	// CompensatedMRR is Σ MRR of the offered customers (one term per
	// incident and customer); CompensatedAmount Σ the amounts offered to
	// them.
	CompensatedMRR    float64 `json:"compensated_mrr"`
	CompensatedAmount float64 `json:"compensated_offered_amount"`
	// RetainedMRRPerAmount = (uncompensated − compensated rate) ×
	// CompensatedMRR ÷ CompensatedAmount; null when either sum is 0 or a
	// rate is null.
	RetainedMRRPerAmount *float64 `json:"retained_mrr_per_amount"`
}
