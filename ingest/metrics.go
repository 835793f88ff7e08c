package ingest

import (
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens/internal/promreg"
)

// metrics are the Prometheus series of the ingest pipeline.
type metrics struct {
	consumed         *prometheus.CounterVec
	inserted         *prometheus.CounterVec
	deadLettered     *prometheus.CounterVec
	batchSize        prometheus.Histogram
	batchSeconds     prometheus.Histogram
	lag              *prometheus.GaugeVec
	clickhouseErrors prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		consumed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustlens_ingest_consumed_total", Help: "Messages consumed and stored (valid or dead-lettered), by topic.",
		}, []string{"topic"}),
		inserted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustlens_ingest_inserted_total", Help: "Rows inserted into ClickHouse, by table.",
		}, []string{"table"}),
		deadLettered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustlens_ingest_dead_lettered_total", Help: "Bad messages sent to the dead-letter topic, by source topic and the field at fault (\"json\" for the message as a whole).",
		}, []string{"topic", "reason"}),
		batchSize: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "trustlens_ingest_batch_size", Help: "Messages per stored batch.",
			Buckets: prometheus.ExponentialBuckets(1, 4, 10),
		}),
		batchSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "trustlens_ingest_batch_seconds", Help: "Time to store and commit one batch, retries included.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}),
		lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "trustlens_ingest_lag", Help: "Messages behind the end of the topic, summed over the partitions this process reads (as of the last fetched message).",
		}, []string{"topic"}),
		clickhouseErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "trustlens_ingest_clickhouse_errors_total", Help: "Failed ClickHouse inserts (each retry counts).",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.consumed, err = promreg.Register(reg, m.consumed, err)
	m.inserted, err = promreg.Register(reg, m.inserted, err)
	m.deadLettered, err = promreg.Register(reg, m.deadLettered, err)
	m.batchSize, err = promreg.Register(reg, m.batchSize, err)
	m.batchSeconds, err = promreg.Register(reg, m.batchSeconds, err)
	m.lag, err = promreg.Register(reg, m.lag, err)
	m.clickhouseErrors, err = promreg.Register(reg, m.clickhouseErrors, err)
	if err != nil {
		return nil, fmt.Errorf("ingest: register metrics: %w", err)
	}
	return m, nil
}

// lagTracker keeps the lag of each partition seen lately (from the high
// watermark the broker sends with each fetch) and publishes the sum per
// topic. A partition not fetched from for lagExpiry (moved to another group
// member) is forgotten.
type lagTracker struct {
	m      *metrics
	parts  map[topicPartition]lagEntry
	topics map[string]bool // topics with a published value
}

type lagEntry struct {
	lag  int64
	seen time.Time
}

const lagExpiry = time.Minute

func newLagTracker(m *metrics) *lagTracker {
	return &lagTracker{m: m, parts: map[topicPartition]lagEntry{}, topics: map[string]bool{}}
}

// observe records the high watermark of a partition as of its last fetched
// record; publish makes it visible.
func (l *lagTracker) observe(topic string, partition int, highWatermark, lastOffset int64) {
	if highWatermark > 0 {
		l.parts[topicPartition{topic, partition}] = lagEntry{lag: max(highWatermark-lastOffset-1, 0), seen: time.Now()}
	}
}

// caughtUp reports whether every partition seen is read to its end.
func (l *lagTracker) caughtUp() bool {
	for _, e := range l.parts {
		if e.lag > 0 {
			return false
		}
	}
	return true
}

// publish sets the lag gauge of every topic.
func (l *lagTracker) publish() {
	now := time.Now()
	sums := map[string]int64{}
	for tp, e := range l.parts {
		if now.Sub(e.seen) > lagExpiry {
			delete(l.parts, tp)
			continue
		}
		sums[tp.topic] += e.lag
	}
	for topic := range l.topics {
		if _, ok := sums[topic]; !ok {
			l.m.lag.WithLabelValues(topic).Set(0)
		}
	}
	for topic, n := range sums {
		l.m.lag.WithLabelValues(topic).Set(float64(n))
		l.topics[topic] = true
	}
}
