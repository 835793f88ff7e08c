package ingest

// Replicated deduplication has a gap: an INSERT whose block id is already
// known (in ZooKeeper) is acknowledged and dropped even when the part with
// those rows lives only on a replica that died before another fetched it.
// A statement retried on another replica after its first server died is
// exactly that case. A deduplicated INSERT also skips the materialized
// views, whose parts replicate on their own. So after such a retry, ingest
// checks that the server it now talks to holds every event of the
// statement and its rows in incident_timeline (standing for every view),
// waiting a while for replication from a replica that is still alive, and
// sends the statement again without deduplication when it does not: the
// tables, the views' targets and every figure count each event once, so a
// second copy is harmless, a missing one is not.

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/trustlens/trustlens"
)

// storedWait is how long ensureStored waits for replication before it
// sends a statement again without deduplication.
const storedWait = 15 * time.Second

// offsetSpan is what a statement holds of one partition of one table.
type offsetSpan struct {
	lo, hi int64
	n      uint64 // valid events (distinct offsets)
}

// ensureStored makes sure the server holds every valid event of st, which
// was retried after a failure (see above).
func (in *Ingester) ensureStored(ctx context.Context, st *statement) error {
	spans, topics := statementSpans(in.cfg.TopicPrefix, st)
	deadline := time.Now().Add(storedWait)
	for {
		missing, err := in.missingSpans(ctx, spans, topics)
		if err == nil && missing == 0 {
			return nil
		}
		if err == nil && time.Now().After(deadline) {
			in.log.Warn("a retried statement was deduplicated against rows this server does not have (their replica is gone); sending it again without deduplication",
				slog.Int("partitions_missing", missing), slog.Int("events", st.size()))
			return in.resendNoDedup(ctx, st)
		}
		if err != nil {
			in.log.Warn("checking a retried statement", slog.Any("err", err))
		}
		if !sleep(ctx, 500*time.Millisecond) {
			return fmt.Errorf("check retried statement: %w", ctx.Err())
		}
	}
}

// statementSpans are the offsets of st's valid events, by stream and
// partition, and the topic of each stream.
func statementSpans(prefix string, st *statement) ([3]map[int32]*offsetSpan, [3]string) {
	var (
		spans  [3]map[int32]*offsetSpan
		topics [3]string
	)
	for k := range spans {
		spans[k] = map[int32]*offsetSpan{}
	}
	for _, b := range st.batches {
		for topic := range b.last {
			if s, ok := trustlens.StreamOfTopic(prefix, topic); ok {
				topics[streamIndex(s)] = topic
			}
		}
		for _, r := range b.raws {
			for i, k := range r.stream {
				p, off := r.partition[i], r.offset[i]
				sp := spans[k][p]
				if sp == nil {
					sp = &offsetSpan{lo: off, hi: off}
					spans[k][p] = sp
				}
				sp.lo, sp.hi = min(sp.lo, off), max(sp.hi, off)
				sp.n++
			}
		}
	}
	return spans, topics
}

// missingSpans counts the partitions of which the server holds fewer
// distinct offsets in the span than the statement sent.
func (in *Ingester) missingSpans(ctx context.Context, spans [3]map[int32]*offsetSpan, topics [3]string) (int, error) {
	missing := 0
	for k, s := range trustlens.Streams {
		if len(spans[k]) == 0 {
			continue
		}
		var conds []string
		for p, sp := range spans[k] {
			conds = append(conds, "(kafka_partition = "+strconv.Itoa(int(p))+" AND kafka_offset BETWEEN "+
				strconv.FormatInt(sp.lo, 10)+" AND "+strconv.FormatInt(sp.hi, 10)+")")
		}
		rows, err := in.writer.Conn.Query(ctx, "SELECT kafka_partition, toUInt64(uniqExact(kafka_offset)) FROM "+in.writer.table(s.Table())+
			" WHERE kafka_topic = ? AND ("+strings.Join(conds, " OR ")+") GROUP BY kafka_partition", topics[k])
		if err != nil {
			return 0, fmt.Errorf("count stored events: %w", err)
		}
		have := map[int32]uint64{}
		for rows.Next() {
			var (
				p int32
				n uint64
			)
			if err := rows.Scan(&p, &n); err != nil {
				rows.Close()
				return 0, fmt.Errorf("count stored events: %w", err)
			}
			have[p] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return 0, fmt.Errorf("count stored events: %w", err)
		}
		for p, sp := range spans[k] {
			if have[p] < sp.n {
				missing++
			}
		}
		// The materialized views' rows replicate on their own, and a
		// deduplicated INSERT skips the views: incident_timeline (fed by
		// every event naming an incident) stands for them all.
		rows, err = in.writer.Conn.Query(ctx, "SELECT toUInt64(uniqExactIf(kafka_partition, kafka_offset, incident_id != '')) FROM "+in.writer.table(s.Table())+
			" WHERE kafka_topic = ? AND ("+strings.Join(conds, " OR ")+")", topics[k])
		if err != nil {
			return 0, fmt.Errorf("count stored events: %w", err)
		}
		var named, timeline uint64
		for rows.Next() {
			if err := rows.Scan(&named); err != nil {
				rows.Close()
				return 0, fmt.Errorf("count stored events: %w", err)
			}
		}
		rows.Close()
		if err := in.writer.Conn.QueryRow(ctx, "SELECT toUInt64(uniqExact(kafka_partition, kafka_offset)) FROM "+in.writer.table("incident_timeline")+
			" WHERE kafka_topic = ? AND ("+strings.Join(conds, " OR ")+")", topics[k]).Scan(&timeline); err != nil {
			return 0, fmt.Errorf("count stored events: %w", err)
		}
		if timeline < named {
			missing++
		}
	}
	return missing, nil
}

// resendNoDedup sends st again with insert_deduplicate = 0, retrying
// until it is stored or ctx ends.
func (in *Ingester) resendNoDedup(ctx context.Context, st *statement) error {
	nctx := context.WithValue(ctx, noDedupKey{}, true)
	delay := in.cfg.RetryMin
	for {
		err := func() error {
			for _, b := range st.batches {
				in.redecode(b)
				err := in.stream(nctx, st, b)
				b.release()
				if err != nil {
					return err
				}
			}
			for k, ins := range st.inserts {
				if ins == nil {
					continue
				}
				if err := ins.Send(); err != nil {
					return fmt.Errorf("insert %s: %w", trustlens.Streams[k].Table(), err)
				}
			}
			return nil
		}()
		if err == nil {
			st.inserts = [3]driver.Batch{}
			return nil
		}
		st.abort()
		in.log.Error("sending a retried statement again failed; retrying", slog.Any("err", err), slog.Duration("retry_in", delay))
		if !sleep(ctx, delay) {
			return fmt.Errorf("insert: %w", err)
		}
		delay = min(2*delay, in.cfg.RetryMax)
	}
}
