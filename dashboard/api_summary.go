package dashboard

import (
	"fmt"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// policyEmpty is true when the store left the answer's policy unset.
func policyEmpty(p trustlens.Policy) bool {
	return p.AckTarget == 0 && p.CadenceTarget == nil && p.MinChannels == 0 && p.ChurnWindowDays == 0
}

// policyOr is p, or the store's policy when p is unset.
func (s *Server) policyOr(p trustlens.Policy) trustlens.Policy {
	if policyEmpty(p) {
		return s.analytics.Policy()
	}
	return p
}

// apiSummary answers GET /api/v1/summary?from=&to=&severity=&format=.
func (s *Server) apiSummary(c echo.Context) error {
	if err := checkParams(c, rangeParams...); err != nil {
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
	sum, err := s.analytics.Summary(c.Request().Context(), f)
	if err != nil {
		return fmt.Errorf("dashboard: summary: %w", err)
	}
	sum.Policy = s.policyOr(sum.Policy)
	if format == "csv" {
		return writeCSV(c, "summary", csvSummaryHeader, [][]string{csvSummaryRow(sum)})
	}
	return answerJSON(c, sum)
}

var csvSummaryHeader = []string{
	"incidents", "open_incidents", "incomplete_incidents", "tta_median_seconds", "tta_p90_seconds",
	"ack_within_target_rate", "cadence_compliance_rate", "max_silence_median_seconds", "multi_channel_rate",
	"responsibility_rate", "apology_rate", "postmortem_rate", "compensation_offered_customers",
	"compensation_redeemed_customers", "compensation_uptake_rate", "compensation_offered_amount",
	"compensation_redeemed_amount", "followup_rate", "churn_window_days", "churn_affected_rate",
	"churn_baseline_rate", "churn_uplift_pp", "trust_score_avg", "promise_kept_rate",
	"tickets_per_incident", "csat_affected_avg", "csat_baseline_avg", "tickets_per_hour_silent",
	"tickets_per_hour_updated",
}

func csvSummaryRow(s trustlens.Summary) []string {
	return []string{
		csvInt(s.Incidents), csvInt(s.OpenIncidents), csvInt(s.IncompleteIncidents),
		csvIntP(s.TTAMedianSeconds), csvIntP(s.TTAP90Seconds),
		csvFloatP(s.AckWithinTargetRate), csvFloatP(s.CadenceComplianceRate), csvIntP(s.MaxSilenceMedianSeconds),
		csvFloatP(s.MultiChannelRate), csvFloatP(s.ResponsibilityRate), csvFloatP(s.ApologyRate),
		csvFloatP(s.PostmortemRate), csvInt(s.CompensationOfferedCustomers),
		csvInt(s.CompensationRedeemedCustomers), csvFloatP(s.CompensationUptakeRate),
		csvFloat(s.CompensationOfferedAmount), csvFloat(s.CompensationRedeemedAmount),
		csvFloatP(s.FollowupRate), csvInt(int64(s.ChurnWindowDays)), csvFloatP(s.ChurnAffectedRate),
		csvFloatP(s.ChurnBaselineRate), csvFloatP(s.ChurnUpliftPP), csvFloatP(s.TrustScoreAvg),
		csvFloatP(s.PromiseKeptRate), csvFloatP(s.TicketsPerIncident), csvFloatP(s.CSATAffectedAvg),
		csvFloatP(s.CSATBaselineAvg), csvFloatP(s.TicketsPerHourSilent), csvFloatP(s.TicketsPerHourUpdated),
	}
}
