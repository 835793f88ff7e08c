// Package trustlens holds the types shared by every part of trustlens: the
// events of SPEC §1 with their validation, and the figures of SPEC §2 that
// analytics computes and the dashboard shows. It imports nothing of the
// project; ingest, analytics, dashboard and simulate all import it.
package trustlens

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Stream is one of the three event topics, without its prefix.
type Stream string

// The event streams and the dead-letter topic (append to the topic prefix).
const (
	Incidents         Stream = "incidents"
	Communications    Stream = "communications"
	CustomerResponses Stream = "customer-responses"
	DeadLetter        Stream = "dead-letter"
)

// Streams lists the three event streams in a fixed order.
var Streams = []Stream{Incidents, Communications, CustomerResponses}

// Table is the ClickHouse table that stores the events of s.
func (s Stream) Table() string {
	switch s {
	case Incidents:
		return "incident_events"
	case Communications:
		return "communication_events"
	case CustomerResponses:
		return "customer_events"
	}
	return ""
}

// StreamOfTopic finds the stream of a full topic name under prefix.
func StreamOfTopic(prefix, topic string) (Stream, bool) {
	s := Stream(strings.TrimPrefix(topic, prefix))
	if !strings.HasPrefix(topic, prefix) {
		return "", false
	}
	for _, k := range Streams {
		if s == k {
			return s, true
		}
	}
	return "", false
}

// MaxMessageBytes is the largest event accepted (SPEC §1).
const MaxMessageBytes = 64 << 10

// Event types (SPEC §1.2–1.4).
const (
	TypeIncidentDetected         = "incident.detected"
	TypeIncidentStatusChanged    = "incident.status_changed"
	TypeIncidentResolved         = "incident.resolved"
	TypeIncidentCustomerAffected = "incident.customer_affected"
	TypeCommunicationSent        = "communication.sent"
	TypeCustomerSignedUp         = "customer.signed_up"
	TypeCompensationOffered      = "customer.compensation_offered"
	TypeCompensationRedeemed     = "customer.compensation_redeemed"
	TypeCustomerFollowedUp       = "customer.followed_up"
	TypeCustomerFeedback         = "customer.feedback"
	TypeCustomerTicketOpened     = "customer.ticket_opened"
	TypeCustomerChurned          = "customer.churned"
)

// Event is one valid event of any type. Fields that a type does not have
// are left at their zero value; optional numbers are pointers so that
// "absent" and "zero" differ.
type Event struct {
	EventID    string
	Type       string
	OccurredAt time.Time // UTC, whole seconds
	IncidentID string
	CustomerID string

	// incident events
	Severity string
	Title    string
	Services []string
	Regions  []string
	Source   string
	Status   string

	// customer attributes (incident.customer_affected, customer.signed_up, customer.churned)
	Segment string
	Plan    string
	MRR     *float64

	// communication.sent (Channel also for customer.followed_up)
	Channel             string
	Kind                string
	Audience            string
	Recipients          *uint64
	Apology             bool
	TakesResponsibility bool
	RootCause           bool
	PreventionSteps     bool
	NextUpdateAt        *time.Time
	Body                string

	// customer responses
	CompensationType string
	Amount           *float64
	Currency         string
	CSAT             *uint8
	Sentiment        *float64
	Comment          string
	Reason           string

	// Extra holds the unknown fields as a compact JSON object ("{}" if none).
	Extra string
}

// Stream is the stream an event of this type belongs on.
func (e *Event) Stream() Stream { return StreamOfType(e.Type) }

// StreamOfType maps an event type to its stream ("" if unknown).
func StreamOfType(typ string) Stream {
	switch {
	case strings.HasPrefix(typ, "incident."):
		return Incidents
	case strings.HasPrefix(typ, "communication."):
		return Communications
	case strings.HasPrefix(typ, "customer."):
		return CustomerResponses
	}
	return ""
}

// Enumerations of SPEC §1.
var (
	Severities        = []string{"sev1", "sev2", "sev3", "sev4"}
	Statuses          = []string{"investigating", "identified", "monitoring"}
	CommChannels      = []string{"status_page", "email", "social", "website", "in_app", "sms"}
	CommKinds         = []string{"acknowledgement", "update", "resolution", "postmortem"}
	Audiences         = []string{"public", "affected"}
	CompensationTypes = []string{"credit", "discount", "extension"}
	FollowUpChannels  = []string{"email", "phone", "meeting", "chat"}
)

// field kinds understood by the decoder.
type fieldKind int

