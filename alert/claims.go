package alert

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Defaults of Claims.
const (
	// DefaultSettle is how long a claim waits before reading the
	// episode's claims back: longer than an insert takes, so that a
	// competing claim made earlier is visible by then.
	DefaultSettle = 2 * time.Second
	// DefaultLease is how long a claim holds without a renewal. The owner
	// renews it at every retry (at most MaxBackoff + Timeout apart), so
	// only a process that stopped loses its claim.
	DefaultLease = 5 * time.Minute
)

// Claims decides, across every serve process writing to one ClickHouse
// database, which single process sends an episode's alert, and remembers
// the episodes already sent (migrations/0008_alert_claims.sql).
//
// Claim inserts a claim row, waits Settle, and reads the episode's rows
// back: the earliest claim of the highest round (by its wall-clock
// nanoseconds, then owner) wins; an episode with a 'sent' row is never
// claimed again. The owner renews its claim while it retries; a claim not
// renewed for Lease (its process stopped) is taken over by a claim of the
// next round, so the alert is not lost. Two processes both send only if a
// claim insert takes longer than Settle and their clocks disagree by more
// than the gap between their claims, or if an owner stalls longer than
// Lease between two attempts.
type Claims struct {
	Conn   driver.Conn
	DB     string        // database of alert_claims ("" = the connection's)
	Owner  string        // this process, required (NewOwner)
	Settle time.Duration // 0: DefaultSettle
	Lease  time.Duration // 0: DefaultLease
}

// NewOwner names this process: host, pid and a random suffix.
func NewOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

func (c *Claims) table() string {
	if c.DB == "" {
		return "alert_claims"
	}
	return c.DB + ".alert_claims"
}

func (c *Claims) insert(ctx context.Context, episode, incidentID, kind string, round uint32) error {
	b, err := c.Conn.PrepareBatch(ctx, "INSERT INTO "+c.table()+" (episode, incident_id, owner, kind, round, at_ns)")
	if err != nil {
		return err
	}
	if err := b.Append(episode, incidentID, c.Owner, kind, round, uint64(time.Now().UnixNano())); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}

// claimState is what an episode's rows say.
type claimState struct {
	sent     bool
	round    uint32 // the highest round claimed
	winner   string // earliest claim of that round; "" when none
	lastSeen int64  // the winner's latest claim or renewal in that round, unix ns
}

// state reads an episode's rows (a handful: claims, renewals, one sent).
func (c *Claims) state(ctx context.Context, episode string) (claimState, error) {
	var st claimState
	rows, err := c.Conn.Query(ctx, "SELECT owner, kind, round, at_ns FROM "+c.table()+" WHERE episode = @ep ORDER BY round, at_ns, owner",
		clickhouse.Named("ep", episode))
	if err != nil {
		return st, err
	}
	defer rows.Close()
	type row struct {
		owner, kind string
		round       uint32
		at          uint64
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.owner, &r.kind, &r.round, &r.at); err != nil {
			return st, err
		}
		all = append(all, r)
		if r.kind == "sent" {
			st.sent = true
		}
		if r.kind == "claim" && r.round >= st.round {
			if r.round > st.round || st.winner == "" {
				st.round, st.winner = r.round, r.owner // sorted: the first of the round is the earliest
			}
		}
	}
	if err := rows.Err(); err != nil {
		return st, err
	}
	for _, r := range all {
		if r.owner == st.winner && r.round == st.round && r.kind != "sent" {
			st.lastSeen = max(st.lastSeen, int64(r.at))
		}
	}
	return st, nil
}

func (c *Claims) lease() time.Duration {
	if c.Lease > 0 {
		return c.Lease
	}
	return DefaultLease
}

// Claim says whether this process is the one to send episode (Won),
// another live process is (Held), or it was sent (Done).
func (c *Claims) Claim(ctx context.Context, episode, incidentID string) (Outcome, error) {
	st, err := c.state(ctx, episode)
	if err != nil {
		return Held, fmt.Errorf("alert: claim %q: %w", episode, err)
	}
	switch {
	case st.sent:
		return Done, nil
	case st.winner == c.Owner:
		return Won, nil
	case st.winner != "" && time.Since(time.Unix(0, st.lastSeen)) < c.lease():
		return Held, nil // by a live process
	}
	round := uint32(0)
	if st.winner != "" {
		round = st.round + 1 // take over a claim whose process stopped
	}
	if err := c.insert(ctx, episode, incidentID, "claim", round); err != nil {
		return Held, fmt.Errorf("alert: claim %q: %w", episode, err)
	}
	settle := c.Settle
	if settle <= 0 {
		settle = DefaultSettle
	}
	t := time.NewTimer(settle)
	select {
	case <-ctx.Done():
		t.Stop()
		return Held, ctx.Err()
	case <-t.C:
	}
	if st, err = c.state(ctx, episode); err != nil {
		return Held, fmt.Errorf("alert: claim %q: %w", episode, err)
	}
	switch {
	case st.sent:
		return Done, nil
	case st.winner == c.Owner:
		return Won, nil
	}
	return Held, nil
}

// Renew keeps this process's claim alive before another attempt, and
// reports whether it still holds it.
func (c *Claims) Renew(ctx context.Context, episode, incidentID string) (bool, error) {
	st, err := c.state(ctx, episode)
	if err != nil {
		return false, fmt.Errorf("alert: renew %q: %w", episode, err)
	}
	if st.sent || st.winner != c.Owner {
		return false, nil
	}
	if err := c.insert(ctx, episode, incidentID, "renew", st.round); err != nil {
		return false, fmt.Errorf("alert: renew %q: %w", episode, err)
	}
	return true, nil
}

// Sent records that the receiver accepted episode's alert.
func (c *Claims) Sent(ctx context.Context, episode, incidentID string) error {
	if err := c.insert(ctx, episode, incidentID, "sent", 0); err != nil {
		return fmt.Errorf("alert: mark %q sent: %w", episode, err)
	}
	return nil
}
