package ingest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/segmentio/kafka-go"
)

// produceChunk is how many lines are sent per WriteMessages call.
const produceChunk = 1000

// Produce publishes newline-delimited JSON to topic, one message per line,
// keyed by the event's incident_id, else its customer_id, else unkeyed.
// Empty lines are skipped. It stops at the first line that is not JSON
// with an error naming the line number, after sending the lines before it.
// It returns how many messages the broker acknowledged.
func Produce(ctx context.Context, brokers []string, topic string, r io.Reader) (int, error) {
	if len(brokers) == 0 {
		return 0, errors.New("produce: no Kafka brokers configured")
	}
	if topic == "" {
		return 0, errors.New("produce: no topic given")
	}
	w := &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Topic:                  topic,
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		AllowAutoTopicCreation: true,
		BatchSize:              produceChunk,
		BatchBytes:             16 << 20,
		BatchTimeout:           5 * time.Millisecond,
		Compression:            kafka.Lz4,
	}
	sent := 0
	var pending []kafka.Message
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := w.WriteMessages(ctx, pending...)
		if err != nil {
			var werrs kafka.WriteErrors
			if errors.As(err, &werrs) {
				sent += len(pending) - werrs.Count()
			}
			return fmt.Errorf("produce: send to %s: %w", topic, err)
		}
		sent += len(pending)
		pending = pending[:0]
		return nil
	}

	br := bufio.NewReaderSize(r, 1<<20)
	var readErr error
	for line := 1; ; line++ {
		raw, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			readErr = fmt.Errorf("produce: read line %d: %w", line, err)
			break
		}
		text := bytes.TrimSpace(raw)
		if len(text) > 0 {
			if !json.Valid(text) {
				readErr = fmt.Errorf("produce: line %d is not JSON: %s", line, clipBytes(text))
				break
			}
			pending = append(pending, kafka.Message{Key: messageKey(text), Value: text})
			if len(pending) >= produceChunk {
				if err := flush(); err != nil {
					_ = w.Close()
					return sent, err
				}
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	if err := flush(); err != nil {
		_ = w.Close()
		return sent, errors.Join(err, readErr)
	}
	if err := w.Close(); err != nil && readErr == nil {
		return sent, fmt.Errorf("produce: %w", err)
	}
	return sent, readErr
}

// messageKey is the incident_id of an event, else its customer_id, else nil.
func messageKey(event []byte) []byte {
	var ids struct {
		IncidentID any `json:"incident_id"`
		CustomerID any `json:"customer_id"`
	}
	if json.Unmarshal(event, &ids) != nil {
		return nil
	}
	if s, ok := ids.IncidentID.(string); ok && s != "" {
		return []byte(s)
	}
	if s, ok := ids.CustomerID.(string); ok && s != "" {
		return []byte(s)
	}
	return nil
}

func clipBytes(b []byte) string {
	const max = 60
	if len(b) > max {
		return fmt.Sprintf("%q…", b[:max])
	}
	return fmt.Sprintf("%q", b)
}
