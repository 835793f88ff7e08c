-- customer_events_by_incident (0004) is superseded by incident_timeline
-- (0006), which holds the same customer events sorted by incident, and
-- every other event that names an incident besides. Nothing reads it since
-- 0006, and its view cost ClickHouse a sorted copy of three customer events
-- in four at every insert (docs/performance.md). Analysts read an
-- incident's customer events from incident_timeline.
DROP TABLE IF EXISTS {{.DB}}.customer_events_by_incident_mv{{.OnCluster}};

DROP TABLE IF EXISTS {{.DB}}.customer_events_by_incident{{.OnCluster}};
