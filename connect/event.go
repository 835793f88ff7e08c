// Package connect is `trustlens receive`: the webhooks of PagerDuty,
// Statuspage, Stripe and Zendesk (SPEC §6), checked for authenticity,
// mapped to the events of SPEC §1 and published on the broker, so that
// everything still flows broker → ingest → ClickHouse.
//
// Each vendor has its own file (its signature check and its mapping);
// server.go holds the routes and the answers, publish.go the Kafka side.
package connect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/trustlens/trustlens"
)

// Classifier reads the habits of SPEC §7 from the words of an update.
type Classifier interface {
	Classify(text string, at time.Time) trustlens.Classification
}

// Event is the wire form of one event of SPEC §1, as published.
type Event struct {
	EventID    string `json:"event_id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurred_at"`
	IncidentID string `json:"incident_id,omitempty"`
	CustomerID string `json:"customer_id,omitempty"`

	Severity string   `json:"severity,omitempty"`
	Title    string   `json:"title,omitempty"`
	Services []string `json:"services,omitempty"`
	Source   string   `json:"source,omitempty"`
	Status   string   `json:"status,omitempty"`

	Plan string   `json:"plan,omitempty"`
	MRR  *float64 `json:"mrr,omitempty"`

	Channel             string  `json:"channel,omitempty"`
	Kind                string  `json:"kind,omitempty"`
	Audience            string  `json:"audience,omitempty"`
	Apology             bool    `json:"apology,omitempty"`
	TakesResponsibility bool    `json:"takes_responsibility,omitempty"`
	RootCause           bool    `json:"root_cause,omitempty"`
	PreventionSteps     bool    `json:"prevention_steps,omitempty"`
	NextUpdateAt        *string `json:"next_update_at,omitempty"`
	Body                string  `json:"body,omitempty"`

	CompensationType string   `json:"compensation_type,omitempty"`
	Amount           *float64 `json:"amount,omitempty"`
	Currency         string   `json:"currency,omitempty"`
	CSAT             *int     `json:"csat,omitempty"`
	Comment          string   `json:"comment,omitempty"`
	Reason           string   `json:"reason,omitempty"`
}

// key is the message key of an event: its incident, else its customer.
func (e *Event) key() []byte {
	if e.IncidentID != "" {
		return []byte(e.IncidentID)
	}
	return []byte(e.CustomerID)
}

// encode is the event as one JSON message (no HTML escaping).
func (e *Event) encode() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(e); err != nil {
		return nil, fmt.Errorf("connect: encode %s: %w", e.EventID, err)
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// classified sets the habit flags and the promised next update of a
// communication from its body.
func (e *Event) classified(c Classifier, at time.Time) {
	if c == nil || e.Body == "" {
		return
	}
	got := c.Classify(e.Body, at)
	e.Apology = got.Apology
	e.TakesResponsibility = got.TakesResponsibility
	e.RootCause = got.RootCause
	e.PreventionSteps = got.PreventionSteps
	if got.NextUpdateAt != nil {
		s := stamp(*got.NextUpdateAt)
		e.NextUpdateAt = &s
	}
}

// mapping is what one delivery maps to: the events, and the reasons why
// parts of it could not be mapped (they go to the dead-letter topic with
// the raw delivery).
type mapping struct {
	events   []Event
	problems []string
}

func (m *mapping) problem(format string, args ...any) {
	m.problems = append(m.problems, fmt.Sprintf(format, args...))
}

// stamp is t in UTC as RFC 3339, whole seconds.
func stamp(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// parseTime reads an RFC 3339 time of a payload (fractional seconds and any
// offset allowed).
func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%s: missing", field)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: not an RFC 3339 time: %q", field, clipText(s, 60))
	}
	return t.UTC(), nil
}

// clipText cuts s to at most n characters.
func clipText(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n])
}

// Limits of SPEC §1 that vendor text may exceed: such text is cut.
const (
	maxTitle = 500
	maxBody  = 10000
)

// vendorID is a vendor id, which some vendors send as a number and
// others as a string.
type vendorID string

func (v *vendorID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case string(b) == "null":
		*v = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*v = vendorID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("an id must be a string or a number, got %s", clipText(string(b), 40))
	}
	*v = vendorID(n.String())
	return nil
}

// jsonError describes a payload that does not have the vendor's shape.
func jsonError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field + ": must be " + kindName(te.Type.Kind().String()) + ", got " + te.Value
	}
	return "payload: " + err.Error()
}

func kindName(k string) string {
	switch {
	case k == "struct" || k == "map":
		return "an object"
	case k == "slice":
		return "an array"
	case strings.HasPrefix(k, "int") || strings.HasPrefix(k, "float") || strings.HasPrefix(k, "uint"):
		return "a number"
	}
	return "a " + k
}

// unixTime reads Unix seconds.
func unixTime(n int64) time.Time { return time.Unix(n, 0).UTC() }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
