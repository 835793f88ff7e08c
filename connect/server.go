package connect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/trustlens/trustlens"
)

// MaxBodyBytes is the largest delivery accepted (SPEC §6.1).
const MaxBodyBytes = 1 << 20

// Config is what the receiver needs. A connector is on only when its
// secret is set; its routes answer 404 otherwise.
type Config struct {
	PagerDutySecret  string // TRUSTLENS_PAGERDUTY_SECRET
	StatuspageToken  string // TRUSTLENS_STATUSPAGE_TOKEN
	StatuspagePageID string // TRUSTLENS_STATUSPAGE_PAGE_ID (optional)
	StripeSecret     string // TRUSTLENS_STRIPE_SECRET (the whsec_… string)
	ZendeskSecret    string // TRUSTLENS_ZENDESK_SECRET

	Settings    Settings // mapping settings (DefaultSettings when zero)
	TopicPrefix string   // e.g. "trustlens."
	Publisher   Publisher
	Classifier  Classifier // reads the habits of communications (SPEC §7)
	Logger      *slog.Logger
	Registerer  prometheus.Registerer // nil = no metrics registered
	Now         func() time.Time      // the clock of signature windows (default time.Now)
}

// Enabled reports whether any connector is configured.
func (c Config) Enabled() bool {
	return c.PagerDutySecret != "" || c.StatuspageToken != "" || c.StripeSecret != "" || c.ZendeskSecret != ""
}

// Connectors lists the names of the configured connectors.
func (c Config) Connectors() []string {
	var out []string
	for _, x := range []struct{ name, secret string }{
		{"pagerduty", c.PagerDutySecret}, {"statuspage", c.StatuspageToken}, {"stripe", c.StripeSecret}, {"zendesk", c.ZendeskSecret},
	} {
		if x.secret != "" {
			out = append(out, x.name)
		}
	}
	return out
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.Settings.PagerDuty.Severity == nil {
		c.Settings = DefaultSettings()
	}
	return c
}

// Server answers the webhook routes.
type Server struct {
	cfg  Config
	log  *slog.Logger
	m    *metrics
	now  func() time.Time
	echo *echo.Echo
}

// route is one webhook route of a connector.
type route struct {
	connector string
	path      string
	on        bool // the connector's secret is set
	// timeout bounds the publish, below the vendor's own deadline.
	timeout time.Duration
	// verify says why a delivery is not authentic (nil when it is).
	verify func(c echo.Context, body []byte, now time.Time) error
	// mapBody maps an authentic JSON delivery; it never panics on
	// any input.
	mapBody func(body []byte) mapping
}