const (
	fString fieldKind = iota
	fStrings
	fNumber
	fInt
	fBool
	fTime
)

// fieldRule says how one field of one event type is read and checked.
type fieldRule struct {
	kind     fieldKind
	required bool
	oneOf    []string // allowed values (strings)
	minLen   int      // strings: minimum length in characters
	maxLen   int      // strings: maximum length in characters (0 = none)
	min, max float64  // numbers: inclusive bounds
	currency bool     // ISO 4217 code
}

var (
	ruleID       = fieldRule{kind: fString, minLen: 1, maxLen: 128}
	ruleIDReq    = fieldRule{kind: fString, required: true, minLen: 1, maxLen: 128}
	ruleText     = fieldRule{kind: fString}
	ruleMoney    = fieldRule{kind: fNumber, min: 0, max: math.MaxFloat64}
	ruleMoneyReq = fieldRule{kind: fNumber, required: true, min: 0, max: math.MaxFloat64}
	ruleBool     = fieldRule{kind: fBool}
)

// typeRules lists, per type, the fields it knows beyond the common ones.
var typeRules = map[string]map[string]fieldRule{
	TypeIncidentDetected: {
		"incident_id": ruleIDReq,
		"severity":    {kind: fString, required: true, oneOf: Severities},
		"title":       {kind: fString, maxLen: 500},
		"services":    {kind: fStrings},
		"regions":     {kind: fStrings},
		"source":      ruleText,
	},
	TypeIncidentStatusChanged: {
		"incident_id": ruleIDReq,
		"status":      {kind: fString, required: true, oneOf: Statuses},
	},
	TypeIncidentResolved: {
		"incident_id": ruleIDReq,
	},
	TypeIncidentCustomerAffected: {
		"incident_id": ruleIDReq,
		"customer_id": ruleIDReq,
		"segment":     ruleText,
		"mrr":         ruleMoney,
	},
	TypeCommunicationSent: {
		"incident_id":          ruleIDReq,
		"channel":              {kind: fString, required: true, oneOf: CommChannels},
		"kind":                 {kind: fString, required: true, oneOf: CommKinds},
		"audience":             {kind: fString, oneOf: Audiences},
		"recipients":           {kind: fInt, min: 0, max: 1 << 53},
		"apology":              ruleBool,
		"takes_responsibility": ruleBool,
		"root_cause":           ruleBool,
		"prevention_steps":     ruleBool,
		"next_update_at":       {kind: fTime},
		"body":                 {kind: fString, maxLen: 10000},
	},
	TypeCustomerSignedUp: {
		"customer_id": ruleIDReq,
		"segment":     ruleText,
		"plan":        ruleText,
		"mrr":         ruleMoney,
	},
	TypeCompensationOffered: {
		"customer_id":       ruleIDReq,
		"incident_id":       ruleIDReq,
		"compensation_type": {kind: fString, required: true, oneOf: CompensationTypes},
		"amount":            ruleMoneyReq,
		"currency":          {kind: fString, currency: true},
	},
	TypeCompensationRedeemed: {
		"customer_id": ruleIDReq,
		"incident_id": ruleIDReq,
		"amount":      ruleMoney,
	},
	TypeCustomerFollowedUp: {
		"customer_id": ruleIDReq,
		"incident_id": ruleIDReq,
		"channel":     {kind: fString, required: true, oneOf: FollowUpChannels},
	},
	TypeCustomerFeedback: {
		"customer_id": ruleIDReq,
		"csat":        {kind: fInt, min: 1, max: 5},
		"sentiment":   {kind: fNumber, min: -1, max: 1},
		"comment":     {kind: fString, maxLen: 10000},
	},
	TypeCustomerTicketOpened: {
		"customer_id": ruleIDReq,
	},
	TypeCustomerChurned: {
		"customer_id": ruleIDReq,
		"mrr":         ruleMoney,
		"reason":      ruleText,
	},
}

// typeSpec is the rules of one type with its non-common fields in a fixed
// order (for stable errors).
type typeSpec struct {
	rules              map[string]fieldRule
	fields             []namedRule
	incident, customer fieldRule // the rules of the common incident_id and customer_id
}

type namedRule struct {
	name string
	rule fieldRule
}

