// Package ingest consumes the three event topics with one Kafka consumer
// group and stores the events in ClickHouse (SPEC §1, §2.5).
//
// The pipeline has three stages joined by bounded channels:
//
//	fetch (franz-go PollRecords, flush on size or age)
//	  → decode (trustlens.Decode in parallel, straight into table columns)
//	  → store (insert rows and errors, dead-letter the bad messages, then commit)
//
// Offsets are committed only after every message of a batch is stored: the
// valid ones in their tables, the bad ones in ingest_errors AND the
// dead-letter topic. A failure retries the same batch with capped
// exponential backoff while the fetch stage stops after a bounded number of
// batches. A retry sends the same blocks byte for byte (ingested_at is
// stamped once per batch), through any healthy address of the list, so a
// Replicated table deduplicates what the failed attempt stored. A crash between insert and commit re-inserts rows on
// redelivery; the tables are ReplacingMergeTree and every query counts an
// event_id once, so nothing is double-counted.
//
// The consumer is franz-go's kgo (segmentio/kafka-go's Reader cost about
// 1.2 µs per event and several seconds to join the group; kgo fetches every
// partition at once and costs a fraction of that). Offsets are "marked"
// once stored and committed right after; kgo ignores marks of partitions
// this member no longer owns, and before a partition is revoked in a
// rebalance, the batches already fetched are given a bounded time to be
// stored and committed, so that the next owner starts after them.
package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/trustlens/trustlens"
)

// Config configures an Ingester. Zero values get the defaults shown.
type Config struct {
	Brokers     []string
	TopicPrefix string // e.g. "trustlens."
	GroupID     string // consumer group (default "trustlens-ingest")
	// Conn is connected to the target database; tables are unqualified.
	Conn driver.Conn

	BatchSize     int           // events per fetched batch, sent to ClickHouse as one block (default 20000)
	FlushInterval time.Duration // flush a batch at least this often (default 1 s)
	// MaxInsertBytes bounds one INSERT statement: the batches are streamed
	// into it as blocks as they come, and it ends (acknowledged by
	// ClickHouse, then committed) once it holds this many bytes of events
	// or FlushInterval after it began (default 32 MiB). Few large
	// statements make few parts, which ClickHouse 18.16 writes several
	// times faster than many small ones (on Replicated tables each batch is
	// a block and parts of its own: see ownBlocks). The events are held (as
	// received, for a retry) until the statement is acknowledged; one
	// statement ends while the next one is streamed into. A statement
	// ends early when the consumer has caught up with every partition.
	MaxInsertBytes int

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
	// MaxFetchBytes is the most (compressed) bytes one fetch of all
	// partitions returns, a quarter of it at most from each (default
	// 1 MiB, about 25 000 small events). A larger single message is still
	// fetched, alone. The client holds one fetch ahead of the pipeline.
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

	flow flow
	raws rawBuffers
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
	if cfg.MaxInsertBytes <= 0 {
		cfg.MaxInsertBytes = 32 << 20
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
		cfg.MaxFetchBytes = 1 << 20
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
	in.flow.cond = sync.NewCond(&in.flow.mu)
	in.flow.storeWake = make(chan struct{}, 1)
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

// flow tracks the batches in the pipeline, so that a rebalance can wait
// until what was fetched from a partition is stored before the partition
// moves to another member.
type flow struct {
	mu         sync.Mutex
	cond       *sync.Cond
	fetching   bool               // the fetch stage runs
	flushReq   bool               // a revocation asks the fetch stage to send what it holds
	pollCancel context.CancelFunc // cancels the poll in progress
	sent, done int64              // batches sent by the fetch stage / finished by the store stage
	draining   int                // drains waiting: the store stage ends its statements at once
	storeWake  chan struct{}      // tells an idle store stage that a drain waits
}

// finishWanted reports whether a drain waits for the store stage.
func (f *flow) finishWanted() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.draining > 0
}

// startPoll registers the cancel of a poll about to start; false when a
// flush was requested instead.
func (f *flow) startPoll(cancel context.CancelFunc) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.flushReq {
		return false
	}
	f.pollCancel = cancel
	return true
}

