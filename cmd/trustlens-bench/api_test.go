package main

import (
	"context"
	"testing"
	"time"

	"github.com/trustlens/trustlens/internal/chtest"
)

// TestLoadAPIDataset generates a small dataset and checks its shape: every
// row count, and that every generated event is of a known type.
func TestLoadAPIDataset(t *testing.T) {
	admin := chtest.Connect(t, "")
	_, db := chtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := config{apiCustomers: 1000, apiComms: 100, apiIncidents: 10}
	if err := loadAPIDataset(ctx, c, admin, db); err != nil {
		t.Fatal(err)
	}
	counts := map[string]uint64{
		"SELECT toUInt64(count()) FROM " + db + ".customer_events":                                         1000,
		"SELECT toUInt64(count()) FROM " + db + ".communication_events":                                    100,
		"SELECT toUInt64(uniqExact(incident_id)) FROM " + db + ".incident_events":                          10,
		"SELECT toUInt64(countIf(type = 'incident.resolved')) FROM " + db + ".incident_events":             0, // all 10 are among the last 20: open
		"SELECT toUInt64(countIf(type = 'incident.customer_affected')) FROM " + db + ".incident_events":    100,
		"SELECT toUInt64(countIf(type = 'customer.signed_up')) FROM " + db + ".customer_events":            100,
		"SELECT toUInt64(countIf(type = 'customer.compensation_offered')) FROM " + db + ".customer_events": 100,
	}
	for q, want := range counts {
		var got uint64
		if err := admin.QueryRow(ctx, q).Scan(&got); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
}
