package dashboard

// Placeholder pages so that the package compiles until the real pages land.
// The pages engineer deletes this file when their implementations arrive.

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

func (s *Server) overviewPage(c echo.Context) error {
	return c.String(http.StatusOK, "trustlens overview (pages not built yet)")
}

func (s *Server) auditPage(c echo.Context) error {
	return c.String(http.StatusOK, "trustlens audit (pages not built yet)")
}

func (s *Server) incidentPage(c echo.Context) error {
	return c.String(http.StatusOK, "trustlens incident (pages not built yet)")
}

func (s *Server) churnPage(c echo.Context) error {
	return c.String(http.StatusOK, "trustlens churn (pages not built yet)")
}

func (s *Server) compensationPage(c echo.Context) error {
	return c.String(http.StatusOK, "trustlens compensation (pages not built yet)")
}

func (s *Server) notFoundPage(c echo.Context, msg string) error {
	return c.String(http.StatusNotFound, "not found: "+msg)
}
