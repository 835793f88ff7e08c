package dashboard

import (
	"context"
	"fmt"

	"github.com/trustlens/trustlens"
)

// The API fake answers the worklist too (an empty one, and no customer),
// so that the route-wide tests (auth, headers, hostile input) cover
// /customers and /api/v1/customers.

func (f *apiFake) Customers(ctx context.Context, flt trustlens.CustomerFilter) (trustlens.CustomerPage, error) {
	if err := f.record(flt.Filter); err != nil {
		return trustlens.CustomerPage{}, err
	}
	return trustlens.CustomerPage{Customers: []trustlens.Customer{}}, nil
}

func (f *apiFake) Customer(ctx context.Context, id string, flt trustlens.Filter) (trustlens.CustomerDetail, error) {
	if err := f.record(flt); err != nil {
		return trustlens.CustomerDetail{}, err
	}
	return trustlens.CustomerDetail{}, fmt.Errorf("fake: customer %q: %w", id, trustlens.ErrNotFound)
}
