package migrations_test

import (
	"context"
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/trustlens/trustlens/internal/chtest"
)

// TestAnalystUserIsReadOnly connects as the analysts' user of the local
// server (written by scripts/clickhouse.sh, like the compose file's): it
// reads the tables, and every write, DDL or settings change is refused.
func TestAnalystUserIsReadOnly(t *testing.T) {
	admin, db := chtest.NewDatabase(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	b, err := admin.PrepareBatch(ctx, "INSERT INTO ingest_errors (kafka_topic, kafka_partition, kafka_offset, reason, raw)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append("t", int32(0), int64(7), "r", "x"); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}

	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr: strings.Split(chtest.Addr(), ","), Auth: clickhouse.Auth{Database: db, Username: "analyst", Password: "analyst"},
		DialTimeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.Ping(ctx); err != nil {
		if os.Getenv("CI") == "" && strings.Contains(err.Error(), "analyst") {
			t.Skipf("this ClickHouse was not started by scripts/clickhouse.sh and has no analyst user: %v", err)
		}
		t.Fatalf("analyst cannot connect: %v", err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT toUInt64(count()) FROM ingest_errors").Scan(&n); err != nil || n != 1 {
		t.Fatalf("analyst read %d rows (err %v), want 1", n, err)
	}
	refused := []string{
		"DROP TABLE " + db + ".ingest_errors",
		"TRUNCATE TABLE " + db + ".ingest_errors",
		"ALTER TABLE " + db + ".ingest_errors DELETE WHERE 1",
		"CREATE TABLE " + db + ".evil (x UInt8) ENGINE = Memory",
		"DROP DATABASE " + db,
		"INSERT INTO " + db + ".ingest_errors (reason) SELECT 'x'",
		"SET readonly = 0",
	}
	for _, q := range refused {
		if err := conn.Exec(ctx, q); err == nil {
			t.Errorf("analyst could run %q", q)
		} else if !strings.Contains(strings.ToLower(err.Error()), "readonly") {
			t.Errorf("%q refused for another reason: %v", q, err)
		}
	}
	if err := admin.QueryRow(ctx, "SELECT toUInt64(count()) FROM ingest_errors").Scan(&n); err != nil || n != 1 {
		t.Fatalf("after the analyst's attempts the table has %d rows (err %v), want 1", n, err)
	}
}

// TestComposeAnalystProfileIsReadOnly checks the production user file that
// docker-compose.yml mounts: the analyst's profile has readonly = 2 (reads
// only; settings such as the max_execution_time clickhouse-go sends for a
// deadline are allowed, readonly itself cannot be changed).
func TestComposeAnalystProfileIsReadOnly(t *testing.T) {
	raw, err := os.ReadFile("../deploy/clickhouse/users.d/analyst.xml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Profiles struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"profiles"`
		Users struct {
			Analyst struct {
				Profile string `xml:"profile"`
			} `xml:"analyst"`
		} `xml:"users"`
	}
	if err := xml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	p := cfg.Users.Analyst.Profile
	if p == "" {
		t.Fatal("no analyst user with a profile")
	}
	var profiles map[string]string
	dec := xml.NewDecoder(strings.NewReader("<p>" + string(cfg.Profiles.Inner) + "</p>"))
	var stack []string
	profiles = map[string]string{}
	for {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		switch v := tok.(type) {
		case xml.StartElement:
			stack = append(stack, v.Name.Local)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 3 && stack[2] == "readonly" {
				profiles[stack[1]] = strings.TrimSpace(string(v))
			}
		}
	}
	if profiles[p] != "2" {
		t.Fatalf("profile %q of the analyst has readonly=%q, want 2", p, profiles[p])
	}
}
