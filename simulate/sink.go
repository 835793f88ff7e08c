package simulate

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustlens/trustlens"
)

// KafkaSink publishes events to <prefix><stream> topics. It buffers
// messages and writes them in large batches; Flush (called by Run at the
// end of the history and while live mode waits) and Close send the rest.
// Messages are keyed by incident (or customer), so one incident's events
// share a partition.
type KafkaSink struct {
	brokers string
	prefix  string
	w       *kafka.Writer
	mu      sync.Mutex
	buf     []kafka.Message
}

// kafkaFlushAt is how many buffered messages trigger a write.
const kafkaFlushAt = 5000

// NewKafkaSink writes to the given brokers (topics are created on first
// use where the broker allows it). Close it when done.
func NewKafkaSink(brokers []string, prefix string) *KafkaSink {
	return &KafkaSink{
		brokers: strings.Join(brokers, ","),
		prefix:  prefix,
		w: &kafka.Writer{
			Addr:                   kafka.TCP(brokers...),
			Balancer:               &kafka.Hash{},
			BatchSize:              kafkaFlushAt,
			BatchBytes:             1 << 20,
			BatchTimeout:           5 * time.Millisecond,
			RequiredAcks:           kafka.RequireAll,
			AllowAutoTopicCreation: true,
			MaxAttempts:            5,
			WriteTimeout:           30 * time.Second,
		},
	}
}

// Send buffers one event; it writes the buffer when it is full.
func (k *KafkaSink) Send(ctx context.Context, stream trustlens.Stream, key string, value []byte) error {
	k.mu.Lock()
	k.buf = append(k.buf, kafka.Message{Topic: k.prefix + string(stream), Key: []byte(key), Value: value})
	full := len(k.buf) >= kafkaFlushAt
	k.mu.Unlock()
	if full {
		return k.Flush(ctx)
	}
	return nil
}

// Flush writes every buffered event and waits for the broker to take them.
func (k *KafkaSink) Flush(ctx context.Context) error {
	k.mu.Lock()
	msgs := k.buf
	k.buf = nil
	k.mu.Unlock()
	if len(msgs) == 0 {
		return nil
	}
	if err := k.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("kafka at %s: %w (is a broker running? 'trustlens broker' or 'trustlens run' starts one)", k.brokers, firstWriteError(err))
	}
	return nil
}

// firstWriteError turns kafka-go's per-message error list into one error.
func firstWriteError(err error) error {
	var we kafka.WriteErrors
	if errors.As(err, &we) {
		for _, e := range we {
			if e != nil {
				return fmt.Errorf("%d of %d messages not written: %w", we.Count(), len(we), e)
			}
		}
	}
	return err
}

// Close sends what is still buffered (waiting at most 30 s) and closes the
// connections.
func (k *KafkaSink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ferr := k.Flush(ctx)
	cerr := k.w.Close()
	if ferr != nil {
		return ferr
	}
	if cerr != nil {
		return fmt.Errorf("kafka at %s: close: %w", k.brokers, cerr)
	}
	return nil
}

// FileSink writes each stream to <dir>/<prefix><stream>.ndjson, one event
// per line: the files `trustlens produce` takes.
type FileSink struct {
	mu    sync.Mutex
	files map[trustlens.Stream]*os.File
	bufs  map[trustlens.Stream]*bufio.Writer
	paths []string
}

// NewFileSink creates dir if needed and truncates the three files.
func NewFileSink(dir, prefix string) (*FileSink, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("simulate: output directory: %w", err)
	}
	fs := &FileSink{files: map[trustlens.Stream]*os.File{}, bufs: map[trustlens.Stream]*bufio.Writer{}}
	for _, s := range trustlens.Streams {
		p := filepath.Join(dir, prefix+string(s)+".ndjson")
		f, err := os.Create(p)
		if err != nil {
			_ = fs.Close()
			return nil, fmt.Errorf("simulate: %w", err)
		}
		fs.files[s] = f
		fs.bufs[s] = bufio.NewWriterSize(f, 1<<20)
		fs.paths = append(fs.paths, p)
	}
	return fs, nil
}

// Paths lists the files, in the order of trustlens.Streams.
func (fs *FileSink) Paths() []string { return append([]string(nil), fs.paths...) }

// Send appends one event to its stream's file.
func (fs *FileSink) Send(_ context.Context, stream trustlens.Stream, _ string, value []byte) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	b, ok := fs.bufs[stream]
	if !ok {
		return fmt.Errorf("simulate: no file for stream %q", stream)
	}
	if _, err := b.Write(value); err != nil {
		return fmt.Errorf("simulate: write %s: %w", fs.files[stream].Name(), err)
	}
	if err := b.WriteByte('\n'); err != nil {
		return fmt.Errorf("simulate: write %s: %w", fs.files[stream].Name(), err)
	}
	return nil
}

// Flush writes the buffered lines to the files.
func (fs *FileSink) Flush(context.Context) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, s := range trustlens.Streams {
		if b := fs.bufs[s]; b != nil {
			if err := b.Flush(); err != nil {
				return fmt.Errorf("simulate: write %s: %w", fs.files[s].Name(), err)
			}
		}
	}
	return nil
}

// Close flushes and closes the files.
func (fs *FileSink) Close() error {
	err := fs.Flush(context.Background())
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, s := range trustlens.Streams {
		if f := fs.files[s]; f != nil {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("simulate: close %s: %w", f.Name(), cerr)
			}
		}
	}
	fs.files, fs.bufs = nil, nil
	return err
}
