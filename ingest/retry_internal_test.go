package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/trustlens/trustlens/internal/chtest"
)

// TestIngestRetrySendsIdenticalBytes decodes a batch (in parallel, with a
// clock that moves on at every call), streams it to the real ClickHouse
// through a recording proxy, then decodes it again as a retry does and
// streams it again: for every table, what the client sent after the
// query text (the data blocks, compressed as in production) is the same
// bytes both times. A batch decoded anew — another ingested_at — is not.
func TestIngestRetrySendsIdenticalBytes(t *testing.T) {
	_, db := chtest.NewDatabase(t)
	clock := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	now := func() time.Time { // every call is an hour later
		clockMu.Lock()
		defer clockMu.Unlock()
		clock = clock.Add(time.Hour)
		return clock
	}
	in, err := New(Config{Brokers: []string{"127.0.0.1:1"}, TopicPrefix: "p.", Conn: openVia(t, "127.0.0.1:1", db), Now: now, DecodeWorkers: 4})
	if err != nil {
		t.Fatal(err)
	}

	// 3000 records of the three topics, some invalid, over 4 partitions
	// and several months (partitions of the tables).
	var recs []*kgo.Record
	valid := map[string]uint64{}
	for i := range 3000 {
		at := time.Date(2025, time.Month(1+i%5), 1+i%27, 10, 0, 0, 0, time.UTC).Format(time.RFC3339)
		var topic, value string
		switch i % 3 {
		case 0:
			topic = "p.incidents"
			value = fmt.Sprintf(`{"event_id":"i-%d","type":"incident.detected","occurred_at":%q,"incident_id":"inc-%d","severity":"sev2","title":"t%d","services":["api"],"x":%d}`, i, at, i%40, i, i)
		case 1:
			topic = "p.communications"
			value = fmt.Sprintf(`{"event_id":"m-%d","type":"communication.sent","occurred_at":%q,"incident_id":"inc-%d","channel":"email","kind":"update","audience":"affected","apology":true,"body":"b%d"}`, i, at, i%40, i)
		default:
			topic = "p.customer-responses"
			value = fmt.Sprintf(`{"event_id":"c-%d","type":"customer.feedback","occurred_at":%q,"customer_id":"cus-%d","csat":%d}`, i, at, i%70, 1+i%5)
		}
		if i%97 == 0 {
			value = `{"event_id":"bad"` // invalid JSON: goes to ingest_errors
		} else {
			valid[topic]++
		}
		recs = append(recs, &kgo.Record{Topic: topic, Partition: int32(i % 4), Offset: int64(i / 4), Value: []byte(value)})
	}

	rec := startRecorder(t, chtest.Addr())
	send := func(d *decoded) map[string][]byte {
		t.Helper()
		conn := openVia(t, rec.addr, db)
		in.writer.Conn = conn
		st := &statement{}
		if err := in.stream(context.Background(), st, d); err != nil {
			t.Fatal(err)
		}
		for _, ins := range st.inserts {
			if ins != nil {
				if err := ins.Send(); err != nil {
					t.Fatal(err)
				}
			}
		}
		d.release()
		_ = conn.Close()
		return rec.take(t)
	}

	d := in.decode(fetched{recs: recs})
	if len(d.bad) != 31 || d.valid != 3000-31 {
		t.Fatalf("decoded %d valid, %d bad; want %d, 31", d.valid, len(d.bad), 3000-31)
	}
	parts := 0
	for k := range d.cols {
		parts += len(d.cols[k])
	}
	if parts < 6 { // several decode workers: the retry must merge their parts in the same order
		t.Fatalf("the first decode made %d column parts; want one per worker and table", parts)
	}
	first := send(&d)
	in.redecode(&d) // as recover does
	retry := send(&d)
	if len(first) != 3 {
		t.Fatalf("first attempt: %d INSERT statements, want 3", len(first))
	}
	for table, data := range first {
		if len(data) < 1000 {
			t.Fatalf("%s: only %d bytes of data recorded", table, len(data))
		}
		if !bytes.Equal(data, retry[table]) {
			t.Errorf("%s: the retry sent %d bytes that differ from the first attempt's %d", table, len(retry[table]), len(data))
		}
	}

	// A batch formed anew (the old behaviour of a retry: another
	// ingested_at) sends other bytes, so the comparison above means something.
	d2 := in.decode(fetched{recs: recs})
	anew := send(&d2)
	for table, data := range first {
		if bytes.Equal(data, anew[table]) {
			t.Errorf("%s: a batch decoded anew with another clock sent the same bytes", table)
		}
	}

	// Every attempt was stored (a plain MergeTree does not deduplicate).
	check := openVia(t, chtest.Addr(), db)
	for table, topic := range map[string]string{"incident_events": "p.incidents", "communication_events": "p.communications", "customer_events": "p.customer-responses"} {
		var n uint64
		if err := check.QueryRow(context.Background(), "SELECT toUInt64(count()) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 3*valid[topic] {
			t.Errorf("%s holds %d rows, want 3 × %d", table, n, valid[topic])
		}
	}
}

func openVia(t testing.TB, addr, db string) clickhouse.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{addr},
		Auth:        clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout: 5 * time.Second,
		ReadTimeout: 30 * time.Second,
		Compression: &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// recorder is a TCP proxy that keeps what each client connection sent.
type recorder struct {
	addr string
	mu   sync.Mutex
	wg   sync.WaitGroup
	sent []*bytes.Buffer
}

func startRecorder(t testing.TB, target string) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	r := &recorder{addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			buf := &bytes.Buffer{}
			r.mu.Lock()
			r.sent = append(r.sent, buf)
			r.wg.Add(1)
			r.mu.Unlock()
			go func() {
				defer r.wg.Done()
				_, _ = io.Copy(io.MultiWriter(up, buf), c)
				up.Close()
				c.Close()
			}()
			go func() { _, _ = io.Copy(c, up); up.Close(); c.Close() }()
		}
	}()
	return r
}

// take waits for every recorded connection to close and returns, per
// INSERT statement's table, the bytes its connection sent after the query
// text (before it come the handshake and the query packet, which holds
// the client's own address).
func (r *recorder) take(t testing.TB) map[string][]byte {
	t.Helper()
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string][]byte{}
	for _, buf := range r.sent {
		b := buf.Bytes()
		at := bytes.Index(b, []byte("INSERT INTO "))
		if at < 0 {
			continue
		}
		end := bytes.IndexByte(b[at:], ')')
		if end < 0 {
			t.Fatalf("recorded INSERT without its column list")
		}
		table := strings.Fields(string(b[at : at+end]))[2]
		if _, dup := out[table]; dup {
			t.Fatalf("two INSERT statements into %s in one attempt", table)
		}
		out[table] = b[at+end+1:]
	}
	r.sent = nil
	return out
}
