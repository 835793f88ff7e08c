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
