-- Pre-aggregated, duplicate-insensitive state of every incident and
-- customer, kept up to date by materialized views on the event tables, so
-- that analytics never has to de-duplicate the raw tables (SPEC §5: every
-- API answer fast with 10 M customer events). Every aggregate is a min, a
-- max or a set (groupUniqArray), so an event stored twice — or counted by
-- both a view and the backfill below — changes nothing. Read with
-- GROUP BY + -Merge (rows of an AggregatingMergeTree stay unmerged).
--
-- Encodings (ClickHouse 18.16 cannot store min/argMin of a tuple):
--   NEVER = 253402300799 stands for "no such instant";
--   T12(ts) = ts as 12 zero-padded digits, so strings sort like (ts, event_id):
--   det_s   set of T12(ts) || event_id || '\0' || severity || title of the detections
--           (the smallest is the earliest, ties broken by event_id; min/max
--           states of strings are avoided: they crashed 18.16 under load);
--   offs_s  set of T12(ts) || event_id || '\0' || compensation_type || '\0' || amount;
--   reds_s  set of T12(ts) || event_id || '\0' || amount;
--   proms_s set of next_update_at || ',' || ts (unix seconds), '' for none.
CREATE TABLE IF NOT EXISTS {{.DB}}.incident_state{{.OnCluster}} (
    incident_id String,
    det_s       AggregateFunction(groupUniqArray, String),
    res_s       AggregateFunction(min, Int64),
    aff_s       AggregateFunction(groupUniqArray, String)
) ENGINE = {{engine "AggregatingMergeTree" "incident_state"}}
ORDER BY incident_id;

CREATE TABLE IF NOT EXISTS {{.DB}}.communication_state{{.OnCluster}} (
    incident_id String,
    first_s     AggregateFunction(min, Int64),
    pts_s       AggregateFunction(groupUniqArray, Int64),
    chans_s     AggregateFunction(groupUniqArray, String),
    resp_s      AggregateFunction(max, UInt8),
    apol_s      AggregateFunction(max, UInt8),
    pm_s        AggregateFunction(min, Int64),
    proms_s     AggregateFunction(groupUniqArray, String)
) ENGINE = {{engine "AggregatingMergeTree" "communication_state"}}
ORDER BY incident_id;

CREATE TABLE IF NOT EXISTS {{.DB}}.response_state{{.OnCluster}} (
    incident_id String,
    customer_id String,
    offs_s      AggregateFunction(groupUniqArray, String),
    reds_s      AggregateFunction(groupUniqArray, String),
    fu_s        AggregateFunction(min, Int64)
) ENGINE = {{engine "AggregatingMergeTree" "response_state"}}
ORDER BY (incident_id, customer_id);

CREATE TABLE IF NOT EXISTS {{.DB}}.customer_state{{.OnCluster}} (
    customer_id String,
    su_s        AggregateFunction(min, Int64),
    churn_s     AggregateFunction(min, Int64)
) ENGINE = {{engine "AggregatingMergeTree" "customer_state"}}
ORDER BY customer_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.incident_state_mv{{.OnCluster}} TO {{.DB}}.incident_state AS
SELECT incident_id,
    groupUniqArrayState(if(type = 'incident.detected', concat(substring(toString(toInt64(occurred_at) + 1000000000000), 2), event_id, '\0', severity, title), '')) AS det_s,
    minState(if(type = 'incident.resolved', toInt64(occurred_at), toInt64(253402300799))) AS res_s,
    groupUniqArrayState(if(type = 'incident.customer_affected', customer_id, '')) AS aff_s
FROM {{.DB}}.incident_events
GROUP BY incident_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.communication_state_mv{{.OnCluster}} TO {{.DB}}.communication_state AS
SELECT incident_id,
    minState(toInt64(occurred_at)) AS first_s,
    groupUniqArrayState(if(kind IN ('acknowledgement', 'update', 'resolution'), toInt64(occurred_at), toInt64(253402300799))) AS pts_s,
    groupUniqArrayState(channel) AS chans_s,
    maxState(takes_responsibility) AS resp_s,
    maxState(apology) AS apol_s,
    minState(if(kind = 'postmortem' AND root_cause = 1 AND prevention_steps = 1, toInt64(occurred_at), toInt64(253402300799))) AS pm_s,
    groupUniqArrayState(if(isNotNull(next_update_at), concat(toString(toInt64(assumeNotNull(next_update_at))), ',', toString(toInt64(occurred_at))), '')) AS proms_s
