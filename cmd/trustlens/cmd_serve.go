package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/classify"
	"github.com/trustlens/trustlens/dashboard"
)

// webSettings are the dashboard settings shared by serve and run.
type webSettings struct {
	addr, policyFile, authToken, clock *string
	pprofAddr                          *string
	queryTimeout                       *time.Duration
	maxStaleness                       *time.Duration
	alerts                             alertSettings // alerts.go
}

func (s *settings) web() webSettings {
	w := webSettings{
		addr:         s.String("http-addr", "TRUSTLENS_HTTP_ADDR", "127.0.0.1:8080", "address of the dashboard and JSON API"),
		policyFile:   s.String("policy-file", "TRUSTLENS_POLICY_FILE", "", "YAML file overriding the default policy (SPEC §2.4)"),
		authToken:    s.String("auth-token", "TRUSTLENS_AUTH_TOKEN", "", "require this token (login form or Authorization: Bearer) on every page and API route"),
		queryTimeout: s.Duration("query-timeout", "TRUSTLENS_QUERY_TIMEOUT", 10*time.Second, time.Second, 5*time.Minute, "ClickHouse max_execution_time of a dashboard query"),
	}
	w.maxStaleness = s.Duration("max-staleness", "TRUSTLENS_MAX_STALENESS", time.Second, 0, time.Hour,
		"requests share one ClickHouse freshness check for this long, so an answer may miss events stored in the last this-long (0: a check per answer, concurrent answers sharing one); while a new snapshot of the figures is built, answers come from the last one, with its as-of time")
	w.pprofAddr = s.String("pprof-addr", "TRUSTLENS_PPROF_ADDR", "", "serve Go's pprof profiles (/debug/pprof/) on this address (empty = off; keep it on loopback)")
	w.clock = s.String("clock", "TRUSTLENS_CLOCK", "", "compute every figure as of this RFC 3339 instant instead of now (reproducible reports and tests)")
	w.alerts = s.alerts()
	s.hostPort(w.addr, "http-addr", "TRUSTLENS_HTTP_ADDR", false)
	s.hostPort(w.pprofAddr, "pprof-addr", "TRUSTLENS_PPROF_ADDR", true)
	s.Check(func() error {
		if *w.clock == "" {
			return nil
		}
		if _, err := time.Parse(time.RFC3339, *w.clock); err != nil {
			return fmt.Errorf("--clock / TRUSTLENS_CLOCK: not an RFC 3339 instant: %q", *w.clock)
		}
		return nil
	})
	return w
}

// now is the clock of the figures: the real one, or the fixed --clock.
func (w webSettings) now() func() time.Time {
	if *w.clock == "" {
		return time.Now
	}
	t, _ := time.Parse(time.RFC3339, *w.clock)
	return func() time.Time { return t }
}

func (w webSettings) policy() (trustlens.Policy, error) {
	if *w.policyFile == "" {
		return trustlens.DefaultPolicy(), nil
	}
	p, err := analytics.LoadPolicy(*w.policyFile)
	if err != nil {
		return p, fmt.Errorf("--policy-file / TRUSTLENS_POLICY_FILE: %w", err)
	}
	return p, nil
}

// handler builds the dashboard on conn, whose pool holds maxConns
// connections: the dashboard admits as many requests at once and queues
// the rest (dashboard.DefaultMaxQueued, shed beyond with 429 + Retry-After)
// rather than letting them time out waiting for a connection. It also runs
// the analytics snapshot refresher until ctx ends: the first snapshot is
// built at start (/readyz waits for it), the next ones in the background.
//
// stop ends the refresher and waits until it has dropped the snapshot
// tables it built: call it before closing conn.
func (w webSettings) handler(ctx context.Context, conn driver.Conn, maxConns int, policy trustlens.Policy, log *slog.Logger, reg *prometheus.Registry, ready func(context.Context) error) (srv *dashboard.Server, stop func()) {
	store := analytics.New(conn, policy, analytics.WithMaxExecutionTime(*w.queryTimeout), analytics.WithClock(w.now()),
		analytics.WithMaxStaleness(*w.maxStaleness), analytics.WithLogger(log))
	// a check every quarter of the allowed staleness, at least every
	// second (and sooner when an answer saw new events; builds rest at
	// least as long as they took, so they never run back to back)
	every := max(time.Second, *w.maxStaleness/4)
	rctx, cancel := context.WithCancel(ctx)
	done := store.StartRefresher(rctx, every)
	stop = func() { cancel(); <-done }
	var alertReg prometheus.Registerer
	if reg != nil {
		alertReg = reg
	}
	stopAlerts, stopStore := w.alerts.start(ctx, conn, store, alertReg, log, w.now()), stop
	stop = func() { stopAlerts(); stopStore() }
	if *w.pprofAddr != "" {
		w.servePprof(ctx, log)
	}
	return dashboard.New(store, dashboard.Config{
		Logger:         log,
		AuthToken:      *w.authToken,
		Registerer:     reg,
		Gatherer:       reg,
		Ready:          ready,
		RequestTimeout: *w.queryTimeout + 5*time.Second,
		Now:            w.now(),
		MaxConcurrent:  maxConns,
		Classify:       classify.New().Classify,
	}), stop
}

// servePprof serves net/http/pprof on --pprof-addr until ctx ends.
func (w webSettings) servePprof(ctx context.Context, log *slog.Logger) {
	ln, err := listen(*w.pprofAddr, "pprof")
	if err != nil {
		log.Warn("pprof: not served", slog.Any("err", err))
		return
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("pprof: serving", slog.String("addr", ln.Addr().String()))
	go func() {
		defer ln.Close()
		if err := serveHTTP(ctx, ln, mux, log); err != nil {
			log.Warn("pprof", slog.Any("err", err))
		}
	}()
}

// dashboardURL is the address to open in a browser.
func dashboardURL(ln net.Listener) string {
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

func cmdServe(ctx context.Context, args []string, e env) error {
	s := newSettings("serve", "Serve the dashboard pages and the JSON API.", e)
	ch := s.clickhouse()
	w := s.web()
	logs := s.logging()
	if err := s.parse(args); err != nil {
		return err
	}
	log := logs.logger(e.stderr)
	policy, err := w.policy()
	if err != nil {
		return err
	}
	if e.getenv("GOGC") == "" {
		// the figures' snapshot is a large, long-lived heap that every
		// collection marks again: collect less often than Go's default
		// (GOGC=100) so that answers spend their CPU on figures
		debug.SetGCPercent(400)
	}
	ln, err := listen(*w.addr, "dashboard")
	if err != nil {
		return err
	}
	defer ln.Close()
	if err := ch.migrate(ctx, log, 60*time.Second); err != nil {
		return err
	}
	conn, err := ch.open(ctx, log, 60*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	srv, stop := w.handler(ctx, conn, *ch.maxConns, policy, log, newRegistry(), nil)
	defer stop() // before conn.Close: the refresher drops its snapshot tables
	fmt.Fprintf(e.stdout, "trustlens dashboard: %s\n", dashboardURL(ln))
	return serveHTTP(ctx, ln, srv.Handler(), log)
}
