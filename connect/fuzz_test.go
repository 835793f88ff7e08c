package connect

import (
	"testing"
)

// The mappers never panic, and whatever they emit passes SPEC §1's
// validation or is reported as a problem by the server (checked here:
// every emitted event is encodable and has a topic).
func fuzzMapper(f *testing.F, seeds []string, mapBody func([]byte) mapping) {
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		m := mapBody(body)
		for _, ev := range m.events {
			if _, err := ev.encode(); err != nil {
				t.Fatalf("%s: %v", ev.EventID, err)
			}
			if ev.EventID == "" || ev.Type == "" || ev.OccurredAt == "" {
				t.Fatalf("incomplete event %+v", ev)
			}
		}
	})
}

func FuzzPagerDuty(f *testing.F) {
	pd := pagerDuty{settings: DefaultSettings().PagerDuty, classifier: wordClassifier{}}
	fuzzMapper(f, []string{string(fixture(f, "pagerduty_triggered.json")), string(fixture(f, "pagerduty_status_update.json"))}, pd.mapBody)
}

func FuzzStatuspage(f *testing.F) {
	sp := statuspage{classifier: wordClassifier{}}
	fuzzMapper(f, []string{string(fixture(f, "statuspage_incident.json"))}, sp.mapBody)
}

func FuzzStripe(f *testing.F) {
	var seeds []string
	for _, n := range []string{"stripe_subscription_created.json", "stripe_credit_note_created.json", "stripe_promotion_code_created.json", "stripe_discount_created.json"} {
		seeds = append(seeds, string(fixture(f, n)))
	}
	fuzzMapper(f, seeds, stripe{}.mapBody)
}

func FuzzZendesk(f *testing.F) {
	zd := zendesk{settings: DefaultSettings().Zendesk}
	fuzzMapper(f, []string{string(fixture(f, "zendesk_ticket_created.json"))}, zd.mapTicket)
}

func FuzzZendeskCSAT(f *testing.F) {
	zd := zendesk{settings: DefaultSettings().Zendesk}
	fuzzMapper(f, []string{string(fixture(f, "zendesk_csat.json"))}, zd.mapCSAT)
}