func (f *flow) endPoll() {
	f.mu.Lock()
	f.pollCancel = nil
	f.mu.Unlock()
}

func (f *flow) flushRequested() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.flushReq
}

// batchSent counts a batch handed to the pipeline (n events; 0 = none
// handed, only a flush answered).
func (f *flow) batchSent(n int) {
	f.mu.Lock()
	if n > 0 {
		f.sent++
	}
	f.flushReq = false
	f.cond.Broadcast()
	f.mu.Unlock()
}

func (f *flow) batchDone(n int) {
	f.mu.Lock()
	f.done += int64(n)
	f.cond.Broadcast()
	f.mu.Unlock()
}

func (f *flow) setFetching(v bool) {
	f.mu.Lock()
	f.fetching = v
	if !v {
		f.flushReq = false
	}
	f.cond.Broadcast()
	f.mu.Unlock()
}

// drain asks the fetch stage to send what it holds and waits until every
// batch sent so far is finished, or d passed. It reports whether it did
// not time out.
func (f *flow) drain(d time.Duration) bool {
	var expired atomic.Bool
	t := time.AfterFunc(d, func() {
		expired.Store(true)
		f.mu.Lock()
		f.cond.Broadcast()
		f.mu.Unlock()
	})
	defer t.Stop()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fetching {
		f.flushReq = true
		if f.pollCancel != nil {
			f.pollCancel()
		}
		for f.flushReq && f.fetching && !expired.Load() {
			f.cond.Wait()
		}
	}
	target := f.sent
	f.draining++
	defer func() { f.draining-- }()
	select {
	case f.storeWake <- struct{}{}:
	default:
	}
	for f.done < target && !expired.Load() {
		f.cond.Wait()
	}
	return f.done >= target
}

// fetched is a batch of records as fetched.
type fetched struct {
	recs     []*kgo.Record
	fetch    time.Duration // from the first record to the last
	caughtUp bool          // nothing more to read for now: store it soon
}

// decoded is a batch ready to store.
type decoded struct {
	cols  [3][]*tableColumns // valid events by stream (the order of trustlens.Streams), one part per decode worker
	valid int
	bad   []badMsg
	// last is the offset to commit for every partition in the batch
	// (copied: holding a record would hold its whole fetch).
	last     map[string]map[int32]kgo.EpochOffset
	consumed map[string]int // per topic
	size     int
	fetch    time.Duration
	decode   time.Duration
	caughtUp bool
	// the valid events as received, to decode again for a retry
	raws     []rawPart
	rawBytes int
	// now is the clock of the first decode: validation and ingested_at use
	// it on every attempt, so that a retried batch is the same rows in the
	// same order with the same values as the first attempt (see redecode).
	now time.Time
}

// rawPart holds valid events as received: event i is
// data[ends[i-1]:ends[i]] from stream[i], partition[i], offset[i].
type rawPart struct {
	data      []byte
	ends      []int32
	stream    []int8
	partition []int32
	offset    []int64
}

// grow makes room for n events of size bytes in all, in a recycled buffer
// when one is free.
func (r *rawPart) grow(free *rawBuffers, n, size int) {
	if len(r.data) == 0 && cap(r.data) < size {
		if b := free.get(size); b != nil {
			r.data = b
		} else {
			r.data = make([]byte, 0, size+size/8) // slack, so that it fits the next batch
		}
	}
	r.data = slices.Grow(r.data, size)
	r.ends = slices.Grow(r.ends, n)
	r.stream = slices.Grow(r.stream, n)
	r.partition = slices.Grow(r.partition, n)
	r.offset = slices.Grow(r.offset, n)
}

// copy appends the value of rec to data, as a string that stays valid:
// data only grows, and a reallocation leaves the old bytes as they are.
func (r *rawPart) copy(rec *kgo.Record) string {
	from := len(r.data)
	r.data = append(r.data, rec.Value...)
	if len(rec.Value) == 0 {
		return ""
	}
	return unsafe.String(&r.data[from], len(rec.Value))
}

