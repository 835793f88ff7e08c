-- Every event that names an incident, in one table sorted by incident and
-- not partitioned, with small granules, so that an incident's timeline
-- (GET /api/v1/incidents/{id}) is one short read. The event tables are
-- partitioned by month: a read by incident_id opened one part per month in
-- each of three tables and decompressed a granule of 8 192 rows of every
-- column in each (60–100 ms on an idle server at 10 M events).
--
-- d1…d4 are the type's describing fields (the dashboard's timeline text):
--   incident events:      severity, title, status, segment; amount = mrr
--   communication events: channel, kind, audience, '';      amount = NULL
--   customer events:      compensation_type, channel, currency, ''; amount
-- The first stored copy of an event_id (ingested_at, kafka_topic,
-- kafka_partition, kafka_offset) is the one read, as everywhere.
CREATE TABLE IF NOT EXISTS {{.DB}}.incident_timeline{{.OnCluster}} (
    incident_id     String,
    event_id        String,
    type            String,
    occurred_at     DateTime('UTC'),
    customer_id     String,
    d1              String,
    d2              String,
    d3              String,
    d4              String,
    amount          Nullable(Float64),
    ingested_at     DateTime('UTC'),
    kafka_topic     String,
    kafka_partition Int32,
    kafka_offset    Int64
) ENGINE = {{engine "ReplacingMergeTree" "incident_timeline"}}
ORDER BY (incident_id, event_id)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.incident_timeline_incidents_mv{{.OnCluster}} TO {{.DB}}.incident_timeline AS
SELECT incident_id, event_id, type, occurred_at, customer_id, severity AS d1, title AS d2, status AS d3, segment AS d4, mrr AS amount,
    ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.incident_events
WHERE incident_id != '';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.incident_timeline_communications_mv{{.OnCluster}} TO {{.DB}}.incident_timeline AS
SELECT incident_id, event_id, type, occurred_at, customer_id, channel AS d1, kind AS d2, audience AS d3, '' AS d4, CAST(NULL AS Nullable(Float64)) AS amount,
    ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.communication_events
WHERE incident_id != '';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{.DB}}.incident_timeline_customers_mv{{.OnCluster}} TO {{.DB}}.incident_timeline AS
SELECT incident_id, event_id, type, occurred_at, customer_id, compensation_type AS d1, channel AS d2, currency AS d3, '' AS d4, amount,
    ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.customer_events
WHERE incident_id != '';

-- Backfill the events stored before the views existed (the views are
-- created first; a row copied by both is the same row, read once).
INSERT INTO {{.DB}}.incident_timeline (incident_id, event_id, type, occurred_at, customer_id, d1, d2, d3, d4, amount, ingested_at, kafka_topic, kafka_partition, kafka_offset)
SELECT incident_id, event_id, type, occurred_at, customer_id, severity, title, status, segment, mrr, ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.incident_events
WHERE incident_id != '';

INSERT INTO {{.DB}}.incident_timeline (incident_id, event_id, type, occurred_at, customer_id, d1, d2, d3, d4, amount, ingested_at, kafka_topic, kafka_partition, kafka_offset)
SELECT incident_id, event_id, type, occurred_at, customer_id, channel, kind, audience, '', CAST(NULL AS Nullable(Float64)), ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.communication_events
WHERE incident_id != '';

INSERT INTO {{.DB}}.incident_timeline (incident_id, event_id, type, occurred_at, customer_id, d1, d2, d3, d4, amount, ingested_at, kafka_topic, kafka_partition, kafka_offset)
SELECT incident_id, event_id, type, occurred_at, customer_id, compensation_type, channel, currency, '', amount, ingested_at, kafka_topic, kafka_partition, kafka_offset
FROM {{.DB}}.customer_events
WHERE incident_id != '';
