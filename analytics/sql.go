package analytics

// The SQL building blocks of SPEC §2. Everything here is plain text built
// from numbers this package controls (policy values, the clock, the time
// range); the only caller-supplied strings (an incident id, a severity)
// travel as named bound parameters @id and @sev.
//
// All times are handled as Int64 unix seconds inside the queries and turned
// back into DateTime('UTC') only in the columns that leave figureSet.
//
// A lambda never captures a column: 18.16 prunes subquery columns that only
// a lambda uses ("Unknown identifier"), so outer values are passed in as
// extra array arguments with replicate(value, array).
//
// The SQL must run on ClickHouse 18.16 and 26.x alike
// (shared/clickhouse-portable-sql.md): one JOIN per SELECT, ANY LEFT JOIN
// on unique right keys only, both sides of a JOIN aliased (26.x requires
// it: joined_subquery_requires_alias), no CTEs, no window functions, no
// alias equal to a column name, every result type pinned.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/trustlens/trustlens"
)

// never stands for "no such instant" (no churn): far beyond any real time.
const never = "toInt64(253402300799)"

// The update-point kinds of SPEC §2.1.
const pointKinds = "('acknowledgement', 'update', 'resolution')"

// scope says which incidents a figure set covers.
type scope struct {
	byID     bool  // incident_id = @id
	bySev    bool  // severity = @sev
	from, to int64 // detected_at in [from, to); 0 = unbounded
	status   string
}

// builder renders the queries for one policy, one clock and one table
// prefix ("" for the Store, "{{.DB}}." for the migration's view).
type builder struct {
	state  bool // read the state tables (state.go), not the raw events
	prefix string
	now    string // SQL expression of "now" as Int64 unix seconds
	p      trustlens.Policy
}

func (b builder) table(name string) string { return b.prefix + name }

func num(v int64) string { return "toInt64(" + strconv.FormatInt(v, 10) + ")" }

func flt(v float64) string { return "toFloat64(" + strconv.FormatFloat(v, 'g', -1, 64) + ")" }

// dedup keeps the first stored copy of each event_id of table (smallest
// ingested_at, kafka_topic, kafka_partition, kafka_offset). When candidates
// is not empty, only events having some copy that matches it are read; the
// caller filters the deduplicated rows again, so a later copy that differs
// from the first never counts.
func (b builder) dedup(table, cols, candidates string) string {
	where := ""
	if candidates != "" {
		where = "\n    WHERE event_id IN (SELECT event_id FROM " + b.table(table) + " WHERE " + candidates + ")"
	}
	return "SELECT " + cols + "\n    FROM " + b.table(table) + where +
		"\n    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset\n    LIMIT 1 BY event_id"
}

const (
	incidentCols = "event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title"
	commCols     = "event_id, toInt64(occurred_at) AS ts, incident_id, customer_id, channel, kind, apology, takes_responsibility, " +
		"root_cause, prevention_steps, toUInt8(isNotNull(next_update_at)) AS has_nua, toInt64(assumeNotNull(next_update_at)) AS nua"
	customerCols = "event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, compensation_type, toFloat64(ifNull(amount, 0)) AS amt"
)

// candidateIDs is a cheap condition on raw rows that holds for every
// incident in scope (and maybe a few more): its earliest detection is in
// range and has the severity, so some stored incident.detected row is and
// has. "" when it would filter nothing.
func (b builder) candidateIDs(s scope) string {
	if s.byID {
		return "incident_id = @id"
	}
	var conds []string
	if s.from != 0 {
		conds = append(conds, "occurred_at >= toDateTime("+num(s.from)+", 'UTC')")
	}
	if s.to != 0 {
		conds = append(conds, "occurred_at < toDateTime("+num(s.to)+", 'UTC')")
	}
	if s.bySev {
		conds = append(conds, "severity = @sev")
	}
	if len(conds) == 0 {
		return ""
	}
	return "incident_id IN (SELECT incident_id FROM " + b.table("incident_events") +
		" WHERE type = 'incident.detected' AND " + strings.Join(conds, " AND ") + ")"
}

