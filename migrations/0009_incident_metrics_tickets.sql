-- Generated from analytics/view.go and analytics/sql.go by
--   TRUSTLENS_UPDATE_VIEW=1 go test ./analytics/ -run TestIncidentMetricsViewFile
-- Do not edit by hand.
--
-- incident_metrics: one row per complete incident (one with an
-- incident.detected event) with the figures of SPEC §2.1-2.2 under the
-- default policy (§2.4), computed at the server's now(), and the tickets
-- and csat_avg of §2.6 (tickets and rated feedback naming the incident,
-- or untagged from a customer it affected within [detected_at,
-- (resolved_at or now) + 24 h]). Every event_id counts once (the first
-- stored copy wins). Replaces the view of 0003 (same columns, these two
-- added at the end); re-running it yields the same view.
DROP TABLE IF EXISTS {{.DB}}.incident_metrics{{.OnCluster}};

CREATE VIEW {{.DB}}.incident_metrics{{.OnCluster}} AS
SELECT incident_id, severity, title, detected_at, resolved_at, status, tta_seconds, updates, channels, max_silence_seconds, gaps, last_update_at, cadence_target_seconds, overdue, responsibility, apology, affected, compensation_offered, compensation_redeemed, compensation_offered_amount, compensation_redeemed_amount, followed_up, churn_pending, active_affected, churned_affected, active_baseline, churned_baseline, promises_made, promises_kept, promises_broken, promises_pending, habit_act_swiftly, habit_take_responsibility, habit_communicate_proactively, habit_apologize, habit_compensate, habit_learn, habit_follow_up, habits_met, habits_missed, trust_score, tickets, csat_avg
FROM (
SELECT incident_id, severity, title, detected_at, resolved_at, status, tta_seconds, updates, channels, max_silence_seconds, gaps, last_update_at, cadence_target_seconds, overdue, responsibility, apology, affected, compensation_offered, compensation_redeemed, compensation_offered_amount, compensation_redeemed_amount, followed_up, churn_pending, active_affected, churned_affected, active_baseline, churned_baseline, promises_made, promises_kept, promises_broken, promises_pending, habit_act_swiftly, habit_take_responsibility, habit_communicate_proactively, habit_apologize, habit_compensate, habit_learn, habit_follow_up, habits_met, habits_missed, trust_score,
  tickets_n AS tickets,
  if(cs_n = 0, NULL, cs_sum / cs_n) AS csat_avg
FROM (
SELECT incident_id, severity, title, detected_at, resolved_at, status, tta_seconds, updates, channels, max_silence_seconds, gaps, last_update_at, cadence_target_seconds, overdue, responsibility, apology, affected, compensation_offered, compensation_redeemed, compensation_offered_amount, compensation_redeemed_amount, followed_up, churn_pending, active_affected, churned_affected, active_baseline, churned_baseline, promises_made, promises_kept, promises_broken, promises_pending, habit_act_swiftly, habit_take_responsibility, habit_communicate_proactively, habit_apologize, habit_compensate, habit_learn, habit_follow_up, habits_met, habits_missed, trust_score, tickets_n, cs_n, cs_sum
FROM (
SELECT *,
  toInt64((habit_act_swiftly = 'met') + (habit_take_responsibility = 'met') + (habit_communicate_proactively = 'met') + (habit_apologize = 'met') + (habit_compensate = 'met') + (habit_learn = 'met') + (habit_follow_up = 'met')) AS habits_met,
  toInt64((habit_act_swiftly = 'missed') + (habit_take_responsibility = 'missed') + (habit_communicate_proactively = 'missed') + (habit_apologize = 'missed') + (habit_compensate = 'missed') + (habit_learn = 'missed') + (habit_follow_up = 'missed')) AS habits_missed,
  if(habits_met + habits_missed = 0, NULL, toInt64(round(100 * habits_met / (habits_met + habits_missed)))) AS trust_score
FROM (SELECT *,
  multiIf(has_c = 1 AND tta_n <= toInt64(1800), 'met', is_res = 0, 'pending', 'missed') AS habit_act_swiftly,
  multiIf(resp = 1, 'met', is_res = 0, 'pending', 'missed') AS habit_take_responsibility,
  multiIf(max_silence_seconds <= cadence_target_seconds AND n_channels >= toInt64(2), 'met', is_res = 0, 'pending', 'missed') AS habit_communicate_proactively,
  multiIf(apol = 1, 'met', is_res = 0, 'pending', 'missed') AS habit_apologize,
  if(aff_n = 0 OR toUInt8(sev IN ('sev1', 'sev2')) = 0, 'n/a', multiIf(aff_off_n / aff_n >= toFloat64(0.5), 'met', is_res = 0, 'pending', 'missed')) AS habit_compensate,
  multiIf(has_pm = 1 AND (is_res = 0 OR pm_at <= res_ts + toInt64(604800)), 'met', (is_res = 0 OR toInt64(now()) <= res_ts + toInt64(604800)), 'pending', 'missed') AS habit_learn,
  if(aff_n = 0, 'n/a', multiIf(followed_up / aff_n >= toFloat64(0.5), 'met', (is_res = 0 OR toInt64(now()) <= res_ts + toInt64(604800)), 'pending', 'missed')) AS habit_follow_up
FROM (SELECT incident_id, sev, det, is_res, res_ts, has_c, tta_n, n_channels, resp, apol, aff_n, aff_off_n, has_pm, pm_at,
  sev AS severity,
  ttl AS title,
  toDateTime(det, 'UTC') AS detected_at,
  if(is_res = 1, toDateTime(res_ts, 'UTC'), NULL) AS resolved_at,
  if(is_res = 1, 'resolved', 'open') AS status,
  if(has_c = 1, tta_n, NULL) AS tta_seconds,
  updates,
  chans AS channels,
  if(is_res = 1, gaps_res, arrayPopFront(arrayDifference(arrayConcat([det], arrayFilter(x -> x <= toInt64(now()), pts_in), [toInt64(now())])))) AS gaps,
  greatest(toInt64(arrayReduce('max', gaps)), toInt64(0)) AS max_silence_seconds,
  toDateTime(last_n, 'UTC') AS last_update_at,
  toInt64(now()) - last_n AS silence_seconds,
  multiIf(sev = 'sev1', toInt64(3600), sev = 'sev2', toInt64(7200), sev = 'sev3', toInt64(14400), sev = 'sev4', toInt64(28800), toInt64(0)) AS cadence_target_seconds,
  toUInt8(is_res = 0 AND silence_seconds > cadence_target_seconds) AS overdue,
  resp AS responsibility,
  apol AS apology,
  aff_n AS affected,
  off_n AS compensation_offered,
  red_n AS compensation_redeemed,
  off_amt_r AS compensation_offered_amount,
  red_amt_r AS compensation_redeemed_amount,
  followed_up,
  toUInt8(is_res = 1 AND toInt64(now()) > res_ts + toInt64(2592000)) AS churn_done,
  toUInt8(churn_done = 0) AS churn_pending,
  if(churn_done = 1, aa, NULL) AS active_affected,
  if(churn_done = 1, ca, NULL) AS churned_affected,
  if(churn_done = 1, ab, NULL) AS active_baseline,
  if(churn_done = 1, cb, NULL) AS churned_baseline,
  promises_made,
  promises_kept,
  toInt64(arrayCount(x -> toInt64(now()) <= x, unkept_deadlines)) AS promises_pending,
  promises_made - promises_kept - promises_pending AS promises_broken
FROM (SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c,
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
  toInt64(if(is_res = 1, arrayCount((x, r_) -> x <= r_ + toInt64(604800), fu_times, replicate(res_ts, fu_times)), length(fu_times))) AS followed_up,
  toInt64(arrayCount((su_, ch_, r_) -> su_ <= r_ AND ch_ > r_, aff_su, aff_ch, replicate(res_ts, aff_su))) AS aa,
  toInt64(arrayCount((su_, ch_, r_) -> su_ <= r_ AND ch_ > r_ AND ch_ <= r_ + toInt64(2592000), aff_su, aff_ch, replicate(res_ts, aff_su))) AS ca,
  a_res - aa AS ab,
  cw_res - ca AS cb,
  toInt64(length(prom_at)) AS promises_made,
  toInt64(arrayCount((u, m, ps) -> arrayExists(x -> x > m AND x <= u + toInt64(300), ps), prom_at, prom_made, replicate(pts, prom_at))) AS promises_kept,
  arrayMap(u -> u + toInt64(300), arrayFilter((u, m, ps) -> NOT arrayExists(x -> x > m AND x <= u + toInt64(300), ps), prom_at, prom_made, replicate(pts, prom_at))) AS unkept_deadlines
FROM (SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c, first_c, pts, chans, resp, apol, has_pm, pm_at, prom_at, prom_made, has_u, aff_n, off_n, red_n, off_sum, red_sum, aff_off_n, fu_times, aff_su, aff_ch, has_bl, a_res, cw_res
      FROM (SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c, first_c, pts, chans, resp, apol, has_pm, pm_at, prom_at, prom_made, has_u, aff_n, off_n, red_n, off_sum, red_sum, aff_off_n, fu_times, aff_su, aff_ch
      FROM (SELECT incident_id, sev, ttl, det, is_res, res_ts, has_c, first_c, pts, chans, resp, apol, has_pm, pm_at, prom_at, prom_made
      FROM (SELECT incident_id,
    argMinIf(severity, (ts, event_id), type = 'incident.detected') AS sev,
    argMinIf(title, (ts, event_id), type = 'incident.detected') AS ttl,
    minIf(ts, type = 'incident.detected') AS det,
    toUInt8(countIf(type = 'incident.resolved') > 0) AS is_res,
    minIf(ts, type = 'incident.resolved') AS res_ts
  FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  GROUP BY incident_id
  HAVING countIf(type = 'incident.detected') > 0) AS base_
      ANY LEFT JOIN (SELECT incident_id,
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
      groupUniqArrayIf(ts, kind IN ('acknowledgement', 'update', 'resolution')) AS pts_part,
      groupUniqArray(channel) AS ch_part,
      max(takes_responsibility) AS resp_part,
      max(apology) AS apol_part,
      countIf(kind = 'postmortem' AND root_cause = 1 AND prevention_steps = 1) AS pm_n,
      minIf(ts, kind = 'postmortem' AND root_cause = 1 AND prevention_steps = 1) AS pm_first
    FROM (SELECT event_id, toInt64(occurred_at) AS ts, incident_id, customer_id, channel, kind, apology, takes_responsibility, root_cause, prevention_steps, toUInt8(isNotNull(next_update_at)) AS has_nua, toInt64(assumeNotNull(next_update_at)) AS nua
    FROM {{.DB}}.communication_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
    WHERE 1
    GROUP BY incident_id, has_nua, nua
  )
  GROUP BY incident_id) AS comms_ USING incident_id) AS with_comms_
      ANY LEFT JOIN (SELECT incident_id,
    toUInt8(1) AS has_u,
    toInt64(countIf(is_aff = 1)) AS aff_n,
    toInt64(countIf(n_off > 0)) AS off_n,
    toInt64(countIf(n_off > 0 AND n_red > 0)) AS red_n,
    sum(off_amt) AS off_sum,
    sumIf(red_amt, n_off > 0) AS red_sum,
    toInt64(countIf(is_aff = 1 AND n_off > 0)) AS aff_off_n,
    groupArrayIf(fu_at, is_aff = 1 AND n_fu > 0) AS fu_times,
    groupArrayIf(su, is_aff = 1) AS aff_su,
    groupArrayIf(chd, is_aff = 1) AS aff_ch
  FROM (SELECT incident_id, customer_id, is_aff, n_off, off_amt, n_red, red_amt, n_fu, fu_at, su, chd
    FROM (SELECT incident_id, customer_id,
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
      FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
      WHERE type = 'incident.customer_affected' AND 1
      UNION ALL
      SELECT incident_id, customer_id,
        toUInt8(multiIf(type = 'customer.compensation_offered', 2, type = 'customer.compensation_redeemed', 3, 4)) AS k,
        ts, event_id, compensation_type AS ctype, amt
      FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, compensation_type, toFloat64(ifNull(amount, 0)) AS amt
    FROM {{.DB}}.customer_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
      WHERE type IN ('customer.compensation_offered', 'customer.compensation_redeemed', 'customer.followed_up') AND 1
    )
    GROUP BY incident_id, customer_id) AS pairs_
    ANY LEFT JOIN (SELECT customer_id,
    if(countIf(k = 1) > 0, minIf(ts, k = 1), toInt64(-1)) AS su,
    if(countIf(k = 2) > 0, minIf(ts, k = 2), toInt64(253402300799)) AS chd
  FROM (
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (SELECT event_id, toInt64(occurred_at) AS ts, incident_id, customer_id, channel, kind, apology, takes_responsibility, root_cause, prevention_steps, toUInt8(isNotNull(next_update_at)) AS has_nua, toInt64(assumeNotNull(next_update_at)) AS nua
    FROM {{.DB}}.communication_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(multiIf(type = 'customer.signed_up', 1, type = 'customer.churned', 2, 0)) AS k, ts
    FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, compensation_type, toFloat64(ifNull(amount, 0)) AS amt
    FROM {{.DB}}.customer_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
  )
  GROUP BY customer_id) AS known_ USING customer_id)
  GROUP BY incident_id) AS responses_ USING incident_id) AS with_responses_
      ANY LEFT JOIN (SELECT incident_id, toUInt8(1) AS has_bl, a_res, c_end - c_res - r_n AS cw_res
  FROM (SELECT q AS incident_id,
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
        FROM (SELECT tupleElement(e, 1) AS key, tupleElement(e, 2) AS da, tupleElement(e, 3) AS dc, '' AS qid, toUInt8(0) AS qk
      FROM (
        SELECT arrayJoin(if(chd < toInt64(253402300799),
            [(su * 2, toInt64(1), toInt64(0)), (greatest(su, chd) * 2, toInt64(-1), toInt64(0)), (chd * 2, toInt64(0), toInt64(1))],
            [(su * 2, toInt64(1), toInt64(0))])) AS e
        FROM (SELECT customer_id,
    if(countIf(k = 1) > 0, minIf(ts, k = 1), toInt64(-1)) AS su,
    if(countIf(k = 2) > 0, minIf(ts, k = 2), toInt64(253402300799)) AS chd
  FROM (
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (SELECT event_id, toInt64(occurred_at) AS ts, incident_id, customer_id, channel, kind, apology, takes_responsibility, root_cause, prevention_steps, toUInt8(isNotNull(next_update_at)) AS has_nua, toInt64(assumeNotNull(next_update_at)) AS nua
    FROM {{.DB}}.communication_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(multiIf(type = 'customer.signed_up', 1, type = 'customer.churned', 2, 0)) AS k, ts
    FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, compensation_type, toFloat64(ifNull(amount, 0)) AS amt
    FROM {{.DB}}.customer_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
  )
  GROUP BY customer_id)
      )
      UNION ALL
      SELECT tupleElement(q, 1) AS key, toInt64(0) AS da, toInt64(0) AS dc, incident_id AS qid, tupleElement(q, 2) AS qk
      FROM (
        SELECT incident_id, arrayJoin([(res_ts * 2 + 1, toUInt8(0)), ((res_ts + toInt64(2592000)) * 2 + 1, toUInt8(1))]) AS q
        FROM (SELECT incident_id, res_ts FROM (SELECT incident_id,
    argMinIf(severity, (ts, event_id), type = 'incident.detected') AS sev,
    argMinIf(title, (ts, event_id), type = 'incident.detected') AS ttl,
    minIf(ts, type = 'incident.detected') AS det,
    toUInt8(countIf(type = 'incident.resolved') > 0) AS is_res,
    minIf(ts, type = 'incident.resolved') AS res_ts
  FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  GROUP BY incident_id
  HAVING countIf(type = 'incident.detected') > 0) WHERE is_res = 1)
      ))
      )
    )
    ARRAY JOIN cas AS ca, ccs AS cc, qs AS q, qks_s AS qk_
    WHERE q != ''
    GROUP BY q) AS sweep_
  ANY LEFT JOIN (SELECT incident_id,
      toInt64(arrayCount((su_, ch_, r_) -> ch_ > r_ AND ch_ <= r_ + toInt64(2592000) AND su_ > r_, rs, rc, replicate(res_ts, rs))) AS r_n
    FROM (SELECT incident_id, res_ts FROM (SELECT incident_id,
    argMinIf(severity, (ts, event_id), type = 'incident.detected') AS sev,
    argMinIf(title, (ts, event_id), type = 'incident.detected') AS ttl,
    minIf(ts, type = 'incident.detected') AS det,
    toUInt8(countIf(type = 'incident.resolved') > 0) AS is_res,
    minIf(ts, type = 'incident.resolved') AS res_ts
  FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  GROUP BY incident_id
  HAVING countIf(type = 'incident.detected') > 0) WHERE is_res = 1) AS resolved_
    CROSS JOIN (
      SELECT groupArray(su) AS rs, groupArray(chd) AS rc
      FROM (SELECT customer_id,
    if(countIf(k = 1) > 0, minIf(ts, k = 1), toInt64(-1)) AS su,
    if(countIf(k = 2) > 0, minIf(ts, k = 2), toInt64(253402300799)) AS chd
  FROM (
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(0) AS k, toInt64(0) AS ts
    FROM (SELECT event_id, toInt64(occurred_at) AS ts, incident_id, customer_id, channel, kind, apology, takes_responsibility, root_cause, prevention_steps, toUInt8(isNotNull(next_update_at)) AS has_nua, toInt64(assumeNotNull(next_update_at)) AS nua
    FROM {{.DB}}.communication_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
    UNION ALL
    SELECT customer_id, toUInt8(multiIf(type = 'customer.signed_up', 1, type = 'customer.churned', 2, 0)) AS k, ts
    FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, compensation_type, toFloat64(ifNull(amount, 0)) AS amt
    FROM {{.DB}}.customer_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id) WHERE customer_id != ''
  )
  GROUP BY customer_id)
      WHERE chd < toInt64(253402300799) AND su > chd - toInt64(2592000)
    ) AS recent_) AS quick_ USING incident_id) AS baseline_ USING incident_id))))
) AS figures_
ANY LEFT JOIN (
SELECT incident_id,
    toInt64(countIf(is_t = 1)) AS tickets_n,
    toInt64(countIf(is_t = 0)) AS cs_n,
    sumIf(e_cs, is_t = 0) AS cs_sum
  FROM (
    SELECT incident_id, is_t, e_cs, e_ts, named, w_det, w_res, w_rts
    FROM (
      SELECT inc_w AS incident_id, is_t, e_cs, e_ts, named
      FROM (SELECT toString(event_id) AS eid, toUInt8(type = 'customer.ticket_opened') AS is_t, toFloat64(cs) AS e_cs, toInt64(ts) AS e_ts,
  toString(incident_id) AS inc_w, toUInt8(1) AS named, toString(customer_id) AS e_cust
FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, toUInt8(isNotNull(csat)) AS has_cs, toFloat64(ifNull(csat, 0)) AS cs
    FROM {{.DB}}.customer_events
    WHERE event_id IN (SELECT event_id FROM {{.DB}}.customer_events WHERE type IN ('customer.ticket_opened', 'customer.feedback') AND incident_id != '')
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
WHERE type IN ('customer.ticket_opened', 'customer.feedback') AND incident_id != '' AND (type = 'customer.ticket_opened' OR has_cs = 1) AND incident_id IN (SELECT incident_id FROM (SELECT incident_id,
    argMinIf(severity, (ts, event_id), type = 'incident.detected') AS sev,
    argMinIf(title, (ts, event_id), type = 'incident.detected') AS ttl,
    minIf(ts, type = 'incident.detected') AS det,
    toUInt8(countIf(type = 'incident.resolved') > 0) AS is_res,
    minIf(ts, type = 'incident.resolved') AS res_ts
  FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  GROUP BY incident_id
  HAVING countIf(type = 'incident.detected') > 0))
UNION ALL
SELECT eid, is_t, e_cs, e_ts, if(hit = 1 AND e_ts >= i_det AND (i_res = 0 OR e_ts <= i_rts + toInt64(86400)), inc, '') AS inc_w, toUInt8(0) AS named, cust AS e_cust
FROM (
  SELECT toString(event_id) AS eid, toUInt8(type = 'customer.ticket_opened') AS is_t, toFloat64(cs) AS e_cs, toInt64(ts) AS e_ts, toString(customer_id) AS cust
  FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, customer_id, incident_id, toUInt8(isNotNull(csat)) AS has_cs, toFloat64(ifNull(csat, 0)) AS cs
    FROM {{.DB}}.customer_events
    WHERE event_id IN (SELECT event_id FROM {{.DB}}.customer_events WHERE type IN ('customer.ticket_opened', 'customer.feedback') AND incident_id = '')
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  WHERE type IN ('customer.ticket_opened', 'customer.feedback') AND incident_id = '' AND (type = 'customer.ticket_opened' OR has_cs = 1)
) AS ev_
ALL LEFT JOIN (
  SELECT toString(customer_id) AS cust, toString(incident_id) AS inc, toInt64(det) AS i_det, toUInt8(is_res) AS i_res, toInt64(res_ts) AS i_rts, toUInt8(1) AS hit
  FROM (SELECT incident_id, customer_id FROM (SELECT incident_id, customer_id, toUInt8(1) AS is_aff FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    WHERE event_id IN (SELECT event_id FROM {{.DB}}.incident_events WHERE type = 'incident.customer_affected')
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  WHERE type = 'incident.customer_affected'
  GROUP BY incident_id, customer_id) WHERE is_aff = 1) AS pp_
  ALL INNER JOIN (SELECT incident_id, det, is_res, res_ts FROM (SELECT incident_id,
    argMinIf(severity, (ts, event_id), type = 'incident.detected') AS sev,
    argMinIf(title, (ts, event_id), type = 'incident.detected') AS ttl,
    minIf(ts, type = 'incident.detected') AS det,
    toUInt8(countIf(type = 'incident.resolved') > 0) AS is_res,
    minIf(ts, type = 'incident.resolved') AS res_ts
  FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  GROUP BY incident_id
  HAVING countIf(type = 'incident.detected') > 0)) AS ii_ USING (incident_id)
) AS cand_ USING (cust)
WHERE inc_w != '' OR is_t = 0)
      WHERE inc_w != ''
    ) AS ticket_events_
    ALL INNER JOIN (SELECT incident_id, det AS w_det, is_res AS w_res, res_ts AS w_rts FROM (SELECT incident_id,
    argMinIf(severity, (ts, event_id), type = 'incident.detected') AS sev,
    argMinIf(title, (ts, event_id), type = 'incident.detected') AS ttl,
    minIf(ts, type = 'incident.detected') AS det,
    toUInt8(countIf(type = 'incident.resolved') > 0) AS is_res,
    minIf(ts, type = 'incident.resolved') AS res_ts
  FROM (SELECT event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title
    FROM {{.DB}}.incident_events
    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
    LIMIT 1 BY event_id)
  GROUP BY incident_id
  HAVING countIf(type = 'incident.detected') > 0)) AS ticket_incidents_ USING incident_id
  )
  WHERE named = 1 OR (e_ts >= w_det AND e_ts <= if(w_res = 1, w_rts, toInt64(now())) + toInt64(86400))
  GROUP BY incident_id
) AS ticket_counts_ USING incident_id
)
);
