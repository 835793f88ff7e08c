package connect

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/trustlens/trustlens/internal/promreg"
)

// Outcomes of a delivery (the outcome label).
const (
	outcomePublished    = "published"     // its events and the raw delivery are on the broker
	outcomeDeadLettered = "dead_lettered" // authentic, but (part of) it could not be mapped: on the dead-letter topic
	outcomeUnmapped     = "unmapped"      // authentic, of a kind trustlens does not map: nothing published
	outcomeUnauthorized = "unauthorized"  // signature, token or timestamp wrong or missing
	outcomeBadRequest   = "bad_request"   // authentic but not JSON
	outcomeTooLarge     = "too_large"     // over the body limit
	outcomeUnavailable  = "unavailable"   // the broker did not take it: 503, the vendor retries
)

// metrics are the Prometheus series of the connectors.
type metrics struct {
	deliveries *prometheus.CounterVec
	events     *prometheus.CounterVec
	publish    *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		deliveries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustlens_connector_deliveries_total", Help: "Webhook deliveries received, by connector and outcome (published, dead_lettered, unmapped, unauthorized, bad_request, too_large, unavailable).",
		}, []string{"connector", "outcome"}),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "trustlens_connector_events_total", Help: "Events published from webhook deliveries, by connector and event type.",
		}, []string{"connector", "type"}),
		publish: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "trustlens_connector_publish_seconds", Help: "Time for the broker to acknowledge the messages of one delivery, failures included.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 14),
		}, []string{"connector"}),
	}
	if reg == nil {
		return m, nil
	}
	var err error
	m.deliveries, err = promreg.Register(reg, m.deliveries, err)
	m.events, err = promreg.Register(reg, m.events, err)
	m.publish, err = promreg.Register(reg, m.publish, err)
	if err != nil {
		return nil, fmt.Errorf("connect: register metrics: %w", err)
	}
	return m, nil
}
