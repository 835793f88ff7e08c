package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// demoToken is an in-process Statuspage token for `run --demo` when none
// is configured.
func demoToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "demo-" + hex.EncodeToString(b[:])
}

// demoUpdate is one update of the demo's Statuspage incident, ago before
// the feed starts.
type demoUpdate struct {
	ago    time.Duration
	status string
	body   string
}

var demoUpdates = []demoUpdate{
	{115 * time.Minute, "investigating", "We are investigating failed card payments at checkout. We apologize for the disruption. Next update in 30 minutes."},
	{85 * time.Minute, "identified", "We have identified the cause: a configuration change we made to our payment gateway rejected valid cards. We are rolling it back. Next update in 30 minutes."},
	{45 * time.Minute, "monitoring", "The rollback is complete and payments are succeeding again. We are monitoring the results."},
	{15 * time.Minute, "resolved", "This incident has been resolved. We are sorry for the failed payments: this was our mistake, and affected customers will receive a credit."},
}

const demoPostmortem = "Postmortem: a configuration change we made to the payment gateway rejected valid cards for 100 minutes. We are sorry. " +
	"To prevent a repeat we now stage every gateway change to 1% of traffic first and added an alert on the card decline rate."

// runDemoWebhooks posts a Statuspage incident through the real route, as
// Statuspage would: one delivery per update (each carrying the whole
// incident so far), then its postmortem, every apart. A 503 or a
// refused connection is retried, as the vendor does.
func runDemoWebhooks(ctx context.Context, url string, every time.Duration, log *slog.Logger) error {
	start := time.Now().UTC().Truncate(time.Second)
	id := "demo" + strconv.FormatInt(start.Unix(), 36)
	ts := func(ago time.Duration) string { return start.Add(-ago).Format(time.RFC3339) }
	for n := 1; n <= len(demoUpdates)+1; n++ {
		var updates []map[string]any
		for i := min(n, len(demoUpdates)) - 1; i >= 0; i-- { // newest first
			u := demoUpdates[i]
			updates = append(updates, map[string]any{
				"id": fmt.Sprintf("%su%d", id, i), "incident_id": id, "status": u.status, "body": u.body,
				"created_at": ts(u.ago), "updated_at": ts(u.ago), "display_at": ts(u.ago),
			})
		}
		status := demoUpdates[min(n, len(demoUpdates))-1].status
		incident := map[string]any{
			"id": id, "name": "Card payments failing at checkout (via Statuspage webhook)", "status": status,
			"impact": "major", "impact_override": nil, "created_at": ts(118 * time.Minute), "started_at": ts(120 * time.Minute),
			"scheduled_for": nil, "postmortem_body": nil, "postmortem_published_at": nil,
			"components":       []map[string]any{{"id": "demo-checkout", "name": "Checkout", "status": "major_outage"}},
			"incident_updates": updates,
		}
		if n > len(demoUpdates) {
			incident["status"] = "postmortem"
			incident["postmortem_body"] = demoPostmortem
			incident["postmortem_published_at"] = start.Format(time.RFC3339)
		}
		body, err := json.Marshal(map[string]any{
			"meta":     map[string]any{"unsubscribe": "", "documentation": ""},
			"page":     map[string]any{"id": "demo-page", "status_indicator": "major", "status_description": "Partial System Outage"},
			"incident": incident,
		})
		if err != nil {
			return fmt.Errorf("demo webhooks: %w", err)
		}
		if err := postUntilAccepted(ctx, url, body); err != nil {
			return err
		}
		log.Info("demo: Statuspage delivery accepted", slog.String("incident_id", "sp:"+id), slog.Int("delivery", n))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(every):
		}
	}
	return nil
}

// postUntilAccepted posts body until it is answered 202, retrying with
// backoff while the receiver or the broker is not ready.
func postUntilAccepted(ctx context.Context, url string, body []byte) error {
	delay := 500 * time.Millisecond
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("demo webhooks: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted {
				return nil
			}
			if resp.StatusCode != http.StatusServiceUnavailable {
				return fmt.Errorf("demo webhooks: answered %d", resp.StatusCode)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 10*time.Second)
	}
}
