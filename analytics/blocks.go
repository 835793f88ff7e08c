package analytics

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/trustlens/trustlens"
)

// Aggregates over a range of incidents (Summary, Trend, Churn) add up the
// figures of every incident in it. A resolved incident's figures change
// only at a few instants, and never again once its windows have passed, so
// the sums of resolved incidents are kept by block of blockRows
// consecutive rows (the rows are sorted by detection), with the instants
// between which they hold; a range adds up whole blocks' sums plus the
// rows at its two ends and the open incidents. The answers are the same as
// adding every row (TestBlocksMatchRows); at 100 000 incidents a 90-day
// summary reads about 100 blocks instead of 25 000 rows.

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

// block is one run of blockRows rows, with their sums.
type block struct {
	rows []*preRow
	sums atomic.Pointer[blockSums]
}

// blockSums are a block's sums over the instants [from, until]: the sums of
// its resolved rows, whose figures (those the aggregates read) change only
// at a few instants (a churn window's end, a postmortem or follow-up
// deadline, a promise's deadline), so that none changes within [from,
// until]; open incidents' figures change with every second, so they are
// added one by one.
type blockSums struct {
	at, from, until int64 // summed at at, holding over [from, until]
	// slots are the resolved rows' sums by slotOf (nil: none), with their
	// tta and silRes values sorted.
	slots [slotCount]*acc
	open  []*preRow // in order
	// answers are the API forms of the resolved rows as of at (an open
	// row's entry is empty), built when first asked for: a list of
	// thousands of incidents copies them from consecutive memory.
	answersOnce sync.Once
	answers     []trustlens.Incident
}

// figureEdges calls fn with every instant T at which a figure of resolved
// row r that the aggregates and its API form read turns: each is a test "now > T" or
// "now <= T", so the figure is the same for every now in (T', T] between
// two consecutive edges.
func figureEdges(p *trustlens.Policy, r *preRow, fn func(t int64)) {
	fn(r.resTS + int64(p.ChurnWindowDays)*86400) // churn pending
	fn(r.resTS + int64(p.PostmortemDays)*86400)  // learn pending
	fn(r.resTS + int64(p.FollowupDays)*86400)    // follow_up pending
	for _, d := range r.unkept {                 // promises pending
		fn(d)
	}
}

// sumBlock sums rows at now, and finds the instants around now between
// which the sums hold.
func (s *Store) sumBlock(rows []*preRow, now int64) *blockSums {
	bs := &blockSums{at: now, from: math.MinInt64, until: math.MaxInt64}
	for _, r := range rows {
		if !r.isRes {
			bs.open = append(bs.open, r)
			continue
		}
		figureEdges(&s.policy, r, func(t int64) {
			if t >= now {
				bs.until = min(bs.until, t)
			} else {
				bs.from = max(bs.from, t+1)
			}
		})
		k := slotOf(r)
		if bs.slots[k] == nil {
			bs.slots[k] = &acc{values: true}
		}
		f := figuresAt(&s.policy, r, now)
		bs.slots[k].add(r, &f)
	}
	for _, a := range bs.slots {
		if a != nil {
			slices.Sort(a.tta)
			slices.Sort(a.silRes)
		}
	}
	return bs
}

// sumsAt are block b's sums at now, summed again when now is past the
// instants they hold for (each turn of a figure costs one new sum).
func (s *Store) sumsAt(b *block, now int64) *blockSums {
	bs := b.sums.Load()
	if bs == nil || now < bs.from || now > bs.until {
		bs = s.sumBlock(b.rows, now)
		b.sums.Store(bs)
	}
	return bs
}

// answer is the API form of the block's i-th row, which is resolved, as of
// bs.at.
func (bs *blockSums) answer(p *trustlens.Policy, rows []*preRow, i int) trustlens.Incident {
	bs.answersOnce.Do(func() {
		bs.answers = make([]trustlens.Incident, len(rows))
		for k, r := range rows {
			if r.isRes {
				f := figuresAt(p, r, bs.at)
				bs.answers[k] = buildIncident(r, &f)
			}
		}
	})
	return bs.answers[i]
}

// incidentOf is the API form of row r of snap at now: a resolved row's from
// its block's sums while they hold, any other built anew.
func (s *Store) incidentOf(snap *snapshot, r *preRow, now int64) trustlens.Incident {
	var inc trustlens.Incident
	if b, i := int(r.idx)/blockRows, int(r.idx)%blockRows; r.isRes && b < len(snap.blocks) && snap.blocks[b].rows[i] == r {
		inc = s.sumsAt(&snap.blocks[b], now).answer(&s.policy, snap.blocks[b].rows, i)
	} else {
		f := figuresAt(&s.policy, r, now)
		inc = buildIncident(r, &f)
	}
	setTickets(&inc, r, now)
	return inc
}

// buildBlocks divides snap's rows into blocks and sums them at now.
func (s *Store) buildBlocks(snap *snapshot, now int64) {
	for i, r := range snap.rows {
		r.idx = int32(i)
	}
	n := len(snap.rows) / blockRows // a last, partial block is never whole in a range
	snap.blocks = make([]block, n)
	for b := range snap.blocks {
		blk := &snap.blocks[b]
		blk.rows = snap.rows[b*blockRows : (b+1)*blockRows]
		blk.sums.Store(s.sumBlock(blk.rows, now))
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
		if i%blockRows == 0 && i+blockRows <= sel.hi && b < len(snap.blocks) && sel.sev == "" {
			bs := s.sumsAt(&snap.blocks[b], now)
			for k, a := range bs.slots {
				if a != nil && sel.mask&(1<<k) != 0 {
					out[k].mergeSorted(a)
				}
			}
			for _, r := range bs.open {
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
	for h := range a.verdicts {
		for v := range a.verdicts[h] {
			a.verdicts[h][v] += b.verdicts[h][v]
		}
	}
}

// countAtMost is how many of the values of xs and of the sorted parts are
// at most x.
func countAtMost(xs []int64, parts [][]int64, x int64) int64 {
	var n int64
	for _, v := range xs {
		if v <= x {
			n++
		}
	}
	for _, p := range parts {
		i, _ := slices.BinarySearch(p, x+1)
		n += int64(i)
	}
	return n
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
