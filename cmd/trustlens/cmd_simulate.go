package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/simulate"
)

// cmdSimulate generates a simulated company's events (docs/simulation.md).
func cmdSimulate(ctx context.Context, args []string, e env) error {
	s := newSettings("simulate", "Generate a believable company's events: a history of customers, incidents, communications, compensation, follow-ups, feedback and churn that ends now, then with --live new incidents as they happen, until interrupted. Sends to Kafka (the embedded broker of 'trustlens run' or 'trustlens broker' by default), or with --out writes <prefix><stream>.ndjson files for 'trustlens produce'.", e)
	k := s.kafka()
	seed := s.Int("seed", "TRUSTLENS_SIMULATE_SEED", 1, 0, 1<<62, "seed of the simulation: the same seed and end time give the same events")
	hist := s.Duration("history", "TRUSTLENS_SIMULATE_HISTORY", 4320*time.Hour, 0, 10*8760*time.Hour, "length of the history ending now (4320h = 180 days; 0 = none)")
	live := s.Bool("live", "TRUSTLENS_SIMULATE_LIVE", false, "after the history, stream new incidents as they happen until interrupted")
	speed := s.Int("speed", "TRUSTLENS_SIMULATE_SPEED", 60, 1, 100000, "live: incidents, sign-ups and customer activity happen this many times as often as in the history (each incident still unfolds on the real clock)")
	customers := s.Int("customers", "TRUSTLENS_SIMULATE_CUSTOMERS", simulate.DefaultCustomers, 1, 1000000, "customers when the history starts")
	out := s.String("out", "TRUSTLENS_SIMULATE_OUT", "", "write NDJSON files to this directory instead of sending to Kafka")
	nowFlag := s.String("now", "", "", "end of the history, RFC 3339 (default: the current time); with --seed it fixes the output")
	logs := s.logging()
	var end time.Time
	s.Check(func() error {
		if *nowFlag == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fmt.Errorf("--now: not RFC 3339 (such as 2026-06-01T00:00:00Z): %q", *nowFlag)
		}
		if *live {
			return errors.New("--now cannot be combined with --live (live mode follows the real clock)")
		}
		end = t.UTC()
		return nil
	})
	s.Check(func() error {
		if *hist == 0 && !*live {
			return errors.New("simulate: nothing to do: --history is 0 and --live is off")
		}
		return nil
	})
	if err := s.parse(args); err != nil {
		return err
	}
	log := logs.logger(e.stderr)

	cfg := simulate.Config{
		Seed: int64(*seed), History: *hist, Live: *live, Speed: float64(*speed), Customers: *customers, Logger: log,
		HistorySent: func(st simulate.Stats) {
			if *live && *hist > 0 {
				fmt.Fprintf(e.stdout, "history sent: %d events from %s to %s; streaming live incidents (speed %d×, Ctrl-C to stop)\n",
					st.Events, st.From.Format(time.RFC3339), st.To.Format(time.RFC3339), *speed)
			}
		},
	}
	if !end.IsZero() {
		cfg.Now = func() time.Time { return end }
	}

	var (
		sink      simulate.Sink
		closeSink func() error
		where     string
	)
	if *out != "" {
		fs, err := simulate.NewFileSink(*out, *k.prefix)
		if err != nil {
			return err
		}
		sink, closeSink, where = fs, fs.Close, *out
	} else {
		ks := simulate.NewKafkaSink(k.brokerList(), *k.prefix)
		sink, closeSink, where = ks, ks.Close, "Kafka at "+strings.Join(k.brokerList(), ",")
	}
	st, err := simulate.Run(ctx, cfg, sink)
	if cerr := closeSink(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	verb := "sent"
	if *out != "" {
		verb = "wrote"
	}
	fmt.Fprintf(e.stdout, "%s %d events to %s (%d incidents, %d sign-ups, %d churned)\n", verb, st.Events, where, st.Incidents, st.Customers, st.Churned)
	for _, str := range trustlens.Streams {
		fmt.Fprintf(e.stdout, "  %-40s %8d\n", *k.prefix+string(str), st.ByStream[str])
	}
	return nil
}

// The demo of `trustlens run --demo`: 16 months of history, so that the
// overview's default range (90 days) and a year's range both have an
// earlier period to compare with, then live incidents thirty times as
// often as in the history.
const (
	demoHistory   = 480 * 24 * time.Hour
	demoSpeed     = 30
	demoCustomers = simulate.DefaultCustomers
)

// runDemo streams months of history, then live incidents, until ctx ends.
func runDemo(ctx context.Context, brokers []string, prefix string, seed int64, log *slog.Logger, out io.Writer) error {
	sink := simulate.NewKafkaSink(brokers, prefix)
	cfg := simulate.Config{
		Seed: seed, History: demoHistory, Live: true, Speed: demoSpeed, Customers: demoCustomers, Logger: log,
		HistorySent: func(st simulate.Stats) {
			fmt.Fprintf(out, "demo: 16 months of history sent (%d events); live incidents now streaming\n", st.Events)
		},
	}
	_, err := simulate.Run(ctx, cfg, sink)
	if cerr := sink.Close(); err == nil && ctx.Err() == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}
