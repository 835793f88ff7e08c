package classify

import (
	"testing"
	"time"
)

// flags is the expected reading of a hard case; every case states all
// four flags.
type flags struct{ apology, owns, cause, prevention bool }

func TestHardCases(t *testing.T) {
	cases := []struct {
		name string
		text string
		want flags
	}{
		{"sorry for the late post is not for the outage", "Sorry for the delayed post on our status page. The errors lasted from 14:02 to 14:10 UTC.", flags{}},
		{"any inconvenience is for the outage", "We apologize for any inconvenience this may have caused.", flags{apology: true}},
		{"error page quoted", `Customers saw the message "Sorry, the service is unavailable" when loading the dashboard.`, flags{}},
		{"error page text unquoted", "Sorry, the service is unavailable. Please try again later.", flags{}},
		{"regret to inform announces", "We regret to inform you that the maintenance window will be extended.", flags{}},
		{"regret the disruption apologises", "We regret the disruption this caused our customers.", flags{apology: true}},
		{"sorry you feel that way", "I'm sorry you feel that way about our status page.", flags{}},
		{"provider cause is a cause but not owning it", "This outage was caused by an issue at our upstream provider.", flags{cause: true}},
		{"root cause identified but not stated", "The root cause has been identified and a fix is being deployed.", flags{}},
		{"issue identified", "We have identified the issue and are working on a fix.", flags{}},
		{"negated root cause", "We have not yet identified the root cause of the elevated errors.", flags{}},
		{"investigating the cause", "We are investigating the root cause of elevated error rates on the API.", flags{}},
		{"suspected cause", "We suspect a recent database change caused the errors and are rolling it back.", flags{}},
		{"cause denied", "The outage was not caused by a security incident.", flags{}},
		{"vague cause", "This was due to an issue with one of our systems.", flags{}},
		{"impersonal change is a cause", "The issue was caused by a configuration change to our load balancers.", flags{cause: true}},
		{"continue to monitor is not prevention", "We will continue to monitor the situation closely.", flags{}},
		{"the fix for this incident is not prevention", "We have implemented a fix and are monitoring the results.", flags{}},
		{"additional safeguards are vague", "We are putting additional safeguards in place to prevent this from happening again.", flags{}},
		{"tests alerts staged rollouts", "We are adding automated tests and alerts, and moving to staged rollouts so this does not recur.", flags{prevention: true}},
		{"latest is not a test", "We will post the latest updates here as we have them.", flags{}},
		{"a list under a prevention frame", "To prevent this from recurring, our follow-up actions include:\n1. Auditing the connection limits of every cluster.\n2. Adding alerting on queue depth.\n3. Moving schema changes behind staged rollouts.", flags{prevention: true}},
		{"the items of a list count, not only the first", "To prevent recurrence, our follow-up actions include: - Reviewing the incident timeline. - Auditing the escalation policy. - Adding autoscaling to the ingest service.", flags{prevention: true}},
		{"a timeline list is not prevention", "Timeline:\n1. 14:02 UTC errors begin.\n2. 14:10 UTC we deploy a fix and update the status page.", flags{}},
		{"tightened monitoring to alert", "We have tightened our monitoring to alert on server-side errors for logged-out traffic.", flags{prevention: true}},
		{"improving monitoring for this class of failure", "To prevent recurrence we are improving monitoring for this class of failure and adjusting rate-limit settings.", flags{prevention: true}},
		{"improving safeguards is vague", "We are improving safeguards around database migrations to prevent similar errors.", flags{}},
		{"time to detection alone", "We are working to reduce our time to detection and mitigation of issues like this one in the future.", flags{}},
		{"a check added since", "We have since added a check to our deployment pipeline that blocks this class of configuration.", flags{prevention: true}},
		{"action items", "Action items: add an alert for certificate expiry; document the rotation runbook.", flags{prevention: true}},
		{"a process change", "We are changing our process so that database migrations are reviewed by a second engineer.", flags{prevention: true}},
		{"runbooks and drills", "We have updated our runbooks and will run regular failover drills.", flags{prevention: true}},
		{"validating the fix is the fix", "We are validating the fix in production and will provide an update within 30 minutes.", flags{}},
		{"testing a fix is the fix", "Our engineers are testing a fix and will update this page soon.", flags{}},
		{"a process still running is no process change", "Our process is ongoing and we will update this page.", flags{}},
		{"reviewing processes is vague", "We are reviewing our processes to prevent future occurrences.", flags{}},
		{"capacity for the current incident", "We are adding capacity to the affected cluster to mitigate the current elevated latency.", flags{}},
		{"a fix against immediate recurrence is the fix", "We deployed a fix to prevent immediate recurrence at 21:50 UTC.", flags{}},
		{"an accelerated capacity upgrade", "To remove risk of reoccurrence, a planned upgrade to 400Gbps interfaces is being accelerated.", flags{prevention: true}},
		{"a lint rule added", "We have added a lint rule that rejects this pattern.", flags{prevention: true}},
		{"alerting expanded to the failure mode", "We have expanded our alerting to cover this failure mode.", flags{prevention: true}},
		{"one region first from now on", "Configuration changes will now be deployed to a single region first.", flags{prevention: true}},
		{"waiting for health checks is the fix", "We will update once health checks pass on the replaced hosts.", flags{}},
		{"a kill switch used is the fix", "The kill switch was used to disable the feature and we will update this page shortly.", flags{}},
		{"rolling back after failed health checks", "Health checks failed after the deployment, so we will now roll back the change.", flags{}},
		{"our mistake", "This was our mistake, and we are sorry.", flags{apology: true, owns: true}},
		{"a change we made caused", "A change we made to our load balancer configuration caused the errors.", flags{owns: true, cause: true}},
		{"we let you down", "We let you down today, and we know how much you rely on us.", flags{owns: true}},
		{"we made a change which broke", "We made a change which inadvertently prevented some servers from responding to requests.", flags{owns: true, cause: true}},
		{"deploying a fix is not owning", "We deployed a fix at 14:05 UTC and error rates have recovered.", flags{}},
		{"inline bullets are items of their own", "To help prevent a similar event in the future, we identified these changes: • We will implement rate limiting for requests to our platform • We will publish information about our DDoS protections", flags{prevention: true}},
		{"an hour failure is not our failure", "An 8 hour failure window is not acceptable to us or our customers.", flags{}},
		{"trying out solutions is not yet a step", "How to prevent this in the future: we are working on testing various solutions to this issue.", flags{}},
		{"the fix going through testing is the fix", "Here is what we are doing to prevent this from happening again. This fix is currently going through testing.", flags{}},
		{"the incident's own narration again", "The replica lag increased again after the failover; we are investigating.", flags{}},
		{"again about recurrence", "We have added alerting on disk usage so that it cannot fill up again.", flags{prevention: true}},
		{"short-term capacity is the fix", "As short-term remediation, we are increasing capacity to prevent this from recurring.", flags{}},
		{"a cause named before our change", "The outage was caused by a release where we introduced a new routing rule.", flags{owns: true, cause: true}},
		{"a changed policy for the future", "We have changed our unblocking policy to take this into account in the future.", flags{prevention: true}},
		{"reconfigured alerting", "Alerting has been reconfigured to catch this in the future.", flags{prevention: true}},
		{"a DDoS attack is a cause", "We had a DDoS attack this morning that took the API offline.", flags{cause: true}},
		{"a timeline entry is no step", "At 12:19 UTC, our team was alerted to increased error rates and started the rollback process to avoid a longer outage.", flags{}},
		{"rolling back against further impact is the fix", "We will be rolling back the change to prevent further impact.", flags{}},
		{"a committed act against recurrence", "Going forward, we will run database migrations only outside business hours.", flags{prevention: true}},
		{"implementing changes names no step", "We are implementing changes to ensure this does not happen again.", flags{}},
		{"we did not catch it", "Due to a configuration difference between production and test, we did not catch that this would break.", flags{owns: true, cause: true}},
		{"a heading opens the list under it", "Preventative Measures \u2022 Review the incident with the whole team \u2022 Add alerting on the health of the webhook dispatchers", flags{prevention: true}},
		{"our act, then its harm", "On July 5 we ran a long background job on the shared queue. This job blocked the notification jobs for 14 hours.", flags{owns: true, cause: true}},
		// Ownership by structure: the company as the subject of an act
		// whose harm or mistake the sentence tells, or of a fault.
		{"our push took the api down", "We pushed a configuration update that took down our API for 40 minutes.", flags{owns: true, cause: true}},
		{"one of our engineers, by mistake", "One of our engineers accidentally deleted a production table.", flags{owns: true, cause: true}},
		{"a migration we ran", "A migration we ran on Tuesday locked the users table and requests timed out.", flags{owns: true, cause: true}},
		{"errors after we enabled", "Errors started after we enabled the new caching layer.", flags{owns: true, cause: true}},
		{"instead of is a mistake", "In the migration, we supplied the version ~0.0.1 instead of 0.0.1.", flags{owns: true, cause: true}},
		{"responsibility accepted", "We accept full responsibility for the disruption.", flags{owns: true}},
		{"this one is on us", "This one is on us.", flags{owns: true}},
		{"a duty not met", "We didn't properly test the failover path.", flags{owns: true}},
		{"failing to process is the impact", "During this period, we failed to process approximately 128,000 deployments.", flags{}},
		{"acting on the affected is the remedy", "We migrated the affected customers to healthy hosts.", flags{}},
		{"moving traffic that resolved the errors", "We moved traffic away from the affected region, which resolved the errors.", flags{}},
		{"a question about ourselves is no admission", "We will figure out why we did not receive alerts.", flags{}},
		{"a provider's change", "Our upstream provider deployed a change that caused the outage.", flags{cause: true}},
		{"alerts introduced for similar issues is a step, not a cause", "We have introduced new alerts for similar issues.", flags{prevention: true}},
		// Prevention by structure: a committed or reported verb of
		// building, and a mechanism as its object.
		{"alerts added, told in the passive", "Certificate expiry alerts have been added for all domains.", flags{prevention: true}},
		{"health checks to be added", "New health checks will be added to the deployment pipeline.", flags{prevention: true}},
		{"a canary stage promised", "Our team will introduce a canary stage for all database migrations.", flags{prevention: true}},
		{"we now run load tests", "We now run load tests before every major release.", flags{prevention: true}},
		{"moving to a second provider", "We will move to a multi-provider DNS setup to remove this single point of failure.", flags{prevention: true}},
		{"settings corrected so it does not happen again", "We have of course corrected the settings now so this should not happen again.", flags{prevention: true}},
		{"a past act against a scenario", "We also tuned our runners to prevent the scenario where too many messages get re-queued.", flags{prevention: true}},
		{"a maintenance window extended is no step", "The maintenance window will be extended by one hour.", flags{}},
		{"rate limits removed is the remedy", "We have fully removed all rate limits and the service is almost back to normal.", flags{}},
		{"a backup provider used is the remedy", "We have switched traffic to our backup provider and are seeing recovery.", flags{}},
		{"capacity against further slowdowns is the remedy", "We are adding capacity to the cluster to avoid further slowdowns.", flags{}},
		{"a fix implemented, passive", "A fix has been implemented, and we are monitoring the results.", flags{}},
		{"a timeline's alerting", "19:15 UTC - Engineering teams are alerted of the outage and begin investigation.", flags{}},
		{"an apology for causing it", "This was an oversight, and we apologize for causing a disruption.", flags{apology: true, owns: true}},
		{"a mistake by the company's developer", "The incident was triggered by a mistake by a developer on the DB configuration.", flags{owns: true, cause: true}},
		{"a provider's mistake is not ours", "A mistake by the upstream provider caused the outage.", flags{cause: true}},
		{"duty accepted, failure disowned", "Although the outages have been out of our hands, we as the provider have to take responsibility.", flags{}},
		{"a gerund act of ours with its harm", "While upgrading our database cluster, we triggered a bug that took the API offline.", flags{owns: true, cause: true}},
		{"a relative clause of our act", "The mechanism I put in place to move machines between accounts broke things.", flags{owns: true, cause: true}},
		{"a later sentence names our act's object", "We initiated a manual query against one of the databases. Our aim was to size its tables. This query caused the free memory of the cluster to drop.", flags{owns: true, cause: true}},
		{"luck is no mistake", "Our engineers accidentally discovered the root cause while testing another feature.", flags{}},
		{"a passive with a mistake adverb", "We have identified instances where accounts were mistakenly flagged.", flags{}},
		{"our plan is to add", "Our plan is to add a second region so a single data center outage cannot take us offline.", flags{prevention: true}},
		{"lessons as imperatives", "Lessons learned: always test migrations against a copy of production data.", flags{prevention: true}},
		{"in place now", "Point-in-time recovery, daily snapshots and reset safeguards are now in place.", flags{prevention: true}},
		{"narrated testing is no step", "Going forwards we will see. It was necessary to log in to do some configuration changes needed for testing.", flags{}},
		{"an audit is not yet a step", "We are doing an internal audit of our alerting and monitoring.", flags{}},
		{"the problem is a provider's", "We have confirmed that the problem is a networking issue with our upstream vendor.", flags{cause: true}},
		{"the outages themselves name no cause", "We know these outages have really caused issues for you and your work.", flags{}},
		// Round 8: sentences written for the purpose (not corpus texts),
		// varied in company, tense, voice and wording, with near-misses.
		{"round8 probe: postmortem a configuration change we made to", "Postmortem: a configuration change we made to the payment gateway rejected valid cards for 100 minutes. We are sorry. To prevent a repeat we now stage every gateway change to 1% of traffic first and added an alert on the card decline rate.", flags{apology: true, owns: true, cause: true, prevention: true}},
		{"round8 probe: we failed to renew our tls certificate", "We failed to renew our TLS certificate before it expired.", flags{owns: true, cause: true}},
		{"round8 probe: our deploy on tuesday introduced a regression", "Our deploy on Tuesday introduced a regression in the login flow.", flags{owns: true, cause: true}},
		{"round8 probe: the outage was the result of a", "The outage was the result of a bug in code we shipped on Monday.", flags{owns: true, cause: true}},
		{"round8 probe: a database migration that we ran locked", "A database migration that we ran locked the orders table for twenty minutes.", flags{owns: true, cause: true}},
		{"round8 probe: i pushed a bad config to production", "I pushed a bad config to production, which knocked out the API.", flags{owns: true, cause: true}},
		{"round8 probe: our team misconfigured the firewall rules during", "Our team misconfigured the firewall rules during routine maintenance, blocking all inbound traffic.", flags{owns: true, cause: true}},
		{"round8 probe: we didn't have sufficient monitoring on the", "We didn't have sufficient monitoring on the queue, so the backlog went unnoticed for hours.", flags{owns: true}},
		{"round8 probe: we own this outage", "We own this outage.", flags{owns: true}},
		{"round8 probe: we under-provisioned the cluster ahead of the", "We under-provisioned the cluster ahead of the launch and it ran out of memory.", flags{owns: true, cause: true}},
		{"round8 probe: we scaled down the database too aggressively", "We scaled down the database too aggressively last week, which left it unable to handle Monday's peak.", flags{owns: true, cause: true}},
		{"round8 probe: we rebooted the primary without failing over", "We rebooted the primary without failing over first, which caused 20 minutes of downtime.", flags{owns: true, cause: true}},
		{"round8 probe: we are responsible for this outage", "We are responsible for this outage.", flags{owns: true}},
		{"round8 probe: ultimately this comes down to a decision", "Ultimately this comes down to a decision we made to skip the staging step, which let the broken build reach production.", flags{owns: true, cause: true}},
		{"round8 probe: our change caused far more disruption than", "Our change caused far more disruption than we expected.", flags{owns: true, cause: true}},
		{"round8 probe: our on-call engineer restarted the wrong database", "Our on-call engineer restarted the wrong database node, and writes failed for ten minutes.", flags{owns: true, cause: true}},
		{"round8 probe: we shipped a new version of the", "We shipped a new version of the agent that contained a memory leak.", flags{owns: true, cause: true}},
		{"round8 probe: yesterday we rolled out an update to", "Yesterday we rolled out an update to our authentication service. Shortly after, users began seeing login failures.", flags{owns: true, cause: true}},
		{"round8 probe: an engineer ran a cleanup script against", "An engineer ran a cleanup script against the production database instead of staging.", flags{owns: true, cause: true}},
		{"round8 probe: we made the wrong call in delaying", "We made the wrong call in delaying the failover.", flags{owns: true}},
		{"round8 probe: that was a mistake and it's one", "That was a mistake, and it's one we won't repeat.", flags{owns: true}},
		{"round8 probe: we take full ownership of this failure", "We take full ownership of this failure.", flags{owns: true}},
		{"round8 probe: we didn't test the new config against", "We didn't test the new config against production traffic before rolling it out.", flags{owns: true}},
		{"round8 probe: our testing did not cover this case", "Our testing did not cover this case, and that's on us.", flags{owns: true}},
		{"round8 probe: the bug was introduced by one of", "The bug was introduced by one of our engineers in a refactor last week and broke password resets.", flags{owns: true, cause: true}},
		{"round8 probe: we tried to migrate too many tenants", "We tried to migrate too many tenants at once, overloading the primary.", flags{owns: true, cause: true}},
		{"round8 probe: we were running an outdated version of", "We were running an outdated version of the load balancer that had a known bug.", flags{owns: true, cause: true}},
		{"round8 probe: we accidentally pushed staging credentials to production", "We accidentally pushed staging credentials to production.", flags{owns: true, cause: true}},
		{"round8 probe: simply put we broke it", "Simply put, we broke it.", flags{owns: true}},
		{"round8 probe: this failure is entirely on our side", "This failure is entirely on our side.", flags{owns: true}},
		{"round8 probe: we lowered the connection timeout to 1", "We lowered the connection timeout to 1 second on Monday; requests to the search cluster began failing.", flags{owns: true, cause: true}},
		{"round8 probe: we removed an index we believed was", "We removed an index we believed was unused. It was not, and checkout queries slowed to a crawl.", flags{owns: true, cause: true}},
		{"round8 probe: i made a mistake when updating the", "I made a mistake when updating the DNS records.", flags{owns: true, cause: true}},
		{"round8 probe: i forgot to renew the certificate", "I forgot to renew the certificate.", flags{owns: true}},
		{"round8 probe: this was caused by a change i", "This was caused by a change I made to the caching layer earlier today.", flags{owns: true, cause: true}},
		{"round8 probe: we had not tested the failover procedure", "We had not tested the failover procedure in over a year, and it did not work when we needed it.", flags{owns: true}},
		{"round8 probe: we were too slow to notice the", "We were too slow to notice the problem.", flags{owns: true}},
		{"round8 probe: we pushed the change without running the", "We pushed the change without running the full test suite.", flags{owns: true, cause: true}},
		{"round8 probe: the incident was triggered when our team", "The incident was triggered when our team deployed a new version of the scheduler that contained a bug.", flags{owns: true, cause: true}},
		{"round8 probe: we didn't have an alert on disk", "We didn't have an alert on disk usage, so nobody noticed until the disk was full.", flags{owns: true, cause: true}},
		{"round8 probe: our engineering team changed a firewall rule", "Our engineering team changed a firewall rule that blocked traffic from the payment processor.", flags{owns: true, cause: true}},
		{"round8 probe: we deployed a caching change on friday", "We deployed a caching change on Friday. It caused stale prices to be shown for six hours.", flags{owns: true, cause: true}},
		{"round8 probe: we deployed a fix and the errors", "We deployed a fix and the errors stopped.", flags{}},
		{"round8 probe: a third-party cdn outage caused errors for", "A third-party CDN outage caused errors for our customers; we apologize.", flags{apology: true, cause: true}},
		{"round8 probe: we restarted the affected servers and service", "We restarted the affected servers and service recovered.", flags{}},
		{"round8 probe: our provider made a change that caused", "Our provider made a change that caused the outage.", flags{cause: true}},
		{"round8 probe: we upgraded the cluster last month without", "We upgraded the cluster last month without any issues.", flags{}},
		{"round8 probe: we are responsible for providing a reliable", "We are responsible for providing a reliable service to you.", flags{}},
		{"round8 probe: we scaled up the database to handle", "We scaled up the database to handle the increased load.", flags{}},
		{"round8 probe: a configuration change was pushed that caused", "A configuration change was pushed that caused elevated errors.", flags{cause: true}},
		{"round8 probe: the hosting company rebooted our servers without", "The hosting company rebooted our servers without notice, causing downtime.", flags{cause: true}},
		{"round8 probe: we moved the database to a new", "We moved the database to a new host, and everything has been stable since.", flags{}},
		{"round8 probe: we identified a bug in the scheduler", "We identified a bug in the scheduler that caused jobs to run twice.", flags{cause: true}},
		{"round8 probe: we experienced an outage due to a", "We experienced an outage due to a power failure at our data center.", flags{cause: true}},
		{"round8 probe: our database crashed due to a hardware", "Our database crashed due to a hardware failure.", flags{cause: true}},
		{"round8 probe: we were unable to process payments for", "We were unable to process payments for two hours.", flags{}},
		{"round8 probe: we upgraded our servers last week to", "We upgraded our servers last week to improve performance.", flags{}},
		{"round8 probe: we rolled out the fix which resolved", "We rolled out the fix, which resolved the errors.", flags{}},
		{"round8 probe: we restarted the database to clear the", "We restarted the database to clear the locks.", flags{}},
		{"round8 probe: our engineers rebooted the affected hosts restoring", "Our engineers rebooted the affected hosts, restoring service.", flags{}},
		{"round8 probe: we scaled the cluster but the errors", "We scaled the cluster, but the errors continued.", flags{}},
		{"round8 probe: we disabled the feature after it caused", "We disabled the feature after it caused errors.", flags{}},
		{"round8 probe: we restarted the service at 1005 and", "We restarted the service at 10:05 and errors dropped to zero.", flags{}},
		{"round8 probe: we increased capacity but the increased load", "We increased capacity, but the increased load still caused timeouts.", flags{cause: true}},
		{"round8 probe: we have since put alerting in place", "We have since put alerting in place for certificate expiry dates.", flags{prevention: true}},
		{"round8 probe: we're adding a second payment provider as", "We're adding a second payment provider as a fallback.", flags{prevention: true}},
		{"round8 probe: our plan is to move the database", "Our plan is to move the database to a managed service with automatic failover.", flags{prevention: true}},
		{"round8 probe: we've increased the disk size and added", "We've increased the disk size and added an alert at 80% usage.", flags{prevention: true}},
		{"round8 probe: the on-call runbook now covers this scenario", "The on-call runbook now covers this scenario.", flags{prevention: true}},
		{"round8 probe: deploys are now gated on the integration", "Deploys are now gated on the integration tests passing.", flags{prevention: true}},
		{"round8 probe: all production database changes now go through", "All production database changes now go through a second engineer.", flags{prevention: true}},
		{"round8 probe: we've documented the recovery procedure so anyone", "We've documented the recovery procedure so anyone on the team can follow it.", flags{prevention: true}},
		{"round8 probe: we have enabled automatic certificate renewal", "We have enabled automatic certificate renewal.", flags{prevention: true}},
		{"round8 probe: after this incident we introduced a mandatory", "After this incident we introduced a mandatory review step for DNS changes.", flags{prevention: true}},
		{"round8 probe: our alerting now catches replication lag above", "Our alerting now catches replication lag above 30 seconds.", flags{prevention: true}},
		{"round8 probe: we'll be reviewing our alerting thresholds", "We'll be reviewing our alerting thresholds.", flags{}},
		{"round8 probe: alerts now show the service as healthy", "Alerts now show the service as healthy.", flags{}},
		{"round8 probe: we have restored the backups and all", "We have restored the backups and all data is now available.", flags{}},
		{"round8 probe: we added more workers to process the", "We added more workers to process the backlog faster.", flags{}},
		{"round8 probe: we will add more details to this", "We will add more details to this page as we learn them.", flags{}},
		{"round8 probe: monitoring now shows error rates back to", "Monitoring now shows error rates back to normal.", flags{}},
		{"round8 probe: we've added an alert that fires when", "We've added an alert that fires when a certificate is within 14 days of expiry.", flags{prevention: true}},
		{"round8 probe: going forward all schema changes will go", "Going forward, all schema changes will go through a dry run on a staging copy.", flags{prevention: true}},
		{"round8 probe: we're rewriting the retry logic so that", "We're rewriting the retry logic so that a single slow dependency can no longer exhaust the worker pool.", flags{prevention: true}},
		{"round8 probe: the deploy tool now refuses to push", "The deploy tool now refuses to push to more than one region at a time.", flags{prevention: true}},
		{"round8 probe: we will require two approvals for any", "We will require two approvals for any change to production firewall rules.", flags{prevention: true}},
		{"round8 probe: we have doubled the size of the", "We have doubled the size of the connection pool and added a circuit breaker between the API and the search cluster.", flags{prevention: true}},
		{"round8 probe: engineers must now get sign-off from a", "Engineers must now get sign-off from a second reviewer before running manual queries in production.", flags{prevention: true}},
		{"round8 probe: we're introducing a freeze on deploys during", "We're introducing a freeze on deploys during peak shopping hours.", flags{prevention: true}},
		{"round8 probe: from now on certificates are renewed automatically", "From now on, certificates are renewed automatically 30 days before they expire.", flags{prevention: true}},
		{"round8 probe: our immediate fix was to restart the", "Our immediate fix was to restart the service; longer term, we are moving the scheduler onto its own hosts.", flags{prevention: true}},
		{"round8 probe: database failover is now automatic and is", "Database failover is now automatic and is exercised every month.", flags{prevention: true}},
		{"round8 probe: we now back up the configuration store", "We now back up the configuration store every hour and keep 30 days of snapshots.", flags{prevention: true}},
		{"round8 probe: next we'll split the monolithic job queue", "Next, we'll split the monolithic job queue into per-customer queues so one customer's burst cannot starve the others.", flags{prevention: true}},
		{"round8 probe: every deploy now waits for a five-minute", "Every deploy now waits for a five-minute bake in a canary region before it goes out globally.", flags{prevention: true}},
		{"round8 probe: we have written a runbook for this", "We have written a runbook for this failure and trained the on-call rotation on it.", flags{prevention: true}},
		{"round8 probe: the migration tool will now abort if", "The migration tool will now abort if a table lock is held for more than five seconds.", flags{prevention: true}},
		{"round8 probe: we have set up a second dns", "We have set up a second DNS provider so that the loss of one no longer takes us offline.", flags{prevention: true}},
		{"round8 probe: remediation 1 add disk usage alerting at", "Remediation: 1. Add disk usage alerting at 70%. 2. Enable log rotation on all workers.", flags{prevention: true}},
		{"round8 probe: to make sure this can't happen again", "To make sure this can't happen again, the cleanup script now only touches rows older than 90 days.", flags{prevention: true}},
		{"round8 probe: we will continue to monitor closely", "We will continue to monitor closely.", flags{}},
		{"round8 probe: we're looking at ways to make this", "We're looking at ways to make this more robust.", flags{}},
		{"round8 probe: we plan to publish a full postmortem", "We plan to publish a full postmortem next week.", flags{}},
		{"round8 probe: we have scaled up the cluster and", "We have scaled up the cluster and service has recovered.", flags{}},
		{"round8 probe: we'll be doing a thorough review of", "We'll be doing a thorough review of what went wrong.", flags{}},
		{"round8 probe: we are taking steps to ensure this", "We are taking steps to ensure this doesn't happen again.", flags{}},
		{"round8 probe: the team restored the database from a", "The team restored the database from a backup.", flags{}},
		{"round8 probe: we are adding more servers to handle", "We are adding more servers to handle the current load.", flags{}},
		{"round8 probe: we have applied a patch and are", "We have applied a patch and are monitoring the results.", flags{}},
		{"round8 probe: service is now operational for all customers", "Service is now operational for all customers.", flags{}},
		{"round8 probe: requests now fail with a 503 error", "Requests now fail with a 503 error for some users.", flags{}},
		{"round8 probe: we will now check the logs to", "We will now check the logs to understand what happened.", flags{}},
		{"round8 probe: customers will now need to re-authenticate", "Customers will now need to re-authenticate.", flags{}},
		{"round8 probe: we will get back to you with", "We will get back to you with the results of the tests.", flags{}},
		{"round8 probe: engineers will remain on-call until the backlog", "Engineers will remain on-call until the backlog clears.", flags{}},
		{"round8 probe: the team will restart the health checks", "The team will restart the health checks shortly.", flags{}},
		{"round8 probe: our engineers will now verify that all", "Our engineers will now verify that all alerts are working as expected.", flags{}},
		{"round8 probe: it is now monitored by our team", "It is now monitored by our team as we continue to investigate.", flags{}},
		{"round8 probe: the job queue is now draining and", "The job queue is now draining and we will post an update in 30 minutes.", flags{}},
		{"round8 probe: we will now wait for the replicas", "We will now wait for the replicas to catch up before re-enabling writes.", flags{}},
		{"round8 probe: payments now require a second attempt for", "Payments now require a second attempt for some customers while we fix the issue.", flags{}},
		{"round8 probe: we will be running additional tests on", "We will be running additional tests on the fix before deploying it.", flags{}},
		{"round8 probe: we'll be sure to share what we", "We'll be sure to share what we learn from the tests.", flags{}},
		{"round8 probe: follow-up actions add a synthetic check for", "Follow-up actions Add a synthetic check for the login page. Require a second approval for DNS changes.", flags{prevention: true}},
		{"round8 probe: corrective actions introduction of a canary stage", "Corrective actions: Introduction of a canary stage for the billing service.", flags{prevention: true}},
		{"round8 probe: since the outage we have updated our", "Since the outage we have updated our runbooks, and we have also added paging for queue depth.", flags{prevention: true}},
		{"round8 probe: we'll be restoring the remaining data and", "We'll be restoring the remaining data and building automated checks for backup integrity so this cannot recur.", flags{prevention: true}},
		{"round8 probe: next steps we will post another update", "Next steps We will post another update in 30 minutes.", flags{}},
		{"round8 probe: action items we are still investigating and", "Action items: we are still investigating and will share them in the postmortem.", flags{}},
		{"round8 probe: we have updated some of our internal", "We have updated some of our internal processes to reduce the chance of this happening again.", flags{}},
		{"round8 probe: we are restarting the workers and clearing", "We are restarting the workers and clearing the queue.", flags{}},
		{"round8 probe: we have documented our findings in this", "We have documented our findings in this report.", flags{}},
		{"round8 probe: our engineers are now monitoring the fix", "Our engineers are now monitoring the fix and checking the logs.", flags{}},
		{"round8 probe: resolution to fix this issue we restarted", "Resolution To fix this issue, we restarted the cluster. Remediation Items We are still reviewing what to do next.", flags{cause: false}},
		{"round8 probe: our integration with the payment provider did", "Our integration with the payment provider did not have the right retry safeguards.", flags{owns: true}},
		{"round8 probe: this incident fell short of the standards", "This incident fell short of the standards we hold ourselves to.", flags{owns: true}},
		{"round8 probe: we do not expect this issue to", "We do not expect this issue to recur.", flags{}},
		{"round8 probe: our support engineer accepted an invitation from", "Our support engineer accepted an invitation from a partner, causing our access token to be invalidated and messages to fail.", flags{owns: true, cause: true}},
		{"round8 probe: an authorized team member entered a command", "An authorized team member entered a command incorrectly and removed more servers than intended.", flags{owns: true, cause: true}},
		{"round8 probe: we noticed elevated errors causing us to", "We noticed elevated errors, causing us to open an incident.", flags{}},
		{"round8 probe: a change in the domain operator caused", "A change in the domain operator caused our DNS settings to revert unexpectedly.", flags{cause: true}},
		{"round8 probe: root cause a configuration push removed the", "Root Cause A configuration push removed the default route from our edge routers.", flags{cause: true}},
		{"round8 probe: root cause analysis we are still investigating", "Root Cause Analysis We are still investigating what happened.", flags{}},
		{"round8 probe: root cause under investigation", "Root cause: under investigation.", flags{}},
		{"round8 probe: the deploy script was misconfigured and pointed", "The deploy script was misconfigured and pointed at the production database.", flags{cause: true}},
		{"round8 probe: the alert thresholds were set incorrectly", "The alert thresholds were set incorrectly.", flags{cause: true}},
		{"round8 probe: contributing factors a recent update to the", "Contributing factors A recent update to the load balancer changed the timeout defaults.", flags{cause: true}},
		{"round8 probe: we will post an update when the", "We will post an update when the root cause is known.", flags{}},
		{"round8 probe: this incident was caused by an update", "This incident was caused by an update which assumed every request carries a User-Agent header.", flags{cause: true}},
		{"round8 probe: this tool should have gone through a", "This tool should have gone through a more stringent review.", flags{owns: true}},
		{"round8 probe: we caused this outage", "We caused this outage.", flags{owns: true}},
		{"round8 probe: i take the blame for this", "I take the blame for this.", flags{owns: true}},
		{"round8 probe: in hindsight rolling out to every region", "In hindsight, rolling out to every region at once was a mistake.", flags{owns: true}},
		{"round8 probe: our decision to skip the canary stage", "Our decision to skip the canary stage was a mistake.", flags{owns: true, cause: true}},
		{"round8 probe: we are sorry that our update caused", "We are sorry that our update caused so much trouble.", flags{apology: true, owns: true, cause: true}},
		{"round8 probe: the provider's decision to reboot the hosts", "The provider's decision to reboot the hosts was a mistake.", flags{}},
		{"round8 probe: the provider should have notified us before", "The provider should have notified us before the maintenance.", flags{}},
		{"round8 probe: going forward every database migration will be", "Going forward, every database migration will be reviewed by a second engineer.", flags{prevention: true}},
		{"round8 probe: we've since configured the load balancer to", "We've since configured the load balancer to drain hosts before restarts.", flags{prevention: true}},
		{"round8 probe: additionally the team is building a tool", "Additionally, the team is building a tool to detect stale DNS records.", flags{prevention: true}},
		{"round8 probe: our next step is to add rate", "Our next step is to add rate limiting to the public API.", flags{prevention: true}},
		{"round8 probe: we now require mfa for all administrative", "We now require MFA for all administrative access.", flags{prevention: true}},
		{"round8 probe: we will be more careful in the", "We will be more careful in the future.", flags{}},
		{"round8 probe: we're committed to doing better", "We're committed to doing better.", flags{}},
		{"round8 probe: we've learned a lot from this incident", "We've learned a lot from this incident.", flags{}},
		{"round8 probe: we've since restored all data and updated", "We've since restored all data and updated the status page.", flags{}},
		{"round8 probe: we have since brought all services back", "We have since brought all services back online.", flags{}},
		{"round8 probe: summary between 0912 and 0958 utc checkout", "Summary: Between 09:12 and 09:58 UTC, checkout requests failed for about a third of customers. What happened: during a routine certificate rotation, our on-call engineer uploaded the new certificate to the wrong load balancer pool. Requests to that pool were rejected. What we are changing: certificate rotations will be done with a script that verifies the target pool, and we are adding an alert on TLS handshake failures.", flags{owns: true, cause: true, prevention: true}},
		{"round8 probe: resolved the issue was caused by an", "Resolved: The issue was caused by an outage at our DNS provider. Service has been fully restored. We apologize for the inconvenience.", flags{apology: true, cause: true}},
		{"round8 probe: we have identified the cause of the", "We have identified the cause of the elevated latency and are deploying a fix. Next update in 30 minutes.", flags{}},
		{"round8 probe: post-incident review impact sync delays of up", "Post-incident review. Impact: sync delays of up to 3 hours. Cause: a background job we launched to backfill search indexes saturated the shared database. Actions: 1) backfills now run on a dedicated replica; 2) a CPU alert for the primary database was added.", flags{owns: true, cause: true, prevention: true}},
		{"round8 probe: our upstream provider experienced a power failure", "Our upstream provider experienced a power failure in one data center. Once power returned, our services recovered automatically. We are talking to the provider about their redundancy.", flags{cause: true}},
		{"round8 probe: yesterday we failed you a release we", "Yesterday we failed you. A release we shipped contained a migration that locked the accounts table for 25 minutes. We're sorry. From now on, migrations that take locks must be run outside peak hours and reviewed by the database team.", flags{apology: true, owns: true, cause: true, prevention: true}},
		{"round8 probe: the outage was triggered by a surge", "The outage was triggered by a surge in traffic after a marketing email went out. We have doubled the capacity of the web tier.", flags{cause: true}},
		{"round8 probe: a bug in the new scheduler caused", "A bug in the new scheduler caused some jobs to run twice. The bug has been fixed and duplicate jobs were cleaned up. To catch this class of bug earlier we are adding idempotency tests to the scheduler's test suite.", flags{cause: true, prevention: true}},
		{"round8 probe: we would like to appologise for this", "We would like to appologise for this extremely inconvenient service interruption.", flags{apology: true}},
		{"round8 probe: i apologise for the reduced communication as", "I apologise for the reduced communication as of late.", flags{}},
		{"round8 probe: sorry for the radio silence on this", "Sorry for the radio silence on this page; the outage itself ended at 10:40.", flags{}},
		{"round8 probe: we apologize for the lack of communication", "We apologize for the lack of communication during yesterday's outage.", flags{}},
		{"round8 probe: apologies to everyone affected by today's downtime", "Apologies to everyone affected by today's downtime.", flags{apology: true}},
		{"round8 probe: we experienced a surge in traffic resulting", "We experienced a surge in traffic, resulting in slow page loads.", flags{cause: true}},
		{"round8 probe: we detected elevated error rates which triggered", "We detected elevated error rates, which triggered an automatic failover.", flags{}},
		{"round8 probe: our team identified the faulty node and", "Our team identified the faulty node and removed it from the pool, restoring service.", flags{cause: true}},
		{"round8 probe: the provider's engineers pushed a bad route", "The provider's engineers pushed a bad route, causing packet loss for our customers.", flags{cause: true}},
		{"round8 probe: we are seeing errors causing some pages", "We are seeing errors, causing some pages to fail to load.", flags{}},
		{"round8 probe: we are working hard to make our", "We are working hard to make our service more reliable.", flags{}},
		{"round8 probe: i upgraded the forum software last night", "I upgraded the forum software last night without taking a backup first, and the upgrade corrupted the attachments table.", flags{owns: true, cause: true}},
		{"round8 probe: honestly this one is on me i", "Honestly, this one is on me: I merged a pull request that hadn't finished its CI run.", flags{owns: true}},
		{"round8 probe: we optimised the image pipeline on monday", "We optimised the image pipeline on Monday and, in doing so, broke thumbnail generation for PNG files.", flags{owns: true, cause: true}},
		{"round8 probe: our mistake was assuming the replica could", "Our mistake was assuming the replica could take the full write load.", flags{owns: true}},
		{"round8 probe: we got this wrong and we're sorry", "We got this wrong, and we're sorry.", flags{owns: true, apology: true}},
		{"round8 probe: a deploy of ours went out with", "A deploy of ours went out with a missing environment variable, and the API returned 500s for 12 minutes.", flags{owns: true, cause: true}},
		{"round8 probe: network connectivity at our colocation facility was", "Network connectivity at our colocation facility was lost for 40 minutes due to a fibre cut outside the building.", flags{cause: true}},
		{"round8 probe: we're sorry the upstream payment processor had", "We're sorry. The upstream payment processor had an outage and we could not take payments.", flags{apology: true, cause: true}},
		{"round8 probe: to stop this happening again we've moved", "To stop this happening again we've moved the cron jobs onto their own server and set up alerts if they run longer than an hour.", flags{prevention: true}},
		{"round8 probe: we'll be introducing a staging environment that", "We'll be introducing a staging environment that mirrors production more closely.", flags{prevention: true}},
		{"round8 probe: every schema change now requires a rollback", "Every schema change now requires a rollback script before it can be merged.", flags{prevention: true}},
		{"round8 probe: lessons learned test restores not just backups", "Lessons learned: test restores, not just backups.", flags{prevention: true}},
		{"round8 probe: the on-call rotation has been expanded to", "The on-call rotation has been expanded to two engineers per shift.", flags{prevention: true}},
		{"round8 probe: we'll share more once we know more", "We'll share more once we know more.", flags{}},
		{"round8 probe: our team is working hard to get", "Our team is working hard to get everything back to normal.", flags{}},
		{"round8 probe: we have restarted the mail queue and", "We have restarted the mail queue and messages are being delivered again.", flags{}},
		{"round8 probe: we will keep monitoring the situation and", "We will keep monitoring the situation and post updates here.", flags{}},
		{"round8 probe: we are reviewing what happened and will", "We are reviewing what happened and will publish a post-mortem.", flags{}},
		{"round8 probe: thanks for your patience while we sorted", "Thanks for your patience while we sorted this out.", flags{}},
		{"round8 probe: the maintenance completed successfully and all systems", "The maintenance completed successfully and all systems are operational.", flags{}},
		{"round8 probe: our database provider performed emergency maintenance which", "Our database provider performed emergency maintenance, which caused brief connection errors.", flags{cause: true}},
		{"round8 probe: we've upgraded the primary database to a", "We've upgraded the primary database to a larger instance to resolve the issue.", flags{}},
		{"round8 probe: earlier today our sre team rotated the", "Earlier today our SRE team rotated the database credentials but did not update them in the worker configuration, so background jobs could not connect.", flags{owns: true, cause: true}},
		{"round8 probe: we take full accountability for this incident", "We take full accountability for this incident.", flags{owns: true}},
		{"round8 probe: the change that caused this was ours", "The change that caused this was ours: a timeout we shortened from 30 to 3 seconds.", flags{owns: true, cause: true}},
		{"round8 probe: we underestimated how long the reindex would", "We underestimated how long the reindex would take, and search was unavailable for most of the morning.", flags{owns: true, cause: true}},
		{"round8 probe: this was not caused by any change", "This was not caused by any change on our side; the carrier's backbone was down.", flags{cause: true}},
		{"round8 probe: we've introduced a pre-deploy check that compares", "We've introduced a pre-deploy check that compares configuration between staging and production.", flags{prevention: true}},
		{"round8 probe: going forward any change to dns will", "Going forward, any change to DNS will require sign-off from two members of the infrastructure team.", flags{prevention: true}},
		{"round8 probe: as a result of this incident we", "As a result of this incident, we are moving our job queue to a managed service with built-in replication.", flags{prevention: true}},
		{"round8 probe: we've also set up synthetic monitoring for", "We've also set up synthetic monitoring for the checkout flow from three regions.", flags{prevention: true}},
		{"round8 probe: we are rebuilding the search index now", "We are rebuilding the search index now and expect it to complete within two hours.", flags{}},
		{"round8 probe: engineers are applying a configuration change to", "Engineers are applying a configuration change to mitigate the impact.", flags{}},
		{"round8 probe: we've rolled back the deployment and confirmed", "We've rolled back the deployment and confirmed that error rates are back to normal.", flags{}},
		{"round8 probe: we are adding capacity to the eu", "We are adding capacity to the EU cluster to work through the backlog.", flags{}},
		{"round8 probe: improvements we are making automated certificate renewal", "Improvements we are making: • Automated certificate renewal for all internal services • An alert 14 days before any certificate expires", flags{prevention: true}},
		{"round8 probe: the root cause was an expired certificate", "The root cause was an expired certificate on an internal service.", flags{cause: true}},
		{"round8 probe: we sincerely apologise for the disruption this", "We sincerely apologise for the disruption this caused to your business.", flags{apology: true}},
		{"round8 probe: a scheduled job we run nightly deleted", "A scheduled job we run nightly deleted more rows than intended because of a faulty WHERE clause.", flags{owns: true, cause: true}},
		{"round8 probe: during a routine upgrade of our kubernetes", "During a routine upgrade of our Kubernetes cluster, we misjudged the impact of draining nodes, which left too few pods to serve traffic.", flags{owns: true, cause: true}},
		{"round8 probe: the cause is still unknown and we", "The cause is still unknown and we are working with our vendor to understand it.", flags{}},
		{"round8 probe: we are implementing stricter rate limits on", "We are implementing stricter rate limits on the public API so a single client cannot overwhelm it again.", flags{prevention: true}},
		{"round8 probe: work is already underway to make sure", "Work is already underway to make sure this does not happen again.", flags{}},
		{"round8 probe: we're going to revisit how we handle", "We're going to revisit how we handle deploys.", flags{}},
		{"round8 probe: we have added additional safeguards", "We have added additional safeguards.", flags{}},
		{"round8 probe: our engineers mistakenly applied a firewall change", "Our engineers mistakenly applied a firewall change meant for staging to the production network.", flags{owns: true, cause: true}},
		{"round8 probe: we didn't anticipate that the new caching", "We didn't anticipate that the new caching layer would amplify load on cache misses.", flags{owns: true}},
		{"round8 probe: the failure was entirely preventable and preventing", "The failure was entirely preventable, and preventing it was our job.", flags{owns: true}},
		{"round8 probe: we accidentally let our tls certificate expire", "We accidentally let our TLS certificate expire over the weekend.", flags{owns: true, cause: true}},
		{"round8 probe: our deployment on thursday evening removed a", "Our deployment on Thursday evening removed a column that the billing service still read from.", flags{owns: true, cause: true}},
		{"round8 probe: we upgraded postgres to version 16 and", "We upgraded Postgres to version 16 and discovered that an extension we depend on was incompatible, which broke full-text search.", flags{owns: true, cause: true}},
		{"round8 probe: heavy rain flooded the data center where", "Heavy rain flooded the data center where our servers are hosted.", flags{cause: false}},
		{"round8 probe: the outage was caused by a misconfigured", "The outage was caused by a misconfigured BGP session at our transit provider.", flags{cause: true}},
		{"round8 probe: we have since written integration tests for", "We have since written integration tests for the export endpoint.", flags{prevention: true}},
		{"round8 probe: we're also going to run quarterly disaster", "We're also going to run quarterly disaster recovery drills.", flags{prevention: true}},
		{"round8 probe: a second person must now approve every", "A second person must now approve every production database change.", flags{prevention: true}},
		{"round8 probe: backups are now verified daily by restoring", "Backups are now verified daily by restoring them to a scratch environment.", flags{prevention: true}},
		{"round8 probe: we are splitting the monolith's background workers", "We are splitting the monolith's background workers into separate pools so a stuck queue can't block everything else.", flags{prevention: true}},
		{"round8 probe: our roadmap now includes multi-region failover for", "Our roadmap now includes multi-region failover for the API, planned for Q3.", flags{prevention: true}},
		{"round8 probe: follow-ups improve alerting on replication lag add", "Follow-ups: improve alerting on replication lag; add a runbook for failing over the primary.", flags{prevention: true}},
		{"round8 probe: we are working closely with our provider", "We are working closely with our provider to understand what happened.", flags{}},
		{"round8 probe: we have temporarily disabled the feature while", "We have temporarily disabled the feature while we investigate.", flags{}},
		{"round8 probe: engineers have been paged and are investigating", "Engineers have been paged and are investigating the alerts.", flags{}},
		{"round8 probe: we will continue to improve our platform", "We will continue to improve our platform.", flags{}},
		{"round8 probe: we are deploying additional servers to handle", "We are deploying additional servers to handle the load.", flags{}},
		{"round8 probe: a fix has been deployed and we", "A fix has been deployed and we are monitoring the results.", flags{}},
		{"round8 probe: we have tested the failover and it", "We have tested the failover and it worked as expected.", flags{}},
		{"round8 probe: we are investigating reports of failed logins", "We are investigating reports of failed logins and will update shortly.", flags{}},
	}
	c := New()
	at := time.Date(2024, 3, 10, 14, 20, 0, 0, time.UTC)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Classify(tc.text, at)
			have := flags{got.Apology, got.TakesResponsibility, got.RootCause, got.PreventionSteps}
			if have != tc.want {
				t.Errorf("got %+v, want %+v (evidence %q)", have, tc.want, got.Evidence)
			}
			for k, on := range map[string]bool{keyApology: have.apology, keyResponsibility: have.owns, keyRootCause: have.cause, keyPrevention: have.prevention} {
				if _, has := got.Evidence[k]; has != on {
					t.Errorf("evidence for %s present=%v, flag %v", k, has, on)
				}
			}
		})
	}
}

