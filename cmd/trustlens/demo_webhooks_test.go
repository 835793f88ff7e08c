package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/classify"
	"github.com/trustlens/trustlens/connect"
)

// The demo's Statuspage deliveries go through the real route: all
// accepted, none dead-lettered, one incident with four updates and a
// postmortem.
func TestDemoWebhooks(t *testing.T) {
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: "demo.", Partitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pub := connect.NewKafkaPublisher([]string{b.Addr()})
	defer pub.Close()
	token := demoToken()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := connect.New(connect.Config{StatuspageToken: token, TopicPrefix: "demo.", Publisher: pub, Classifier: classify.New(), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := runDemoWebhooks(ctx, hs.URL+"/hooks/statuspage/"+token, 0, log); err != nil {
		t.Fatal(err)
	}
	// Delivery n carries n updates (the fifth: four and the postmortem);
	// each gives the detection, and per update its communication and
	// status event.
	for topic, want := range map[string]int64{"demo.incidents": 2 + 3 + 4 + 5 + 5, "demo.communications": 1 + 2 + 3 + 4 + 5, "demo.webhooks": 5, "demo.dead-letter": 0} {
		conn, err := kafka.DialLeader(ctx, "tcp", b.Addr(), topic, 0)
		if err != nil {
			t.Fatal(err)
		}
		n, err := conn.ReadLastOffset()
		conn.Close()
		if err != nil || n != want {
			t.Errorf("%s: %d messages (err %v), want %d", topic, n, err, want)
		}
	}
}
