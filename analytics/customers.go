package analytics

// The support manager's worklist (SPEC §3, GET /api/v1/customers): the
// customers affected by incidents in range, what each is owed and how
// often they were let down.
//
// Everything is read once per snapshot (loadWorklist): the incident
// figures and the (incident, customer) pairs from the snapshot's tables
// (built from the duplicate-safe state tables); the customers' MRR,
// segment and churn from the event tables (duplicate-safe: see attrsSQL);
// the tickets and CSAT as SPEC §2.6 counts them for the incident (named or
// attributed, tickets.go), those of the pair's customer. An answer walks
// only the incidents in range, applies the clock and builds the rows of
// its page.

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/trustlens/trustlens"
)

// Customers is the worklist of f: the customers affected by the complete
// incidents detected in [f.From, f.To) of f.Severity, ordered by
// follow_up_due descending, then mrr descending (unknown last), then
// customer_id; with f.Needs = follow_up only those with a follow-up due.
// Total counts the rows before paging.
func (s *Store) Customers(ctx context.Context, f trustlens.CustomerFilter) (trustlens.CustomerPage, error) {
	return shared(s, ctx, "customers", filterKey(f.Filter)+"|"+f.Needs, func(ctx context.Context) (trustlens.CustomerPage, error) {
		return s.customers(ctx, f)
	})
}

// Customer is one customer's worklist row over f's range and the incidents
// in it that affected them, oldest first. It wraps trustlens.ErrNotFound
// when no incident in range affected the customer.
func (s *Store) Customer(ctx context.Context, id string, f trustlens.Filter) (trustlens.CustomerDetail, error) {
	return shared(s, ctx, "customer", strconv.Quote(id)+"|"+filterKey(f), func(ctx context.Context) (trustlens.CustomerDetail, error) {
		return s.customer(ctx, id, f)
	})
}

// checkCustomerFilter rejects a worklist filter that cannot be answered.
func checkCustomerFilter(f trustlens.CustomerFilter) error {
	switch f.Needs {
	case "", trustlens.NeedsAll, trustlens.NeedsFollowUp:
	default:
		return fmt.Errorf("needs must be follow_up or all, got %q", f.Needs)
	}
	f.Status = ""
	return checkFilter(f.Filter)
}

// custPair is one (incident, customer) pair of an affected customer.
type custPair struct {
	r                 *preRow
	rec               *custRec
	pos               int32 // rec.pos, at hand
	cust              string
	offered, redeemed bool
	followedUp        bool
	fuAt              int64
	cevs              []*custEvent // the customer's tickets and rated feedback naming r or maybe attributed to it
}

// tickets are p's tickets at now and the sum and count of the csat of its
// feedback; with seen, only the events not in it yet, which it adds.
func (p *custPair) tickets(now int64, seen map[*custEvent]bool) (tickets, csN int64, csSum float64) {
	return countEvents(p.cevs, p.r, now, seen)
}

// custAttrs are what the events say about a customer, at any time.
type custAttrs struct {
	segment string
	hasMRR  bool
	mrr     float64
	churned bool
	churnTS int64
}