func TestEvidenceIsTheDecidingSentence(t *testing.T) {
	got := New().Classify("Users may see errors. We apologize for the disruption. Next update in 30 minutes.", time.Date(2024, 3, 10, 14, 20, 0, 0, time.UTC))
	want := map[string]string{
		keyApology:    "We apologize for the disruption.",
		keyNextUpdate: "Next update in 30 minutes.",
	}
	if len(got.Evidence) != len(want) {
		t.Fatalf("evidence %q, want %q", got.Evidence, want)
	}
	for k, v := range want {
		if got.Evidence[k] != v {
			t.Errorf("evidence[%s] = %q, want %q", k, got.Evidence[k], v)
		}
	}
}

func TestNextUpdate(t *testing.T) {
	at := time.Date(2024, 3, 10, 14, 20, 0, 0, time.UTC) // a Sunday; US daylight time began that morning
	pdt := time.FixedZone("PDT", -7*3600)
	atPDT := time.Date(2024, 7, 1, 23, 50, 0, 0, pdt) // 2024-07-02 06:50 UTC
	cases := []struct {
		name string
		text string
		at   time.Time
		want string // RFC 3339 in UTC, "" for none
	}{
		{"minutes", "Next update in 30 minutes.", at, "2024-03-10T14:50:00Z"},
		{"within the hour", "We will provide an update within the hour.", at, "2024-03-10T15:20:00Z"},
		{"hours", "We'll post another update in 2 hours.", at, "2024-03-10T16:20:00Z"},
		{"half an hour", "We'll be back with more information in half an hour.", at, "2024-03-10T14:50:00Z"},
		{"word number", "We will provide another update in fifteen minutes.", at, "2024-03-10T14:35:00Z"},
		{"by utc later today", "We will provide another update by 15:00 UTC.", at, "2024-03-10T15:00:00Z"},
		{"by utc earlier means tomorrow", "We will provide another update by 14:00 UTC.", at, "2024-03-11T14:00:00Z"},
		{"pm pst", "Next update at 3:30 PM PST.", at, "2024-03-10T23:30:00Z"},                             // 15:30 −08:00
		{"et follows daylight time", "We will share an update by 14:00 ET.", at, "2024-03-10T18:00:00Z"},  // EDT, −04:00
		{"pt follows daylight time", "Another update will follow at 9am PT.", at, "2024-03-10T16:00:00Z"}, // 09:00 PDT, later than 07:20 PDT
		{"dated", "We will provide the next update on March 12 at 09:00 UTC.", at, "2024-03-12T09:00:00Z"},
		{"colon form", "Next update: 18:00 UTC", at, "2024-03-10T18:00:00Z"},
		{"message in another zone", "Next update by 00:30 UTC.", atPDT, "2024-07-03T00:30:00Z"},
		{"clock in the zone of at", "We will post an update by 23:55.", atPDT, "2024-07-02T06:55:00Z"}, // 23:55 PDT
		{"resolution estimate is not an update", "We expect services to recover within 30 minutes.", at, ""},
		{"past update", "We updated the status page at 11:11pm UTC.", at, ""},
		{"no time given", "The next update will be provided once more information is available.", at, ""},
		{"delay figure is not a promise", "Estimated time for delayed processing to fully clear: ~35 minutes. We will provide further updates as needed.", at, ""},
		{"bare number is not a time", "We will provide an update at 5 of our regions.", at, ""},
	}
	c := New()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := c.Classify(tc.text, tc.at).NextUpdateAt
			switch {
			case tc.want == "" && got != nil:
				t.Errorf("got %s, want none", got.UTC().Format(time.RFC3339))
			case tc.want != "" && got == nil:
				t.Errorf("got none, want %s", tc.want)
			case tc.want != "" && got.UTC().Format(time.RFC3339) != tc.want:
				t.Errorf("got %s, want %s", got.UTC().Format(time.RFC3339), tc.want)
			}
		})
	}
}

func TestSplitKeepsNumbersAndDomainsWhole(t *testing.T) {
	d := newDoc("Errors hit 0.6% of github.com traffic.We rolled back v2.3 at 5 p.m. today! Next update soon")
	var got []string
	for _, s := range d.sentences {
		got = append(got, s.orig)
	}
	want := []string{"Errors hit 0.6% of github.com traffic.", "We rolled back v2.3 at 5 p.m.", "today!", "Next update soon"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("sentence %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestAutomatonFindsOverlappingWords(t *testing.T) {
	a := newAutomaton([]string{"he", "she", "his", "hers", "caus", " caused "})
	cases := []struct {
		text string
		want []int32 // in order of their end in the text
	}{
		{"ushers", []int32{1, 0, 3}},
		{"a change caused errors", []int32{4, 5}},
		{"this!", []int32{2}},
		{"h-e", nil},
	}
	for _, tc := range cases {
		var got []int32
		a.match(tc.text, func(id int32) { got = append(got, id) })
		if len(got) != len(tc.want) {
			t.Errorf("%q: got %v, want %v", tc.text, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: got %v, want %v", tc.text, got, tc.want)
				break
			}
		}
	}
}