FROM {{.DB}}.communication_events
GROUP BY incident_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.response_state_mv{{.OnCluster}} TO {{.DB}}.response_state AS
SELECT incident_id, customer_id,
    groupUniqArrayState(if(type = 'customer.compensation_offered', concat(substring(toString(toInt64(occurred_at) + 1000000000000), 2), event_id, '\0', compensation_type, '\0', toString(toFloat64(ifNull(amount, 0)))), '')) AS offs_s,
    groupUniqArrayState(if(type = 'customer.compensation_redeemed', concat(substring(toString(toInt64(occurred_at) + 1000000000000), 2), event_id, '\0', toString(toFloat64(ifNull(amount, 0)))), '')) AS reds_s,
    minState(if(type = 'customer.followed_up', toInt64(occurred_at), toInt64(253402300799))) AS fu_s
FROM {{.DB}}.customer_events
WHERE incident_id != '' AND type IN ('customer.compensation_offered', 'customer.compensation_redeemed', 'customer.followed_up')
GROUP BY incident_id, customer_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.customer_state_mv{{.OnCluster}} TO {{.DB}}.customer_state AS
SELECT customer_id,
    minState(if(type = 'customer.signed_up', toInt64(occurred_at), toInt64(253402300799))) AS su_s,
    minState(if(type = 'customer.churned', toInt64(occurred_at), toInt64(253402300799))) AS churn_s
FROM {{.DB}}.customer_events
WHERE customer_id != ''
GROUP BY customer_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.customer_state_incidents_mv{{.OnCluster}} TO {{.DB}}.customer_state AS
SELECT customer_id,
    minState(toInt64(253402300799)) AS su_s,
    minState(toInt64(253402300799)) AS churn_s
FROM {{.DB}}.incident_events
WHERE customer_id != ''
GROUP BY customer_id;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.customer_state_communications_mv{{.OnCluster}} TO {{.DB}}.customer_state AS
SELECT customer_id,
    minState(toInt64(253402300799)) AS su_s,
    minState(toInt64(253402300799)) AS churn_s
FROM {{.DB}}.communication_events
WHERE customer_id != ''
GROUP BY customer_id;

-- Backfill the events stored before the views existed (the views are
-- created first, so nothing falls in between; what both count is counted
-- once by construction). One thread and one-level aggregation: an
-- INSERT … SELECT of -State columns with two-level aggregation crashes
-- ClickHouse 18.16 (reproduced with 1.2 M incident events).
INSERT INTO {{.DB}}.incident_state (incident_id, det_s, res_s, aff_s)
SELECT incident_id,
    groupUniqArrayState(if(type = 'incident.detected', concat(substring(toString(toInt64(occurred_at) + 1000000000000), 2), event_id, '\0', severity, title), '')) AS det_s,
    minState(if(type = 'incident.resolved', toInt64(occurred_at), toInt64(253402300799))) AS res_s,
    groupUniqArrayState(if(type = 'incident.customer_affected', customer_id, '')) AS aff_s
FROM {{.DB}}.incident_events
GROUP BY incident_id
SETTINGS max_threads = 1, group_by_two_level_threshold = 0, group_by_two_level_threshold_bytes = 0;

INSERT INTO {{.DB}}.communication_state (incident_id, first_s, pts_s, chans_s, resp_s, apol_s, pm_s, proms_s)
SELECT incident_id,
    minState(toInt64(occurred_at)) AS first_s,
    groupUniqArrayState(if(kind IN ('acknowledgement', 'update', 'resolution'), toInt64(occurred_at), toInt64(253402300799))) AS pts_s,
    groupUniqArrayState(channel) AS chans_s,
    maxState(takes_responsibility) AS resp_s,
    maxState(apology) AS apol_s,
    minState(if(kind = 'postmortem' AND root_cause = 1 AND prevention_steps = 1, toInt64(occurred_at), toInt64(253402300799))) AS pm_s,
    groupUniqArrayState(if(isNotNull(next_update_at), concat(toString(toInt64(assumeNotNull(next_update_at))), ',', toString(toInt64(occurred_at))), '')) AS proms_s
