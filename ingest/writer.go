package ingest

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
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

	// replicated caches whether the tables are Replicated (cluster mode):
	// 0 = not asked yet, 1 = no, 2 = yes.
	replicated atomic.Int32
}

// ownBlocks are the settings of an INSERT into Replicated tables: the
// server stores each block the client streams as it is, instead of
// squashing consecutive blocks into blocks of min_insert_block_size_rows
// (1 048 576) rows or _bytes. ClickHouse 18.16 stores what it received of
// a statement whose connection closed between two blocks (an Abort, a
// network cut), and squashed, the end of such a prefix is a block that the
// retry never sends again (it squashes those rows with the blocks that
// follow), so insert deduplication could not drop it. Block by block,
// every stored block is one the retry sends again, byte for byte. The
// price is a part per streamed block (per month), not per statement.
var ownBlocks = clickhouse.Settings{"min_insert_block_size_rows": 0, "min_insert_block_size_bytes": 0}

// prepare starts the INSERT query, with ownBlocks when the tables are
// Replicated (asked of ClickHouse once).
func (w *Writer) prepare(ctx context.Context, query string) (driver.Batch, error) {
	if w.replicated.Load() == 0 {
		db := "currentDatabase()"
		if w.DB != "" {
			db = "'" + w.DB + "'"
		}
		var engine string
		if err := w.Conn.QueryRow(ctx, "SELECT engine FROM system.tables WHERE database = "+db+" AND name = 'incident_events'").Scan(&engine); err != nil {
			return nil, fmt.Errorf("table engine: %w", err)
		}
		if strings.HasPrefix(engine, "Replicated") {
			w.replicated.Store(2)
		} else {
			w.replicated.Store(1)
		}
	}
	if w.replicated.Load() == 2 {
		settings := ownBlocks
		if noDedup, _ := ctx.Value(noDedupKey{}).(bool); noDedup {
			settings = clickhouse.Settings{"insert_deduplicate": 0}
			for k, v := range ownBlocks {
				settings[k] = v
			}
		}
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(settings))
	}
	return w.Conn.PrepareBatch(ctx, query)
}

// noDedupKey marks a context whose INSERTs into Replicated tables are not
// deduplicated (storedOrWait).
type noDedupKey struct{}

// isReplicated says whether the tables are Replicated (known after the
// first INSERT).
func (w *Writer) isReplicated() bool { return w.replicated.Load() == 2 }

const (
	incidentCols      = "event_id, type, occurred_at, incident_id, customer_id, severity, title, services, regions, source, status, segment, mrr, extra, ingested_at, kafka_topic, kafka_partition, kafka_offset"
	communicationCols = "event_id, type, occurred_at, incident_id, customer_id, channel, kind, audience, recipients, apology, takes_responsibility, root_cause, prevention_steps, next_update_at, body, extra, ingested_at, kafka_topic, kafka_partition, kafka_offset"
	customerCols      = "event_id, type, occurred_at, customer_id, incident_id, segment, plan, mrr, compensation_type, amount, currency, channel, csat, sentiment, comment, reason, extra, ingested_at, kafka_topic, kafka_partition, kafka_offset"
	errorCols         = "ingested_at, kafka_topic, kafka_partition, kafka_offset, reason, raw"
)

func columnList(s trustlens.Stream) string {
	switch s {
	case trustlens.Incidents:
		return incidentCols
	case trustlens.Communications:
		return communicationCols
	}
	return customerCols
}

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

// Insert writes rows, one batch per table. It returns only when
// ClickHouse has acknowledged every batch. rows may mix streams.
func (w *Writer) Insert(ctx context.Context, rows []Row) error {
	b, err := w.NewBatch(rows)
	if err != nil {
		return err
	}
	defer b.Release()
	return w.Send(ctx, b)
}

// Batch is rows formed once into the columns of their tables, with
// ingested_at stamped when it is formed. Every Send of a Batch sends the
// same rows in the same order with the same values: the same blocks, byte
// for byte. A batch sent again after its acknowledgement was lost — to the
// same server or to another replica — is therefore dropped by
// ReplicatedMergeTree's insert deduplication instead of being stored twice.
// Keep a Batch until Send succeeds, then Release it.
type Batch struct {
	IngestedAt time.Time // UTC, whole seconds
	cols       [3]*tableColumns
}

// NewBatch forms rows (they may mix streams) into a Batch stamped with the
// writer's clock.
func (w *Writer) NewBatch(rows []Row) (*Batch, error) {
	b := &Batch{IngestedAt: w.now()}
	for i := range rows {
		r := &rows[i]
		k := streamIndex(r.Event.Stream())
		if k < 0 {
			b.Release()
			return nil, fmt.Errorf("insert: event %q has type %q of no stream", r.EventID, r.Type)
		}
		if b.cols[k] == nil {
			b.cols[k] = getColumns(trustlens.Streams[k])
		}
		b.cols[k].add(&r.Event, r.Topic, r.Partition, r.Offset)
	}
	return b, nil
}

