package dashboard

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// asOfFake notes an as-of instant as the analytics store does: summary
// answers as of summaryAt, churn answers as of churnAt, the rest none.
type asOfFake struct {
	*apiFake
	summaryAt, churnAt time.Time
}

func (f asOfFake) Summary(ctx context.Context, flt trustlens.Filter) (trustlens.Summary, error) {
	trustlens.NoteAsOf(ctx, f.summaryAt)
	return f.apiFake.Summary(ctx, flt)
}

func (f asOfFake) Churn(ctx context.Context, flt trustlens.Filter) (trustlens.Churn, error) {
	trustlens.NoteAsOf(ctx, f.churnAt)
	return f.apiFake.Churn(ctx, flt)
}

// TestAsOf checks that the as-of instant of the figures reaches the
// answer: the "as_of" field (first) and the X-Trustlens-As-Of header of
// the API, "figures as of" on the pages (the oldest of the page's
// answers), and nothing where no figure was read.
func TestAsOf(t *testing.T) {
	fake := asOfFake{
		apiFake:   newAPIFake(),
		summaryAt: time.Date(2026, 12, 1, 12, 4, 31, 900_000_000, time.UTC), // rounded down to the second
		churnAt:   time.Date(2026, 12, 1, 11, 59, 2, 0, time.FixedZone("CET", 3600)),
	}
	s := New(fake, Config{Now: func() time.Time { return apiNow }, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	cases := []struct {
		name, target string
		header       string // X-Trustlens-As-Of; "" = absent
		body         string // the start of the body (JSON) or a part of it (pages)
	}{
		{"summary", "/api/v1/summary", "2026-12-01T12:04:31Z", `{"as_of":"2026-12-01T12:04:31Z","incidents":2,`},
		{"churn", "/api/v1/churn", "2026-12-01T10:59:02Z", `{"as_of":"2026-12-01T10:59:02Z",`},
		{"no as-of noted", "/api/v1/compensation", "", `{"offered_customers"`},
		{"summary as CSV", "/api/v1/summary?format=csv", "2026-12-01T12:04:31Z", "incidents,open_incidents,"},
		{"overview page: the oldest", "/", "2026-12-01T10:59:02Z", `figures as of <time datetime="2026-12-01T10:59:02Z">10:59:02</time>`},
		{"health", "/healthz", "", `{"status":"ok"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := apiDo(t, s, http.MethodGet, tc.target, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
			if got := rec.Header().Get(HeaderAsOf); got != tc.header {
				t.Errorf("%s: got %q, want %q", HeaderAsOf, got, tc.header)
			}
			body := rec.Body.String()
			if strings.HasPrefix(tc.body, "{") {
				if !strings.HasPrefix(body, tc.body) {
					t.Errorf("body starts %.120q, want %q", body, tc.body)
				}
				var v map[string]any
				if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
					t.Errorf("body is not a JSON object: %v", err)
				}
			} else if !strings.Contains(body, tc.body) {
				t.Errorf("body lacks %q", tc.body)
			}
			if tc.header == "" && strings.Contains(body, "as_of") {
				t.Errorf("as_of in an answer that read no figures: %.200s", body)
			}
		})
	}
}

func TestFmtAsOf(t *testing.T) {
	now := time.Date(2026, 12, 6, 0, 0, 5, 0, time.UTC)
	for _, tc := range []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 6, 0, 0, 1, 0, time.UTC), "00:00:01"},
		{time.Date(2026, 12, 5, 23, 59, 58, 0, time.UTC), "2026-12-05 23:59:58"},
		{time.Date(2026, 12, 6, 1, 0, 1, 0, time.FixedZone("CET", 3600)), "00:00:01"},
	} {
		if got := fmtAsOf(tc.at, now); got != tc.want {
			t.Errorf("fmtAsOf(%s) = %q, want %q", tc.at, got, tc.want)
		}
	}
}
