package connect

import (
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens"
)

// wordClassifier stands in for classify.Classifier with rules a test can
// compute by hand: "sorry" is an apology, "caused by" a root cause, "30
// minutes" a promise 30 minutes after the message.
type wordClassifier struct{}

func (wordClassifier) Classify(text string, at time.Time) trustlens.Classification {
	var c trustlens.Classification
	c.Apology = strings.Contains(text, "sorry")
	c.RootCause = strings.Contains(text, "caused by")
	if strings.Contains(text, "30 minutes") {
		t := at.Add(30 * time.Minute)
		c.NextUpdateAt = &t
	}
	return c
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func ptr[T any](v T) *T { return &v }

// checkMapping compares a mapping with the expected events and problems,
// and checks that every event passes SPEC §1's validation on its topic.
func checkMapping(t *testing.T, got mapping, want []Event, wantProblems []string) {
	t.Helper()
	if len(got.events) != len(want) {
		t.Errorf("got %d events, want %d", len(got.events), len(want))
	}
	for i := 0; i < len(got.events) && i < len(want); i++ {
		if !reflect.DeepEqual(got.events[i], want[i]) {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got.events[i], want[i])
		}
	}
	if !reflect.DeepEqual(got.problems, wantProblems) {
		t.Errorf("problems: got %q, want %q", got.problems, wantProblems)
	}
	checkValid(t, got.events)
}

// checkValid decodes every event with the root package's validation.
func checkValid(t testing.TB, events []Event) {
	t.Helper()
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, ev := range events {
		raw, err := ev.encode()
		if err != nil {
			t.Fatal(err)
		}
		s := trustlens.StreamOfType(ev.Type)
		if s == "" {
			t.Errorf("%s: type %q has no topic", ev.EventID, ev.Type)
			continue
		}
		if _, err := trustlens.Decode(s, raw, now); err != nil {
			t.Errorf("%s does not validate: %v\n%s", ev.EventID, err, raw)
		}
	}
}
