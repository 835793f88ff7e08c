package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/trustlens/trustlens"
	"github.com/trustlens/trustlens/classify"
)

// classifyInput is one NDJSON line of `trustlens classify`.
type classifyInput struct {
	ID         string  `json:"id"`
	Text       *string `json:"text"`
	OccurredAt string  `json:"occurred_at"`
}

// classifyOutput is the Classification, with the input's id when it had one.
type classifyOutput struct {
	ID string `json:"id,omitempty"`
	trustlens.Classification
}

func cmdClassify(ctx context.Context, args []string, e env) error {
	s := newSettings("classify", "Read the habits of SPEC §7 from the words of updates: NDJSON lines {\"text\": …, \"occurred_at\"?: RFC 3339, \"id\"?: …} in, one JSON object per line out (apology, takes_responsibility, root_cause, prevention_steps, next_update_at, evidence, and the id if given). Stops at the first bad line, naming its line number.", e)
	file := s.String("file", "", "", "read lines from this file instead of stdin")
	atFlag := s.String("at", "", "", "the time relative promises (\"next update in 30 minutes\") count from when a line has no occurred_at, RFC 3339; empty means now")
	if err := s.parse(args); err != nil {
		return err
	}
	at := time.Now().UTC()
	if *atFlag != "" {
		t, err := time.Parse(time.RFC3339, *atFlag)
		if err != nil {
			return fmt.Errorf("classify: --at: not an RFC 3339 time: %q", *atFlag)
		}
		at = t
	}
	var in io.Reader = e.stdin
	if *file != "" {
		f, err := os.Open(*file)
		if err != nil {
			return fmt.Errorf("classify: %w", err)
		}
		defer f.Close()
		in = f
	}
	return classifyLines(ctx, classify.New(), in, e.stdout, at)
}

// classifyLines classifies NDJSON lines; blank lines are skipped.
func classifyLines(ctx context.Context, c *classify.Classifier, in io.Reader, out io.Writer, at time.Time) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	w := bufio.NewWriter(out)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for n := 1; sc.Scan(); n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var l classifyInput
		if err := json.Unmarshal(line, &l); err != nil {
			return fmt.Errorf("classify: line %d: not a JSON object: %w", n, err)
		}
		if l.Text == nil {
			return fmt.Errorf("classify: line %d: \"text\" is required", n)
		}
		when := at
		if l.OccurredAt != "" {
			t, err := time.Parse(time.RFC3339, l.OccurredAt)
			if err != nil {
				return fmt.Errorf("classify: line %d: occurred_at: not an RFC 3339 time: %q", n, l.OccurredAt)
			}
			when = t
		}
		res := c.Classify(*l.Text, when)
		if res.NextUpdateAt != nil {
			t := res.NextUpdateAt.UTC()
			res.NextUpdateAt = &t
		}
		if err := enc.Encode(classifyOutput{ID: l.ID, Classification: res}); err != nil {
			return fmt.Errorf("classify: write: %w", err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("classify: read: %w", err)
	}
	return nil
}
