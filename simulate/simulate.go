// Package simulate generates the events of a believable company (SPEC §1):
// customers signing up, incidents of every severity with their
// communications, compensation, follow-ups, feedback, tickets and churn.
// How the company behaves varies from incident to incident, and customers
// hit by an outage churn more where it behaved badly, so that the trust
// drivers of the dashboard show a real effect.
//
// Given the same Config (Seed and Now included) Run produces the same
// bytes. docs/simulation.md describes the model and its parameters.
package simulate

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/trustlens/trustlens"
)

// Config says what to simulate.
type Config struct {
	// Seed picks the company; the same Seed and Now give the same events.
	Seed int64
	// History is how far back the history starts: Run first sends every
	// event of [Now-History, Now) in time order, as fast as the sink
	// takes them. 0 means no history.
	History time.Duration
	// Live keeps going after the history, sending each event when the
	// clock reaches it, until the context ends.
	Live bool
	// Speed (live only) multiplies how often incidents, sign-ups and
	// unprompted customer activity happen. Each incident still unfolds on
	// the real clock, so its acknowledgement, updates and silences are
	// measured as in production. Default 1.
	Speed float64
	// Customers is the size of the customer base when the history starts
	// (default 2000); they sign up during its first day.
	Customers int
	// Now is the clock (default time.Now). History ends at its value when
	// Run starts; live mode reads it to know which events are due.
	Now func() time.Time
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
	// HistorySent, if set, is called once the history has been sent (and
	// flushed), before live mode starts.
	HistorySent func(Stats)
}

// Stats counts what Run sent.
type Stats struct {
	Events    int64                      // every event sent
	History   int64                      // events of the history part
	ByStream  map[trustlens.Stream]int64 // events per stream
	ByType    map[string]int64           // events per type
	Incidents int64                      // incidents detected
	Customers int64                      // customers signed up
	Churned   int64                      // customers churned
	From, To  time.Time                  // occurred_at of the first and last event sent
}

func (s Stats) clone() Stats {
	c := s
	c.ByStream = make(map[trustlens.Stream]int64, len(s.ByStream))
	for k, v := range s.ByStream {
		c.ByStream[k] = v
	}
	c.ByType = make(map[string]int64, len(s.ByType))
	for k, v := range s.ByType {
		c.ByType[k] = v
	}
	return c
}

// Sink receives the events: value is one JSON event for stream, key the
// incident_id (or customer_id where there is none).
type Sink interface {
	Send(ctx context.Context, stream trustlens.Stream, key string, value []byte) error
}

// Flusher is a Sink that buffers; Run flushes it at the end of the history
// and whenever live mode waits for the clock.
type Flusher interface {
	Flush(ctx context.Context) error
}

// DefaultCustomers is the customer base when Config.Customers is 0.
const DefaultCustomers = 2000

// Run simulates according to cfg and sends every event to sink. With
// cfg.Live it returns nil when ctx ends after the history has been sent.
func Run(ctx context.Context, cfg Config, sink Sink) (Stats, error) {
	s, err := newSim(cfg, sink)
	if err != nil {
		return Stats{}, err
	}
	return s.run(ctx)
}

// ---- the simulation: a discrete-event queue ----

type entryKind uint8

const (
	kEvent    entryKind = iota // send ev (dropped if guard and the customer has churned)
	kIncident                  // an incident arrival candidate, or a forced incident
	kSignup                    // the sign-up process: the next new customer
	kInitial                   // one customer of the initial base signs up
	kActivity                  // a customer's next unprompted ticket or feedback
	kChurn                     // a customer's scheduled churn (stale when rescheduled)
)

type entry struct {
	at     int64 // unix seconds
	seq    uint64
	kind   entryKind
	ev     *wire
	cust   *customer
	guard  bool
	forced *forcedIncident
}

type queue []*entry

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*entry)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

type customer struct {
	id          string
	seg         *segment
	plan        string
	mrr         float64
	region      string
	churned     bool
	churnAt     int64
	churnReason string
}

type sim struct {
	cfg   Config
	sink  Sink
	log   *slog.Logger
	seed  uint64
	base  uint64 // mixes seed and start time into event ids
	tag   string // run tag in incident and customer ids
	start int64  // history start (unix seconds)
	now   int64  // history end = live start
	speed float64

	q         queue
	seq       uint64
	customers []*customer
	arrivals  *rand.Rand // incident arrival process
	people    *rand.Rand // sign-ups and unprompted customer activity
	incidents int        // incidents planned so far
	counter   uint64     // events sent so far
	inLive    bool
	stats     Stats
	trace     func(incidentTrace) // tests: what each incident intended
}

