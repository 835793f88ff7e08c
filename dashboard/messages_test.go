package dashboard

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// TestIncidentMessages checks what the incident API and page show of a
// communication: its words, its stored flags, and for each stored flag
// the classifier's evidence — never a flag the producer did not set, and
// no evidence for a flag the words do not show.
func TestIncidentMessages(t *testing.T) {
	promised := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	body := "We are <b>sorry</b>. A change we made broke sign-ins. Next update by 15:00 UTC."
	withMessage := func() *apiFake {
		fake := newAPIFake()
		d := fake.details["inc-1"]
		tl := append([]trustlens.TimelineEvent{}, d.Timeline...)
		tl[1].Message = &trustlens.Message{Body: body, Apology: true, RootCause: true, NextUpdateAt: &promised}
		d.Timeline = tl
		fake.details["inc-1"] = d
		return fake
	}
	// The classifier reads an apology, responsibility and the promise from
	// these words, not a root cause; the producer stored apology, root
	// cause and the promise, not responsibility.
	classify := func(text string, at time.Time) trustlens.Classification {
		if text != body {
			t.Errorf("classified %q, want the message's body", text)
		}
		return trustlens.Classification{Apology: true, TakesResponsibility: true, NextUpdateAt: &promised, Evidence: map[string]string{
			"apology": "We are sorry.", "takes_responsibility": "A change we made broke sign-ins.", "next_update_at": "Next update by 15:00 UTC.",
		}}
	}

	t.Run("api", func(t *testing.T) {
		fake := withMessage()
		s := newAPIServer(t, fake, func(c *Config) { c.Classify = classify })
		rec := apiDo(t, s, http.MethodGet, "/api/v1/incidents/inc-1", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		var got struct {
			Timeline []struct {
				EventID string             `json:"event_id"`
				Message *trustlens.Message `json:"message"`
			} `json:"timeline"`
		}
		decodeJSON(t, rec.Body.Bytes(), &got)
		want := &trustlens.Message{Body: body, Apology: true, RootCause: true, NextUpdateAt: &promised, Evidence: map[string]string{
			"apology": "We are sorry.", "next_update_at": "Next update by 15:00 UTC.",
		}}
		if len(got.Timeline) != 3 || got.Timeline[0].Message != nil || got.Timeline[2].Message != nil {
			t.Fatalf("timeline %+v: want a message on the second event only", got.Timeline)
		}
		eqv(t, "message", got.Timeline[1].Message, want)
		if ev := fake.details["inc-1"].Timeline[1].Message.Evidence; ev != nil {
			t.Errorf("the store's message was written to: evidence %v", ev)
		}
	})

	t.Run("api without a classifier", func(t *testing.T) {
		s := newAPIServer(t, withMessage(), nil)
		rec := apiDo(t, s, http.MethodGet, "/api/v1/incidents/inc-1", nil)
		if !strings.Contains(rec.Body.String(), `"body":"We are \u003cb\u003esorry\u003c/b\u003e.`) || strings.Contains(rec.Body.String(), `"evidence"`) {
			t.Errorf("answer %s: want the body and no evidence", rec.Body)
		}
	})

	t.Run("page", func(t *testing.T) {
		s := newAPIServer(t, withMessage(), func(c *Config) { c.Classify = classify })
		rec := apiDo(t, s, http.MethodGet, "/incidents/inc-1", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
		page := rec.Body.String()
		for _, want := range []string{
			`<span class="chip" title="We are sorry.">apology</span>`,
			`<span class="chip">root cause</span>`,
			`<span class="chip" title="Next update by 15:00 UTC.">next update promised by 3 Nov 2026 15:00 UTC</span>`,
			`<summary>What was said</summary>`,
			`<blockquote>We are &lt;b&gt;sorry&lt;/b&gt;. A change we made broke sign-ins. Next update by 15:00 UTC.</blockquote>`,
			`<li><b>apology</b>: “We are sorry.”</li>`,
			// the scorecard names the message that apologized
			`the message of 3 Nov 2026 14:05 UTC: “We are sorry.” apologized to customers`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %s", want)
			}
		}
		for _, absent := range []string{"owns the failure", "<li><b>root cause</b>"} {
			if strings.Contains(page, absent) {
				t.Errorf("page shows %q: a flag not stored, or evidence the words do not show", absent)
			}
		}
		if n := strings.Count(page, `class="tl-msg"`); n != 1 {
			t.Errorf("%d messages shown, want 1", n)
		}
	})
}

// TestScorecardReasons checks that the scorecard names the message that
// met a habit, with its deciding words, and says what a postmortem lacks.
func TestScorecardReasons(t *testing.T) {
	pol := trustlens.DefaultPolicy()
	det := time.Date(2026, 11, 3, 14, 0, 0, 0, time.UTC)
	res := det.Add(2 * time.Hour)
	msg := func(at time.Time, kind string, m trustlens.Message) trustlens.TimelineEvent {
		m.Kind, m.Channel = kind, "status_page"
		return trustlens.TimelineEvent{Type: trustlens.TypeCommunicationSent, OccurredAt: at, Message: &m}
	}
	sorry := msg(det.Add(5*time.Minute), "acknowledgement", trustlens.Message{Apology: true, Evidence: map[string]string{"apology": "We are sorry for the outage."}})
	owned := msg(det.Add(30*time.Minute), "update", trustlens.Message{TakesResponsibility: true}) // a producer's flag: no evidence
	noCause := msg(res.Add(24*time.Hour), "postmortem", trustlens.Message{PreventionSteps: true})
	neither := msg(res.Add(48*time.Hour), "postmortem", trustlens.Message{})
	complete := msg(res.Add(72*time.Hour), "postmortem", trustlens.Message{RootCause: true, PreventionSteps: true})
	resolved := trustlens.Incident{Severity: "sev2", ResolvedAt: &res}
	open := trustlens.Incident{Severity: "sev2"}

	tests := []struct {
		name, habit, verdict string
		inc                  trustlens.Incident
		tl                   []trustlens.TimelineEvent
		want                 string
	}{
		{"apology with its words", trustlens.HabitApologize, trustlens.Met, resolved, []trustlens.TimelineEvent{sorry, owned},
			"the acknowledgement of 3 Nov 2026 14:05 UTC on status_page: “We are sorry for the outage.” apologized to customers"},
		{"responsibility from a producer's flag", trustlens.HabitTakeResponsibility, trustlens.Met, resolved, []trustlens.TimelineEvent{sorry, owned},
			"the update of 3 Nov 2026 14:30 UTC on status_page took responsibility for the outage"},
		{"met without a message in the timeline", trustlens.HabitApologize, trustlens.Met, resolved, nil,
			"a message apologized to customers"},
		{"postmortem without a cause, pending", trustlens.HabitLearn, trustlens.Pending, resolved, []trustlens.TimelineEvent{sorry, noCause},
			"the postmortem of 4 Nov 2026 16:00 UTC on status_page gives prevention steps but not what caused the outage; a complete postmortem is due by 10 Nov 2026 16:00 UTC"},
		{"the latest postmortem counts", trustlens.HabitLearn, trustlens.Missed, resolved, []trustlens.TimelineEvent{noCause, neither},
			"the postmortem of 5 Nov 2026 16:00 UTC on status_page states neither what caused the outage nor the steps that stop it recurring; no complete postmortem within 7 days of resolution"},
		{"no postmortem, pending", trustlens.HabitLearn, trustlens.Pending, resolved, []trustlens.TimelineEvent{sorry},
			"no postmortem with root cause and prevention steps yet; due by 10 Nov 2026 16:00 UTC"},
		{"open, a postmortem without steps", trustlens.HabitLearn, trustlens.Pending, open,
			[]trustlens.TimelineEvent{msg(det.Add(time.Hour), "postmortem", trustlens.Message{RootCause: true})},
			"the postmortem of 3 Nov 2026 15:00 UTC on status_page gives the root cause but no concrete steps against a repeat (tests, alerts, staged roll-outs, process changes); a complete postmortem is due within 7 days of resolution"},
		{"complete", trustlens.HabitLearn, trustlens.Met, resolved, []trustlens.TimelineEvent{noCause, complete},
			"postmortem with root cause and prevention steps published within 7 days of resolution"},
		{"cadence met on enough channels", trustlens.HabitCommunicateProactively, trustlens.Met,
			trustlens.Incident{Severity: "sev2", ResolvedAt: &res, MaxSilenceSeconds: 7200, Channels: []string{"email", "status_page"}}, nil,
			"longest silence 2 h, within the 2 h target for sev2; 2 channels (email, status_page) (minimum 2)"},
		{"silence over target, one channel", trustlens.HabitCommunicateProactively, trustlens.Missed,
			trustlens.Incident{Severity: "sev2", ResolvedAt: &res, MaxSilenceSeconds: 7201, Channels: []string{"status_page"}}, nil,
			"longest silence 2 h, just over the 2 h target for sev2; only 1 channel (status_page), fewer than the 2 asked for"},
		{"silence well over target", trustlens.HabitCommunicateProactively, trustlens.Missed,
			trustlens.Incident{Severity: "sev2", ResolvedAt: &res, MaxSilenceSeconds: 9000, Channels: []string{"email", "sms", "status_page"}}, nil,
			"longest silence 2 h 30 min, over the 2 h target for sev2; 3 channels (email, sms, status_page) (minimum 2)"},
		{"resolved with no message: missed, not 'yet'", trustlens.HabitCommunicateProactively, trustlens.Missed,
			trustlens.Incident{Severity: "sev2", ResolvedAt: &res, MaxSilenceSeconds: 7200}, nil,
			"longest silence 2 h, within the 2 h target for sev2; no channel used (minimum 2)"},
		{"a severity without a cadence target", trustlens.HabitCommunicateProactively, trustlens.Missed,
			trustlens.Incident{Severity: "sev9", ResolvedAt: &res, MaxSilenceSeconds: 60, Channels: []string{"email", "sms"}}, nil,
			"longest silence 1 min, and no cadence target is set for sev9; 2 channels (email, sms) (minimum 2)"},
		{"open, no message yet", trustlens.HabitCommunicateProactively, trustlens.Pending,
			trustlens.Incident{Severity: "sev1", MaxSilenceSeconds: 600}, nil,
			"longest silence 10 min, within the 1 h target for sev1; no channel used yet (minimum 2); still open, so the silence can grow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eqv(t, "reason", habitReasonText(tt.habit, tt.verdict, tt.inc, tt.tl, pol), tt.want)
		})
	}
}

