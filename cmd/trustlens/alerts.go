package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens/alert"
	"github.com/trustlens/trustlens/analytics"
)

// alertSettings are the overdue alerts' settings (SPEC §3).
type alertSettings struct {
	webhook, public *string
}

func (s *settings) alerts() alertSettings {
	a := alertSettings{
		webhook: s.String("alert-webhook-url", "TRUSTLENS_ALERT_WEBHOOK_URL", "", "POST one JSON message (Slack/Mattermost incoming-webhook compatible) per overdue episode to this URL (empty = no alerts)"),
		public:  s.String("public-url", "TRUSTLENS_PUBLIC_URL", "", "the dashboard's address as people open it (https://trust.example.com); alerts link to incident pages under it"),
	}
	check := func(v *string, what string) func() error {
		return func() error {
			if *v == "" {
				return nil
			}
			u, err := url.Parse(*v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("%s: not an http(s) URL: %q", what, *v)
			}
			return nil
		}
	}
	s.Check(check(a.webhook, "--alert-webhook-url / TRUSTLENS_ALERT_WEBHOOK_URL"))
	s.Check(check(a.public, "--public-url / TRUSTLENS_PUBLIC_URL"))
	return a
}

// start runs the overdue monitor until ctx ends: the gauges always, the
// alerts with a webhook. stop waits for it (call it before closing conn).
func (a alertSettings) start(ctx context.Context, conn driver.Conn, store *analytics.Store, reg prometheus.Registerer, log *slog.Logger, now func() time.Time) (stop func()) {
	var claims alert.Claimer
	if *a.webhook != "" {
		claims = &alert.Claims{Conn: conn, Owner: alert.NewOwner()}
	}
	m, err := alert.New(store, alert.Config{
		WebhookURL: *a.webhook, PublicURL: *a.public, Claims: claims,
		Registerer: reg, Logger: log, Now: now,
	})
	if err != nil {
		log.Error("alert: overdue alerts and gauges off", slog.Any("err", err))
		return func() {}
	}
	if *a.webhook != "" {
		log.Info("alert: overdue alerts on")
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = m.Run(ctx)
	}()
	return func() { cancel(); <-done }
}
