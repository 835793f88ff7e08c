// Package loadtest runs the dashboard against the REAL analytics store on
// the local ClickHouse, seeded with the conformance example: every HTTP
// parameter of every route fuzzed with hostile values, then 200
// closed-loop clients on every page and API route with the store set up as
// `trustlens serve` sets it up, while copies of events are stored (every
// answer must be 2xx). TestLoadAndHostile, one seeded database. It has
// tests only. The short versions run in `make test`; TRUSTLENS_CHAOS=1
// (`make chaos`) runs the load for 30 s instead of 5 s.
package loadtest
