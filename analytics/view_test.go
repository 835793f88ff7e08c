package analytics_test

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

func migrationFile(t *testing.T) string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "migrations", "0003_incident_metrics.sql")
}

// TestIncidentMetricsViewFile keeps the view migration equal to the SQL the
// Store runs (set TRUSTLENS_UPDATE_VIEW=1 to rewrite it).
func TestIncidentMetricsViewFile(t *testing.T) {
	want := analytics.IncidentMetricsMigration()
	path := migrationFile(t)
	if os.Getenv("TRUSTLENS_UPDATE_VIEW") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("%s is out of date: run TRUSTLENS_UPDATE_VIEW=1 go test ./analytics/ -run TestIncidentMetricsViewFile", path)
	}
}

// TestIncidentMetricsView checks that the view agrees with Store.Incidents
// on the conformance data, for every figure that does not depend on the
// clock (the view uses the server's now()).
func TestIncidentMetricsView(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	now, _ := loadConformance(t, conn, db)
	ctx := context.Background()
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))
	page, err := store.Incidents(ctx, trustlens.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]trustlens.Incident{}
	for _, inc := range page.Incidents {
		if inc.Status == "resolved" {
			want[inc.IncidentID] = inc
		}
	}
	rows, err := conn.Query(ctx, `SELECT incident_id, severity, title, detected_at, resolved_at, status,
  tta_seconds, updates, channels, max_silence_seconds, affected, compensation_offered,
  compensation_redeemed, followed_up, habit_act_swiftly, habit_take_responsibility,
  habit_apologize, habit_compensate, promises_made, promises_kept
FROM incident_metrics ORDER BY incident_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, open := 0, 0
	for rows.Next() {
		var (
			g                        trustlens.Incident
			act, resp, apol, compens string
		)
		if err := rows.Scan(&g.IncidentID, &g.Severity, &g.Title, &g.DetectedAt, &g.ResolvedAt, &g.Status,
			&g.TTASeconds, &g.Updates, &g.Channels, &g.MaxSilenceSeconds, &g.Affected, &g.CompensationOffered,
			&g.CompensationRedeemed, &g.FollowedUp, &act, &resp, &apol, &compens, &g.PromisesMade, &g.PromisesKept); err != nil {
			t.Fatal(err)
		}
		n++
		if g.Status == "open" {
			open++
			continue // silence, pending verdicts depend on the clock
		}
		w, ok := want[g.IncidentID]
		if !ok {
			t.Errorf("view has %s, Store.Incidents does not", g.IncidentID)
			continue
		}
		checks := []struct {
			field     string
			got, want any
		}{
			{"severity", g.Severity, w.Severity},
			{"title", g.Title, w.Title},
			{"detected_at", g.DetectedAt.Unix(), w.DetectedAt.Unix()},
			{"resolved_at", g.ResolvedAt.Unix(), w.ResolvedAt.Unix()},
			{"tta_seconds", deref(g.TTASeconds), deref(w.TTASeconds)},
			{"updates", g.Updates, w.Updates},
			{"channels", len(g.Channels), len(w.Channels)},
			{"max_silence_seconds", g.MaxSilenceSeconds, w.MaxSilenceSeconds},
			{"affected", g.Affected, w.Affected},
			{"compensation_offered", g.CompensationOffered, w.CompensationOffered},
			{"compensation_redeemed", g.CompensationRedeemed, w.CompensationRedeemed},
			{"followed_up", g.FollowedUp, w.FollowedUp},
			{"habit_act_swiftly", act, w.Habits[trustlens.HabitActSwiftly]},
			{"habit_take_responsibility", resp, w.Habits[trustlens.HabitTakeResponsibility]},
			{"habit_apologize", apol, w.Habits[trustlens.HabitApologize]},
			{"habit_compensate", compens, w.Habits[trustlens.HabitCompensate]},
			{"promises_made", g.PromisesMade, w.PromisesMade},
			{"promises_kept", g.PromisesKept, w.PromisesKept},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s.%s: view %v, Store %v", g.IncidentID, c.field, c.got, c.want)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(page.Incidents) || n-open != len(want) {
		t.Errorf("view has %d incidents (%d open), Store %d (%d resolved)", n, open, len(page.Incidents), len(want))
	}
}

func deref(p *int64) any {
	if p == nil {
		return nil
	}
	return *p
}
