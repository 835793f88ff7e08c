package analytics

import (
	"strings"

	"github.com/trustlens/trustlens"
)

// viewColumns are the columns of the incident_metrics view, in order.
var viewColumns = func() []string {
	cols := []string{
		"incident_id", "severity", "title", "detected_at", "resolved_at", "status",
		"tta_seconds", "updates", "channels", "max_silence_seconds", "gaps",
		"last_update_at", "cadence_target_seconds", "overdue",
		"responsibility", "apology", "affected",
		"compensation_offered", "compensation_redeemed",
		"compensation_offered_amount", "compensation_redeemed_amount",
		"followed_up", "churn_pending",
		"active_affected", "churned_affected", "active_baseline", "churned_baseline",
		"promises_made", "promises_kept", "promises_broken", "promises_pending",
	}
	for _, h := range trustlens.Habits {
		cols = append(cols, "habit_"+h)
	}
	return append(cols, "habits_met", "habits_missed", "trust_score")
}()

// incidentMetricsMigration is the text of migrations/0003_incident_metrics.sql:
// the incident_metrics view of SPEC §2.5, the figure set under the default
// policy at the server's now(). TestIncidentMetricsViewFile keeps the
// file equal to it.
func incidentMetricsMigration() string {
	b := builder{prefix: "{{.DB}}.", now: "toInt64(now())", p: trustlens.DefaultPolicy()}
	return `-- Generated from analytics/sql.go by
--   TRUSTLENS_UPDATE_VIEW=1 go test ./analytics/ -run TestIncidentMetricsViewFile
-- Do not edit by hand.
--
-- incident_metrics: one row per complete incident (one with an
-- incident.detected event) with the figures of SPEC §2.1-2.2 under the
-- default policy (§2.4), computed at the server's now(). Every event_id
-- counts once (the first stored copy wins). Replaces the first sketch of
-- 0002; re-running it yields the same view.
DROP TABLE IF EXISTS {{.DB}}.incident_metrics{{.OnCluster}};

CREATE VIEW {{.DB}}.incident_metrics{{.OnCluster}} AS
SELECT ` + strings.Join(viewColumns, ", ") + `
FROM (
` + b.figureSet(scope{}, true) + `
);
`
}
