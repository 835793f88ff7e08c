package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

const (
	incAJSON = `{"incident_id":"inc-1","title":"API down, EU","severity":"sev1","status":"resolved",
		"detected_at":"2026-11-03T14:00:00Z","resolved_at":"2026-11-03T16:00:00Z","tta_seconds":300,
		"max_silence_seconds":3600,"updates":3,"channels":["email","status_page"],"affected":2,
		"compensation_offered":1,"compensation_redeemed":0,"followed_up":1,"active_affected":2,
		"churned_affected":1,"active_baseline":10,"churned_baseline":1,"trust_score":71,
		"habits":{"act_swiftly":"met","take_responsibility":"met","communicate_proactively":"met",
			"apologize":"met","compensate":"missed","learn":"met","follow_up":"missed"},
		"promises_made":1,"promises_kept":1,"promises_broken":0,"tickets":3,"csat_avg":4.5`
	incBJSON = `{"incident_id":"inc-2","title":"=SUM(A1,\"x\")","severity":"sev3","status":"open",
		"detected_at":"2026-11-30T23:00:00Z","resolved_at":null,"tta_seconds":null,
		"max_silence_seconds":0,"updates":0,"channels":[],"affected":0,
		"compensation_offered":0,"compensation_redeemed":0,"followed_up":0,"active_affected":null,
		"churned_affected":null,"active_baseline":null,"churned_baseline":null,"trust_score":null,
		"habits":{"act_swiftly":"pending","take_responsibility":"pending","communicate_proactively":"pending",
			"apologize":"pending","compensate":"n/a","learn":"pending","follow_up":"n/a"},
		"promises_made":0,"promises_kept":0,"promises_broken":0,"tickets":0,"csat_avg":null}`
)

