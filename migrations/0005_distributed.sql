-- Cluster mode only: a Distributed table <table>_all over each event table,
-- so that on a cluster of several shards analysts (and, later, ingest and
-- the dashboard) have one table to query. The sharding keys keep together
-- what the figures aggregate: an incident's incident and communication
-- events on one shard (cityHash64(incident_id)), a customer's customer
-- events on one shard (cityHash64(customer_id)); docs/operations.md says
-- which reads stay shard-local. On a single server this file renders to
-- nothing (no extra tables); its version is still recorded.
{{if .Cluster}}
CREATE TABLE IF NOT EXISTS {{.DB}}.incident_events_all{{.OnCluster}} AS {{.DB}}.incident_events
ENGINE = Distributed({{.Cluster}}, {{.DB}}, incident_events, cityHash64(incident_id));

CREATE TABLE IF NOT EXISTS {{.DB}}.communication_events_all{{.OnCluster}} AS {{.DB}}.communication_events
ENGINE = Distributed({{.Cluster}}, {{.DB}}, communication_events, cityHash64(incident_id));

CREATE TABLE IF NOT EXISTS {{.DB}}.customer_events_all{{.OnCluster}} AS {{.DB}}.customer_events
ENGINE = Distributed({{.Cluster}}, {{.DB}}, customer_events, cityHash64(customer_id));
{{end}}
