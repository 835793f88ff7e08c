package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/trustlens/trustlens/ingest"
)

func cmdProduce(ctx context.Context, args []string, e env) error {
	s := newSettings("produce", "Publish newline-delimited JSON events to a topic, one message per line (keyed by incident_id, or customer_id where there is none). Stops at the first line that is not JSON, naming its line number.", e)
	k := s.kafka()
	topic := s.String("topic", "", "", "topic to publish to, e.g. trustlens.incidents (required)")
	file := s.String("file", "", "", "read events from this file instead of stdin")
	logs := s.logging()
	if err := s.parse(args); err != nil {
		return err
	}
	_ = logs
	if *topic == "" {
		return fmt.Errorf("produce: --topic is required (e.g. --topic %sincidents)", *k.prefix)
	}
	var in io.Reader = e.stdin
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return fmt.Errorf("produce: %w", err)
		}
		defer f.Close()
		in = f
	}
	n, err := ingest.Produce(ctx, k.brokerList(), *topic, in)
	fmt.Fprintf(e.stdout, "sent %d events to %s\n", n, *topic)
	return err
}