// base is one row per complete incident in scope: incident_id, sev, ttl,
// det, is_res, res_ts.
func (b builder) base(s scope) string {
	if b.state {
		return b.baseState(s)
	}
	cand := b.candidateIDs(s)
	having := []string{"countIf(type = 'incident.detected') > 0"}
	if s.byID {
		having = append(having, "incident_id = @id")
	}
	if s.bySev {
		having = append(having, "sev = @sev")
	}
	if s.from != 0 {
		having = append(having, "det >= "+num(s.from))
	}
	if s.to != 0 {
		having = append(having, "det < "+num(s.to))
	}
	switch s.status {
	case "open":
		having = append(having, "is_res = 0")
	case "resolved":
		having = append(having, "is_res = 1")
	}
	return `SELECT incident_id,
    argMinIf(severity, (ts, event_id), type = 'incident.detected') AS sev,
    argMinIf(title, (ts, event_id), type = 'incident.detected') AS ttl,
    minIf(ts, type = 'incident.detected') AS det,
    toUInt8(countIf(type = 'incident.resolved') > 0) AS is_res,
    minIf(ts, type = 'incident.resolved') AS res_ts
  FROM (` + b.dedup("incident_events", incidentCols, cand) + `)
  GROUP BY incident_id
  HAVING ` + strings.Join(having, " AND ")
}

// inScope is a condition on incident_id that keeps every incident in
// scope ("1" when there is no filter). It may keep a few more: the
// per-incident parts are joined to base, which has exactly the scope.
func (b builder) inScope(s scope) string {
	if c := b.candidateIDs(s); c != "" {
		return c
	}
	return "1"
}

// candidates is inScope as a dedup pre-filter ("" when it filters nothing).
func candidates(in string) string {
	if in == "1" {
		return ""
	}
	return in
}

// comms is one row per incident with communications: has_c, first_c, pts
// (sorted distinct update instants), chans, resp, apol, has_pm, pm_at,
// proms (distinct next_update_at with the time the promise was made).
func (b builder) comms(s scope) string {
	if b.state {
		return b.commsState(s)
	}
	in := b.inScope(s)
	return `SELECT incident_id,
    toUInt8(1) AS has_c,
    min(made_at) AS first_c,
    arraySort(groupUniqArrayArray(pts_part)) AS pts,
    arraySort(groupUniqArrayArray(ch_part)) AS chans,
    toUInt8(max(resp_part)) AS resp,
    toUInt8(max(apol_part)) AS apol,
    toUInt8(sum(pm_n) > 0) AS has_pm,
    minIf(pm_first, pm_n > 0) AS pm_at,
    groupArrayIf(nua, has_nua = 1) AS prom_at,
    groupArrayIf(made_at, has_nua = 1) AS prom_made
  FROM (
    SELECT incident_id, has_nua, nua,
      min(ts) AS made_at,
      groupUniqArrayIf(ts, kind IN ` + pointKinds + `) AS pts_part,
      groupUniqArray(channel) AS ch_part,
      max(takes_responsibility) AS resp_part,
      max(apology) AS apol_part,
      countIf(kind = 'postmortem' AND root_cause = 1 AND prevention_steps = 1) AS pm_n,
      minIf(ts, kind = 'postmortem' AND root_cause = 1 AND prevention_steps = 1) AS pm_first
    FROM (` + b.dedup("communication_events", commCols, candidates(in)) + `)
    WHERE ` + in + `
    GROUP BY incident_id, has_nua, nua
  )
  GROUP BY incident_id`
}

