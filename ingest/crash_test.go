package ingest_test

import (
	"bytes"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/internal/chtest"
)

// moduleRoot is the repository root (the parent of ingest/).
func moduleRoot(t testing.TB) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
	buildOut  []byte
)

// trustlensBinary builds ./cmd/trustlens once per test run.
func trustlensBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "trustlens-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "trustlens")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/trustlens")
		cmd.Dir = moduleRoot(t)
		buildOut, buildErr = cmd.CombinedOutput()
	})
	if buildErr != nil {
		t.Fatalf("go build ./cmd/trustlens: %v\n%s", buildErr, buildOut)
	}
	return binPath
}

// proc is one `trustlens ingest` process.
type proc struct {
	name   string
	cmd    *exec.Cmd
	log    *bytes.Buffer
	mu     *sync.Mutex
	err    chan error
	exited chan struct{}
}

// check fails the test if the process has exited on its own.
func (p *proc) check(t testing.TB) {
	t.Helper()
	select {
	case <-p.exited:
		p.mu.Lock()
		defer p.mu.Unlock()
		t.Fatalf("%s exited unexpectedly (%v):\n%s", p.name, p.cmd.ProcessState, lastLines(p.log.String(), 30))
	default:
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// ingestEnv is the environment of the ingest processes of one test.
type ingestEnv struct {
	bin, brokers, db, prefix, group string
	chAddr                          string // ClickHouse (or a proxy to it)
}

func (e ingestEnv) start(t testing.TB, name string) *proc {
	t.Helper()
	return e.startWith(t, name)
}

// startWith starts a process with extra environment variables.
func (e ingestEnv) startWith(t testing.TB, name string, extraEnv ...string) *proc {
	t.Helper()
	cmd := exec.Command(e.bin, "ingest")
	cmd.Env = append(os.Environ(),
		"TRUSTLENS_KAFKA_BROKERS="+e.brokers,
		"TRUSTLENS_CLICKHOUSE_ADDR="+e.chAddr,
		"TRUSTLENS_CLICKHOUSE_DATABASE="+e.db,
		"TRUSTLENS_TOPIC_PREFIX="+e.prefix,
		"TRUSTLENS_INGEST_GROUP="+e.group,
		"TRUSTLENS_INGEST_SESSION_TIMEOUT=6s",
		"TRUSTLENS_INGEST_BATCH_SIZE=5000",
		"TRUSTLENS_INGEST_FLUSH_INTERVAL=200ms",
		"TRUSTLENS_METRICS_ADDR=127.0.0.1:0",
		"TRUSTLENS_LOG_LEVEL=warn",
	)
	cmd.Env = append(cmd.Env, extraEnv...)
	p := &proc{name: name, cmd: cmd, log: &bytes.Buffer{}, mu: &sync.Mutex{}, err: make(chan error, 1), exited: make(chan struct{})}
	w := lockedWriter{p.mu, p.log}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { err := cmd.Wait(); close(p.exited); p.err <- err }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.err
		}
		if t.Failed() {
			p.mu.Lock()
			t.Logf("log of %s (pid %d):\n%s", name, cmd.Process.Pid, lastLines(p.log.String(), 40))
			p.mu.Unlock()
		}
	})
	return p
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func (p *proc) kill(t testing.TB) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.err
}

// stop sends SIGTERM and expects a clean exit.
func (p *proc) stop(t testing.TB) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.err:
		if err != nil {
			p.mu.Lock()
			defer p.mu.Unlock()
			t.Fatalf("ingest exited with %v after SIGTERM:\n%s", err, lastLines(p.log.String(), 30))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("ingest did not stop within 30 s of SIGTERM")
	}
}

// stream is a set of generated valid events and their expected figures.
type stream struct {
	n                        int
	msgs                     []message
	perTable                 map[string]uint64
	amountSum, recipientsSum float64
	mrrSum                   float64
}