func newSim(cfg Config, sink Sink) (*sim, error) {
	if sink == nil {
		return nil, errors.New("simulate: no sink")
	}
	if cfg.History < 0 {
		return nil, fmt.Errorf("simulate: history must not be negative, got %s", cfg.History)
	}
	if cfg.Customers < 0 {
		return nil, fmt.Errorf("simulate: customers must not be negative, got %d", cfg.Customers)
	}
	if cfg.Speed < 0 || math.IsNaN(cfg.Speed) || math.IsInf(cfg.Speed, 0) {
		return nil, fmt.Errorf("simulate: speed must be a positive number, got %g", cfg.Speed)
	}
	if cfg.Customers == 0 {
		cfg.Customers = DefaultCustomers
	}
	if cfg.Speed == 0 {
		cfg.Speed = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := cfg.Now().Unix()
	start := now - int64(cfg.History/time.Second)
	if start < 946684800 { // 2000-01-01: SPEC §1 rejects anything earlier
		return nil, fmt.Errorf("simulate: history of %s reaches before 2000-01-01", cfg.History)
	}
	seed := uint64(cfg.Seed)
	base := mix(mix(seed) ^ uint64(now))
	s := &sim{
		cfg: cfg, sink: sink, log: log, seed: seed, base: base,
		tag:   fmt.Sprintf("%04x", base>>48),
		start: start, now: now, speed: cfg.Speed,
		arrivals: rand.New(rand.NewPCG(seed, 1)),
		people:   rand.New(rand.NewPCG(seed, 2)),
		stats:    Stats{ByStream: map[trustlens.Stream]int64{}, ByType: map[string]int64{}},
	}
	s.schedule()
	return s, nil
}

// schedule seeds the queue: the initial customers, the sign-up and
// incident processes, and (live) the incidents in progress at the start.
func (s *sim) schedule() {
	spread := int64(day)
	if h := (s.now - s.start) / 10; h < spread {
		spread = h
	}
	for i := 0; i < s.cfg.Customers; i++ {
		at := s.start
		if spread > 0 {
			at += s.people.Int64N(spread)
		}
		s.push(&entry{at: at, kind: kInitial})
	}
	s.push(&entry{at: s.nextSignup(s.start), kind: kSignup})
	s.push(&entry{at: s.nextArrival(s.start), kind: kIncident})
	if s.cfg.Live {
		for _, f := range forcedIncidents {
			f := f
			at := s.now - minutes(f.before)
			if at < s.start {
				at = s.start
			}
			s.push(&entry{at: at, kind: kIncident, forced: &f})
		}
	}
}

func (s *sim) push(e *entry) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.q, e)
}

func (s *sim) event(at int64, w *wire) { s.push(&entry{at: at, kind: kEvent, ev: w}) }

func (s *sim) guarded(at int64, c *customer, w *wire) {
	s.push(&entry{at: at, kind: kEvent, ev: w, cust: c, guard: true})
}

// after is t plus d seconds of simulated time. In live mode the part that
// lies after the start of live is divided by the speed.
func (s *sim) after(t int64, d float64) int64 {
	end := float64(t) + d
	if !s.cfg.Live || end < float64(s.now) {
		return int64(end)
	}
	from := t
	if from < s.now {
		from = s.now
	}
	return from + int64((end-float64(from))/s.speed)
}

func (s *sim) nextSignup(t int64) int64 {
	rate := float64(s.cfg.Customers) * signupsPerMonth / month
	return s.after(t, expSeconds(s.people, rate)) + 1
}

func (s *sim) nextArrival(t int64) int64 {
	var rate float64
	for _, sv := range severities {
		rate += sv.perWeek
	}
	return s.after(t, expSeconds(s.arrivals, rate/(7*day))) + 1
}

// careAt is the company's average care at t: it improves over the
// history and stays at careEnd in live mode.
func (s *sim) careAt(t int64) float64 {
	if t >= s.now || s.now <= s.start {
		return careEnd
	}
	f := float64(t-s.start) / float64(s.now-s.start)
	return careStart + (careEnd-careStart)*f
}

