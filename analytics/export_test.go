package analytics

// IncidentMetricsMigration exposes the generated view migration to the tests.
var IncidentMetricsMigration = incidentMetricsMigration
