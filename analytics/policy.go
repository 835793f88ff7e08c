package analytics

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/trustlens/trustlens"
)

// policyFile is the YAML shape of a policy: every key optional, read as a
// node so that a bad value is reported with its key.
type policyFile struct {
	AckTarget              yaml.Node `yaml:"ack_target"`
	CadenceTarget          yaml.Node `yaml:"cadence_target"`
	MinChannels            yaml.Node `yaml:"min_channels"`
	CompensationSeverities yaml.Node `yaml:"compensation_severities"`
	CompensationCoverage   yaml.Node `yaml:"compensation_coverage"`
	PostmortemDays         yaml.Node `yaml:"postmortem_days"`
	FollowupDays           yaml.Node `yaml:"followup_days"`
	FollowupCoverage       yaml.Node `yaml:"followup_coverage"`
	ChurnWindowDays        yaml.Node `yaml:"churn_window_days"`
	PromiseGrace           yaml.Node `yaml:"promise_grace"`
}

// Limits that keep every policy figure meaningful and its SQL in range.
const (
	maxPolicyDays     = 3650
	maxPolicyDuration = 365 * 24 * time.Hour
)

// LoadPolicy reads a YAML policy file (SPEC §2.4). Keys left out keep their
// defaults (trustlens.DefaultPolicy); durations are written like "30m" or
// "2h". Unknown keys and bad values are errors naming the key and the
// value. Example:
//
//	ack_target: 15m
//	cadence_target: {sev1: 30m, sev2: 1h}
//	compensation_severities: [sev1]
//	churn_window_days: 60
func LoadPolicy(path string) (trustlens.Policy, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return trustlens.Policy{}, fmt.Errorf("analytics: policy: %w", err)
	}
	p, err := parsePolicy(raw)
	if err != nil {
		return p, fmt.Errorf("analytics: policy %s: %w", path, err)
	}
	return p, nil
}

func parsePolicy(raw []byte) (trustlens.Policy, error) {
	p := trustlens.DefaultPolicy()
	var pf policyFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&pf); err != nil && !errors.Is(err, io.EOF) {
		return p, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := readDuration(opt(&pf.AckTarget), "ack_target", &p.AckTarget); err != nil {
		return p, err
	}
	if n := opt(&pf.CadenceTarget); n != nil {
		if n.Kind != yaml.MappingNode {
			return p, fmt.Errorf("cadence_target: must be a mapping of severity to duration (sev1: 60m), got %q", nodeText(n))
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			sev := n.Content[i].Value
			key := "cadence_target." + sev
			if !contains(trustlens.Severities, sev) {
				return p, fmt.Errorf("%s: unknown severity %q (must be one of %s)", key, sev, strings.Join(trustlens.Severities, ", "))
			}
			var d trustlens.Duration
			if err := readDuration(n.Content[i+1], key, &d); err != nil {
				return p, err
			}
			p.CadenceTarget[sev] = d
		}
	}
	if err := readInt(opt(&pf.MinChannels), "min_channels", &p.MinChannels); err != nil {
		return p, err
	}
	if n := opt(&pf.CompensationSeverities); n != nil {
		var sevs []string
		if n.Kind != yaml.SequenceNode || n.Decode(&sevs) != nil {
			return p, fmt.Errorf("compensation_severities: must be a list of severities ([sev1, sev2]), got %q", nodeText(n))
		}
		p.CompensationSeverities = sevs
	}
	if err := readFloat(opt(&pf.CompensationCoverage), "compensation_coverage", &p.CompensationCoverage); err != nil {
		return p, err
	}
	if err := readInt(opt(&pf.PostmortemDays), "postmortem_days", &p.PostmortemDays); err != nil {
		return p, err
	}
	if err := readInt(opt(&pf.FollowupDays), "followup_days", &p.FollowupDays); err != nil {
		return p, err
	}
	if err := readFloat(opt(&pf.FollowupCoverage), "followup_coverage", &p.FollowupCoverage); err != nil {
		return p, err
	}
	if err := readInt(opt(&pf.ChurnWindowDays), "churn_window_days", &p.ChurnWindowDays); err != nil {
		return p, err
	}
	if err := readDuration(opt(&pf.PromiseGrace), "promise_grace", &p.PromiseGrace); err != nil {
		return p, err
	}
	return p, ValidatePolicy(p)
}

