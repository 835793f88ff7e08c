// Package classify reads the habits of SPEC §7 from the words of a status
// update or postmortem: apology, taking responsibility, root cause,
// prevention steps and the promised next update, with the evidence for
// each.
package classify

import (
	"time"

	"github.com/trustlens/trustlens"
)

// Classifier is safe for concurrent use.
type Classifier struct{}

// New returns a classifier.
func New() *Classifier { return &Classifier{} }

// Classify reads text, sent at `at` (the anchor of relative promises such
// as "next update in 30 minutes").
func (c *Classifier) Classify(text string, at time.Time) trustlens.Classification {
	return trustlens.Classification{}
}
