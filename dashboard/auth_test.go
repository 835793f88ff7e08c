package dashboard

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

const testToken = "s3cret-t0ken-for-tests"

func authServer(t *testing.T, tweak func(*Config)) *Server {
	t.Helper()
	return newAPIServer(t, newAPIFake(), func(c *Config) {
		c.AuthToken = testToken
		reg := prometheus.NewRegistry()
		c.Registerer, c.Gatherer = reg, reg
		if tweak != nil {
			tweak(c)
		}
	})
}

func TestAuthOff(t *testing.T) {
	s := newAPIServer(t, newAPIFake(), nil)
	for _, target := range []string{"/api/v1/summary", "/api/v1/cadence/overdue", "/healthz"} {
		if rec := apiDo(t, s, http.MethodGet, target, nil); rec.Code != http.StatusOK {
			t.Errorf("%s: status %d, want 200 without auth: %s", target, rec.Code, rec.Body)
		}
	}
	rec := apiDo(t, s, http.MethodGet, "/login?next=/audit", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/audit" {
		t.Errorf("GET /login with auth off: %d %q, want 303 to /audit", rec.Code, rec.Header().Get("Location"))
	}
}

func TestAuthRequired(t *testing.T) {
	tests := []struct {
		name     string
		target   string
		hdr      []string
		status   int
		location string
	}{
		{"API without credentials", "/api/v1/summary", nil, 401, ""},
		{"API with the bearer token", "/api/v1/summary", []string{"Authorization", "Bearer " + testToken}, 200, ""},
		{"scheme is case-insensitive", "/api/v1/incidents", []string{"Authorization", "bearer " + testToken}, 200, ""},
		{"wrong token", "/api/v1/summary", []string{"Authorization", "Bearer nope"}, 401, ""},
		{"token prefix", "/api/v1/summary", []string{"Authorization", "Bearer " + testToken[:5]}, 401, ""},
		{"token plus suffix", "/api/v1/summary", []string{"Authorization", "Bearer " + testToken + "x"}, 401, ""},
		{"basic auth", "/api/v1/summary", []string{"Authorization", "Basic " + testToken}, 401, ""},
		{"empty bearer", "/api/v1/summary", []string{"Authorization", "Bearer "}, 401, ""},
		{"token in a cookie", "/api/v1/summary", []string{"Cookie", SessionCookie + "=" + testToken}, 401, ""},
		{"detail", "/api/v1/incidents/inc-1", nil, 401, ""},
		{"bad param still 401 first", "/api/v1/summary?severity=bad", nil, 401, ""},
		{"metrics", "/metrics", nil, 401, ""},
		{"metrics with token", "/metrics", []string{"Authorization", "Bearer " + testToken}, 200, ""},
		{"healthz is public", "/healthz", nil, 200, ""},
		{"readyz is public", "/readyz", nil, 200, ""},
		{"login form is public", "/login", nil, 200, ""},
		{"page redirects to login", "/audit?severity=sev1", nil, 303, "/login?next=%2Faudit%3Fseverity%3Dsev1"},
		{"overview redirects", "/", nil, 303, "/login?next=%2F"},
		{"incident page redirects", "/incidents/inc-1", nil, 303, "/login?next=%2Fincidents%2Finc-1"},
	}
	s := authServer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := apiDo(t, s, http.MethodGet, tt.target, nil, tt.hdr...)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if got := rec.Header().Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			if tt.status == 401 {
				assertJSON(t, rec.Body.Bytes(), `{"error":"authentication required: send Authorization: Bearer <token> or sign in at /login"}`)
				if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="trustlens"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			}
		})
	}
	t.Run("static files are public", func(t *testing.T) {
		rec := apiDo(t, s, http.MethodGet, "/static/no-such-file.css", nil)
		if rec.Code == http.StatusUnauthorized || rec.Code == http.StatusSeeOther {
			t.Errorf("status %d: static files must not need auth", rec.Code)
		}
	})
}

// cookieFrom finds the session cookie set by an answer.
func cookieFrom(t *testing.T, h http.Header) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

func postLogin(t *testing.T, s *Server, form url.Values, hdr ...string) *httptestRecorder {
	t.Helper()
	return apiDo(t, s, http.MethodPost, "/login", strings.NewReader(form.Encode()),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, hdr...)...)
}