// known is one row per known customer (seen in any event): su = earliest
// sign-up (-1 when none: signed up forever), chd = earliest churn (never
// when none).
func (b builder) known() string {
	if b.state {
		return b.knownState()
	}
	return `SELECT customer_id,
    if(countIf(k = 1) > 0, minIf(ts, k = 1), toInt64(-1)) AS su,
    if(countIf(k = 2) > 0, minIf(ts, k = 2), ` + never + `) AS chd
  FROM (
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (` + b.dedup("incident_events", incidentCols, "") + `) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (` + b.dedup("communication_events", commCols, "") + `) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(multiIf(type = 'customer.signed_up', 1, type = 'customer.churned', 2, 0)) AS k, ts
    FROM (` + b.dedup("customer_events", customerCols, "") + `) WHERE customer_id != ''
  )
  GROUP BY customer_id`
}

// pairs is one row per (incident, customer) of the incidents in scope with
// an affected/offer/redemption/follow-up row: is_aff, n_off, off_amt,
// off_type (of the earliest offer), off_first, n_red, red_amt, red_first,
// n_fu, fu_at.
func (b builder) pairs(s scope) string {
	if b.state {
		return b.pairsState(s)
	}
	in := b.inScope(s)
	return `SELECT incident_id, customer_id,
      toUInt8(max(k = 1)) AS is_aff,
      countIf(k = 2) AS n_off,
      sumIf(amt, k = 2) AS off_amt,
      argMinIf(ctype, (ts, event_id), k = 2) AS off_type,
      minIf(ts, k = 2) AS off_first,
      groupArrayIf(ctype, k = 2) AS off_types,
      groupArrayIf(amt, k = 2) AS off_amts,
      countIf(k = 3) AS n_red,
      sumIf(amt, k = 3) AS red_amt,
      minIf(ts, k = 3) AS red_first,
      countIf(k = 4) AS n_fu,
      minIf(ts, k = 4) AS fu_at
    FROM (
      SELECT incident_id, customer_id, toUInt8(1) AS k, ts, event_id, '' AS ctype, toFloat64(0) AS amt
      FROM (` + b.dedup("incident_events", incidentCols, candidates(in)) + `)
      WHERE type = 'incident.customer_affected' AND ` + in + `
      UNION ALL
      SELECT incident_id, customer_id,
        toUInt8(multiIf(type = 'customer.compensation_offered', 2, type = 'customer.compensation_redeemed', 3, 4)) AS k,
        ts, event_id, compensation_type AS ctype, amt
      FROM (` + b.dedup("customer_events", customerCols, candidates(in)) + `)
      WHERE type IN ('customer.compensation_offered', 'customer.compensation_redeemed', 'customer.followed_up') AND ` + in + `
    )
    GROUP BY incident_id, customer_id`
}

// responses is one row per incident with customer rows: has_u, aff_n,
// off_n, red_n, off_sum, red_sum, aff_off_n, fu_times (earliest follow-up
// of each affected customer) and, with churn, aff_su/aff_ch (sign-up and
// churn of each affected customer).
func (b builder) responses(s scope, churn bool) string {
	src := "(" + b.pairs(s) + ")"
	churnCols := ""
	if churn {
		src = `(SELECT incident_id, customer_id, is_aff, n_off, off_amt, n_red, red_amt, n_fu, fu_at, su, chd
    FROM (` + b.pairs(s) + `) AS pairs_
    ANY LEFT JOIN (` + b.known() + `) AS known_ USING customer_id)`
		churnCols = `,
    groupArrayIf(su, is_aff = 1) AS aff_su,
    groupArrayIf(chd, is_aff = 1) AS aff_ch`
	}
	return `SELECT incident_id,
    toUInt8(1) AS has_u,
    toInt64(countIf(is_aff = 1)) AS aff_n,
    toInt64(countIf(n_off > 0)) AS off_n,
    toInt64(countIf(n_off > 0 AND n_red > 0)) AS red_n,
    sum(off_amt) AS off_sum,
    sumIf(red_amt, n_off > 0) AS red_sum,
    toInt64(countIf(is_aff = 1 AND n_off > 0)) AS aff_off_n,
    groupArrayIf(fu_at, is_aff = 1 AND n_fu > 0) AS fu_times` + churnCols + `
  FROM ` + src + `
  GROUP BY incident_id`
}

