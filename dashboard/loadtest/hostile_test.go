package loadtest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/dashboard"
)

// syncBuffer collects the server's log lines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hostileValues are query values no parameter of any route accepts:
// SQL injection, huge numbers and strings, impossible dates, odd unicode.
var hostileValues = []string{
	`' OR 1=1 --`,
	`sev1'; DROP TABLE incident_events; --`,
	`sev1' UNION SELECT name, password FROM system.users --`,
	`1; SELECT sleep(3)`,
	`) OR (1=1`,
	`sev1\' OR \'\'=\'`,
	`{{.DB}}`,
	`$(id)`,
	strings.Repeat("A", 10<<10),
	strings.Repeat("9", 10<<10),
	"1e308", "-1e308", "-1", "9223372036854775808", "9223372036854775807", "-9223372036854775808",
	"18446744073709551616", "NaN", "Infinity", "0x10", "1_000", "1.5",
	"2026-02-30", "2026-13-01", "0000-01-01", "9999-12-31T23:59:59Z", "2026-11-03T25:00:00Z",
	"2026-11-03 14:05:09", "2026-11-03T14:05:09", "2026-11-03T14:05:09+99:00", "yesterday", "1700000000",
	"1999-12-31", "2101-01-01",
	"sev1\u200f", "\u202esev1", "sev1\x00", "\x00", "🔥", "ｓｅｖ１", "sev\u0301", "sev1\r\nX-Injected: 1",
	"\xff\xfe", "day\x7f", "<script>alert(1)</script>",
}

// rawQueries are whole query strings that must be refused as such:
// invalid %-encoding, semicolons, repeated parameters.
var rawQueries = []string{
	"severity=%zz", "severity=%", "from=%E0%A4%A", "limit=%G1", "severity=sev1;DROP", "%=1",
	"severity=sev1&severity=sev2", "limit=1&limit=1", "from=2026-01-01&from=2026-01-01", "format=json&format=csv",
	"metric=incidents&metric=incidents", "x=1",
}

// paramNames is every query parameter any route reads, and one none reads.
var paramNames = []string{"from", "to", "severity", "status", "limit", "offset", "format", "metric", "interval", "next", "v", "x", "id", "token"}

// publicPatterns answer without the figure store; they only must not fail.
var publicPatterns = map[string]bool{"/healthz": true, "/readyz": true, "/login": true, "/logout": true, "/static/*": true, "/metrics": true}

// clickhouseLeak finds text of a ClickHouse or SQL error in an answer.
func clickhouseLeak(body string) string {
	for _, s := range []string{"DB::Exception", "Code: ", "clickhouse", "ClickHouse", "Syntax error", "goroutine ", "panic"} {
		if strings.Contains(body, s) {
			return s
		}
	}
	return ""
}

type hostileServer struct {
	url   string
	store *counting
	logs  *syncBuffer
	e     *echo.Echo
	id    string
}

func startHostile(t *testing.T, sd *seeded) *hostileServer {
	t.Helper()
	store, now, id := sd.store, sd.now, sd.id
	cs := &counting{Analytics: store}
	logs := &syncBuffer{}
	srv := dashboard.New(cs, dashboard.Config{
		Logger: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    func() time.Time { return now },
	})
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e, ok := srv.Handler().(*echo.Echo)
	if !ok {
		t.Fatalf("Handler is a %T, not *echo.Echo: cannot list the routes", srv.Handler())
	}
	return &hostileServer{url: ts.URL, store: cs, logs: logs, e: e, id: id}
}

// get sends GET (or method) with an exact request-target (no client-side
// escaping or validation).
func (h *hostileServer) get(t *testing.T, method, target string) (int, http.Header, string) {
	t.Helper()
	u, err := url.Parse(h.url)
	if err != nil {
		t.Fatal(err)
	}
	u.Opaque = target // written as is in the request line
	req := &http.Request{Method: method, URL: u, Header: http.Header{}, Host: u.Host}
	if method == http.MethodPost {
		req.Body = io.NopCloser(strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, clip(target), err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b)
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:120] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}

