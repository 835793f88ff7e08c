#!/usr/bin/env bash
# A real replicated ClickHouse cluster on loopback, for the cluster tests and
# for trying cluster mode by hand: one ZooKeeper (Debian's zookeeper package)
# and two ClickHouse servers forming cluster "trustlens" (1 shard × 2 replicas).
#
#   scripts/cluster.sh up       install what is missing, start everything, wait until ready
#   scripts/cluster.sh down     stop what this script started
#   scripts/cluster.sh status
#   scripts/cluster.sh stop-replica N | kill-replica N | start-replica N   (N = 1 or 2)
#
# Data, logs and configs live under .local/cluster (git-ignored). Ports:
# ZooKeeper 12181; replica N: native 1900N, HTTP 1812N, interserver 1901N.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir="${TRUSTLENS_CLUSTER_DIR:-$root/.local/cluster}"
zk_port="${TRUSTLENS_CLUSTER_ZK_PORT:-12181}"
cluster=trustlens

sudo_() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

install_missing() {
  local pkgs=()
  command -v clickhouse-server >/dev/null 2>&1 || pkgs+=(clickhouse-server)
  command -v clickhouse-client >/dev/null 2>&1 || pkgs+=(clickhouse-client)
  [ -f /usr/share/java/zookeeper.jar ] || pkgs+=(zookeeper)
  command -v java >/dev/null 2>&1 || pkgs+=(default-jre-headless)
  if [ ${#pkgs[@]} -gt 0 ]; then
    echo "cluster: installing ${pkgs[*]}" >&2
    sudo_ apt-get update -qq
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq "${pkgs[@]}" >/dev/null
  fi
}

native_port() { echo $((19000 + $1)); }
http_port() { echo $((18120 + $1)); }
inter_port() { echo $((19010 + $1)); }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

zk_ok() { (exec 3<>/dev/tcp/127.0.0.1/"$zk_port") 2>/dev/null; }

ch_ok() { clickhouse-client --host 127.0.0.1 --port "$(native_port "$1")" --query "SELECT 1" >/dev/null 2>&1; }

start_zk() {
  local z="$dir/zk"
  mkdir -p "$z/data" "$z/log"
  if alive "$z/pid" && zk_ok; then return 0; fi
  cat >"$z/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$z/data
clientPort=$zk_port
clientPortAddress=127.0.0.1
maxClientCnxns=200
admin.enableServer=false
4lw.commands.whitelist=ruok,stat
CFG
  cp /etc/zookeeper/conf/log4j.properties "$z/" 2>/dev/null || true
  (cd "$z" && exec nohup java -Xmx512m -cp "$z:/usr/share/java/zookeeper.jar" \
      -Dzookeeper.log.dir="$z/log" -Dzookeeper.root.logger=WARN,CONSOLE \
      org.apache.zookeeper.server.quorum.QuorumPeerMain "$z/zoo.cfg" >"$z/log/stdout.log" 2>&1 </dev/null) &
  echo $! >"$z/pid"
  for _ in $(seq 1 120); do zk_ok && return 0; sleep 0.5; done
  echo "cluster: ZooKeeper did not start; see $z/log" >&2
  return 1
}

write_replica_config() {
  local n=$1 r="$dir/ch$1"
  mkdir -p "$r/data" "$r/tmp" "$r/user_files" "$r/format_schemas" "$r/log"
  cat >"$r/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$r/log/clickhouse-server.log</log>
        <errorlog>$r/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <tcp_port>$(native_port "$n")</tcp_port>
    <http_port>$(http_port "$n")</http_port>
    <interserver_http_port>$(inter_port "$n")</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>1024</max_connections>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>$r/data/</path>
    <tmp_path>$r/tmp/</tmp_path>
    <user_files_path>$r/user_files/</user_files_path>
    <format_schema_path>$r/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <zookeeper>
        <node><host>127.0.0.1</host><port>$zk_port</port></node>
        <session_timeout_ms>10000</session_timeout_ms>
    </zookeeper>
    <macros>
        <shard>01</shard>
        <replica>r$n</replica>
    </macros>
    <remote_servers>
        <$cluster>
            <shard>
                <internal_replication>true</internal_replication>
                <replica><host>127.0.0.1</host><port>$(native_port 1)</port></replica>
                <replica><host>127.0.0.1</host><port>$(native_port 2)</port></replica>
            </shard>
        </$cluster>
    </remote_servers>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
</yandex>
XML
}

write_users() {
  mkdir -p "$dir"
  cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>4000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
            <insert_quorum>0</insert_quorum>
        </default>
        <readonly><readonly>1</readonly></readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks><ip>::1</ip><ip>127.0.0.0/8</ip></networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
        <analyst>
            <password>analyst</password>
            <networks><ip>::1</ip><ip>127.0.0.0/8</ip></networks>
            <profile>readonly</profile>
            <quota>default</quota>
        </analyst>
    </users>
    <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
}

start_replica() {
  local n=$1 r="$dir/ch$1"
  if ch_ok "$n"; then return 0; fi
  write_replica_config "$n"
  (cd "$r" && exec nohup clickhouse-server --config-file="$r/config.xml" >"$r/log/stdout.log" 2>&1 </dev/null) &
  echo $! >"$r/pid"
  for _ in $(seq 1 120); do ch_ok "$n" && return 0; sleep 0.5; done
  echo "cluster: replica $n did not start; see $r/log" >&2
  tail -n 20 "$r/log/clickhouse-server.err.log" >&2 2>/dev/null || true
  return 1
}

stop_pid() {
  local pidfile=$1 what=$2
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  local pid; pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }; sleep 0.5; done
  echo "cluster: $what still running after 30 s; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

up() {
  install_missing
  write_users
  start_zk
  start_replica 1
  start_replica 2
  echo "cluster: up — cluster '$cluster' with replicas on 127.0.0.1:$(native_port 1) and 127.0.0.1:$(native_port 2), ZooKeeper on 127.0.0.1:$zk_port"
  echo "cluster: use TRUSTLENS_CLICKHOUSE_CLUSTER=$cluster TRUSTLENS_CLICKHOUSE_ADDR=127.0.0.1:$(native_port 1),127.0.0.1:$(native_port 2)"
}

down() {
  stop_pid "$dir/ch1/pid" "replica 1"
  stop_pid "$dir/ch2/pid" "replica 2"
  stop_pid "$dir/zk/pid" "ZooKeeper"
  echo "cluster: down"
}

status() {
  local rc=0
  if zk_ok; then echo "zookeeper: up on 127.0.0.1:$zk_port"; else echo "zookeeper: down"; rc=1; fi
  for n in 1 2; do
    if ch_ok "$n"; then echo "replica $n: up on 127.0.0.1:$(native_port "$n")"; else echo "replica $n: down"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  stop-replica) stop_pid "$dir/ch${2:?replica number}/pid" "replica $2" ;;
  kill-replica) if alive "$dir/ch${2:?replica number}/pid"; then kill -9 "$(cat "$dir/ch$2/pid")"; rm -f "$dir/ch$2/pid"; fi ;;
  start-replica) write_users; start_replica "${2:?replica number}" ;;
  *) echo "usage: $0 up|down|status|stop-replica N|kill-replica N|start-replica N" >&2; exit 2 ;;
esac