// loadWorklist reads every affected pair of snap's incidents, with its
// compensation and follow-up, and what the events say of their customers,
// once per snapshot (after loadTickets, whose events it hands to the
// pairs): the worklist's answers are then work in memory, as every other
// figure's (at the SPEC's size a query per request took over 10 s).
func (s *Store) loadWorklist(ctx context.Context, snap *snapshot) error {
	const affected = "is_aff = 1"
	rows, err := s.queryPairs(ctx, snap, func(t snapTables) string {
		return `SELECT toString(incident_id), toString(customer_id), toUInt8(n_off > 0), toUInt8(n_off > 0 AND n_red > 0),
  toUInt8(n_fu > 0), toInt64(fu_at)
FROM ` + t.pairs + `
WHERE ` + affected + `
ORDER BY incident_id, customer_id`
	})
	if err != nil {
		return fmt.Errorf("load worklist pairs: %w", err)
	}
	defer rows.Close()
	var all []custPair
	for rows.Next() {
		var (
			inc          string
			off, red, fu uint8
			p            custPair
		)
		if err := rows.Scan(&inc, &p.cust, &off, &red, &fu, &p.fuAt); err != nil {
			return fmt.Errorf("load worklist pairs: %w", err)
		}
		if p.r = snap.byID[inc]; p.r == nil { // pairs of incomplete incidents count nowhere
			continue
		}
		p.offered, p.redeemed, p.followedUp = off == 1, red == 1, fu == 1
		all = append(all, p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load worklist pairs: %w", err)
	}
	rows.Close()
	// each incident's pairs side by side in all (which grows no more, so
	// pointers into it stay valid): an answer walks them without chasing
	// a pointer per pair
	slices.SortFunc(all, func(a, b custPair) int { return cmp.Or(cmp.Compare(a.r.id, b.r.id), cmp.Compare(a.cust, b.cust)) })
	byID := map[string]*custRec{}
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].r == all[i].r {
			j++
		}
		all[i].r.aff = all[i:j:j]
		i = j
	}
	for i := range all {
		p := &all[i]
		rec := byID[p.cust]
		if rec == nil {
			rec = &custRec{id: p.cust}
			byID[p.cust] = rec
		}
		p.rec = rec
		rec.pairs = append(rec.pairs, p)
	}
	for _, r := range snap.rows {
		if len(r.aff) == 0 || len(r.cevs) == 0 {
			continue
		}
		byCust := map[string][]*custEvent{}
		for _, e := range r.cevs {
			byCust[e.cust] = append(byCust[e.cust], e)
		}
		for i := range r.aff {
			r.aff[i].cevs = byCust[r.aff[i].cust]
		}
	}

	// MRR and segment (latest), churn (earliest), at any time
	b := s.builder()
	arows, err := s.queryPairs(ctx, snap, func(t snapTables) string {
		custs := "customer_id IN (SELECT customer_id FROM " + t.pairs + " WHERE " + affected + ")"
		return `SELECT toString(customer_id), toString(seg_v), toUInt8(has_mrr), toFloat64(mrr_v), toUInt8(has_ch), toInt64(ch_at)
FROM (` + attrsSQL(b, custs) + `)`
	})
	if err != nil {
		return fmt.Errorf("load worklist customers: %w", err)
	}
	defer arows.Close()
	for arows.Next() {
		var (
			cust          string
			a             custAttrs
			hasMRR, hasCh uint8
		)
		if err := arows.Scan(&cust, &a.segment, &hasMRR, &a.mrr, &hasCh, &a.churnTS); err != nil {
			return fmt.Errorf("load worklist customers: %w", err)
		}
		a.hasMRR, a.churned = hasMRR == 1, hasCh == 1
		if rec := byID[cust]; rec != nil {
			rec.a = a
		}
	}
	if err := arows.Err(); err != nil {
		return fmt.Errorf("load worklist customers: %w", err)
	}
	snap.custByID = byID
	snap.custs = make([]*custRec, 0, len(byID))
	for _, rec := range byID {
		slices.SortFunc(rec.pairs, func(a, b *custPair) int {
			return cmp.Or(cmp.Compare(a.r.det, b.r.det), cmp.Compare(a.r.id, b.r.id))
		})
		snap.custs = append(snap.custs, rec)
	}
	slices.SortFunc(snap.custs, func(a, b *custRec) int {
		switch {
		case a.a.hasMRR && !b.a.hasMRR:
			return -1
		case !a.a.hasMRR && b.a.hasMRR:
			return 1
		}
		return cmp.Or(cmp.Compare(b.a.mrr, a.a.mrr), cmp.Compare(a.id, b.id))
	})
	for i, rec := range snap.custs {
		rec.pos = i
	}
	for i := range all {
		all[i].pos = int32(all[i].rec.pos)
	}
	return nil
}

// custRec is an affected customer of a snapshot: what the events say of
// them and their pairs, sorted by detected_at, incident_id.
type custRec struct {
	id    string
	a     custAttrs
	pairs []*custPair
	pos   int // index in the snapshot's custs
}

// pairsIn are rec's pairs of the incidents k keeps, sorted as rec.pairs.
func (rec *custRec) pairsIn(k rowScope) []*custPair {
	var out []*custPair
	for _, p := range rec.pairs {
		if k.to != 0 && p.r.det >= k.to {
			break // sorted by detection: none later is kept
		}
		if k.holds(p.r) {
			out = append(out, p)
		}
	}
	return out
}