// TestAPIRoutesJSON checks status and the whole JSON document of every API
// route on the fixture.
func TestAPIRoutesJSON(t *testing.T) {
	tests := []struct {
		name   string
		target string
		status int
		want   string
	}{
		{"summary", "/api/v1/summary", 200, `{"incidents":2,"open_incidents":1,"incomplete_incidents":1,
			"tta_median_seconds":300,"tta_p90_seconds":300,"ack_within_target_rate":0.5,
			"cadence_compliance_rate":null,"max_silence_median_seconds":null,"multi_channel_rate":null,
			"responsibility_rate":null,"apology_rate":null,"postmortem_rate":null,
			"compensation_offered_customers":1,"compensation_redeemed_customers":0,"compensation_uptake_rate":null,
			"compensation_offered_amount":12.5,"compensation_redeemed_amount":0,"followup_rate":null,
			"churn_window_days":30,"churn_affected_rate":null,"churn_baseline_rate":null,"churn_uplift_pp":-2.5,
			"trust_score_avg":null,"promise_kept_rate":null,
			"tickets_per_incident":1.5,"csat_affected_avg":3.25,"csat_baseline_avg":null,
			"tickets_per_hour_silent":null,"tickets_per_hour_updated":0.75,"policy":POLICY}`},
		{"incidents", "/api/v1/incidents", 200,
			`{"incidents":[` + incAJSON + `},` + incBJSON + `],"total":7,"limit":100,"offset":0,"policy":POLICY}`},
		{"incidents paged", "/api/v1/incidents?limit=2&offset=4&format=json", 200,
			`{"incidents":[` + incAJSON + `},` + incBJSON + `],"total":7,"limit":2,"offset":4,"policy":POLICY}`},
		{"incident", "/api/v1/incidents/inc-1", 200, incAJSON + `,
			"timeline":[
				{"event_id":"e1","type":"incident.detected","occurred_at":"2026-11-03T14:00:00Z","detail":"sev1","update_point":false},
				{"event_id":"e2","type":"communication.sent","occurred_at":"2026-11-03T14:05:00Z","detail":"status_page, acknowledgement","update_point":true},
				{"event_id":"e3","type":"incident.customer_affected","occurred_at":"2026-11-03T14:06:00Z","customer_id":"c-1","detail":"enterprise","update_point":false}],
			"gaps":[300,3600,3300],"ticket_times":["2026-11-03T14:10:00Z","2026-11-03T15:30:00Z"],
			"promises":[{"due":"2026-11-03T14:35:00Z","made_at":"2026-11-03T14:05:00Z","made_by":"e2","status":"broken","next_update_at":null,"late_seconds":0}],
			"due":null,"affected_offered":0,
			"policy":POLICY}`},
		{"incident not found", "/api/v1/incidents/nope", 404, `{"error":"incident \"nope\" not found"}`},
		{"overdue", "/api/v1/cadence/overdue", 200, `{"overdue":[{"incident_id":"inc-2","title":"Slow, logins",
			"severity":"sev3","detected_at":"2026-11-30T23:00:00Z","last_update_at":"2026-12-01T00:00:00Z",
			"silence_seconds":43200,"target_seconds":14400}],"policy":POLICY}`},
		{"updates due", "/api/v1/cadence/due", 200, `{"due":[{"incident_id":"inc-3","title":"Search slow","severity":"sev2",
			"detected_at":"2026-12-01T09:00:00Z","last_update_at":"2026-12-01T09:10:00Z","cadence_due_at":"2026-12-01T11:10:00Z","target_seconds":7200,
			"promised_at":"2026-12-01T09:40:00Z","due_at":"2026-12-01T09:40:00Z","by":"promise","seconds_left":600,"overdue":false}],
			"policy":POLICY}`},
		{"churn", "/api/v1/churn?severity=sev1", 200, `{"churn_window_days":30,"pending_incidents":1,
			"incidents":1,"active_affected":2,"churned_affected":1,"active_baseline":10,"churned_baseline":1,
			"affected_rate":0.5,"baseline_rate":0.1,"uplift_pp":40,
			"by_severity":{"sev1":{"incidents":1,"active_affected":2,"churned_affected":1,"active_baseline":10,
				"churned_baseline":1,"affected_rate":0.5,"baseline_rate":0.1,"uplift_pp":40}},
			"drivers":[{"habit":"apologize",
				"met":{"incidents":1,"active_affected":2,"churned_affected":1,"churn_rate":0.5},
				"missed":{"incidents":0,"active_affected":0,"churned_affected":0,"churn_rate":null}}],
			"compensated_active":1,"compensated_churned":0,"uncompensated_active":1,"uncompensated_churned":1,
			"churn_compensated_rate":0,"churn_uncompensated_rate":1,"compensated_mrr":100,"compensated_offered_amount":20,
			"retained_mrr_per_amount":5,
			"lost_mrr_affected":1250.5,"lost_mrr_affected_customers":2,"lost_mrr_affected_unknown":1,
			"lost_mrr_baseline":99,"lost_mrr_baseline_customers":1,"lost_mrr_baseline_unknown":0,
			"policy":POLICY}`},
		{"compensation", "/api/v1/compensation", 200, `{"offered_customers":3,"redeemed_customers":1,
			"offered_amount":30,"redeemed_amount":10,"uptake_rate":0.3333333333333333,"median_days_to_redeem":null,
			"by_type":{
				"credit":{"offered_customers":2,"redeemed_customers":1,"offered_amount":20,"redeemed_amount":10,"uptake_rate":0.5,"median_days_to_redeem":2.5},
				"discount":{"offered_customers":1,"redeemed_customers":0,"offered_amount":10,"redeemed_amount":0,"uptake_rate":0,"median_days_to_redeem":null}},
			"compensated_active":1,"compensated_churned":0,"uncompensated_active":1,"uncompensated_churned":1,
			"churn_compensated_rate":0,"churn_uncompensated_rate":1,"compensated_mrr":100,"compensated_offered_amount":20,
			"retained_mrr_per_amount":5,
			"policy":POLICY}`},
		{"trends", "/api/v1/trends?metric=apology_rate", 200, `{"metric":"apology_rate","interval":"week",
			"points":[{"start":"2026-11-02T00:00:00Z","value":0.5},{"start":"2026-11-09T00:00:00Z","value":null}],
			"policy":POLICY}`},
		{"unknown API route", "/api/v1/nothing", 404, `{"error":"not found: /api/v1/nothing"}`},
		{"empty incident id", "/api/v1/incidents/", 404, `{"error":"not found: /api/v1/incidents/"}`},
		{"healthz", "/healthz", 200, `{"status":"ok"}`},
		{"readyz", "/readyz", 200, `{"status":"ready"}`},
	}
	s := newAPIServer(t, newAPIFake(), nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := apiDo(t, s, http.MethodGet, tt.target, nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q, want application/json", ct)
			}
			assertJSON(t, rec.Body.Bytes(), tt.want)
		})
	}
}

