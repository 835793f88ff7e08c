package analytics

// Answers from memory. A snapshot (snapshot.go) holds the clock-free half
// of every complete incident's figures; after a build the Store reads it
// into memory once (100 000 rows at SPEC §5 size), and every answer
// applies the clock here, in Go, instead of sending a query: ClickHouse
// 18.16 spends 50–75 ms planning the figure-set SQL alone, and a request
// only needs to look at a few thousand rows.
//
// figuresAt is the Go twin of builder.finish (sql.go) and must stay equal
// to it: the incident_metrics view computes with finish, the Store with
// figuresAt, and TestFiguresMatchSQL compares the two at several clocks.

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/trustlens/trustlens"
)

// preRow is one row of a snapshot's incident table: the columns of pre.
type preRow struct {
	id, sev, title string
	det, resTS     int64
	isRes, hasC    bool
	ttaN, updates  int64
	chans          []string
	ptsIn, gapsRes []int64
	lastN          int64
	resp, apol     bool
	hasPM          bool
	pmAt           int64
	affN, affOffN  int64
	offN, redN     int64
	offAmt, redAmt float64
	followedUp     int64
	aa, ca, ab, cb int64
	promMade, kept int64
	unkept         []int64
	comp           *compAgg     // the customers offered compensation; nil when none
	cevs           []*custEvent // tickets and rated feedback naming it or maybe attributed to it (tickets.go)
	aff            []custPair   // its affected customers (customers.go)
	tk             *ticketAgg   // resolved: its tickets' sums (tickets.go)
	sevIdx         int8         // index in trustlens.Severities; -1: unknown
	cadence        int64        // the severity's cadence target, seconds (0: unknown severity)
	compSev        bool         // the severity is one of compensation_severities
	idx            int32        // index in the snapshot's rows
}

// compAgg sums an incident's (incident, customer) pairs with a
// compensation offer, in total and by compensation type.
type compAgg struct {
	total  compSums
	byType []compSums // in the order of trustlens.CompensationTypes
	// days from the earliest offer to the earliest redemption of each
	// redeemed pair, and the index of its earliest offer's type (-1: none)
	days    []float64
	dayType []int8
}

type compSums struct {
	offered, redeemed int64
	offAmt, redAmt    float64
}

// addPair adds one pair: the type of its earliest offer, whether it was
// redeemed, the amounts, the delay and every offer's type and amount.
func (c *compAgg) addPair(offType string, redeemed bool, offAmt, redAmt float64, delay int64, types []string, amts []float64) {
	if c.byType == nil {
		c.byType = make([]compSums, len(trustlens.CompensationTypes))
	}
	c.total.offered++
	c.total.offAmt += offAmt
	first := int8(-1)
	for t, name := range trustlens.CompensationTypes {
		offered := false
		for k, pt := range types {
			if pt == name {
				offered = true
				c.byType[t].offAmt += amts[k]
			}
		}
		if offered {
			c.byType[t].offered++
		}
		if offType == name {
			first = int8(t)
		}
	}
	if redeemed {
		c.total.redeemed++
		c.total.redAmt += redAmt
		if first >= 0 {
			c.byType[first].redeemed++
			c.byType[first].redAmt += redAmt
		}
		c.days = append(c.days, float64(delay)/86400)
		c.dayType = append(c.dayType, first)
	}
}

// Habit verdicts, in the order of trustlens.Habits.
const (
	vMet uint8 = iota
	vMissed
	vPending
	vNA
)

var verdictNames = [...]string{trustlens.Met, trustlens.Missed, trustlens.Pending, trustlens.NA}

// figures are the clock-dependent figures of one incident at one instant
// (the columns finish adds to pre).
type figures struct {
	maxSilence   int64
	silence      int64
	cadence      int64
	overdue      bool
	churnPending bool
	pending      int64 // promises pending
	habits       [7]uint8
	met, missed  int64
	trust        int64 // -1: null
}

// overdueAt reports whether open incident r is overdue at now (SPEC §2.1):
// silent since the latest of detection and its last update point for
// longer than its severity's cadence target.
func (r *preRow) overdueAt(now int64) bool { return !r.isRes && now-r.lastN > r.cadence }