// baseline is one row per resolved incident in scope: a_res = known
// customers active at resolved_at; cw_res = known customers active at
// resolved_at whose churn falls in (resolved_at, resolved_at + window].
//
// Both are counted without a customers × incidents cross join:
//   - active at t = #{su <= t} - #{max(su, chd) <= t};
//   - churned in (t, t+W] among the active = #{chd <= t+W} - #{chd <= t}
//   - #{t < chd <= t+W and su > t}.
//
// The prefix counts come from one merged, sorted array of customer deltas
// and incident query points (a sweep); the last term only concerns the
// few customers who churned less than W after signing up (or before it).
func (b builder) baseline(s scope) string {
	w := num(int64(b.p.ChurnWindowDays) * 86400)
	resolved := "SELECT incident_id, res_ts FROM (" + b.base(s) + ") WHERE is_res = 1"
	// keys: instants ×2, deltas on even keys, queries on odd keys, so that
	// a delta at the query's own instant counts (≤).
	events := `SELECT tupleElement(e, 1) AS key, tupleElement(e, 2) AS da, tupleElement(e, 3) AS dc, '' AS qid, toUInt8(0) AS qk
      FROM (
        SELECT arrayJoin(if(chd < ` + never + `,
            [(su * 2, toInt64(1), toInt64(0)), (greatest(su, chd) * 2, toInt64(-1), toInt64(0)), (chd * 2, toInt64(0), toInt64(1))],
            [(su * 2, toInt64(1), toInt64(0))])) AS e
        FROM (` + b.known() + `)
      )
      UNION ALL
      SELECT tupleElement(q, 1) AS key, toInt64(0) AS da, toInt64(0) AS dc, incident_id AS qid, tupleElement(q, 2) AS qk
      FROM (
        SELECT incident_id, arrayJoin([(res_ts * 2 + 1, toUInt8(0)), ((res_ts + ` + w + `) * 2 + 1, toUInt8(1))]) AS q
        FROM (` + resolved + `)
      )`
	sweep := `SELECT q AS incident_id,
      toInt64(sumIf(ca, qk_ = 0)) AS a_res,
      toInt64(sumIf(cc, qk_ = 0)) AS c_res,
      toInt64(sumIf(cc, qk_ = 1)) AS c_end
    FROM (
      SELECT
        arrayCumSum(arraySort((v, k) -> k, das, keys)) AS cas,
        arrayCumSum(arraySort((v, k) -> k, dcs, keys)) AS ccs,
        arraySort((v, k) -> k, qids, keys) AS qs,
        arraySort((v, k) -> k, qks, keys) AS qks_s
      FROM (
        SELECT groupArray(key) AS keys, groupArray(da) AS das, groupArray(dc) AS dcs,
               groupArray(qid) AS qids, groupArray(qk) AS qks
        FROM (` + events + `)
      )
    )
    ARRAY JOIN cas AS ca, ccs AS cc, qs AS q, qks_s AS qk_
    WHERE q != ''
    GROUP BY q`
	quick := `SELECT incident_id,
      toInt64(arrayCount((su_, ch_, r_) -> ch_ > r_ AND ch_ <= r_ + ` + w + ` AND su_ > r_, rs, rc, replicate(res_ts, rs))) AS r_n
    FROM (` + resolved + `) AS resolved_
    CROSS JOIN (
      SELECT groupArray(su) AS rs, groupArray(chd) AS rc
      FROM (` + b.known() + `)
      WHERE chd < ` + never + ` AND su > chd - ` + w + `
    ) AS recent_`
	return `SELECT incident_id, toUInt8(1) AS has_bl, a_res, c_end - c_res - r_n AS cw_res
  FROM (` + sweep + `) AS sweep_
  ANY LEFT JOIN (` + quick + `) AS quick_ USING incident_id`
}

