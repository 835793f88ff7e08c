package analytics

// Tickets and satisfaction (SPEC §2.6). A customer.ticket_opened or
// customer.feedback naming an incident counts for it; one naming none is
// attributed to every incident that affected its customer and whose window
// [detected_at, (resolved_at or now) + 24 h] holds its occurred_at.
//
// At load, ClickHouse pairs each (deduplicated) ticket and rated feedback
// with the snapshot incidents it names or may be attributed to (the
// affected pairs whose window could hold it); the answers apply the clock
// here, since an open incident's window ends at now + 24 h.

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/trustlens/trustlens"
)

// attribWindow is how long after its resolution (or now) an incident still
// collects the untagged tickets and feedback of its affected customers.
const attribWindow = 24 * 3600

// custEvent is one deduplicated ticket, or feedback with a csat.
type custEvent struct {
	ts     int64
	cust   string
	ticket bool
	named  bool // names an incident
	cs     float64
	cands  []*preRow // untagged: the incidents it may be attributed to
}

// counts says whether e counts for incident r at now: it names r (the
// caller's list holds it only then) or lies in r's window.
func (e *custEvent) counts(r *preRow, now int64) bool {
	if e.named {
		return true
	}
	end := now
	if r.isRes {
		end = r.resTS
	}
	return e.ts >= r.det && e.ts <= end+attribWindow
}

// attributed says whether untagged e counts for some incident at now.
func (e *custEvent) attributed(now int64) bool {
	for _, r := range e.cands {
		if e.counts(r, now) {
			return true
		}
	}
	return false
}

// ticketsSQL is one row per (event, incident it names or may be attributed
// to): eid, is_t, e_cs, e_ts, inc_w (empty for an untagged feedback no
// incident's window could hold: kept for the baseline), named, e_cust. Each event_id
// counts once (its first stored copy); feedback without a csat is left out.
func ticketsSQL(b builder, t snapTables) string {
	const cols = "event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, toUInt8(isNotNull(csat)) AS has_cs, toFloat64(ifNull(csat, 0)) AS cs"
	const kinds = "type IN ('customer.ticket_opened', 'customer.feedback')"
	const rated = "(type = 'customer.ticket_opened' OR has_cs = 1)"
	return `SELECT toString(event_id) AS eid, toUInt8(type = 'customer.ticket_opened') AS is_t, toFloat64(cs) AS e_cs, toInt64(ts) AS e_ts,
  toString(incident_id) AS inc_w, toUInt8(1) AS named, toString(customer_id) AS e_cust
FROM (` + b.dedup("customer_events", cols, kinds+" AND incident_id != ''") + `)
WHERE ` + kinds + ` AND incident_id != '' AND ` + rated + ` AND incident_id IN (SELECT incident_id FROM ` + t.incidents + `)
UNION ALL
SELECT eid, is_t, e_cs, e_ts, if(hit = 1 AND e_ts >= i_det AND (i_res = 0 OR e_ts <= i_rts + ` + num(attribWindow) + `), inc, '') AS inc_w, toUInt8(0) AS named, cust AS e_cust
FROM (
  SELECT toString(event_id) AS eid, toUInt8(type = 'customer.ticket_opened') AS is_t, toFloat64(cs) AS e_cs, toInt64(ts) AS e_ts, toString(customer_id) AS cust
  FROM (` + b.dedup("customer_events", cols, kinds+" AND incident_id = ''") + `)
  WHERE ` + kinds + ` AND incident_id = '' AND ` + rated + `
) AS ev_
ALL LEFT JOIN (
  SELECT toString(customer_id) AS cust, toString(incident_id) AS inc, toInt64(det) AS i_det, toUInt8(is_res) AS i_res, toInt64(res_ts) AS i_rts, toUInt8(1) AS hit
  FROM (SELECT incident_id, customer_id FROM ` + t.pairs + ` WHERE is_aff = 1) AS pp_
  ALL INNER JOIN (SELECT incident_id, det, is_res, res_ts FROM ` + t.incidents + `) AS ii_ USING (incident_id)
) AS cand_ USING (cust)
WHERE inc_w != '' OR is_t = 0`
}

