package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/migrations"
)

const apiDB = "bench_api"

type routeResult struct {
	route         string
	n, errors     int
	p50, p95, p99 time.Duration
}

type apiResult struct {
	customers, comms, incidents uint64
	loadSeconds                 float64
	readySeconds                float64
	maxStaleness                time.Duration
	distinct                    bool
	streamed                    int64
	routes                      []routeResult
	clients                     int // closed-loop clients per route (serving.go)
	clientsDuration             time.Duration
	clientRoutes                []clientsResult
	cold                        *coldResult // the first answers after a bulk load
}

func (r apiResult) print(w io.Writer) {
	fmt.Fprintf(w, "\n2. Dashboard latency: %d customer events, %d communications, %d incidents (loaded in %.1f s), while ingest streams (%d events during the run); serve --max-staleness %s (first snapshot ready %.1f s after start)\n\n",
		r.customers, r.comms, r.incidents, r.loadSeconds, r.streamed, r.maxStaleness, r.readySeconds)
	if r.distinct {
		fmt.Fprintf(w, "Every request unique (--api-distinct): no answer is shared.\n\n")
	}
	fmt.Fprintf(w, "| route | requests | errors | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|\n")
	worst := time.Duration(0)
	for _, rr := range r.routes {
		fmt.Fprintf(w, "| %s | %d | %d | %.1f | %.1f | %.1f |\n", rr.route, rr.n, rr.errors, ms(rr.p50), ms(rr.p95), ms(rr.p99))
		if rr.p95 > worst {
			worst = rr.p95
		}
	}
	fmt.Fprintf(w, "\nworst p95: %.1f ms (target ≤ 100 ms)\n", ms(worst))
	printServing(w, r.clients, r.clientsDuration, r.clientRoutes, r.cold)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// loadAPIDataset generates the dataset inside ClickHouse (INSERT … SELECT
// from numbers()), which loads millions of rows in seconds. Incidents are
// spread over the last 365 days; ten communications and ten affected
// customers each; 100 customer events per incident of every type.
func loadAPIDataset(ctx context.Context, c config, admin driver.Conn, apiDB string) error {
	if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+apiDB); err != nil {
		return err
	}
	if _, err := migrations.Apply(ctx, admin, apiDB); err != nil {
		return err
	}
	inc := c.apiIncidents
	span := 365 * 24 * 3600 / inc // seconds between incidents
	base := "(now() - INTERVAL 365 DAY)"
	stmts := []string{
		// detected: severities cycle, titles vary
		fmt.Sprintf(`INSERT INTO %[1]s.incident_events (event_id, type, occurred_at, incident_id, severity, title, services, regions, source, extra, kafka_topic, kafka_partition, kafka_offset)
SELECT concat('d-', toString(number)), 'incident.detected', %[2]s + toIntervalSecond(number * %[3]d), concat('inc-', toString(number)),
       ['sev1','sev2','sev3','sev4'][number %% 4 + 1], concat('Outage ', toString(number)), ['api'], ['eu-west'], 'monitoring', '{}', 'gen', 0, toInt64(number)
FROM numbers(%[4]d)`, apiDB, base, span, inc),
		// resolved after 1-6 h, except the last 20 incidents (open)
		fmt.Sprintf(`INSERT INTO %[1]s.incident_events (event_id, type, occurred_at, incident_id, extra, kafka_topic, kafka_partition, kafka_offset)
SELECT concat('r-', toString(number)), 'incident.resolved', %[2]s + toIntervalSecond(number * %[3]d + 3600 * (1 + number %% 6)), concat('inc-', toString(number)), '{}', 'gen', 0, toInt64(number)
FROM numbers(%[4]d)`, apiDB, base, span, max(inc-20, 0)),
		// ten affected customers per incident
		fmt.Sprintf(`INSERT INTO %[1]s.incident_events (event_id, type, occurred_at, incident_id, customer_id, segment, extra, kafka_topic, kafka_partition, kafka_offset)
SELECT concat('a-', toString(number)), 'incident.customer_affected', %[2]s + toIntervalSecond(intDiv(number, 10) * %[3]d + 60), concat('inc-', toString(intDiv(number, 10))),
       concat('cust-', toString((number * 7919) %% 100000)), 'smb', '{}', 'gen', 0, toInt64(number)
FROM numbers(%[4]d)`, apiDB, base, span, inc*10),
		// communications: ack, updates, resolution, postmortem
		fmt.Sprintf(`INSERT INTO %[1]s.communication_events (event_id, type, occurred_at, incident_id, channel, kind, audience, apology, takes_responsibility, root_cause, prevention_steps, next_update_at, body, extra, kafka_topic, kafka_partition, kafka_offset)
SELECT concat('c-', toString(number)), 'communication.sent', %[2]s + toIntervalSecond(intDiv(number, 10) * %[3]d + (number %% 10) * 1500 + 300),
       concat('inc-', toString(intDiv(number, 10))), ['status_page','email','social','website'][number %% 4 + 1],
       multiIf(number %% 10 = 0, 'acknowledgement', number %% 10 = 9, 'postmortem', number %% 10 = 8, 'resolution', 'update'),
       'public', toUInt8(number %% 3 = 0), toUInt8(number %% 2 = 0), toUInt8(number %% 10 = 9), toUInt8(number %% 10 = 9),
       if(number %% 5 = 1, %[2]s + toIntervalSecond(intDiv(number, 10) * %[3]d + (number %% 10) * 1500 + 2100), NULL), 'Update', '{}', 'gen', 0, toInt64(number)
FROM numbers(%[4]d)`, apiDB, base, span, c.apiComms),
		// customer events of every type
		fmt.Sprintf(`INSERT INTO %[1]s.customer_events (event_id, type, occurred_at, customer_id, incident_id, segment, plan, mrr, compensation_type, amount, currency, channel, csat, sentiment, comment, reason, extra, kafka_topic, kafka_partition, kafka_offset)
SELECT concat('u-', toString(number)) AS eid,
       ['customer.signed_up','customer.compensation_offered','customer.compensation_redeemed','customer.followed_up','customer.feedback','customer.ticket_opened','customer.feedback','customer.ticket_opened','customer.churned','customer.feedback'][number %% 10 + 1] AS t,
       if(t = 'customer.signed_up', %[2]s - toIntervalDay(30) + toIntervalSecond(number %% 86400), %[2]s + toIntervalSecond(intDiv(number, 100) * %[3]d + 7200 + (number %% 100) * 600)) AS ts,
       concat('cust-', toString(if(t = 'customer.signed_up', intDiv(number, 10) %% 100000, (intDiv(number, 100) * 10 + number %% 10) * 7919 %% 100000))),
       if(t IN ('customer.signed_up', 'customer.churned'), '', concat('inc-', toString(intDiv(number, 100) %% %[4]d))),
       'smb', 'business', if(t IN ('customer.signed_up', 'customer.churned'), 99.0, NULL),
       if(t = 'customer.compensation_offered', ['credit','discount','extension'][number %% 3 + 1], ''),
       if(t IN ('customer.compensation_offered', 'customer.compensation_redeemed'), 25.5, NULL),
       if(t = 'customer.compensation_offered', 'USD', ''),
       if(t = 'customer.followed_up', 'email', ''),
       if(t = 'customer.feedback', toUInt8(1 + number %% 5), NULL), if(t = 'customer.feedback', 0.5, NULL),
       '', '', '{}', 'gen', 0, toInt64(number)
FROM numbers(%[5]d)`, apiDB, base, span, inc, c.apiCustomers),
	}
	// The materialized views of migration 0004 aggregate each inserted
	// block into -State columns; with two-level aggregation (more than
	// 100 000 keys in a block, as these 1 M-row blocks have) that crashes
	// ClickHouse 18.16, so the generator inserts with one-level aggregation.
	gctx := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{
		"group_by_two_level_threshold": 0, "group_by_two_level_threshold_bytes": 0, "max_threads": 1,
	}))
	for i, s := range stmts {
		if strings.HasSuffix(s, "FROM numbers(0)") {
			continue // an INSERT … SELECT of no rows never returns on 18.16's native protocol
		}
		if err := admin.Exec(gctx, s); err != nil {
			return fmt.Errorf("generate dataset, statement %d: %w", i+1, err)
		}
	}
	return nil
}

