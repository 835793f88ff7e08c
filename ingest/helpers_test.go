package ingest_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/segmentio/kafka-go"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/ingest"
)

// startBroker starts an embedded broker with a random topic prefix.
func startBroker(t testing.TB) (*broker.Broker, string) {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	prefix := "t" + hex.EncodeToString(b[:]) + "."
	br, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: prefix, Partitions: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(br.Close)
	return br, prefix
}

func testLogger(t testing.TB) *slog.Logger {
	if os.Getenv("TRUSTLENS_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// running is an Ingester running in a goroutine.
type running struct {
	in     *ingest.Ingester
	cancel context.CancelFunc
	done   chan error
}

func startIngester(t testing.TB, cfg ingest.Config) *running {
	t.Helper()
	in, err := ingest.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{in: in, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- in.Run(ctx) }()
	t.Cleanup(func() { r.stop() })
	return r
}

// stop cancels Run and returns its result (once).
func (r *running) stop() error {
	r.cancel()
	err, ok := <-r.done
	if ok {
		close(r.done)
	}
	return err
}

// message is one message to produce.
type message struct {
	topic string
	key   string
	value []byte
}

func produce(t testing.TB, addr string, msgs []message) {
	t.Helper()
	w := &kafka.Writer{
		Addr:         kafka.TCP(addr),
		Balancer:     &kafka.Hash{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    1000,
		BatchBytes:   16 << 20,
		BatchTimeout: 5 * time.Millisecond,
		Compression:  kafka.Lz4,
	}
	defer w.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	km := make([]kafka.Message, len(msgs))
	for i, m := range msgs {
		km[i] = kafka.Message{Topic: m.topic, Value: m.value}
		if m.key != "" {
			km[i].Key = []byte(m.key)
		}
	}
	for len(km) > 0 {
		n := min(len(km), 5000)
		if err := w.WriteMessages(ctx, km[:n]...); err != nil {
			t.Fatalf("produce: %v", err)
		}
		km = km[n:]
	}
}

// waitFor polls cond until it is true; it fails the test after timeout
// with cond's last description of the state.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s; last state: %s", timeout, what, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// distinctCounts is count(DISTINCT event_id) per event table, and the
// number of distinct positions in ingest_errors.
func distinctCounts(t testing.TB, conn driver.Conn) (map[string]uint64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out := map[string]uint64{}
	for _, s := range trustlens.Streams {
		var n uint64
		if err := conn.QueryRow(ctx, "SELECT toUInt64(count(DISTINCT event_id)) FROM "+s.Table()).Scan(&n); err != nil {
			return nil, err
		}
		out[s.Table()] = n
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT toUInt64(count(DISTINCT (kafka_topic, kafka_partition, kafka_offset))) FROM ingest_errors").Scan(&n); err != nil {
		return nil, err
	}
	out["ingest_errors"] = n
	return out, nil
}

// partitionOffsets are the end offset and the group's committed offset of
// every partition (0–3) of topics, by topic and partition.
func partitionOffsets(ctx context.Context, addr, group string, topics []string) (end, committed map[string]map[int]int64, err error) {
	c := &kafka.Client{Addr: kafka.TCP(addr), Timeout: 10 * time.Second}
	parts := map[string][]int{}
	req := map[string][]kafka.OffsetRequest{}
	for _, tp := range topics {
		parts[tp] = []int{0, 1, 2, 3}
		for p := 0; p < 4; p++ {
			req[tp] = append(req[tp], kafka.LastOffsetOf(p))
		}
	}
	ends, err := c.ListOffsets(ctx, &kafka.ListOffsetsRequest{Topics: req})
	if err != nil {
		return nil, nil, fmt.Errorf("list offsets: %w", err)
	}
	got, err := c.OffsetFetch(ctx, &kafka.OffsetFetchRequest{GroupID: group, Topics: parts})
	if err != nil {
		return nil, nil, fmt.Errorf("offset fetch: %w", err)
	}
	end, committed = map[string]map[int]int64{}, map[string]map[int]int64{}
	for _, tp := range topics {
		end[tp], committed[tp] = map[int]int64{}, map[int]int64{}
		for _, po := range ends.Topics[tp] {
			end[tp][po.Partition] = po.LastOffset
		}
		for _, po := range got.Topics[tp] {
			committed[tp][po.Partition] = po.CommittedOffset
		}
	}
	return end, committed, nil
}

// committedAll reports whether the group has committed the end of every
// partition of topics.
func committedAll(t testing.TB, addr, group string, topics []string) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	end, committed, err := partitionOffsets(ctx, addr, group, topics)
	if err != nil {
		return false, err.Error()
	}
	var diffs []string
	for _, tp := range topics {
		for p, off := range committed[tp] {
			if off != end[tp][p] && !(end[tp][p] == 0 && off < 0) {
				diffs = append(diffs, fmt.Sprintf("%s/%d committed %d, end %d", tp, p, off, end[tp][p]))
			}
		}
	}
	return len(diffs) == 0, strings.Join(diffs, "; ")
}

// readAll reads every message of topic (all partitions) until n arrived.
func readAll(t testing.TB, addr, topic string, n int) []kafka.Message {
	t.Helper()
	var (
		mu  sync.Mutex
		out []kafka.Message
		wg  sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for p := 0; p < 4; p++ {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{addr}, Topic: topic, Partition: p, MaxWait: 100 * time.Millisecond})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for {
				m, err := r.ReadMessage(ctx)
				if err != nil {
					return
				}
				mu.Lock()
				out = append(out, m)
				if len(out) >= n {
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(out) != n && !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("read %d messages from %s, want %d", len(out), topic, n)
	}
	return out
}

// proxy is a TCP proxy to ClickHouse that can be cut (every connection
// closed, new ones refused) and restored, to simulate an outage without
// touching the shared server.
type proxy struct {
	t      testing.TB
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func startProxy(t testing.TB, target string) *proxy {
	t.Helper()
	p := &proxy{t: t, target: target, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns[c], p.conns[up] = true, true
			p.mu.Unlock()
			go func() { _, _ = io.Copy(up, c); up.Close(); c.Close() }()
			go func() { _, _ = io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
}

// cut closes the listener and every connection.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	p.conns = map[net.Conn]bool{}
}

// restore listens again on the same address.
func (p *proxy) restore() {
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

// connectVia opens database db through addr (a proxy), with short timeouts.
func connectVia(t testing.TB, addr, db string) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 2 * time.Second,
		ReadTimeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
