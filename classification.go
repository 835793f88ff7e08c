package trustlens

import "time"

// Classification is what the message classifier (SPEC §7) reads from the
// text of an update: the four habit flags of a communication.sent event,
// the promised next update, and for each true flag the words that decided
// it, so that a person can see why.
type Classification struct {
	Apology             bool       `json:"apology"`
	TakesResponsibility bool       `json:"takes_responsibility"`
	RootCause           bool       `json:"root_cause"`
	PreventionSteps     bool       `json:"prevention_steps"`
	NextUpdateAt        *time.Time `json:"next_update_at"`
	// Evidence maps a flag's JSON name (the Evidence… keys below) to the
	// words of the text that decided it; only true flags (and a
	// found next_update_at) have an entry.
	Evidence map[string]string `json:"evidence"`
}

// The keys of Classification.Evidence: the JSON names of the flags.
const (
	EvidenceApology             = "apology"
	EvidenceTakesResponsibility = "takes_responsibility"
	EvidenceRootCause           = "root_cause"
	EvidencePreventionSteps     = "prevention_steps"
	EvidenceNextUpdateAt        = "next_update_at"
)
