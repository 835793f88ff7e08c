// Package promreg registers Prometheus collectors so that several
// instances of a component on one registry (two ingesters, two receivers
// in a test) share them.
package promreg

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

// Register adds c to reg; a collector already registered is shared. An
// earlier error is passed on, so that a sequence of calls can be checked
// once at its end.
func Register[T prometheus.Collector](reg prometheus.Registerer, c T, err error) (T, error) {
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
