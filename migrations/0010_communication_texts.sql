-- communication_texts: the words of every communication naming an
-- incident and the habits recorded with them (SPEC §1.3 flags, read from
-- the words by §7 for connector deliveries), sorted by incident with small
-- granules like incident_timeline (0006), so that an incident's page shows
-- what each update said and why it counted in one short read. The reader
-- keeps one copy per event_id (a redelivered event is read once).
CREATE TABLE IF NOT EXISTS {{.DB}}.communication_texts{{.OnCluster}} (
    incident_id          String,
    event_id             String,
    apology              UInt8,
    takes_responsibility UInt8,
    root_cause           UInt8,
    prevention_steps     UInt8,
    next_update_at       Nullable(DateTime('UTC')),
    body                 String,
    ingested_at          DateTime('UTC'),
    kafka_topic          String,
    kafka_partition      Int32,
    kafka_offset         Int64
) ENGINE = {{engine "ReplacingMergeTree" "communication_texts"}}
ORDER BY (incident_id, event_id)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.communication_texts_mv{{.OnCluster}} TO {{.DB}}.communication_texts AS
SELECT incident_id, event_id, apology, takes_responsibility, root_cause, prevention_steps, next_update_at, body,
    ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.communication_events
WHERE incident_id != '';

-- Backfill the communications stored before the view existed (the view is
-- created first; a row copied by both is the same row, read once).
INSERT INTO {{.DB}}.communication_texts (incident_id, event_id, apology, takes_responsibility, root_cause, prevention_steps, next_update_at, body, ingested_at, kafka_topic, kafka_partition, kafka_offset)
SELECT incident_id, event_id, apology, takes_responsibility, root_cause, prevention_steps, next_update_at, body, ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.communication_events
WHERE incident_id != '';
