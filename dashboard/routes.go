package dashboard

import (
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes registers the middleware and every route of the dashboard.
//
// Middleware, outermost first: request id, as-of (asof.go), security
// headers, logging and latency (which also runs the error handler), panic
// recovery, authentication, concurrency limit, request timeout. The timeout starts
// once the request has a slot: the wait for one is bounded by QueueWait on
// its own, so a request that queued under load still gets its whole budget
// instead of timing out (504) on work it was admitted to do.
func (s *Server) routes() {
	e := s.echo
	e.Use(s.withRequestID, s.withAsOf, s.securityHeaders, s.observe, s.recoverPanic, s.authenticate, s.limit, s.timeout)

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/healthz", s.healthz)
	e.HEAD("/readyz", s.readyz)
	if s.cfg.Gatherer != nil {
		e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(s.cfg.Gatherer, promhttp.HandlerOpts{})))
	}

	e.GET("/api/v1/summary", s.apiSummary)
	e.GET("/api/v1/incidents", s.apiIncidents)
	e.GET("/api/v1/incidents/:id", s.apiIncident)
	e.GET("/api/v1/cadence/overdue", s.apiOverdue)
	e.GET("/api/v1/cadence/due", s.apiDue)
	e.GET("/api/v1/churn", s.apiChurn)
	e.GET("/api/v1/compensation", s.apiCompensation)
	e.GET("/api/v1/trends", s.apiTrends)
	e.GET("/api/v1/customers", s.apiCustomers)
	e.GET("/api/v1/customers/:id", s.apiCustomer)

	e.GET("/", s.overviewPage)
	e.GET("/audit", s.auditPage)
	e.GET("/incidents/:id", s.incidentPage)
	e.GET("/churn", s.churnPage)
	e.GET("/compensation", s.compensationPage)
	e.GET("/customers", s.customersPage)
	e.GET("/customers/:id", s.customerPage)
	e.GET("/static/*", s.staticFiles)

	e.GET("/login", s.loginForm)
	e.POST("/login", s.login)
	e.GET("/logout", s.logout)
	e.POST("/logout", s.logout)
}
