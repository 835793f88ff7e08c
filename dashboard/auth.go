package dashboard

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/labstack/echo/v4"
)

// Session cookie of the login form. Its value is
// "v1.<expiry unix>.<base64url HMAC-SHA256(key = token, expiry)>": it proves
// knowledge of the token without containing it, survives restarts, works on
// every replica, and stops working when the token changes.
const (
	SessionCookie = "trustlens_session"
	SessionTTL    = 12 * time.Hour
	maxLoginBody  = 8 << 10
)

//go:embed templates/login.html
var loginHTML string

var loginTmpl = template.Must(template.New("login").Parse(loginHTML))

// loginStylesheets are linked from the login page (served by staticFiles).
var loginStylesheets []string

// constantTimeEqual compares secrets in constant time. A variable so that a
// test can check it is the comparison used.
var constantTimeEqual = func(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// publicRoute is true for the routes that never require authentication.
func publicRoute(route string) bool {
	switch route {
	case "/healthz", "/readyz", "/login", "/logout":
		return true
	}
	return strings.HasPrefix(route, "/static/")
}

// authenticate requires, when cfg.AuthToken is set, a bearer token or a
// session cookie on every route but the public ones: the API answers 401
// JSON, pages redirect to /login?next=….
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if s.cfg.AuthToken == "" || publicRoute(c.Path()) || s.authorized(c) {
			return next(c)
		}
		if wantsJSON(c) || c.Request().Method != http.MethodGet && c.Request().Method != http.MethodHead {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="trustlens"`)
			return &statusError{Status: http.StatusUnauthorized,
				Msg: "authentication required: send Authorization: Bearer <token> or sign in at /login"}
		}
		return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(safeNext(c.Request().URL.RequestURI())))
	}
}

// authorized checks the bearer token, then the session cookie.
func (s *Server) authorized(c echo.Context) bool {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") && s.tokenOK(strings.TrimSpace(tok)) {
			return true
		}
		s.logger(c).Warn("dashboard: rejected Authorization header", slog.String("path", clip(c.Request().URL.Path)))
	}
	if ck, err := c.Cookie(SessionCookie); err == nil {
		return s.sessionOK(ck.Value, s.now())
	}
	return false
}

// tokenOK compares a presented token with the configured one in constant
// time (both hashed first, so that the length does not leak either).
func (s *Server) tokenOK(tok string) bool {
	got := sha256.Sum256([]byte(tok))
	want := sha256.Sum256([]byte(s.cfg.AuthToken))
	return constantTimeEqual(got[:], want[:])
}

// sessionMAC is the HMAC of the session's expiry keyed by the token.
func (s *Server) sessionMAC(exp int64) []byte {
	m := hmac.New(sha256.New, []byte(s.cfg.AuthToken))
	m.Write([]byte("trustlens session v1|" + strconv.FormatInt(exp, 10)))
	return m.Sum(nil)
}

// sessionValue is the cookie value of a session ending at exp.
func (s *Server) sessionValue(exp time.Time) string {
	e := exp.Unix()
	return "v1." + strconv.FormatInt(e, 10) + "." + base64.RawURLEncoding.EncodeToString(s.sessionMAC(e))
}

// sessionOK verifies a cookie value: well formed, not expired, MAC right.
func (s *Server) sessionOK(v string, now time.Time) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || now.Unix() >= exp {
		return false
	}
	mac, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	return constantTimeEqual(mac, s.sessionMAC(exp))
}

// safeNext keeps a redirect target local: an absolute path of this site
// ("/audit?severity=sev1"), never "//host", a scheme or /login itself;
// anything else becomes "/".
func safeNext(v string) string {
	if v == "" || len(v) > 2048 || v[0] != '/' || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/\\") ||
		strings.IndexFunc(v, unicode.IsControl) >= 0 || strings.ContainsRune(v, '\\') {
		return "/"
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Path == "/login" || u.Path == "/logout" {
		return "/"
	}
	return v
}

// loginForm shows the sign-in form (GET /login?next=…).
func (s *Server) loginForm(c echo.Context) error {
	if err := checkParams(c, "next"); err != nil {
		return err
	}
	next := safeNext(c.QueryParam("next"))
	if s.cfg.AuthToken == "" || s.authorized(c) {
		return c.Redirect(http.StatusSeeOther, next)
	}
	return s.renderLogin(c, http.StatusOK, next, "")
}

// login checks the posted token and sets the session cookie (POST /login).
func (s *Server) login(c echo.Context) error {
	req := c.Request()
	if err := checkParams(c); err != nil {
		return err
	}
	if o := req.Header.Get(echo.HeaderOrigin); o != "" {
		if u, err := url.Parse(o); err != nil || u.Host != req.Host {
			return &statusError{Status: http.StatusForbidden, Msg: "cross-site sign-in refused"}
		}
	}
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxLoginBody)
	if err := req.ParseForm(); err != nil {
		return badParam("form", "cannot read the sign-in form: %v", err)
	}
	next := safeNext(req.PostForm.Get("next"))
	if s.cfg.AuthToken == "" {
		return c.Redirect(http.StatusSeeOther, next)
	}
	if !s.tokenOK(req.PostForm.Get("token")) {
		s.logger(c).Warn("dashboard: sign-in with a wrong token", slog.String("remote", req.RemoteAddr))
		return s.renderLogin(c, http.StatusUnauthorized, next, "That token is not right.")
	}
	exp := s.now().Add(SessionTTL)
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: s.sessionValue(exp), Path: "/",
		Expires: exp, MaxAge: int(SessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https",
	})
	return c.Redirect(http.StatusSeeOther, next)
}

// logout clears the session cookie (GET or POST /logout).
func (s *Server) logout(c echo.Context) error {
	c.SetCookie(&http.Cookie{
		Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(0, 0),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Scheme() == "https",
	})
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) renderLogin(c echo.Context, status int, next, msg string) error {
	var b strings.Builder
	if err := loginTmpl.Execute(&b, map[string]any{"Next": next, "Error": msg, "Stylesheets": loginStylesheets}); err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.HTML(status, b.String())
}
