package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/trustlens/trustlens/classify"
	"github.com/trustlens/trustlens/connect"
)

func cmdReceive(ctx context.Context, args []string, e env) error {
	s := newSettings("receive", "Receive the webhooks of PagerDuty, Statuspage, Stripe and Zendesk (docs/connectors.md), map them to trustlens events and publish them on the broker. A connector is on only when its secret is set (set secrets in the environment rather than as flags). Serves /metrics and /healthz on the same address.", e)
	k := s.kafka()
	rs := s.receive()
	logs := s.logging()
	if err := s.parse(args); err != nil {
		return err
	}
	log := logs.logger(e.stderr)
	cfg, err := rs.config(*k.prefix)
	if err != nil {
		return err
	}
	if !cfg.Enabled() {
		return fmt.Errorf("receive: no connector configured: set at least one of TRUSTLENS_PAGERDUTY_SECRET, TRUSTLENS_STATUSPAGE_TOKEN, TRUSTLENS_STRIPE_SECRET, TRUSTLENS_ZENDESK_SECRET")
	}
	ln, err := listen(*rs.addr, "receive")
	if err != nil {
		return err
	}
	defer ln.Close()
	reg := newRegistry()
	h, closePub, err := receiver(cfg, k.brokerList(), log, reg)
	if err != nil {
		return err
	}
	defer closePub()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.Handle("/", h)
	fmt.Fprintf(e.stdout, "trustlens receive: connectors %s on http://%s/hooks/…\n", strings.Join(cfg.Connectors(), ", "), ln.Addr())
	return serveHTTP(ctx, ln, mux, log)
}

// receiver builds the connectors' handler, publishing to brokers; close
// flushes the publisher.
func receiver(cfg connect.Config, brokers []string, log *slog.Logger, reg prometheus.Registerer) (h http.Handler, close func(), err error) {
	pub := connect.NewKafkaPublisher(brokers)
	cfg.Publisher = pub
	cfg.Classifier = classify.New()
	cfg.Logger = log.With(slog.String("component", "receive"))
	cfg.Registerer = reg
	srv, err := connect.New(cfg)
	if err != nil {
		_ = pub.Close()
		return nil, nil, err
	}
	log.Info("connectors on", slog.Any("connectors", cfg.Connectors()))
	return srv.Handler(), func() {
		if err := pub.Close(); err != nil {
			log.Warn("closing the connectors' publisher", slog.Any("err", err))
		}
	}, nil
}

// receiveSettings are the connector settings shared by receive and run.
type receiveSettings struct {
	addr, pagerDutySecret, statuspageToken, statuspagePageID, stripeSecret, zendeskSecret, file *string
}

func (s *settings) receive() receiveSettings {
	r := receiveSettings{
		addr:             s.String("receive-addr", "TRUSTLENS_RECEIVE_ADDR", "127.0.0.1:8090", "address of the webhook routes /hooks/…"),
		pagerDutySecret:  s.String("pagerduty-secret", "TRUSTLENS_PAGERDUTY_SECRET", "", "PagerDuty webhook subscription secret (turns on POST /hooks/pagerduty)"),
		statuspageToken:  s.String("statuspage-token", "TRUSTLENS_STATUSPAGE_TOKEN", "", "secret path token of POST /hooks/statuspage/{token} (turns it on)"),
		statuspagePageID: s.String("statuspage-page-id", "TRUSTLENS_STATUSPAGE_PAGE_ID", "", "accept Statuspage deliveries of this page id only"),
		stripeSecret:     s.String("stripe-secret", "TRUSTLENS_STRIPE_SECRET", "", "Stripe endpoint signing secret, whsec_… (turns on POST /hooks/stripe)"),
		zendeskSecret:    s.String("zendesk-secret", "TRUSTLENS_ZENDESK_SECRET", "", "Zendesk webhook signing secret (turns on POST /hooks/zendesk and /hooks/zendesk/csat)"),
		file:             s.String("connectors-file", "TRUSTLENS_CONNECTORS_FILE", "", "YAML file of connector settings: PagerDuty severity map and status-update channel/audience, Zendesk customer key (docs/connectors.md)"),
	}
	s.hostPort(r.addr, "receive-addr", "TRUSTLENS_RECEIVE_ADDR", false)
	s.Check(func() error {
		if v := *r.statuspageToken; v != "" && (len(v) < 16 || strings.ContainsAny(v, "/?#% ")) {
			return fmt.Errorf("--statuspage-token / TRUSTLENS_STATUSPAGE_TOKEN: must be at least 16 characters, without / ? # %% or spaces")
		}
		return nil
	})
	return r
}

// config is the connectors' configuration (without publisher, classifier
// and logger); a bad settings file is one line naming the key.
func (r receiveSettings) config(prefix string) (connect.Config, error) {
	st, err := connect.LoadSettings(*r.file)
	if err != nil {
		return connect.Config{}, fmt.Errorf("--connectors-file / TRUSTLENS_CONNECTORS_FILE: %w", err)
	}
	return connect.Config{
		PagerDutySecret:  *r.pagerDutySecret,
		StatuspageToken:  *r.statuspageToken,
		StatuspagePageID: *r.statuspagePageID,
		StripeSecret:     *r.stripeSecret,
		ZendeskSecret:    *r.zendeskSecret,
		Settings:         st,
		TopicPrefix:      prefix,
	}, nil
}

func cmdReplayHooks(ctx context.Context, args []string, e env) error {
	s := newSettings("replay-hooks", "Map again, with the current mappings and connector settings, every raw webhook delivery kept on <prefix>webhooks, and publish the events. Event ids are those of the first time, so events already stored count once; what a new mapping adds is stored (docs/connectors.md).", e)
	k := s.kafka()
	file := s.String("connectors-file", "TRUSTLENS_CONNECTORS_FILE", "", "YAML file of connector settings (docs/connectors.md)")
	connector := s.String("connector", "", "", "replay only this connector: pagerduty, statuspage, stripe or zendesk (default all)")
	logs := s.logging()
	s.Check(func() error {
		switch *connector {
		case "", "pagerduty", "statuspage", "stripe", "zendesk":
			return nil
		}
		return fmt.Errorf("--connector: must be pagerduty, statuspage, stripe or zendesk, got %q", *connector)
	})
	if err := s.parse(args); err != nil {
		return err
	}
	log := logs.logger(e.stderr)
	st, err := connect.LoadSettings(*file)
	if err != nil {
		return fmt.Errorf("--connectors-file / TRUSTLENS_CONNECTORS_FILE: %w", err)
	}
	pub := connect.NewKafkaPublisher(k.brokerList())
	defer pub.Close()
	stats, err := connect.Replay(ctx, k.brokerList(), connect.Config{
		Settings: st, TopicPrefix: *k.prefix, Publisher: pub, Classifier: classify.New(), Logger: log,
	}, *connector)
	fmt.Fprintf(e.stdout, "replayed %d deliveries: %d events published, %d with unmappable parts, %d skipped\n", stats.Deliveries, stats.Events, stats.Problems, stats.Skipped)
	return err
}
