package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/trustlens/trustlens/classify"
	"github.com/trustlens/trustlens/internal/chtest"
)

// e2eComm is a communication the test sends through a connector, to
// compute by hand the figures that depend on the classifier.
type e2eComm struct {
	at    time.Time
	kind  string
	text  string
	point bool // an update point (acknowledgement, update, resolution)
}

// classifierFigures are the habits and promises of SPEC §2 that depend on
// the classifier's reading of comms, for an incident resolved long enough
// ago that nothing is pending.
func classifierFigures(comms []e2eComm, resolvedAt time.Time) (habits map[string]any, made, kept, broken float64) {
	cl := classify.New()
	habits = map[string]any{"apologize": "missed", "take_responsibility": "missed", "learn": "missed"}
	promised := map[time.Time]time.Time{} // promise → earliest send
	for _, c := range comms {
		got := cl.Classify(c.text, c.at)
		if got.Apology {
			habits["apologize"] = "met"
		}
		if got.TakesResponsibility {
			habits["take_responsibility"] = "met"
		}
		if c.kind == "postmortem" && got.RootCause && got.PreventionSteps && !c.at.After(resolvedAt.Add(7*24*time.Hour)) {
			habits["learn"] = "met"
		}
		if got.NextUpdateAt != nil {
			p := got.NextUpdateAt.UTC().Truncate(time.Second)
			if sent, ok := promised[p]; !ok || c.at.Before(sent) {
				promised[p] = c.at
			}
		}
	}
	for p, sent := range promised {
		made++
		ok := false
		for _, c := range comms {
			if c.point && c.at.After(sent) && !c.at.After(p.Add(5*time.Minute)) {
				ok = true
			}
		}
		if ok {
			kept++
		} else {
			broken++
		}
	}
	return habits, made, kept, broken
}