// TestAPIFilterPassed checks the filter each route hands to the store.
func TestAPIFilterPassed(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name     string
		target   string
		want     trustlens.Filter
		metric   string
		interval string
	}{
		{"default range is the last 90 days", "/api/v1/summary",
			trustlens.Filter{From: time.Date(2026, 9, 2, 12, 0, 0, 0, time.UTC), To: apiNow, Limit: 100}, "", ""},
		{"dates and severity", "/api/v1/churn?from=2026-01-01&to=2027-01-01&severity=sev2",
			trustlens.Filter{From: day(2026, 1, 1), To: day(2027, 1, 1), Severity: "sev2", Limit: 100}, "", ""},
		{"RFC 3339 with offset is UTC", "/api/v1/incidents?from=2026-11-01T01:30:00%2B01:00&to=2026-11-02T00:00:00Z&status=open&limit=1000&offset=1000000",
			trustlens.Filter{From: time.Date(2026, 11, 1, 0, 30, 0, 0, time.UTC), To: day(2026, 11, 2), Status: "open", Limit: 1000, Offset: 1000000}, "", ""},
		{"only to: the 90 days before it", "/api/v1/compensation?to=2026-04-01",
			trustlens.Filter{From: day(2026, 1, 1), To: day(2026, 4, 1), Limit: 100}, "", ""},
		{"empty values mean the default", "/api/v1/incidents?severity=&status=&from=&limit=",
			trustlens.Filter{From: time.Date(2026, 9, 2, 12, 0, 0, 0, time.UTC), To: apiNow, Limit: 100}, "", ""},
		{"trend default interval", "/api/v1/trends?metric=trust_score_avg&severity=sev4",
			trustlens.Filter{From: time.Date(2026, 9, 2, 12, 0, 0, 0, time.UTC), To: apiNow, Severity: "sev4", Limit: 100}, "trust_score_avg", "week"},
		{"trend by month", "/api/v1/trends?metric=incidents&interval=month&from=2026-01-01",
			trustlens.Filter{From: day(2026, 1, 1), To: apiNow, Limit: 100}, "incidents", "month"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newAPIFake()
			s := newAPIServer(t, fake, nil)
			rec := apiDo(t, s, http.MethodGet, tt.target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := fake.lastFilter(); got != tt.want {
				t.Errorf("filter\n got %+v\nwant %+v", got, tt.want)
			}
			if fake.metric != tt.metric || fake.interval != tt.interval {
				t.Errorf("trend %q by %q, want %q by %q", fake.metric, fake.interval, tt.metric, tt.interval)
			}
		})
	}
}

