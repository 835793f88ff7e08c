package ingest_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/ingest"
	"github.com/trustlens/trustlens/migrations"
)

// clusterDB creates a fresh database with the migrations applied ON
// CLUSTER trustlens (scripts/cluster.sh; make test-cluster sets
// TRUSTLENS_CLUSTER_ADDRS) and returns the replicas' addresses, a
// connection to each, and the database.
func clusterDB(t *testing.T) ([]string, []driver.Conn, string) {
	t.Helper()
	addrs := os.Getenv("TRUSTLENS_CLUSTER_ADDRS")
	if addrs == "" {
		t.Skip("TRUSTLENS_CLUSTER_ADDRS is not set (make test-cluster)")
	}
	replicas := strings.Split(addrs, ",")
	db := fmt.Sprintf("test_cluster_ingest_%d", time.Now().UnixNano())
	var conns []driver.Conn
	for _, a := range replicas {
		conns = append(conns, clusterConn(t, []string{a}, db, nil))
	}
	admin := clusterConn(t, replicas[:1], "default", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := migrations.Apply(ctx, admin, db, migrations.WithCluster("trustlens")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() && os.Getenv("TRUSTLENS_KEEP_TEST_DB") != "" {
			t.Logf("kept database %s", db)
			return
		}
		_ = admin.Exec(context.Background(), "DROP DATABASE IF EXISTS "+db+" ON CLUSTER trustlens")
	})
	// No merges: a ReplacingMergeTree merge would collapse duplicate rows
	// and hide them from count().
	for _, c := range conns {
		for _, table := range eventTables {
			if err := c.Exec(ctx, "SYSTEM STOP MERGES "+db+"."+table); err != nil {
				t.Fatal(err)
			}
		}
	}
	return replicas, conns, db
}

