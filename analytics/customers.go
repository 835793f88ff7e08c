package analytics

// The support manager's worklist (SPEC §3, GET /api/v1/customers): the
// customers affected by incidents in range, what each is owed and how
// often they were let down.
//
// The incident figures come from the snapshot in memory; the
// (incident, customer) pairs from the snapshot's pairs table (built from
// the duplicate-safe state tables); the customers' MRR, segment and churn
// and the tickets and CSAT naming the incidents from the event tables,
// each event_id counted once (dedup). ClickHouse aggregates to one row per
// customer or per (customer, incident); Go only joins those rows and
// applies the clock.

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

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
	offered, redeemed bool
	followedUp        bool
	fuAt              int64
	tickets, csatN    int64
	csatSum           float64
}

// custAttrs are what the events say about a customer, at any time.
type custAttrs struct {
	segment string
	hasMRR  bool
	mrr     float64
	churned bool
	churnTS int64
}

// snapInRange gives the condition on incident_id that keeps the complete
// incidents of a snapshot's incidents table (or a subquery in its place)
// detected in f's range with f's severity, and its bound parameters.
func snapInRange(f trustlens.Filter) (func(incidents string) string, []any) {
	var conds []string
	var args []any
	sc, _ := scopeOf(f)
	if sc.from != 0 {
		conds = append(conds, "det >= "+num(sc.from))
	}
	if sc.to != 0 {
		conds = append(conds, "det < "+num(sc.to))
	}
	if f.Severity != "" {
		conds = append(conds, "sev = @sev")
		args = append(args, clickhouse.Named("sev", f.Severity))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	return func(incidents string) string {
		return "incident_id IN (SELECT incident_id FROM " + incidents + where + ")"
	}, args
}

// custRows reads the pairs of the customers affected by the incidents of f
// (and, when id != "", of that customer only), by customer.
func (s *Store) custRows(ctx context.Context, snap *snapshot, f trustlens.Filter, id string) (map[string][]*custPair, map[string]custAttrs, error) {
	inRange, args := snapInRange(f)
	affectedOf := func(t snapTables) string {
		a := "is_aff = 1 AND " + inRange(t.incidents)
		if id != "" {
			a += " AND customer_id = @cid"
		}
		return a
	}
	if id != "" {
		args = append(args, clickhouse.Named("cid", id))
	}
	custsOf := func(t snapTables) string {
		return "customer_id IN (SELECT customer_id FROM " + t.pairs + " WHERE " + affectedOf(t) + ")"
	}
	// the pairs, with the tickets and feedback naming their incident
	q := func(t snapTables) string {
		custs := custsOf(t)
		return `SELECT toString(incident_id), toString(customer_id), toUInt8(n_off > 0), toUInt8(n_off > 0 AND n_red > 0),
  toUInt8(n_fu > 0), toInt64(fu_at), toInt64(n_t), toInt64(n_cs), toFloat64(sum_cs)
FROM (
  SELECT incident_id, customer_id, n_off, n_red, n_fu, fu_at
  FROM ` + t.pairs + `
  WHERE ` + affectedOf(t) + `
) AS pairs_
ANY LEFT JOIN (
  SELECT incident_id, customer_id,
    toInt64(countIf(type = 'customer.ticket_opened')) AS n_t,
    toInt64(countIf(type = 'customer.feedback' AND has_cs = 1)) AS n_cs,
    toFloat64(sumIf(cs, type = 'customer.feedback' AND has_cs = 1)) AS sum_cs
  FROM (` + s.builderCtx(ctx).dedup("customer_events",
			"event_id, type, customer_id, incident_id, toUInt8(isNotNull(csat)) AS has_cs, toFloat64(ifNull(csat, 0)) AS cs",
			"type IN ('customer.ticket_opened', 'customer.feedback') AND "+custs) + `)
  WHERE type IN ('customer.ticket_opened', 'customer.feedback') AND incident_id != '' AND ` + custs + `
  GROUP BY incident_id, customer_id
) AS named_ USING (incident_id, customer_id)`
	}
	rows, err := s.queryPairs(ctx, snap, q, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("pairs: %w", err)
	}
	defer rows.Close()
	byCust := map[string][]*custPair{}
	for rows.Next() {
		var (
			inc, cust    string
			off, red, fu uint8
			p            custPair
		)
		if err := rows.Scan(&inc, &cust, &off, &red, &fu, &p.fuAt, &p.tickets, &p.csatN, &p.csatSum); err != nil {
			return nil, nil, fmt.Errorf("pairs: %w", err)
		}
		p.r = snap.byID[inc]
		if p.r == nil {
			continue
		}
		p.offered, p.redeemed, p.followedUp = off == 1, red == 1, fu == 1
		byCust[cust] = append(byCust[cust], &p)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("pairs: %w", err)
	}
	rows.Close()

	// MRR and segment (latest), churn (earliest), at any time
	b := s.builderCtx(ctx)
	aq := func(t snapTables) string {
		return `SELECT toString(customer_id), toString(seg_v), toUInt8(has_mrr), toFloat64(mrr_v), toUInt8(has_ch), toInt64(ch_at)
FROM (` + attrsSQL(b, custsOf(t)) + `)`
	}
	arows, err := s.queryPairs(ctx, snap, aq, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("customers: %w", err)
	}
	defer arows.Close()
	attrs := map[string]custAttrs{}
	for arows.Next() {
		var (
			cust          string
			a             custAttrs
			hasMRR, hasCh uint8
		)
		if err := arows.Scan(&cust, &a.segment, &hasMRR, &a.mrr, &hasCh, &a.churnTS); err != nil {
			return nil, nil, fmt.Errorf("customers: %w", err)
		}
		a.hasMRR, a.churned = hasMRR == 1, hasCh == 1
		attrs[cust] = a
	}
	if err := arows.Err(); err != nil {
		return nil, nil, fmt.Errorf("customers: %w", err)
	}
	return byCust, attrs, nil
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

// customerRow is the worklist row of one customer from their pairs, which
// it sorts by detected_at, then incident_id.
func (s *Store) customerRow(id string, pairs []*custPair, a custAttrs, now int64) trustlens.Customer {
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].r.det != pairs[j].r.det {
			return pairs[i].r.det < pairs[j].r.det
		}
		return pairs[i].r.id < pairs[j].r.id
	})
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
		c.Tickets += p.tickets
		csatN += p.csatN
		csatSum += p.csatSum
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
	byCust, attrs, err := s.custRows(ctx, snap, f.Filter, "")
	if err != nil {
		return page, fmt.Errorf("analytics: customers: %w", err)
	}
	now := s.nowOf(ctx)
	all := make([]trustlens.Customer, 0, len(byCust))
	for id, pairs := range byCust {
		c := s.customerRow(id, pairs, attrs[id], now)
		if f.Needs == trustlens.NeedsFollowUp && c.FollowUpDue == 0 {
			continue
		}
		all = append(all, c)
	}
	sort.Slice(all, func(i, j int) bool { return customerBefore(&all[i], &all[j]) })
	page.Total = int64(len(all))
	lo := min(f.Offset, len(all))
	hi := len(all)
	if f.Limit > 0 {
		hi = min(hi, lo+f.Limit)
	}
	page.Customers = all[lo:hi]
	return page, nil
}

