-- A first incident_metrics view: one row per complete incident (one with an
-- incident.detected event), duplicates counted once. It grows with the
-- analytics migrations.
CREATE VIEW IF NOT EXISTS {{.DB}}.incident_metrics{{.OnCluster}} AS
SELECT
    incident_id,
    argMin(severity, (occurred_at, event_id)) AS severity,
    argMin(title, (occurred_at, event_id))    AS title,
    min(occurred_at)                          AS detected_at
FROM {{.DB}}.incident_events
WHERE type = 'incident.detected'
GROUP BY incident_id;
