// Package alert sends the overdue alerts of SPEC §3 and keeps the overdue
// gauges of serve's /metrics.
//
// A Monitor looks at the open incidents every Config.Every. Each overdue
// episode — an open incident silent past its severity's cadence target,
// from its last update point (or its detection) until the next one — gets
// one JSON POST to TRUSTLENS_ALERT_WEBHOOK_URL, with a Slack- and
// Mattermost-compatible "text". Across several serve processes one
// process sends it (Claims, a row in ClickHouse claimed before sending);
// a failed POST is retried with exponential backoff until the receiver
// takes it or the process stops. Deliveries run on their own goroutines
// with their own HTTP client, so a slow or dead receiver never holds up a
// dashboard request.
package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens"
)

// Source is what the monitor reads (implemented by *analytics.Store).
type Source interface {
	Overdue(ctx context.Context) ([]trustlens.Overdue, error)
	Incidents(ctx context.Context, f trustlens.Filter) (trustlens.IncidentPage, error)
	UpdatePoints(ctx context.Context, ids []string) (map[string][]time.Time, error)
}

// Outcome is what a claim found.
type Outcome int

const (
	// Held: another live process sends the episode (look again later: it
	// may stop before it succeeds).
	Held Outcome = iota
	// Won: this process sends it.
	Won
	// Done: it was sent.
	Done
)

// Claimer decides which process sends an episode (Claims).
type Claimer interface {
	Claim(ctx context.Context, episode, incidentID string) (Outcome, error)
	// Renew keeps the claim alive between attempts and reports whether
	// this process still holds it.
	Renew(ctx context.Context, episode, incidentID string) (bool, error)
	// Sent records that the receiver took the episode's alert.
	Sent(ctx context.Context, episode, incidentID string) error
}

// Config tunes a Monitor.
type Config struct {
	// WebhookURL receives the alerts; "" keeps only the gauges.
	WebhookURL string
	// PublicURL is the dashboard's address as people open it; an alert's
	// url is its incident page under it.
	PublicURL string
	// Claims is required with a WebhookURL.
	Claims     Claimer
	Every      time.Duration // between looks (default 15 s)
	Timeout    time.Duration // of one POST (default 10 s)
	MinBackoff time.Duration // first retry delay (default 1 s), doubled up to MaxBackoff
	MaxBackoff time.Duration // default 1 min
	Client     *http.Client  // default: a client with Timeout
	Logger     *slog.Logger
	Registerer prometheus.Registerer // receives the gauges; nil = none
	Now        func() time.Time      // the figures' clock (default time.Now)
}

// Message is the JSON body of an alert (SPEC §3).
type Message struct {
	Text           string `json:"text"`
	IncidentID     string `json:"incident_id"`
	Title          string `json:"title"`
	Severity       string `json:"severity"`
	SilenceSeconds int64  `json:"silence_seconds"`
	TargetSeconds  int64  `json:"target_seconds"`
	LastUpdateAt   string `json:"last_update_at"`
	URL            string `json:"url"`
}

// Monitor watches for overdue incidents.
type Monitor struct {
	src    Source
	cfg    Config
	log    *slog.Logger
	hook   string
	public string

	overdue  prometheus.Gauge
	silence  prometheus.Gauge
	sent     prometheus.Counter
	failures prometheus.Counter

	mu      sync.Mutex
	pending map[string]bool // episodes being delivered by this process
	done    map[string]bool // episodes this process finished (sent or lost the claim)
	wg      sync.WaitGroup
}

