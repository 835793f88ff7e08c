package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// CustomerAnalytics is what the worklist routes need. The Analytics given
// to New provides them when it implements this interface
// (*analytics.Store does); otherwise the routes answer 501.
type CustomerAnalytics interface {
	Customers(ctx context.Context, f trustlens.CustomerFilter) (trustlens.CustomerPage, error)
	// Customer wraps trustlens.ErrNotFound when no incident in range
	// affected the customer.
	Customer(ctx context.Context, id string, f trustlens.Filter) (trustlens.CustomerDetail, error)
}

// customerParams are the query parameters of GET /api/v1/customers.
var customerParams = []string{"from", "to", "severity", "needs", "limit", "offset", "format"}

var needsValues = []string{trustlens.NeedsFollowUp, trustlens.NeedsAll}

// customersAnswer is GET /api/v1/customers.
type customersAnswer struct {
	Customers []trustlens.Customer `json:"customers"`
	Total     int64                `json:"total"`
	Limit     int                  `json:"limit"`
	Offset    int                  `json:"offset"`
	Policy    trustlens.Policy     `json:"policy"`
}

// customerAnswer is GET /api/v1/customers/{id}.
type customerAnswer struct {
	trustlens.CustomerDetail
	Policy trustlens.Policy `json:"policy"`
}

// customerAnalytics is s.analytics as CustomerAnalytics, or a 501.
func (s *Server) customerAnalytics() (CustomerAnalytics, error) {
	ca, ok := s.analytics.(CustomerAnalytics)
	if !ok {
		return nil, &statusError{Status: http.StatusNotImplemented, Msg: "the customer worklist is not available from this analytics backend"}
	}
	return ca, nil
}

// parseCustomerFilter reads the worklist's parameters (from, to,
// severity, needs, limit, offset).
func (s *Server) parseCustomerFilter(c echo.Context) (trustlens.CustomerFilter, error) {
	f, err := parseFilter(c, s.now())
	if err != nil {
		return trustlens.CustomerFilter{}, err
	}
	needs, err := oneOf(c, "needs", needsValues)
	if err != nil {
		return trustlens.CustomerFilter{}, err
	}
	return trustlens.CustomerFilter{Filter: f, Needs: needs}, nil
}

// apiCustomers answers GET /api/v1/customers?from=&to=&severity=&needs=&limit=&offset=&format=.
func (s *Server) apiCustomers(c echo.Context) error {
	if err := checkParams(c, customerParams...); err != nil {
		return err
	}
	f, err := s.parseCustomerFilter(c)
	if err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	ca, err := s.customerAnalytics()
	if err != nil {
		return err
	}
	page, err := ca.Customers(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("dashboard: customers: %w", err)
	}
	rows := normalizeCustomers(page.Customers)
	if format == "csv" {
		cells := make([][]string, len(rows))
		for i, r := range rows {
			cells[i] = csvCustomerRow(r)
		}
		c.Response().Header().Set("X-Total-Count", strconv.FormatInt(page.Total, 10))
		return writeCSV(c, "customers", csvCustomerHeader, cells)
	}
	return answerJSON(c, customersAnswer{
		Customers: rows, Total: page.Total, Limit: f.Limit, Offset: f.Offset, Policy: s.analytics.Policy(),
	})
}

// apiCustomer answers GET /api/v1/customers/{id}?from=&to=&severity=;
// ?format=csv gives the customer's incidents.
func (s *Server) apiCustomer(c echo.Context) error {
	if err := checkParams(c, rangeParams...); err != nil {
		return err
	}
	id, err := parseIncidentID(c)
	if err != nil {
		return err
	}
	f, err := parseFilter(c, s.now())
	if err != nil {
		return err
	}
	format, err := parseFormat(c)
	if err != nil {
		return err
	}
	d, err := s.customerDetail(c.Request().Context(), id, f)
	if err != nil {
		return err
	}
	if format == "csv" {
		cells := make([][]string, len(d.Timeline))
		for i, ci := range d.Timeline {
			cells[i] = csvCustomerIncidentRow(ci)
		}
		return writeCSV(c, "customer-incidents", csvCustomerIncidentHeader, cells)
	}
	return answerJSON(c, customerAnswer{CustomerDetail: d, Policy: s.analytics.Policy()})
}