// keep records the event just copied as valid; drop forgets it.
func (r *rawPart) keep(k int, rec *kgo.Record) {
	r.ends = append(r.ends, int32(len(r.data)))
	r.stream = append(r.stream, int8(k))
	r.partition = append(r.partition, rec.Partition)
	r.offset = append(r.offset, rec.Offset)
}

func (r *rawPart) drop(rec *kgo.Record) {
	r.data = r.data[:len(r.data)-len(rec.Value)]
}

// release gives the columns back to their pools (the raw events stay).
func (d *decoded) release() {
	for k := range d.cols {
		for _, c := range d.cols[k] {
			c.release()
		}
		d.cols[k] = nil
	}
}

type badMsg struct {
	BadMessage
	key   []byte
	field string // metric label: a field name, "json" or "type"
}

// kgoLogger passes franz-go's warnings and errors to slog (its info
// messages are debug here).
type kgoLogger struct{ log *slog.Logger }

func (l kgoLogger) Level() kgo.LogLevel {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelWarn
}

func (l kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	lv := slog.LevelDebug
	switch level {
	case kgo.LogLevelError, kgo.LogLevelWarn:
		lv = slog.LevelWarn
	}
	l.log.Log(context.Background(), lv, msg, keyvals...)
}

func (in *Ingester) newClient() (*kgo.Client, error) {
	maxBytes := int32(min(in.cfg.MaxFetchBytes, 1<<30))
	return kgo.NewClient(
		kgo.SeedBrokers(in.cfg.Brokers...),
		kgo.ConsumerGroup(in.cfg.GroupID),
		kgo.ConsumeTopics(in.topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		// only offsets marked after a batch is stored are ever committed
		kgo.AutoCommitMarks(),
		kgo.AutoCommitInterval(5*time.Second),
		kgo.OnPartitionsRevoked(in.onRevoked),
		kgo.OnPartitionsLost(in.onLost),
		kgo.SessionTimeout(in.cfg.SessionTimeout),
		kgo.RebalanceTimeout(in.cfg.RebalanceTimeout),
		kgo.HeartbeatInterval(in.cfg.HeartbeatInterval),
		kgo.FetchMaxBytes(maxBytes),
		kgo.FetchMaxPartitionBytes(max(maxBytes/4, 1)),
		kgo.FetchMaxWait(250*time.Millisecond),
		kgo.RetryBackoffFn(func(tries int) time.Duration {
			return min(100*time.Millisecond<<min(tries, 5), 2*time.Second)
		}),
		kgo.WithLogger(kgoLogger{in.log.With(slog.String("source", "franz-go"))}),
	)
}

// onRevoked runs when partitions move to another member: what was fetched
// is stored and committed first (within half the rebalance timeout).
func (in *Ingester) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	if len(revoked) == 0 {
		return
	}
	if !in.flow.drain(in.cfg.RebalanceTimeout / 2) {
		in.log.Warn("partitions revoked before the fetched events were stored; the next owner reads them again", slog.Any("partitions", revoked))
	}
	cctx, cancel := context.WithTimeout(ctx, in.cfg.RebalanceTimeout/2)
	defer cancel()
	if err := cl.CommitMarkedOffsets(cctx); err != nil {
		in.log.Warn("commit before a rebalance failed; some events will be delivered again", slog.Any("err", err))
	}
}

// onLost runs when the group dropped this member: its partitions are
// already someone else's, so nothing is committed.
func (in *Ingester) onLost(_ context.Context, _ *kgo.Client, lost map[string][]int32) {
	if len(lost) > 0 {
		in.log.Warn("partitions lost (the group moved on without this member); uncommitted events will be delivered again", slog.Any("partitions", lost))
	}
}

