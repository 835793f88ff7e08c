package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/trustlens/trustlens/migrations"
)

// chSettings are the ClickHouse settings of SPEC §4.
type chSettings struct {
	addr, database, user, password, cluster *string
	compression                             *string
	maxConns                                *int
	ddlTimeout                              *time.Duration
}

func (s *settings) clickhouse() chSettings {
	c := chSettings{
		addr:     s.String("clickhouse-addr", "TRUSTLENS_CLICKHOUSE_ADDR", "127.0.0.1:9000", "ClickHouse native address(es), comma-separated"),
		database: s.String("clickhouse-database", "TRUSTLENS_CLICKHOUSE_DATABASE", "trustlens", "ClickHouse database"),
		user:     s.String("clickhouse-user", "TRUSTLENS_CLICKHOUSE_USER", "default", "ClickHouse user"),
		password: s.String("clickhouse-password", "TRUSTLENS_CLICKHOUSE_PASSWORD", "", "ClickHouse password"),
		cluster:  s.String("clickhouse-cluster", "TRUSTLENS_CLICKHOUSE_CLUSTER", "", "ClickHouse cluster name: create every table ON CLUSTER with Replicated engines (empty = a single server)"),
		maxConns: s.Int("clickhouse-max-conns", "TRUSTLENS_CLICKHOUSE_MAX_CONNS", 16, 1, 1000, "most open ClickHouse connections"),
		compression: s.String("clickhouse-compression", "TRUSTLENS_CLICKHOUSE_COMPRESSION", "auto",
			"compression of the native protocol: lz4, none, or auto (lz4 unless every address is on this machine, where compressing only costs CPU on both sides)"),
	}
	c.ddlTimeout = s.Duration("clickhouse-ddl-timeout", "TRUSTLENS_CLICKHOUSE_DDL_TIMEOUT", 60*time.Second, 5*time.Second, time.Hour,
		"with a cluster: how long a schema change ON CLUSTER waits for every replica before it fails naming the ones that did not run it (ClickHouse's distributed_ddl_task_timeout)")
	s.hostPort(c.addr, "clickhouse-addr", "TRUSTLENS_CLICKHOUSE_ADDR", false)
	s.Check(func() error {
		if !migrations.ValidDatabase(*c.database) {
			return fmt.Errorf("--clickhouse-database / TRUSTLENS_CLICKHOUSE_DATABASE: not a plain identifier: %q", *c.database)
		}
		if *c.cluster != "" && !migrations.ValidDatabase(*c.cluster) {
			return fmt.Errorf("--clickhouse-cluster / TRUSTLENS_CLICKHOUSE_CLUSTER: not a plain identifier: %q", *c.cluster)
		}
		switch *c.compression {
		case "auto", "lz4", "none":
		default:
			return fmt.Errorf("--clickhouse-compression / TRUSTLENS_CLICKHOUSE_COMPRESSION: must be auto, lz4 or none, got %q", *c.compression)
		}
		return nil
	})
	return c
}

func (c chSettings) options(database string) *clickhouse.Options {
	var addrs []string
	for _, a := range strings.Split(*c.addr, ",") {
		addrs = append(addrs, strings.TrimSpace(a))
	}
	return &clickhouse.Options{
		Addr:             addrs,
		Auth:             clickhouse.Auth{Database: database, Username: *c.user, Password: *c.password},
		DialTimeout:      5 * time.Second,
		ReadTimeout:      60 * time.Second,
		MaxOpenConns:     *c.maxConns,
		MaxIdleConns:     *c.maxConns,
		ConnMaxLifetime:  time.Hour,
		ConnOpenStrategy: clickhouse.ConnOpenInOrder,
		Compression:      compressionOf(*c.compression, addrs),
	}
}

// compressionOf is the native protocol's compression for setting ("auto",
// "lz4", "none") and the server addresses: auto compresses unless every
// address is a loopback one (nil: none).
func compressionOf(setting string, addrs []string) *clickhouse.Compression {
	lz4 := &clickhouse.Compression{Method: clickhouse.CompressionLZ4}
	switch setting {
	case "lz4":
		return lz4
	case "none":
		return nil
	}
	for _, a := range addrs {
		host, _, err := net.SplitHostPort(a)
		if err != nil {
			host = a
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return lz4
		}
	}
	return nil
}

// adminOptions are the options of the connection that changes the schema:
// an ON CLUSTER statement waits at most --clickhouse-ddl-timeout for the
// replicas (then fails naming them), and the connection waits longer than
// that for the server's answer, so that it is the server's error, not an
// i/o timeout, that ends it.
func (c chSettings) adminOptions() *clickhouse.Options {
	o := c.options("default")
	secs := int((*c.ddlTimeout + time.Second - 1) / time.Second)
	o.Settings = clickhouse.Settings{"distributed_ddl_task_timeout": secs}
	o.ReadTimeout = max(o.ReadTimeout, time.Duration(secs)*time.Second+30*time.Second)
	return o
}

// migrate applies the migrations to the configured database, waiting up to
// wait for ClickHouse to answer. When the schema is current it changes
// nothing and runs no DDL (migrations.Apply), so that serve, ingest and
// run start while a replica of the cluster is down.
func (c chSettings) migrate(ctx context.Context, log *slog.Logger, wait time.Duration) error {
	admin, err := clickhouse.Open(c.adminOptions())
	if err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	defer admin.Close()
	if err := waitPing(ctx, admin, *c.addr, wait, log); err != nil {
		return err
	}
	var opts []migrations.Option
	if *c.cluster != "" {
		opts = append(opts, migrations.WithCluster(*c.cluster))
	}
	res, err := migrations.Apply(ctx, admin, *c.database, opts...)
	if err != nil {
		return err
	}
	if len(res.Applied) == 0 {
		log.Info("schema current: no migration to apply", slog.String("database", *c.database), slog.Int("already_applied", res.Skipped))
		return nil
	}
	log.Info("migrations applied", slog.String("database", *c.database), slog.Any("applied", res.Applied), slog.Int("already_applied", res.Skipped))
	return nil
}

// drop removes the configured database and everything in it.
func (c chSettings) drop(ctx context.Context, log *slog.Logger, wait time.Duration) error {
	admin, err := clickhouse.Open(c.adminOptions())
	if err != nil {
		return fmt.Errorf("clickhouse: %w", err)
	}
	defer admin.Close()
	if err := waitPing(ctx, admin, *c.addr, wait, log); err != nil {
		return err
	}
	onCluster := ""
	if *c.cluster != "" {
		onCluster = " ON CLUSTER " + *c.cluster
	}
	if err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+*c.database+onCluster); err != nil {
		return fmt.Errorf("clickhouse: drop database %s: %w", *c.database, err)
	}
	log.Info("dropped the database for a fresh start", slog.String("database", *c.database))
	return nil
}

// open connects to the configured database.
func (c chSettings) open(ctx context.Context, log *slog.Logger, wait time.Duration) (driver.Conn, error) {
	conn, err := clickhouse.Open(c.options(*c.database))
	if err != nil {
		return nil, fmt.Errorf("clickhouse: %w", err)
	}
	if err := waitPing(ctx, conn, *c.addr, wait, log); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

func waitPing(ctx context.Context, conn driver.Conn, addr string, wait time.Duration, log *slog.Logger) error {
	deadline := time.Now().Add(wait)
	for attempt := 0; ; attempt++ {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := conn.Ping(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("clickhouse: no answer at %s: %w (start one with 'scripts/clickhouse.sh start')", addr, err)
		}
		if attempt == 0 {
			log.Warn("waiting for ClickHouse", slog.String("addr", addr), slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}
