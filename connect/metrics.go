package connect

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
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
	m.deliveries, err = register(reg, m.deliveries, err)
	m.events, err = register(reg, m.events, err)
	m.publish, err = register(reg, m.publish, err)
	if err != nil {
		return nil, fmt.Errorf("connect: register metrics: %w", err)
	}
	return m, nil
}

// register adds c to reg; a collector already registered is shared. An
// earlier error is passed on.
func register[T prometheus.Collector](reg prometheus.Registerer, c T, err error) (T, error) {
	if err != nil {
		return c, err
	}
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(T); ok {
				return existing, nil
			}
		}
		return c, err
	}
	return c, nil
}
