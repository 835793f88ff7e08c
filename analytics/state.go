package analytics

// The building blocks of the figure set read from the pre-aggregated state
// tables of migrations/0004_figure_state.sql instead of de-duplicating the
// raw event tables. Each returns the same columns, with the same types and
// the same values, as its raw-table twin in sql.go (base, comms, pairs,
// known); joined/figureSet use them when builder.state is set. The
// snapshot is built this way.
//
// The state tables keep minima, maxima and sets, so a duplicate event
// changes nothing; see the migration for the string encodings decoded here.

import "strings"

// t12 decodes the leading 12-digit instant of an encoded state string.
func t12(x string) string { return "toInt64OrZero(substring(" + x + ", 1, 12))" }

// afterT12 splits what follows the instant on '\0'.
func afterT12(x string) string { return "splitByChar('\\0', substring(" + x + ", 13))" }

// baseState is base(s) from incident_state.
func (b builder) baseState(s scope) string {
	where := []string{"d_ != '~'"}
	if s.byID {
		where = append(where, "incident_id = @id")
	}
	if s.bySev {
		where = append(where, "sev = @sev")
	}
	if s.from != 0 {
		where = append(where, "det >= "+num(s.from))
	}
	if s.to != 0 {
		where = append(where, "det < "+num(s.to))
	}
	switch s.status {
	case "open":
		where = append(where, "is_res = 0")
	case "resolved":
		where = append(where, "is_res = 1")
	}
	return `SELECT incident_id,
    substring(rest_, position(rest_, '\0') + 1, 4) AS sev,
    substring(rest_, position(rest_, '\0') + 5) AS ttl,
    ` + t12("d_") + ` AS det,
    toUInt8(r_ < ` + never + `) AS is_res,
    if(r_ < ` + never + `, r_, toInt64(0)) AS res_ts
  FROM (
    SELECT incident_id, arraySort(arrayFilter(x -> x != '', groupUniqArrayMerge(det_s))) AS dets_,
      if(empty(dets_), '~', dets_[1]) AS d_, minMerge(res_s) AS r_, substring(d_, 13) AS rest_
    FROM ` + b.table("incident_state") + `
    WHERE incident_id != '' AND ` + b.inScope(s) + `
    GROUP BY incident_id
  )
  WHERE ` + strings.Join(where, " AND ")
}

// commsState is comms(s) from communication_state.
func (b builder) commsState(s scope) string {
	return `SELECT incident_id,
    toUInt8(1) AS has_c,
    first_m AS first_c,
    arraySort(arrayFilter(x -> x != ` + never + `, pts_m)) AS pts,
    arraySort(chans_m) AS chans,
    toUInt8(resp_m) AS resp,
    toUInt8(apol_m) AS apol,
    toUInt8(pm_m < ` + never + `) AS has_pm,
    if(pm_m < ` + never + `, pm_m, toInt64(0)) AS pm_at,
    arrayMap(x -> toInt64(splitByChar(',', x)[1]), arrayFilter(x -> x != '', proms_m)) AS nuas_,
    arrayMap(x -> toInt64(splitByChar(',', x)[2]), arrayFilter(x -> x != '', proms_m)) AS sents_,
    arrayDistinct(nuas_) AS prom_at,
    arrayMap((u, ns, ss) -> toInt64(arrayReduce('min', arrayFilter((s_, n_) -> n_ = u, ss, ns))), prom_at, replicate(nuas_, prom_at), replicate(sents_, prom_at)) AS prom_made
  FROM (
    SELECT incident_id,
      minMerge(first_s) AS first_m,
      groupUniqArrayMerge(pts_s) AS pts_m,
      groupUniqArrayMerge(chans_s) AS chans_m,
      maxMerge(resp_s) AS resp_m,
      maxMerge(apol_s) AS apol_m,
      minMerge(pm_s) AS pm_m,
      groupUniqArrayMerge(proms_s) AS proms_m
    FROM ` + b.table("communication_state") + `
    WHERE incident_id != '' AND ` + b.inScope(s) + `
    GROUP BY incident_id
  )`
}