// TestEndToEndConnectors sends a PagerDuty incident (triggered,
// acknowledged, two status updates, resolved) and a Statuspage incident
// delivered several times as it evolves (one delivery retried), then its
// postmortem, through the real routes of `trustlens run`, and checks the
// figures of /api/v1/incidents.
func TestEndToEndConnectors(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	t0 := time.Now().UTC().Add(-20 * 24 * time.Hour).Truncate(time.Hour)
	now := t0.Add(10 * 24 * time.Hour)
	httpAddr, kafkaAddr, hooksAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	const token = "e2e-statuspage-token-0123456789"
	env := map[string]string{
		"TRUSTLENS_CLICKHOUSE_ADDR":       chtest.Addr(),
		"TRUSTLENS_CLICKHOUSE_DATABASE":   db,
		"TRUSTLENS_HTTP_ADDR":             httpAddr,
		"TRUSTLENS_EMBEDDED_KAFKA_ADDR":   kafkaAddr,
		"TRUSTLENS_RECEIVE_ADDR":          hooksAddr,
		"TRUSTLENS_PAGERDUTY_SECRET":      "pd-e2e-secret",
		"TRUSTLENS_STATUSPAGE_TOKEN":      token,
		"TRUSTLENS_INGEST_GROUP":          "g-" + db,
		"TRUSTLENS_INGEST_FLUSH_INTERVAL": "200ms",
		"TRUSTLENS_CLOCK":                 now.Format(time.RFC3339),
		"TRUSTLENS_LOG_LEVEL":             "warn",
	}
	base := startRun(t, env)
	post := func(path string, body []byte, header http.Header) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, "http://"+hooksAddr+path, bytes.NewReader(body))
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s: %d, want 202", path, resp.StatusCode)
		}
	}
	ts := func(d time.Duration) string { return t0.Add(d).Format(time.RFC3339) }

	// PagerDuty: P2, acknowledged after 4 min, updates at 10 and 38 min,
	// resolved at 70 min.
	pdComms := []e2eComm{
		{t0.Add(10 * time.Minute), "update", "We are investigating elevated error rates on the API. We apologize for the disruption. Next update in 30 minutes.", true},
		{t0.Add(38 * time.Minute), "update", "The errors were caused by a configuration change we made. We are rolling it back. Next update in 30 minutes.", true},
	}
	pdEvent := func(id, typ string, at time.Duration, data map[string]any) {
		body, _ := json.Marshal(map[string]any{"event": map[string]any{
			"id": id, "event_type": typ, "resource_type": "incident", "occurred_at": ts(at), "agent": nil, "client": nil, "data": data,
		}})
		mac := hmac.New(sha256.New, []byte("pd-e2e-secret"))
		mac.Write(body)
		post("/hooks/pagerduty", body, http.Header{"X-Pagerduty-Signature": {"v1=" + hex.EncodeToString(mac.Sum(nil))}})
	}
	incident := map[string]any{
		"id": "PE2E001", "type": "incident", "title": "API error rate above 5%", "status": "triggered", "urgency": "high",
		"service":  map[string]any{"id": "PSVC01", "summary": "Public API", "type": "service_reference"},
		"priority": map[string]any{"id": "PPRIO2", "summary": "P2", "type": "priority_reference"},
	}
	pdEvent("E-trig", "incident.triggered", 0, incident)
	pdEvent("E-trig", "incident.triggered", 0, incident) // PagerDuty retries
	pdEvent("E-ack", "incident.acknowledged", 4*time.Minute, incident)
	for i, c := range pdComms {
		pdEvent(fmt.Sprintf("E-su%d", i), "incident.status_update_published", c.at.Sub(t0), map[string]any{
			"id": fmt.Sprintf("PSU%d", i), "type": "incident_status_update", "message": c.text, "trimmed": false,
			"incident": map[string]any{"id": "PE2E001", "type": "incident_reference"},
		})
	}
	pdEvent("E-res", "incident.resolved", 70*time.Minute, incident)

	// Statuspage: started at 1 h, updates at 1h05 (investigating), 1h35
	// (identified), 2h05 (monitoring), 2h20 (resolved), each delivery
	// carrying the updates so far; the last one twice; then the postmortem
	// two days later.
	spStart := time.Hour
	spUpdates := []struct {
		at     time.Duration
		status string
		text   string
	}{
		{65 * time.Minute, "investigating", "We are investigating failed logins. Next update in 30 minutes."},
		{95 * time.Minute, "identified", "We have identified the issue and are deploying a fix."},
		{125 * time.Minute, "monitoring", "A fix has been deployed and we are monitoring the results."},
		{140 * time.Minute, "resolved", "This incident has been resolved. We are sorry for the trouble: this was our mistake."},
	}
	postmortem := "Root cause: an expired certificate on our login service caused every login to fail. To prevent a repeat we added an alert 30 days before any certificate expires and automated the renewal."
	spDeliver := func(n int, withPostmortem bool) {
		var updates []map[string]any
		for i := n - 1; i >= 0; i-- {
			u := spUpdates[i]
			updates = append(updates, map[string]any{"id": fmt.Sprintf("spu%d", i), "incident_id": "spe2e", "status": u.status, "body": u.text,
				"created_at": ts(u.at), "updated_at": ts(u.at), "display_at": ts(u.at)})
		}
		inc := map[string]any{"id": "spe2e", "name": "Login failures", "status": spUpdates[n-1].status, "impact": "major", "impact_override": nil,
			"created_at": ts(spStart + time.Minute), "started_at": ts(spStart), "scheduled_for": nil,
			"components": []map[string]any{{"id": "c1", "name": "Login"}}, "incident_updates": updates,
			"postmortem_body": nil, "postmortem_published_at": nil}
		if withPostmortem {
			inc["status"] = "postmortem"
			inc["postmortem_body"] = postmortem
			inc["postmortem_published_at"] = ts(48 * time.Hour)
		}
		body, _ := json.Marshal(map[string]any{"meta": map[string]any{}, "page": map[string]any{"id": "pg1"}, "incident": inc})
		post("/hooks/statuspage/"+token, body, nil)
	}
	for n := 1; n <= 4; n++ {
		spDeliver(n, false)
	}
	spDeliver(4, false) // a retry
	spDeliver(4, true)
	var spComms []e2eComm
	for i, u := range spUpdates {
		kind := map[bool]string{true: "acknowledgement", false: "update"}[i == 0]
		if u.status == "resolved" {
			kind = "resolution"
		}
		spComms = append(spComms, e2eComm{t0.Add(u.at), kind, u.text, true})
	}
	spComms = append(spComms, e2eComm{t0.Add(48 * time.Hour), "postmortem", postmortem, false})

	pdHabits, pdMade, pdKept, pdBroken := classifierFigures(pdComms, t0.Add(70*time.Minute))
	pdHabits["learn"] = "missed" // no postmortem
	spHabits, spMade, spKept, spBroken := classifierFigures(spComms, t0.Add(140*time.Minute))
	for _, h := range []map[string]any{pdHabits, spHabits} {
		h["act_swiftly"] = "met"                // 10 and 5 minutes ≤ 30
		h["communicate_proactively"] = "missed" // one channel each, fewer than 2
		h["compensate"], h["follow_up"] = "n/a", "n/a"
	}
	want := map[string]map[string]any{
		"pd:PE2E001": {
			"title": "API error rate above 5%", "severity": "sev2", "status": "resolved",
			"detected_at": ts(0), "resolved_at": ts(70 * time.Minute),
			"tta_seconds": 600.0, "updates": 2.0, "channels": []any{"email"},
			"max_silence_seconds": 1920.0, // 10 min, 28 min, 32 min (38 min → 70 min)
			"habits":              pdHabits, "promises_made": pdMade, "promises_kept": pdKept, "promises_broken": pdBroken,
		},
		"sp:spe2e": {
			"title": "Login failures", "severity": "sev2", "status": "resolved",
			"detected_at": ts(spStart), "resolved_at": ts(140 * time.Minute),
			"tta_seconds": 300.0, "updates": 4.0, "channels": []any{"status_page"},
			"max_silence_seconds": 1800.0, // 5, 30, 30, 15 min
			"habits":              spHabits, "promises_made": spMade, "promises_kept": spKept, "promises_broken": spBroken,
		},
	}
	rng := "from=" + t0.Add(-24*time.Hour).Format("2006-01-02") + "&to=" + t0.Add(48*time.Hour).Format("2006-01-02")
	var got struct {
		Incidents []map[string]any `json:"incidents"`
	}
	byID := map[string]map[string]any{}
	waitFor(t, "both incidents with every update", 90*time.Second, func() bool {
		resp, err := http.Get(base + "/api/v1/incidents?limit=100&" + rng)
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&got) != nil {
			return false
		}
		for _, inc := range got.Incidents {
			byID[fmt.Sprint(inc["incident_id"])] = inc
		}
		pd, sp := byID["pd:PE2E001"], byID["sp:spe2e"]
		return pd != nil && sp != nil && pd["updates"] == 2.0 && sp["updates"] == 4.0 && pd["status"] == "resolved" && sp["status"] == "resolved" &&
			habit(sp, "learn") == spHabits["learn"]
	})
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if fmt.Sprint(ids) != "[pd:PE2E001 sp:spe2e]" {
		t.Errorf("incidents %v, want the two sent through the connectors", ids)
	}
	for id, w := range want {
		compareFields(t, id, w, byID[id])
	}
	// The webhook events are ordinary events: every one stored once, none
	// in ingest_errors.
	for table, n := range map[string]uint64{"incident_events": 3 + 5, "communication_events": 2 + 4 + 1} {
		var got uint64
		if err := conn.QueryRow(context.Background(), "SELECT toUInt64(uniqExact(event_id)) FROM "+table+" WHERE incident_id IN ('pd:PE2E001', 'sp:spe2e')").Scan(&got); err != nil || got != n {
			t.Errorf("%s: %d distinct events (err %v), want %d", table, got, err, n)
		}
	}
	var bad uint64
	if err := conn.QueryRow(context.Background(), "SELECT toUInt64(count()) FROM ingest_errors").Scan(&bad); err != nil || bad != 0 {
		t.Errorf("ingest_errors has %d rows (err %v), want 0", bad, err)
	}
}

func habit(inc map[string]any, name string) any {
	h, _ := inc["habits"].(map[string]any)
	return h[name]
}