// figuresAt computes finish for one row at now. The answers over many
// rows reuse them through the blocks' sums (blocks.go).
func figuresAt(p *trustlens.Policy, r *preRow, now int64) figures {
	var f figures
	if r.isRes {
		f.maxSilence = maxOf(r.gapsRes)
	} else {
		f.maxSilence = openMaxSilence(r, now)
	}
	if f.maxSilence < 0 {
		f.maxSilence = 0
	}
	f.silence = now - r.lastN
	f.cadence = r.cadence
	f.overdue = r.overdueAt(now)
	f.churnPending = !(r.isRes && now > r.resTS+int64(p.ChurnWindowDays)*86400)
	for _, d := range r.unkept {
		if now <= d {
			f.pending++
		}
	}

	pm := int64(p.PostmortemDays) * 86400
	fu := int64(p.FollowupDays) * 86400
	verdict := func(met bool, pendingAfter int64, hasAfter bool) uint8 {
		switch {
		case met:
			return vMet
		case !r.isRes || (hasAfter && now <= r.resTS+pendingAfter):
			return vPending
		}
		return vMissed
	}
	f.habits[0] = verdict(r.hasC && r.ttaN <= p.AckTarget.Seconds(), 0, false)
	f.habits[1] = verdict(r.resp, 0, false)
	f.habits[2] = verdict(f.maxSilence <= f.cadence && int64(len(r.chans)) >= int64(p.MinChannels), 0, false)
	f.habits[3] = verdict(r.apol, 0, false)
	if r.affN == 0 || !r.compSev {
		f.habits[4] = vNA
	} else {
		f.habits[4] = verdict(float64(r.affOffN)/float64(r.affN) >= p.CompensationCoverage, 0, false)
	}
	f.habits[5] = verdict(r.hasPM && (!r.isRes || r.pmAt <= r.resTS+pm), pm, true)
	if r.affN == 0 {
		f.habits[6] = vNA
	} else {
		f.habits[6] = verdict(float64(r.followedUp)/float64(r.affN) >= p.FollowupCoverage, fu, true)
	}
	for _, v := range f.habits {
		switch v {
		case vMet:
			f.met++
		case vMissed:
			f.missed++
		}
	}
	f.trust = -1
	if f.met+f.missed > 0 {
		f.trust = int64(math.Round(float64(100*f.met) / float64(f.met+f.missed)))
	}
	return f
}

// openGaps are the silences of an open incident at now: between detection,
// the update points up to now, and now.
func openGaps(r *preRow, now int64) []int64 {
	gaps := make([]int64, 0, len(r.ptsIn)+1)
	prev := r.det
	for _, x := range r.ptsIn {
		if x <= now {
			gaps = append(gaps, x-prev)
			prev = x
		}
	}
	return append(gaps, now-prev)
}

// openMaxSilence is maxOf(openGaps(r, now)) without the slice.
func openMaxSilence(r *preRow, now int64) int64 {
	prev, m := r.det, int64(math.MinInt64)
	for _, x := range r.ptsIn {
		if x <= now {
			m = max(m, x-prev)
			prev = x
		}
	}
	return max(m, now-prev)
}

func maxOf(xs []int64) int64 {
	if len(xs) == 0 {
		return 0
	}
	m := xs[0]
	for _, x := range xs[1:] {
		m = max(m, x)
	}
	return m
}

func cadenceOf(p *trustlens.Policy, sev string) int64 {
	for _, s := range trustlens.Severities {
		if s == sev {
			return p.CadenceTarget[sev].Seconds()
		}
	}
	return 0
}

func compSev(p *trustlens.Policy, sev string) bool {
	return slices.Contains(p.CompensationSeverities, sev) && slices.Contains(trustlens.Severities, sev)
}

// gapsAt are the silences of row r at now.
func gapsAt(r *preRow, now int64) []int64 {
	if r.isRes {
		return gapsOf(r.gapsRes)
	}
	return gapsOf(openGaps(r, now))
}

func gapsOf(gaps []int64) []int64 {
	if gaps == nil {
		return []int64{}
	}
	return gaps
}

