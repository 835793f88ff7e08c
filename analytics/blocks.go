package analytics

import (
	"math"
	"slices"

	"github.com/trustlens/trustlens"
)

// Aggregates over a range of incidents (Summary, Trend, Churn) add up the
// figures of every incident in it. Most incidents are long resolved: their
// figures no longer depend on the clock (stableAfter), so their sums are
// computed once per snapshot, by block of blockRows consecutive rows (the
// rows are sorted by detection), and a range adds up whole blocks' sums
// plus the rows at its two ends and the blocks' rows that still change.
// The answers are the same as adding every row (TestBlocksMatchRows); at
// 100 000 incidents a 90-day summary reads about 100 blocks instead of
// 25 000 rows.

// blockRows is how many consecutive snapshot rows a block sums.
const blockRows = 256

// slotCount is how many groups a block sums separately: severity (the
// four known ones, and unknown) × open/resolved, so that the severity and
// status filters and Churn's by-severity figures can use the sums.
const slotCount = (4 + 1) * 2

func init() {
	if (len(trustlens.Severities)+1)*2 != slotCount {
		panic("analytics: slotCount does not match trustlens.Severities")
	}
}

// slotOf is the group of r in a block.
func slotOf(r *preRow) int {
	s := (int(r.sevIdx) + 1) * 2
	if r.isRes {
		s++
	}
	return s
}

// allSlots selects every group.
const allSlots = uint16(1)<<slotCount - 1

// block holds the sums of one run of blockRows rows.
type block struct {
	// stableMax is the latest stableAfter of the rows summed: the sums
	// hold at any instant after it (math.MinInt64: no row summed).
	stableMax int64
	// slots are the sums of the stable rows by slotOf (nil: none), with
	// their tta and silRes values sorted.
	slots [slotCount]*acc
	// unstable are the rows not summed, in order: their figures still
	// depended on the clock when the snapshot was loaded.
	unstable []*preRow
}

// buildBlocks sums the rows of snap that are stable at now into blocks.
func (s *Store) buildBlocks(snap *snapshot, now int64) {
	n := len(snap.rows) / blockRows // a last, partial block is never whole in a range
	snap.blocks = make([]block, n)
	for b := range snap.blocks {
		blk := &snap.blocks[b]
		blk.stableMax = math.MinInt64
		for _, r := range snap.rows[b*blockRows : (b+1)*blockRows] {
			if r.stableAfter < 0 || now <= r.stableAfter {
				blk.unstable = append(blk.unstable, r)
				continue
			}
			k := slotOf(r)
			if blk.slots[k] == nil {
				blk.slots[k] = &acc{values: true}
			}
			f := figuresAt(&s.policy, r, now)
			blk.slots[k].add(r, &f)
			blk.stableMax = max(blk.stableMax, r.stableAfter)
		}
		for _, a := range blk.slots {
			if a != nil {
				slices.Sort(a.tta)
				slices.Sort(a.silRes)
			}
		}
	}
}

// selection is which rows of a snapshot an aggregate adds up: rows[lo:hi],
// of the groups in mask, and with exactly severity sev when sev is set
// (a severity the policy does not know: the blocks cannot tell those
// apart, so every row is read).
type selection struct {
	lo, hi int
	mask   uint16
	sev    string
}

// selectionOf is the selection of filter f (its range, severity and
// status).
func (snap *snapshot) selectionOf(f trustlens.Filter) selection {
	sc, _ := scopeOf(f)
	sel := selection{hi: len(snap.rows), mask: allSlots}
	if sc.from != 0 {
		sel.lo = snap.firstAtOrAfter(sc.from)
	}
	if sc.to != 0 {
		sel.hi = snap.firstAtOrAfter(sc.to)
	}
	sel.hi = max(sel.hi, sel.lo)
	if f.Severity != "" {
		i := slices.Index(trustlens.Severities, f.Severity)
		if i < 0 {
			sel.sev = f.Severity
		}
		sel.mask &= uint16(3) << ((i + 1) * 2)
	}
	switch f.Status {
	case "open":
		sel.mask &= 0x5555 & allSlots
	case "resolved":
		sel.mask &= 0xAAAA & allSlots
	}
	return sel
}

// firstAtOrAfter is the index of the first row detected at or after t.
func (snap *snapshot) firstAtOrAfter(t int64) int {
	i, _ := slices.BinarySearchFunc(snap.rows, t, func(r *preRow, t int64) int {
		switch {
		case r.det < t:
			return -1
		case r.det > t:
			return 1
		}
		return 0
	})
	for i > 0 && snap.rows[i-1].det >= t { // the first of equal dets
		i--
	}
	return i
}

