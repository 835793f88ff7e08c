package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// Hostile-client tests that walk Echo's own route list, so that a route
// added later cannot be forgotten: authentication on every non-public
// route, the security headers on every answer. (Parameter fuzzing runs
// against the real analytics store in dashboard/loadtest.)

// publicPatterns are the only route patterns served without credentials.
var publicPatterns = map[string]bool{"/healthz": true, "/readyz": true, "/login": true, "/logout": true, "/static/*": true}

// concrete turns a route pattern into a path that matches it.
func concrete(pattern string) string {
	p := strings.ReplaceAll(pattern, ":id", "inc-1")
	return strings.ReplaceAll(p, "*", "app.css")
}

type routeCase struct{ method, pattern, path string }

// everyRoute lists every registered route of s (method, pattern, path).
func everyRoute(t *testing.T, s *Server) []routeCase {
	t.Helper()
	var out []routeCase
	for _, r := range s.echo.Routes() {
		if r.Method == routeNotFoundMethod {
			continue
		}
		out = append(out, routeCase{r.Method, r.Path, concrete(r.Path)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pattern+out[i].method < out[j].pattern+out[j].method })
	if len(out) < 15 {
		t.Fatalf("only %d routes registered: %v", len(out), out)
	}
	return out
}

// routeNotFoundMethod is the pseudo-method of Echo's RouteNotFound
// handlers (none today).
const routeNotFoundMethod = "echo_route_not_found"

// bodyFor is an empty body for a POST, none otherwise.
func bodyFor(method string) io.Reader {
	if method == http.MethodPost {
		return strings.NewReader("")
	}
	return nil
}

// TestHostileEveryRouteNeedsAuth: with a token configured, every route but
// /healthz, /readyz, /login, /logout and /static/* refuses a request
// without credentials or with wrong ones (401 for the API and non-GET
// methods, a redirect to /login for pages), and serves it with the token.
func TestHostileEveryRouteNeedsAuth(t *testing.T) {
	s := authServer(t, nil)
	routes := everyRoute(t, s)
	seen := map[string]bool{}
	for _, rc := range routes {
		seen[rc.pattern] = true
		t.Run(rc.method+" "+rc.pattern, func(t *testing.T) {
			bad := [][]string{
				nil,
				{"Authorization", "Bearer wrong-" + testToken},
				{"Authorization", "Bearer "},
				{"Authorization", "Basic " + testToken},
				{"Authorization", testToken},
				{"Cookie", SessionCookie + "=" + testToken},
				{"Cookie", SessionCookie + "=v1.99999999999.AAAA"},
				{"X-Auth-Token", testToken},
			}
			for _, hdr := range bad {
				rec := apiDo(t, s, rc.method, rc.path, bodyFor(rc.method), hdr...)
				refused := rec.Code == http.StatusUnauthorized ||
					rec.Code == http.StatusSeeOther && strings.HasPrefix(rec.Header().Get("Location"), "/login?")
				if publicPatterns[rc.pattern] {
					// (POST /login answers 401 itself to a wrong token, without the
					// middleware's WWW-Authenticate)
					if rec.Header().Get("WWW-Authenticate") != "" || strings.HasPrefix(rec.Header().Get("Location"), "/login?") {
						t.Errorf("public route refused by the authentication middleware with %v: %d", hdr, rec.Code)
					}
					continue
				}
				if !refused {
					t.Errorf("served without valid credentials (%v): status %d, Location %q", hdr, rec.Code, rec.Header().Get("Location"))
				}
				if rec.Code == http.StatusUnauthorized && strings.Contains(rec.Body.String(), "inc-1") {
					t.Errorf("the 401 answer leaks data: %s", rec.Body)
				}
			}
			if publicPatterns[rc.pattern] {
				return
			}
			rec := apiDo(t, s, rc.method, rc.path, nil, "Authorization", "Bearer "+testToken)
			if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusSeeOther {
				t.Errorf("refused with the right token: %d", rec.Code)
			}
		})
	}
	// the public list must name real routes (a renamed health route would
	// otherwise silently lose its exemption)
	for p := range publicPatterns {
		if !seen[p] {
			t.Errorf("public route %s is not registered", p)
		}
	}
	// and a path that matches no route is refused too, not 404-probed
	for _, path := range []string{"/api/v1/nope", "/api/v2/summary", "/admin", "/%2e%2e/etc/passwd"} {
		rec := apiDo(t, s, http.MethodGet, path, nil)
		if rec.Code == http.StatusOK {
			t.Errorf("%s: 200 without credentials", path)
		}
	}
}

// TestHostileHeadersOnEveryAnswer: every route's answer, with auth on and
// off, authorized or not, carries the CSP and the hardening headers, and
// API answers are not cached.
func TestHostileHeadersOnEveryAnswer(t *testing.T) {
	want := map[string]string{
		"Content-Security-Policy": ContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	}
	if !strings.Contains(ContentSecurityPolicy, "default-src 'self'") || strings.Contains(ContentSecurityPolicy, "unsafe-") {
		t.Errorf("CSP is not strict: %s", ContentSecurityPolicy)
	}
	servers := map[string]*Server{"auth off": newAPIServer(t, newAPIFake(), nil), "auth on": authServer(t, nil)}
	for name, s := range servers {
		for _, rc := range everyRoute(t, s) {
			for _, hdr := range [][]string{nil, {"Authorization", "Bearer " + testToken}} {
				for _, q := range []string{"", "?severity=" + url.QueryEscape("'; DROP TABLE x --")} {
					rec := apiDo(t, s, rc.method, rc.path+q, bodyFor(rc.method), hdr...)
					for k, v := range want {
						if got := rec.Header().Get(k); got != v {
							t.Errorf("%s: %s %s%s (%d): %s = %q, want %q", name, rc.method, rc.path, q, rec.Code, k, got, v)
						}
					}
					if strings.HasPrefix(rc.path, "/api/") && rec.Header().Get("Cache-Control") != "no-store" {
						t.Errorf("%s: %s %s: Cache-Control %q, want no-store", name, rc.method, rc.path, rec.Header().Get("Cache-Control"))
					}
					if rec.Code >= 500 {
						t.Errorf("%s: %s %s%s: status %d", name, rc.method, rc.path, q, rec.Code)
					}
				}
			}
		}
	}
}

// socketDeadlineFake answers like the ClickHouse driver when a query
// outlives its context: the driver puts the context's deadline on the
// socket, so the read fails with a plain "i/o timeout" at the deadline,
// possibly a moment before the context's own timer marks it done.
type socketDeadlineFake struct {
	*pageFake
}

func waitSocketDeadline(ctx context.Context) error {
	if dl, ok := ctx.Deadline(); ok {
		time.Sleep(time.Until(dl))
		return errors.New("read: read tcp 127.0.0.1:40976->127.0.0.1:9000: i/o timeout")
	}
	<-ctx.Done()
	return ctx.Err()
}

func (f socketDeadlineFake) Incident(ctx context.Context, id string) (trustlens.IncidentDetail, error) {
	return trustlens.IncidentDetail{}, fmt.Errorf("analytics: incident %q: %w", id, waitSocketDeadline(ctx))
}

func (f socketDeadlineFake) UpdatePoints(ctx context.Context, ids []string) (map[string][]time.Time, error) {
	return nil, fmt.Errorf("analytics: update points: %w", waitSocketDeadline(ctx))
}

func (f socketDeadlineFake) Summary(ctx context.Context, flt trustlens.Filter) (trustlens.Summary, error) {
	return trustlens.Summary{}, fmt.Errorf("analytics: summary: %w", waitSocketDeadline(ctx))
}

// TestHostileSlowStoreNeverAnswers500: a store that runs into the request's
// deadline (seen under 200 clients on the real store) gives 504 on the API,
// and the audit page shows without its optional timeline, never 500.
func TestHostileSlowStoreNeverAnswers500(t *testing.T) {
	s := New(socketDeadlineFake{newPageFake()}, Config{Now: func() time.Time { return fakeNow }, RequestTimeout: 150 * time.Millisecond})
	for i := 0; i < 15; i++ {
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/audit", nil))
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "The update timeline took too long to load") {
			t.Fatalf("audit, try %d: status %d, want 200 without the timeline\n%.300s", i, rec.Code, rec.Body)
		}
		rec = httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/summary", nil))
		if rec.Code != http.StatusGatewayTimeout {
			t.Fatalf("summary, try %d: status %d, want 504: %s", i, rec.Code, rec.Body)
		}
	}
}

