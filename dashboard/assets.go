package dashboard

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// embedded holds the page templates and the static files (CSS, the small
// page scripts, and the vendored chart library once `make assets` copied
// it into static/vendor/).
//
//go:embed templates static
var embedded embed.FS

// chartLibrary is the vendored echarts build, relative to static/.
const chartLibrary = "vendor/echarts.min.js"

// staticAsset is one embedded static file with its content hash.
type staticAsset struct {
	body []byte
	hash string // first 12 hex digits of its SHA-256
}

// assetSet is the static folder, loaded once, with a hash per file for
// cache-busting URLs (/static/app.css?v=<hash>).
type assetSet struct {
	files map[string]staticAsset // by path relative to static/
}

// assets is built from the embedded files when the package loads.
var assets = loadAssets(embedded)

// The login page (auth.go) shares the dashboard's stylesheet.
func init() { loginStylesheets = []string{assets.url("app.css")} }

func loadAssets(fsys fs.FS) assetSet {
	a := assetSet{files: map[string]staticAsset{}}
	_ = fs.WalkDir(fsys, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil
		}
		sum := sha256.Sum256(body)
		a.files[strings.TrimPrefix(p, "static/")] = staticAsset{body: body, hash: hex.EncodeToString(sum[:])[:12]}
		return nil
	})
	return a
}

// url is the cache-busting URL of a static file. An unknown file still gets
// a URL (without a hash) so that a missing asset shows up as a 404 in the
// browser rather than as a template error.
func (a assetSet) url(name string) string {
	f, ok := a.files[name]
	if !ok {
		return "/static/" + name
	}
	return "/static/" + name + "?v=" + f.hash
}

// has reports whether a static file is embedded.
func (a assetSet) has(name string) bool {
	_, ok := a.files[name]
	return ok
}

// chartsBuilt reports whether the chart library was copied in before the
// build (see static/vendor/README.md).
func (a assetSet) chartsBuilt() bool { return a.has(chartLibrary) }

// staticFiles serves GET /static/* from the embedded folder. A request
// carrying the current hash (?v=) may be cached for a year; any other
// request must revalidate (the ETag is the hash).
func (s *Server) staticFiles(c echo.Context) error {
	name := path.Clean("/" + c.Param("*"))[1:]
	f, ok := assets.files[name]
	if !ok || strings.HasPrefix(path.Base(name), ".") {
		return echo.NewHTTPError(http.StatusNotFound, "no such static file: "+name)
	}
	h := c.Response().Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set(echo.HeaderContentType, ctype)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", `"`+f.hash+`"`)
	if c.QueryParam("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, bytes.NewReader(f.body))
	return nil
}
