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

// DefaultSettle is how long a claim waits before reading the episode's
// claims back: longer than an insert takes, so that a competing claim
// made earlier is visible by then.
const DefaultSettle = 2 * time.Second

// Claims decides, across every serve process writing to one ClickHouse
// database, which single process sends an episode's alert, and remembers
// the episodes already sent (migrations/0008_alert_claims.sql).
//
// Claim inserts a claim row, waits Settle, and reads the episode's rows
// back: the earliest claim (by its wall-clock nanoseconds, then owner)
// wins; an episode with a 'sent' row is never claimed again. Two
// processes both send only if one's claim insert takes longer than Settle
// and their clocks disagree by more than the gap between their claims.
type Claims struct {
	Conn   driver.Conn
	DB     string        // database of alert_claims ("" = the connection's)
	Owner  string        // this process; NewOwner when ""
	Settle time.Duration // 0: DefaultSettle
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

func (c *Claims) insert(ctx context.Context, episode, incidentID, kind string) error {
	b, err := c.Conn.PrepareBatch(ctx, "INSERT INTO "+c.table()+" (episode, incident_id, owner, kind, at_ns)")
	if err != nil {
		return err
	}
	if err := b.Append(episode, incidentID, c.Owner, kind, uint64(time.Now().UnixNano())); err != nil {
		_ = b.Abort()
		return err
	}
	return b.Send()
}

// state reads an episode's claims: whether it was sent, and the winning
// claim's owner ("" when none).
func (c *Claims) state(ctx context.Context, episode string) (sent bool, winner string, err error) {
	var n uint64
	err = c.Conn.QueryRow(ctx, `SELECT toUInt64(countIf(kind = 'sent')), toString(argMinIf(owner, (at_ns, owner), kind = 'claim'))
FROM `+c.table()+` WHERE episode = @ep`, clickhouse.Named("ep", episode)).Scan(&n, &winner)
	return n > 0, winner, err
}

// Claim reports whether this process is the one to send episode.
func (c *Claims) Claim(ctx context.Context, episode, incidentID string) (bool, error) {
	sent, winner, err := c.state(ctx, episode)
	if err != nil {
		return false, fmt.Errorf("alert: claim %q: %w", episode, err)
	}
	if sent || (winner != "" && winner != c.Owner) {
		return false, nil
	}
	if winner == "" {
		if err := c.insert(ctx, episode, incidentID, "claim"); err != nil {
			return false, fmt.Errorf("alert: claim %q: %w", episode, err)
		}
		settle := c.Settle
		if settle <= 0 {
			settle = DefaultSettle
		}
		t := time.NewTimer(settle)
		select {
		case <-ctx.Done():
			t.Stop()
			return false, ctx.Err()
		case <-t.C:
		}
		if sent, winner, err = c.state(ctx, episode); err != nil {
			return false, fmt.Errorf("alert: claim %q: %w", episode, err)
		}
	}
	return !sent && winner == c.Owner, nil
}

// Sent records that the receiver accepted episode's alert.
func (c *Claims) Sent(ctx context.Context, episode, incidentID string) error {
	if err := c.insert(ctx, episode, incidentID, "sent"); err != nil {
		return fmt.Errorf("alert: mark %q sent: %w", episode, err)
	}
	return nil
}
