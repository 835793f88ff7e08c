package connect

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// Publisher puts the messages of one delivery on the broker and returns
// once every one is acknowledged (or with an error: the delivery is then
// answered 503 and the vendor retries; a message published twice is
// harmless, the event ids being the same).
type Publisher interface {
	Publish(ctx context.Context, msgs []kafka.Message) error
}

// KafkaPublisher publishes with a kafka-go Writer, acknowledged by all
// in-sync replicas.
type KafkaPublisher struct {
	w *kafka.Writer
}

// NewKafkaPublisher writes to brokers; each message names its topic.
func NewKafkaPublisher(brokers []string) *KafkaPublisher {
	return &KafkaPublisher{w: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		BatchTimeout:           time.Millisecond, // one delivery is one small batch: do not wait for more
		BatchBytes:             4 << 20,          // a raw delivery may be up to 1 MiB
		Compression:            kafka.Lz4,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        500 * time.Millisecond,
	}}
}

// Publish writes msgs and waits for the broker's acknowledgement.
func (p *KafkaPublisher) Publish(ctx context.Context, msgs []kafka.Message) error {
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		var werrs kafka.WriteErrors
		if errors.As(err, &werrs) {
			return fmt.Errorf("connect: publish: %d of %d messages not acknowledged: %w", werrs.Count(), len(msgs), err)
		}
		return fmt.Errorf("connect: publish: %w", err)
	}
	return nil
}

// Close flushes and closes the writer.
func (p *KafkaPublisher) Close() error {
	if err := p.w.Close(); err != nil {
		return fmt.Errorf("connect: close publisher: %w", err)
	}
	return nil
}