// genStream makes n small valid events spread over the three topics.
func genStream(prefix string, n int) *stream {
	s := &stream{n: n, perTable: map[string]uint64{}}
	for i := 0; i < n; i++ {
		inc := fmt.Sprintf("inc-%d", i/40)
		cust := fmt.Sprintf("c-%d", i%5000)
		at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second).Format(time.RFC3339)
		var v, topic, key string
		switch i % 4 {
		case 0:
			topic, key = prefix+"incidents", inc
			v = fmt.Sprintf(`{"event_id":"ev-%d","type":"incident.customer_affected","occurred_at":"%s","incident_id":"%s","customer_id":"%s","mrr":%d}`, i, at, inc, cust, i%50)
			s.mrrSum += float64(i % 50)
		case 1:
			topic, key = prefix+"communications", inc
			v = fmt.Sprintf(`{"event_id":"ev-%d","type":"communication.sent","occurred_at":"%s","incident_id":"%s","channel":"email","kind":"update","recipients":%d}`, i, at, inc, i%1000)
			s.recipientsSum += float64(i % 1000)
		case 2:
			topic, key = prefix+"customer-responses", inc
			v = fmt.Sprintf(`{"event_id":"ev-%d","type":"customer.compensation_offered","occurred_at":"%s","incident_id":"%s","customer_id":"%s","compensation_type":"credit","amount":%d}`, i, at, inc, cust, i%100)
			s.amountSum += float64(i % 100)
		case 3:
			topic, key = prefix+"customer-responses", cust
			v = fmt.Sprintf(`{"event_id":"ev-%d","type":"customer.feedback","occurred_at":"%s","customer_id":"%s","csat":%d}`, i, at, cust, 1+i%5)
		}
		s.msgs = append(s.msgs, message{topic: topic, key: key, value: []byte(v)})
		typ := map[int]string{0: trustlens.TypeIncidentCustomerAffected, 1: trustlens.TypeCommunicationSent, 2: trustlens.TypeCompensationOffered, 3: trustlens.TypeCustomerFeedback}[i%4]
		s.perTable[trustlens.StreamOfType(typ).Table()]++
	}
	return s
}

// produceSlowly sends the stream in chunks over about d, so that it is
// still arriving while processes are killed.
func (s *stream) produceSlowly(t testing.TB, addr string, d time.Duration) chan struct{} {
	done := make(chan struct{})
	const chunk = 2000
	pause := d / time.Duration((s.n+chunk-1)/chunk)
	go func() {
		defer close(done)
		for i := 0; i < s.n; i += chunk {
			produce(t, addr, s.msgs[i:min(i+chunk, s.n)])
			time.Sleep(pause)
		}
	}()
	return done
}

// stored is the number of distinct events in the three tables.
func stored(t testing.TB, conn driver.Conn) uint64 {
	got, err := distinctCounts(t, conn)
	if err != nil {
		return 0
	}
	return got["incident_events"] + got["communication_events"] + got["customer_events"]
}

// check compares the distinct events and their sums with the stream.
func (s *stream) check(t testing.TB, conn driver.Conn, p *proc) {
	t.Helper()
	waitFor(t, 120*time.Second, "every event stored", func() (bool, string) {
		p.check(t)
		got, err := distinctCounts(t, conn)
		if err != nil {
			return false, err.Error()
		}
		for table, n := range s.perTable {
			if got[table] != n {
				return false, fmt.Sprintf("got %v, want %v", got, s.perTable)
			}
		}
		return true, ""
	})
	checkDistinct(t, conn, s)
}

// clickhouseRestartable says whether this test may stop and start the
// local ClickHouse: only one that scripts/clickhouse.sh started.
func clickhouseRestartable(t testing.TB) (string, bool) {
	script := filepath.Join(moduleRoot(t), "scripts", "clickhouse.sh")
	if os.Getenv("TRUSTLENS_TEST_NO_CLICKHOUSE_RESTART") != "" {
		t.Log("TRUSTLENS_TEST_NO_CLICKHOUSE_RESTART is set: not restarting ClickHouse")
		return script, false
	}
	out, err := exec.Command(script, "status").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "started by this script") {
		t.Logf("skipping the ClickHouse restart: the server was not started by scripts/clickhouse.sh (status: %s)", strings.TrimSpace(string(out)))
		return script, false
	}
	return script, true
}

func runScript(t testing.TB, script, arg string) {
	t.Helper()
	out, err := exec.Command(script, arg).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", script, arg, err, out)
	}
	t.Logf("%s %s: %s", filepath.Base(script), arg, strings.TrimSpace(string(out)))
}