// New checks cfg and builds a monitor.
func New(src Source, cfg Config) (*Monitor, error) {
	if cfg.Every <= 0 {
		cfg.Every = 15 * time.Second
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = time.Second
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(cfg.MinBackoff, time.Minute)
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: cfg.Timeout}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Monitor{src: src, cfg: cfg, log: cfg.Logger, pending: map[string]bool{}, done: map[string]bool{}}
	if cfg.WebhookURL != "" {
		if err := checkURL(cfg.WebhookURL); err != nil {
			return nil, fmt.Errorf("alert: TRUSTLENS_ALERT_WEBHOOK_URL: %w", err)
		}
		if cfg.Claims == nil {
			return nil, errors.New("alert: a webhook needs Claims")
		}
		m.hook = cfg.WebhookURL
	}
	if cfg.PublicURL != "" {
		if err := checkURL(cfg.PublicURL); err != nil {
			return nil, fmt.Errorf("alert: TRUSTLENS_PUBLIC_URL: %w", err)
		}
		m.public = strings.TrimRight(cfg.PublicURL, "/")
	}
	m.overdue = prometheus.NewGauge(prometheus.GaugeOpts{Name: "trustlens_incidents_overdue",
		Help: "Open incidents silent past their severity's update cadence target."})
	m.silence = prometheus.NewGauge(prometheus.GaugeOpts{Name: "trustlens_longest_open_silence_seconds",
		Help: "The longest current silence (since detection or the last update) of an open incident."})
	m.sent = prometheus.NewCounter(prometheus.CounterOpts{Name: "trustlens_alerts_sent_total",
		Help: "Overdue alerts the webhook accepted (from this process)."})
	m.failures = prometheus.NewCounter(prometheus.CounterOpts{Name: "trustlens_alert_failures_total",
		Help: "Failed webhook attempts (each retried)."})
	if cfg.Registerer != nil {
		for _, c := range []prometheus.Collector{m.overdue, m.silence, m.sent, m.failures} {
			if err := cfg.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("alert: register metrics: %w", err)
			}
		}
	}
	return m, nil
}

// checkURL accepts an absolute http(s) URL.
func checkURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("not an http(s) URL: %q", raw)
	}
	return nil
}

