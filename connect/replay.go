package connect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ReplayStats counts what a replay did.
type ReplayStats struct {
	Deliveries int // raw deliveries read
	Events     int // events published
	Problems   int // deliveries with a part that could not be mapped (logged, not dead-lettered again)
	Skipped    int // deliveries of another connector, or without a known route
}

// replayBatch is how many events are published per Publish call.
const replayBatch = 500

// Replay maps again, with the current mappings and settings, every raw
// delivery of <prefix>webhooks that is on the topic when it starts, and
// publishes the events. Their ids are the same as before, so an event
// already stored counts once; what a new mapping adds (a new event type,
// a delivery that was dead-lettered) is stored. Signatures are not checked
// again: the topic holds only deliveries that were authentic. connector
// "" replays every connector. cfg needs TopicPrefix, Publisher,
// Classifier and Settings; secrets are not used.
func Replay(ctx context.Context, brokers []string, cfg Config, connector string) (ReplayStats, error) {
	cfg = cfg.withDefaults()
	var st ReplayStats
	if cfg.Publisher == nil {
		return st, errors.New("connect: replay: no publisher")
	}
	if len(brokers) == 0 {
		return st, errors.New("connect: replay: no Kafka brokers configured")
	}
	byRoute := map[string]route{}
	for _, r := range allRoutes(cfg) {
		byRoute[r.template()] = r
	}
	topic := cfg.TopicPrefix + WebhooksTopic
	conn, err := kafka.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return st, fmt.Errorf("connect: replay: %w", err)
	}
	parts, err := conn.ReadPartitions(topic)
	conn.Close()
	if err != nil {
		return st, fmt.Errorf("connect: replay: partitions of %s: %w", topic, err)
	}
	// The end of each partition now: the replay stops there.
	ends := map[int32]int64{}
	starts := map[int32]kgo.Offset{}
	for _, p := range parts {
		if p.Topic != topic {
			continue
		}
		lc, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, p.ID)
		if err != nil {
			return st, fmt.Errorf("connect: replay: partition %d: %w", p.ID, err)
		}
		first, last, err := lc.ReadOffsets()
		lc.Close()
		if err != nil {
			return st, fmt.Errorf("connect: replay: offsets of partition %d: %w", p.ID, err)
		}
		if last > first {
			ends[int32(p.ID)] = last
			starts[int32(p.ID)] = kgo.NewOffset().At(first)
		}
	}
	if len(ends) == 0 {
		return st, nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: starts}))
	if err != nil {
		return st, fmt.Errorf("connect: replay: %w", err)
	}
	defer cl.Close()

	var pending []kafka.Message
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := cfg.Publisher.Publish(pctx, pending); err != nil {
			return fmt.Errorf("connect: replay: %w", err)
		}
		st.Events += len(pending)
		pending = pending[:0]
		return nil
	}
	for len(ends) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return st, fmt.Errorf("connect: replay: %w", err)
		}
		var ferr error
		fs.EachError(func(_ string, p int32, err error) {
			ferr = fmt.Errorf("connect: replay: read partition %d: %w", p, err)
		})
		if ferr != nil {
			return st, ferr
		}
		var perr error
		fs.EachRecord(func(rec *kgo.Record) {
			end, ok := ends[rec.Partition]
			if !ok || rec.Offset >= end || perr != nil {
				return // past the end of the replay
			}
			if rec.Offset >= end-1 {
				delete(ends, rec.Partition)
			}
			st.Deliveries++
			hdr := map[string]string{}
			for _, h := range rec.Headers {
				hdr[h.Key] = string(h.Value)
			}
			r, ok := byRoute[hdr["route"]]
			if !ok || (connector != "" && r.connector != connector) {
				st.Skipped++
				return
			}
			msgs, _, problems := eventMessages(cfg.TopicPrefix, r.mapBody(rec.Value), time.Now())
			if len(problems) > 0 {
				st.Problems++
				cfg.Logger.Warn("replay: delivery partly unmappable", slog.String("connector", r.connector),
					slog.Int("partition", int(rec.Partition)), slog.Int64("offset", rec.Offset), slog.Any("reasons", problems))
			}
			pending = append(pending, msgs...)
			if len(pending) >= replayBatch {
				perr = flush()
			}
		})
		if perr != nil {
			return st, perr
		}
	}
	return st, flush()
}