// Len is the number of rows of b.
func (b *Batch) Len() int {
	n := 0
	for _, c := range b.cols {
		if c != nil {
			n += c.len()
		}
	}
	return n
}

// Release gives b's memory back; b must not be used afterwards.
func (b *Batch) Release() {
	for k, c := range b.cols {
		c.release()
		b.cols[k] = nil
	}
}

// Send writes b, one INSERT statement of one block per table, and returns
// once ClickHouse has acknowledged them all. After an error, Send b again
// (not a batch formed anew): what already reached a replicated table is
// then deduplicated.
func (w *Writer) Send(ctx context.Context, b *Batch) error {
	for k, s := range trustlens.Streams {
		if b.cols[k] == nil || b.cols[k].len() == 0 {
			continue
		}
		ins, err := w.openInsert(ctx, s)
		if err != nil {
			return err
		}
		if err := w.appendColumns(ins, s, []*tableColumns{b.cols[k]}, b.IngestedAt); err != nil {
			_ = ins.Abort()
			return err
		}
		if err := ins.Send(); err != nil {
			return fmt.Errorf("insert %s: %w", s.Table(), err)
		}
	}
	return nil
}

// tableColumns are the columns of one event table being built row by row
// (decoded events are appended straight into them, no Row in between).
// Only the columns of its stream are used.
type tableColumns struct {
	stream trustlens.Stream

	eventID, typ, incident, customer, extra, topic []string
	occurred                                       []time.Time
	partition                                      []int32
	offset                                         []int64

	// incident_events (segment and mrr also customer_events)
	severity, title, source, status, segment []string
	services, regions                        [][]string
	mrr                                      []*float64

	// communication_events (channel also customer_events)
	channel, kind, audience, body                  []string
	recipients                                     []*uint64
	apology, responsibility, rootCause, prevention []uint8
	nextUpdate                                     []*time.Time

	// customer_events
	plan, compensation, currency, comment, reason []string
	amount, sentiment                             []*float64
	csat                                          []*uint8

	ingested []time.Time // scratch: the ingested_at column
}

// columnPools recycle tableColumns (and their capacity) between batches,
// one pool per stream.
var columnPools [3]sync.Pool

func getColumns(s trustlens.Stream) *tableColumns {
	k := streamIndex(s)
	if c, ok := columnPools[k].Get().(*tableColumns); ok {
		return c
	}
	return &tableColumns{stream: s}
}

// release empties c and returns it to its pool (nil is ignored).
func (c *tableColumns) release() {
	if c == nil {
		return
	}
	c.reset()
	columnPools[streamIndex(c.stream)].Put(c)
}

func (c *tableColumns) len() int { return len(c.eventID) }

// maxPooledRows bounds what a pooled tableColumns keeps: a larger one
// gives its memory back.
const maxPooledRows = 1 << 17

func clr[T any](s []T) []T {
	if cap(s) > maxPooledRows {
		return nil
	}
	clear(s)
	return s[:0]
}

// reset empties every column, dropping the references to the events'
// strings so that they can be collected.
func (c *tableColumns) reset() {
	c.eventID, c.typ, c.incident, c.customer, c.extra, c.topic = clr(c.eventID), clr(c.typ), clr(c.incident), clr(c.customer), clr(c.extra), clr(c.topic)
	c.occurred, c.partition, c.offset = clr(c.occurred), clr(c.partition), clr(c.offset)
	c.severity, c.title, c.source, c.status, c.segment = clr(c.severity), clr(c.title), clr(c.source), clr(c.status), clr(c.segment)
	c.services, c.regions, c.mrr = clr(c.services), clr(c.regions), clr(c.mrr)
	c.channel, c.kind, c.audience, c.body = clr(c.channel), clr(c.kind), clr(c.audience), clr(c.body)
	c.recipients, c.apology, c.responsibility, c.rootCause, c.prevention, c.nextUpdate = clr(c.recipients), clr(c.apology), clr(c.responsibility), clr(c.rootCause), clr(c.prevention), clr(c.nextUpdate)
	c.plan, c.compensation, c.currency, c.comment, c.reason = clr(c.plan), clr(c.compensation), clr(c.currency), clr(c.comment), clr(c.reason)
	c.amount, c.sentiment, c.csat = clr(c.amount), clr(c.sentiment), clr(c.csat)
	c.ingested = clr(c.ingested)
}

