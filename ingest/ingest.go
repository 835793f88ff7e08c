// Package ingest consumes the three event topics with one Kafka consumer
// group and stores the events in ClickHouse (SPEC §1, §2.5).
//
// The pipeline has three stages joined by bounded channels:
//
//	fetch (FetchMessage, flush on size or age)
//	  → decode (trustlens.Decode, in parallel)
//	  → store (insert rows and errors, dead-letter the bad messages, then commit)
//
// Offsets are committed only after every message of a batch is stored: the
// valid ones in their tables, the bad ones in ingest_errors AND the
// dead-letter topic. A failure retries the same batch with capped
// exponential backoff while the fetch stage stops after a bounded number of
// batches. A crash between insert and commit re-inserts rows on
// redelivery; the tables are ReplacingMergeTree and every query counts an
// event_id once, so nothing is double-counted.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/trustlens/trustlens"
)

// Config configures an Ingester. Zero values get the defaults shown.
type Config struct {
	Brokers     []string
	TopicPrefix string // e.g. "trustlens."
	GroupID     string // consumer group (default "trustlens-ingest")
	// Conn is connected to the target database; tables are unqualified.
	Conn driver.Conn

	BatchSize     int           // events per insert (default 20000)
	FlushInterval time.Duration // flush a batch at least this often (default 1 s)

	Logger     *slog.Logger          // default: discard
	Registerer prometheus.Registerer // metrics; nil = none
	Now        func() time.Time      // clock for validation and ingested_at (default time.Now)

	// MaxBufferedBatches is how many batches are held ahead of the one
	// being stored: one being decoded, one being fetched, and any more
	// waiting in between (default 2, the least). While ClickHouse fails,
	// fetching stops there; memory grows with it.
	MaxBufferedBatches int
	// DecodeWorkers decode a batch in parallel (default GOMAXPROCS).
	DecodeWorkers int
	// RetryMin and RetryMax bound the backoff between retries of a failed
	// insert, dead-letter produce or commit (default 100 ms, 10 s).
	RetryMin, RetryMax time.Duration
	// ShutdownTimeout bounds the final flush and commit after the context
	// is cancelled (default 10 s).
	ShutdownTimeout time.Duration
	// Consumer-group timing (defaults 10 s, 10 s, 1 s). A dead member's
	// partitions move to the others after about SessionTimeout.
	SessionTimeout, RebalanceTimeout, HeartbeatInterval time.Duration
	// MaxFetchBytes is the most bytes one fetch of one partition returns
	// (default 4 MiB).
	MaxFetchBytes int
}

// Ingester is one member of the ingest consumer group.
type Ingester struct {
	cfg    Config
	topics []string
	dlq    string
	log    *slog.Logger
	m      *metrics
	writer *Writer

	mu        sync.Mutex
	insertErr error // the last failure of a ClickHouse write, nil after a success
}

