package ingest_test

import (
	"context"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/trustlens/trustlens/ingest"
)

func TestProduce(t *testing.T) {
	br, prefix := startBroker(t)
	tests := []struct {
		name     string
		input    string
		wantSent int
		wantErr  string
		wantMsgs []string // "key|value", sorted
	}{
		{
			name: "keys and empty lines",
			input: `{"event_id":"1","incident_id":"inc-1","customer_id":"c-1"}` + "\n\n" +
				`  {"event_id":"2","customer_id":"c-2"}  ` + "\r\n" +
				`{"event_id":"3","incident_id":7}` + "\n" +
				`[1,2]` + "\n" +
				`{"event_id":"4","incident_id":""}`, // no final newline
			wantSent: 5,
			wantMsgs: []string{`c-2|{"event_id":"2","customer_id":"c-2"}`, `inc-1|{"event_id":"1","incident_id":"inc-1","customer_id":"c-1"}`,
				`|[1,2]`, `|{"event_id":"3","incident_id":7}`, `|{"event_id":"4","incident_id":""}`},
		},
		{
			name:     "stops at the first line that is not JSON",
			input:    `{"event_id":"a"}` + "\n" + `{"event_id":"b"}` + "\n\n" + `{"event_id": oops}` + "\n" + `{"event_id":"c"}` + "\n",
			wantSent: 2,
			wantErr:  `produce: line 4 is not JSON: "{\"event_id\": oops}"`,
			wantMsgs: []string{`|{"event_id":"a"}`, `|{"event_id":"b"}`},
		},
		{name: "empty input", input: "\n \n", wantSent: 0},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			topic := prefix + "produce-" + string(rune('a'+i))
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			n, err := ingest.Produce(ctx, []string{br.Addr()}, topic, strings.NewReader(tc.input))
			if n != tc.wantSent {
				t.Errorf("sent %d, want %d", n, tc.wantSent)
			}
			if (err == nil) != (tc.wantErr == "") || (err != nil && err.Error() != tc.wantErr) {
				t.Errorf("error %v, want %q", err, tc.wantErr)
			}
			if len(tc.wantMsgs) == 0 {
				return
			}
			var got []string
			for _, m := range readAll(t, br.Addr(), topic, len(tc.wantMsgs)) {
				got = append(got, string(m.Key)+"|"+string(m.Value))
			}
			sort.Strings(got)
			sort.Strings(tc.wantMsgs)
			if strings.Join(got, "\n") != strings.Join(tc.wantMsgs, "\n") {
				t.Errorf("messages\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.wantMsgs, "\n"))
			}
		})
	}
}

// TestProduceCommand runs `trustlens produce` and checks what it prints.
func TestProduceCommand(t *testing.T) {
	br, prefix := startBroker(t)
	bin := trustlensBinary(t)
	tests := []struct {
		name, input, wantOut, wantErr string
		wantExit                      int
	}{
		{"all sent", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n", "sent 3 events to " + prefix + "incidents\n", "", 0},
		{"bad line", "{\"a\":1}\nnope\n", "sent 1 events to " + prefix + "incidents\n", "trustlens: produce: line 2 is not JSON: \"nope\"\n", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(bin, "produce", "--topic", prefix+"incidents")
			cmd.Env = append(os.Environ(), "TRUSTLENS_KAFKA_BROKERS="+br.Addr(), "TRUSTLENS_TOPIC_PREFIX="+prefix)
			cmd.Stdin = strings.NewReader(tc.input)
			var out, errOut strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			exit := 0
			if ee, ok := err.(*exec.ExitError); ok {
				exit = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if out.String() != tc.wantOut || exit != tc.wantExit || !strings.HasSuffix(errOut.String(), tc.wantErr) {
				t.Errorf("stdout %q, stderr %q, exit %d; want %q, …%q, %d", out.String(), errOut.String(), exit, tc.wantOut, tc.wantErr, tc.wantExit)
			}
		})
	}
}
