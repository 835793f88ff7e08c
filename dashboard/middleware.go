package dashboard

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Keys of values kept on the Echo context.
const (
	ctxRequestID = "trustlens.request_id"
	ctxLogger    = "trustlens.logger"
)

// ContentSecurityPolicy lets pages load scripts, styles, images and data
// only from the dashboard itself.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// errOverloaded is the answer when every slot is busy and the queue is full
// or the wait for a slot ran out (load shedding: 429 with Retry-After).
var errOverloaded = &statusError{Status: http.StatusTooManyRequests, Msg: "too many requests at once; retry in a second"}

// requestID returns the id of the request (X-Request-ID).
func requestID(c echo.Context) string {
	id, _ := c.Get(ctxRequestID).(string)
	return id
}

// logger is the server's logger with the request id of c.
func (s *Server) logger(c echo.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger).(*slog.Logger); ok {
		return l
	}
	return s.log
}

// withRequestID takes X-Request-ID from the request when it is a sane token
// (at most 64 of [A-Za-z0-9._:-]) or makes one, echoes it in the response and
// puts it in every log line of the request.
func (s *Server) withRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !saneRequestID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		c.Set(ctxRequestID, id)
		c.Set(ctxLogger, s.log.With(slog.String("request_id", id)))
		return next(c)
	}
}

func saneRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._:-", r)
		if !ok {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// securityHeaders sets the CSP and the other hardening headers on every
// answer; API answers are not cached.
func (s *Server) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		if strings.HasPrefix(c.Request().URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// observe runs the error handler for errors of the chain (so that the
// status is known), then records the latency histogram by route pattern and
// logs the request (health and metrics probes at debug level).
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		took := time.Since(start)
		req, res := c.Request(), c.Response()
		route := routeLabel(c)
		if s.latency != nil {
			s.latency.WithLabelValues(route, methodLabel(req.Method), strconv.Itoa(res.Status)).Observe(took.Seconds())
		}
		level := slog.LevelInfo
		if route == "/healthz" || route == "/readyz" || route == "/metrics" {
			level = slog.LevelDebug
		}
		s.logger(c).LogAttrs(req.Context(), level, "http request",
			slog.String("method", req.Method),
			slog.String("path", clip(req.URL.Path)),
			slog.String("route", route),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000),
			slog.String("remote", req.RemoteAddr),
		)
		return nil
	}
}

// routeLabel is the route pattern of c ("/api/v1/incidents/:id"), or
// "unmatched" for a request no route matched.
func routeLabel(c echo.Context) string {
	if p := c.Path(); p != "" {
		return p
	}
	return "unmatched"
}

// methodLabel keeps the method label to the standard methods.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// recoverPanic turns a panic of a handler into a 500 (the stack is logged)
// so the server keeps serving.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if r == http.ErrAbortHandler {
				panic(r)
			}
			s.logger(c).Error("dashboard: handler panicked",
				slog.String("panic", fmt.Sprint(r)), slog.String("stack", string(debug.Stack())))
			err = &statusError{Status: http.StatusInternalServerError, Msg: "internal error", Cause: fmt.Errorf("panic: %v", r)}
		}()
		return next(c)
	}
}

// timeout bounds the request's context by cfg.RequestTimeout; the store's
// queries end with it.
func (s *Server) timeout(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// unlimited routes bypass the concurrency limit: probes, metrics, assets
// and the login form are cheap and must answer under load.
func unlimited(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/metrics", "/login", "/logout":
		return true
	}
	return strings.HasPrefix(route, "/static/")
}

// limit lets cfg.MaxConcurrent API/page requests run at once; the next ones
// wait up to cfg.QueueWait (at most cfg.MaxQueued of them), then get 429
// with Retry-After.
func (s *Server) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if unlimited(c.Path()) {
			return next(c)
		}
		if err := s.acquire(c.Request().Context()); err != nil {
			return err
		}
		defer func() { <-s.slots }()
		return next(c)
	}
}

// acquire takes a slot, waiting in the queue when allowed.
func (s *Server) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
		return nil
	default:
	}
	if s.cfg.QueueWait < 0 {
		return errOverloaded
	}
	select {
	case s.waiting <- struct{}{}:
	default:
		return errOverloaded
	}
	defer func() { <-s.waiting }()
	t := time.NewTimer(s.cfg.QueueWait)
	defer t.Stop()
	select {
	case s.slots <- struct{}{}:
		return nil
	case <-t.C:
		return errOverloaded
	case <-ctx.Done():
		return ctx.Err()
	}
}