// add appends one event of c's stream.
func (c *tableColumns) add(e *trustlens.Event, topic string, partition int, offset int64) {
	c.eventID = append(c.eventID, e.EventID)
	c.typ = append(c.typ, e.Type)
	c.occurred = append(c.occurred, e.OccurredAt)
	c.incident = append(c.incident, e.IncidentID)
	c.customer = append(c.customer, e.CustomerID)
	c.extra = append(c.extra, e.Extra)
	c.topic = append(c.topic, topic)
	c.partition = append(c.partition, int32(partition))
	c.offset = append(c.offset, offset)
	switch c.stream {
	case trustlens.Incidents:
		c.severity = append(c.severity, e.Severity)
		c.title = append(c.title, e.Title)
		c.services = append(c.services, strs(e.Services))
		c.regions = append(c.regions, strs(e.Regions))
		c.source = append(c.source, e.Source)
		c.status = append(c.status, e.Status)
		c.segment = append(c.segment, e.Segment)
		c.mrr = append(c.mrr, e.MRR)
	case trustlens.Communications:
		c.channel = append(c.channel, e.Channel)
		c.kind = append(c.kind, e.Kind)
		c.audience = append(c.audience, e.Audience)
		c.recipients = append(c.recipients, e.Recipients)
		c.apology = append(c.apology, boolByte(e.Apology))
		c.responsibility = append(c.responsibility, boolByte(e.TakesResponsibility))
		c.rootCause = append(c.rootCause, boolByte(e.RootCause))
		c.prevention = append(c.prevention, boolByte(e.PreventionSteps))
		c.nextUpdate = append(c.nextUpdate, e.NextUpdateAt)
		c.body = append(c.body, e.Body)
	default:
		c.segment = append(c.segment, e.Segment)
		c.plan = append(c.plan, e.Plan)
		c.mrr = append(c.mrr, e.MRR)
		c.compensation = append(c.compensation, e.CompensationType)
		c.amount = append(c.amount, e.Amount)
		c.currency = append(c.currency, e.Currency)
		c.channel = append(c.channel, e.Channel)
		c.csat = append(c.csat, e.CSAT)
		c.sentiment = append(c.sentiment, e.Sentiment)
		c.comment = append(c.comment, e.Comment)
		c.reason = append(c.reason, e.Reason)
	}
}

// columns are c's columns in the order of its table's column list, with
// at as ingested_at.
func (c *tableColumns) columns(at time.Time) []any {
	c.ingested = c.ingested[:0]
	for range c.len() {
		c.ingested = append(c.ingested, at)
	}
	switch c.stream {
	case trustlens.Incidents:
		return []any{c.eventID, c.typ, c.occurred, c.incident, c.customer,
			c.severity, c.title, c.services, c.regions, c.source, c.status,
			c.segment, c.mrr, c.extra, c.ingested, c.topic, c.partition, c.offset}
	case trustlens.Communications:
		return []any{c.eventID, c.typ, c.occurred, c.incident, c.customer,
			c.channel, c.kind, c.audience, c.recipients,
			c.apology, c.responsibility, c.rootCause, c.prevention,
			c.nextUpdate, c.body, c.extra, c.ingested, c.topic, c.partition, c.offset}
	default:
		return []any{c.eventID, c.typ, c.occurred, c.customer, c.incident,
			c.segment, c.plan, c.mrr, c.compensation, c.amount, c.currency,
			c.channel, c.csat, c.sentiment, c.comment, c.reason,
			c.extra, c.ingested, c.topic, c.partition, c.offset}
	}
}

func strs(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// InsertErrors writes rejected messages to ingest_errors, stamped now.
func (w *Writer) InsertErrors(ctx context.Context, bad []BadMessage) error {
	return w.insertErrors(ctx, w.now(), bad)
}

// insertErrors writes rejected messages to ingest_errors with ingested_at
// at: the same messages and at send the same block again.
func (w *Writer) insertErrors(ctx context.Context, at time.Time, bad []BadMessage) error {
	if len(bad) == 0 {
		return nil
	}
	b, err := w.prepare(ctx, "INSERT INTO "+w.table("ingest_errors")+" ("+errorCols+")")
	if err != nil {
		return fmt.Errorf("insert ingest_errors: %w", err)
	}
	at = at.UTC().Truncate(time.Second)
	for _, m := range bad {
		if err := b.Append(at, m.Topic, int32(m.Partition), m.Offset, m.Reason, string(m.Raw)); err != nil {
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

// openInsert starts an INSERT statement into the table of s; its rows are
// sent with appendColumns, and it ends with Send.
func (w *Writer) openInsert(ctx context.Context, s trustlens.Stream) (driver.Batch, error) {
	b, err := w.prepare(ctx, "INSERT INTO "+w.table(s.Table())+" ("+columnList(s)+")")
	if err != nil {
		return nil, fmt.Errorf("insert %s: %w", s.Table(), err)
	}
	return b, nil
}

// appendColumns appends parts to the open statement b and sends them to
// ClickHouse as one block (the statement stays open), with ingested_at at:
// the batch's stamp, the same on every attempt, so that a retried block is
// identical to the first and replicated tables deduplicate it.
func (w *Writer) appendColumns(b driver.Batch, s trustlens.Stream, parts []*tableColumns, at time.Time) error {
	at = at.UTC().Truncate(time.Second)
	for _, p := range parts {
		if p.len() == 0 {
			continue
		}
		for i, c := range p.columns(at) {
			if err := b.Column(i).Append(c); err != nil {
				return fmt.Errorf("insert %s: column %d: %w", s.Table(), i, err)
			}
		}
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("insert %s: %w", s.Table(), err)
	}
	return nil
}
