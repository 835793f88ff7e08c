package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/trustlens/trustlens"
)

// HeaderAsOf carries the instant an answer's figures are exact as of
// (RFC 3339, UTC, to the second): every event stored before it is counted.
// While a newer analytics snapshot is being built, answers come from the
// last complete one, and this says how old it is.
const HeaderAsOf = "X-Trustlens-As-Of"

const ctxAsOf = "trustlens.as_of"

// withAsOf gives the request a trustlens.AsOf, which the analytics store
// fills, and sets HeaderAsOf from it just before the answer's headers are
// written (on every route that read figures).
func (s *Server) withAsOf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, a := trustlens.WithAsOf(c.Request().Context())
		c.SetRequest(c.Request().WithContext(ctx))
		c.Set(ctxAsOf, a)
		res := c.Response()
		res.Before(func() {
			if t := a.Time(); !t.IsZero() {
				res.Header().Set(HeaderAsOf, asOfText(t))
			}
		})
		return next(c)
	}
}

// asOfText is t to the second, rounded down: still an instant before
// which every event is counted.
func asOfText(t time.Time) string { return t.UTC().Truncate(time.Second).Format(time.RFC3339) }

// asOfRecorder is the trustlens.AsOf of the request of c (nil when none).
func asOfRecorder(c echo.Context) *trustlens.AsOf {
	a, _ := c.Get(ctxAsOf).(*trustlens.AsOf)
	return a
}

// asOfOf is the as-of instant of the figures read so far by the request
// of c (zero when none).
func asOfOf(c echo.Context) time.Time {
	return asOfRecorder(c).Time().Truncate(time.Second)
}

// answerJSON writes v, a JSON object, with status 200 and, first, the
// field "as_of" (RFC 3339) when the request read figures.
func answerJSON(c echo.Context, v any) error {
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		return fmt.Errorf("dashboard: encode answer: %w", err)
	}
	out := b.Bytes()
	if t := asOfOf(c); !t.IsZero() && len(out) >= 2 && out[0] == '{' {
		field := `{"as_of":"` + asOfText(t) + `"`
		if out[1] != '}' {
			field += ","
		}
		out = append([]byte(field), out[1:]...)
	}
	return c.JSONBlob(http.StatusOK, out)
}
