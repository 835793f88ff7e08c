package analytics

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
)

// incidentColumns are the figureSet columns scanned by scanIncident.
var incidentColumns = func() string {
	cols := []string{"incident_id", "title", "severity", "status", "detected_at", "resolved_at",
		"tta_seconds", "max_silence_seconds", "updates", "channels", "affected",
		"compensation_offered", "compensation_redeemed", "followed_up",
		"active_affected", "churned_affected", "active_baseline", "churned_baseline",
		"trust_score", "promises_made", "promises_kept", "promises_broken", "gaps"}
	for _, h := range trustlens.Habits {
		cols = append(cols, "habit_"+h)
	}
	return strings.Join(cols, ", ")
}()

func scanIncident(rows driver.Rows) (trustlens.Incident, []int64, error) {
	var (
		inc    trustlens.Incident
		gaps   []int64
		habits = make([]string, len(trustlens.Habits))
	)
	dest := []any{&inc.IncidentID, &inc.Title, &inc.Severity, &inc.Status, &inc.DetectedAt, &inc.ResolvedAt,
		&inc.TTASeconds, &inc.MaxSilenceSeconds, &inc.Updates, &inc.Channels, &inc.Affected,
		&inc.CompensationOffered, &inc.CompensationRedeemed, &inc.FollowedUp,
		&inc.ActiveAffected, &inc.ChurnedAffected, &inc.ActiveBaseline, &inc.ChurnedBaseline,
		&inc.TrustScore, &inc.PromisesMade, &inc.PromisesKept, &inc.PromisesBroken, &gaps}
	for i := range habits {
		dest = append(dest, &habits[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return inc, nil, err
	}
	inc.DetectedAt = inc.DetectedAt.UTC()
	if inc.ResolvedAt != nil {
		t := inc.ResolvedAt.UTC()
		inc.ResolvedAt = &t
	}
	if inc.Channels == nil {
		inc.Channels = []string{}
	}
	inc.Habits = make(map[string]string, len(habits))
	for i, h := range trustlens.Habits {
		inc.Habits[h] = habits[i]
	}
	return inc, gaps, nil
}

// incidents lists the complete incidents detected in [f.From, f.To) with
// their figures, newest first (detected_at descending, then incident_id),
// filtered by f.Severity and f.Status and paged by f.Limit/f.Offset. Total
// counts every incident that matches before paging.
func (s *Store) incidents(ctx context.Context, f trustlens.Filter) (trustlens.IncidentPage, error) {
	page := trustlens.IncidentPage{Incidents: []trustlens.Incident{}}
	if err := checkFilter(f); err != nil {
		return page, fmt.Errorf("analytics: incidents: %w", err)
	}
	snap, err := s.current(ctx)
	if err != nil {
		return page, fmt.Errorf("analytics: incidents: %w", err)
	}
	b := s.builderCtx(ctx)
	sc, args := scopeOf(f)

	rows, err := s.query(ctx, "SELECT toInt64(count()) FROM "+snap.incidents+" WHERE "+snapScope(sc), args...)
	if err != nil {
		return page, fmt.Errorf("analytics: incidents: count: %w", err)
	}
	for rows.Next() {
		if err := rows.Scan(&page.Total); err != nil {
			rows.Close()
			return page, fmt.Errorf("analytics: incidents: count: %w", err)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("analytics: incidents: count: %w", err)
	}

	// the page is cut from the snapshot rows (same order: detected_at is
	// det), so that the clock is applied to the listed incidents only
	cut := "ORDER BY det DESC, incident_id"
	if f.Limit > 0 {
		cut += "\nLIMIT " + strconv.Itoa(f.Limit)
		if f.Offset > 0 {
			cut += " OFFSET " + strconv.Itoa(f.Offset)
		}
	} else if f.Offset > 0 {
		cut += "\nLIMIT " + strconv.FormatInt(page.Total, 10) + " OFFSET " + strconv.Itoa(f.Offset)
	}
	q := "SELECT " + incidentColumns + " FROM (" + b.finish("SELECT "+preColumns+" FROM "+snap.incidents+" WHERE "+snapScope(sc)+"\n"+cut) + ")\nORDER BY detected_at DESC, incident_id"
	rows, err = s.query(ctx, q, args...)
	if err != nil {
		return page, fmt.Errorf("analytics: incidents: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		inc, _, err := scanIncident(rows)
		if err != nil {
			return page, fmt.Errorf("analytics: incidents: %w", err)
		}
		page.Incidents = append(page.Incidents, inc)
	}
	if err := rows.Err(); err != nil {
		return page, fmt.Errorf("analytics: incidents: %w", err)
	}
	return page, nil
}

// incident is one complete incident's figures with its timeline (every
// event naming it, in order) and its silences. It returns an error wrapping
// trustlens.ErrNotFound when no complete incident has this id.
func (s *Store) incident(ctx context.Context, id string) (trustlens.IncidentDetail, error) {
	var d trustlens.IncidentDetail
	snap, err := s.current(ctx)
	if err != nil {
		return d, fmt.Errorf("analytics: incident %q: %w", id, err)
	}
	b := s.builderCtx(ctx)
	arg := clickhouse.Named("id", id)
	rows, err := s.query(ctx, "SELECT "+incidentColumns+" FROM ("+b.snapFigures(snap, scope{byID: true})+")", arg)
	if err != nil {
		return d, fmt.Errorf("analytics: incident %q: %w", id, err)
	}
	found := false
	for rows.Next() {
		inc, gaps, err := scanIncident(rows)
		if err != nil {
			rows.Close()
			return d, fmt.Errorf("analytics: incident %q: %w", id, err)
		}
		d.Incident, d.Gaps, found = inc, gaps, true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return d, fmt.Errorf("analytics: incident %q: %w", id, err)
	}
	if !found {
		return d, fmt.Errorf("analytics: incident %q: %w", id, trustlens.ErrNotFound)
	}
	if d.Gaps == nil {
		d.Gaps = []int64{}
	}
	d.Timeline, err = s.timeline(ctx, b, arg)
	if err != nil {
		return d, fmt.Errorf("analytics: incident %q: timeline: %w", id, err)
	}
	return d, nil
}

// timeline reads every (deduplicated) event naming incident @id. Only the
// copies that name the incident are read (tables sorted by incident_id;
// customer events from customer_events_by_incident, migration 0004), so a
// redelivered event counts once: the first stored of those copies.
func (s *Store) timeline(ctx context.Context, b builder, arg any) ([]trustlens.TimelineEvent, error) {
	const cand = "incident_id = @id"
	dedup := func(table, cols string) string {
		return "SELECT " + cols + "\n    FROM " + b.table(table) + "\n    WHERE " + cand +
			"\n    ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset\n    LIMIT 1 BY event_id"
	}
	q := `SELECT event_id, type, toDateTime(ts, 'UTC') AS at, customer_id, d1, d2, d3, d4, has_amt, amt_
FROM (
  SELECT event_id, type, ts, customer_id, severity AS d1, title AS d2, status AS d3, segment AS d4,
    toUInt8(isNotNull(mrr)) AS has_amt, toFloat64(ifNull(mrr, 0)) AS amt_
  FROM (` + dedup("incident_events", "event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, severity, title, status, segment, mrr") + `)
  UNION ALL
  SELECT event_id, type, ts, customer_id, channel AS d1, kind AS d2, audience AS d3, '' AS d4,
    toUInt8(0) AS has_amt, toFloat64(0) AS amt_
  FROM (` + dedup("communication_events", "event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, channel, kind, audience") + `)
  UNION ALL
  SELECT event_id, type, ts, customer_id, compensation_type AS d1, channel AS d2, currency AS d3, '' AS d4,
    toUInt8(isNotNull(amount)) AS has_amt, toFloat64(ifNull(amount, 0)) AS amt_
  FROM (` + dedup("customer_events_by_incident", "event_id, type, toInt64(occurred_at) AS ts, incident_id, customer_id, compensation_type, channel, currency, amount") + `)
)
ORDER BY ts, event_id`
	rows, err := s.query(ctx, q, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []trustlens.TimelineEvent{}
	for rows.Next() {
		var (
			e              trustlens.TimelineEvent
			d1, d2, d3, d4 string
			hasAmt         uint8
			amt            float64
		)
		if err := rows.Scan(&e.EventID, &e.Type, &e.OccurredAt, &e.CustomerID, &d1, &d2, &d3, &d4, &hasAmt, &amt); err != nil {
			return nil, err
		}
		e.OccurredAt = e.OccurredAt.UTC()
		e.Detail, e.UpdatePoint = describe(e.Type, d1, d2, d3, d4, hasAmt == 1, amt)
		out = append(out, e)
	}
	return out, rows.Err()
}

// describe writes the short human description of a timeline event.
func describe(typ, d1, d2, d3, d4 string, hasAmt bool, amt float64) (string, bool) {
	money := strconv.FormatFloat(cents(amt), 'f', 2, 64)
	switch typ {
	case trustlens.TypeIncidentDetected:
		if d2 == "" {
			return d1 + " detected", false
		}
		return d1 + " detected: " + d2, false
	case trustlens.TypeIncidentStatusChanged:
		return "status " + d3, false
	case trustlens.TypeIncidentResolved:
		return "resolved", false
	case trustlens.TypeIncidentCustomerAffected:
		s := "customer affected"
		if d4 != "" {
			s += " (" + d4 + ")"
		}
		if hasAmt {
			s += ", MRR " + money
		}
		return s, false
	case trustlens.TypeCommunicationSent:
		point := d2 == "acknowledgement" || d2 == "update" || d2 == "resolution"
		return d2 + " on " + d1 + " (" + d3 + ")", point
	case trustlens.TypeCompensationOffered:
		return d1 + " of " + money + " " + d3 + " offered", false
	case trustlens.TypeCompensationRedeemed:
		if hasAmt {
			return "compensation of " + money + " redeemed", false
		}
		return "compensation redeemed", false
	case trustlens.TypeCustomerFollowedUp:
		return "followed up by " + d2, false
	case trustlens.TypeCustomerFeedback:
		return "feedback", false
	case trustlens.TypeCustomerTicketOpened:
		return "ticket opened", false
	case trustlens.TypeCustomerChurned:
		return "churned", false
	case trustlens.TypeCustomerSignedUp:
		return "signed up", false
	}
	return typ, false
}

// overdue lists the open incidents (of any date) whose silence since the
// latest of detection and the last update point exceeds their severity's
// cadence target, longest silence first.
func (s *Store) overdue(ctx context.Context) ([]trustlens.Overdue, error) {
	snap, err := s.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("analytics: overdue: %w", err)
	}
	b := s.builderCtx(ctx)
	q := `SELECT incident_id, title, severity, detected_at, last_update_at, silence_seconds, cadence_target_seconds
FROM (` + b.snapFigures(snap, scope{status: "open"}) + `)
WHERE overdue = 1
ORDER BY silence_seconds DESC, incident_id`
	rows, err := s.query(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("analytics: overdue: %w", err)
	}
	defer rows.Close()
	out := []trustlens.Overdue{}
	for rows.Next() {
		var o trustlens.Overdue
		if err := rows.Scan(&o.IncidentID, &o.Title, &o.Severity, &o.DetectedAt, &o.LastUpdateAt, &o.SilenceSeconds, &o.TargetSeconds); err != nil {
			return nil, fmt.Errorf("analytics: overdue: %w", err)
		}
		o.DetectedAt, o.LastUpdateAt = o.DetectedAt.UTC(), o.LastUpdateAt.UTC()
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("analytics: overdue: %w", err)
	}
	return out, nil
}