// loadTickets reads the tickets and rated feedback of snap's incidents
// into memory (after the rows).
func (s *Store) loadTickets(ctx context.Context, snap *snapshot) error {
	rows, err := s.conn.Query(ctx, ticketsSQL(s.builder(), snapTables{pairs: snap.pairs, incidents: snap.incidents}))
	if err != nil {
		return fmt.Errorf("load snapshot tickets: %w", err)
	}
	defer rows.Close()
	byEID := map[string]*custEvent{}
	for rows.Next() {
		var (
			eid, inc   string
			cust       string
			isT, named uint8
			cs         float64
			ts         int64
		)
		if err := rows.Scan(&eid, &isT, &cs, &ts, &inc, &named, &cust); err != nil {
			return fmt.Errorf("load snapshot tickets: %w", err)
		}
		e := byEID[eid]
		if e == nil {
			e = &custEvent{ts: ts, cust: cust, ticket: isT == 1, named: named == 1, cs: cs}
			byEID[eid] = e
			if !e.named && !e.ticket {
				snap.feedback = append(snap.feedback, e)
			}
		}
		r := snap.byID[inc]
		if r == nil {
			continue
		}
		r.cevs = append(r.cevs, e)
		if !e.named {
			e.cands = append(e.cands, r)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load snapshot tickets: %w", err)
	}
	slices.SortFunc(snap.feedback, func(a, b *custEvent) int { return cmp.Compare(a.ts, b.ts) })
	return nil
}

// ticketsOf are incident r's tickets at now and the sum and count of the
// csat of its feedback.
func ticketsOf(r *preRow, now int64) (tickets, csN int64, csSum float64) {
	return countEvents(r.cevs, r, now, nil)
}

// countEvents counts the events of evs that count for incident r at now:
// the tickets, and the count and sum of the csat of the feedback; with
// seen, only those not in it yet, which it adds.
func countEvents(evs []*custEvent, r *preRow, now int64, seen map[*custEvent]bool) (tickets, csN int64, csSum float64) {
	for _, e := range evs {
		if !e.counts(r, now) {
			continue
		}
		if seen != nil && !e.named { // a named event is in one incident's list only
			if seen[e] {
				continue
			}
			seen[e] = true
		}
		if e.ticket {
			tickets++
		} else {
			csN++
			csSum += e.cs
		}
	}
	return tickets, csN, csSum
}

// ticketTimes are the instants of incident r's tickets at now, in order.
func ticketTimes(r *preRow, now int64) []time.Time {
	out := []time.Time{}
	for _, e := range r.cevs {
		if e.ticket && e.counts(r, now) {
			out = append(out, time.Unix(e.ts, 0).UTC())
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// setTickets fills the §2.6 fields of inc, the API form of r, at now.
func setTickets(inc *trustlens.Incident, r *preRow, now int64) {
	t, n, sum := ticketsOf(r, now)
	inc.Tickets = t
	if n > 0 {
		v := sum / float64(n)
		inc.CSATAvg = &v
	}
}

// ticketAgg is what a resolved incident's tickets and rated feedback give
// the summary, computed once at load: clock-free, as its window ends at
// resolved_at + 24 h and its silences at resolved_at. (Summed per request
// they took ~45 ms per answer at the SPEC's size.)
type ticketAgg struct {
	tickets    int64
	namedN     int64
	namedSum   float64
	untaggedFB []*custEvent // its untagged rated feedback, which other incidents may count too
	cost       silenceCost
}

// aggregateTickets sets the ticketAgg of snap's resolved incidents.
func (snap *snapshot) aggregateTickets() {
	for _, r := range snap.rows {
		if !r.isRes {
			continue
		}
		a := &ticketAgg{}
		for _, e := range r.cevs {
			if !e.counts(r, 0) { // resolved: the clock is not read
				continue
			}
			switch {
			case e.ticket:
				a.tickets++
			case e.named:
				a.namedN++
				a.namedSum += e.cs
			default:
				a.untaggedFB = append(a.untaggedFB, e)
			}
		}
		a.cost.add(r, 0)
		r.tk = a
	}
}

// setTicketSummary fills the §2.6 summary fields of sum for the incidents
// rows (those in range, of the severity) and the range [from, to) (0:
// unbounded) at now. Feedback named or attributed to several incidents in
// range counts once.
func (snap *snapshot) setTicketSummary(sum *trustlens.Summary, rows []*preRow, from, to, now int64) {
	var tickets, affN int64
	var affSum float64
	var c silenceCost
	// Not countEvents: here a ticket counts for every incident it falls
	// in, and only untagged feedback counts once.
	var seen map[*custEvent]bool
	once := func(e *custEvent) bool { // first time untagged e counts here
		if seen == nil {
			seen = map[*custEvent]bool{}
		}
		if seen[e] {
			return false
		}
		seen[e] = true
		return true
	}
	for _, r := range rows {
		if a := r.tk; a != nil {
			tickets += a.tickets
			affN += a.namedN
			affSum += a.namedSum
			for _, e := range a.untaggedFB {
				if once(e) {
					affN++
					affSum += e.cs
				}
			}
			c.merge(a.cost)
			continue
		}
		for _, e := range r.cevs {
			if !e.counts(r, now) {
				continue
			}
			switch {
			case e.ticket:
				tickets++
			case e.named: // in one incident's list only
				affN++
				affSum += e.cs
			case once(e):
				affN++
				affSum += e.cs
			}
		}
		c.add(r, now)
	}
	if len(rows) > 0 {
		v := float64(tickets) / float64(len(rows))
		sum.TicketsPerIncident = &v
	}
	sum.TicketsPerHourSilent = ratio(float64(c.silentT), float64(c.silentS)/3600)
	sum.TicketsPerHourUpdated = ratio(float64(c.updatedT), float64(c.updatedS)/3600)
	sum.CSATAffectedAvg = ratio(affSum, float64(affN))
	var baseN int64
	var baseSum float64
	fb := snap.feedback // sorted by ts
	if from != 0 {
		fb = fb[sort.Search(len(fb), func(i int) bool { return fb[i].ts >= from }):]
	}
	if to != 0 {
		fb = fb[:sort.Search(len(fb), func(i int) bool { return fb[i].ts >= to })]
	}
	for _, e := range fb {
		if e.attributed(now) {
			continue
		}
		baseN++
		baseSum += e.cs
	}
	sum.CSATBaselineAvg = ratio(baseSum, float64(baseN))
}

// ticketTrend fills the points of out, a trend of one of ticketMetrics
// over f at now: each bucket's value is that of the summary of the
// bucket's range (clipped to f's), so csat_baseline_avg has a value in a
// bucket with feedback but no incident. Without f.From the trend starts
// at the bucket of the first incident or rated feedback.
func (snap *snapshot) ticketTrend(out trustlens.Trend, f trustlens.Filter, now int64) (trustlens.Trend, error) {
	first, last := f.From.UTC(), f.To.UTC().Add(-time.Second)
	if f.From.IsZero() {
		var t0 int64 = math.MaxInt64
		if len(snap.rows) > 0 {
			t0 = snap.rows[0].det
		}
		if len(snap.feedback) > 0 {
			t0 = min(t0, snap.feedback[0].ts)
		}
		if t0 == math.MaxInt64 {
			return out, nil
		}
		first = time.Unix(t0, 0).UTC()
	}
	if f.To.IsZero() {
		t1 := int64(math.MinInt64)
		if len(snap.rows) > 0 {
			t1 = snap.rows[len(snap.rows)-1].det
		}
		if len(snap.feedback) > 0 {
			t1 = max(t1, snap.feedback[len(snap.feedback)-1].ts)
		}
		last = time.Unix(t1, 0).UTC()
	}
	n := 0
	for t := bucketStart(first, out.Interval); !t.After(last); t, n = nextBucket(t, out.Interval), n+1 {
		if n >= maxTrendBuckets {
			return out, fmt.Errorf("analytics: trend: more than %d %s buckets: narrow the range", maxTrendBuckets, out.Interval)
		}
		bf := f
		bf.From, bf.To = t, nextBucket(t, out.Interval)
		if !f.From.IsZero() && bf.From.Before(f.From) {
			bf.From = f.From
		}
		if !f.To.IsZero() && bf.To.After(f.To) {
			bf.To = f.To
		}
		var sum trustlens.Summary
		snap.setTicketSummary(&sum, snap.selectRows(bf), bf.From.Unix(), bf.To.Unix(), now)
		v, err := metricValue(sum, out.Metric)
		if err != nil {
			return out, fmt.Errorf("analytics: trend: %w", err)
		}
		out.Points = append(out.Points, trustlens.TrendPoint{Start: t, Value: v})
	}
	return out, nil
}

// silenceCost sums the cost of silence (SPEC §2.6) over incidents: the
// tickets opened in [detected_at, end] (end: resolved_at or now) while the
// incident had been silent (since detection or its last update point)
// longer than its cadence target, and the seconds spent so; and the same
// for the rest of [detected_at, end]. A ticket counts for each incident it
// names or is attributed to; tickets after end count in neither. Incidents
// of a severity without a cadence target count nowhere.
type silenceCost struct {
	silentT, updatedT int64 // tickets
	silentS, updatedS int64 // seconds
}

func (c *silenceCost) merge(o silenceCost) {
	c.silentT += o.silentT
	c.updatedT += o.updatedT
	c.silentS += o.silentS
	c.updatedS += o.updatedS
}

func (c *silenceCost) add(r *preRow, now int64) {
	if r.sevIdx < 0 {
		return
	}
	end := now
	if r.isRes {
		end = r.resTS
	}
	if end < r.det {
		return
	}
	// the update points in (det, end], and the silent seconds between them
	pts := make([]int64, 0, len(r.ptsIn)+1)
	pts = append(pts, r.det)
	for _, x := range r.ptsIn {
		if x <= end {
			pts = append(pts, x)
		}
	}
	var silent int64
	for i, a := range pts {
		b := end
		if i+1 < len(pts) {
			b = pts[i+1]
		}
		silent += max(0, b-a-r.cadence)
	}
	c.silentS += silent
	c.updatedS += end - r.det - silent
	for _, e := range r.cevs {
		if !e.ticket || e.ts < r.det || e.ts > end || !e.counts(r, now) {
			continue
		}
		last := r.det
		for _, x := range pts {
			if x <= e.ts {
				last = x
			}
		}
		if e.ts-last > r.cadence {
			c.silentT++
		} else {
			c.updatedT++
		}
	}
}
