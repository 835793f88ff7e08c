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
	// Whole columns are appended at once: far cheaper than row by row.
	columns := columnsOf(s, rows, w.now())
	for i, c := range columns {
		if err := b.Column(i).Append(c); err != nil {
			_ = b.Abort()
			return fmt.Errorf("insert %s: column %d: %w", table, i, err)
		}
	}
	if err := b.Send(); err != nil {
		return fmt.Errorf("insert %s: %w", table, err)
	}
	return nil
}

// columnsOf turns rows into the columns of the table of s, in the order of
// its column list.
func columnsOf(s trustlens.Stream, rows []Row, now time.Time) []any {
	n := len(rows)
	str := func(f func(e *Row) string) []string {
		out := make([]string, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	f64 := func(f func(e *Row) *float64) []*float64 {
		out := make([]*float64, n)
		for i := range rows {
			out[i] = f(&rows[i])
		}
		return out
	}
	u8 := func(f func(e *Row) bool) []uint8 {
		out := make([]uint8, n)
		for i := range rows {
			out[i] = boolByte(f(&rows[i]))
		}
		return out
	}
	occurred := make([]time.Time, n)
	ingested := make([]time.Time, n)
	parts := make([]int32, n)
	offsets := make([]int64, n)
	for i := range rows {
		occurred[i] = rows[i].OccurredAt
		ingested[i] = now
		parts[i] = int32(rows[i].Partition)
		offsets[i] = rows[i].Offset
	}
	eventID := str(func(r *Row) string { return r.EventID })
	typ := str(func(r *Row) string { return r.Type })
	incident := str(func(r *Row) string { return r.IncidentID })
	customer := str(func(r *Row) string { return r.CustomerID })
	extra := str(func(r *Row) string { return r.Extra })
	topic := str(func(r *Row) string { return r.Topic })
	switch s {
	case trustlens.Incidents:
		services := make([][]string, n)
		regions := make([][]string, n)
		for i := range rows {
			services[i], regions[i] = strs(rows[i].Services), strs(rows[i].Regions)
		}
		return []any{eventID, typ, occurred, incident, customer,
			str(func(r *Row) string { return r.Severity }), str(func(r *Row) string { return r.Title }),
			services, regions, str(func(r *Row) string { return r.Source }), str(func(r *Row) string { return r.Status }),
			str(func(r *Row) string { return r.Segment }), f64(func(r *Row) *float64 { return r.MRR }),
			extra, ingested, topic, parts, offsets}
	case trustlens.Communications:
		recipients := make([]*uint64, n)
		next := make([]*time.Time, n)
		for i := range rows {
			recipients[i], next[i] = rows[i].Recipients, rows[i].NextUpdateAt
		}
		return []any{eventID, typ, occurred, incident, customer,
			str(func(r *Row) string { return r.Channel }), str(func(r *Row) string { return r.Kind }),
			str(func(r *Row) string { return r.Audience }), recipients,
			u8(func(r *Row) bool { return r.Apology }), u8(func(r *Row) bool { return r.TakesResponsibility }),
			u8(func(r *Row) bool { return r.RootCause }), u8(func(r *Row) bool { return r.PreventionSteps }),
			next, str(func(r *Row) string { return r.Body }), extra, ingested, topic, parts, offsets}
	default:
		csat := make([]*uint8, n)
		for i := range rows {
			csat[i] = rows[i].CSAT
		}
		return []any{eventID, typ, occurred, customer, incident,
			str(func(r *Row) string { return r.Segment }), str(func(r *Row) string { return r.Plan }),
			f64(func(r *Row) *float64 { return r.MRR }), str(func(r *Row) string { return r.CompensationType }),
			f64(func(r *Row) *float64 { return r.Amount }), str(func(r *Row) string { return r.Currency }),
			str(func(r *Row) string { return r.Channel }), csat, f64(func(r *Row) *float64 { return r.Sentiment }),
			str(func(r *Row) string { return r.Comment }), str(func(r *Row) string { return r.Reason }),
			extra, ingested, topic, parts, offsets}
	}
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
