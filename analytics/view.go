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

// ticketColumns are the columns of SPEC §2.6 that follow viewColumns in
// the view.
var ticketColumns = []string{"tickets", "csat_avg"}

// incidentMetricsMigration is the text of
// migrations/0009_incident_metrics_tickets.sql (0002 and 0003 hold the
// view's earlier forms and stay as they were applied):
// the incident_metrics view of SPEC §2.5, the figure set under the default
// policy at the server's now(), with the tickets and csat_avg of §2.6.
// TestIncidentMetricsViewFile keeps the file equal to it.
func incidentMetricsMigration() string {
	b := builder{prefix: "{{.DB}}.", now: "toInt64(now())", p: trustlens.DefaultPolicy()}
	return `-- Generated from analytics/view.go and analytics/sql.go by
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
SELECT ` + strings.Join(append(append([]string{}, viewColumns...), ticketColumns...), ", ") + `
FROM (
SELECT ` + strings.Join(viewColumns, ", ") + `,
  tickets_n AS tickets,
  if(cs_n = 0, NULL, cs_sum / cs_n) AS csat_avg
FROM (
SELECT ` + strings.Join(viewColumns, ", ") + `, tickets_n, cs_n, cs_sum
FROM (
` + b.figureSet(scope{}, true) + `
) AS figures_
ANY LEFT JOIN (
` + b.ticketCounts() + `
) AS ticket_counts_ USING incident_id
)
);
`
}

// ticketCounts is one row per complete incident with tickets or rated
// feedback (SPEC §2.6) at the builder's now: tickets_n, cs_n (rated
// feedback) and cs_sum (their csat). The events and their candidate
// incidents are those the Store loads (ticketsSQL), over the same rows
// computed from the events; the clock-dependent end of an open incident's
// window is applied here, as custEvent.counts does in memory.
func (b builder) ticketCounts() string {
	base := b.base(scope{})
	// the affected pairs of pairs(scope{}) (is_aff = 1), without reading
	// the compensation and follow-up events
	const aff = "type = 'incident.customer_affected'"
	affected := "(SELECT incident_id, customer_id, toUInt8(1) AS is_aff FROM (" + b.dedup("incident_events", incidentCols, aff) + ")\n  WHERE " + aff + "\n  GROUP BY incident_id, customer_id)"
	t := snapTables{pairs: affected, incidents: "(" + base + ")"}
	return `SELECT incident_id,
    toInt64(countIf(is_t = 1)) AS tickets_n,
    toInt64(countIf(is_t = 0)) AS cs_n,
    sumIf(e_cs, is_t = 0) AS cs_sum
  FROM (
    SELECT incident_id, is_t, e_cs, e_ts, named, w_det, w_res, w_rts
    FROM (
      SELECT inc_w AS incident_id, is_t, e_cs, e_ts, named
      FROM (` + ticketsSQL(b, t) + `)
      WHERE inc_w != ''
    ) AS ticket_events_
    ALL INNER JOIN (SELECT incident_id, det AS w_det, is_res AS w_res, res_ts AS w_rts FROM (` + base + `)) AS ticket_incidents_ USING incident_id
  )
  WHERE named = 1 OR (e_ts >= w_det AND e_ts <= if(w_res = 1, w_rts, ` + b.now + `) + ` + num(attribWindow) + `)
  GROUP BY incident_id`
}
