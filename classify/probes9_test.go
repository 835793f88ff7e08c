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
	// second set, written after the first changes
	{"We made a bad call when we scheduled the maintenance during peak hours.", true, false},
	{"Our team misread the capacity graphs and scaled the cluster down the night before.", true, false},
	{"That's on us, and we're sorry.", true, false},
	{"Our mistake was assuming the cache would always be warm.", true, false},
	{"We introduced a regression in the login flow with Monday's release.", true, false},
	{"We didn't test the failover path, and when the primary died the secondary never took over.", true, false},
	{"Our engineers applied a firewall change to the wrong environment, cutting off access for all EU customers.", true, false},
	{"I take full ownership of this outage.", true, false},
	{"The blame for this lies squarely with us.", true, false},
	{"We shipped a migration that locked the orders table for 40 minutes.", true, false},
	{"This happened because we ignored a warning from our own monitoring.", true, false},
	{"We configured the new load balancer with a timeout far too short for our slowest endpoints.", true, false},
	{"We are responsible for this outage.", true, false},
	{"We allowed a single expired token to take down authentication for every customer.", true, false},
	{"Human error on our part caused the outage.", true, false},
	{"Our hosting provider pushed a faulty update that took the site down.", false, false},
	{"A bad deploy by the CDN vendor caused the errors.", false, false},
	{"We are still investigating what caused the outage.", false, false},
	{"We scaled the cluster down after traffic returned to normal.", false, false},
	{"The certificate expired and was renewed by our team within minutes.", false, false},
	{"Our team is responsible for monitoring the platform around the clock.", false, false},
	{"Schema migrations will be gated behind a feature flag from now on.", false, true},
	{"Our on-call rotation now includes a secondary engineer for database incidents.", false, true},
	{"We have doubled the size of the connection pool and added an alert when it is 80% full.", false, true},
	{"Next quarter we will move our DNS to two independent providers.", false, true},
	{"We have enabled deletion protection on all production databases.", false, true},
	{"Backups will be restored to a test environment weekly to verify they work.", false, true},
	{"We are retiring the legacy job runner and replacing it with a queue that retries failed jobs with backoff.", false, true},
	{"Engineers will no longer be able to run ad-hoc queries against the primary.", false, true},
	{"Write access to production is now limited to two senior engineers.", false, true},
	{"We've added a pre-commit hook that blocks changes to the routing table without a second approval.", false, true},
	{"Our runbook for certificate rotation has been rewritten and tested.", false, true},
	{"We'll be load testing the checkout service ahead of every major sale.", false, true},
	{"We've set up automated expiry reminders for all our domains.", false, true},
	{"Capacity planning will now happen monthly instead of yearly.", false, true},
	{"We have doubled the size of the connection pool to handle the current load.", false, false},
	{"We enabled maintenance mode while the migration ran.", false, false},
	{"We will publish a detailed report once our review is complete.", false, false},
	{"Our engineers are load testing the fix before rolling it out.", false, false},
	{"Write access was temporarily limited while we investigated.", false, false},
	{"We are restoring the database from last night's backup.", false, false},
	{"We will look into ways to improve our alerting.", false, false},
	// third set
	{"The problem was on our end: a misconfigured cron job filled the disk.", true, false},
	{"An error on our side meant that invoices were sent twice.", true, false},
	{"I broke the build pipeline yesterday and didn't notice until customers wrote in.", true, false},
	{"Our latest update contained a bug that we didn't catch, and it logged everyone out.", true, false},
	{"We underestimated how much traffic the launch would bring, and the site fell over.", true, false},
	{"We rushed the release and skipped our usual checks, which is why the app crashed on startup.", true, false},
	{"Yesterday's downtime was self-inflicted.", true, false},
	{"Unfortunately a typo in a config file I edited brought the whole platform down.", true, false},
	{"Our database upgrade went wrong and corrupted a small number of records.", true, false},
	{"We take the blame for this one.", true, false},
	{"The outage was caused by a script we ran to clean up old accounts, which deleted active ones by mistake.", true, false},
	{"We dropped the ball on this.", true, false},
	{"The problem was on the provider's end and has now been resolved.", false, false},
	{"An error on the payment gateway's side meant that invoices failed.", false, false},
	{"Our database upgrade is scheduled for tonight and may cause brief interruptions.", false, false},
	{"The typo in the documentation has been fixed.", false, false},
	{"We ran a script to clean up old accounts after the migration.", false, false},
	{"Every deploy now runs through an automated smoke test suite before traffic is shifted.", false, true},
	{"We will replace the single NFS server with a replicated storage cluster.", false, true},
	{"We have written a postmortem checklist and added disk usage alerts at 70% and 90%.", false, true},
	{"To avoid a repeat, database credentials will be rotated by Vault automatically.", false, true},
	{"We've introduced a mandatory two-week soak period for new kernel versions.", false, true},
	{"The cron job now checks free disk space before it starts writing.", false, true},
	{"Going forward, marketing emails will be throttled to 10,000 per minute.", false, true},
	{"We have reduced the DNS TTL and added a secondary nameserver with another provider.", false, true},
	{"Rate limits have been put on the public search endpoint.", false, true},
	{"Our next step is to add per-tenant quotas so one customer cannot exhaust shared resources.", false, true},
	{"We're containerising the legacy billing service so it can be restarted in seconds.", false, true},
	{"We've added a linter rule that flags unbounded queries in code review.", false, true},
	{"The cron job is now running again and the disk has been cleaned up.", false, false},
	{"We reduced the DNS TTL to speed up the switch to the new servers.", false, false},
	{"Rate limits have been temporarily lifted while we investigate.", false, false},
	{"We're restarting the legacy billing service now.", false, false},
	{"Our next update will be in 30 minutes.", false, false},
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
