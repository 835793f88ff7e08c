// Package loadtest runs the dashboard against the REAL analytics store on
// the local ClickHouse, seeded with the conformance example: 200 concurrent
// clients on every page and API route and every HTTP parameter
// of every route fuzzed with hostile values (TestLoadAndHostile, one seeded database). It has tests
// only. The short versions run in `make test`; TRUSTLENS_CHAOS=1 (`make
// chaos`) runs the load for 30 s instead of 5 s.
package loadtest
