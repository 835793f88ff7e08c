// Command trustlens is the single binary of trustlens: ingest, dashboard,
// migrations, the embedded broker and the simulator (SPEC §4).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, errHelp) {
		fmt.Fprintln(os.Stderr, "trustlens:", err)
		os.Exit(1)
	}
}

// errHelp is returned after help was printed on request.
var errHelp = errors.New("help requested")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, env env) error
}

// env is what a subcommand may touch of the outside world.
type env struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer // logs
}

func commands() []command {
	return []command{
		{"run", "everything in one process: migrations, ingest, dashboard (embedded broker when TRUSTLENS_KAFKA_BROKERS is empty; --demo streams simulated data)", cmdRun},
		{"ingest", "the Kafka consumers only (run several to scale out: one consumer group)", cmdIngest},
		{"serve", "the dashboard and JSON API only", cmdServe},
		{"migrate", "apply the ClickHouse schema migrations (idempotent)", cmdMigrate},
		{"produce", "publish newline-delimited JSON events to a topic (stdin by default)", cmdProduce},
		{"simulate", "generate a realistic history and/or a live stream of events", cmdSimulate},
		{"broker", "the embedded Kafka-protocol broker alone (in memory)", cmdBroker},
		{"receive", "the webhooks of PagerDuty, Statuspage, Stripe and Zendesk, published as events (docs/connectors.md)", cmdReceive},
		{"replay-hooks", "map the kept raw webhook deliveries again and publish their events (after a mapping change)", cmdReplayHooks},
		{"healthcheck", "exit 0 when a URL answers 200 (for container health checks)", cmdHealthcheck},
		{"classify", "read apology, responsibility, root cause, prevention and the next update from the words of updates (NDJSON in, JSON lines out)", cmdClassify},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "trustlens — customer-trust analytics for server outages")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: trustlens <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'trustlens <command> --help' for the flags of a command.")
	fmt.Fprintln(w, "Every flag can also be set by its TRUSTLENS_* environment variable (shown in each command's help).")
}

// run is the whole program; main only wires it to the process.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return errHelp
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], e)
		}
	}
	usage(stdout)
	return fmt.Errorf("unknown command %q", args[0])
}