// TestIngestCrashes streams events into `trustlens ingest`, SIGKILLs and
// restarts it several times and restarts ClickHouse once: at the end no
// event is missing and none is counted twice.
func TestIngestCrashes(t *testing.T) {
	n := 120000
	if testing.Short() {
		n = 20000
	}
	br, prefix := startBroker(t)
	conn, db := chtest.NewDatabase(t)
	px := startProxy(t, chtest.Addr())
	env := ingestEnv{bin: trustlensBinary(t), brokers: br.Addr(), db: db, prefix: prefix, group: "g-" + prefix, chAddr: px.addr}
	s := genStream(prefix, n)
	produced := s.produceSlowly(t, br.Addr(), 20*time.Second)

	p := env.start(t, "ingest #1")
	alive := []*proc{p}
	kills := []float64{0.1, 0.3, 0.5}
	for i, frac := range kills {
		target := uint64(frac * float64(n))
		waitFor(t, 90*time.Second, fmt.Sprintf("%d events stored", target), func() (bool, string) {
			p.check(t)
			got := stored(t, conn)
			return got >= target, fmt.Sprint(got)
		})
		time.Sleep(time.Duration(mrand.IntN(400)) * time.Millisecond) // anywhere in a batch's life
		p.kill(t)
		t.Logf("SIGKILLed ingest #%d after ≥ %d events were stored", i+1, target)
		p = env.start(t, fmt.Sprintf("ingest #%d", i+2))
		alive[0] = p
	}

	target := uint64(0.65 * float64(n))
	waitFor(t, 90*time.Second, fmt.Sprintf("%d events stored", target), func() (bool, string) {
		p.check(t)
		got := stored(t, conn)
		return got >= target, fmt.Sprint(got)
	})
	if script, ok := clickhouseRestartable(t); ok {
		runScript(t, script, "stop")
		time.Sleep(2 * time.Second) // ingest keeps fetching and retrying meanwhile
		runScript(t, script, "start")
	} else {
		// the same failure as seen from ingest, without touching the server
		t.Log("cutting the connection to ClickHouse for 3 s instead")
		px.cut()
		time.Sleep(3 * time.Second)
		px.restore()
	}

	// one more crash near the end
	target = uint64(0.8 * float64(n))
	waitFor(t, 90*time.Second, fmt.Sprintf("%d events stored", target), func() (bool, string) {
		for _, p := range alive {
			p.check(t)
		}
		got := stored(t, conn)
		return got >= target, fmt.Sprint(got)
	})
	p.kill(t)
	t.Logf("SIGKILLed ingest #%d after ≥ %d events were stored", len(kills)+1, target)
	p = env.start(t, fmt.Sprintf("ingest #%d", len(kills)+2))

	<-produced
	s.check(t, conn, p)
	// the last process may still be waiting for the group to drop the
	// killed one (session timeout) before it owns every partition
	waitFor(t, 90*time.Second, "every offset committed", func() (bool, string) {
		return committedAll(t, br.Addr(), env.group, []string{prefix + "incidents", prefix + "communications", prefix + "customer-responses"})
	})
	p.stop(t)
}

// TestIngestTwoProcesses runs two ingest processes in one group and
// SIGKILLs one mid-stream: the other takes its partitions over and
// nothing is lost.
func TestIngestTwoProcesses(t *testing.T) {
	n := 40000
	if testing.Short() {
		n = 10000
	}
	br, prefix := startBroker(t)
	conn, db := chtest.NewDatabase(t)
	env := ingestEnv{bin: trustlensBinary(t), brokers: br.Addr(), db: db, prefix: prefix, group: "g-" + prefix, chAddr: chtest.Addr()}
	s := genStream(prefix, n)
	a := env.start(t, "ingest A")
	b := env.start(t, "ingest B")
	alive := []*proc{a, b}
	produced := s.produceSlowly(t, br.Addr(), 8*time.Second)
	target := uint64(0.3 * float64(n))
	waitFor(t, 90*time.Second, fmt.Sprintf("%d events stored", target), func() (bool, string) {
		for _, p := range alive {
			p.check(t)
		}
		got := stored(t, conn)
		return got >= target, fmt.Sprint(got)
	})
	a.kill(t)
	t.Logf("SIGKILLed ingest A after ≥ %d events were stored", target)
	<-produced
	s.check(t, conn, b)
	waitFor(t, 90*time.Second, "every offset committed", func() (bool, string) {
		return committedAll(t, br.Addr(), env.group, []string{prefix + "incidents", prefix + "communications", prefix + "customer-responses"})
	})
	b.stop(t)
}