func (s *sim) run(ctx context.Context) (Stats, error) {
	began := time.Now()
	for s.q.Len() > 0 && s.q[0].at < s.now {
		if err := ctx.Err(); err != nil {
			return s.stats.clone(), fmt.Errorf("simulate: history interrupted: %w", err)
		}
		if err := s.step(ctx); err != nil {
			return s.stats.clone(), err
		}
	}
	if err := s.flush(ctx); err != nil {
		return s.stats.clone(), err
	}
	s.stats.History = s.stats.Events
	s.log.Info("simulate: history sent",
		slog.Int64("events", s.stats.Events), slog.Int64("incidents", s.stats.Incidents),
		slog.Int64("customers", s.stats.Customers), slog.Duration("took", time.Since(began).Round(time.Millisecond)))
	if s.cfg.HistorySent != nil {
		s.cfg.HistorySent(s.stats.clone())
	}
	if !s.cfg.Live {
		return s.stats.clone(), nil
	}
	s.inLive = true
	s.log.Info("simulate: live", slog.Float64("speed", s.speed))
	const maxWait = 200 * time.Millisecond
	for {
		wait := time.Unix(s.q[0].at, 0).Sub(s.cfg.Now())
		if wait <= 0 {
			if err := s.step(ctx); err != nil {
				if ctx.Err() != nil {
					return s.stats.clone(), nil
				}
				return s.stats.clone(), err
			}
			continue
		}
		if err := s.flush(ctx); err != nil {
			if ctx.Err() != nil {
				return s.stats.clone(), nil
			}
			return s.stats.clone(), err
		}
		if wait > maxWait {
			wait = maxWait
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return s.stats.clone(), nil
		case <-t.C:
		}
	}
}

func (s *sim) flush(ctx context.Context) error {
	if f, ok := s.sink.(Flusher); ok {
		if err := f.Flush(ctx); err != nil {
			return fmt.Errorf("simulate: flush: %w", err)
		}
	}
	return nil
}

// step takes the earliest entry off the queue and carries it out.
func (s *sim) step(ctx context.Context) error {
	e := heap.Pop(&s.q).(*entry)
	switch e.kind {
	case kEvent:
		if e.guard && e.cust.churned {
			return nil
		}
		return s.send(ctx, e.at, e.ev)
	case kIncident:
		if e.forced != nil {
			s.planIncident(e.at, severityByName(e.forced.sev), e.forced)
			return nil
		}
		s.push(&entry{at: s.nextArrival(e.at), kind: kIncident})
		// thinning: fewer incidents at weekends
		if !chance(s.arrivals, weekendThinning(e.at)) {
			return nil
		}
		var total float64
		for _, sv := range severities {
			total += sv.perWeek
		}
		x := s.arrivals.Float64() * total
		sev := severities[len(severities)-1]
		for _, sv := range severities {
			if x < sv.perWeek {
				sev = sv
				break
			}
			x -= sv.perWeek
		}
		s.planIncident(e.at, sev, nil)
		return nil
	case kSignup:
		s.push(&entry{at: s.nextSignup(e.at), kind: kSignup})
		s.signUp(e.at)
		return nil
	case kInitial:
		s.signUp(e.at)
		return nil
	case kActivity:
		return s.activity(e.at, e.cust)
	case kChurn:
		c := e.cust
		if c.churned || c.churnAt != e.at {
			return nil // rescheduled
		}
		c.churned = true
		reason := c.churnReason
		if reason == "" {
			reason = pick(s.people, baselineReasons)
		}
		mrr := c.mrr
		return s.send(ctx, e.at, &wire{Type: trustlens.TypeCustomerChurned, CustomerID: c.id, MRR: &mrr, Reason: reason})
	}
	return nil
}

// signUp creates a customer, with their baseline churn and activity.
func (s *sim) signUp(at int64) {
	r := s.people
	seg := weightedSegment(r)
	p := weightedPlan(r, seg)
	c := &customer{
		id:     fmt.Sprintf("cus-%s-%05d", s.tag, len(s.customers)+1),
		seg:    segmentPtr(seg.name),
		plan:   p.name,
		mrr:    cents(logUniform(r, p.min, p.max)),
		region: weightedRegion(r),
	}
	s.customers = append(s.customers, c)
	mrr := c.mrr
	s.event(at, &wire{Type: trustlens.TypeCustomerSignedUp, CustomerID: c.id, Segment: seg.name, Plan: p.name, MRR: &mrr, Region: c.region})
	c.churnAt = s.after(at, expSeconds(r, baselineChurnPerMonth*seg.churnFactor/month)) + 1
	s.push(&entry{at: c.churnAt, kind: kChurn, cust: c})
	s.push(&entry{at: s.after(at, expSeconds(r, activityPerMonth/month)) + 1, kind: kActivity, cust: c})
}

func segmentPtr(name string) *segment {
	for i := range segments {
		if segments[i].name == name {
			return &segments[i]
		}
	}
	return &segments[0]
}

// activity is a customer's unprompted ticket or feedback.
func (s *sim) activity(at int64, c *customer) error {
	if c.churned {
		return nil
	}
	r := s.people
	s.push(&entry{at: s.after(at, expSeconds(r, activityPerMonth/month)) + 1, kind: kActivity, cust: c})
	if !chance(r, feedbackShare) {
		s.event(at, &wire{Type: trustlens.TypeCustomerTicketOpened, CustomerID: c.id})
		return nil
	}
	csat := 1 + pickWeighted(r, baselineCSAT)
	w := &wire{Type: trustlens.TypeCustomerFeedback, CustomerID: c.id, CSAT: csat}
	sent := sentimentOf(r, csat)
	w.Sentiment = &sent
	if chance(r, 0.3) {
		w.Comment = pick(r, plainComments)
	}
	s.event(at, w)
	return nil
}

