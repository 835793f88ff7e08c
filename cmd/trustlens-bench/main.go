// Command trustlens-bench measures trustlens against its targets (SPEC §5)
// and prints a table (`make bench`):
//
//  1. end-to-end ingest: the same N events on the same embedded broker,
//     consumed into the same local ClickHouse by `trustlens ingest` and by a
//     ClickHouse Kafka-engine table with a materialized view; events/s of
//     each, their ratio, and the peak RSS of the ingest process;
//  2. API latency: p50/p95/p99 of every JSON route and page on a large
//     dataset, measured while an ingest stream runs; then 200 closed-loop
//     clients on each route (answers/s, status counts), and the first 30
//     summary answers right after a bulk load (failures, p95, and how long
//     until answers are as of after it).
//
// It only talks to addresses on this machine and stops by itself.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "trustlens-bench:", err)
		os.Exit(1)
	}
}

type config struct {
	bin             string
	chAddr          string
	events          int
	partitions      int
	skipIngest      bool
	skipAPI         bool
	apiCustomers    int
	apiComms        int
	apiIncidents    int
	apiRequests     int
	apiConcurrency  int
	apiMaxStaleness time.Duration
	apiDistinct     bool
	// serving phases (serving.go)
	apiClients         int
	apiClientsDuration time.Duration
	apiColdRequests    int
	log                *slog.Logger
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("trustlens-bench", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.bin, "bin", "bin/trustlens", "the trustlens binary to measure")
	fs.StringVar(&c.chAddr, "clickhouse-addr", envOr("TRUSTLENS_CLICKHOUSE_ADDR", "127.0.0.1:9000"), "local ClickHouse native address")
	fs.IntVar(&c.events, "events", 1_000_000, "events for the ingest comparison")
	fs.IntVar(&c.partitions, "partitions", 4, "partitions of the benchmark topic")
	fs.BoolVar(&c.skipIngest, "skip-ingest", false, "skip the ingest comparison")
	fs.BoolVar(&c.skipAPI, "skip-api", false, "skip the API latency measurement")
	fs.IntVar(&c.apiCustomers, "api-customer-events", 10_000_000, "customer events of the API dataset")
	fs.IntVar(&c.apiComms, "api-communications", 1_000_000, "communications of the API dataset")
	fs.IntVar(&c.apiIncidents, "api-incidents", 100_000, "incidents of the API dataset")
	fs.IntVar(&c.apiRequests, "api-requests", 200, "requests per route")
	fs.IntVar(&c.apiConcurrency, "api-concurrency", 4, "concurrent clients")
	fs.BoolVar(&c.apiDistinct, "api-distinct", false, "make every request unique (its own range end or incident), so none shares another's answer")
	fs.DurationVar(&c.apiMaxStaleness, "api-max-staleness", time.Second, "trustlens serve --max-staleness (its default: 1 s)")
	fs.IntVar(&c.apiClients, "api-clients", 200, "closed-loop clients per route in the serving phase (0: skip it)")
	fs.DurationVar(&c.apiClientsDuration, "api-clients-duration", 20*time.Second, "how long the closed-loop clients run on each route")
	fs.IntVar(&c.apiColdRequests, "api-cold-requests", 30, "GET /api/v1/summary requests measured right after a bulk load of as many customer events as the dataset has (0: skip it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if _, err := os.Stat(c.bin); err != nil {
		return fmt.Errorf("%s not found: run 'make build' first", c.bin)
	}
	var errs []error
	if !c.skipIngest {
		res, err := benchIngest(ctx, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("ingest comparison: %w", err))
		} else {
			res.print(out)
		}
	}
	if !c.skipAPI {
		res, err := benchAPI(ctx, c)
		if err != nil {
			errs = append(errs, fmt.Errorf("API latency: %w", err))
		} else {
			res.print(out)
		}
	}
	return errors.Join(errs...)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// waitUntil polls fn every 50 ms until it reports done, ctx ends or timeout passes.
func waitUntil(ctx context.Context, timeout time.Duration, fn func() (bool, error)) error {
	deadline := time.Now().Add(timeout)
	for {
		done, err := fn()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not done within %s", timeout)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