// cadenceExpr is the severity's cadence target in seconds.
func (b builder) cadenceExpr(sevCol string) string {
	var parts []string
	for _, sev := range trustlens.Severities {
		parts = append(parts, sevCol+" = '"+sev+"', "+num(b.p.CadenceTarget[sev].Seconds()))
	}
	return "multiIf(" + strings.Join(parts, ", ") + ", toInt64(0))"
}

// compSevExpr is 1 when the severity is one of compensation_severities.
func (b builder) compSevExpr(sevCol string) string {
	var in []string
	seen := map[string]bool{}
	for _, sev := range b.p.CompensationSeverities {
		for _, known := range trustlens.Severities {
			if sev == known && !seen[sev] {
				seen[sev] = true
				in = append(in, "'"+sev+"'")
			}
		}
	}
	if len(in) == 0 {
		return "toUInt8(0)"
	}
	sort.Strings(in)
	return "toUInt8(" + sevCol + " IN (" + strings.Join(in, ", ") + "))"
}

// figureSet is one row per complete incident in scope with every figure of
// SPEC §2.1–2.2. Columns: incident_id, severity, title, detected_at,
// resolved_at, status, tta_seconds, updates, channels, max_silence_seconds,
// gaps, last_update_at, silence_seconds, cadence_target_seconds, overdue,
// responsibility, apology, affected, compensation_offered,
// compensation_redeemed, compensation_offered_amount,
// compensation_redeemed_amount, followed_up, churn_pending,
// active_affected, churned_affected, active_baseline, churned_baseline,
// promises_made, promises_kept, promises_broken, promises_pending, one
// habit_<name> column per habit, habits_met, habits_missed, trust_score.
// Without churn the four churn counts are NULL for every incident.
func (b builder) figureSet(s scope, churn bool) string {
	return b.finish(b.pre(b.joined(s, true)))
}

// joined is one row per complete incident in scope with the clock-free
// parts of its figures (base, communications, customer responses and, with
// churn, the affected customers' sign-up/churn and the baseline counts).
func (b builder) joined(s scope, churn bool) string {
	joined := `SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c, first_c, pts, chans, resp, apol, has_pm, pm_at, prom_at, prom_made
      FROM (` + b.base(s) + `) AS base_
      ANY LEFT JOIN (` + b.comms(s) + `) AS comms_ USING incident_id`
	uCols := "has_u, aff_n, off_n, red_n, off_sum, red_sum, aff_off_n, fu_times"
	if churn {
		uCols += ", aff_su, aff_ch"
	}
	joined = `SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c, first_c, pts, chans, resp, apol, has_pm, pm_at, prom_at, prom_made, ` + uCols + `
      FROM (` + joined + `) AS with_comms_
      ANY LEFT JOIN (` + b.responses(s, churn) + `) AS responses_ USING incident_id`
	if churn {
		joined = `SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c, first_c, pts, chans, resp, apol, has_pm, pm_at, prom_at, prom_made, ` + uCols + `, has_bl, a_res, cw_res
      FROM (` + joined + `) AS with_responses_
      ANY LEFT JOIN (` + b.baseline(s) + `) AS baseline_ USING incident_id`
	}
	return joined
}

// preColumns are the columns of pre: the clock-free figures of one
// incident. A snapshot table holds them.
const preColumns = "incident_id, sev, ttl, det, is_res, res_ts, has_c, tta_n, updates, chans, n_channels, pts_in, gaps_res, last_n, " +
	"resp, apol, has_pm, pm_at, aff_n, aff_off_n, off_n, red_n, off_amt_r, red_amt_r, followed_up, aa, ca, ab, cb, " +
	"promises_made, promises_kept, unkept_deadlines"

