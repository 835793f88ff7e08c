package migrations

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// An ON CLUSTER statement is queued in ZooKeeper and waits until every
// host of the cluster has run it, or distributed_ddl_task_timeout passed:
// "Watching task /clickhouse/task_queue/ddl/query-0000000012 is executing
// longer than distributed_ddl_task_timeout (=60) seconds. There are 1
// unfinished hosts (0 of them are currently active) …". The message counts
// the hosts but does not name them; explain does, from the hosts of the
// cluster and the task's finished/ node (one child per host that ran it,
// named host:port with the host escaped as a file name: %2E for ".").

// ddlTask finds the task path in a distributed-DDL timeout message.
var ddlTask = regexp.MustCompile(`Watching task (/\S+) is executing longer than distributed_ddl_task_timeout`)

// explain adds to err, a failed ON CLUSTER statement that timed out, the
// hosts that had not run it (best effort: err alone when they cannot be
// read). Other errors are returned as they are.
func (p Params) explain(ctx context.Context, conn driver.Conn, err error) error {
	if p.Cluster == "" || !strings.Contains(err.Error(), "distributed_ddl_task_timeout") {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	hosts, herr := clusterHosts(ctx, conn, p.Cluster)
	if herr != nil || len(hosts) == 0 {
		return fmt.Errorf("ON CLUSTER %s did not finish on every host in time (a replica down?): %w", p.Cluster, err)
	}
	var finished map[string]bool
	if m := ddlTask.FindStringSubmatch(err.Error()); m != nil {
		finished, _ = finishedHosts(ctx, conn, m[1])
	}
	if finished == nil {
		return fmt.Errorf("ON CLUSTER %s did not finish on every host in time; one of %s is down or cannot run it: %w",
			p.Cluster, strings.Join(hosts, ", "), err)
	}
	var left []string
	for _, h := range hosts {
		if !finished[h] {
			left = append(left, h)
		}
	}
	return &UnfinishedError{Cluster: p.Cluster, Hosts: left, Err: err}
}

// UnfinishedError is an ON CLUSTER statement that some hosts of the
// cluster had not run when distributed_ddl_task_timeout passed.
type UnfinishedError struct {
	Cluster string
	Hosts   []string // host:port, as in system.clusters
	Err     error
}

func (e *UnfinishedError) Error() string {
	return fmt.Sprintf("ON CLUSTER %s: not run by %s within distributed_ddl_task_timeout (down, or cannot reach ZooKeeper?): %v",
		e.Cluster, strings.Join(e.Hosts, ", "), e.Err)
}

func (e *UnfinishedError) Unwrap() error { return e.Err }

// clusterHosts lists host:port of every replica of cluster.
func clusterHosts(ctx context.Context, conn driver.Conn, cluster string) ([]string, error) {
	rows, err := conn.Query(ctx, "SELECT host_name, toUInt16(port) FROM system.clusters WHERE cluster = @c", clickhouse.Named("c", cluster))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var host string
		var port uint16
		if err := rows.Scan(&host, &port); err != nil {
			return nil, err
		}
		out = append(out, net.JoinHostPort(host, strconv.Itoa(int(port))))
	}
	sort.Strings(out)
	return out, rows.Err()
}

// finishedHosts reads the hosts that ran the distributed DDL task at path.
func finishedHosts(ctx context.Context, conn driver.Conn, path string) (map[string]bool, error) {
	rows, err := conn.Query(ctx, "SELECT name FROM system.zookeeper WHERE path = @p", clickhouse.Named("p", strings.TrimSuffix(path, "/")+"/finished"))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[hostID(name)] = true
	}
	return out, rows.Err()
}

// hostID turns a finished/ child ("127%2E0%2E0%2E1:9001") into host:port.
func hostID(name string) string {
	i := strings.LastIndexByte(name, ':')
	if i < 0 {
		return name
	}
	host, err := url.PathUnescape(name[:i])
	if err != nil {
		host = name[:i]
	}
	return net.JoinHostPort(host, name[i+1:])
}
