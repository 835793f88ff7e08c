package ingest

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
)

// Position is where a message sat in Kafka.
type Position struct {
	Topic     string
	Partition int
	Offset    int64
}

// Row is a valid event with the Kafka position it came from.
type Row struct {
	trustlens.Event
	Position
}

// BadMessage is a message that failed validation.
type BadMessage struct {
	Position
	Reason string
	Raw    []byte
}

// Writer inserts events into the tables of SPEC §2.5 with batch inserts
// that name their columns (the only INSERT form that works on 18.16 and
// 25.8 alike over the native protocol).
type Writer struct {
	Conn driver.Conn
	// DB is the database holding the tables; "" uses the connection's.
	DB string
	// Now stamps ingested_at; time.Now when nil.
	Now func() time.Time
}

const (
	incidentCols      = "event_id, type, occurred_at, incident_id, customer_id, severity, title, services, regions, source, status, segment, mrr, extra, ingested_at, kafka_topic, kafka_partition, kafka_offset"
	communicationCols = "event_id, type, occurred_at, incident_id, customer_id, channel, kind, audience, recipients, apology, takes_responsibility, root_cause, prevention_steps, next_update_at, body, extra, ingested_at, kafka_topic, kafka_partition, kafka_offset"
	customerCols      = "event_id, type, occurred_at, customer_id, incident_id, segment, plan, mrr, compensation_type, amount, currency, channel, csat, sentiment, comment, reason, extra, ingested_at, kafka_topic, kafka_partition, kafka_offset"
	errorCols         = "ingested_at, kafka_topic, kafka_partition, kafka_offset, reason, raw"
)

func (w *Writer) table(name string) string {
	if w.DB == "" {
		return name
	}
	return w.DB + "." + name
}

func (w *Writer) now() time.Time {
	if w.Now != nil {
		return w.Now().UTC().Truncate(time.Second)
	}
	return time.Now().UTC().Truncate(time.Second)
}

func strs(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// Insert writes rows, one batch per table. It returns only when
// ClickHouse has acknowledged every batch. rows may mix streams.
func (w *Writer) Insert(ctx context.Context, rows []Row) error {
	by := map[trustlens.Stream][]Row{}
	for _, r := range rows {
		s := r.Event.Stream()
		by[s] = append(by[s], r)
	}
	for _, s := range trustlens.Streams {
		if len(by[s]) == 0 {
			continue
		}
		if err := w.insertStream(ctx, s, by[s]); err != nil {
			return err
		}
	}
	return nil
}

func (w *Writer) insertStream(ctx context.Context, s trustlens.Stream, rows []Row) error {
	cols := map[trustlens.Stream]string{
		trustlens.Incidents:         incidentCols,
		trustlens.Communications:    communicationCols,
		trustlens.CustomerResponses: customerCols,
	}[s]
	table := s.Table()
	b, err := w.Conn.PrepareBatch(ctx, "INSERT INTO "+w.table(table)+" ("+cols+")")
	if err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	now := w.now()
	for _, r := range rows {
		e := r.Event
		var err error
		switch s {
		case trustlens.Incidents:
			err = b.Append(e.EventID, e.Type, e.OccurredAt, e.IncidentID, e.CustomerID,
				e.Severity, e.Title, strs(e.Services), strs(e.Regions), e.Source, e.Status,
				e.Segment, e.MRR, e.Extra, now, r.Topic, int32(r.Partition), r.Offset)
		case trustlens.Communications:
			err = b.Append(e.EventID, e.Type, e.OccurredAt, e.IncidentID, e.CustomerID,
				e.Channel, e.Kind, e.Audience, e.Recipients, boolByte(e.Apology),
				boolByte(e.TakesResponsibility), boolByte(e.RootCause), boolByte(e.PreventionSteps),
				e.NextUpdateAt, e.Body, e.Extra, now, r.Topic, int32(r.Partition), r.Offset)
		case trustlens.CustomerResponses:
			err = b.Append(e.EventID, e.Type, e.OccurredAt, e.CustomerID, e.IncidentID,
				e.Segment, e.Plan, e.MRR, e.CompensationType, e.Amount, e.Currency, e.Channel,
				e.CSAT, e.Sentiment, e.Comment, e.Reason, e.Extra, now, r.Topic, int32(r.Partition), r.Offset)
		}
		if err != nil {
			_ = b.Abort()
			return fmt.Errorf("insert %s: event %q: %w", table, e.EventID, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}

// InsertErrors writes rejected messages to ingest_errors.
func (w *Writer) InsertErrors(ctx context.Context, bad []BadMessage) error {
	if len(bad) == 0 {
		return nil
	}
	b, err := w.Conn.PrepareBatch(ctx, "INSERT INTO "+w.table("ingest_errors")+" ("+errorCols+")")
	if err != nil {
		return fmt.Errorf("insert ingest_errors: %w", err)
	}
	now := w.now()
	for _, m := range bad {
		if err := b.Append(now, m.Topic, int32(m.Partition), m.Offset, m.Reason, string(m.Raw)); err != nil {
			_ = b.Abort()
			return fmt.Errorf("insert ingest_errors: %w", err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert ingest_errors: %w", err)
	}
	return nil
}

func boolByte(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}