// Run looks every cfg.Every until ctx ends, then waits for the deliveries
// in flight (which end with ctx).
func (m *Monitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.cfg.Every)
	defer t.Stop()
	defer m.wg.Wait()
	for {
		if err := m.Check(ctx); err != nil && ctx.Err() == nil {
			m.log.Warn("alert: check", slog.Any("err", err))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Wait blocks until the deliveries started so far have ended.
func (m *Monitor) Wait() { m.wg.Wait() }

// Episode names an overdue episode: the incident and the instant its
// silence began.
func Episode(o trustlens.Overdue) string {
	return o.IncidentID + "@" + strconv.FormatInt(o.LastUpdateAt.Unix(), 10)
}

// Check looks once: it sets the gauges and starts a delivery for every
// overdue episode this process has not handled yet.
func (m *Monitor) Check(ctx context.Context) error {
	list, err := m.src.Overdue(ctx)
	if err != nil {
		return err
	}
	m.overdue.Set(float64(len(list)))
	if err := m.setSilence(ctx); err != nil {
		return err
	}
	if m.hook == "" {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	current := make(map[string]bool, len(list))
	for _, o := range list {
		current[Episode(o)] = true
	}
	for ep := range m.done { // an ended episode never comes back (Claims remembers it anyway)
		if !current[ep] {
			delete(m.done, ep)
		}
	}
	for _, o := range list {
		ep := Episode(o)
		if m.pending[ep] || m.done[ep] {
			continue
		}
		m.pending[ep] = true
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			finished := m.deliver(ctx, o, ep)
			m.mu.Lock()
			delete(m.pending, ep)
			if finished {
				m.done[ep] = true
			}
			m.mu.Unlock()
		}()
	}
	return nil
}

// setSilence sets the longest current silence of the open incidents.
func (m *Monitor) setSilence(ctx context.Context) error {
	page, err := m.src.Incidents(ctx, trustlens.Filter{Status: "open"})
	if err != nil {
		return err
	}
	ids := make([]string, len(page.Incidents))
	for i, inc := range page.Incidents {
		ids[i] = inc.IncidentID
	}
	pts, err := m.src.UpdatePoints(ctx, ids)
	if err != nil {
		return err
	}
	now := m.cfg.Now()
	var longest time.Duration
	for _, inc := range page.Incidents {
		last := inc.DetectedAt
		for _, p := range pts[inc.IncidentID] {
			if p.After(last) && !p.After(now) {
				last = p
			}
		}
		longest = max(longest, now.Sub(last))
	}
	m.silence.Set(longest.Truncate(time.Second).Seconds())
	return nil
}

// message is the alert of o.
func (m *Monitor) message(o trustlens.Overdue) Message {
	link := "/incidents/" + url.PathEscape(o.IncidentID)
	if m.public != "" {
		link = m.public + link
	}
	title := o.Title
	if title == "" {
		title = o.IncidentID
	}
	return Message{
		Text: fmt.Sprintf("Incident %s (%s) %q has had no update for %s, past its %s update target; last update %s. %s",
			o.IncidentID, o.Severity, title, human(o.SilenceSeconds), human(o.TargetSeconds),
			o.LastUpdateAt.UTC().Format("2 Jan 15:04 UTC"), link),
		IncidentID: o.IncidentID, Title: o.Title, Severity: o.Severity,
		SilenceSeconds: o.SilenceSeconds, TargetSeconds: o.TargetSeconds,
		LastUpdateAt: o.LastUpdateAt.UTC().Format(time.RFC3339), URL: link,
	}
}

// human writes seconds as "2 h 5 min", "45 min", "30 s".
func human(sec int64) string {
	d := time.Duration(sec) * time.Second
	h, mnt := int64(d/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case h > 0 && mnt > 0:
		return fmt.Sprintf("%d h %d min", h, mnt)
	case h > 0:
		return fmt.Sprintf("%d h", h)
	case mnt > 0:
		return fmt.Sprintf("%d min", mnt)
	}
	return fmt.Sprintf("%d s", sec)
}

// deliver claims and sends one episode's alert, retrying with backoff.
// It reports whether the episode is finished (sent); false when another
// live process holds it (the next Check looks again, and takes it over
// once that process stopped) or ctx ended first.
func (m *Monitor) deliver(ctx context.Context, o trustlens.Overdue, ep string) bool {
	body, err := json.Marshal(m.message(o))
	if err != nil { // cannot happen: plain strings and numbers
		m.log.Error("alert: encode", slog.Any("err", err))
		return true
	}
	log := m.log.With(slog.String("incident_id", o.IncidentID), slog.String("episode", ep))
	delay := m.cfg.MinBackoff
	wait := func() bool {
		d := delay/2 + rand.N(delay/2+1) // jitter: several processes do not retry in step
		delay = min(2*delay, m.cfg.MaxBackoff)
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	for {
		outcome, err := m.cfg.Claims.Claim(ctx, ep, o.IncidentID)
		if err == nil && outcome == Done {
			return true
		}
		if err == nil && outcome == Held {
			return false
		}
		if err == nil {
			break
		}
		log.Warn("alert: claim failed; retrying", slog.Any("err", err))
		if !wait() {
			return false
		}
	}
	delay = m.cfg.MinBackoff
	for {
		err := m.post(ctx, body)
		if err == nil {
			break
		}
		m.failures.Inc()
		log.Warn("alert: webhook failed; retrying", slog.Any("err", err))
		if !wait() {
			return false
		}
		switch still, err := m.cfg.Claims.Renew(ctx, ep, o.IncidentID); {
		case err != nil:
			log.Warn("alert: renewing the claim failed; retrying anyway", slog.Any("err", err))
		case !still: // taken over (this process was thought stopped) or sent
			return true
		}
	}
	m.sent.Inc()
	log.Info("alert: sent")
	for {
		err := m.cfg.Claims.Sent(ctx, ep, o.IncidentID)
		if err == nil {
			return true
		}
		log.Warn("alert: recording the sent alert failed; retrying", slog.Any("err", err))
		if !wait() {
			return true // sent; this process will not send it again
		}
	}
}

// post sends one attempt; a 2xx answer is success.
func (m *Monitor) post(ctx context.Context, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, m.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.hook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := m.cfg.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}
