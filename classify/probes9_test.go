package classify

import (
	"testing"
	"time"
)

// round-9 probes, written before the rules changed: ownership and
// prevention on unseen wordings, with near-misses.
var probes9 = []struct {
	text        string
	owns, steps bool
}{
	{"Our on-call engineer restarted the primary database instead of the replica, which took the API offline for 20 minutes.", true, false},
	{"We pushed a faulty routing table to our edge fleet, and traffic was dropped for 14 minutes.", true, false},
	{"A script our team wrote to clean up stale sessions deleted active ones as well.", true, false},
	{"We underprovisioned the new cluster and it ran out of memory under normal load.", true, false},
	{"This incident is entirely on us.", true, false},
	{"We own this failure and are sorry for the disruption it caused.", true, false},
	{"Our rollout of version 4.2 exhausted the connection pool on the primary.", true, false},
	{"We didn't account for the extra traffic from the holiday campaign, and our servers buckled.", true, false},
	{"I accidentally deleted the production bucket while cleaning up old test environments.", true, false},
	{"We let a certificate expire on our API gateway.", true, false},
	{"A change our infrastructure team shipped on Tuesday removed the health check from the load balancer, which took the site down.", true, false},
	{"Our engineers decommissioned a server that was still serving traffic.", true, false},
	{"We failed to renew the domain, and the site went dark for six hours.", true, false},
	{"The outage was our doing: a firewall rule we added blocked traffic from our own workers.", true, false},
	{"We got this wrong.", true, false},
	{"Our provider restarted the host that runs our database, which took the API offline.", false, false},
	{"A change at our DNS provider caused resolution failures for our customers.", false, false},
	{"We restarted the affected workers and service recovered.", false, false},
	{"We deployed a fix that resolved the errors.", false, false},
	{"Our team noticed elevated errors after the upstream outage began.", false, false},
	{"A configuration change caused the outage.", false, false},
	{"Going forward, every schema change will be rehearsed against a copy of production before it ships.", false, true},
	{"We've put a hard cap on the number of connections each worker can open.", false, true},
	{"Deploys to the billing service now wait for a manual approval step.", false, true},
	{"We are splitting the job scheduler onto its own hosts so that a runaway job cannot starve the API.", false, true},
	{"Certificate renewals are now handled by cert-manager rather than by hand.", false, true},
	{"We will page the on-call engineer when disk usage crosses 80%.", false, true},
	{"We've rewritten the cleanup script to refuse to run against production tables.", false, true},
	{"Our deploy pipeline has been changed to roll out to 5% of hosts first and halt on elevated errors.", false, true},
	{"We will add a second DNS provider so that a single provider outage cannot take us offline.", false, true},
	{"The team is introducing a pre-production environment that mirrors production traffic.", false, true},
	{"From now on, database failovers will be practised every quarter.", false, true},
	{"We have configured the queue to reject messages larger than 1 MB.", false, true},
	{"We're moving session storage off the shared Redis instance onto a dedicated cluster.", false, true},
	{"New alarms on replication lag have been wired into PagerDuty.", false, true},
	{"To stop this happening again, config pushes are now diffed and reviewed before they reach production.", false, true},
	{"We will keep monitoring the queue until the backlog drains.", false, false},
	{"We have rolled back the change and the service is recovering.", false, false},
	{"We are reviewing our deployment practices.", false, false},
	{"We've added more workers to process the backlog.", false, false},
	{"We will share a full postmortem next week.", false, false},
	{"We are taking steps to make sure this doesn't happen again.", false, false},
	{"Engineers are rewriting the failed migration and will re-run it tonight.", false, false},
}

func TestProbes9(t *testing.T) {
	c := New()
	bad := 0
	for _, p := range probes9 {
		got := c.Classify(p.text, time.Time{})
		if got.TakesResponsibility != p.owns || got.PreventionSteps != p.steps {
			bad++
			t.Errorf("owns %v/%v steps %v/%v: %s", got.TakesResponsibility, p.owns, got.PreventionSteps, p.steps, p.text)
		}
	}
	t.Logf("%d of %d wrong", bad, len(probes9))
}