func TestAuthLoginFlow(t *testing.T) {
	now := apiNow
	s := authServer(t, func(c *Config) { c.Now = func() time.Time { return now } })

	rec := postLogin(t, s, url.Values{"token": {"wrong"}, "next": {"/audit"}})
	if rec.Code != http.StatusUnauthorized || cookieFrom(t, rec.Header()) != nil {
		t.Fatalf("wrong token: status %d, cookie %v", rec.Code, cookieFrom(t, rec.Header()))
	}
	if !strings.Contains(rec.Body.String(), "That token is not right.") || !strings.Contains(rec.Body.String(), `value="/audit"`) {
		t.Errorf("login page does not say the token is wrong or lost next: %s", rec.Body)
	}

	rec = postLogin(t, s, url.Values{"token": {testToken}, "next": {"/audit?severity=sev1"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/audit?severity=sev1" {
		t.Fatalf("login: status %d, Location %q", rec.Code, rec.Header().Get("Location"))
	}
	ck := cookieFrom(t, rec.Header())
	if ck == nil {
		t.Fatal("no session cookie")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.MaxAge != int(SessionTTL/time.Second) {
		t.Errorf("cookie attributes: %+v", ck)
	}
	if strings.Contains(ck.Value, testToken) {
		t.Errorf("cookie holds the token: %q", ck.Value)
	}
	cookie := SessionCookie + "=" + ck.Value

	if rec := apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Cookie", cookie); rec.Code != http.StatusOK {
		t.Errorf("API with the session cookie: status %d", rec.Code)
	}
	if rec := apiDo(t, s, http.MethodGet, "/login?next=/churn", nil, "Cookie", cookie); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/churn" {
		t.Errorf("login form when signed in: %d %q, want 303 to /churn", rec.Code, rec.Header().Get("Location"))
	}

	tampered := SessionCookie + "=" + ck.Value[:len(ck.Value)-2] + "AA"
	if rec := apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Cookie", tampered); rec.Code != http.StatusUnauthorized {
		t.Errorf("tampered cookie: status %d, want 401", rec.Code)
	}
	parts := strings.Split(ck.Value, ".")
	longer := SessionCookie + "=v1." + "9" + parts[1] + "." + parts[2] // a later expiry with the old MAC
	if rec := apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Cookie", longer); rec.Code != http.StatusUnauthorized {
		t.Errorf("extended cookie: status %d, want 401", rec.Code)
	}
	other := authServer(t, func(c *Config) { c.AuthToken = "another-token"; c.Now = func() time.Time { return now } })
	if rec := apiDo(t, other, http.MethodGet, "/api/v1/summary", nil, "Cookie", cookie); rec.Code != http.StatusUnauthorized {
		t.Errorf("cookie after the token changed: status %d, want 401", rec.Code)
	}

	now = apiNow.Add(SessionTTL)
	if rec := apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Cookie", cookie); rec.Code != http.StatusUnauthorized {
		t.Errorf("expired cookie: status %d, want 401", rec.Code)
	}
	now = apiNow

	rec = apiDo(t, s, http.MethodPost, "/logout", nil, "Cookie", cookie)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" {
		t.Errorf("logout: %d %q", rec.Code, rec.Header().Get("Location"))
	}
	if out := cookieFrom(t, rec.Header()); out == nil || out.MaxAge >= 0 || out.Value != "" {
		t.Errorf("logout does not clear the cookie: %+v", out)
	}
}

func TestAuthLoginRefusals(t *testing.T) {
	s := authServer(t, nil)
	tests := []struct {
		name     string
		form     url.Values
		hdr      []string
		status   int
		location string
	}{
		{"remote next", url.Values{"token": {testToken}, "next": {"//evil.example/x"}}, nil, 303, "/"},
		{"absolute next", url.Values{"token": {testToken}, "next": {"https://evil.example/"}}, nil, 303, "/"},
		{"no next", url.Values{"token": {testToken}}, nil, 303, "/"},
		{"cross-site post", url.Values{"token": {testToken}}, []string{"Origin", "http://evil.example"}, 403, ""},
		{"same-site post", url.Values{"token": {testToken}}, []string{"Origin", "http://example.com"}, 303, "/"},
		{"huge form", url.Values{"token": {strings.Repeat("x", 10000)}}, nil, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := postLogin(t, s, tt.form, tt.hdr...)
			if rec.Code != tt.status || rec.Header().Get("Location") != tt.location {
				t.Fatalf("status %d Location %q, want %d %q: %s", rec.Code, rec.Header().Get("Location"), tt.status, tt.location, rec.Body)
			}
			if tt.status != 303 && cookieFrom(t, rec.Header()) != nil {
				t.Error("a refused sign-in set a cookie")
			}
		})
	}
}

func TestAuthSafeNext(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "/"},
		{"/", "/"},
		{"/audit", "/audit"},
		{"/incidents/inc-1?x=1#top", "/incidents/inc-1?x=1#top"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"javascript:alert(1)", "/"},
		{"audit", "/"},
		{"/login", "/"},
		{"/logout?x=1", "/"},
		{"/a\nb", "/"},
		{"/" + strings.Repeat("a", 2048), "/"},
	}
	for _, tt := range tests {
		if got := safeNext(tt.in); got != tt.want {
			t.Errorf("safeNext(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestAuthConstantTime checks that the bearer token, the sign-in form and
// the session cookie are all compared with constantTimeEqual.
func TestAuthConstantTime(t *testing.T) {
	orig := constantTimeEqual
	t.Cleanup(func() { constantTimeEqual = orig })
	calls := 0
	constantTimeEqual = func(a, b []byte) bool { calls++; return orig(a, b) }

	s := authServer(t, nil)
	check := func(what string, rec *httptestRecorder, status int) {
		t.Helper()
		if rec.Code != status {
			t.Fatalf("%s: status %d, want %d", what, rec.Code, status)
		}
		if calls == 0 {
			t.Errorf("%s: not compared with constantTimeEqual", what)
		}
		calls = 0
	}
	check("bearer", apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Authorization", "Bearer "+testToken), 200)
	check("wrong bearer", apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Authorization", "Bearer x"), 401)
	rec := postLogin(t, s, url.Values{"token": {testToken}})
	check("sign-in", rec, 303)
	ck := cookieFrom(t, rec.Header())
	check("cookie", apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Cookie", SessionCookie+"="+ck.Value), 200)
}

// TestAuthTokenNotLogged checks that no log line carries the token.
func TestAuthTokenNotLogged(t *testing.T) {
	var logs bytes.Buffer
	s := authServer(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	apiDo(t, s, http.MethodGet, "/api/v1/summary", nil, "Authorization", "Bearer "+testToken)
	apiDo(t, s, http.MethodGet, "/api/v1/summary?x="+testToken[:4], nil, "Authorization", "Bearer "+testToken+"-wrong")
	postLogin(t, s, url.Values{"token": {testToken + "-wrong"}})
	postLogin(t, s, url.Values{"token": {testToken}})
	if logs.Len() == 0 {
		t.Fatal("nothing logged")
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("the token is in the logs:\n%s", logs.String())
	}
}
