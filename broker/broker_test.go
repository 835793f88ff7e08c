package broker_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustlens/trustlens/broker"
)

func TestBrokerSeedsTopicsAndRoundTrips(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: "trustlens.", Partitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	conn, err := kafka.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	parts, err := conn.ReadPartitions()
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range parts {
		count[p.Topic]++
	}
	var got []string
	for topic, n := range count {
		if n != 3 {
			t.Errorf("topic %s has %d partitions, want 3", topic, n)
		}
		got = append(got, topic)
	}
	sort.Strings(got)
	want := []string{"trustlens.communications", "trustlens.customer-responses", "trustlens.dead-letter", "trustlens.incidents"}
	if len(got) != len(want) {
		t.Fatalf("topics %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("topics %v, want %v", got, want)
		}
	}

	// a topic that does not exist yet is created on first use
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	w := &kafka.Writer{Addr: kafka.TCP(b.Addr()), Topic: "other", AllowAutoTopicCreation: true, BatchTimeout: time.Millisecond}
	defer w.Close()
	var werr error
	for i := 0; i < 20; i++ {
		if werr = w.WriteMessages(ctx, kafka.Message{Key: []byte("k"), Value: []byte("hello")}); werr == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if werr != nil {
		t.Fatal(werr)
	}
	// the single message went to one of the partitions; read them all
	found := false
	for p := 0; p < 3 && !found; p++ {
		rp := kafka.NewReader(kafka.ReaderConfig{Brokers: []string{b.Addr()}, Topic: "other", Partition: p, MaxWait: 100 * time.Millisecond})
		c2, cancel2 := context.WithTimeout(ctx, time.Second)
		m, err := rp.ReadMessage(c2)
		cancel2()
		rp.Close()
		if err == nil && string(m.Value) == "hello" {
			found = true
		}
	}
	if !found {
		t.Fatal("message produced to an auto-created topic was not read back")
	}
}
