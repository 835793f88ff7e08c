// Package browsertest drives the dashboard's pages in headless Chromium
// against a real analytics store on the local ClickHouse, seeded with the
// conformance example. It has tests only: `go test ./dashboard/browsertest/`
// needs /usr/bin/chromium (Debian package chromium) and the chart library
// built (`make assets`); without chromium it is skipped, unless CI is set.
//
// Set TRUSTLENS_UPDATE_SCREENSHOTS=1 to refresh docs/screenshots/.
package browsertest