// testHostileParameters sends every hostile value in every parameter of
// every route, and every malformed query string, to the dashboard over the
// real analytics store: each page and API route answers 400 naming the
// parameter (never 500, never a ClickHouse error), the store is not called
// at all (nothing reaches SQL unvalidated), and nothing is logged as a
// failure. The data is intact afterwards.
func testHostileParameters(t *testing.T, sd *seeded) {
	h := startHostile(t, sd)
	type route struct{ method, pattern, path string }
	var routes []route
	for _, r := range h.e.Routes() {
		p := strings.ReplaceAll(r.Path, ":id", h.id)
		p = strings.ReplaceAll(p, "*", "app.css")
		routes = append(routes, route{r.Method, r.Path, p})
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].path+routes[i].method < routes[j].path+routes[j].method })
	if len(routes) < 15 {
		t.Fatalf("only %d routes: %v", len(routes), routes)
	}

	// the hostile parameter comes with the route's required ones, valid, so
	// that it is what the answer is about
	type query struct{ name, q string }
	var queries []query
	for _, name := range paramNames {
		for _, v := range hostileValues {
			queries = append(queries, query{name, name + "=" + url.QueryEscape(v)})
		}
	}
	for _, q := range rawQueries {
		queries = append(queries, query{"", q})
	}
	required := map[string]string{"/api/v1/trends": "metric"}

	requests := 0
	for _, r := range routes {
		before := h.store.calls.Load()
		for _, qq := range queries {
			q := qq.q
			if req := required[r.pattern]; req != "" && qq.name != "" && qq.name != req {
				q = req + "=incidents&" + q
			}
			requests++
			status, hdr, body := h.get(t, r.method, r.path+"?"+q)
			if leak := clickhouseLeak(body); leak != "" {
				t.Errorf("%s %s?%s: answer contains %q: %s", r.method, r.pattern, clip(q), leak, clip(body))
			}
			if status >= 500 {
				t.Errorf("%s %s?%s: status %d: %s", r.method, r.pattern, clip(q), status, clip(body))
				continue
			}
			if publicPatterns[r.pattern] {
				continue
			}
			if status != http.StatusBadRequest {
				t.Errorf("%s %s?%s: status %d, want 400", r.method, r.pattern, clip(q), status)
				continue
			}
			if strings.HasPrefix(r.path, "/api/") {
				var e struct{ Error string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" {
					t.Errorf("%s %s?%s: 400 body is not {\"error\": …}: %s", r.method, r.pattern, clip(q), clip(body))
				} else if qq.name != "" && !strings.HasPrefix(e.Error, qq.name+": ") {
					t.Errorf("%s %s?%s: error %q does not name %q", r.method, r.pattern, clip(q), e.Error, qq.name)
				}
				if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
					t.Errorf("%s %s: Content-Type %q", r.method, r.pattern, ct)
				}
			}
		}
		if n := h.store.calls.Load() - before; n != 0 && !publicPatterns[r.pattern] {
			t.Errorf("%s %s: the store was queried %d times with rejected parameters", r.method, r.pattern, n)
		}
	}
	t.Logf("%d hostile requests over %d routes: no 5xx, every page and API answer 400, store untouched", requests, len(routes))
	assertNoFailureLogged(t, h)
	assertDataIntact(t, h)
}

// testHostileIncidentIDs asks for incidents with odd ids on the API and the
// page: 404 (unknown) or 400 (malformed), never 500 or a ClickHouse error.
// The well-formed ones do reach the real store, which must bind them as
// values (an id with a quote would break string-built SQL).
func testHostileIncidentIDs(t *testing.T, sd *seeded) {
	h := startHostile(t, sd)
	ids := []string{
		url.PathEscape(`' OR 1=1 --`),
		url.PathEscape(`inc-1'; DROP TABLE incident_events; --`),
		url.PathEscape(`x' UNION SELECT name FROM system.tables --`),
		url.PathEscape(`\'`), url.PathEscape(`\\`), url.PathEscape(`%`), url.PathEscape(`_`),
		url.PathEscape(strings.Repeat("i", 10<<10)),
		url.PathEscape(strings.Repeat("i", 129)),
		url.PathEscape("🔥"), url.PathEscape("inc\u200f-1"), url.PathEscape("\u202e1-cni"),
		"%00", "inc%00x", "%ff%fe", "%zz", "%", "inc-1%0d%0aX-Injected:%201",
		"..%2F..%2Fetc%2Fpasswd", "%2e%2e", "inc-1%2Fx", "1e308", "-1", "9223372036854775808",
		url.PathEscape("<script>alert(1)</script>"), url.PathEscape("{{.DB}}"),
	}
	before := h.store.calls.Load()
	for _, prefix := range []string{"/api/v1/incidents/", "/incidents/"} {
		for i, id := range ids {
			if prefix == "/incidents/" && i%3 != 0 {
				continue // the page asks the same store query: a third of them is enough
			}
			status, _, body := h.get(t, http.MethodGet, prefix+id)
			if leak := clickhouseLeak(body); leak != "" {
				t.Errorf("%s%s: answer contains %q: %s", prefix, clip(id), leak, clip(body))
			}
			if status != http.StatusNotFound && status != http.StatusBadRequest {
				t.Errorf("%s%s: status %d, want 404 or 400: %s", prefix, clip(id), status, clip(body))
			}
			if strings.Contains(body, "<script>alert(1)</script>") {
				t.Errorf("%s%s: the id is echoed unescaped", prefix, clip(id))
			}
		}
		status, _, body := h.get(t, http.MethodGet, prefix+url.PathEscape(h.id))
		if status != http.StatusOK {
			t.Errorf("%s%s: status %d after the hostile ids: %s", prefix, h.id, status, clip(body))
		}
	}
	t.Logf("%d hostile ids on the API, a third of them on the page: %d reached the real store, none failed", len(ids), h.store.calls.Load()-before)
	assertNoFailureLogged(t, h)
	assertDataIntact(t, h)
}

func assertNoFailureLogged(t *testing.T, h *hostileServer) {
	t.Helper()
	for _, line := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("failure logged: %s", clip(line))
		}
	}
}

// assertDataIntact checks the seeded figures are still there.
func assertDataIntact(t *testing.T, h *hostileServer) {
	t.Helper()
	status, _, body := h.get(t, http.MethodGet, "/api/v1/summary?from=2026-01-01&to=2027-01-01")
	var s trustlens.Summary
	if status != http.StatusOK {
		t.Fatalf("summary after the attack: %d %s", status, clip(body))
	}
	if err := json.Unmarshal([]byte(body), &s); err != nil || s.Incidents == 0 {
		t.Errorf("summary after the attack: %d incidents (err %v): %s", s.Incidents, err, clip(body))
	}
}