// pre computes, from src (a SELECT with the columns of joined(s, true)),
// every part of the figures that does not depend on the clock: pts_in =
// the update points at or after detection, gaps_res = the silences of a
// resolved incident, aa/ca/ab/cb = the churn counts once the window has
// passed, unkept_deadlines = promised time + grace of each promise not
// kept (pending while now is not past it).
func (b builder) pre(src string) string {
	p := b.p
	w := num(int64(p.ChurnWindowDays) * 86400)
	fu := num(int64(p.FollowupDays) * 86400)
	grace := num(p.PromiseGrace.Seconds())
	aa := "toInt64(arrayCount((su_, ch_, r_) -> su_ <= r_ AND ch_ > r_, aff_su, aff_ch, replicate(res_ts, aff_su)))"
	ca := "toInt64(arrayCount((su_, ch_, r_) -> su_ <= r_ AND ch_ > r_ AND ch_ <= r_ + " + w + ", aff_su, aff_ch, replicate(res_ts, aff_su)))"
	kept := "(u, m, ps) -> arrayExists(x -> x > m AND x <= u + " + grace + ", ps)"
	return `SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c,
  greatest(first_c - det, toInt64(0)) AS tta_n,
  toInt64(length(pts)) AS updates,
  chans,
  toInt64(length(chans)) AS n_channels,
  arrayFilter((x, d_) -> x >= d_, pts, replicate(det, pts)) AS pts_in,
  if(is_res = 1, arrayPopFront(arrayDifference(arrayConcat([det], arrayFilter((x, e_) -> x <= e_, pts_in, replicate(res_ts, pts_in)), [res_ts]))), emptyArrayInt64()) AS gaps_res,
  greatest(det, toInt64(arrayReduce('max', arrayConcat([det], pts)))) AS last_n,
  resp, apol, has_pm, pm_at,
  aff_n, aff_off_n, off_n, red_n,
  toFloat64(round(off_sum, 2)) AS off_amt_r,
  toFloat64(round(red_sum, 2)) AS red_amt_r,
  toInt64(if(is_res = 1, arrayCount((x, r_) -> x <= r_ + ` + fu + `, fu_times, replicate(res_ts, fu_times)), length(fu_times))) AS followed_up,
  ` + aa + ` AS aa,
  ` + ca + ` AS ca,
  a_res - aa AS ab,
  cw_res - ca AS cb,
  toInt64(length(prom_at)) AS promises_made,
  toInt64(arrayCount(` + kept + `, prom_at, prom_made, replicate(pts, prom_at))) AS promises_kept,
  arrayMap(u -> u + ` + grace + `, arrayFilter((u, m, ps) -> NOT arrayExists(x -> x > m AND x <= u + ` + grace + `, ps), prom_at, prom_made, replicate(pts, prom_at))) AS unkept_deadlines
FROM (` + src + `)`
}