// New checks cfg and prepares an Ingester; Run starts it.
func New(cfg Config) (*Ingester, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("ingest: no Kafka brokers configured")
	}
	if cfg.Conn == nil {
		return nil, errors.New("ingest: no ClickHouse connection")
	}
	if cfg.GroupID == "" {
		cfg.GroupID = "trustlens-ingest"
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 20000
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxBufferedBatches < 2 {
		cfg.MaxBufferedBatches = 2
	}
	if cfg.DecodeWorkers <= 0 {
		cfg.DecodeWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = 100 * time.Millisecond
	}
	if cfg.RetryMax <= 0 {
		cfg.RetryMax = 10 * time.Second
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = cfg.RetryMin
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	if cfg.SessionTimeout <= 0 {
		cfg.SessionTimeout = 10 * time.Second
	}
	if cfg.RebalanceTimeout <= 0 {
		cfg.RebalanceTimeout = 10 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = time.Second
	}
	if cfg.MaxFetchBytes <= 0 {
		cfg.MaxFetchBytes = 4 << 20
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	in := &Ingester{
		cfg:    cfg,
		dlq:    cfg.TopicPrefix + string(trustlens.DeadLetter),
		log:    cfg.Logger.With(slog.String("component", "ingest")),
		m:      m,
		writer: &Writer{Conn: cfg.Conn, Now: cfg.Now},
	}
	for _, s := range trustlens.Streams {
		in.topics = append(in.topics, cfg.TopicPrefix+string(s))
	}
	return in, nil
}

// Ready returns nil when ClickHouse accepts inserts, and an error saying
// why not while it is down or failing.
func (in *Ingester) Ready(ctx context.Context) error {
	if err := in.cfg.Conn.Ping(ctx); err != nil {
		return fmt.Errorf("ingest: ClickHouse does not answer: %w", err)
	}
	in.mu.Lock()
	err := in.insertErr
	in.mu.Unlock()
	if err != nil {
		return fmt.Errorf("ingest: ClickHouse is failing inserts (retrying): %w", err)
	}
	return nil
}

func (in *Ingester) setInsertErr(err error) {
	in.mu.Lock()
	in.insertErr = err
	in.mu.Unlock()
}

// fetched is a batch of messages as fetched.
type fetched struct {
	msgs  []kafka.Message
	fetch time.Duration // from the first message to the last
}

// decoded is a batch ready to store.
type decoded struct {
	rows  [3][]Row // valid events by stream (the order of trustlens.Streams)
	valid int
	bad   []badMsg
	// last is the last message of every partition in the batch: what to commit.
	last     []kafka.Message
	consumed map[string]int // per topic
	size     int
	fetch    time.Duration
	decode   time.Duration
}

type badMsg struct {
	BadMessage
	key   []byte
	field string // metric label: a field name, "json" or "type"
}

// Run consumes until ctx is cancelled, then flushes and commits what it
// holds and closes within ShutdownTimeout. It returns nil on a clean stop.
func (in *Ingester) Run(ctx context.Context) error {
	errLog := in.log.With(slog.String("source", "kafka-go"))
	reader := kafka.NewReader(kafka.ReaderConfig{
		Brokers:           in.cfg.Brokers,
		GroupID:           in.cfg.GroupID,
		GroupTopics:       in.topics,
		MinBytes:          1,
		MaxBytes:          in.cfg.MaxFetchBytes,
		MaxWait:           250 * time.Millisecond,
		QueueCapacity:     1024,
		StartOffset:       kafka.FirstOffset,
		SessionTimeout:    in.cfg.SessionTimeout,
		RebalanceTimeout:  in.cfg.RebalanceTimeout,
		HeartbeatInterval: in.cfg.HeartbeatInterval,
		JoinGroupBackoff:  time.Second,
		ReadBackoffMin:    100 * time.Millisecond,
		ReadBackoffMax:    2 * time.Second,
		CommitInterval:    0, // synchronous commits
		ErrorLogger: kafka.LoggerFunc(func(msg string, args ...any) {
			errLog.Warn(fmt.Sprintf(msg, args...))
		}),
	})
	dlq := &kafka.Writer{
		Addr:                   kafka.TCP(in.cfg.Brokers...),
		Topic:                  in.dlq,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		BatchTimeout:           5 * time.Millisecond,
		BatchBytes:             16 << 20, // the broker decides what is too large
		MaxAttempts:            3,
	}

	// store keeps working after ctx is cancelled, until the shutdown deadline.
	storeCtx, stopStore := context.WithCancel(context.WithoutCancel(ctx))
	defer stopStore()
	go func() {
		select {
		case <-ctx.Done():
			t := time.NewTimer(in.cfg.ShutdownTimeout)
			defer t.Stop()
			select {
			case <-t.C:
				stopStore()
			case <-storeCtx.Done():
			}
		case <-storeCtx.Done():
		}
	}()

	fetchedC := make(chan fetched, in.cfg.MaxBufferedBatches-2)
	decodedC := make(chan decoded)
	var wg sync.WaitGroup
	wg.Add(2)
	var fetchErr error
	go func() {
		defer wg.Done()
		defer close(fetchedC)
		fetchErr = in.fetch(ctx, reader, fetchedC)
	}()
	go func() {
		defer wg.Done()
		defer close(decodedC)
		for b := range fetchedC {
			decodedC <- in.decode(b)
		}
	}()

	var (
		storeErr error
		lost     int
	)
	for b := range decodedC {
		if storeErr != nil {
			lost += b.size // drained after a failed shutdown flush: redelivered later
			continue
		}
		if err := in.store(storeCtx, reader, dlq, b); err != nil {
			storeErr = err
			lost += b.size
		}
	}
	wg.Wait()

	stopStore()
	closeErr := errors.Join(reader.Close(), dlq.Close())
	if closeErr != nil {
		in.log.Warn("closing Kafka clients", slog.Any("err", closeErr))
	}
	switch {
	case fetchErr != nil:
		return fmt.Errorf("ingest: %w", fetchErr)
	case storeErr != nil:
		return fmt.Errorf("ingest: stopped before %d fetched events were stored; they will be delivered again: %w", lost, storeErr)
	}
	in.log.Info("ingest stopped")
	return nil
}

// fetch reads messages into batches until ctx ends. A batch is sent when it
// has BatchSize messages or FlushInterval after its first message.
func (in *Ingester) fetch(ctx context.Context, r *kafka.Reader, out chan<- fetched) error {
	lag := newLagTracker(in.m)
	backoff := 100 * time.Millisecond
	for {
		var (
			b      fetched
			bctx   context.Context
			cancel context.CancelFunc = func() {}
			first  time.Time
		)
		b.msgs = make([]kafka.Message, 0, min(in.cfg.BatchSize, 8192))
		bctx = ctx
		for len(b.msgs) < in.cfg.BatchSize {
			m, err := r.FetchMessage(bctx)
			if err != nil {
				if ctx.Err() != nil {
					cancel()
					if len(b.msgs) > 0 {
						lag.observe(b.msgs)
						out <- b
					}
					return nil
				}
				if bctx.Err() != nil { // the batch is old enough
					break
				}
				if errors.Is(err, io.EOF) {
					cancel()
					return fmt.Errorf("fetch: reader closed: %w", err)
				}
				// kafka-go reports broker and group trouble here and heals
				// by itself: wait a little and go on.
				in.log.Warn("fetch failed; retrying", slog.Any("err", err), slog.Duration("retry_in", backoff))
				if !sleep(ctx, backoff) {
					continue // shutdown: handled by the next FetchMessage
				}
				backoff = min(2*backoff, 2*time.Second)
				continue
			}
			backoff = 100 * time.Millisecond
			if len(b.msgs) == 0 {
				bctx, cancel = context.WithTimeout(ctx, in.cfg.FlushInterval)
				first = time.Now()
			}
			b.msgs = append(b.msgs, m)
		}
		cancel()
		b.fetch = time.Since(first)
		lag.observe(b.msgs)
		select {
		case out <- b:
		case <-ctx.Done():
			out <- b // still flushed on shutdown
			return nil
		}
	}
}

// decode validates a batch in parallel. Each valid event is decoded
// straight into its slot of its table's rows (no copying of rows later).
func (in *Ingester) decode(b fetched) decoded {
	start := time.Now()
	now := in.cfg.Now()
	n := len(b.msgs)
	d := decoded{size: n, consumed: map[string]int{}, fetch: b.fetch}

	// pass 1: the stream of every message and its slot in that stream's rows
	streamOf := make([]int8, n) // index into trustlens.Streams, -1 = not an event topic
	slot := make([]int32, n)
	var counts [3]int32
	lastIdx := map[topicPartition]int{}
	for i := range b.msgs {
		m := &b.msgs[i]
		d.consumed[m.Topic]++
		lastIdx[topicPartition{m.Topic, m.Partition}] = i
		streamOf[i] = -1
		if s, ok := trustlens.StreamOfTopic(in.cfg.TopicPrefix, m.Topic); ok {
			k := streamIndex(s)
			streamOf[i], slot[i] = int8(k), counts[k]
			counts[k]++
		}
	}
	for k := range d.rows {
		d.rows[k] = make([]Row, counts[k])
	}

	// pass 2: decode in parallel
	res := make([]error, n)
	workers := in.cfg.DecodeWorkers
	if n < 1000 {
		workers = 1
	}
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				m := &b.msgs[i]
				k := streamOf[i]
				if k < 0 {
					res[i] = &trustlens.ValidationError{Reason: fmt.Sprintf("topic %q is not an event topic", m.Topic)}
					continue
				}
				r := &d.rows[k][slot[i]]
				ev, err := trustlens.Decode(trustlens.Streams[k], m.Value, now)
				if err != nil {
					res[i] = err
					continue
				}
				r.Event = ev
				r.Position = Position{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset}
			}
		}(lo, hi)
	}
	wg.Wait()

	// pass 3: set the bad messages aside and close the holes they left
	var kept [3]int32
	for i := range b.msgs {
		k := streamOf[i]
		if res[i] == nil {
			if kept[k] != slot[i] {
				d.rows[k][kept[k]] = d.rows[k][slot[i]]
			}
			kept[k]++
			continue
		}
		m := &b.msgs[i]
		d.bad = append(d.bad, badMsg{
			BadMessage: BadMessage{
				Position: Position{Topic: m.Topic, Partition: m.Partition, Offset: m.Offset},
				Reason:   res[i].Error(),
				Raw:      m.Value,
			},
			key:   m.Key,
			field: reasonLabel(res[i]),
		})
	}
	for k := range d.rows {
		clear(d.rows[k][kept[k]:])
		d.rows[k] = d.rows[k][:kept[k]]
		d.valid += int(kept[k])
	}
	for _, i := range lastIdx {
		d.last = append(d.last, b.msgs[i])
	}
	d.decode = time.Since(start)
	return d
}

