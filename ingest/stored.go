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

	"github.com/trustlens/trustlens"
)

// storedWait is how long storedOrWait waits for replication before it
// sends a statement again without deduplication.
const storedWait = 15 * time.Second

// offsetSpan is what a statement holds of one partition of one table.
type offsetSpan struct {
	lo, hi int64
	n      uint64 // valid events (distinct offsets)
}

// storedOrWait reports whether the server holds every valid event of st
// (retried after a failure, see above) and its incident_timeline rows,
// waiting up to storedWait for replication. false means: send st again
// without deduplication (also when the check itself keeps failing; the
// send then fails and recovers like any other).
func (in *Ingester) storedOrWait(ctx context.Context, st *statement) bool {
	spans, topics := statementSpans(in.cfg.TopicPrefix, st)
	deadline := time.Now().Add(storedWait)
	for {
		missing, err := in.missingSpans(ctx, spans, topics)
		if err == nil && missing == 0 {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			in.log.Warn("a retried statement was deduplicated against rows this server does not have (their replica is gone); sending it again without deduplication",
				slog.Int("partitions_missing", missing), slog.Any("check_err", err), slog.Int("events", st.size()))
			return false
		}
		if !sleep(ctx, 500*time.Millisecond) {
			return false
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
// distinct offsets in the span than the statement sent, in the event table
// or, for the events naming an incident, in incident_timeline (a
// deduplicated INSERT skips the materialized views, whose parts replicate
// on their own; the timeline stands for them all).
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
		where := " WHERE kafka_topic = ? AND (" + strings.Join(conds, " OR ") + ") GROUP BY kafka_partition"
		events, err := in.countByPartition(ctx, "SELECT kafka_partition, toUInt64(uniqExact(kafka_offset)), toUInt64(uniqExactIf(kafka_offset, incident_id != '')) FROM "+
			in.writer.table(s.Table())+where, topics[k])
		if err != nil {
			return 0, err
		}
		timeline, err := in.countByPartition(ctx, "SELECT kafka_partition, toUInt64(uniqExact(kafka_offset)), toUInt64(0) FROM "+
			in.writer.table("incident_timeline")+where, topics[k])
		if err != nil {
			return 0, err
		}
		for p, sp := range spans[k] {
			if events[p][0] < sp.n || timeline[p][0] < events[p][1] {
				missing++
			}
		}
	}
	return missing, nil
}

// countByPartition runs q (partition and two counts per row) for topic.
func (in *Ingester) countByPartition(ctx context.Context, q, topic string) (map[int32][2]uint64, error) {
	rows, err := in.writer.Conn.Query(ctx, q, topic)
	if err != nil {
		return nil, fmt.Errorf("count stored events: %w", err)
	}
	defer rows.Close()
	out := map[int32][2]uint64{}
	for rows.Next() {
		var (
			p    int32
			a, b uint64
		)
		if err := rows.Scan(&p, &a, &b); err != nil {
			return nil, fmt.Errorf("count stored events: %w", err)
		}
		out[p] = [2]uint64{a, b}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count stored events: %w", err)
	}
	return out, nil
}