// buildIncident is the API form of row r with figures f.
func buildIncident(r *preRow, f *figures) trustlens.Incident {
	inc := trustlens.Incident{
		IncidentID:           r.id,
		Title:                r.title,
		Severity:             r.sev,
		Status:               "open",
		DetectedAt:           time.Unix(r.det, 0).UTC(),
		MaxSilenceSeconds:    f.maxSilence,
		Updates:              r.updates,
		Channels:             r.chans,
		Affected:             r.affN,
		CompensationOffered:  r.offN,
		CompensationRedeemed: r.redN,
		FollowedUp:           r.followedUp,
		PromisesMade:         r.promMade,
		PromisesKept:         r.kept,
		PromisesBroken:       r.promMade - r.kept - f.pending,
		Habits:               make(map[string]string, len(trustlens.Habits)),
	}
	if inc.Channels == nil {
		inc.Channels = []string{}
	}
	if r.isRes {
		inc.Status = "resolved"
		t := time.Unix(r.resTS, 0).UTC()
		inc.ResolvedAt = &t
	}
	if r.hasC {
		v := r.ttaN
		inc.TTASeconds = &v
	}
	if !f.churnPending {
		inc.ActiveAffected, inc.ChurnedAffected = ptr(r.aa), ptr(r.ca)
		inc.ActiveBaseline, inc.ChurnedBaseline = ptr(r.ab), ptr(r.cb)
	}
	if f.trust >= 0 {
		inc.TrustScore = ptr(f.trust)
	}
	for i, h := range trustlens.Habits {
		inc.Habits[h] = verdictNames[f.habits[i]]
	}
	return inc
}

func ptr(v int64) *int64 { return &v }

// inRange is the part of the snapshot rows (sorted by det, incident_id)
// detected in [sc.from, sc.to).
func (snap *snapshot) inRange(sc scope) []*preRow {
	rows := snap.rows
	if sc.from != 0 {
		i := sort.Search(len(rows), func(i int) bool { return rows[i].det >= sc.from })
		rows = rows[i:]
	}
	if sc.to != 0 {
		i := sort.Search(len(rows), func(i int) bool { return rows[i].det >= sc.to })
		rows = rows[:i]
	}
	return rows
}

// rowScope keeps the incidents of a filter: detected in [from, to) (0:
// unbounded), of the severity (if any). selectRows is the rows it keeps
// (and of f's status); holds answers for one row, such as a pair's.
type rowScope struct {
	from, to int64
	sev      string
}

func rowScopeOf(f trustlens.Filter) rowScope {
	sc, _ := scopeOf(f)
	return rowScope{from: sc.from, to: sc.to, sev: f.Severity}
}

func (k rowScope) holds(r *preRow) bool {
	return (k.from == 0 || r.det >= k.from) && (k.to == 0 || r.det < k.to) && (k.sev == "" || r.sev == k.sev)
}