func streamIndex(s trustlens.Stream) int {
	for k, x := range trustlens.Streams {
		if x == s {
			return k
		}
	}
	return -1
}

type topicPartition struct {
	topic     string
	partition int
}

// knownFields bounds the values of the dead-letter metric's reason label.
var knownFields = map[string]bool{
	"event_id": true, "type": true, "occurred_at": true, "incident_id": true, "customer_id": true,
	"severity": true, "title": true, "services": true, "regions": true, "source": true, "status": true,
	"segment": true, "plan": true, "mrr": true, "channel": true, "kind": true, "audience": true,
	"recipients": true, "apology": true, "takes_responsibility": true, "root_cause": true,
	"prevention_steps": true, "next_update_at": true, "body": true, "compensation_type": true,
	"amount": true, "currency": true, "csat": true, "sentiment": true, "comment": true, "reason": true,
}

// reasonLabel is the bounded metric label of a validation error: the field
// name, "type", or "json" for a message that is wrong as a whole.
func reasonLabel(err error) string {
	var ve *trustlens.ValidationError
	if errors.As(err, &ve) && knownFields[ve.Field] {
		return ve.Field
	}
	return "json"
}

// store writes a batch and commits it, retrying each step until it
// succeeds or ctx ends. Steps already done are not repeated.
func (in *Ingester) store(ctx context.Context, r *kafka.Reader, dlq *kafka.Writer, b decoded) error {
	start := time.Now()
	// The three tables and ingest_errors are written in parallel, each
	// retried on its own; a step that succeeded is not repeated.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	step := func(what string, rows int, op func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := in.retry(ctx, what, true, op); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
				return
			}
		}()
	}
	for k, s := range trustlens.Streams {
		rows := b.rows[k]
		if len(rows) == 0 {
			continue
		}
		step("insert "+s.Table(), len(rows), func(ctx context.Context) error {
			if err := in.writer.insertStream(ctx, s, rows); err != nil {
				return err
			}
			in.m.inserted.WithLabelValues(s.Table()).Add(float64(len(rows)))
			return nil
		})
	}
	if len(b.bad) > 0 {
		bad := make([]BadMessage, len(b.bad))
		for i := range b.bad {
			bad[i] = b.bad[i].BadMessage
		}
		step("insert ingest_errors", len(bad), func(ctx context.Context) error {
			if err := in.writer.InsertErrors(ctx, bad); err != nil {
				return err
			}
			in.m.inserted.WithLabelValues("ingest_errors").Add(float64(len(bad)))
			return nil
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if len(b.bad) > 0 {
		if err := in.deadLetter(ctx, dlq, b.bad); err != nil {
			return err
		}
		first := b.bad[0]
		in.log.Warn("bad messages dead-lettered", slog.Int("count", len(b.bad)),
			slog.String("first_topic", first.Topic), slog.Int("first_partition", first.Partition),
			slog.Int64("first_offset", first.Offset), slog.String("first_reason", first.Reason))
		for _, m := range b.bad {
			in.log.Debug("bad message dead-lettered",
				slog.String("topic", m.Topic), slog.Int("partition", m.Partition),
				slog.Int64("offset", m.Offset), slog.String("reason", m.Reason))
		}
	}
	if len(b.last) > 0 {
		// A failed commit only means redelivery (deduplicated), so it is
		// retried a few times and then left to the next batch's commit.
		cctx, cancel := context.WithTimeout(ctx, 3*in.cfg.SessionTimeout)
		err := in.retry(cctx, "commit", false, func(ctx context.Context) error {
			return r.CommitMessages(ctx, b.last...)
		})
		cancel()
		if err != nil {
			in.log.Warn("commit failed; the batch will be delivered again", slog.Any("err", err))
		}
	}
	for topic, n := range b.consumed {
		in.m.consumed.WithLabelValues(topic).Add(float64(n))
	}
	in.m.batchSize.Observe(float64(b.size))
	in.m.batchSeconds.Observe(time.Since(start).Seconds())
	in.log.Debug("batch stored", slog.Int("events", b.size), slog.Int("rows", b.valid),
		slog.Int("bad", len(b.bad)), slog.Duration("fetch", b.fetch), slog.Duration("decode", b.decode),
		slog.Duration("store", time.Since(start)))
	return nil
}

// deadLetter produces the bad messages to the dead-letter topic, retrying
// those that failed.
func (in *Ingester) deadLetter(ctx context.Context, w *kafka.Writer, bad []badMsg) error {
	pending := make([]int, len(bad))
	for i := range pending {
		pending[i] = i
	}
	// A message the broker finds too large is sent again cut to
	// MaxMessageBytes with a "truncated" header giving its size, rather
	// than stalling its partition; ingest_errors has it whole.
	truncated := map[int]bool{}
	return in.retry(ctx, "produce to "+in.dlq, false, func(ctx context.Context) error {
		msgs := make([]kafka.Message, len(pending))
		for j, i := range pending {
			m := bad[i]
			msgs[j] = kafka.Message{
				Key:   m.key,
				Value: m.Raw,
				Headers: []kafka.Header{
					{Key: "source_topic", Value: []byte(m.Topic)},
					{Key: "source_partition", Value: []byte(strconv.Itoa(m.Partition))},
					{Key: "source_offset", Value: []byte(strconv.FormatInt(m.Offset, 10))},
					{Key: "reason", Value: []byte(m.Reason)},
				},
			}
			if truncated[i] && len(m.Raw) > trustlens.MaxMessageBytes {
				msgs[j].Value = m.Raw[:trustlens.MaxMessageBytes]
				msgs[j].Headers = append(msgs[j].Headers, kafka.Header{Key: "truncated", Value: []byte(strconv.Itoa(len(m.Raw)))})
			}
		}
		err := w.WriteMessages(ctx, msgs...)
		var (
			werrs    kafka.WriteErrors
			tooLarge kafka.MessageTooLargeError
		)
		if errors.As(err, &tooLarge) { // refused by the client before sending
			for _, i := range pending {
				truncated[i] = true
			}
		}
		switch {
		case err == nil:
			for _, i := range pending {
				in.m.deadLettered.WithLabelValues(bad[i].Topic, bad[i].field).Inc()
			}
			pending = nil
			return nil
		case errors.As(err, &werrs) && len(werrs) == len(pending):
			var still []int
			for j, i := range pending {
				if werrs[j] != nil {
					still = append(still, i)
					if errors.Is(werrs[j], kafka.MessageSizeTooLarge) {
						truncated[i] = true
					}
				} else {
					in.m.deadLettered.WithLabelValues(bad[i].Topic, bad[i].field).Inc()
				}
			}
			pending = still
			if len(pending) == 0 {
				return nil
			}
		}
		return err
	})
}

// retry runs op until it succeeds or ctx ends, sleeping RetryMin, 2×, …
// RetryMax between attempts. clickhouse marks ClickHouse operations (for
// Ready and the error counter).
func (in *Ingester) retry(ctx context.Context, what string, clickhouse bool, op func(context.Context) error) error {
	delay := in.cfg.RetryMin
	for attempt := 1; ; attempt++ {
		err := op(ctx)
		if err == nil {
			if clickhouse {
				in.setInsertErr(nil)
			}
			if attempt > 1 {
				in.log.Info(what+" succeeded after retrying", slog.Int("attempts", attempt))
			}
			return nil
		}
		if clickhouse {
			in.m.clickhouseErrors.Inc()
			in.setInsertErr(err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		in.log.Error(what+" failed; retrying", slog.Any("err", err),
			slog.Int("attempt", attempt), slog.Duration("retry_in", delay))
		if !sleep(ctx, delay) {
			return fmt.Errorf("%s: %w", what, err)
		}
		delay = min(2*delay, in.cfg.RetryMax)
	}
}

// sleep waits d; false if ctx ended first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
