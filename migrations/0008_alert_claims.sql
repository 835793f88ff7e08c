-- alert_claims: the overdue alerts of SPEC §3. A serve process that sees
-- an overdue episode (an open incident silent past its cadence target,
-- from one update point — or the detection — until the next) inserts a
-- 'claim' row before it sends, waits a moment, and reads the episode's
-- rows back: only the earliest claim of the highest round (by at_ns, then
-- owner) sends. While it retries a failing receiver the owner adds
-- 'renew' rows; a claim not renewed for the lease is taken over by a claim
-- of the next round. Once the receiver accepted the message the owner adds
-- a 'sent' row, and no process claims that episode again. Plain MergeTree,
-- inserts only: a row stored twice changes nothing.
CREATE TABLE IF NOT EXISTS {{.DB}}.alert_claims{{.OnCluster}} (
    episode     String,
    incident_id String,
    owner       String,
    kind        String,
    round       UInt32,
    at_ns       UInt64,
    created_at  DateTime('UTC') DEFAULT now()
) ENGINE = {{engine "MergeTree" "alert_claims"}}
PARTITION BY toYYYYMM(created_at)
ORDER BY (episode, at_ns, owner);
