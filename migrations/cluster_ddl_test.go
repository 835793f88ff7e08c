package migrations

import (
	"errors"
	"testing"
)

func TestHostID(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"127%2E0%2E0%2E1:9001", "127.0.0.1:9001"},
		{"ch%2D2%2Einternal:9000", "ch-2.internal:9000"},
		{"clickhouse_1:9000", "clickhouse_1:9000"},
		{"%3A%3A1:9000", "[::1]:9000"},
		{"no-port", "no-port"},
	} {
		if got := hostID(tc.name); got != tc.want {
			t.Errorf("hostID(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestDDLTaskPath(t *testing.T) {
	msg := "code: 159, message: Watching task /clickhouse/task_queue/ddl/query-0000000012 is executing longer than distributed_ddl_task_timeout (=60) seconds. There are 1 unfinished hosts (0 of them are currently active), they are going to execute the query in background"
	m := ddlTask.FindStringSubmatch(msg)
	if m == nil || m[1] != "/clickhouse/task_queue/ddl/query-0000000012" {
		t.Fatalf("task path: %q", m)
	}
	cause := errors.New(msg)
	err := &UnfinishedError{Cluster: "trustlens", Hosts: []string{"127.0.0.1:9001"}, Err: cause}
	want := "ON CLUSTER trustlens: not run by 127.0.0.1:9001 within distributed_ddl_task_timeout (down, or cannot reach ZooKeeper?): " + msg
	if err.Error() != want || !errors.Is(err, cause) {
		t.Errorf("error %q, want %q wrapping the cause", err.Error(), want)
	}
}
