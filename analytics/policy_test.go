package analytics_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/analytics"
)

func TestLoadPolicy(t *testing.T) {
	def := trustlens.DefaultPolicy()
	withDefaults := func(change func(p *trustlens.Policy)) trustlens.Policy {
		p := trustlens.DefaultPolicy()
		change(&p)
		return p
	}
	good := []struct {
		name, yaml string
		want       trustlens.Policy
	}{
		{"empty file keeps the defaults", "", def},
		{"comment only", "# nothing here\n", def},
		{"every key", `
ack_target: 15m
cadence_target: {sev1: 30m, sev2: 1h, sev3: 2h, sev4: 4h}
min_channels: 3
compensation_severities: [sev1]
compensation_coverage: 0.75
postmortem_days: 5
followup_days: 10
followup_coverage: 1
churn_window_days: 60
promise_grace: 0s
`, trustlens.Policy{
			AckTarget: trustlens.Duration(15 * time.Minute),
			CadenceTarget: map[string]trustlens.Duration{
				"sev1": trustlens.Duration(30 * time.Minute), "sev2": trustlens.Duration(time.Hour),
				"sev3": trustlens.Duration(2 * time.Hour), "sev4": trustlens.Duration(4 * time.Hour),
			},
			MinChannels: 3, CompensationSeverities: []string{"sev1"}, CompensationCoverage: 0.75,
			PostmortemDays: 5, FollowupDays: 10, FollowupCoverage: 1, ChurnWindowDays: 60,
			PromiseGrace: 0,
		}},
		{"one cadence target, the others default", "cadence_target:\n  sev2: 90m\n",
			withDefaults(func(p *trustlens.Policy) { p.CadenceTarget["sev2"] = trustlens.Duration(90 * time.Minute) })},
		{"no compensation severities", "compensation_severities: []\n",
			withDefaults(func(p *trustlens.Policy) { p.CompensationSeverities = []string{} })},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			got, err := analytics.LoadPolicy(writeFile(t, tc.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}

	bad := []struct {
		name, yaml string
		want       []string // substrings of the error
	}{
		{"unknown key", "ack_targt: 30m\n", []string{"ack_targt"}},
		{"not a duration", "ack_target: soon\n", []string{"ack_target", `"soon"`}},
		{"zero ack target", "ack_target: 0s\n", []string{"ack_target", "positive"}},
		{"negative cadence", "cadence_target: {sev1: -5m}\n", []string{"cadence_target.sev1", "-5m"}},
		{"unknown severity in cadence", "cadence_target: {sev5: 5m}\n", []string{"cadence_target.sev5", "sev5"}},
		{"cadence not a mapping", "cadence_target: 5m\n", []string{"cadence_target", "5m"}},
		{"min channels not a number", "min_channels: two\n", []string{"min_channels", `"two"`}},
		{"min channels zero", "min_channels: 0\n", []string{"min_channels", "0"}},
		{"coverage above 1", "compensation_coverage: 1.5\n", []string{"compensation_coverage", "1.5"}},
		{"negative followup coverage", "followup_coverage: -0.1\n", []string{"followup_coverage", "-0.1"}},
		{"unknown compensation severity", "compensation_severities: [sev1, critical]\n", []string{"compensation_severities[1]", "critical"}},
		{"compensation severities not a list", "compensation_severities: sev1\n", []string{"compensation_severities", "sev1"}},
		{"zero churn window", "churn_window_days: 0\n", []string{"churn_window_days", "0"}},
		{"fractional days", "postmortem_days: 1.5\n", []string{"postmortem_days", "1.5"}},
		{"negative followup days", "followup_days: -1\n", []string{"followup_days", "-1"}},
		{"sub-second grace", "promise_grace: 1500ms\n", []string{"promise_grace", "1.5s"}},
		{"not yaml", "ack_target: [\n", []string{"line"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.yaml)
			_, err := analytics.LoadPolicy(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range append(tc.want, path) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		if _, err := analytics.LoadPolicy(filepath.Join(t.TempDir(), "nope.yaml")); err == nil {
			t.Fatal("no error")
		}
	})
}

func TestValidatePolicy(t *testing.T) {
	if err := analytics.ValidatePolicy(trustlens.DefaultPolicy()); err != nil {
		t.Fatalf("default policy: %v", err)
	}
	p := trustlens.DefaultPolicy()
	delete(p.CadenceTarget, "sev3")
	if err := analytics.ValidatePolicy(p); err == nil || !strings.Contains(err.Error(), "cadence_target.sev3") {
		t.Errorf("missing sev3 cadence: got %v", err)
	}
}

func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "policy.yaml")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