// followUpState is "done", "due", "missed" or "open" for one pair at now.
func (s *Store) followUpState(p *custPair, now int64) string {
	switch {
	case p.followedUp:
		return "done"
	case !p.r.isRes:
		return "open"
	case now <= p.r.resTS+int64(s.policy.FollowupDays)*86400:
		return "due"
	}
	return "missed"
}

// customerRow is the worklist row of one customer from their pairs
// (sorted by detected_at, then incident_id).
func (s *Store) customerRow(id string, pairs []*custPair, a custAttrs, now int64) trustlens.Customer {
	c := trustlens.Customer{CustomerID: id, Segment: a.segment, IncidentIDs: make([]string, 0, len(pairs))}
	if a.hasMRR {
		v := a.mrr
		c.MRR = &v
	}
	if a.churned {
		t := time.Unix(a.churnTS, 0).UTC()
		c.ChurnedAt = &t
	}
	var apologized []int64
	var seen map[*custEvent]bool // an untagged event may count for several of the customer's incidents: once here
	if len(pairs) > 1 {
		seen = map[*custEvent]bool{}
	}
	var csatN int64
	var csatSum float64
	for _, p := range pairs {
		c.Incidents++
		c.IncidentIDs = append(c.IncidentIDs, p.r.id)
		if !p.r.isRes {
			c.OpenIncidents++
		}
		switch s.followUpState(p, now) {
		case "done":
			c.FollowedUp++
		case "due":
			c.FollowUpDue++
		case "missed":
			c.FollowUpMissed++
		}
		if p.offered {
			c.CompensationOffered++
		}
		if p.redeemed {
			c.CompensationRedeemed++
		}
		if p.r.apol {
			c.ApologizedIncidents++
			apologized = append(apologized, p.r.det)
		}
		t, n, sum := p.tickets(now, seen)
		c.Tickets += t
		csatN += n
		csatSum += sum
	}
	c.ApologyFatigue = apologyFatigue(apologized)
	if csatN > 0 {
		v := csatSum / float64(csatN)
		c.CSATAvg = &v
	}
	return c
}

// apologyFatigue: some trustlens.ApologyFatigueCount of the sorted instants
// lie within one window [t, t + ApologyFatigueWindow).
func apologyFatigue(sorted []int64) bool {
	n, w := trustlens.ApologyFatigueCount, int64(trustlens.ApologyFatigueWindow/time.Second)
	for i := 0; i+n-1 < len(sorted); i++ {
		if sorted[i+n-1]-sorted[i] < w {
			return true
		}
	}
	return false
}