FROM {{.DB}}.communication_events
GROUP BY incident_id
SETTINGS max_threads = 1, group_by_two_level_threshold = 0, group_by_two_level_threshold_bytes = 0;

INSERT INTO {{.DB}}.response_state (incident_id, customer_id, offs_s, reds_s, fu_s)
SELECT incident_id, customer_id,
    groupUniqArrayState(if(type = 'customer.compensation_offered', concat(substring(toString(toInt64(occurred_at) + 1000000000000), 2), event_id, '\0', compensation_type, '\0', toString(toFloat64(ifNull(amount, 0)))), '')) AS offs_s,
    groupUniqArrayState(if(type = 'customer.compensation_redeemed', concat(substring(toString(toInt64(occurred_at) + 1000000000000), 2), event_id, '\0', toString(toFloat64(ifNull(amount, 0)))), '')) AS reds_s,
    minState(if(type = 'customer.followed_up', toInt64(occurred_at), toInt64(253402300799))) AS fu_s
FROM {{.DB}}.customer_events
WHERE incident_id != '' AND type IN ('customer.compensation_offered', 'customer.compensation_redeemed', 'customer.followed_up')
GROUP BY incident_id, customer_id
SETTINGS max_threads = 1, group_by_two_level_threshold = 0, group_by_two_level_threshold_bytes = 0;

INSERT INTO {{.DB}}.customer_state (customer_id, su_s, churn_s)
SELECT customer_id,
    minState(if(type = 'customer.signed_up', toInt64(occurred_at), toInt64(253402300799))) AS su_s,
    minState(if(type = 'customer.churned', toInt64(occurred_at), toInt64(253402300799))) AS churn_s
FROM {{.DB}}.customer_events
WHERE customer_id != ''
GROUP BY customer_id
SETTINGS max_threads = 1, group_by_two_level_threshold = 0, group_by_two_level_threshold_bytes = 0;

INSERT INTO {{.DB}}.customer_state (customer_id, su_s, churn_s)
SELECT customer_id,
    minState(toInt64(253402300799)) AS su_s,
    minState(toInt64(253402300799)) AS churn_s
FROM (
    SELECT customer_id FROM {{.DB}}.incident_events WHERE customer_id != ''
    UNION ALL
    SELECT customer_id FROM {{.DB}}.communication_events WHERE customer_id != ''
)
GROUP BY customer_id
SETTINGS max_threads = 1, group_by_two_level_threshold = 0, group_by_two_level_threshold_bytes = 0;

-- The customer events that name an incident, sorted by incident, for the
-- incident timeline (customer_events is sorted by customer). Copies of a
-- redelivered event are de-duplicated when read, as in the source table.
CREATE TABLE IF NOT EXISTS {{.DB}}.customer_events_by_incident{{.OnCluster}} (
    incident_id       String,
    event_id          String,
    type              String,
    occurred_at       DateTime('UTC'),
    customer_id       String,
    compensation_type String,
    channel           String,
    currency          String,
    amount            Nullable(Float64),
    ingested_at       DateTime('UTC'),
    kafka_topic       String,
    kafka_partition   Int32,
    kafka_offset      Int64
) ENGINE = {{engine "ReplacingMergeTree" "customer_events_by_incident"}}
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (incident_id, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.customer_events_by_incident_mv{{.OnCluster}} TO {{.DB}}.customer_events_by_incident AS
SELECT incident_id, event_id, type, occurred_at, customer_id, compensation_type, channel, currency, amount, ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.customer_events
WHERE incident_id != '';

INSERT INTO {{.DB}}.customer_events_by_incident (incident_id, event_id, type, occurred_at, customer_id, compensation_type, channel, currency, amount, ingested_at, kafka_topic, kafka_partition, kafka_offset)
SELECT incident_id, event_id, type, occurred_at, customer_id, compensation_type, channel, currency, amount, ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.customer_events
WHERE incident_id != '';
