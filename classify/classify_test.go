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