// TestExplainReadsOnlyFlaggedMessages: a message with no flag set is not
// classified (no evidence could be shown for it), and the input timeline
// is left as it was.
func TestExplainReadsOnlyFlaggedMessages(t *testing.T) {
	var read []string
	s := &Server{cfg: Config{Classify: func(text string, _ time.Time) trustlens.Classification {
		read = append(read, text)
		return trustlens.Classification{Apology: true, Evidence: map[string]string{trustlens.EvidenceApology: "Sorry."}}
	}}}
	plain := &trustlens.Message{Kind: "update", Body: "Still investigating."}
	sorry := &trustlens.Message{Kind: "update", Body: "Sorry.", Apology: true}
	tl := []trustlens.TimelineEvent{{EventID: "a", Message: plain}, {EventID: "b", Message: sorry}}
	d := trustlens.IncidentDetail{Timeline: tl}
	s.explain(&d)
	eqv(t, "classified", read, []string{"Sorry."})
	eqv(t, "evidence", d.Timeline[1].Message.Evidence, map[string]string{trustlens.EvidenceApology: "Sorry."})
	if d.Timeline[0].Message != plain || tl[1].Message != sorry || sorry.Evidence != nil {
		t.Errorf("explain wrote to its input: %+v %+v", tl[1].Message, sorry)
	}
}
