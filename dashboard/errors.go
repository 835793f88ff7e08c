package dashboard

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// paramError is a bad query or path parameter: 400, and the message names
// the parameter ("severity: must be one of …").
type paramError struct {
	Param string
	Msg   string
}

func (e *paramError) Error() string { return e.Param + ": " + e.Msg }

// badParam builds the 400 error for parameter name.
func badParam(name, format string, args ...any) error {
	return &paramError{Param: name, Msg: fmt.Sprintf(format, args...)}
}

// statusError is an error with a status and a message fit for users; Cause
// (if any) is only logged.
type statusError struct {
	Status int
	Msg    string
	Cause  error
}

func (e *statusError) Error() string {
	if e.Cause != nil {
		return e.Msg + ": " + e.Cause.Error()
	}
	return e.Msg
}

func (e *statusError) Unwrap() error { return e.Cause }

// statusClientClosed is logged for a request whose client went away before
// its answer (nginx's "499 Client Closed Request"); no client sees it.
const statusClientClosed = 499

// errorStatus maps an error to the status and the message users see. The
// request context tells a timeout from other failures even when the store
// did not wrap context.DeadlineExceeded.
func (s *Server) errorStatus(c echo.Context, err error) (int, string) {
	ctx := c.Request().Context()
	var pe *paramError
	var se *statusError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &pe):
		return http.StatusBadRequest, pe.Error()
	case errors.As(err, &se):
		return se.Status, se.Msg
	case errors.As(err, &he):
		switch {
		case he.Code == http.StatusNotFound:
			return he.Code, "not found: " + clip(c.Request().URL.Path)
		case he.Code >= 500:
			return he.Code, strings.ToLower(http.StatusText(he.Code))
		}
		if m, ok := he.Message.(string); ok && m != "" && m != http.StatusText(he.Code) {
			return he.Code, m
		}
		return he.Code, strings.ToLower(http.StatusText(he.Code))
	case errors.Is(err, trustlens.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) || deadlinePassed(ctx):
		return http.StatusGatewayTimeout, fmt.Sprintf("the request took longer than %s; narrow the date range or try again", s.cfg.RequestTimeout)
	case errors.Is(err, context.Canceled):
		// the client went away: nobody reads this answer (nginx's 499)
		return statusClientClosed, "the client closed the request"
	}
	return http.StatusInternalServerError, "internal error"
}

// deadlinePassed is true once ctx's deadline has passed, even before its
// timer marks it done: the ClickHouse driver puts the deadline on the
// socket, whose read can fail with a plain "i/o timeout" a moment earlier.
func deadlinePassed(ctx context.Context) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// handleError is Echo's HTTPErrorHandler: JSON {"error": …} for /api/*
// and the health routes, an HTML page otherwise (404s go to notFoundPage).
// Causes of 5xx answers are logged with the request id, never shown.
func (s *Server) handleError(err error, c echo.Context) {
	req := c.Request()
	status, msg := s.errorStatus(c, err)
	log := s.logger(c)
	switch {
	case status == http.StatusTooManyRequests || status == statusClientClosed: // shed, or the client left
		log.Warn("dashboard: request not served", slog.Int("status", status), slog.String("error", err.Error()))
	case status >= 500:
		msg += " (request id " + requestID(c) + ")"
		log.Error("dashboard: request failed", slog.Int("status", status), slog.String("error", err.Error()))
	case status != http.StatusNotFound:
		log.Debug("dashboard: request rejected", slog.Int("status", status), slog.String("error", err.Error()))
	}
	if c.Response().Committed {
		return
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		c.Response().Header().Set("Retry-After", "1")
	}
	var werr error
	switch {
	case req.Method == http.MethodHead:
		werr = c.NoContent(status)
	case wantsJSON(c):
		werr = c.JSON(status, map[string]string{"error": msg})
	case status == http.StatusNotFound:
		werr = s.notFoundPage(c, msg)
		if werr != nil && !c.Response().Committed {
			werr = s.errorPage(c, status, msg)
		}
	default:
		werr = s.errorPage(c, status, msg)
	}
	if werr != nil {
		log.Error("dashboard: write error answer", slog.String("error", werr.Error()))
	}
}

// wantsJSON is true for the API, health and metrics routes: they answer
// errors in JSON, pages answer in HTML.
func wantsJSON(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics"
}

var errorPageTmpl = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Status}} {{.Text}} · trustlens</title>
</head>
<body>
<main>
<h1>{{.Status}} {{.Text}}</h1>
<p>{{.Msg}}</p>
<p><a href="/">Back to the overview</a></p>
</main>
</body>
</html>
`))

// errorPage renders a minimal HTML error page (status other than 404, or a
// notFoundPage that failed).
func (s *Server) errorPage(c echo.Context, status int, msg string) error {
	var b strings.Builder
	if err := errorPageTmpl.Execute(&b, map[string]any{
		"Status": strconv.Itoa(status), "Text": http.StatusText(status), "Msg": msg,
	}); err != nil {
		return err
	}
	return c.HTML(status, b.String())
}
