package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

type memSink struct {
	churnAt map[string]int64
	n       int
}

func (m *memSink) Send(_ context.Context, _ trustlens.Stream, _ string, v []byte) error {
	m.n++
	var w struct {
		Type       string `json:"type"`
		CustomerID string `json:"customer_id"`
		OccurredAt string `json:"occurred_at"`
	}
	_ = json.Unmarshal(v, &w)
	if w.Type == trustlens.TypeCustomerChurned {
		t, _ := time.Parse(time.RFC3339, w.OccurredAt)
		if _, ok := m.churnAt[w.CustomerID]; !ok {
			m.churnAt[w.CustomerID] = t.Unix()
		}
	}
	return nil
}

func TestTune(t *testing.T) {
	if os.Getenv("SIM_TUNE") == "" {
		t.Skip("set SIM_TUNE=1")
	}
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	bad := 0
	for seed := int64(1); seed <= 20; seed++ {
		sink := &memSink{churnAt: map[string]int64{}}
		s, err := newSim(Config{Seed: seed, History: 4320 * time.Hour, Now: func() time.Time { return now }}, sink)
		if err != nil {
			t.Fatal(err)
		}
		var traces []incidentTrace
		s.trace = func(tr incidentTrace) { traces = append(traces, tr) }
		st, err := s.run(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var act, ch [habitCount][2]int
		var sevN = map[string]int{}
		for _, tr := range traces {
			if tr.res+30*day >= now.Unix() {
				continue
			}
			sevN[tr.sev]++
			a, c := 0, 0
			for _, id := range tr.affected {
				at, ok := sink.churnAt[id]
				if ok && at <= tr.res {
					continue
				}
				a++
				if ok && at <= tr.res+30*day {
					c++
				}
			}
			for h := habit(0); h < habitCount; h++ {
				if h == habitCompensate && tr.sev != "sev1" && tr.sev != "sev2" {
					continue
				}
				k := 0
				if tr.met[h] {
					k = 1
				}
				act[h][k] += a
				ch[h][k] += c
			}
		}
		line := fmt.Sprintf("seed %2d events %6d inc %3d cust %d churn %d sev %v |", seed, st.Events, st.Incidents, st.Customers, st.Churned, sevN)
		for h := habit(0); h < habitCount; h++ {
			met := float64(ch[h][1]) / float64(act[h][1])
			mis := float64(ch[h][0]) / float64(act[h][0])
			flag := ""
			if !(mis > met) {
				flag = "!"
				bad++
			}
			line += fmt.Sprintf(" %.3f/%.3f%s", met, mis, flag)
		}
		t.Log(line)
	}
	t.Logf("flips: %d", bad)
}
