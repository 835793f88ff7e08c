package main

import (
	"context"
	"time"
)

func cmdMigrate(ctx context.Context, args []string, e env) error {
	s := newSettings("migrate", "Apply the ClickHouse schema migrations. Applied versions are recorded; re-running changes nothing.", e)
	ch := s.clickhouse()
	logs := s.logging()
	if err := s.parse(args); err != nil {
		return err
	}
	return ch.migrate(ctx, logs.logger(e.stderr), 30*time.Second)
}
