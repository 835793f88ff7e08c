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

	"github.com/trustlens/trustlens"
)

// compensationPays computes the figures over the non-pending resolved
// incidents of f (range and severity) at now.
func (s *Store) compensationPays(ctx context.Context, snap *snapshot, f trustlens.Filter, now int64) (trustlens.CompensationPays, error) {
	var out trustlens.CompensationPays
	f.Status = ""
	window := int64(s.policy.ChurnWindowDays) * 86400
	rows := snap.selectRows(f)
	settled := make(map[string]*preRow, len(rows))
	for _, r := range rows {
		if r.isRes && now > r.resTS+window {
			settled[r.id] = r
			out.UncompensatedActive += r.aa
			out.UncompensatedChurned += r.ca
		}
	}
	if len(settled) == 0 {
		return out, nil
	}
	_, args := snapInRange("", f)
	b := s.builderCtx(ctx)
	b.state = true
	// sorted, so that the float sums below do not depend on the order
	// the rows come in (a failover to another replica changed the last
	// digits of retained_mrr_per_amount)
	q := func(t snapTables) string {
		inRange, _ := snapInRange(t.incidents, f)
		offered := "is_aff = 1 AND n_off > 0 AND " + inRange
		custs := "customer_id IN (SELECT customer_id FROM " + t.pairs + " WHERE " + offered + ")"
		return `SELECT toString(incident_id), toInt64(su), toInt64(chd), toFloat64(off_amt), toUInt8(has_mrr), toFloat64(mrr_v)
FROM (
  SELECT incident_id, customer_id, off_amt, su, chd
  FROM (SELECT incident_id, customer_id, off_amt FROM ` + t.pairs + ` WHERE ` + offered + `) AS offered_
  ANY LEFT JOIN (` + b.known() + `) AS known_ USING customer_id
) AS pairs_
ANY LEFT JOIN (
  SELECT customer_id, has_mrr, mrr_v FROM (` + attrsSQL(b, custs) + `)
) AS attrs_ USING customer_id
ORDER BY incident_id, su, chd, off_amt, has_mrr, mrr_v`
	}
	res, err := s.queryPairs(ctx, snap, q, args...)
	if err != nil {
		return out, fmt.Errorf("compensation pays: %w", err)
	}
	defer res.Close()
	for res.Next() {
		var (
			id       string
			su, chd  int64
			amt, mrr float64
			hasMRR   uint8
		)
		if err := res.Scan(&id, &su, &chd, &amt, &hasMRR, &mrr); err != nil {
			return out, fmt.Errorf("compensation pays: %w", err)
		}
		r := settled[id]
		if r == nil || su > r.resTS || chd <= r.resTS { // pending, or not active at resolved_at
			continue
		}
		out.CompensatedActive++
		if chd <= r.resTS+window {
			out.CompensatedChurned++
		}
		out.CompensatedAmount += amt
		if hasMRR == 1 {
			out.CompensatedMRR += mrr
		}
	}
	if err := res.Err(); err != nil {
		return out, fmt.Errorf("compensation pays: %w", err)
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