func (s *Store) customers(ctx context.Context, f trustlens.CustomerFilter) (trustlens.CustomerPage, error) {
	page := trustlens.CustomerPage{Customers: []trustlens.Customer{}}
	if err := checkCustomerFilter(f); err != nil {
		return page, fmt.Errorf("analytics: customers: %w", err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return page, fmt.Errorf("analytics: customers: %w", err)
	}
	// The customers come in the order of the worklist but for
	// follow_up_due (mrr descending, unknown last, then customer_id): a
	// stable counting sort on follow_up_due alone completes it, and only
	// the rows of the page are built.
	k := rowScopeOf(f.Filter)
	now := s.nowOf(ctx)
	// only the incidents in range, and their pairs: counts by customer
	// position
	n := make([]int32, len(snap.custs))
	due := make([]int32, len(snap.custs))
	var maxDue int32
	rf := f.Filter
	rf.Status = ""
	for _, r := range snap.selectRows(rf) {
		for i := range r.aff {
			p := &r.aff[i]
			n[p.pos]++
			if s.followUpState(p, now) == "due" {
				due[p.pos]++
				maxDue = max(maxDue, due[p.pos])
			}
		}
	}
	keep := func(i int) bool { return n[i] > 0 && (f.Needs != trustlens.NeedsFollowUp || due[i] > 0) }
	starts := make([]int, maxDue+1) // where the customers with each follow_up_due begin
	for i := range snap.custs {
		if keep(i) {
			starts[due[i]]++
		}
	}
	total := 0
	for d := maxDue; d >= 0; d-- {
		starts[d], total = total, total+starts[d]
	}
	hits := make([]*custRec, total)
	for i, rec := range snap.custs {
		if keep(i) {
			hits[starts[due[i]]] = rec
			starts[due[i]]++
		}
	}
	page.Total = int64(len(hits))
	lo := min(f.Offset, len(hits))
	hi := len(hits)
	if f.Limit > 0 {
		hi = min(hi, lo+f.Limit)
	}
	page.Customers = make([]trustlens.Customer, 0, hi-lo)
	for _, rec := range hits[lo:hi] {
		page.Customers = append(page.Customers, s.customerRow(rec.id, rec.pairsIn(k), rec.a, now))
	}
	return page, nil
}

func (s *Store) customer(ctx context.Context, id string, f trustlens.Filter) (trustlens.CustomerDetail, error) {
	var d trustlens.CustomerDetail
	f.Status, f.Limit, f.Offset = "", 0, 0
	if err := checkFilter(f); err != nil {
		return d, fmt.Errorf("analytics: customer %q: %w", id, err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return d, fmt.Errorf("analytics: customer %q: %w", id, err)
	}
	rec := snap.custByID[id]
	var pairs []*custPair
	if rec != nil {
		pairs = rec.pairsIn(rowScopeOf(f))
	}
	if len(pairs) == 0 {
		return d, fmt.Errorf("analytics: customer %q: %w", id, trustlens.ErrNotFound)
	}
	now := s.nowOf(ctx)
	d.Customer = s.customerRow(id, pairs, rec.a, now)
	d.Timeline = make([]trustlens.CustomerIncident, 0, len(pairs))
	for _, p := range pairs {
		inc := s.incidentOf(snap, p.r, now)
		ci := trustlens.CustomerIncident{
			IncidentID: inc.IncidentID, Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
			DetectedAt: inc.DetectedAt, ResolvedAt: inc.ResolvedAt,
			Apologized: p.r.apol, FollowedUp: p.followedUp, FollowUp: s.followUpState(p, now),
			Offered: p.offered, Redeemed: p.redeemed,
			TrustScore: inc.TrustScore, MaxSilence: inc.MaxSilenceSeconds,
			CadenceKept: inc.Habits[trustlens.Habits[2]] == trustlens.Met,
		}
		if p.followedUp {
			t := time.Unix(p.fuAt, 0).UTC()
			ci.FollowUpAt = &t
		}
		var n int64
		var sum float64
		ci.Tickets, n, sum = p.tickets(now, nil)
		if n > 0 {
			v := sum / float64(n)
			ci.CSATAvg = &v
		}
		d.Timeline = append(d.Timeline, ci)
	}
	return d, nil
}

// attrsSQL is one row per customer matching the condition custs: seg_v
// (latest non-empty segment), has_mrr and mrr_v (latest mrr on
// incident.customer_affected or customer.signed_up), has_ch and ch_at
// (earliest churn). Latest and earliest by (occurred_at, event_id).
// Duplicate-safe without dedup: a latest, an earliest and an "any" are
// the same over the stored copies as over the events. Like the state
// tables (docs/performance.md), it takes two copies of an event id as the
// same event; dedup's sort of the copies cost 14 s at the SPEC's size
// (100 000 customers), this 1 s.
func attrsSQL(b builder, custs string) string {
	return `  SELECT customer_id,
    argMaxIf(seg, (ts, event_id), seg != '') AS seg_v,
    toUInt8(countIf(has_m = 1) > 0) AS has_mrr,
    argMaxIf(m, (ts, event_id), has_m = 1) AS mrr_v,
    toUInt8(countIf(type = 'customer.churned') > 0) AS has_ch,
    minIf(ts, type = 'customer.churned') AS ch_at
  FROM (
    SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, segment AS seg, toUInt8(isNotNull(mrr)) AS has_m, toFloat64(ifNull(mrr, 0)) AS m
    FROM ` + b.table("incident_events") + `
    WHERE type = 'incident.customer_affected' AND ` + custs + `
    UNION ALL
    SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, segment AS seg, toUInt8(isNotNull(mrr) AND type = 'customer.signed_up') AS has_m, toFloat64(ifNull(mrr, 0)) AS m
    FROM ` + b.table("customer_events") + `
    WHERE type IN ('customer.signed_up', 'customer.churned') AND ` + custs + `
  )
  GROUP BY customer_id
`
}
