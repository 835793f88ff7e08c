package dashboard

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// writeCSV answers an RFC 4180 table (CRLF line ends, a header row) as a
// download named trustlens-<name>.csv.
func writeCSV(c echo.Context, name string, header []string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write(header); err != nil {
		return err
	}
	if err := w.WriteAll(rows); err != nil { // WriteAll flushes
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, `attachment; filename="trustlens-`+name+`.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", b.Bytes())
}

// csvText is a text cell; a value that a spreadsheet would take for a
// formula (=, +, -, @, tab, CR first) is prefixed with an apostrophe.
func csvText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func csvInt(n int64) string { return strconv.FormatInt(n, 10) }

// csvIntP is an optional integer; null is an empty cell.
func csvIntP(n *int64) string {
	if n == nil {
		return ""
	}
	return csvInt(*n)
}

func csvFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// csvFloatP is an optional number; null is an empty cell.
func csvFloatP(f *float64) string {
	if f == nil {
		return ""
	}
	return csvFloat(*f)
}

// csvTime is an RFC 3339 UTC timestamp.
func csvTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// csvTimeP is an optional timestamp; null is an empty cell.
func csvTimeP(t *time.Time) string {
	if t == nil {
		return ""
	}
	return csvTime(*t)
}

func csvBool(b bool) string { return strconv.FormatBool(b) }
