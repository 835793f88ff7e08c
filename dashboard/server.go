// Package dashboard serves the trustlens HTTP API and the server-rendered
// pages of SPEC §3 with Echo. It reads figures through the Analytics
// interface (implemented by *analytics.Store) and never imports analytics.
package dashboard

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens"
)

// Analytics is what the dashboard needs from the analytics store.
type Analytics interface {
	Policy() trustlens.Policy
	Ping(ctx context.Context) error
	Summary(ctx context.Context, f trustlens.Filter) (trustlens.Summary, error)
	Incidents(ctx context.Context, f trustlens.Filter) (trustlens.IncidentPage, error)
	// Incident wraps trustlens.ErrNotFound when the id is unknown.
	Incident(ctx context.Context, id string) (trustlens.IncidentDetail, error)
	Overdue(ctx context.Context) ([]trustlens.Overdue, error)
	// UpdatesDue lists every open incident with when its next update is
	// due, the most urgent first.
	UpdatesDue(ctx context.Context) ([]trustlens.UpdateDue, error)
	// UpdatePoints are the update instants at or after detection of each
	// known incident of ids, in order (unknown ids are left out).
	UpdatePoints(ctx context.Context, ids []string) (map[string][]time.Time, error)
	Churn(ctx context.Context, f trustlens.Filter) (trustlens.Churn, error)
	Compensation(ctx context.Context, f trustlens.Filter) (trustlens.Compensation, error)
	Trend(ctx context.Context, metric, interval string, f trustlens.Filter) (trustlens.Trend, error)
	// Spread counts the incidents of f by habit verdict, and those
	// acknowledged within each of bounds seconds (trustlens.SpreadOf).
	Spread(ctx context.Context, f trustlens.Filter, bounds []int64) (trustlens.Spread, error)
}

// Config tunes the server. The zero value works: no auth, no metrics,
// 15 s request timeout, 64 concurrent requests, 1024 more queued.
type Config struct {
	Logger *slog.Logger
	// AuthToken is TRUSTLENS_AUTH_TOKEN; "" turns authentication off.
	AuthToken string
	// Registerer receives the per-route latency histogram; nil = none.
	Registerer prometheus.Registerer
	// Gatherer is served at /metrics when non-nil.
	Gatherer prometheus.Gatherer
	// Ready is an extra readiness check (e.g. ingest healthy); nil = only
	// Analytics.Ping.
	Ready func(ctx context.Context) error
	// RequestTimeout bounds every request once it has a slot (default 15 s);
	// the wait for a slot is bounded by QueueWait.
	RequestTimeout time.Duration
	// Now is the clock used for the default 90-day range (default time.Now).
	Now func() time.Time
	// MaxConcurrent API/page requests run at once (default 64); more wait
	// in a queue for a slot. A request is shed (429 Too Many Requests with
	// Retry-After) only when the queue is full or its wait ran out: a
	// healthy server never answers 503.
	MaxConcurrent int
	// QueueWait is how long a request waits for a free slot (default 10 s;
	// negative: do not wait).
	QueueWait time.Duration
	// Classify reads the habits from a message's words (SPEC §7); the
	// incident page and API use it to show the words that decided each
	// stored flag. nil shows the flags without their evidence.
	Classify func(text string, at time.Time) trustlens.Classification
	// MaxQueued requests may wait at once (default 1024, at least
	// 4 × MaxConcurrent); the next ones are shed at once.
	MaxQueued int
}

// Defaults applied by New.
const (
	DefaultRequestTimeout = 15 * time.Second
	DefaultMaxConcurrent  = 64
	DefaultQueueWait      = 10 * time.Second
	DefaultMaxQueued      = 1024
)

// Server is the dashboard: API, pages, health and metrics on one Echo
// instance.
type Server struct {
	analytics Analytics
	cfg       Config
	log       *slog.Logger
	echo      *echo.Echo

	slots   chan struct{} // one token per running API/page request
	waiting chan struct{} // one token per request waiting for a slot
	latency *prometheus.HistogramVec
}

// New builds the server and registers every route.
func New(a Analytics, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.QueueWait == 0 {
		cfg.QueueWait = DefaultQueueWait
	}
	if cfg.MaxQueued <= 0 {
		cfg.MaxQueued = max(DefaultMaxQueued, 4*cfg.MaxConcurrent)
	}
	s := &Server{
		analytics: a,
		cfg:       cfg,
		log:       cfg.Logger,
		slots:     make(chan struct{}, cfg.MaxConcurrent),
		waiting:   make(chan struct{}, cfg.MaxQueued),
	}
	if cfg.Registerer != nil {
		s.latency = registerLatency(cfg.Registerer)
		if s.latency == nil {
			s.log.Warn("dashboard: cannot register trustlens_http_request_duration_seconds; latency not recorded")
		}
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = s.handleError
	s.echo = e
	s.routes()
	return s
}

// Handler is the http.Handler to serve (the Echo instance).
func (s *Server) Handler() http.Handler { return s.echo }

// now is the server's clock in UTC.
func (s *Server) now() time.Time { return s.cfg.Now().UTC() }

// registerLatency registers trustlens_http_request_duration_seconds, or
// reuses the one already registered (two servers on one registry).
func registerLatency(r prometheus.Registerer) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "trustlens_http_request_duration_seconds",
		Help:    "HTTP request latency by route pattern, method and status.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route", "method", "status"})
	if err := r.Register(h); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.HistogramVec); ok {
				return existing
			}
		}
		return nil
	}
	return h
}