// selectRows are the rows of f: in range, of the severity and status.
func (snap *snapshot) selectRows(f trustlens.Filter) []*preRow {
	sc, _ := scopeOf(f)
	rows := snap.inRange(sc)
	if f.Severity == "" && f.Status == "" {
		return rows
	}
	out := make([]*preRow, 0, len(rows))
	for _, r := range rows {
		if f.Severity != "" && r.sev != f.Severity {
			continue
		}
		if (f.Status == "open" && r.isRes) || (f.Status == "resolved" && !r.isRes) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// acc accumulates the aggregates behind Summary, Churn and Trend (the
// Go twin of the former SQL aggregate columns).
type acc struct {
	incidents, open, resolved int64
	tta, silRes               []int64   // only with values
	ttaParts, silParts        [][]int64 // more values, sorted parts (blocks' sums)
	ttaN                      int64
	values                    bool
	ackMet, cadMet, cadMissed int64
	multi, resp, apol         int64
	pmMet, pmMissed           int64
	offC, redC                int64
	offAmt, redAmt            float64
	fuNum, fuDen              int64
	churnN, churnPending      int64
	aa, ca, ab, cb            int64
	tsSum, tsN                int64
	kept, broken              int64
	drivers                   [7][2][3]int64 // habit × met/missed × (n, aa, ca)
	verdicts                  [7][4]int64    // incidents by habit × verdict (vMet…vNA)
}

func (a *acc) add(r *preRow, f *figures) {
	a.incidents++
	if r.isRes {
		a.resolved++
		if a.values {
			a.silRes = append(a.silRes, f.maxSilence)
		}
		a.fuNum += r.followedUp
		a.fuDen += r.affN
	} else {
		a.open++
	}
	if r.hasC {
		a.ttaN++
		if a.values {
			a.tta = append(a.tta, r.ttaN)
		}
	}
	if f.habits[0] == vMet {
		a.ackMet++
	}
	switch f.habits[2] {
	case vMet:
		a.cadMet++
	case vMissed:
		a.cadMissed++
	}
	if len(r.chans) >= 2 {
		a.multi++
	}
	if r.resp {
		a.resp++
	}
	if r.apol {
		a.apol++
	}
	switch f.habits[5] {
	case vMet:
		a.pmMet++
	case vMissed:
		a.pmMissed++
	}
	a.offC += r.offN
	a.redC += r.redN
	a.offAmt += r.offAmt
	a.redAmt += r.redAmt
	if f.churnPending {
		a.churnPending++
	} else {
		a.churnN++
		a.aa += r.aa
		a.ca += r.ca
		a.ab += r.ab
		a.cb += r.cb
		for h, v := range f.habits {
			if v == vMet || v == vMissed {
				d := &a.drivers[h][v]
				d[0]++
				d[1] += r.aa
				d[2] += r.ca
			}
		}
	}
	for h, v := range f.habits {
		a.verdicts[h][v]++
	}
	if f.trust >= 0 {
		a.tsSum += f.trust
		a.tsN++
	}
	a.kept += r.kept
	a.broken += r.promMade - r.kept - f.pending
}

// quantileExact is ClickHouse's quantileExact (SPEC §2.3): the value at
// 0-based index ⌊q·n⌋ of the sorted values, clamped to n−1; 0 when empty.
// It sorts xs in place.
func quantileExact[T int64 | float64](xs []T, q float64) T {
	if len(xs) == 0 {
		return 0
	}
	if !slices.IsSorted(xs) {
		slices.Sort(xs)
	}
	i := int(q * float64(len(xs)))
	if i >= len(xs) {
		i = len(xs) - 1
	}
	return xs[i]
}

// row turns the accumulator into the named aggregates summaryOf and
// churnGroupOf read.
func (a *acc) row() aggRow {
	f := func(v int64) float64 { return float64(v) }
	r := aggRow{
		"incidents": f(a.incidents), "open": f(a.open), "resolved": f(a.resolved),
		"tta_n": f(a.ttaN), "tta_p50": f(quantileParts(a.tta, a.ttaParts, 0.5)), "tta_p90": f(quantileParts(a.tta, a.ttaParts, 0.9)),
		"ack_met": f(a.ackMet), "cad_met": f(a.cadMet), "cad_missed": f(a.cadMissed),
		"sil_p50": f(quantileParts(a.silRes, a.silParts, 0.5)),
		"multi":   f(a.multi), "resp": f(a.resp), "apol": f(a.apol),
		"pm_met": f(a.pmMet), "pm_missed": f(a.pmMissed),
		"off_c": f(a.offC), "red_c": f(a.redC),
		"off_amt": math.Round(a.offAmt*100) / 100, "red_amt": math.Round(a.redAmt*100) / 100,
		"fu_num": f(a.fuNum), "fu_den": f(a.fuDen),
		"churn_n": f(a.churnN), "churn_pending": f(a.churnPending),
		"aa": f(a.aa), "ca": f(a.ca), "ab": f(a.ab), "cb": f(a.cb),
		"ts_sum": f(a.tsSum), "ts_n": f(a.tsN),
		"kept": f(a.kept), "broken": f(a.broken),
	}
	for h, name := range trustlens.Habits {
		for v, side := range []string{trustlens.Met, trustlens.Missed} {
			p := "d_" + name + "_" + side
			d := a.drivers[h][v]
			r[p+"_n"], r[p+"_aa"], r[p+"_ca"] = f(d[0]), f(d[1]), f(d[2])
		}
	}
	return r
}

// prepare sets the fields of r that follow from its columns and the policy.
func (s *Store) prepare(r *preRow) {
	r.sevIdx = int8(slices.Index(trustlens.Severities, r.sev))
	r.cadence = cadenceOf(&s.policy, r.sev)
	r.compSev = compSev(&s.policy, r.sev)
}

// load reads a built snapshot's tables into memory.
func (s *Store) load(ctx context.Context, snap *snapshot) error {
	rows, err := s.conn.Query(ctx, `SELECT toString(incident_id), toString(sev), toString(ttl), toInt64(det), toUInt8(is_res), toInt64(res_ts),
  toUInt8(has_c), toInt64(tta_n), toInt64(updates), CAST(chans AS Array(String)),
  CAST(pts_in AS Array(Int64)), CAST(gaps_res AS Array(Int64)), toInt64(last_n),
  toUInt8(resp), toUInt8(apol), toUInt8(has_pm), toInt64(pm_at),
  toInt64(aff_n), toInt64(aff_off_n), toInt64(off_n), toInt64(red_n), toFloat64(off_amt_r), toFloat64(red_amt_r),
  toInt64(followed_up), toInt64(aa), toInt64(ca), toInt64(ab), toInt64(cb),
  toInt64(promises_made), toInt64(promises_kept), CAST(unkept_deadlines AS Array(Int64))
FROM `+snap.incidents+`
ORDER BY det, incident_id`)
	if err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	defer rows.Close()
	byID := map[string]*preRow{}
	for rows.Next() {
		r := &preRow{}
		var isRes, hasC, resp, apol, hasPM uint8
		if err := rows.Scan(&r.id, &r.sev, &r.title, &r.det, &isRes, &r.resTS,
			&hasC, &r.ttaN, &r.updates, &r.chans,
			&r.ptsIn, &r.gapsRes, &r.lastN,
			&resp, &apol, &hasPM, &r.pmAt,
			&r.affN, &r.affOffN, &r.offN, &r.redN, &r.offAmt, &r.redAmt,
			&r.followedUp, &r.aa, &r.ca, &r.ab, &r.cb,
			&r.promMade, &r.kept, &r.unkept); err != nil {
			return fmt.Errorf("load snapshot: %w", err)
		}
		r.isRes, r.hasC, r.resp, r.apol, r.hasPM = isRes == 1, hasC == 1, resp == 1, apol == 1, hasPM == 1
		s.prepare(r)
		snap.rows = append(snap.rows, r)
		byID[r.id] = r
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load snapshot: %w", err)
	}
	rows.Close()

	prows, err := s.conn.Query(ctx, `SELECT toString(incident_id), toString(off_type), toUInt8(n_red > 0), toFloat64(off_amt), toFloat64(red_amt),
  toInt64(red_first) - toInt64(off_first), CAST(off_types AS Array(String)), CAST(off_amts AS Array(Float64))
FROM `+snap.pairs+`
WHERE n_off > 0`)
	if err != nil {
		return fmt.Errorf("load snapshot pairs: %w", err)
	}
	defer prows.Close()
	for prows.Next() {
		var (
			id, offType string
			redeemed    uint8
			offAmt      float64
			redAmt      float64
			delay       int64
			types       []string
			amts        []float64
		)
		if err := prows.Scan(&id, &offType, &redeemed, &offAmt, &redAmt, &delay, &types, &amts); err != nil {
			return fmt.Errorf("load snapshot pairs: %w", err)
		}
		r := byID[id]
		if r == nil { // pairs of incomplete incidents count nowhere
			continue
		}
		if r.comp == nil {
			r.comp = &compAgg{}
		}
		r.comp.addPair(offType, redeemed == 1, offAmt, redAmt, delay, types, amts)
	}
	if err := prows.Err(); err != nil {
		return fmt.Errorf("load snapshot pairs: %w", err)
	}
	snap.byID = byID
	if err := s.loadTickets(ctx, snap); err != nil {
		return err
	}
	snap.aggregateTickets()
	if err := s.loadWorklist(ctx, snap); err != nil {
		return err
	}
	if err := s.loadOffered(ctx, snap); err != nil { // reads the worklist's MRR
		return err
	}
	if err := s.loadChurners(ctx, snap); err != nil {
		return err
	}
	now := s.now().UTC().Unix()
	s.buildBlocks(snap, now)
	return nil
}