// TestAPIBadParams sends a bad value for every parameter of every route
// (and unknown parameters): 400, {"error"} naming the parameter, and the
// store is never asked.
func TestAPIBadParams(t *testing.T) {
	type bad struct{ query, param string }
	rangeBad := []bad{
		{"from=yesterday", "from"},
		{"from=2026-02-30", "from"},
		{"from=2026-11-03T14:05:09", "from"}, // no offset
		{"from=1999-12-31", "from"},
		{"to=2101-01-01", "to"},
		{"to=soon", "to"},
		{"from=2026-06-01&to=2026-05-01", "from"},
		{"from=2026-06-01&to=2026-06-01", "from"},
		{"from=2027-01-01", "from"}, // after the default to (now)
		{"severity=sev9", "severity"},
		{"severity=SEV1", "severity"},
		{"severity=sev1&severity=sev2", "severity"},
		{"format=xml", "format"},
		{"severty=sev1", "severty"},
		{"status=open", "status"}, // not a parameter of this route
		{"limit=5", "limit"},      // not a parameter of this route
		{"q=%zz", "query"},
	}
	listBad := []bad{
		{"from=yesterday", "from"},
		{"to=2026-13-01", "to"},
		{"severity=sev0", "severity"},
		{"status=closed", "status"},
		{"limit=0", "limit"},
		{"limit=1001", "limit"},
		{"limit=ten", "limit"},
		{"limit=1e3", "limit"},
		{"offset=-1", "offset"},
		{"offset=1000001", "offset"},
		{"offset=1.5", "offset"},
		{"format=CSV", "format"},
		{"sort=title", "sort"},
	}
	tests := []struct {
		path string
		bad  []bad
	}{
		{"/api/v1/summary", rangeBad},
		{"/api/v1/churn", rangeBad},
		{"/api/v1/compensation", rangeBad},
		{"/api/v1/incidents", listBad},
		{"/api/v1/incidents/inc-1", []bad{{"format=pdf", "format"}, {"from=2026-01-01", "from"}}},
		{"/api/v1/incidents/" + strings.Repeat("x", 129), []bad{{"", "id"}}},
		{"/api/v1/incidents/a%01b", []bad{{"", "id"}}},
		{"/api/v1/incidents/%FF", []bad{{"", "id"}}},
		{"/api/v1/cadence/overdue", []bad{{"format=xlsx", "format"}, {"severity=sev1", "severity"}}},
		{"/api/v1/trends", []bad{
			{"", "metric"}, // required
			{"metric=nps", "metric"},
			{"metric=incidents&interval=year", "interval"},
			{"metric=incidents&interval=day&from=2000-01-01&to=2100-01-01", "interval"}, // too many points
			{"metric=incidents&from=2026-99-01", "from"},
			{"metric=incidents&to=x", "to"},
			{"metric=incidents&severity=high", "severity"},
			{"metric=incidents&format=tsv", "format"},
			{"metric=incidents&status=open", "status"},
			{"metric=incidents&metric=apology_rate", "metric"},
		}},
	}
	for _, tt := range tests {
		for _, b := range tt.bad {
			target := tt.path
			if b.query != "" {
				target += "?" + b.query
			}
			t.Run(clip(target), func(t *testing.T) {
				fake := newAPIFake()
				s := newAPIServer(t, fake, nil)
				rec := apiDo(t, s, http.MethodGet, target, nil)
				if rec.Code != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
				}
				var body struct{ Error string }
				decodeJSON(t, rec.Body.Bytes(), &body)
				if !strings.HasPrefix(body.Error, b.param+": ") {
					t.Errorf("error %q does not start with %q", body.Error, b.param+": ")
				}
				if fake.calls != 0 {
					t.Errorf("the store was asked %d times", fake.calls)
				}
			})
		}
	}
}

// TestAPIBadParamMessages pins a few messages word for word.
func TestAPIBadParamMessages(t *testing.T) {
	tests := []struct{ target, want string }{
		{"/api/v1/summary?severity=sev9", `severity: must be one of sev1, sev2, sev3, sev4, got "sev9"`},
		{"/api/v1/summary?severty=sev1", `severty: unknown query parameter; this route accepts from, to, severity, format`},
		{"/api/v1/incidents?limit=0", `limit: must be an integer from 1 to 1000, got "0"`},
		{"/api/v1/incidents?status=open&status=resolved", `status: given 2 times; give it once`},
		{"/api/v1/summary?from=yesterday", `from: must be RFC 3339 (2026-11-03T14:05:09Z) or YYYY-MM-DD, got "yesterday"`},
		{"/api/v1/summary?from=2026-06-01&to=2026-05-01", `from: must be before to 2026-05-01T00:00:00Z, got 2026-06-01T00:00:00Z`},
		{"/api/v1/summary?from=1999-01-01", `from: must be in the years 2000 to 2100, got "1999-01-01"`},
		{"/api/v1/cadence/overdue?format=xml", `format: must be one of json, csv, got "xml"`},
		{"/api/v1/incidents/" + strings.Repeat("é", 129), `id: must be 1 to 128 characters, got 129`},
	}
	s := newAPIServer(t, newAPIFake(), nil)
	for _, tt := range tests {
		t.Run(clip(tt.target), func(t *testing.T) {
			rec := apiDo(t, s, http.MethodGet, tt.target, nil)
			if rec.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", rec.Code, rec.Body)
			}
			var body struct{ Error string }
			decodeJSON(t, rec.Body.Bytes(), &body)
			if body.Error != tt.want {
				t.Errorf("error\n got %q\nwant %q", body.Error, tt.want)
			}
		})
	}
}

