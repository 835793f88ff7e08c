package simulate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/simulate"
)

func startBroker(tb testing.TB) *broker.Broker {
	tb.Helper()
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: "trustlens.", Partitions: 4})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(b.Close)
	return b
}

// topicCount is the number of messages in a topic (the sum of the
// partitions' end offsets: the topics are fresh).
func topicCount(t *testing.T, addr, topic string) int64 {
	t.Helper()
	var n int64
	for p := 0; p < 4; p++ {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		conn, err := kafka.DialLeader(ctx, "tcp", addr, topic, p)
		cancel()
		if err != nil {
			t.Fatalf("dial %s/%d: %v", topic, p, err)
		}
		last, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil {
			t.Fatalf("offset %s/%d: %v", topic, p, err)
		}
		n += last
	}
	return n
}

func TestKafkaSink(t *testing.T) {
	b := startBroker(t)
	prefix := fmt.Sprintf("simtest%d.", time.Now().UnixNano())
	sink := simulate.NewKafkaSink([]string{b.Addr()}, prefix)
	st, err := simulate.Run(context.Background(), simulate.Config{Seed: 9, History: 30 * 24 * time.Hour, Customers: 300,
		Now: func() time.Time { return fixedNow }}, sink)
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Close(); err != nil {
		t.Fatal(err)
	}
	for _, s := range trustlens.Streams {
		if got := topicCount(t, b.Addr(), prefix+string(s)); got != st.ByStream[s] || got == 0 {
			t.Errorf("%s%s holds %d messages, the simulator sent %d", prefix, s, got, st.ByStream[s])
		}
	}
	// One message read back is the event that was sent, keyed by its incident.
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: prefix + string(trustlens.Incidents), Partition: 0, MaxWait: 100 * time.Millisecond})
	defer r.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := r.ReadMessage(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := trustlens.Decode(trustlens.Incidents, m.Value, fixedNow)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Key) != ev.IncidentID {
		t.Errorf("key %q, want the incident id %q", m.Key, ev.IncidentID)
	}
}

func TestKafkaSinkWithoutBroker(t *testing.T) {
	sink := simulate.NewKafkaSink([]string{"127.0.0.1:1"}, "trustlens.")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := simulate.Run(ctx, simulate.Config{Seed: 1, History: 24 * time.Hour, Customers: 20,
		Now: func() time.Time { return fixedNow }}, sink)
	if err == nil {
		t.Fatal("Run succeeded with no broker")
	}
	t.Log(err)
	_ = sink.Close()
}

// discard is a Sink that drops everything.
type discard struct{}

func (discard) Send(context.Context, trustlens.Stream, string, []byte) error { return nil }

// BenchmarkHistoryGenerate measures generating a 180-day history (2000
// customers at the start) without sending it anywhere.
func BenchmarkHistoryGenerate(b *testing.B) {
	for i := 0; i < b.N; i++ {
		st, err := simulate.Run(context.Background(), simulate.Config{Seed: 1, History: halfYear,
			Now: func() time.Time { return fixedNow }}, discard{})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Events), "events")
	}
}

// BenchmarkHistoryToBroker measures generating a 180-day history and
// sending it to the embedded broker.
func BenchmarkHistoryToBroker(b *testing.B) {
	br := startBroker(b)
	for i := 0; i < b.N; i++ {
		sink := simulate.NewKafkaSink([]string{br.Addr()}, fmt.Sprintf("bench%d.", i))
		st, err := simulate.Run(context.Background(), simulate.Config{Seed: 1, History: halfYear,
			Now: func() time.Time { return fixedNow }}, sink)
		if err != nil {
			b.Fatal(err)
		}
		if err := sink.Close(); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(st.Events), "events")
	}
}