// New builds the receiver.
func New(cfg Config) (*Server, error) {
	if cfg.Publisher == nil {
		return nil, errors.New("connect: no publisher")
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Logger, m: m, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	for _, r := range s.routes() {
		e.POST(r.path, s.handle(r))
	}
	s.echo = e
	return s, nil
}

// routes is every route of the configured connectors (SPEC §6.1).
func (s *Server) routes() []route {
	var out []route
	for _, r := range allRoutes(s.cfg) {
		if r.on {
			out = append(out, r)
		}
	}
	return out
}

// allRoutes is every route, on or not (replay maps the deliveries of
// every connector).
func allRoutes(cfg Config) []route {
	pd := pagerDuty{secret: cfg.PagerDutySecret, settings: cfg.Settings.PagerDuty, classifier: cfg.Classifier}
	sp := statuspage{token: cfg.StatuspageToken, pageID: cfg.StatuspagePageID, classifier: cfg.Classifier}
	st := stripe{secret: cfg.StripeSecret}
	zd := zendesk{secret: cfg.ZendeskSecret, settings: cfg.Settings.Zendesk}
	return []route{
		// PagerDuty gives up after 5 s, Statuspage after 30 s, Zendesk after 12 s.
		{"pagerduty", "/hooks/pagerduty", cfg.PagerDutySecret != "", 4 * time.Second, pd.verify, pd.mapBody},
		{"statuspage", "/hooks/statuspage/:token", cfg.StatuspageToken != "", 20 * time.Second, sp.verify, sp.mapBody},
		{"stripe", "/hooks/stripe", cfg.StripeSecret != "", 8 * time.Second, st.verify, st.mapBody},
		{"zendesk", "/hooks/zendesk", cfg.ZendeskSecret != "", 10 * time.Second, zd.verify, zd.mapTicket},
		{"zendesk", "/hooks/zendesk/csat", cfg.ZendeskSecret != "", 10 * time.Second, zd.verify, zd.mapCSAT},
	}
}

// template is the route's path as recorded in the raw deliveries' route
// header (the Statuspage token left out).
func (r route) template() string { return strings.Replace(r.path, ":token", "{token}", 1) }

// Handler is the HTTP handler of the receiver.
func (s *Server) Handler() http.Handler { return s.echo }

// answer is the JSON body of every answer.
type answer struct {
	Status string `json:"status,omitempty"`
	Events int    `json:"events,omitempty"`
	Error  string `json:"error,omitempty"`
}

func (s *Server) handle(r route) echo.HandlerFunc {
	return func(c echo.Context) error {
		log := s.log.With(slog.String("connector", r.connector), slog.String("route", r.template()))
		fail := func(code int, outcome, msg string) error {
			s.m.deliveries.WithLabelValues(r.connector, outcome).Inc()
			return c.JSON(code, answer{Error: msg})
		}
		body, err := io.ReadAll(io.LimitReader(c.Request().Body, MaxBodyBytes+1))
		if err != nil {
			log.Warn("webhook: read body", slog.Any("err", err))
			return fail(http.StatusBadRequest, outcomeBadRequest, "could not read the body")
		}
		if len(body) > MaxBodyBytes {
			log.Warn("webhook refused: body too large", slog.Int("limit_bytes", MaxBodyBytes))
			return fail(http.StatusRequestEntityTooLarge, outcomeTooLarge, fmt.Sprintf("body over %d bytes", MaxBodyBytes))
		}
		receivedAt := s.now()
		if err := r.verify(c, body, receivedAt); err != nil {
			// Only the route and the reason: never the body or a secret.
			log.Warn("webhook refused: not authentic", slog.String("reason", err.Error()))
			return fail(http.StatusUnauthorized, outcomeUnauthorized, "not authentic")
		}
		if !json.Valid(body) {
			log.Warn("webhook refused: body is not JSON")
			return fail(http.StatusBadRequest, outcomeBadRequest, "body is not JSON")
		}
		m := r.mapBody(body)
		if len(m.events) == 0 && len(m.problems) == 0 {
			log.Debug("webhook maps to nothing")
			s.m.deliveries.WithLabelValues(r.connector, outcomeUnmapped).Inc()
			return c.JSON(http.StatusAccepted, answer{Status: "ignored"})
		}
		msgs, events, problems := s.messages(r, body, m, receivedAt)
		ctx, cancel := context.WithTimeout(c.Request().Context(), r.timeout)
		defer cancel()
		start := time.Now()
		err = s.cfg.Publisher.Publish(ctx, msgs)
		s.m.publish.WithLabelValues(r.connector).Observe(time.Since(start).Seconds())
		if err != nil {
			log.Warn("webhook not published: the broker did not acknowledge it; the vendor will retry", slog.Any("err", err))
			return fail(http.StatusServiceUnavailable, outcomeUnavailable, "the event broker is unavailable; retry later")
		}
		ids := make([]string, len(events))
		for i, ev := range events {
			ids[i] = ev.EventID
			s.m.events.WithLabelValues(r.connector, ev.Type).Inc()
		}
		outcome := outcomePublished
		if len(problems) > 0 {
			outcome = outcomeDeadLettered
			log.Warn("webhook partly unmappable: dead-lettered", slog.String("reason", strings.Join(problems, "; ")), slog.Any("event_ids", ids))
		} else {
			log.Info("webhook published", slog.Any("event_ids", ids))
		}
		s.m.deliveries.WithLabelValues(r.connector, outcome).Inc()
		return c.JSON(http.StatusAccepted, answer{Status: "accepted", Events: len(events)})
	}
}

// messages are the Kafka messages of one mapped delivery: each event that
// passes SPEC §1's validation on its topic, the dead-letter message when
// anything could not be mapped, and the raw delivery.
func (s *Server) messages(r route, body []byte, m mapping, receivedAt time.Time) ([]kafka.Message, []Event, []string) {
	msgs, events, problems := eventMessages(s.cfg.TopicPrefix, m, receivedAt)
	at := []byte(receivedAt.UTC().Format(time.RFC3339Nano))
	headers := func(extra ...kafka.Header) []kafka.Header {
		return append([]kafka.Header{
			{Key: "connector", Value: []byte(r.connector)},
			{Key: "route", Value: []byte(r.template())},
			{Key: "received_at", Value: at},
		}, extra...)
	}
	if len(problems) > 0 {
		msgs = append(msgs, kafka.Message{
			Topic: s.cfg.TopicPrefix + string(trustlens.DeadLetter),
			Key:   []byte(r.connector),
			Value: body,
			Headers: headers(
				kafka.Header{Key: "source_topic", Value: []byte(s.cfg.TopicPrefix + WebhooksTopic)},
				kafka.Header{Key: "reason", Value: []byte(strings.Join(problems, "; "))},
			),
		})
	}
	msgs = append(msgs, kafka.Message{
		Topic:   s.cfg.TopicPrefix + WebhooksTopic,
		Key:     []byte(r.connector),
		Value:   body,
		Headers: headers(),
	})
	return msgs, events, problems
}

// eventMessages are the messages of the events of m that pass SPEC §1's
// validation on their topic; the others join m's problems.
func eventMessages(prefix string, m mapping, now time.Time) ([]kafka.Message, []Event, []string) {
	problems := append([]string(nil), m.problems...)
	var (
		msgs   []kafka.Message
		events []Event
	)
	for _, ev := range m.events {
		raw, err := ev.encode()
		if err == nil {
			_, err = trustlens.Decode(trustlens.StreamOfType(ev.Type), raw, now)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("event %s: %v", ev.EventID, err))
			continue
		}
		events = append(events, ev)
		msgs = append(msgs, kafka.Message{
			Topic: prefix + string(trustlens.StreamOfType(ev.Type)),
			Key:   ev.key(),
			Value: raw,
		})
	}
	return msgs, events, problems
}

// WebhooksTopic is the topic of the raw deliveries (after the prefix).
const WebhooksTopic = "webhooks"