// customerBefore is the worklist order: follow_up_due descending, mrr
// descending (unknown last), customer_id.
func customerBefore(a, b *trustlens.Customer) bool {
	if a.FollowUpDue != b.FollowUpDue {
		return a.FollowUpDue > b.FollowUpDue
	}
	switch {
	case a.MRR != nil && b.MRR == nil:
		return true
	case a.MRR == nil && b.MRR != nil:
		return false
	case a.MRR != nil && *a.MRR != *b.MRR:
		return *a.MRR > *b.MRR
	}
	return a.CustomerID < b.CustomerID
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
	byCust, attrs, err := s.custRows(ctx, snap, f, id)
	if err != nil {
		return d, fmt.Errorf("analytics: customer %q: %w", id, err)
	}
	pairs := byCust[id]
	if len(pairs) == 0 {
		return d, fmt.Errorf("analytics: customer %q: %w", id, trustlens.ErrNotFound)
	}
	now := s.nowOf(ctx)
	d.Customer = s.customerRow(id, pairs, attrs[id], now)
	d.Timeline = make([]trustlens.CustomerIncident, 0, len(pairs))
	for _, p := range pairs { // sorted by customerRow
		inc := s.incidentOf(snap, p.r, now)
		ci := trustlens.CustomerIncident{
			IncidentID: inc.IncidentID, Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
			DetectedAt: inc.DetectedAt, ResolvedAt: inc.ResolvedAt,
			Apologized: p.r.apol, FollowedUp: p.followedUp, FollowUp: s.followUpState(p, now),
			Offered: p.offered, Redeemed: p.redeemed, Tickets: p.tickets,
			TrustScore: inc.TrustScore, MaxSilence: inc.MaxSilenceSeconds,
			CadenceKept: inc.Habits[trustlens.Habits[2]] == trustlens.Met,
		}
		if p.followedUp {
			t := time.Unix(p.fuAt, 0).UTC()
			ci.FollowUpAt = &t
		}
		if p.csatN > 0 {
			v := p.csatSum / float64(p.csatN)
			ci.CSATAvg = &v
		}
		d.Timeline = append(d.Timeline, ci)
	}
	return d, nil
}

// attrsSQL is one row per customer matching the condition custs: seg_v
// (latest non-empty segment), has_mrr and mrr_v (latest mrr on
// incident.customer_affected or customer.signed_up), has_ch and ch_at
// (earliest churn). Latest and earliest by (occurred_at, event_id); each
// event_id counts once.
func attrsSQL(b builder, custs string) string {
	return `  SELECT customer_id,
    argMaxIf(seg, (ts, event_id), seg != '') AS seg_v,
    toUInt8(countIf(has_m = 1) > 0) AS has_mrr,
    argMaxIf(m, (ts, event_id), has_m = 1) AS mrr_v,
    toUInt8(countIf(type = 'customer.churned') > 0) AS has_ch,
    minIf(ts, type = 'customer.churned') AS ch_at
  FROM (
    SELECT event_id, type, ts, customer_id, seg, has_m, m
    FROM (` + b.dedup("incident_events",
		"event_id, type, toInt64(occurred_at) AS ts, customer_id, segment AS seg, toUInt8(isNotNull(mrr)) AS has_m, toFloat64(ifNull(mrr, 0)) AS m",
		"type = 'incident.customer_affected' AND "+custs) + `)
    WHERE type = 'incident.customer_affected' AND ` + custs + `
    UNION ALL
    SELECT event_id, type, ts, customer_id, seg, has_m, m
    FROM (` + b.dedup("customer_events",
		"event_id, type, toInt64(occurred_at) AS ts, customer_id, segment AS seg, toUInt8(isNotNull(mrr) AND type = 'customer.signed_up') AS has_m, toFloat64(ifNull(mrr, 0)) AS m",
		"type IN ('customer.signed_up', 'customer.churned') AND "+custs) + `)
    WHERE type IN ('customer.signed_up', 'customer.churned') AND ` + custs + `
  )
  GROUP BY customer_id
`
}
