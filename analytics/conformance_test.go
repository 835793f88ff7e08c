package analytics_test

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
	"github.com/trustlens/trustlens/internal/chtest"
)

// TestConformance checks every figure of the conformance example's
// expected.json, computed at the manifest's now.
func TestConformance(t *testing.T) {
	conn, db := chtest.NewDatabase(t)
	now, expected := loadConformance(t, conn, db)
	store := analytics.New(conn, trustlens.DefaultPolicy(), analytics.WithClock(func() time.Time { return now }))
	ctx := context.Background()
	rng := trustlens.Filter{
		From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		To:   time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
	}

	t.Run("summary", func(t *testing.T) {
		got, err := store.Summary(ctx, rng)
		if err != nil {
			t.Fatal(err)
		}
		compareObject(t, "summary", toMap(t, got), expected["summary"])
	})

	t.Run("incidents", func(t *testing.T) {
		page, err := store.Incidents(ctx, rng)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(expected["incidents"], &want); err != nil {
			t.Fatal(err)
		}
		if page.Total != int64(len(want)) || len(page.Incidents) != len(want) {
			t.Errorf("incidents: total %d, listed %d, want %d", page.Total, len(page.Incidents), len(want))
		}
		for i, inc := range page.Incidents {
			if i > 0 && page.Incidents[i-1].DetectedAt.Before(inc.DetectedAt) {
				t.Errorf("incidents not ordered by detected_at desc at %d", i)
			}
			w, ok := want[inc.IncidentID]
			if !ok {
				t.Errorf("unexpected incident %s", inc.IncidentID)
				continue
			}
			compareObject(t, inc.IncidentID, toMap(t, inc), w)
		}
	})

	t.Run("overdue", func(t *testing.T) {
		got, err := store.Overdue(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var want []map[string]any
		if err := json.Unmarshal(expected["overdue_detail"], &want); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("overdue: got %d, want %d: %+v", len(got), len(want), got)
		}
		for i := range want {
			b, _ := json.Marshal(want[i])
			compareObject(t, "overdue", toMap(t, got[i]), b)
		}
	})

	t.Run("churn", func(t *testing.T) {
		got, err := store.Churn(ctx, rng)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(expected["churn"], &want); err != nil {
			t.Fatal(err)
		}
		gm := toMap(t, got)
		top := map[string]json.RawMessage{}
		for k, v := range want {
			if k != "by_severity" && k != "drivers" {
				top[k] = v
			}
		}
		b, _ := json.Marshal(top)
		compareObject(t, "churn", gm, b)
		var wantSev map[string]json.RawMessage
		_ = json.Unmarshal(want["by_severity"], &wantSev)
		for sev, w := range wantSev {
			compareObject(t, "churn.by_severity."+sev, toMap(t, got.BySeverity[sev]), w)
		}
		var wantDrivers map[string]json.RawMessage
		_ = json.Unmarshal(want["drivers"], &wantDrivers)
		if len(got.Drivers) != len(trustlens.Habits) {
			t.Fatalf("drivers: got %d, want %d", len(got.Drivers), len(trustlens.Habits))
		}
		for i, d := range got.Drivers {
			if d.Habit != trustlens.Habits[i] {
				t.Errorf("driver %d is %s, want %s", i, d.Habit, trustlens.Habits[i])
			}
			w, ok := wantDrivers[d.Habit]
			if !ok {
				t.Errorf("driver %s not expected", d.Habit)
				continue
			}
			compareObject(t, "churn.drivers."+d.Habit, toMap(t, d), w)
		}
	})

	t.Run("compensation", func(t *testing.T) {
		got, err := store.Compensation(ctx, rng)
		if err != nil {
			t.Fatal(err)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(expected["compensation"], &want); err != nil {
			t.Fatal(err)
		}
		top := map[string]json.RawMessage{}
		for k, v := range want {
			if k != "by_type" && k != "by_incident" {
				top[k] = v
			}
		}
		b, _ := json.Marshal(top)
		compareObject(t, "compensation", toMap(t, got), b)
		var wantType map[string]json.RawMessage
		_ = json.Unmarshal(want["by_type"], &wantType)
		for typ, w := range wantType {
			compareObject(t, "compensation.by_type."+typ, toMap(t, got.ByType[typ]), w)
		}
	})
}

// toMap is v as a JSON object.
func toMap(t *testing.T, v any) map[string]any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// compareObject checks every field of the expected object against got:
// numbers to 1e-9 (amounts are rounded to the cent already), lists as sets
// of strings, nested objects field by field.
func compareObject(t *testing.T, what string, got map[string]any, wantRaw json.RawMessage) {
	t.Helper()
	var want map[string]any
	if err := json.Unmarshal(wantRaw, &want); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s.%s: missing (want %v)", what, k, want[k])
			continue
		}
		if !sameValue(g, want[k]) {
			t.Errorf("%s.%s = %v, want %v", what, k, g, want[k])
		}
	}
}

func sameValue(g, w any) bool {
	switch wv := w.(type) {
	case float64:
		gv, ok := g.(float64)
		return ok && math.Abs(gv-wv) <= 1e-9*math.Max(1, math.Abs(wv))
	case string:
		if wt, err := time.Parse(time.RFC3339, wv); err == nil {
			gs, ok := g.(string)
			if !ok {
				return false
			}
			gt, err := time.Parse(time.RFC3339, gs)
			return err == nil && gt.Equal(wt)
		}
		return g == w
	case map[string]any:
		gm, ok := g.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range wv {
			if !sameValue(gm[k], v) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(g, w)
}
