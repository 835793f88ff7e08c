package dashboard

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

func paramContext(target string) echo.Context {
	return echo.New().NewContext(httptest.NewRequest("GET", target, nil), httptest.NewRecorder())
}

func TestParamParseFilter(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.FixedZone("X", 7200)) // 10:00Z
	nowUTC := now.UTC()
	tests := []struct {
		query   string
		want    trustlens.Filter
		wantErr string
	}{
		{"", trustlens.Filter{From: nowUTC.Add(-90 * 24 * time.Hour), To: nowUTC, Limit: 100}, ""},
		{"from=2026-01-01&to=2026-02-01", trustlens.Filter{
			From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), Limit: 100}, ""},
		{"from=2026-01-01T10:00:00-05:00&to=2026-01-02T00:00:00.5Z", trustlens.Filter{
			From: time.Date(2026, 1, 1, 15, 0, 0, 0, time.UTC), To: time.Date(2026, 1, 2, 0, 0, 0, 5e8, time.UTC), Limit: 100}, ""},
		{"severity=sev4&status=resolved&limit=1&offset=0", trustlens.Filter{
			From: nowUTC.Add(-90 * 24 * time.Hour), To: nowUTC, Severity: "sev4", Status: "resolved", Limit: 1}, ""},
		{"from=%202026-01-01%20", trustlens.Filter{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: nowUTC, Limit: 100}, ""},
		{"from=2000-01-01&to=2100-12-31", trustlens.Filter{
			From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC), Limit: 100}, ""},
		{"from=2026-01-01T00:00:00%2B01:00", trustlens.Filter{From: time.Date(2025, 12, 31, 23, 0, 0, 0, time.UTC), To: nowUTC, Limit: 100}, ""},
		{"to=2000-01-05", trustlens.Filter{From: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2000, 1, 5, 0, 0, 0, 0, time.UTC), Limit: 100}, ""},
		{"to=2000-01-01", trustlens.Filter{}, `from: must be before to 2000-01-01T00:00:00Z, got 2000-01-01T00:00:00Z`},
		{"from=2026-12-01T10:00:00Z", trustlens.Filter{}, `from: must be before to (default now) 2026-12-01T10:00:00Z, got 2026-12-01T10:00:00Z`},
		{"from=20260101", trustlens.Filter{}, `from: must be RFC 3339`},
		{"to=2026-01-01&to=2026-02-01", trustlens.Filter{}, `to: given 2 times; give it once`},
		{"status=Open", trustlens.Filter{}, `status: must be one of open, resolved, got "Open"`},
		{"offset=99999999999999999999", trustlens.Filter{}, `offset: must be an integer from 0 to 1000000, got "99999999999999999999"`},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			f, err := parseFilter(paramContext("/x?"+tt.query), now)
			if tt.wantErr != "" {
				if err == nil || len(err.Error()) < len(tt.wantErr) || err.Error()[:len(tt.wantErr)] != tt.wantErr {
					t.Fatalf("error %v, want it to start with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f != tt.want {
				t.Errorf("filter\n got %+v\nwant %+v", f, tt.want)
			}
			if f.From.Location() != time.UTC || f.To.Location() != time.UTC {
				t.Errorf("times not in UTC: %v %v", f.From, f.To)
			}
		})
	}
}

func TestParamCheckParams(t *testing.T) {
	tests := []struct {
		query   string
		allowed []string
		wantErr string
	}{
		{"", nil, ""},
		{"format=csv", formatParam, ""},
		{"from=x&to=y&severity=z&format=csv", rangeParams, ""}, // names only; values are parseFilter's
		{"a=1", nil, `a: unknown query parameter; this route takes none`},
		{"b=1&a=1", rangeParams, `a: unknown query parameter; this route accepts from, to, severity, format`},
		{"format=csv&format=json", formatParam, `format: given 2 times; give it once`},
		{"from=%", rangeParams, `query: malformed query string`},
		{"severity", rangeParams, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			err := checkParams(paramContext("/x?"+tt.query), tt.allowed...)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error %v", err)
			case tt.wantErr != "" && (err == nil || len(err.Error()) < len(tt.wantErr) || err.Error()[:len(tt.wantErr)] != tt.wantErr):
				t.Fatalf("error %v, want it to start with %q", err, tt.wantErr)
			}
		})
	}
}

func TestParamTrend(t *testing.T) {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		query            string
		from, to         time.Time
		metric, interval string
		wantErr          string
	}{
		{"metric=incidents", day(2026, 1, 1), day(2026, 4, 1), "incidents", "week", ""},
		{"metric=churn_uplift_pp&interval=day", day(2026, 1, 1), day(2026, 4, 1), "churn_uplift_pp", "day", ""},
		{"metric=incidents&interval=day", day(2000, 1, 1), day(2013, 9, 9), "incidents", "day", ""},                     // 5000 days
		{"metric=incidents&interval=day", day(2000, 1, 1), day(2013, 9, 10), "", "", "interval: day buckets from 2000"}, // 5001
		{"metric=incidents&interval=month", day(2000, 1, 1), day(2100, 1, 1), "incidents", "month", ""},
		{"interval=week", day(2026, 1, 1), day(2026, 4, 1), "", "", "metric: required, one of incidents, open_incidents"},
		{"metric=Incidents", day(2026, 1, 1), day(2026, 4, 1), "", "", `metric: must be one of`},
		{"metric=incidents&interval=quarter", day(2026, 1, 1), day(2026, 4, 1), "", "", `interval: must be one of day, week, month, got "quarter"`},
	}
	for _, tt := range tests {
		t.Run(tt.query+" "+tt.to.Format(time.DateOnly), func(t *testing.T) {
			m, i, err := parseTrend(paramContext("/x?"+tt.query), trustlens.Filter{From: tt.from, To: tt.to})
			if tt.wantErr != "" {
				if err == nil || len(err.Error()) < len(tt.wantErr) || err.Error()[:len(tt.wantErr)] != tt.wantErr {
					t.Fatalf("error %v, want it to start with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || m != tt.metric || i != tt.interval {
				t.Fatalf("got %q %q %v, want %q %q", m, i, err, tt.metric, tt.interval)
			}
		})
	}
}
