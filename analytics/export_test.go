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

// PartsSQL exposes the building blocks to the tests.
func PartsSQL(p trustlens.Policy, nowUnix int64) map[string]string {
	b := builder{now: nowLiteral(nowUnix), p: p}
	return map[string]string{
		"base": b.base(scope{}), "comms": b.comms(scope{}), "pairs": b.pairs(scope{}),
		"known": b.known(), "responses": b.responses(scope{}, true), "baseline": b.baseline(scope{}),
		"fs_nochurn": b.figureSet(scope{}, false),
	}
}

// IncidentMetricsMigration exposes the generated view migration.
var IncidentMetricsMigration = incidentMetricsMigration
