package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/trustlens/trustlens/broker"
)

func cmdBroker(ctx context.Context, args []string, e env) error {
	s := newSettings("broker", "Run the embedded Kafka-protocol broker alone, in memory (or persisted with --data-dir). The event topics and the dead-letter topic exist from the start; other topics are created on first use.", e)
	k := s.kafka()
	parts := s.Int("partitions", "TRUSTLENS_EMBEDDED_KAFKA_PARTITIONS", 4, 1, 256, "partitions of each topic")
	dataDir := s.String("data-dir", "TRUSTLENS_EMBEDDED_KAFKA_DATA_DIR", "", "persist the broker's data in this directory (empty = in memory)")
	logs := s.logging()
	if err := s.parse(args); err != nil {
		return err
	}
	log := logs.logger(e.stderr)
	b, err := broker.Start(broker.Config{Addr: *k.embeddedAddr, TopicPrefix: *k.prefix, Partitions: *parts, DataDir: *dataDir})
	if err != nil {
		return err
	}
	defer b.Close()
	log.Info("embedded Kafka broker ready", slog.String("addr", b.Addr()), slog.Any("topics", broker.Topics(*k.prefix)))
	fmt.Fprintf(e.stdout, "Kafka-protocol broker listening on %s (Ctrl-C to stop)\n", b.Addr())
	<-ctx.Done()
	log.Info("broker stopping")
	return nil
}
