package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
)

// cmdSimulate generates simulated events (owned by the simulate work).
func cmdSimulate(ctx context.Context, args []string, e env) error {
	return errors.New("simulate: not implemented yet")
}

// runDemo streams months of history, then live incidents, until ctx ends.
func runDemo(ctx context.Context, brokers []string, prefix string, seed int64, log *slog.Logger, out io.Writer) error {
	log.Warn("demo data is not implemented yet")
	<-ctx.Done()
	return nil
}
