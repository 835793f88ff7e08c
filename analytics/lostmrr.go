package analytics

// The monthly revenue the churn took (SPEC §1.4: customer.churned carries
// the lost MRR): the churn answer names it, over the same incidents and
// windows as the churn rates, each customer once.
//
// At load one query reads every churned customer: the earliest churn, its
// mrr and the sign-up (each event_id once). The
// answers then walk them in memory: a customer counts on the affected side
// when an incident in range that affected them has them churned in its
// window; otherwise on the baseline side when some other incident in range
// does (active at its resolved_at, churned in (resolved_at, resolved_at +
// churn_window_days]).

import (
	"context"
	"fmt"
	"slices"
	"sort"

	"github.com/trustlens/trustlens"
)

// churner is one customer with a customer.churned: su their sign-up (-1:
// none, signed up forever), chd their earliest churn, mrr that churn's
// lost MRR (hasMRR: it carries one).
type churner struct {
	cust    string
	rec     *custRec // their worklist record, nil when no incident affected them
	su, chd int64
	mrr     float64
	hasMRR  bool
}

// churnersSQL is one row per customer with a customer.churned: cust, su,
// chd, has_m, m_v. The earliest churn and its mrr are by (occurred_at,
// event_id). Duplicate-safe without dedup, as attrsSQL: an earliest and an
// "any" are the same over the stored copies as over the events (dedup's
// sort of 2 M copies would take seconds at the SPEC's size).
func churnersSQL(b builder) string {
	return `SELECT toString(customer_id) AS cust,
  if(countIf(type = 'customer.signed_up') > 0, minIf(ts, type = 'customer.signed_up'), toInt64(-1)) AS su,
  minIf(ts, type = 'customer.churned') AS chd,
  toUInt8(argMinIf(has_mm, (ts, event_id), type = 'customer.churned')) AS has_m,
  toFloat64(argMinIf(mm, (ts, event_id), type = 'customer.churned')) AS m_v
FROM (
  SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, toUInt8(isNotNull(mrr)) AS has_mm, toFloat64(ifNull(mrr, 0)) AS mm
  FROM ` + b.table("customer_events") + `
  WHERE type IN ('customer.signed_up', 'customer.churned') AND customer_id != ''
)
GROUP BY customer_id
HAVING countIf(type = 'customer.churned') > 0
ORDER BY chd, cust`
}

// loadChurners reads every churned customer into snap.churners, by churn
// time (after loadWorklist, whose affected pairs the answers read).
func (s *Store) loadChurners(ctx context.Context, snap *snapshot) error {
	rows, err := s.loadQuery(ctx, churnersSQL(s.builder()))
	if err != nil {
		return fmt.Errorf("load churned customers: %w", err)
	}
	defer rows.Close()
	snap.churners = nil
	for rows.Next() {
		var (
			c     churner
			hasMR uint8
		)
		if err := rows.Scan(&c.cust, &c.su, &c.chd, &hasMR, &c.mrr); err != nil {
			return fmt.Errorf("load churned customers: %w", err)
		}
		c.hasMRR = hasMR == 1
		c.rec = snap.custByID[c.cust]
		snap.churners = append(snap.churners, c)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load churned customers: %w", err)
	}
	return nil
}

// lostMRR is the LostMRR over the non-pending resolved incidents of f
// (range and severity) at now.
func (snap *snapshot) lostMRR(f trustlens.Filter, window, now int64) trustlens.LostMRR {
	var out trustlens.LostMRR
	f.Status = ""
	k := rowScopeOf(f)
	keep := func(r *preRow) bool { return k.holds(r) && r.isRes && now > r.resTS+window }
	// inWindow: c was active at r's resolution and churned in its window
	inWindow := func(c *churner, r *preRow) bool {
		return c.su <= r.resTS && c.chd > r.resTS && c.chd <= r.resTS+window
	}
	// the resolution times of the settled incidents, sorted (plain int64s:
	// sorting pointers to rows by a field was a third of a unique
	// overview's CPU at the SPEC's size)
	rows := snap.selectRows(f)
	settled := make([]int64, 0, len(rows))
	for _, r := range rows {
		if keep(r) {
			settled = append(settled, r.resTS)
		}
	}
	if len(settled) == 0 {
		return out
	}
	slices.Sort(settled)
	// only a churn in (first resolution, last resolution + window] can lie
	// in a settled incident's window (snap.churners is sorted by churn)
	chs := snap.churners
	first, last := settled[0], settled[len(settled)-1]+window
	chs = chs[sort.Search(len(chs), func(i int) bool { return chs[i].chd > first }):]
	chs = chs[:sort.Search(len(chs), func(i int) bool { return chs[i].chd > last })]
	for i := range chs {
		c := &chs[i]
		affected := false
		if rec := c.rec; rec != nil {
			for _, p := range rec.pairs {
				if keep(p.r) && inWindow(c, p.r) {
					affected = true
					break
				}
			}
		}
		if affected {
			out.LostMRRAffectedCustomers++
			out.LostMRRAffected += c.mrr
			if !c.hasMRR {
				out.LostMRRAffectedUnknown++
			}
			continue
		}
		// the incidents resolved in [max(su, chd − window), chd): does one
		// not affect c? (c is affected by none it churned in the window of)
		lo := max(c.su, c.chd-window)
		if j, _ := slices.BinarySearch(settled, lo); j < len(settled) && settled[j] < c.chd {
			out.LostMRRBaselineCustomers++
			out.LostMRRBaseline += c.mrr
			if !c.hasMRR {
				out.LostMRRBaselineUnknown++
			}
		}
	}
	out.LostMRRAffected, out.LostMRRBaseline = cents(out.LostMRRAffected), cents(out.LostMRRBaseline)
	return out
}
