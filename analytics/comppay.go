package analytics

// "Does compensation pay?" (SPEC §2.3): the churn of affected customers
// who were offered compensation for an incident against those who were
// not, and the MRR that difference is worth per unit of money offered.
//
// The uncompensated side needs no customer rows: an incident's affected
// customers active at resolved_at and those of them who churned in the
// window are already in the snapshot (aa, ca); the compensated side is
// read per offered pair (the snapshot's pairs table, joined to the
// customers' sign-up and churn state and their latest MRR), and the rest
// is the difference.

import (
	"context"
	"fmt"
	"sort"

	"github.com/trustlens/trustlens"
)

// compensationPays computes the figures over the non-pending resolved
// incidents of f (range and severity) at now.
func (s *Store) compensationPays(_ context.Context, snap *snapshot, f trustlens.Filter, now int64) (trustlens.CompensationPays, error) {
	var out trustlens.CompensationPays
	f.Status = ""
	window := int64(s.policy.ChurnWindowDays) * 86400
	rows := snap.selectRows(f)
	k := rowScopeOf(f) // one of rows (no map of them: hashing ids was most of an answer's time)
	settled := func(r *preRow) bool { return r.isRes && now > r.resTS+window }
	found := false
	for _, r := range rows {
		if settled(r) {
			found = true
			out.UncompensatedActive += r.aa
			out.UncompensatedChurned += r.ca
		}
	}
	if !found {
		return out, nil
	}
	// the pairs of incidents detected in range (snap.offered is sorted by
	// detection, then incident and customer: a fixed order, so the float
	// sums do not depend on the request; walking every pair and following
	// its row pointer was a fifth of a unique overview's CPU)
	offered := snap.offered
	if k.from != 0 {
		offered = offered[sort.Search(len(offered), func(i int) bool { return offered[i].det >= k.from }):]
	}
	if k.to != 0 {
		offered = offered[:sort.Search(len(offered), func(i int) bool { return offered[i].det >= k.to })]
	}
	for _, p := range offered {
		r := p.r
		if !k.holds(r) || !settled(r) || p.su > r.resTS || p.chd <= r.resTS { // out of range, pending, or not active at resolved_at
			continue
		}
		out.CompensatedActive++
		if p.chd <= r.resTS+window {
			out.CompensatedChurned++
		}
		out.CompensatedAmount += p.amt
		if p.hasMRR {
			out.CompensatedMRR += p.mrr
		}
	}
	out.UncompensatedActive -= out.CompensatedActive
	out.UncompensatedChurned -= out.CompensatedChurned
	out.ChurnCompensatedRate = ratio(float64(out.CompensatedChurned), float64(out.CompensatedActive))
	out.ChurnUncompensatedRate = ratio(float64(out.UncompensatedChurned), float64(out.UncompensatedActive))
	if out.ChurnCompensatedRate != nil && out.ChurnUncompensatedRate != nil && out.CompensatedMRR > 0 && out.CompensatedAmount > 0 {
		v := (*out.ChurnUncompensatedRate - *out.ChurnCompensatedRate) * out.CompensatedMRR / out.CompensatedAmount
		out.RetainedMRRPerAmount = &v
	}
	out.CompensatedMRR, out.CompensatedAmount = cents(out.CompensatedMRR), cents(out.CompensatedAmount)
	return out, nil
}

// offeredPair is an affected customer offered compensation for an
// incident: their sign-up and churn (su, chd), the amount offered and
// their latest MRR.
type offeredPair struct {
	r        *preRow
	det      int64 // r's detection
	su, chd  int64
	amt, mrr float64
	hasMRR   bool
}

// loadOffered reads every offered affected pair of snap's incidents with
// the customer's sign-up and churn, once per snapshot (at the SPEC's size
// this query takes about a second: it is no work for a request). The
// customer's MRR is the worklist's: call it after loadWorklist.
func (s *Store) loadOffered(ctx context.Context, snap *snapshot) error {
	b := s.builderCtx(ctx)
	b.state = true
	q := func(t snapTables) string {
		return `SELECT toString(incident_id), toString(customer_id), toInt64(su), toInt64(chd), toFloat64(off_amt)
FROM (SELECT incident_id, customer_id, off_amt FROM ` + t.pairs + ` WHERE is_aff = 1 AND n_off > 0) AS offered_
ANY LEFT JOIN (` + b.known() + `) AS known_ USING customer_id
ORDER BY incident_id, customer_id`
	}
	res, err := s.queryPairs(ctx, snap, q)
	if err != nil {
		return fmt.Errorf("load offered pairs: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var (
			p        offeredPair
			id, cust string
		)
		if err := res.Scan(&id, &cust, &p.su, &p.chd, &p.amt); err != nil {
			return fmt.Errorf("load offered pairs: %w", err)
		}
		if p.r = snap.byID[id]; p.r == nil { // pairs of incomplete incidents count nowhere
			continue
		}
		if rec := snap.custByID[cust]; rec != nil { // an affected customer of a complete incident: always
			p.hasMRR, p.mrr = rec.a.hasMRR, rec.a.mrr
		}
		p.det = p.r.det
		snap.offered = append(snap.offered, p)
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("load offered pairs: %w", err)
	}
	// by detection; stable, so incident and customer order the ties
	sort.SliceStable(snap.offered, func(i, j int) bool { return snap.offered[i].det < snap.offered[j].det })
	return nil
}
