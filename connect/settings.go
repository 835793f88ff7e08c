package connect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/trustlens/trustlens"
)

// Settings are the connector settings of SPEC §6.2–6.3 (the YAML file of
// TRUSTLENS_CONNECTORS_FILE; every key optional).
type Settings struct {
	PagerDuty PagerDutySettings `yaml:"pagerduty"`
	Zendesk   ZendeskSettings   `yaml:"zendesk"`
}

// PagerDutySettings map PagerDuty incidents to trustlens events.
type PagerDutySettings struct {
	// Severity maps a priority name (data.priority.summary) to sev1…sev4;
	// the keys given replace those of the default P1→sev1, P2→sev2,
	// P3→sev3, P4/P5→sev4.
	Severity map[string]string `yaml:"severity"`
	// StatusUpdateChannel and StatusUpdateAudience describe where
	// PagerDuty status updates go (default email, affected).
	StatusUpdateChannel  string `yaml:"status_update_channel"`
	StatusUpdateAudience string `yaml:"status_update_audience"`
}

// ZendeskSettings map Zendesk tickets to customers.
type ZendeskSettings struct {
	// CustomerKey is "organization" (organization_id, else the requester
	// for tickets without one; the default) or "requester".
	CustomerKey string `yaml:"customer_key"`
}

// DefaultSettings are the settings with no file.
func DefaultSettings() Settings {
	return Settings{
		PagerDuty: PagerDutySettings{
			Severity:             map[string]string{"P1": "sev1", "P2": "sev2", "P3": "sev3", "P4": "sev4", "P5": "sev4"},
			StatusUpdateChannel:  "email",
			StatusUpdateAudience: "affected",
		},
		Zendesk: ZendeskSettings{CustomerKey: "organization"},
	}
}

// LoadSettings reads a settings file over the defaults ("" = defaults).
// The error is one line naming the key at fault.
func LoadSettings(path string) (Settings, error) {
	if path == "" {
		return DefaultSettings(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return Settings{}, err
	}
	s, err := ParseSettings(raw)
	if err != nil {
		return Settings{}, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// ParseSettings reads the YAML of a settings file over the defaults.
func ParseSettings(raw []byte) (Settings, error) {
	var file Settings
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil && !errors.Is(err, io.EOF) {
		var te *yaml.TypeError
		if errors.As(err, &te) && len(te.Errors) > 0 {
			return Settings{}, errors.New(strings.TrimPrefix(te.Errors[0], "yaml: "))
		}
		return Settings{}, errors.New(strings.ReplaceAll(err.Error(), "\n", " "))
	}
	s := DefaultSettings()
	prios := make([]string, 0, len(file.PagerDuty.Severity))
	for p := range file.PagerDuty.Severity {
		prios = append(prios, p)
	}
	sort.Strings(prios)
	for _, p := range prios {
		sev := file.PagerDuty.Severity[p]
		if !oneOf(trustlens.Severities, sev) {
			return Settings{}, fmt.Errorf("pagerduty.severity.%s: must be one of %s, got %q", p, strings.Join(trustlens.Severities, ", "), sev)
		}
		s.PagerDuty.Severity[p] = sev
	}
	if v := file.PagerDuty.StatusUpdateChannel; v != "" {
		if !oneOf(trustlens.CommChannels, v) {
			return Settings{}, fmt.Errorf("pagerduty.status_update_channel: must be one of %s, got %q", strings.Join(trustlens.CommChannels, ", "), v)
		}
		s.PagerDuty.StatusUpdateChannel = v
	}
	if v := file.PagerDuty.StatusUpdateAudience; v != "" {
		if !oneOf(trustlens.Audiences, v) {
			return Settings{}, fmt.Errorf("pagerduty.status_update_audience: must be one of %s, got %q", strings.Join(trustlens.Audiences, ", "), v)
		}
		s.PagerDuty.StatusUpdateAudience = v
	}
	if v := file.Zendesk.CustomerKey; v != "" {
		if v != "organization" && v != "requester" {
			return Settings{}, fmt.Errorf("zendesk.customer_key: must be organization or requester, got %q", v)
		}
		s.Zendesk.CustomerKey = v
	}
	return s, nil
}

func oneOf(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