// slowSummary takes d per summary (or until its context ends).
type slowSummary struct {
	*apiFake
	d time.Duration
}

func (f slowSummary) Summary(ctx context.Context, flt trustlens.Filter) (trustlens.Summary, error) {
	select {
	case <-time.After(f.d):
		return f.apiFake.Summary(ctx, flt)
	case <-ctx.Done():
		return trustlens.Summary{}, fmt.Errorf("analytics: summary: %w", ctx.Err())
	}
}

// TestHostileQueuedRequestsGetTheirWholeBudget: a request that waited for
// a slot under load still has the whole request timeout for its work, so a
// burst is served (or shed with 429) rather than answered 504 after the
// server spent its time on it.
func TestHostileQueuedRequestsGetTheirWholeBudget(t *testing.T) {
	s := New(slowSummary{newAPIFake(), 400 * time.Millisecond}, Config{
		Now: func() time.Time { return apiNow }, MaxConcurrent: 1, QueueWait: 2 * time.Second, RequestTimeout: time.Second,
	})
	codes := make(chan int, 3)
	for i := 0; i < 3; i++ { // the third waits 800 ms, then works 400 ms
		go func() {
			rec := httptest.NewRecorder()
			s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/summary", nil))
			codes <- rec.Code
		}()
	}
	for i := 0; i < 3; i++ {
		if c := <-codes; c != http.StatusOK {
			t.Errorf("request %d: status %d, want 200", i, c)
		}
	}
}

func (f socketDeadlineFake) Spread(ctx context.Context, flt trustlens.Filter, bounds []int64) (trustlens.Spread, error) {
	return trustlens.Spread{}, fmt.Errorf("analytics: spread: %w", waitSocketDeadline(ctx))
}