// finish computes the figures of figureSet from src, a SELECT (or table
// expression) with the columns of pre, with the clock.
func (b builder) finish(src string) string {
	p := b.p
	now := b.now
	w := num(int64(p.ChurnWindowDays) * 86400)
	pm := num(int64(p.PostmortemDays) * 86400)
	fu := num(int64(p.FollowupDays) * 86400)

	// A habit that is not met is pending while the incident is open
	// (and, for learn and follow_up, until its deadline has passed).
	verdict := func(met, pendingAfter string) string {
		pending := "is_res = 0"
		if pendingAfter != "" {
			pending = "(is_res = 0 OR " + now + " <= res_ts + " + pendingAfter + ")"
		}
		return "multiIf(" + met + ", 'met', " + pending + ", 'pending', 'missed')"
	}
	habits := []struct{ name, expr string }{
		{trustlens.HabitActSwiftly, verdict("has_c = 1 AND tta_n <= "+num(p.AckTarget.Seconds()), "")},
		{trustlens.HabitTakeResponsibility, verdict("resp = 1", "")},
		{trustlens.HabitCommunicateProactively, verdict("max_silence_seconds <= cadence_target_seconds AND n_channels >= "+num(int64(p.MinChannels)), "")},
		{trustlens.HabitApologize, verdict("apol = 1", "")},
		{trustlens.HabitCompensate, "if(aff_n = 0 OR " + b.compSevExpr("sev") + " = 0, 'n/a', " +
			verdict("aff_off_n / aff_n >= "+flt(p.CompensationCoverage), "") + ")"},
		{trustlens.HabitLearn, verdict("has_pm = 1 AND (is_res = 0 OR pm_at <= res_ts + "+pm+")", pm)},
		{trustlens.HabitFollowUp, "if(aff_n = 0, 'n/a', " + verdict("followed_up / aff_n >= "+flt(p.FollowupCoverage), fu) + ")"},
	}
	var habitCols, metSum, missedSum []string
	for _, h := range habits {
		habitCols = append(habitCols, h.expr+" AS habit_"+h.name)
		metSum = append(metSum, "(habit_"+h.name+" = 'met')")
		missedSum = append(missedSum, "(habit_"+h.name+" = 'missed')")
	}

	// Three levels, so that 18.16 does not expand the aliases of each
	// level into the next.
	figures := `SELECT incident_id, sev, det, is_res, res_ts, has_c, tta_n, n_channels, resp, apol, aff_n, aff_off_n, has_pm, pm_at,
  sev AS severity,
  ttl AS title,
  toDateTime(det, 'UTC') AS detected_at,
  if(is_res = 1, toDateTime(res_ts, 'UTC'), NULL) AS resolved_at,
  if(is_res = 1, 'resolved', 'open') AS status,
  if(has_c = 1, tta_n, NULL) AS tta_seconds,
  updates,
  chans AS channels,
  if(is_res = 1, gaps_res, arrayPopFront(arrayDifference(arrayConcat([det], arrayFilter(x -> x <= ` + now + `, pts_in), [` + now + `])))) AS gaps,
  greatest(toInt64(arrayReduce('max', gaps)), toInt64(0)) AS max_silence_seconds,
  toDateTime(last_n, 'UTC') AS last_update_at,
  ` + now + ` - last_n AS silence_seconds,
  ` + b.cadenceExpr("sev") + ` AS cadence_target_seconds,
  toUInt8(is_res = 0 AND silence_seconds > cadence_target_seconds) AS overdue,
  resp AS responsibility,
  apol AS apology,
  aff_n AS affected,
  off_n AS compensation_offered,
  red_n AS compensation_redeemed,
  off_amt_r AS compensation_offered_amount,
  red_amt_r AS compensation_redeemed_amount,
  followed_up,
  toUInt8(is_res = 1 AND ` + now + ` > res_ts + ` + w + `) AS churn_done,
  toUInt8(churn_done = 0) AS churn_pending,
  if(churn_done = 1, aa, NULL) AS active_affected,
  if(churn_done = 1, ca, NULL) AS churned_affected,
  if(churn_done = 1, ab, NULL) AS active_baseline,
  if(churn_done = 1, cb, NULL) AS churned_baseline,
  promises_made,
  promises_kept,
  toInt64(arrayCount(x -> ` + now + ` <= x, unkept_deadlines)) AS promises_pending,
  promises_made - promises_kept - promises_pending AS promises_broken
FROM (` + src + `)`
	verdicts := "SELECT *,\n  " + strings.Join(habitCols, ",\n  ") + "\nFROM (" + figures + ")"
	return `SELECT *,
  toInt64(` + strings.Join(metSum, " + ") + `) AS habits_met,
  toInt64(` + strings.Join(missedSum, " + ") + `) AS habits_missed,
  if(habits_met + habits_missed = 0, NULL, toInt64(round(100 * habits_met / (habits_met + habits_missed)))) AS trust_score
FROM (` + verdicts + `)`
}

// nowLiteral renders an instant as the SQL "now" of a query.
func nowLiteral(unix int64) string {
	return fmt.Sprintf("toInt64(%d)", unix)
}
