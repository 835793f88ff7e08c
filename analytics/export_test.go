package analytics

import "github.com/trustlens/trustlens"

// FigureSetSQL exposes the per-incident query to the tests.
func FigureSetSQL(p trustlens.Policy, nowUnix int64, prefix string) string {
	return builder{prefix: prefix, now: nowLiteral(nowUnix), p: p}.figureSet(scope{}, true)
}

// BaselineSQL exposes the baseline query to the tests.
func BaselineSQL(p trustlens.Policy, nowUnix int64, prefix string) string {
	return builder{prefix: prefix, now: nowLiteral(nowUnix), p: p}.baseline(scope{})
}
