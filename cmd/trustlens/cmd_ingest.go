package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens/ingest"
)

// ingestSettings are the consumer settings shared by ingest and run.
type ingestSettings struct {
	group     *string
	batchSize *int
	insertMiB *int
	flush     *time.Duration
	session   *time.Duration
}

func (s *settings) ingest() ingestSettings {
	return ingestSettings{
		group:     s.String("group-id", "TRUSTLENS_INGEST_GROUP", "trustlens-ingest", "Kafka consumer group of the ingest processes"),
		batchSize: s.Int("batch-size", "TRUSTLENS_INGEST_BATCH_SIZE", 10000, 1, 1000000, "events per fetched batch, sent to ClickHouse as one block (flush on size)"),
		insertMiB: s.Int("max-insert-mib", "TRUSTLENS_INGEST_MAX_INSERT_MIB", 32, 1, 1024, "MiB of events per INSERT statement: batches are streamed into one statement, which ends (and its offsets are committed) at this size or the flush interval"),
		flush:     s.Duration("flush-interval", "TRUSTLENS_INGEST_FLUSH_INTERVAL", time.Second, 10*time.Millisecond, time.Minute, "flush a batch at least this often (flush on age)"),
		session:   s.Duration("session-timeout", "TRUSTLENS_INGEST_SESSION_TIMEOUT", 10*time.Second, 6*time.Second, 5*time.Minute, "consumer-group session timeout: a dead ingest process's partitions move to the others after about this long"),
	}
}

func (is ingestSettings) config(k kafkaSettings, conn driver.Conn, log *slog.Logger, reg prometheus.Registerer) ingest.Config {
	return ingest.Config{
		Brokers:          k.brokerList(),
		TopicPrefix:      *k.prefix,
		GroupID:          *is.group,
		Conn:             conn,
		BatchSize:        *is.batchSize,
		MaxInsertBytes:   *is.insertMiB << 20,
		FlushInterval:    *is.flush,
		SessionTimeout:   *is.session,
		RebalanceTimeout: *is.session,
		Logger:           log,
		Registerer:       reg,
	}
}

func cmdIngest(ctx context.Context, args []string, e env) error {
	s := newSettings("ingest", "Consume the three event topics into ClickHouse (one consumer group: run several to scale out). Bad messages go to the dead-letter topic and ingest_errors.", e)
	k := s.kafka()
	ch := s.clickhouse()
	is := s.ingest()
	memLimit := s.Int("memory-limit-mib", "TRUSTLENS_INGEST_MEMORY_LIMIT_MIB", 128, 0, 1<<20, "soft memory limit of the Go heap in MiB (0 = none; GOMEMLIMIT wins when set): the garbage collector works harder near it")
	metricsAddr := s.String("metrics-addr", "TRUSTLENS_METRICS_ADDR", "127.0.0.1:9101", "address of /metrics, /healthz and /readyz (empty = none)")
	s.hostPort(metricsAddr, "metrics-addr", "TRUSTLENS_METRICS_ADDR", true)
	logs := s.logging()
	if err := s.parse(args); err != nil {
		return err
	}
	log := logs.logger(e.stderr)
	// TRUSTLENS_INGEST_CPUPROFILE names a file for a CPU profile of the
	// whole run (for performance work; written on a clean stop).
	if path := e.getenv("TRUSTLENS_INGEST_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("TRUSTLENS_INGEST_CPUPROFILE: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("TRUSTLENS_INGEST_CPUPROFILE: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
	}
	if *memLimit > 0 && e.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(int64(*memLimit) << 20)
	}
	if *k.brokers == "" {
		return fmt.Errorf("--kafka-brokers / TRUSTLENS_KAFKA_BROKERS: required for ingest (use 'trustlens run' for the embedded broker, or point it at 'trustlens broker' on %s)", *k.embeddedAddr)
	}
	// A connection lost while migrating (ClickHouse restarting) is
	// retried, as a restart of the process would, within a minute.
	for deadline := time.Now().Add(60 * time.Second); ; {
		err := ch.migrate(ctx, log, max(time.Until(deadline), time.Second))
		if err == nil {
			break
		}
		if ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		log.Warn("applying migrations failed; retrying", slog.Any("err", err))
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	if *metricsAddr != "" {
		ln, err := listen(*metricsAddr, "metrics")
		if err != nil {
			return err
		}
		go func() { errc <- serveHTTP(ctx, ln, opsHandler(reg, in.Ready), log) }()
	} else {
		errc <- nil
	}
	log.Info("ingest starting", slog.Any("brokers", k.brokerList()), slog.String("group", *is.group), slog.String("database", *ch.database))
	err = in.Run(ctx)
	cancel()
	if herr := <-errc; err == nil {
		err = herr
	}
	return err
}