// customerDetail reads one customer, turning "not found" into a 404.
func (s *Server) customerDetail(ctx context.Context, id string, f trustlens.Filter) (trustlens.CustomerDetail, error) {
	ca, err := s.customerAnalytics()
	if err != nil {
		return trustlens.CustomerDetail{}, err
	}
	d, err := ca.Customer(ctx, id, f)
	if errors.Is(err, trustlens.ErrNotFound) {
		return d, &statusError{Status: http.StatusNotFound, Msg: fmt.Sprintf("no incident in this range affected customer %q", clip(id)), Cause: err}
	}
	if err != nil {
		return d, fmt.Errorf("dashboard: customer %q: %w", id, err)
	}
	rows := normalizeCustomers([]trustlens.Customer{d.Customer})
	d.Customer = rows[0]
	d.Timeline = append([]trustlens.CustomerIncident{}, d.Timeline...)
	return d, nil
}

// normalizeCustomers is a copy of rows (the store's may be shared) with
// times in UTC and no null lists.
func normalizeCustomers(rows []trustlens.Customer) []trustlens.Customer {
	out := append([]trustlens.Customer{}, rows...)
	for i := range out {
		if out[i].IncidentIDs == nil {
			out[i].IncidentIDs = []string{}
		}
		if out[i].ChurnedAt != nil {
			t := out[i].ChurnedAt.UTC()
			out[i].ChurnedAt = &t
		}
	}
	return out
}

var csvCustomerHeader = []string{
	"customer_id", "segment", "mrr", "incidents", "incident_ids", "open_incidents", "followed_up",
	"follow_up_due", "follow_up_missed", "compensation_offered", "compensation_redeemed",
	"apologized_incidents", "apology_fatigue", "tickets", "csat_avg", "churned_at",
}

// csvCustomerRow is one CSV row: incident ids joined by ";".
func csvCustomerRow(r trustlens.Customer) []string {
	return []string{
		csvText(r.CustomerID), csvText(r.Segment), csvFloatP(r.MRR), csvInt(r.Incidents),
		csvText(strings.Join(r.IncidentIDs, ";")), csvInt(r.OpenIncidents), csvInt(r.FollowedUp),
		csvInt(r.FollowUpDue), csvInt(r.FollowUpMissed), csvInt(r.CompensationOffered),
		csvInt(r.CompensationRedeemed), csvInt(r.ApologizedIncidents), csvBool(r.ApologyFatigue),
		csvInt(r.Tickets), csvFloatP(r.CSATAvg), csvTimeP(r.ChurnedAt),
	}
}

var csvCustomerIncidentHeader = []string{
	"incident_id", "title", "severity", "status", "detected_at", "resolved_at", "apologized",
	"follow_up", "follow_up_at", "compensation_offered", "compensation_redeemed", "tickets", "csat_avg",
	"trust_score", "max_silence_seconds",
}

func csvCustomerIncidentRow(ci trustlens.CustomerIncident) []string {
	return []string{
		csvText(ci.IncidentID), csvText(ci.Title), csvText(ci.Severity), csvText(ci.Status),
		csvTime(ci.DetectedAt), csvTimeP(ci.ResolvedAt), csvBool(ci.Apologized), ci.FollowUp,
		csvTimeP(ci.FollowUpAt), csvBool(ci.Offered), csvBool(ci.Redeemed), csvInt(ci.Tickets),
		csvFloatP(ci.CSATAvg), csvIntP(ci.TrustScore), csvInt(ci.MaxSilence),
	}
}