// aggregate adds up the rows of sel at now into one acc per group
// (slotOf); values keeps the values behind the medians.
func (s *Store) aggregate(snap *snapshot, sel selection, now int64, values bool) *[slotCount]acc {
	var out [slotCount]acc
	for k := range out {
		out[k].values = values
	}
	addRow := func(r *preRow) {
		k := slotOf(r)
		if sel.mask&(1<<k) == 0 || (sel.sev != "" && r.sev != sel.sev) {
			return
		}
		f := figuresAt(&s.policy, r, now)
		out[k].add(r, &f)
	}
	for i := sel.lo; i < sel.hi; {
		b := i / blockRows
		if i%blockRows == 0 && i+blockRows <= sel.hi && b < len(snap.blocks) && sel.sev == "" && now > snap.blocks[b].stableMax {
			blk := &snap.blocks[b]
			for k, a := range blk.slots {
				if a != nil && sel.mask&(1<<k) != 0 {
					out[k].mergeSorted(a)
				}
			}
			for _, r := range blk.unstable {
				addRow(r)
			}
			i += blockRows
			continue
		}
		addRow(snap.rows[i])
		i++
	}
	return &out
}

// combine adds up the groups of slots selected by mask into one acc. The
// groups' values are sorted in place and kept as parts, not copied.
func combine(slots *[slotCount]acc, mask uint16) *acc {
	a := &acc{values: slots[0].values}
	for k := range slots {
		if mask&(1<<k) == 0 {
			continue
		}
		b := &slots[k]
		if a.values {
			slices.Sort(b.tta)
			slices.Sort(b.silRes)
		}
		a.mergeSorted(b)
		if a.values {
			a.ttaParts = append(a.ttaParts, b.ttaParts...)
			a.silParts = append(a.silParts, b.silParts...)
		}
	}
	return a
}

// mergeSorted adds a block's sums to a; their values are kept as sorted
// parts.
func (a *acc) mergeSorted(b *acc) {
	a.addCounts(b)
	if a.values {
		if len(b.tta) > 0 {
			a.ttaParts = append(a.ttaParts, b.tta)
		}
		if len(b.silRes) > 0 {
			a.silParts = append(a.silParts, b.silRes)
		}
	}
}

// addCounts adds every count and sum of b to a (all but the values).
func (a *acc) addCounts(b *acc) {
	a.incidents += b.incidents
	a.open += b.open
	a.resolved += b.resolved
	a.ttaN += b.ttaN
	a.ackMet += b.ackMet
	a.cadMet += b.cadMet
	a.cadMissed += b.cadMissed
	a.multi += b.multi
	a.resp += b.resp
	a.apol += b.apol
	a.pmMet += b.pmMet
	a.pmMissed += b.pmMissed
	a.offC += b.offC
	a.redC += b.redC
	a.offAmt += b.offAmt
	a.redAmt += b.redAmt
	a.fuNum += b.fuNum
	a.fuDen += b.fuDen
	a.churnN += b.churnN
	a.churnPending += b.churnPending
	a.aa += b.aa
	a.ca += b.ca
	a.ab += b.ab
	a.cb += b.cb
	a.tsSum += b.tsSum
	a.tsN += b.tsN
	a.kept += b.kept
	a.broken += b.broken
	for h := range a.drivers {
		for v := range a.drivers[h] {
			for i := range a.drivers[h][v] {
				a.drivers[h][v][i] += b.drivers[h][v][i]
			}
		}
	}
}

// quantileParts is quantileExact over xs and the sorted parts together,
// without merging them: the k-th value is the least v with at least k+1
// values ≤ v, found by bisecting the values' range. It sorts xs in place.
func quantileParts(xs []int64, parts [][]int64, q float64) int64 {
	if len(parts) == 0 {
		return quantileExact(xs, q)
	}
	n := len(xs)
	for _, p := range parts {
		n += len(p)
	}
	if n == 0 {
		return 0
	}
	k := min(int(q*float64(n)), n-1)
	slices.Sort(xs)
	all := append(parts[:len(parts):len(parts)], xs)
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	for _, p := range all {
		if len(p) > 0 {
			lo, hi = min(lo, p[0]), max(hi, p[len(p)-1])
		}
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		c := 0
		for _, p := range all {
			i, _ := slices.BinarySearch(p, mid+1) // values ≤ mid
			c += i
		}
		if c > k {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}
