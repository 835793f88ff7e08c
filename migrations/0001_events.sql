-- The event tables of SPEC §2.5. ReplacingMergeTree collapses a redelivered
-- event (same sorting key, which ends in event_id) at merge time; every query
-- still counts each event_id once, so counts are right before merges too.
-- In cluster mode {{.OnCluster}} is " ON CLUSTER <name>" and the engine is
-- the Replicated variant; on a single node both render to the plain form.
CREATE TABLE IF NOT EXISTS {{.DB}}.incident_events{{.OnCluster}} (
    event_id        String,
    type            String,
    occurred_at     DateTime('UTC'),
    incident_id     String,
    customer_id     String,
    severity        String,
    title           String,
    services        Array(String),
    regions         Array(String),
    source          String,
    status          String,
    segment         String,
    mrr             Nullable(Float64),
    extra           String,
    ingested_at     DateTime('UTC') DEFAULT now(),
    kafka_topic     String,
    kafka_partition Int32,
    kafka_offset    Int64
) ENGINE = {{engine "ReplacingMergeTree" "incident_events"}}
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (incident_id, event_id);

CREATE TABLE IF NOT EXISTS {{.DB}}.communication_events{{.OnCluster}} (
    event_id             String,
    type                 String,
    occurred_at          DateTime('UTC'),
    incident_id          String,
    customer_id          String,
    channel              String,
    kind                 String,
    audience             String,
    recipients           Nullable(UInt64),
    apology              UInt8,
    takes_responsibility UInt8,
    root_cause           UInt8,
    prevention_steps     UInt8,
    next_update_at       Nullable(DateTime('UTC')),
    body                 String,
    extra                String,
    ingested_at          DateTime('UTC') DEFAULT now(),
    kafka_topic          String,
    kafka_partition      Int32,
    kafka_offset         Int64
) ENGINE = {{engine "ReplacingMergeTree" "communication_events"}}
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (incident_id, event_id);

CREATE TABLE IF NOT EXISTS {{.DB}}.customer_events{{.OnCluster}} (
    event_id          String,
    type              String,
    occurred_at       DateTime('UTC'),
    customer_id       String,
    incident_id       String,
    segment           String,
    plan              String,
    mrr               Nullable(Float64),
    compensation_type String,
    amount            Nullable(Float64),
    currency          String,
    channel           String,
    csat              Nullable(UInt8),
    sentiment         Nullable(Float64),
    comment           String,
    reason            String,
    extra             String,
    ingested_at       DateTime('UTC') DEFAULT now(),
    kafka_topic       String,
    kafka_partition   Int32,
    kafka_offset      Int64
) ENGINE = {{engine "ReplacingMergeTree" "customer_events"}}
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (customer_id, event_id);

-- Messages that failed validation, one row per Kafka position.
CREATE TABLE IF NOT EXISTS {{.DB}}.ingest_errors{{.OnCluster}} (
    ingested_at     DateTime('UTC') DEFAULT now(),
    kafka_topic     String,
    kafka_partition Int32,
    kafka_offset    Int64,
    reason          String,
    raw             String
) ENGINE = {{engine "ReplacingMergeTree" "ingest_errors"}}
PARTITION BY toYYYYMM(ingested_at)
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
