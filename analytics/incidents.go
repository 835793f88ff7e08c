package analytics

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens"
)

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
	rows := snap.selectRows(f)
	page.Total = int64(len(rows))
	// newest first: detected_at descending, then incident_id (the rows
	// are sorted by det, incident_id): walk the groups of equal det from
	// the end, skipping f.Offset rows and keeping f.Limit (0: all)
	want := len(rows) - min(f.Offset, len(rows))
	if f.Limit > 0 {
		want = min(want, f.Limit)
	}
	page.Incidents = make([]trustlens.Incident, 0, want)
	now := s.nowOf(ctx)
	skip := f.Offset
	for end := len(rows); end > 0 && len(page.Incidents) < want; {
		start := end - 1
		for start > 0 && rows[start-1].det == rows[end-1].det {
			start--
		}
		for _, r := range rows[start:end] {
			if skip > 0 {
				skip--
				continue
			}
			if len(page.Incidents) == want {
				break
			}
			page.Incidents = append(page.Incidents, s.incidentOf(snap, r, now))
		}
		end = start
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
	r := snap.byID[id]
	if r == nil {
		return d, fmt.Errorf("analytics: incident %q: %w", id, trustlens.ErrNotFound)
	}
	now := s.nowOf(ctx)
	d.Incident, d.Gaps = s.incidentOf(snap, r, now), gapsAt(r, now)
	d.TicketTimes = ticketTimes(r, now)
	b := s.builderCtx(ctx)
	arg := clickhouse.Named("id", id)
	d.Timeline, err = s.timeline(ctx, b, arg)
	if err != nil {
		return d, fmt.Errorf("analytics: incident %q: timeline: %w", id, err)
	}
	d.Promises = promisesOf(d.Timeline, s.policy.PromiseGrace.Seconds(), now)
	d.AffectedOffered = r.affOffN
	if !r.isRes {
		due := dueOf(&s.policy, r, now)
		d.Due = &due
	}
	return d, nil
}

// timeline reads every (deduplicated) event naming incident @id from
// incident_timeline (migration 0006: every event naming an incident, from
// the three event tables, sorted by incident), so a redelivered event
// counts once: the first stored copy. A communication brings its words and
// flags from communication_texts (migration 0010): ANY joins one copy per
// event (a sorted LIMIT 1 BY there cost as much again as the timeline).
func (s *Store) timeline(ctx context.Context, b builder, arg any) ([]trustlens.TimelineEvent, error) {
	q := `SELECT event_id, type, at, customer_id, d1, d2, d3, d4, has_amt, amt_,
  has_msg, body, m_apology, m_resp, m_cause, m_prev, has_nua, nua
FROM (
  SELECT event_id, type, occurred_at AS at, customer_id, d1, d2, d3, d4,
    toUInt8(isNotNull(amount)) AS has_amt, toFloat64(ifNull(amount, 0)) AS amt_
  FROM ` + b.table("incident_timeline") + `
  WHERE incident_id = @id
  ORDER BY event_id, ingested_at, kafka_topic, kafka_partition, kafka_offset
  LIMIT 1 BY event_id
) AS t ANY LEFT JOIN (
  SELECT event_id, toUInt8(1) AS has_msg, body, apology AS m_apology, takes_responsibility AS m_resp,
    root_cause AS m_cause, prevention_steps AS m_prev,
    toUInt8(isNotNull(next_update_at)) AS has_nua, toInt64(assumeNotNull(next_update_at)) AS nua
  FROM ` + b.table("communication_texts") + `
  WHERE incident_id = @id
) AS m USING event_id
ORDER BY at, event_id`
	rows, err := s.query(ctx, q, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []trustlens.TimelineEvent{}
	for rows.Next() {
		var (
			e                                              trustlens.TimelineEvent
			d1, d2, d3, d4, body                           string
			hasAmt, hasMsg, apo, resp, cause, prev, hasNUA uint8
			amt                                            float64
			nua                                            int64
		)
		if err := rows.Scan(&e.EventID, &e.Type, &e.OccurredAt, &e.CustomerID, &d1, &d2, &d3, &d4, &hasAmt, &amt,
			&hasMsg, &body, &apo, &resp, &cause, &prev, &hasNUA, &nua); err != nil {
			return nil, err
		}
		e.OccurredAt = e.OccurredAt.UTC()
		e.Detail, e.UpdatePoint = describe(e.Type, d1, d2, d3, d4, hasAmt == 1, amt)
		if hasMsg == 1 && e.Type == trustlens.TypeCommunicationSent {
			m := &trustlens.Message{Kind: d2, Channel: d1, Body: body, Apology: apo == 1, TakesResponsibility: resp == 1, RootCause: cause == 1, PreventionSteps: prev == 1}
			if hasNUA == 1 {
				t := time.Unix(nua, 0).UTC()
				m.NextUpdateAt = &t
			}
			e.Message = m
		}
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
	now := s.nowOf(ctx)
	out := []trustlens.Overdue{}
	for _, r := range snap.rows {
		if r.isRes {
			continue
		}
		f := figuresAt(&s.policy, r, now)
		if !f.overdue {
			continue
		}
		out = append(out, trustlens.Overdue{
			IncidentID:     r.id,
			Title:          r.title,
			Severity:       r.sev,
			DetectedAt:     time.Unix(r.det, 0).UTC(),
			LastUpdateAt:   time.Unix(r.lastN, 0).UTC(),
			SilenceSeconds: f.silence,
			TargetSeconds:  f.cadence,
		})
	}
	// longest silence first
	sort.Slice(out, func(i, j int) bool {
		if out[i].SilenceSeconds != out[j].SilenceSeconds {
			return out[i].SilenceSeconds > out[j].SilenceSeconds
		}
		return out[i].IncidentID < out[j].IncidentID
	})
	return out, nil
}

// UpdatePoints are the distinct update-point instants (acknowledgements,
// updates, resolutions) at or after detection of each complete incident
// of ids, in order. Unknown ids are left out. They come from the figures'
// snapshot, so no query runs: the audit page charts them for several
// incidents at once.
func (s *Store) UpdatePoints(ctx context.Context, ids []string) (map[string][]time.Time, error) {
	snap, err := s.current(ctx)
	if err != nil {
		return nil, fmt.Errorf("analytics: update points: %w", err)
	}
	out := make(map[string][]time.Time, len(ids))
	for _, id := range ids {
		r := snap.byID[id]
		if r == nil {
			continue
		}
		pts := make([]time.Time, len(r.ptsIn))
		for i, x := range r.ptsIn {
			pts[i] = time.Unix(x, 0).UTC()
		}
		out[id] = pts
	}
	return out, nil
}