// opt is n, or nil when the key was absent.
func opt(n *yaml.Node) *yaml.Node {
	if n.Kind == 0 {
		return nil
	}
	return n
}

func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return n.Value
	}
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(n)
	return strings.TrimSpace(b.String())
}

func readDuration(n *yaml.Node, key string, out *trustlens.Duration) error {
	if n == nil {
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s: must be a duration such as 30m or 2h, got %q", key, nodeText(n))
	}
	d, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("%s: must be a duration such as 30m or 2h, got %q", key, n.Value)
	}
	*out = trustlens.Duration(d)
	return nil
}

func readInt(n *yaml.Node, key string, out *int) error {
	if n == nil {
		return nil
	}
	v, err := strconv.Atoi(n.Value)
	if n.Kind != yaml.ScalarNode || err != nil {
		return fmt.Errorf("%s: must be a whole number, got %q", key, nodeText(n))
	}
	*out = v
	return nil
}

func readFloat(n *yaml.Node, key string, out *float64) error {
	if n == nil {
		return nil
	}
	var v float64
	if n.Kind != yaml.ScalarNode || n.Decode(&v) != nil {
		return fmt.Errorf("%s: must be a number, got %q", key, nodeText(n))
	}
	*out = v
	return nil
}

// ValidatePolicy checks every figure of p: positive targets (whole
// seconds), coverages within 0…1, severities among sev1…sev4, a cadence
// target for each of the four severities. The error names the key and
// the value.
func ValidatePolicy(p trustlens.Policy) error {
	dur := func(key string, d trustlens.Duration, allowZero bool) error {
		v := time.Duration(d)
		switch {
		case v < 0 || (v == 0 && !allowZero):
			return fmt.Errorf("%s: must be positive, got %s", key, v)
		case v%time.Second != 0:
			return fmt.Errorf("%s: must be whole seconds, got %s", key, v)
		case v > maxPolicyDuration:
			return fmt.Errorf("%s: must be at most %s, got %s", key, maxPolicyDuration, v)
		}
		return nil
	}
	days := func(key string, v int) error {
		if v < 1 || v > maxPolicyDays {
			return fmt.Errorf("%s: must be between 1 and %d days, got %d", key, maxPolicyDays, v)
		}
		return nil
	}
	coverage := func(key string, v float64) error {
		if !(v >= 0 && v <= 1) {
			return fmt.Errorf("%s: must be between 0 and 1, got %g", key, v)
		}
		return nil
	}
	if err := dur("ack_target", p.AckTarget, false); err != nil {
		return err
	}
	var extra []string
	for sev := range p.CadenceTarget {
		if !contains(trustlens.Severities, sev) {
			extra = append(extra, sev)
		}
	}
	if len(extra) > 0 {
		sort.Strings(extra)
		return fmt.Errorf("cadence_target.%s: unknown severity %q (must be one of %s)", extra[0], extra[0], strings.Join(trustlens.Severities, ", "))
	}
	for _, sev := range trustlens.Severities {
		d, ok := p.CadenceTarget[sev]
		if !ok {
			return fmt.Errorf("cadence_target.%s: missing (every severity needs a cadence target)", sev)
		}
		if err := dur("cadence_target."+sev, d, false); err != nil {
			return err
		}
	}
	if p.MinChannels < 1 || p.MinChannels > len(trustlens.CommChannels) {
		return fmt.Errorf("min_channels: must be between 1 and %d, got %d", len(trustlens.CommChannels), p.MinChannels)
	}
	for i, sev := range p.CompensationSeverities {
		if !contains(trustlens.Severities, sev) {
			return fmt.Errorf("compensation_severities[%d]: unknown severity %q (must be one of %s)", i, sev, strings.Join(trustlens.Severities, ", "))
		}
	}
	if err := coverage("compensation_coverage", p.CompensationCoverage); err != nil {
		return err
	}
	if err := days("postmortem_days", p.PostmortemDays); err != nil {
		return err
	}
	if err := days("followup_days", p.FollowupDays); err != nil {
		return err
	}
	if err := coverage("followup_coverage", p.FollowupCoverage); err != nil {
		return err
	}
	if err := days("churn_window_days", p.ChurnWindowDays); err != nil {
		return err
	}
	return dur("promise_grace", p.PromiseGrace, true)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