// TestAPIIncidentID checks ids with reserved characters reach the store
// decoded.
func TestAPIIncidentID(t *testing.T) {
	tests := []struct{ path, id string }{
		{"/api/v1/incidents/INC%2F42", "INC/42"},
		{"/api/v1/incidents/a%25b", "a%b"},
		{"/api/v1/incidents/%E2%82%AC-1", "€-1"},
		{"/api/v1/incidents/" + strings.Repeat("x", 128), strings.Repeat("x", 128)},
	}
	for _, tt := range tests {
		t.Run(clip(tt.id), func(t *testing.T) {
			fake := newAPIFake()
			d := fake.details["inc-1"]
			d.IncidentID = tt.id
			fake.details = map[string]trustlens.IncidentDetail{tt.id: d}
			s := newAPIServer(t, fake, nil)
			rec := apiDo(t, s, http.MethodGet, tt.path, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var body struct {
				IncidentID string `json:"incident_id"`
			}
			decodeJSON(t, rec.Body.Bytes(), &body)
			if body.IncidentID != tt.id {
				t.Errorf("incident_id %q, want %q", body.IncidentID, tt.id)
			}
		})
	}
}

// TestAPICSV checks the exact CSV of every list answer.
func TestAPICSV(t *testing.T) {
	tests := []struct {
		target, filename, want string
	}{
		{"/api/v1/incidents?format=csv", "trustlens-incidents.csv",
			"incident_id,title,severity,status,detected_at,resolved_at,tta_seconds,max_silence_seconds,updates,channels,affected,compensation_offered,compensation_redeemed,followed_up,active_affected,churned_affected,active_baseline,churned_baseline,trust_score,act_swiftly,take_responsibility,communicate_proactively,apologize,compensate,learn,follow_up,promises_made,promises_kept,promises_broken,tickets,csat_avg\r\n" +
				"inc-1,\"API down, EU\",sev1,resolved,2026-11-03T14:00:00Z,2026-11-03T16:00:00Z,300,3600,3,email;status_page,2,1,0,1,2,1,10,1,71,met,met,met,met,missed,met,missed,1,1,0,3,4.5\r\n" +
				"inc-2,\"'=SUM(A1,\"\"x\"\")\",sev3,open,2026-11-30T23:00:00Z,,,0,0,,0,0,0,0,,,,,,pending,pending,pending,pending,n/a,pending,n/a,0,0,0,0,\r\n"},
		{"/api/v1/incidents/inc-1?format=csv", "trustlens-incident-timeline.csv",
			"event_id,type,occurred_at,customer_id,detail,update_point\r\n" +
				"e1,incident.detected,2026-11-03T14:00:00Z,,sev1,false\r\n" +
				"e2,communication.sent,2026-11-03T14:05:00Z,,\"status_page, acknowledgement\",true\r\n" +
				"e3,incident.customer_affected,2026-11-03T14:06:00Z,c-1,enterprise,false\r\n"},
		{"/api/v1/cadence/overdue?format=csv", "trustlens-overdue.csv",
			"incident_id,title,severity,detected_at,last_update_at,silence_seconds,target_seconds\r\n" +
				"inc-2,\"Slow, logins\",sev3,2026-11-30T23:00:00Z,2026-12-01T00:00:00Z,43200,14400\r\n"},
		{"/api/v1/cadence/due?format=csv", "trustlens-updates-due.csv",
			"incident_id,title,severity,detected_at,last_update_at,cadence_due_at,target_seconds,promised_at,due_at,by,seconds_left,overdue\r\n" +
				"inc-3,Search slow,sev2,2026-12-01T09:00:00Z,2026-12-01T09:10:00Z,2026-12-01T11:10:00Z,7200,2026-12-01T09:40:00Z,2026-12-01T09:40:00Z,promise,600,false\r\n"},
		{"/api/v1/churn?format=csv", "trustlens-churn.csv",
			"scope,severity,habit,outcome,incidents,active_affected,churned_affected,affected_rate,active_baseline,churned_baseline,baseline_rate,uplift_pp\r\n" +
				"all,,,,1,2,1,0.5,10,1,0.1,40\r\n" +
				"severity,sev1,,,1,2,1,0.5,10,1,0.1,40\r\n" +
				"driver,,apologize,met,1,2,1,0.5,,,,\r\n" +
				"driver,,apologize,missed,0,0,0,,,,,\r\n" +
				"compensation,,,offered,,1,0,0,,,,\r\n" +
				"compensation,,,not_offered,,1,1,1,,,,\r\n"},
		{"/api/v1/compensation?format=csv", "trustlens-compensation.csv",
			"compensation_type,offered_customers,redeemed_customers,offered_amount,redeemed_amount,uptake_rate,median_days_to_redeem\r\n" +
				"all,3,1,30,10,0.3333333333333333,\r\n" +
				"credit,2,1,20,10,0.5,2.5\r\n" +
				"discount,1,0,10,0,0,\r\n"},
		{"/api/v1/trends?metric=apology_rate&format=csv", "trustlens-trend-apology_rate-week.csv",
			"start,apology_rate\r\n" +
				"2026-11-02T00:00:00Z,0.5\r\n" +
				"2026-11-09T00:00:00Z,\r\n"},
		{"/api/v1/summary?format=csv", "trustlens-summary.csv",
			"incidents,open_incidents,incomplete_incidents,tta_median_seconds,tta_p90_seconds,ack_within_target_rate,cadence_compliance_rate,max_silence_median_seconds,multi_channel_rate,responsibility_rate,apology_rate,postmortem_rate,compensation_offered_customers,compensation_redeemed_customers,compensation_uptake_rate,compensation_offered_amount,compensation_redeemed_amount,followup_rate,churn_window_days,churn_affected_rate,churn_baseline_rate,churn_uplift_pp,trust_score_avg,promise_kept_rate,tickets_per_incident,csat_affected_avg,csat_baseline_avg,tickets_per_hour_silent,tickets_per_hour_updated\r\n" +
				"2,1,1,300,300,0.5,,,,,,,1,0,,12.5,0,,30,,,-2.5,,,1.5,3.25,,,0.75\r\n"},
	}
	s := newAPIServer(t, newAPIFake(), nil)
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := apiDo(t, s, http.MethodGet, tt.target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != "text/csv; charset=utf-8" {
				t.Errorf("Content-Type %q", got)
			}
			if got, want := rec.Header().Get("Content-Disposition"), `attachment; filename="`+tt.filename+`"`; got != want {
				t.Errorf("Content-Disposition %q, want %q", got, want)
			}
			if got := rec.Body.String(); got != tt.want {
				t.Errorf("CSV\n got %q\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("empty list has the header only", func(t *testing.T) {
		fake := newAPIFake()
		fake.overdue = nil
		rec := apiDo(t, newAPIServer(t, fake, nil), http.MethodGet, "/api/v1/cadence/overdue?format=csv", nil)
		if want := "incident_id,title,severity,detected_at,last_update_at,silence_seconds,target_seconds\r\n"; rec.Body.String() != want {
			t.Errorf("CSV %q, want %q", rec.Body.String(), want)
		}
	})
	t.Run("total in a header", func(t *testing.T) {
		rec := apiDo(t, s, http.MethodGet, "/api/v1/incidents?format=csv", nil)
		if got := rec.Header().Get("X-Total-Count"); got != "7" {
			t.Errorf("X-Total-Count %q, want 7", got)
		}
	})
}

// TestAPIEmptyAnswers checks that absent lists are [] (and maps {}), never null.
func TestAPIEmptyAnswers(t *testing.T) {
	fake := &apiFake{policy: trustlens.DefaultPolicy()}
	s := newAPIServer(t, fake, nil)
	tests := []struct{ target, want string }{
		{"/api/v1/incidents", `{"incidents":[],"total":0,"limit":100,"offset":0,"policy":POLICY}`},
		{"/api/v1/cadence/overdue", `{"overdue":[],"policy":POLICY}`},
		{"/api/v1/trends?metric=incidents&interval=day", `{"metric":"incidents","interval":"day","points":[],"policy":POLICY}`},
		{"/api/v1/compensation", `{"offered_customers":0,"redeemed_customers":0,"offered_amount":0,"redeemed_amount":0,
			"uptake_rate":null,"median_days_to_redeem":null,"by_type":{},
			"compensated_active":0,"compensated_churned":0,"uncompensated_active":0,"uncompensated_churned":0,
			"churn_compensated_rate":null,"churn_uncompensated_rate":null,"compensated_mrr":0,"compensated_offered_amount":0,
			"retained_mrr_per_amount":null,"policy":POLICY}`},
		{"/api/v1/churn", `{"churn_window_days":0,"pending_incidents":0,"incidents":0,"active_affected":0,
			"churned_affected":0,"active_baseline":0,"churned_baseline":0,"affected_rate":null,"baseline_rate":null,
			"uplift_pp":null,"by_severity":{},"drivers":[],
			"compensated_active":0,"compensated_churned":0,"uncompensated_active":0,"uncompensated_churned":0,
			"churn_compensated_rate":null,"churn_uncompensated_rate":null,"compensated_mrr":0,"compensated_offered_amount":0,
			"retained_mrr_per_amount":null,
			"lost_mrr_affected":0,"lost_mrr_affected_customers":0,"lost_mrr_affected_unknown":0,
			"lost_mrr_baseline":0,"lost_mrr_baseline_customers":0,"lost_mrr_baseline_unknown":0,"policy":POLICY}`},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			rec := apiDo(t, s, http.MethodGet, tt.target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			assertJSON(t, rec.Body.Bytes(), tt.want)
		})
	}
}

// TestAPIStorePolicyKept checks that a policy the store put in its answer
// is the one echoed.
func TestAPIStorePolicyKept(t *testing.T) {
	fake := newAPIFake()
	p := trustlens.DefaultPolicy()
	p.MinChannels = 3
	fake.summary.Policy = p
	rec := apiDo(t, newAPIServer(t, fake, nil), http.MethodGet, "/api/v1/summary", nil)
	var body struct {
		Policy trustlens.Policy `json:"policy"`
	}
	decodeJSON(t, rec.Body.Bytes(), &body)
	if body.Policy.MinChannels != 3 {
		t.Errorf("policy min_channels %d, want the store's 3", body.Policy.MinChannels)
	}
}

// TestAPIErrors maps store errors to statuses without showing causes.
func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		prefix string
	}{
		{"internal", errors.New("clickhouse: code 516: default: Authentication failed: password is incorrect"), 500, "internal error (request id "},
		{"not found", fmt.Errorf("analytics: summary: %w", trustlens.ErrNotFound), 404, "not found"},
		{"deadline", fmt.Errorf("analytics: summary: %w", context.DeadlineExceeded), 504, "the request took longer than 15s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newAPIFake()
			fake.err = tt.err
			rec := apiDo(t, newAPIServer(t, fake, nil), http.MethodGet, "/api/v1/summary", nil)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			var body struct{ Error string }
			decodeJSON(t, rec.Body.Bytes(), &body)
			if !strings.HasPrefix(body.Error, tt.prefix) {
				t.Errorf("error %q, want it to start with %q", body.Error, tt.prefix)
			}
			if strings.Contains(rec.Body.String(), "password") || strings.Contains(rec.Body.String(), "analytics:") {
				t.Errorf("cause leaked: %s", rec.Body)
			}
		})
	}
	t.Run("request id in the 500 message", func(t *testing.T) {
		fake := newAPIFake()
		fake.err = errors.New("boom")
		rec := apiDo(t, newAPIServer(t, fake, nil), http.MethodGet, "/api/v1/churn", nil, "X-Request-ID", "req-42")
		assertJSON(t, rec.Body.Bytes(), `{"error":"internal error (request id req-42)"}`)
	})
	t.Run("request timeout", func(t *testing.T) {
		fake := newAPIFake()
		fake.waitCtx = true
		s := newAPIServer(t, fake, func(c *Config) { c.RequestTimeout = 10 * time.Millisecond })
		rec := apiDo(t, s, http.MethodGet, "/api/v1/summary", nil)
		if rec.Code != http.StatusGatewayTimeout {
			t.Fatalf("status %d, want 504: %s", rec.Code, rec.Body)
		}
	})
	t.Run("method not allowed", func(t *testing.T) {
		rec := apiDo(t, newAPIServer(t, newAPIFake(), nil), http.MethodPost, "/api/v1/summary", nil)
		if rec.Code != http.StatusMethodNotAllowed {
			t.Fatalf("status %d, want 405: %s", rec.Code, rec.Body)
		}
		assertJSON(t, rec.Body.Bytes(), `{"error":"method not allowed"}`)
	})
}

func decodeJSON(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, b)
	}
}