// pairsState is pairs(s) from incident_state (affected customers) and
// response_state (offers, redemptions, follow-ups).
func (b builder) pairsState(s scope) string {
	in := b.inScope(s)
	return `SELECT incident_id, customer_id, is_aff,
      toUInt64(length(offs)) AS n_off,
      toFloat64(arraySum(arrayMap(x -> toFloat64(` + afterT12("x") + `[3]), offs))) AS off_amt,
      if(n_off > 0, ` + afterT12("arraySort(offs)[1]") + `[2], '') AS off_type,
      if(n_off > 0, ` + t12("arraySort(offs)[1]") + `, toInt64(0)) AS off_first,
      arrayMap(x -> ` + afterT12("x") + `[2], offs) AS off_types,
      arrayMap(x -> toFloat64(` + afterT12("x") + `[3]), offs) AS off_amts,
      toUInt64(length(reds)) AS n_red,
      toFloat64(arraySum(arrayMap(x -> toFloat64(` + afterT12("x") + `[2]), reds))) AS red_amt,
      if(n_red > 0, toInt64(arrayReduce('min', arrayMap(x -> ` + t12("x") + `, reds))), toInt64(0)) AS red_first,
      toUInt64(fu_m < ` + never + `) AS n_fu,
      if(fu_m < ` + never + `, fu_m, toInt64(0)) AS fu_at
    FROM (
      SELECT incident_id, customer_id,
        toUInt8(max(a_)) AS is_aff,
        arrayFilter(x -> x != '', groupArrayArray(o_)) AS offs,
        arrayFilter(x -> x != '', groupArrayArray(r_)) AS reds,
        min(f_) AS fu_m
      FROM (
        SELECT incident_id, arrayJoin(affs_) AS customer_id, toUInt8(1) AS a_, emptyArrayString() AS o_, emptyArrayString() AS r_, ` + never + ` AS f_
        FROM (
          SELECT incident_id, arrayFilter(x -> x != '', groupUniqArrayMerge(aff_s)) AS affs_
          FROM ` + b.table("incident_state") + `
          WHERE incident_id != '' AND ` + in + `
          GROUP BY incident_id
        )
        UNION ALL
        SELECT incident_id, customer_id, toUInt8(0) AS a_, groupUniqArrayMerge(offs_s) AS o_, groupUniqArrayMerge(reds_s) AS r_, minMerge(fu_s) AS f_
        FROM ` + b.table("response_state") + `
        WHERE ` + in + `
        GROUP BY incident_id, customer_id
      )
      GROUP BY incident_id, customer_id
    )`
}

// knownState is known() from customer_state.
func (b builder) knownState() string {
	return `SELECT customer_id,
    if(su_m < ` + never + `, su_m, toInt64(-1)) AS su,
    chd_m AS chd
  FROM (
    SELECT customer_id, minMerge(su_s) AS su_m, minMerge(churn_s) AS chd_m
    FROM ` + b.table("customer_state") + `
    WHERE customer_id != ''
    GROUP BY customer_id
  )`
}

// incompleteState counts the incident ids seen on the incidents or
// communications topic without an incident.detected.
func (b builder) incompleteState() string {
	return `SELECT toInt64(count()) FROM (
  SELECT incident_id, max(hd_) AS has_det
  FROM (
    SELECT incident_id, toUInt8(notEmpty(arrayFilter(x -> x != '', groupUniqArrayMerge(det_s)))) AS hd_
    FROM ` + b.table("incident_state") + ` GROUP BY incident_id
    UNION ALL
    SELECT incident_id, toUInt8(0) AS hd_
    FROM ` + b.table("communication_state") + ` GROUP BY incident_id
  )
  WHERE incident_id != ''
  GROUP BY incident_id
)
WHERE has_det = 0`
}