func benchAPI(ctx context.Context, c config) (apiResult, error) {
	var res apiResult
	admin, err := openCH(c.chAddr, "default")
	if err != nil {
		return res, err
	}
	defer admin.Close()
	c.log.Info("loading the API dataset", "customer_events", c.apiCustomers, "communications", c.apiComms, "incidents", c.apiIncidents)
	t0 := time.Now()
	if err := loadAPIDataset(ctx, c, admin, apiDB); err != nil {
		return res, err
	}
	res.loadSeconds = time.Since(t0).Seconds()
	_ = admin.QueryRow(ctx, "SELECT toUInt64(count()) FROM "+apiDB+".customer_events").Scan(&res.customers)
	_ = admin.QueryRow(ctx, "SELECT toUInt64(count()) FROM "+apiDB+".communication_events").Scan(&res.comms)
	_ = admin.QueryRow(ctx, "SELECT toUInt64(uniqExact(incident_id)) FROM "+apiDB+".incident_events").Scan(&res.incidents)

	// an ingest stream into the same database while we measure
	prefix := fmt.Sprintf("benchapi%d.", time.Now().Unix())
	b, err := broker.Start(broker.Config{Addr: "127.0.0.1:0", TopicPrefix: prefix, Partitions: c.partitions})
	if err != nil {
		return res, err
	}
	defer b.Close()
	ing := exec.CommandContext(ctx, c.bin, "ingest")
	ing.Env = append(os.Environ(), "TRUSTLENS_KAFKA_BROKERS="+b.Addr(), "TRUSTLENS_TOPIC_PREFIX="+prefix,
		"TRUSTLENS_CLICKHOUSE_ADDR="+c.chAddr, "TRUSTLENS_CLICKHOUSE_DATABASE="+apiDB, "TRUSTLENS_METRICS_ADDR=127.0.0.1:0", "TRUSTLENS_LOG_LEVEL=warn")
	ing.Stdout, ing.Stderr = os.Stderr, os.Stderr
	if err := ing.Start(); err != nil {
		return res, err
	}
	defer func() { _ = ing.Process.Signal(syscall.SIGTERM); _ = ing.Wait() }()

	httpAddr, err := freeAddr()
	if err != nil {
		return res, err
	}
	srv := exec.CommandContext(ctx, c.bin, "serve")
	srv.Env = append(os.Environ(), "TRUSTLENS_HTTP_ADDR="+httpAddr, "TRUSTLENS_CLICKHOUSE_ADDR="+c.chAddr,
		"TRUSTLENS_CLICKHOUSE_DATABASE="+apiDB, "TRUSTLENS_LOG_LEVEL=warn", "TRUSTLENS_MAX_STALENESS="+c.apiMaxStaleness.String())
	srv.Stdout, srv.Stderr = io.Discard, os.Stderr
	if err := srv.Start(); err != nil {
		return res, err
	}
	defer func() { _ = srv.Process.Signal(syscall.SIGTERM); _ = srv.Wait() }()
	base := "http://" + httpAddr
	tReady := time.Now()
	res.maxStaleness = c.apiMaxStaleness
	res.distinct = c.apiDistinct
	// with --max-staleness, /readyz waits for the first analytics snapshot
	if err := waitUntil(ctx, 10*time.Minute, func() (bool, error) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == 200, nil
	}); err != nil {
		return res, fmt.Errorf("serve did not become ready: %w", err)
	}
	res.readySeconds = time.Since(tReady).Seconds()

	streamCtx, stopStream := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		res.streamed = streamEvents(streamCtx, b.Addr(), prefix+"customer-responses", 2000)
	}()

	id := fmt.Sprintf("inc-%d", c.apiIncidents-100)
	routes := []string{
		"/api/v1/summary", "/api/v1/incidents", "/api/v1/incidents?status=open", "/api/v1/incidents/" + id,
		"/api/v1/cadence/overdue", "/api/v1/churn", "/api/v1/compensation",
		"/api/v1/trends?metric=trust_score_avg&interval=week", "/api/v1/incidents?format=csv", "/api/v1/customers",
		"/", "/audit", "/incidents/" + id, "/churn", "/compensation", "/customers",
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: c.apiConcurrency}}
	for _, r := range routes {
		res.routes = append(res.routes, measureRoute(ctx, client, base, r, c.apiRequests, c.apiConcurrency, c.apiDistinct))
	}
	res.clients, res.clientsDuration = c.apiClients, c.apiClientsDuration
	if c.apiClients > 0 {
		c.log.Info("closed-loop clients on every route", "clients", c.apiClients, "duration", c.apiClientsDuration)
		for _, r := range routes {
			res.clientRoutes = append(res.clientRoutes, measureClients(ctx, base, r, c.apiClients, c.apiClientsDuration))
		}
	}
	var coldErr error
	if c.apiColdRequests > 0 {
		c.log.Info("bulk load while serving")
		cold, err := measureAfterBulkLoad(ctx, admin, apiDB, base, c.apiColdRequests, 10*time.Minute)
		res.cold, coldErr = &cold, err
	}
	stopStream()
	wg.Wait()
	return res, coldErr
}

