package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestClassifyCommand(t *testing.T) {
	in := strings.Join([]string{
		`{"id":"u1","text":"We are investigating elevated errors. We apologize for the disruption. Next update in 30 minutes."}`,
		``,
		`{"text":"This was our mistake: a change we made to our load balancer configuration caused the outage.","occurred_at":"2024-07-01T23:50:00-07:00"}`,
		`{"id":"u3","text":"We will provide another update by 15:00 UTC.","occurred_at":"2024-03-10T14:20:00Z"}`,
	}, "\n") + "\n"
	// Every expected line written by hand: at is --at for u1, the line's
	// own occurred_at for the others; times come out in UTC.
	want := `{"id":"u1","apology":true,"takes_responsibility":false,"root_cause":false,"prevention_steps":false,"next_update_at":"2024-03-10T08:30:00Z","evidence":{"apology":"We apologize for the disruption.","next_update_at":"Next update in 30 minutes."}}
{"apology":false,"takes_responsibility":true,"root_cause":true,"prevention_steps":false,"next_update_at":null,"evidence":{"root_cause":"This was our mistake: a change we made to our load balancer configuration caused the outage.","takes_responsibility":"This was our mistake: a change we made to our load balancer configuration caused the outage."}}
{"id":"u3","apology":false,"takes_responsibility":false,"root_cause":false,"prevention_steps":false,"next_update_at":"2024-03-10T15:00:00Z","evidence":{"next_update_at":"We will provide another update by 15:00 UTC."}}
`
	var out bytes.Buffer
	err := run(context.Background(), []string{"classify", "--at", "2024-03-10T08:00:00Z"}, envOf(nil), strings.NewReader(in), &out, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}

	// --file reads the same lines from a file.
	path := filepath.Join(t.TempDir(), "updates.ndjson")
	if err := os.WriteFile(path, []byte(in), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = run(context.Background(), []string{"classify", "--at", "2024-03-10T08:00:00Z", "--file", path}, envOf(nil), strings.NewReader(""), &out, io.Discard)
	if err != nil || out.String() != want {
		t.Errorf("--file: err %v, got\n%s", err, out.String())
	}
}

func TestClassifyCommandNamesTheBadLine(t *testing.T) {
	cases := []struct {
		name string
		args []string
		in   string
		want string // substring of the error
		out  int    // lines written before it
	}{
		{"not json", nil, "{\"text\":\"ok\"}\nnot json\n", "classify: line 2: not a JSON object", 1},
		{"no text", nil, "{\"text\":\"ok\"}\n\n{\"id\":\"x\"}\n", `classify: line 3: "text" is required`, 1},
		{"bad occurred_at", nil, "{\"text\":\"ok\",\"occurred_at\":\"yesterday\"}\n", `classify: line 1: occurred_at: not an RFC 3339 time: "yesterday"`, 0},
		{"bad --at", []string{"--at", "noon"}, "", `classify: --at: not an RFC 3339 time: "noon"`, 0},
		{"missing file", []string{"--file", "/nonexistent/updates.ndjson"}, "", "classify: open /nonexistent/updates.ndjson", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), append([]string{"classify"}, tc.args...), envOf(nil), strings.NewReader(tc.in), &out, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if n := strings.Count(out.String(), "\n"); n != tc.out {
				t.Errorf("%d lines written before the error, want %d:\n%s", n, tc.out, out.String())
			}
		})
	}
}