func clusterConn(t *testing.T, addrs []string, db string, settings clickhouse.Settings) driver.Conn {
	t.Helper()
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:             addrs,
		Auth:             clickhouse.Auth{Database: db, Username: "default"},
		DialTimeout:      2 * time.Second,
		ReadTimeout:      time.Minute,
		ConnOpenStrategy: clickhouse.ConnOpenInOrder,
		Compression:      &clickhouse.Compression{Method: clickhouse.CompressionLZ4},
		Settings:         settings,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

var eventTables = []string{"incident_events", "communication_events", "customer_events", "incident_timeline", "ingest_errors"}

// rowCounts is count() — every stored row, no FINAL, no de-duplication —
// of each event table, of incident_timeline (filled by materialized views
// on all three) and of ingest_errors.
func rowCounts(t *testing.T, conn driver.Conn) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, table := range eventTables {
		var n uint64
		if err := conn.QueryRow(context.Background(), "SELECT toUInt64(count()) FROM "+table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// waitCounts waits until every replica holds want rows in each table, then
// checks for a second that no more arrive.
func waitCounts(t *testing.T, conns []driver.Conn, want map[string]uint64) {
	t.Helper()
	for i, c := range conns {
		deadline := time.Now().Add(time.Minute)
		for {
			got := rowCounts(t, c)
			if fmt.Sprint(got) == fmt.Sprint(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("replica %d holds %v rows, want %v", i+1, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	time.Sleep(time.Second)
	for i, c := range conns {
		if got := rowCounts(t, c); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("replica %d: then %v rows, want %v", i+1, got, want)
		}
	}
}

// clusterRows are n events of the three tables over five months, a third
// of the customer events naming an incident.
func clusterRows(n int) ([]ingest.Row, map[string]uint64) {
	var rows []ingest.Row
	want := map[string]uint64{"ingest_errors": 0}
	for i := range n {
		at := time.Date(2025, time.Month(1+i%5), 1+i%27, 10, i%60, 0, 0, time.UTC)
		e := trustlens.Event{OccurredAt: at, Extra: "{}"}
		switch i % 3 {
		case 0:
			e.EventID, e.Type, e.IncidentID, e.Severity, e.Title = fmt.Sprintf("i-%d", i), trustlens.TypeIncidentDetected, fmt.Sprintf("inc-%d", i%50), "sev2", "t"
		case 1:
			e.EventID, e.Type, e.IncidentID, e.Channel, e.Kind, e.Audience = fmt.Sprintf("m-%d", i), trustlens.TypeCommunicationSent, fmt.Sprintf("inc-%d", i%50), "email", "update", "affected"
		default:
			csat := uint8(1 + i%5)
			e.EventID, e.Type, e.CustomerID, e.CSAT = fmt.Sprintf("c-%d", i), trustlens.TypeCustomerFeedback, fmt.Sprintf("cus-%d", i%70), &csat
			if i%9 == 2 {
				e.IncidentID = fmt.Sprintf("inc-%d", i%50)
			}
		}
		want[e.Stream().Table()]++
		if e.IncidentID != "" {
			want["incident_timeline"]++
		}
		rows = append(rows, ingest.Row{Event: e, Position: ingest.Position{Topic: "t", Partition: i % 4, Offset: int64(i)}})
	}
	return rows, want
}

// TestClusterWriterResendStoredOnce sends one batch three times, as after
// lost acknowledgements, to replica 1, to replica 2 (a failover) and to
// replica 1 again: each replicated table holds every row exactly once
// (count(), not uniqExact). The same rows formed into a new batch a
// second later (another ingested_at, as every retry used to be) are stored
// again, which is why a retry must send the very same batch.
func TestClusterWriterResendStoredOnce(t *testing.T) {
	replicas, conns, db := clusterDB(t)
	rows, want := clusterRows(30000)
	ctx := context.Background()
	clock := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	w1 := &ingest.Writer{Conn: clusterConn(t, replicas[:1], db, nil), Now: func() time.Time { return clock }}
	w2 := &ingest.Writer{Conn: clusterConn(t, replicas[1:2], db, nil), Now: func() time.Time { return clock }}
	b, err := w1.NewBatch(rows)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	for i, w := range []*ingest.Writer{w1, w2, w1} {
		if err := w.Send(ctx, b); err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
	}
	waitCounts(t, conns, want)

	clock = clock.Add(time.Second)
	again, err := w2.NewBatch(rows)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Release()
	if err := w2.Send(ctx, again); err != nil {
		t.Fatal(err)
	}
	twice := map[string]uint64{}
	for k, n := range want {
		twice[k] = 2 * n
	}
	waitCounts(t, conns, twice)
}

// ackDropper is a TCP proxy to a replica that loses acknowledgements:
// once a client has sent more than dropAfter bytes on a connection (its
// handshake and query are smaller; an INSERT's data blocks are larger),
// nothing the server says on it reaches the client any more, so an INSERT
// is stored but never acknowledged. cut closes everything and refuses new
// connections, so the client fails over to the next address.
type ackDropper struct {
	addr      string
	dropAfter int64
	dropping  atomic.Bool // some connection is losing what the server says
	mu        sync.Mutex
	ln        net.Listener
	conns     []net.Conn
}

func startAckDropper(t *testing.T, target string, dropAfter int64) *ackDropper {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &ackDropper{addr: ln.Addr().String(), dropAfter: dropAfter, ln: ln}
	t.Cleanup(p.cut)
	go proxyConns(ln, target, func(c, up net.Conn) {
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		var sent atomic.Int64
		go func() { // client → server, counted
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if sent.Add(int64(n)) > p.dropAfter {
						p.dropping.Store(true)
					}
					if _, werr := up.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			up.Close()
			c.Close()
		}()
		go func() { // server → client, until the client sent its data
			buf := make([]byte, 64<<10)
			for {
				n, err := up.Read(buf)
				if n > 0 && sent.Load() <= p.dropAfter {
					if _, werr := c.Write(buf[:n]); werr != nil {
						break
					}
				}
				if err != nil {
					break
				}
			}
			up.Close()
			c.Close()
		}()
	})
	return p
}

func (p *ackDropper) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ln.Close()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

// TestClusterIngestRetryAfterLostAckStoredOnce runs the ingester with
// TRUSTLENS_CLICKHOUSE_ADDR = [a proxy to replica 1, replica 2]. The proxy
// loses the acknowledgements of the INSERT statements; once replica 1 has
// stored their rows, it cuts every connection and refuses new ones. The
// ingester retries the statements it holds through replica 2, and every
// event ends up stored exactly once on both replicas: count() without
// FINAL equals the number of events. The connection's settings ask the
// server to squash streamed blocks into blocks of 2500 rows: ClickHouse
// 18.16 stores what it received of a statement cut between two blocks, and
// squashed, its last block is one the retry does not send again — the
// writer turns squashing off for Replicated tables, so that every stored
// block is a batch the retry sends again identically.
func TestClusterIngestRetryAfterLostAckStoredOnce(t *testing.T) {
	replicas, conns, db := clusterDB(t)
	br, prefix := startBroker(t)
	rows, want := clusterRows(45000)
	var msgs []message
	for _, r := range rows {
		e := r.Event
		v := fmt.Sprintf(`{"event_id":%q,"type":%q,"occurred_at":%q`, e.EventID, e.Type, e.OccurredAt.Format(time.RFC3339))
		for _, f := range [][2]string{{"incident_id", e.IncidentID}, {"customer_id", e.CustomerID}, {"severity", e.Severity},
			{"title", e.Title}, {"channel", e.Channel}, {"kind", e.Kind}, {"audience", e.Audience}} {
			if f[1] != "" {
				v += fmt.Sprintf(`,%q:%q`, f[0], f[1])
			}
		}
		if e.CSAT != nil {
			v += fmt.Sprintf(`,"csat":%d`, *e.CSAT)
		}
		msgs = append(msgs, message{topic: prefix + string(e.Stream()), key: e.EventID, value: []byte(v + "}")})
	}
	// and 300 bad messages, large enough for their ingest_errors insert to
	// lose its acknowledgement too
	for i := range 300 {
		msgs = append(msgs, message{topic: prefix + string(trustlens.CustomerResponses), value: []byte(fmt.Sprintf(
			`{"event_id":"bad-%d","type":"customer.feedback","occurred_at":"2025-03-01T00:00:00Z","customer_id":"x","comment":"%x"}`, i, sha256.Sum256([]byte(fmt.Sprint(i)))))})
	}
	want["ingest_errors"] = 300
	produce(t, br.Addr(), msgs)

	proxy := startAckDropper(t, replicas[0], 16<<10)
	settings := clickhouse.Settings{"min_insert_block_size_rows": 2500}
	conn := clusterConn(t, []string{proxy.addr, replicas[1]}, db, settings)
	reg := prometheus.NewRegistry()
	startIngester(t, ingest.Config{
		Brokers: []string{br.Addr()}, TopicPrefix: prefix, GroupID: "g-" + db, Conn: conn,
		BatchSize: 1500, FlushInterval: 2 * time.Second, RetryMin: 50 * time.Millisecond, RetryMax: 500 * time.Millisecond,
		Logger: testLogger(t), Registerer: reg,
	})

	// Wait until the proxy loses acknowledgements and replica 1 has
	// stored rows of the unacknowledged statements (and stores no more).
	waitFor(t, time.Minute, "rows stored on replica 1 behind the lost acknowledgements", func() (bool, string) {
		return proxy.dropping.Load() && total(rowCounts(t, conns[0])) > 0, fmt.Sprintf("dropping %v", proxy.dropping.Load())
	})
	stored := total(rowCounts(t, conns[0]))
	for {
		time.Sleep(time.Second)
		n := total(rowCounts(t, conns[0]))
		if n == stored {
			break
		}
		stored = n
	}
	proxy.cut()
	t.Logf("replica 1 stored %d rows of unacknowledged statements before the cut", stored)

	// Once the ingester has committed every offset, it has stored (and had
	// acknowledged) every statement, retries included.
	var topics []string
	for _, st := range trustlens.Streams {
		topics = append(topics, prefix+string(st))
	}
	waitFor(t, 2*time.Minute, "the ingester to commit every event", func() (bool, string) {
		return committedAll(t, br.Addr(), "g-"+db, topics)
	})
	waitCounts(t, conns, want)
	if n := sumMetric(t, reg, "trustlens_ingest_clickhouse_errors_total", nil); n == 0 {
		t.Fatal("the ingester saw no failed insert: nothing was retried")
	}
	t.Logf("failed inserts retried: %v; every replica holds %v rows", sumMetric(t, reg, "trustlens_ingest_clickhouse_errors_total", nil), want)
}

func total(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}