func pickWeighted(r *rand.Rand, weights []float64) int {
	x := r.Float64()
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}

func sentimentOf(r *rand.Rand, csat int) float64 {
	v := clamp(float64(csat-3)/2*0.8+r.NormFloat64()*0.15, -1, 1)
	return math.Round(v*100) / 100
}

// send stamps an event with its id and time and hands it to the sink.
func (s *sim) send(ctx context.Context, at int64, w *wire) error {
	s.counter++
	w.EventID = s.eventID(s.counter)
	w.OccurredAt = unixRFC3339(at)
	b, err := json.Marshal(w)
	if err != nil {
		return fmt.Errorf("simulate: encode %s: %w", w.Type, err)
	}
	stream := trustlens.StreamOfType(w.Type)
	key := w.IncidentID
	if key == "" {
		key = w.CustomerID
	}
	if err := s.sink.Send(ctx, stream, key, b); err != nil {
		return fmt.Errorf("simulate: send %s event: %w", w.Type, err)
	}
	st := &s.stats
	st.Events++
	st.ByStream[stream]++
	st.ByType[w.Type]++
	t := time.Unix(at, 0).UTC()
	if st.From.IsZero() {
		st.From = t
	}
	st.To = t
	switch w.Type {
	case trustlens.TypeIncidentDetected:
		st.Incidents++
		if s.inLive {
			s.log.Info("simulate: incident detected", slog.String("incident_id", w.IncidentID), slog.String("severity", w.Severity), slog.String("title", w.Title))
		}
	case trustlens.TypeIncidentResolved:
		if s.inLive {
			s.log.Info("simulate: incident resolved", slog.String("incident_id", w.IncidentID))
		}
	case trustlens.TypeCustomerSignedUp:
		st.Customers++
	case trustlens.TypeCustomerChurned:
		st.Churned++
	}
	return nil
}

// eventID is a UUID-shaped id, unique within a run (the first 64 bits are
// a bijection of the counter) and different between seeds and start times.
func (s *sim) eventID(n uint64) string {
	hi := mix(s.base ^ n)
	lo := mix(hi ^ 0x5bd1e9955bd1e995)
	return fmt.Sprintf("%08x-%04x-%04x-%04x-%012x", hi>>32, (hi>>16)&0xffff, hi&0xffff, lo>>48, lo&0xffffffffffff)
}

// mix is SplitMix64's finaliser (a bijection on uint64).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// wire is the JSON form of every event type; empty fields are left out.
type wire struct {
	EventID             string   `json:"event_id"`
	Type                string   `json:"type"`
	OccurredAt          string   `json:"occurred_at"`
	IncidentID          string   `json:"incident_id,omitempty"`
	CustomerID          string   `json:"customer_id,omitempty"`
	Severity            string   `json:"severity,omitempty"`
	Title               string   `json:"title,omitempty"`
	Services            []string `json:"services,omitempty"`
	Regions             []string `json:"regions,omitempty"`
	Source              string   `json:"source,omitempty"`
	Status              string   `json:"status,omitempty"`
	Segment             string   `json:"segment,omitempty"`
	Plan                string   `json:"plan,omitempty"`
	MRR                 *float64 `json:"mrr,omitempty"`
	Channel             string   `json:"channel,omitempty"`
	Kind                string   `json:"kind,omitempty"`
	Audience            string   `json:"audience,omitempty"`
	Recipients          *int     `json:"recipients,omitempty"`
	Apology             bool     `json:"apology,omitempty"`
	TakesResponsibility bool     `json:"takes_responsibility,omitempty"`
	RootCause           bool     `json:"root_cause,omitempty"`
	PreventionSteps     bool     `json:"prevention_steps,omitempty"`
	NextUpdateAt        string   `json:"next_update_at,omitempty"`
	Body                string   `json:"body,omitempty"`
	CompensationType    string   `json:"compensation_type,omitempty"`
	Amount              *float64 `json:"amount,omitempty"`
	Currency            string   `json:"currency,omitempty"`
	CSAT                int      `json:"csat,omitempty"`
	Sentiment           *float64 `json:"sentiment,omitempty"`
	Comment             string   `json:"comment,omitempty"`
	Reason              string   `json:"reason,omitempty"`
	// Region is not a field of SPEC §1: it lands in the extra column.
	Region string `json:"region,omitempty"`
}

func unixRFC3339(t int64) string { return time.Unix(t, 0).UTC().Format(time.RFC3339) }