// Run consumes until ctx is cancelled, then flushes and commits what it
// holds and closes within ShutdownTimeout. It returns nil on a clean stop.
func (in *Ingester) Run(ctx context.Context) error {
	cl, err := in.newClient()
	if err != nil {
		return fmt.Errorf("ingest: Kafka client: %w", err)
	}
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
	in.flow.setFetching(true)
	go func() {
		defer wg.Done()
		defer close(fetchedC)
		defer in.flow.setFetching(false)
		fetchErr = in.fetch(ctx, cl, fetchedC)
	}()
	go func() {
		defer wg.Done()
		defer close(decodedC)
		for b := range fetchedC {
			decodedC <- in.decode(b)
		}
	}()

	lost, storeErr := in.storeLoop(storeCtx, cl, dlq, decodedC)
	for b := range decodedC { // drained after a failed shutdown flush: redelivered later
		lost += b.size
		b.release()
		in.flow.batchDone(1)
	}
	wg.Wait()

	stopStore()
	// Close leaves the group; onRevoked commits what is marked and not
	// yet committed.
	cl.Close()
	if err := dlq.Close(); err != nil {
		in.log.Warn("closing the dead-letter writer", slog.Any("err", err))
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

// fetch polls records into batches until ctx ends. A batch is sent when it
// has BatchSize records, FlushInterval after its first record, or when a
// rebalance asks for it.
func (in *Ingester) fetch(ctx context.Context, cl *kgo.Client, out chan<- fetched) error {
	lag := newLagTracker(in.m)
	var lastErr string
	for {
		var (
			b        fetched
			first    time.Time
			deadline time.Time
		)
		b.recs = make([]*kgo.Record, 0, min(in.cfg.BatchSize, 8192))
		for len(b.recs) < in.cfg.BatchSize {
			var (
				pctx   context.Context
				cancel context.CancelFunc
			)
			if deadline.IsZero() {
				pctx, cancel = context.WithCancel(ctx)
			} else {
				pctx, cancel = context.WithDeadline(ctx, deadline)
			}
			if !in.flow.startPoll(cancel) {
				cancel()
				break
			}
			fs := cl.PollRecords(pctx, in.cfg.BatchSize-len(b.recs))
			in.flow.endPoll()
			cancel()
			if fs.IsClientClosed() {
				return errors.New("fetch: Kafka client closed")
			}
			fs.EachError(func(topic string, partition int32, err error) {
				if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
					return
				}
				// kgo retries broker and group trouble by itself; say
				// so once per distinct error.
				if msg := err.Error(); msg != lastErr {
					lastErr = msg
					in.log.Warn("fetch failed; retrying", slog.String("topic", topic), slog.Int("partition", int(partition)), slog.Any("err", err))
				}
			})
			fs.EachPartition(func(p kgo.FetchTopicPartition) {
				if len(p.Records) == 0 {
					return
				}
				lag.observe(p.Topic, int(p.Partition), p.HighWatermark, p.Records[len(p.Records)-1].Offset)
				b.recs = append(b.recs, p.Records...)
			})
			if len(b.recs) > 0 && first.IsZero() {
				first = time.Now()
				deadline = first.Add(in.cfg.FlushInterval)
				lastErr = ""
			}
			if ctx.Err() != nil {
				if len(b.recs) > 0 {
					lag.publish()
					b.fetch = time.Since(first)
					out <- b // still flushed on shutdown
				}
				return nil
			}
			if (!deadline.IsZero() && !time.Now().Before(deadline)) || in.flow.flushRequested() {
				break
			}
			if len(b.recs) > 0 && lag.caughtUp() {
				b.caughtUp = true // the end of every partition: no use waiting
				break
			}
		}
		if len(b.recs) == 0 {
			in.flow.batchSent(0)
			continue
		}
		b.fetch = time.Since(first)
		lag.publish()
		select {
		case out <- b:
		case <-ctx.Done():
			out <- b // still flushed on shutdown
			in.flow.batchSent(len(b.recs))
			return nil
		}
		in.flow.batchSent(len(b.recs))
	}
}

// decode validates a batch in parallel. Each worker decodes a run of the
// batch straight into table columns of its own.
func (in *Ingester) decode(b fetched) decoded {
	start := time.Now()
	now := in.cfg.Now()
	n := len(b.recs)
	d := decoded{size: n, consumed: map[string]int{}, fetch: b.fetch, caughtUp: b.caughtUp}

	d.last = map[string]map[int32]kgo.EpochOffset{}
	for _, r := range b.recs {
		d.consumed[r.Topic]++
		parts := d.last[r.Topic]
		if parts == nil {
			parts = map[int32]kgo.EpochOffset{}
			d.last[r.Topic] = parts
		}
		if at := (kgo.EpochOffset{Epoch: r.LeaderEpoch, Offset: r.Offset + 1}); parts[r.Partition].Less(at) {
			parts[r.Partition] = at
		}
	}

	workers := in.cfg.DecodeWorkers
	if n < 1000 {
		workers = 1
	}
	chunk := (n + workers - 1) / workers
	type part struct {
		cols [3]*tableColumns
		bad  []badMsg
		raw  rawPart
	}
	parts := make([]part, (n+chunk-1)/max(chunk, 1))
	var wg sync.WaitGroup
	for w := range parts {
		lo, hi := w*chunk, min((w+1)*chunk, n)
		wg.Add(1)
		go func(p *part, recs []*kgo.Record) {
			defer wg.Done()
			var (
				streamTopic [3]string // the topic of each stream, once seen
				ev          trustlens.Event
			)
			// The events are copied into one buffer, kept until they are
			// acknowledged, and decoded from there without a copy each.
			size := 0
			for _, r := range recs {
				if len(r.Value) <= trustlens.MaxMessageBytes {
					size += len(r.Value)
				}
			}
			p.raw.grow(&in.raws, len(recs), size)
			for _, r := range recs {
				k := -1
				for j := range streamTopic {
					if streamTopic[j] == r.Topic {
						k = j
						break
					}
				}
				if k < 0 {
					if s, ok := trustlens.StreamOfTopic(in.cfg.TopicPrefix, r.Topic); ok {
						k = streamIndex(s)
						streamTopic[k] = r.Topic
					}
				}
				var err error
				copied := false
				switch {
				case k < 0:
					err = &trustlens.ValidationError{Reason: fmt.Sprintf("topic %q is not an event topic", r.Topic)}
				case len(r.Value) > trustlens.MaxMessageBytes:
					ev, err = trustlens.Decode(trustlens.Streams[k], r.Value, now)
				default:
					copied = true
					ev, err = trustlens.DecodeString(trustlens.Streams[k], p.raw.copy(r), now)
				}
				if err != nil {
					if copied {
						p.raw.drop(r) // no string of it is kept
					}
					p.bad = append(p.bad, badMsg{
						BadMessage: BadMessage{
							Position: Position{Topic: r.Topic, Partition: int(r.Partition), Offset: r.Offset},
							Reason:   err.Error(),
							Raw:      bytes.Clone(r.Value),
						},
						key:   bytes.Clone(r.Key),
						field: reasonLabel(err),
					})
					continue
				}
				c := p.cols[k]
				if c == nil {
					c = getColumns(trustlens.Streams[k])
					p.cols[k] = c
				}
				c.add(&ev, r.Topic, int(r.Partition), r.Offset)
				p.raw.keep(k, r)
			}
		}(&parts[w], b.recs[lo:hi])
	}
	wg.Wait()
	for _, p := range parts {
		for k, c := range p.cols {
			if c != nil {
				d.cols[k] = append(d.cols[k], c)
				d.valid += c.len()
			}
		}
		d.bad = append(d.bad, p.bad...)
		if len(p.raw.ends) > 0 {
			d.raws = append(d.raws, p.raw)
			d.rawBytes += len(p.raw.data)
		}
	}
	d.now = now
	d.decode = time.Since(start)
	return d
}

// redecode decodes the valid events of d again (they decode the same with
// the same clock) into new columns. The events keep their order: the
// parts of the first decode were in the order of d.raws, and a stream's
// rows are sent as one block either way, so every table gets the same
// block as on the first attempt, byte for byte — which is what lets
// replicated tables drop a retried block instead of storing it twice.
func (in *Ingester) redecode(d *decoded) {
	d.release()
	var ev trustlens.Event
	for _, r := range d.raws {
		from := int32(0)
		for i, end := range r.ends {
			k := int(r.stream[i])
			var err error
			raw := ""
			if end > from {
				raw = unsafe.String(&r.data[from], int(end-from))
			}
			ev, err = trustlens.DecodeString(trustlens.Streams[k], raw, d.now)
			from = end
			if err != nil { // cannot happen: it was valid before
				in.log.Error("event no longer valid on retry; skipped", slog.Any("err", err))
				continue
			}
			if len(d.cols[k]) == 0 {
				d.cols[k] = append(d.cols[k], getColumns(trustlens.Streams[k]))
			}
			d.cols[k][0].add(&ev, in.topics[k], int(r.partition[i]), r.offset[i])
		}
	}
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

// statement is what the open INSERT statements hold: batches streamed to
// ClickHouse but not yet acknowledged, kept (as received) for a retry.
type statement struct {
	batches []*decoded
	inserts [3]driver.Batch // per table; nil = none open
	retried bool            // sent again after a failure (recover)
	noDedup bool            // sent again with insert_deduplicate = 0 (stored.go)
	bytes   int
	started time.Time
	done    chan struct{} // closed once ended (err says how)
	err     error
}

func (st *statement) abort() {
	for k, b := range st.inserts {
		if b != nil {
			_ = b.Abort()
			st.inserts[k] = nil
		}
	}
}

func (st *statement) size() int {
	n := 0
	for _, b := range st.batches {
		n += b.size
	}
	return n
}

// storeLoop stores the batches until decodedC closes or ctx ends. It
// returns how many events it gave up (ctx ended first) and why.
//
// One statement is open and streamed into while the one before it ends
// (ClickHouse writes its parts meanwhile) and is committed; commits keep
// their order.
func (in *Ingester) storeLoop(ctx context.Context, cl *kgo.Client, dlq *kafka.Writer, decodedC <-chan decoded) (int, error) {
	st := &statement{}
	var ending []*statement // statements being ended, oldest first
	defer func() {
		for _, e := range ending {
			<-e.done
		}
		st.abort()
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	fail := func(err error) (int, error) {
		n := 0
		for _, e := range ending {
			<-e.done
			if e.err != nil {
				n += e.size()
				in.flow.batchDone(len(e.batches))
			}
		}
		ending = nil
		n += st.size()
		for _, b := range st.batches {
			b.release()
		}
		in.flow.batchDone(len(st.batches))
		st.batches = nil
		return n, err
	}
	// end starts ending st; at most maxEnding end at once.
	end := func() error {
		if len(ending) >= maxEnding {
			e := ending[0]
			<-e.done
			if e.err != nil {
				return e.err
			}
			ending = ending[1:]
		}
		var prev *statement
		if len(ending) > 0 {
			prev = ending[len(ending)-1]
		}
		e := st
		st = &statement{}
		e.done = make(chan struct{})
		ending = append(ending, e)
		go func() {
			defer close(e.done)
			e.err = in.finish(ctx, cl, e, prev)
		}()
		return nil
	}
	// wait waits for every statement being ended.
	wait := func() error {
		for len(ending) > 0 {
			e := ending[0]
			<-e.done
			if e.err != nil {
				return e.err
			}
			ending = ending[1:]
		}
		return nil
	}
	for {
		var due <-chan time.Time
		if len(st.batches) > 0 {
			due = timer.C
		}
		finish := false
		select {
		case b, ok := <-decodedC:
			if !ok {
				if err := end(); err != nil {
					return fail(err)
				}
				if err := wait(); err != nil {
					return fail(err)
				}
				return 0, nil
			}
			if err := in.add(ctx, dlq, st, &b); err != nil {
				return fail(err)
			}
			if len(st.batches) == 1 {
				timer.Reset(in.cfg.FlushInterval)
			}
			// A statement also ends early once the fetch stage has
			// caught up, if it is not too young (a slow stream still
			// gets at most two statements a second).
			finish = st.bytes >= in.cfg.MaxInsertBytes || in.flow.finishWanted() ||
				(b.caughtUp && time.Since(st.started) >= in.cfg.FlushInterval/2)
		case <-due:
			finish = true
		case <-in.flow.storeWake:
			finish = true
		}
		if finish && len(st.batches) > 0 {
			timer.Stop()
			if err := end(); err != nil {
				return fail(err)
			}
		}
	}
}

// add stores the bad messages of b (ingest_errors and the dead-letter
// topic) and streams its valid events into the open statements.
func (in *Ingester) add(ctx context.Context, dlq *kafka.Writer, st *statement, b *decoded) error {
	if len(b.bad) > 0 {
		bad := make([]BadMessage, len(b.bad))
		for i := range b.bad {
			bad[i] = b.bad[i].BadMessage
		}
		err := in.retry(ctx, "insert ingest_errors", true, func(ctx context.Context) error {
			return in.writer.insertErrors(ctx, b.now, bad)
		})
		if err != nil {
			return err
		}
		in.m.inserted.WithLabelValues("ingest_errors").Add(float64(len(bad)))
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
	if len(st.batches) == 0 {
		st.started = time.Now()
	}
	st.batches = append(st.batches, b)
	st.bytes += b.rawBytes
	err := in.stream(ctx, st, b)
	b.release()
	if err == nil {
		return nil
	}
	return in.recover(ctx, st, err)
}

// stream appends the columns of b to the open statements (opening them
// as needed) and sends them as one block per table.
func (in *Ingester) stream(ctx context.Context, st *statement, b *decoded) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for k, s := range trustlens.Streams {
		if len(b.cols[k]) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := func() error {
				if st.inserts[k] == nil {
					ictx := ctx
					if st.noDedup {
						ictx = context.WithValue(ctx, noDedupKey{}, true)
					}
					ins, err := in.writer.openInsert(ictx, s)
					if err != nil {
						return err
					}
					st.inserts[k] = ins
				}
				return in.writer.appendColumns(st.inserts[k], s, b.cols[k], b.now)
			}()
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	in.setInsertErr(nil)
	return nil
}

// recover retries after a failed insert: the open statements are
// abandoned and every held batch is decoded and streamed again, in the
// same order, with capped exponential backoff, until that succeeds or ctx
// ends. The connection may now go to another address of the list. What
// ClickHouse stored of the failed attempt (a statement whose
// acknowledgement was lost, or the blocks it had squashed and written) is
// the same blocks as the retry's: a Replicated table's insert
// deduplication drops them; a plain ReplacingMergeTree collapses them at
// merge time and queries count each event once.
func (in *Ingester) recover(ctx context.Context, st *statement, err error) error {
	delay := in.cfg.RetryMin
	for attempt := 1; ; attempt++ {
		in.m.clickhouseErrors.Inc()
		in.setInsertErr(err)
		st.abort()
		st.retried = true
		if ctx.Err() != nil {
			return fmt.Errorf("insert: %w", err)
		}
		in.log.Error("insert failed; retrying", slog.Any("err", err),
			slog.Int("attempt", attempt), slog.Duration("retry_in", delay), slog.Int("events", st.size()))
		if !sleep(ctx, delay) {
			return fmt.Errorf("insert: %w", err)
		}
		delay = min(2*delay, in.cfg.RetryMax)
		if err = in.restream(ctx, st); err == nil {
			in.log.Info("insert succeeded after retrying", slog.Int("attempts", attempt+1))
			return nil
		}
	}
}

// restream streams every batch of st again, decoded anew from its raw
// events with its first clock, into new statements.
func (in *Ingester) restream(ctx context.Context, st *statement) error {
	for _, b := range st.batches {
		in.redecode(b)
		err := in.stream(ctx, st, b)
		b.release()
		if err != nil {
			return err
		}
	}
	return nil
}

// maxEnding is how many statements end at once, besides the open one
// (more cost memory and were not faster).
const maxEnding = 1

// finish ends the open statements (ClickHouse acknowledges every event in
// them) and then, once prev (if any) is committed, commits the offsets of
// their batches.
func (in *Ingester) finish(ctx context.Context, cl *kgo.Client, st *statement, prev *statement) error {
	if len(st.batches) == 0 {
		return nil
	}
	start := time.Now()
	for {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			errs []error
		)
		for k, ins := range st.inserts {
			if ins == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := ins.Send(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("insert %s: %w", trustlens.Streams[k].Table(), err))
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if len(errs) == 0 {
			st.inserts = [3]driver.Batch{}
			// a retried statement may have been deduplicated against rows
			// this server does not have (stored.go): then it goes again,
			// without deduplication
			if !st.retried || st.noDedup || !in.writer.isReplicated() || in.storedOrWait(ctx, st) {
				break
			}
			st.noDedup = true
			if err := in.restream(ctx, st); err != nil {
				if err := in.recover(ctx, st, err); err != nil {
					return err
				}
			}
			continue
		}
		if err := in.recover(ctx, st, errors.Join(errs...)); err != nil {
			return err
		}
	}
	in.setInsertErr(nil)
	if prev != nil { // commits keep their order
		<-prev.done
		if prev.err != nil {
			return prev.err
		}
	}

	// what to commit: the furthest offset of every partition
	last := map[string]map[int32]kgo.EpochOffset{}
	consumed := map[string]int{}
	var rows [3]int
	valid, events := 0, 0
	for _, b := range st.batches {
		for topic, parts := range b.last {
			to := last[topic]
			if to == nil {
				to = map[int32]kgo.EpochOffset{}
				last[topic] = to
			}
			for p, at := range parts {
				if to[p].Less(at) {
					to[p] = at
				}
			}
		}
		for topic, n := range b.consumed {
			consumed[topic] += n
		}
		for _, r := range b.raws {
			for _, k := range r.stream {
				rows[k]++
			}
		}
		valid += b.valid
		events += b.size
	}
	// Marks of partitions this member no longer owns are ignored.
	cl.MarkCommitOffsets(last)
	// A failed commit only means redelivery (deduplicated), so it is
	// retried a few times and then left to the next statement's commit.
	cctx, cancel := context.WithTimeout(ctx, 3*in.cfg.SessionTimeout)
	err := in.retry(cctx, "commit", false, func(ctx context.Context) error {
		return cl.CommitMarkedOffsets(ctx)
	})
	cancel()
	if err != nil {
		in.log.Warn("commit failed; the events will be delivered again", slog.Any("err", err))
	}
	for k, s := range trustlens.Streams {
		if rows[k] > 0 {
			in.m.inserted.WithLabelValues(s.Table()).Add(float64(rows[k]))
		}
	}
	for topic, n := range consumed {
		in.m.consumed.WithLabelValues(topic).Add(float64(n))
	}
	for _, b := range st.batches {
		in.m.batchSize.Observe(float64(b.size))
	}
	in.m.batchSeconds.Observe(time.Since(st.started).Seconds())
	in.log.Debug("statement stored", slog.Int("batches", len(st.batches)), slog.Int("events", events),
		slog.Int("rows", valid), slog.Int("bytes", st.bytes), slog.Duration("open", time.Since(st.started)),
		slog.Duration("send", time.Since(start)))
	in.flow.batchDone(len(st.batches))
	// Stored and committed: nothing reads their raw events any more (the
	// columns decoded from them were released once streamed; bad messages
	// were copied), so their buffers serve the next batches.
	for _, b := range st.batches {
		for _, r := range b.raws {
			in.raws.put(r.data)
		}
	}
	st.batches, st.bytes = nil, 0
	return nil
}

// rawBuffers recycles the buffers of raw events (rawPart.data) once their
// statement is stored and committed. A new buffer is a zeroed allocation
// the size of a batch (15 % of ingest's CPU, clearing memory, in the
// profile) and, dropped, garbage the collector must hand back under the
// memory limit.
type rawBuffers struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int
}

// maxFreeRawBytes bounds the free buffers: about a statement's worth.
const maxFreeRawBytes = 40 << 20

// get takes a free buffer of at least size bytes (nil when none).
func (p *rawBuffers) get(size int) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.free) - 1; i >= 0; i-- {
		if b := p.free[i]; cap(b) >= size {
			p.free[i] = p.free[len(p.free)-1]
			p.free = p.free[:len(p.free)-1]
			p.bytes -= cap(b)
			return b[:0]
		}
	}
	return nil
}

// put gives back a buffer no string points into any more.
func (p *rawBuffers) put(b []byte) {
	if cap(b) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bytes+cap(b) <= maxFreeRawBytes {
		p.free = append(p.free, b[:0])
		p.bytes += cap(b)
	}
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