var typeSpecs = func() map[string]*typeSpec {
	out := map[string]*typeSpec{}
	for typ, rules := range typeRules {
		sp := &typeSpec{rules: rules, incident: ruleID, customer: ruleID}
		if r, ok := rules["incident_id"]; ok {
			sp.incident = r
		}
		if r, ok := rules["customer_id"]; ok {
			sp.customer = r
		}
		for f, r := range rules {
			if f != "incident_id" && f != "customer_id" {
				sp.fields = append(sp.fields, namedRule{f, r})
			}
		}
		sort.Slice(sp.fields, func(i, j int) bool { return sp.fields[i].name < sp.fields[j].name })
		out[typ] = sp
	}
	return out
}()

// Types lists every event type, sorted.
func Types() []string {
	out := make([]string, 0, len(typeRules))
	for t := range typeRules {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// ValidationError says which field of an event is wrong and why.
type ValidationError struct {
	Field  string // "" when the message as a whole is wrong
	Reason string
}

func (e *ValidationError) Error() string {
	if e.Field == "" {
		return e.Reason
	}
	return e.Field + ": " + e.Reason
}

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

var (
	minOccurredAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	maxStoredTime = time.Date(2106, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Decode parses and validates one message of stream s. now bounds
// occurred_at (at most 24 h ahead). The error is a *ValidationError naming
// the field and the offending value.
func Decode(s Stream, raw []byte, now time.Time) (Event, error) {
	if len(raw) > MaxMessageBytes {
		return Event{}, invalid("", "message is %d bytes, more than the limit of %d", len(raw), MaxMessageBytes)
	}
	if !utf8.Valid(raw) {
		return Event{}, invalid("", "message is not valid UTF-8")
	}
	return decode(s, string(raw), now)
}

// DecodeString is Decode for a message held in a string: the strings of
// the event are parts of raw (no copy), so they keep raw's memory alive.
func DecodeString(s Stream, raw string, now time.Time) (Event, error) {
	if len(raw) > MaxMessageBytes {
		return Event{}, invalid("", "message is %d bytes, more than the limit of %d", len(raw), MaxMessageBytes)
	}
	if !utf8.ValidString(raw) {
		return Event{}, invalid("", "message is not valid UTF-8")
	}
	return decode(s, raw, now)
}

func decode(s Stream, raw string, now time.Time) (Event, error) {
	var ev Event
	fields := fieldsPool.Get().(*jsonFields)
	defer func() {
		clear(fields.list)
		fields.src = ""
		fieldsPool.Put(fields)
	}()
	kind, err := parseJSONObject(raw, fields)
	if err != nil {
		return ev, invalid("", "not valid JSON: %v", err)
	}
	if kind != 0 {
		return ev, invalid("", "not a JSON object: got %s", jsonKind(kind))
	}

	id, err := readString(fields, "event_id", ruleIDReq)
	if err != nil {
		return ev, err
	}
	ev.EventID = id
	typ, err := readString(fields, "type", fieldRule{kind: fString, required: true})
	if err != nil {
		return ev, err
	}
	spec, ok := typeSpecs[typ]
	if !ok {
		return ev, invalid("type", "unknown event type %q", typ)
	}
	if got := StreamOfType(typ); got != s {
		return ev, invalid("type", "%q does not belong on the %s topic (it belongs on %s)", typ, s, got)
	}
	ev.Type = typ

	at, _, err := readTime(fields, "occurred_at", true)
	if err != nil {
		return ev, err
	}
	if at.Before(minOccurredAt) {
		return ev, invalid("occurred_at", "%s is before 2000-01-01", at.Format(time.RFC3339))
	}
	if at.After(now.Add(24 * time.Hour)) {
		return ev, invalid("occurred_at", "%s is more than 24 h in the future", at.Format(time.RFC3339))
	}
	ev.OccurredAt = at

	// incident_id and customer_id are common fields: checked everywhere,
	// required where the type says so.
	if ev.IncidentID, err = readString(fields, "incident_id", spec.incident); err != nil {
		return ev, err
	}
	if ev.CustomerID, err = readString(fields, "customer_id", spec.customer); err != nil {
		return ev, err
	}

	// the other fields of this type, in a fixed order for stable errors
	for _, f := range spec.fields {
		if err := ev.set(fields, f.name, f.rule); err != nil {
			return ev, err
		}
	}

	// defaults and cross-field rules
	if typ == TypeCommunicationSent && ev.Audience == "" {
		ev.Audience = "public"
	}
	if typ == TypeCompensationOffered && ev.Currency == "" {
		ev.Currency = "USD"
	}
	if typ == TypeCustomerFeedback && ev.CSAT == nil && ev.Sentiment == nil {
		return ev, invalid("csat", "a feedback event needs csat or sentiment (neither was given)")
	}

	ev.Extra, err = extraFields(fields)
	if err != nil {
		return ev, err
	}
	return ev, nil
}

// extraFields are the members Decode did not look up (every common field
// and every field of the type's rules is looked up before).
func extraFields(fields *jsonFields) (string, error) {
	unknown := 0
	for i := range fields.list {
		if !fields.list[i].known {
			unknown++
		}
	}
	if unknown == 0 {
		return "{}", nil
	}
	extra := make([]jsonField, 0, unknown)
	for _, f := range fields.list {
		if !f.known {
			extra = append(extra, f)
		}
	}
	// sorted by name; of repeated names the last wins (as in encoding/json)
	sort.SliceStable(extra, func(i, j int) bool { return extra[i].key < extra[j].key })
	// Written by hand rather than with json.Marshal, which would escape
	// <, > and & and so change the producer's text.
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, f := range extra {
		if i+1 < len(extra) && extra[i+1].key == f.key {
			continue
		}
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		writeJSONString(&buf, f.key)
		buf.WriteByte(':')
		if f.kind != '{' && f.kind != '[' {
			// a scalar has no insignificant space: kept as it is
			buf.WriteString(fields.raw(f))
			continue
		}
		if err := json.Compact(&buf, []byte(fields.raw(f))); err != nil {
			return "", invalid("", "unknown field %q cannot be kept: %s", clip(f.key), jsonErr(err))
		}
	}
	buf.WriteByte('}')
	return buf.String(), nil
}

// writeJSONString writes s as a JSON string without HTML escaping.
func writeJSONString(buf *bytes.Buffer, s string) {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		plain = s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"' && s[i] != '\\'
	}
	if plain { // printable ASCII needs no escape
		buf.WriteByte('"')
		buf.WriteString(s)
		buf.WriteByte('"')
		return
	}
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)           // a string always encodes
	buf.Truncate(buf.Len() - 1) // Encode appends a newline
}

// jsonKind names the kind of a JSON value for error messages.
func jsonKind(kind byte) string {
	switch kind {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func (ev *Event) set(fields *jsonFields, f string, r fieldRule) error {
	switch r.kind {
	case fString:
		v, err := readString(fields, f, r)
		if err != nil {
			return err
		}
		switch f {
		case "severity":
			ev.Severity = v
		case "title":
			ev.Title = v
		case "source":
			ev.Source = v
		case "status":
			ev.Status = v
		case "segment":
			ev.Segment = v
		case "plan":
			ev.Plan = v
		case "channel":
			ev.Channel = v
		case "kind":
			ev.Kind = v
		case "audience":
			ev.Audience = v
		case "body":
			ev.Body = v
		case "compensation_type":
			ev.CompensationType = v
		case "currency":
			ev.Currency = v
		case "comment":
			ev.Comment = v
		case "reason":
			ev.Reason = v
		}
	case fStrings:
		v, err := readStrings(fields, f)
		if err != nil {
			return err
		}
		if f == "services" {
			ev.Services = v
		} else {
			ev.Regions = v
		}
	case fNumber, fInt:
		v, err := readNumber(fields, f, r)
		if err != nil || v == nil {
			return err
		}
		switch f {
		case "mrr":
			ev.MRR = v
		case "amount":
			ev.Amount = v
		case "sentiment":
			ev.Sentiment = v
		case "recipients":
			n := uint64(*v)
			ev.Recipients = &n
		case "csat":
			n := uint8(*v)
			ev.CSAT = &n
		}
	case fBool:
		v, err := readBool(fields, f)
		if err != nil {
			return err
		}
		switch f {
		case "apology":
			ev.Apology = v
		case "takes_responsibility":
			ev.TakesResponsibility = v
		case "root_cause":
			ev.RootCause = v
		case "prevention_steps":
			ev.PreventionSteps = v
		}
	case fTime:
		t, ok, err := readTime(fields, f, r.required)
		if err != nil {
			return err
		}
		var v *time.Time
		if ok {
			v = &t
		}
		// the column is a DateTime: only 1970-01-01 … 2105 can be stored,
		// and a promise outside this century is a producer bug.
		if v != nil && (v.Before(minOccurredAt) || !v.Before(maxStoredTime)) {
			return invalid(f, "%s is outside 2000-01-01 … 2105-12-31", v.Format(time.RFC3339))
		}
		if f == "next_update_at" {
			ev.NextUpdateAt = v
		}
	}
	return nil
}

func readString(fields *jsonFields, f string, r fieldRule) (string, error) {
	raw, ok := fields.get(f)
	if !ok {
		if r.required {
			return "", invalid(f, "required field is missing")
		}
		return "", nil
	}
	v, err := fields.stringValue(raw)
	if err != nil {
		return "", invalid(f, "must be a string, got %s", clip(fields.raw(raw)))
	}
	if r.required && v == "" {
		return "", invalid(f, "must not be empty")
	}
	if r.minLen > 0 || r.maxLen > 0 {
		n := utf8.RuneCountInString(v)
		if r.minLen > 0 && n < r.minLen {
			return "", invalid(f, "must be %d to %d characters, got %q", r.minLen, r.maxLen, v)
		}
		if r.maxLen > 0 && n > r.maxLen {
			return "", invalid(f, "must be at most %d characters, got %d: %q", r.maxLen, n, clip(v))
		}
	}
	if r.oneOf != nil && !contains(r.oneOf, v) {
		return "", invalid(f, "must be one of %s, got %q", strings.Join(r.oneOf, ", "), clip(v))
	}
	if r.currency && !isCurrency(v) {
		return "", invalid(f, "not an ISO 4217 currency code: %q", clip(v))
	}
	return v, nil
}

func readStrings(fields *jsonFields, f string) ([]string, error) {
	raw, ok := fields.get(f)
	if !ok {
		return nil, nil
	}
	var v []*string
	if raw.kind != '[' || json.Unmarshal([]byte(fields.raw(raw)), &v) != nil {
		return nil, invalid(f, "must be a list of strings, got %s", clip(fields.raw(raw)))
	}
	out := make([]string, len(v))
	for i, s := range v {
		if s == nil {
			return nil, invalid(f, "must be a list of strings, got %s", clip(fields.raw(raw)))
		}
		out[i] = *s
	}
	return out, nil
}

func readNumber(fields *jsonFields, f string, r fieldRule) (*float64, error) {
	raw, ok := fields.get(f)
	if !ok {
		if r.required {
			return nil, invalid(f, "required field is missing")
		}
		return nil, nil
	}
	v, err := fields.numberValue(raw)
	if err != nil {
		if raw.kind == '0' {
			return nil, invalid(f, "number out of range: %s", clip(fields.raw(raw)))
		}
		return nil, invalid(f, "must be a number, got %s", clip(fields.raw(raw)))
	}
	if r.kind == fInt && v != math.Trunc(v) {
		return nil, invalid(f, "must be a whole number, got %s", clip(fields.raw(raw)))
	}
	if v < r.min || v > r.max {
		if r.max == math.MaxFloat64 {
			return nil, invalid(f, "must be ≥ %g, got %s", r.min, clip(fields.raw(raw)))
		}
		return nil, invalid(f, "must be between %g and %g, got %s", r.min, r.max, clip(fields.raw(raw)))
	}
	if v == 0 {
		v = 0 // no negative zero
	}
	return &v, nil
}

func readBool(fields *jsonFields, f string) (bool, error) {
	raw, ok := fields.get(f)
	if !ok {
		return false, nil
	}
	switch raw.kind {
	case 't':
		return true, nil
	case 'f':
		return false, nil
	}
	return false, invalid(f, "must be true or false, got %s", clip(fields.raw(raw)))
}

// readTime reads an RFC 3339 time as UTC whole seconds; ok is false when
// the field is absent.
func readTime(fields *jsonFields, f string, required bool) (t time.Time, ok bool, err error) {
	raw, ok := fields.get(f)
	if !ok {
		if required {
			return t, false, invalid(f, "required field is missing")
		}
		return t, false, nil
	}
	s, err := fields.stringValue(raw)
	if err != nil {
		return t, false, invalid(f, "not RFC 3339: %s", clip(fields.raw(raw)))
	}
	t, err = time.Parse(time.RFC3339, s)
	if err != nil {
		return t, false, invalid(f, "not RFC 3339: %q", clip(s))
	}
	return t.UTC().Truncate(time.Second), true, nil
}

func isCurrency(s string) bool {
	return len(s) == 3 && strings.Contains(iso4217, s+" ")
}

// iso4217 lists the ISO 4217 currency codes (current ones, funds and the
// X codes, plus a few recently withdrawn ones still seen in old systems).
const iso4217 = "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN BWP BYN BZD " +
	"CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD " +
	"HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD " +
	"MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR " +
	"RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS " +
	"UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XTS XUA XXX " +
	"YER ZAR ZMW ZWG ZWL "

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// clip shortens a value quoted in an error message.
func clip(s string) string {
	const max = 80
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max]) + "…"
}

func jsonErr(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}
