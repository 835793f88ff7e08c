package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/trustlens/trustlens/broker"
	"github.com/trustlens/trustlens/ingest"
)

func cmdRun(ctx context.Context, args []string, e env) error {
	s := newSettings("run", "Run everything in one process: migrations, ingest and the dashboard. With no TRUSTLENS_KAFKA_BROKERS an embedded Kafka-protocol broker serves TRUSTLENS_EMBEDDED_KAFKA_ADDR; --demo also streams simulated history and live incidents.", e)
	k := s.kafka()
	ch := s.clickhouse()
	is := s.ingest()
	w := s.web()
	rs := s.receive()
	demo := s.Bool("demo", "TRUSTLENS_DEMO", false, "also stream simulated data: months of history, then live incidents")
	demoSeed := s.Int("demo-seed", "TRUSTLENS_DEMO_SEED", 1, 0, 1<<30, "seed of the demo simulation")
	fresh := s.Bool("fresh", "TRUSTLENS_FRESH", false, "drop the ClickHouse database first (for a demo database: each demo run then starts from a clean history)")
	logs := s.logging()
	if err := s.parse(args); err != nil {
		return err
	}
	log := logs.logger(e.stderr)
	policy, err := w.policy()
	if err != nil {
		return err
	}
	ln, err := listen(*w.addr, "dashboard")
	if err != nil {
		return err
	}
	defer ln.Close()
	// The connectors run when any is configured; --demo gives Statuspage
	// an in-process token (when none is set) and feeds it an incident.
	rcfg, err := rs.config(*k.prefix)
	if err != nil {
		return err
	}
	demoOnly := *demo && !rcfg.Enabled() // the receiver would run for the demo alone
	if *demo && rcfg.StatuspageToken == "" {
		rcfg.StatuspageToken = demoToken()
	}
	var rln net.Listener
	if rcfg.Enabled() {
		if rln, err = listen(*rs.addr, "receive"); err != nil && !demoOnly {
			return err
		}
		if err != nil {
			log.Warn("demo: no webhook feed", slog.Any("err", err))
		} else {
			defer rln.Close()
		}
	}

	if *k.brokers == "" {
		b, err := broker.Start(broker.Config{Addr: *k.embeddedAddr, TopicPrefix: *k.prefix, Partitions: 4})
		if err != nil {
			return err
		}
		defer b.Close()
		*k.embeddedAddr = b.Addr() // the real port when :0 was asked for
		log.Info("embedded Kafka broker ready", slog.String("addr", b.Addr()))
	}
	if *fresh {
		if err := ch.drop(ctx, log, 60*time.Second); err != nil {
			return err
		}
	}
	if err := ch.migrate(ctx, log, 60*time.Second); err != nil {
		return err
	}
	conn, err := ch.open(ctx, log, 60*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()

	reg := newRegistry()
	in, err := ingest.New(is.config(k, conn, log, reg))
	if err != nil {
		return err
	}
	var hooks http.Handler
	if rln != nil {
		h, closePub, err := receiver(rcfg, k.brokerList(), log, reg)
		if err != nil {
			return err
		}
		defer closePub()
		hooks = h
	}
	srv, stop := w.handler(ctx, conn, *ch.maxConns, policy, log, reg, in.Ready)
	defer stop() // before conn.Close: the refresher drops its snapshot tables

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	start := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := fn(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				log.Error(name+" stopped", slog.Any("err", err))
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("%s: %w", name, err)
				}
				mu.Unlock()
				cancel()
			}
		}()
	}
	start("ingest", in.Run)
	start("dashboard", func(ctx context.Context) error { return serveHTTP(ctx, ln, srv.Handler(), log) })
	if hooks != nil {
		start("receive", func(ctx context.Context) error { return serveHTTP(ctx, rln, hooks, log) })
	}
	if *demo {
		start("demo", func(ctx context.Context) error {
			return runDemo(ctx, k.brokerList(), *k.prefix, int64(*demoSeed), log, e.stdout)
		})
		if rln != nil {
			url := fmt.Sprintf("http://%s/hooks/statuspage/%s", rln.Addr(), rcfg.StatuspageToken)
			start("demo webhooks", func(ctx context.Context) error {
				if err := runDemoWebhooks(ctx, url, 3*time.Second, log); err != nil && ctx.Err() == nil {
					log.Warn("demo webhooks stopped", slog.Any("err", err)) // the rest of the demo goes on
				}
				return nil
			})
		}
	}
	fmt.Fprintf(e.stdout, "\ntrustlens is running.\n  Dashboard: %s\n  Kafka:     %s\n", dashboardURL(ln), k.brokerList()[0])
	if rln != nil {
		fmt.Fprintf(e.stdout, "  Webhooks:  http://%s/hooks/… (%s)\n", rln.Addr(), strings.Join(rcfg.Connectors(), ", "))
	}
	fmt.Fprintf(e.stdout, "  Stop:      Ctrl-C\n\n")
	<-ctx.Done()
	log.Info("shutting down")
	wg.Wait()
	return first
}
