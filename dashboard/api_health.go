package dashboard

import (
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
)

// healthz answers 200 while the process runs (GET /healthz).
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz answers 200 when the store answers a ping and cfg.Ready passes,
// 503 with {"error": …} otherwise (GET /readyz). Store errors are logged,
// not shown: they can name hosts and users.
func (s *Server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	if err := s.analytics.Ping(ctx); err != nil {
		s.logger(c).Warn("dashboard: not ready: analytics ping failed", slog.String("error", err.Error()))
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "not ready: ClickHouse does not answer"})
	}
	if s.cfg.Ready != nil {
		if err := s.cfg.Ready(ctx); err != nil {
			s.logger(c).Warn("dashboard: not ready", slog.String("error", err.Error()))
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"error": "not ready: " + err.Error()})
		}
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