// distinctURL makes request i of route unique, so that no two requests
// share an answer (analytics shares the answer of identical requests in
// the same second): list routes and pages get their own range end, the
// incident routes their own incident.
func distinctURL(route string, i int) string {
	if strings.Contains(route, "/incidents/inc-") {
		head, id, _ := strings.Cut(route, "/incidents/inc-")
		var n int
		fmt.Sscanf(id, "%d", &n)
		return fmt.Sprintf("%s/incidents/inc-%d", head, n-i)
	}
	if strings.HasSuffix(route, "/cadence/overdue") {
		return route // no parameters: shared within a second by design
	}
	sep := "?"
	if strings.Contains(route, "?") {
		sep = "&"
	}
	to := time.Now().UTC().Add(-time.Duration(i) * time.Minute).Format(time.RFC3339)
	return route + sep + "to=" + to
}

func measureRoute(ctx context.Context, client *http.Client, base, route string, n, conc int, distinct bool) routeResult {
	rr := routeResult{route: route, n: n}
	// warm up once (first query plans, caches)
	if resp, err := client.Get(base + route); err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	lat := make([]time.Duration, 0, n)
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for u := range jobs {
				t := time.Now()
				resp, err := client.Get(base + u)
				ok := err == nil
				if ok {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					ok = resp.StatusCode == 200
				}
				d := time.Since(t)
				mu.Lock()
				lat = append(lat, d)
				if !ok {
					rr.errors++
				}
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n && ctx.Err() == nil; i++ {
		u := route
		if distinct {
			u = distinctURL(route, i+1)
		}
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	q := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		i := int(p * float64(len(lat)))
		if i >= len(lat) {
			i = len(lat) - 1
		}
		return lat[i]
	}
	rr.p50, rr.p95, rr.p99 = q(0.5), q(0.95), q(0.99)
	return rr
}

// streamEvents produces about perSecond events per second until ctx ends.
func streamEvents(ctx context.Context, addr, topic string, perSecond int) int64 {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(topic), kgo.ProducerLinger(10*time.Millisecond))
	if err != nil {
		return 0
	}
	defer cl.Close()
	var sent int64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	i := 50_000_000
	for {
		select {
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = cl.Flush(fctx)
			cancel()
			return sent
		case <-tick.C:
			for k := 0; k < perSecond/10; k++ {
				cl.Produce(ctx, &kgo.Record{Value: benchEvent(i)}, nil)
				i++
				sent++
			}
		}
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return strings.Replace(ln.Addr().String(), "[::]", "127.0.0.1", 1), nil
}
