#!/usr/bin/env bash
# Local ClickHouse for development and tests: no Docker, no systemd.
#
#   scripts/clickhouse.sh start    reuse a server answering on TRUSTLENS_CLICKHOUSE_ADDR,
#                                  or install Debian's clickhouse-server if missing and
#                                  start one as a plain background process
#   scripts/clickhouse.sh stop     stop the server this script started (and only that one)
#   scripts/clickhouse.sh status   say whether a server answers, and whose it is
#   scripts/clickhouse.sh pid      print the pid of the server this script started
#
# Data, logs and the generated config live under .local/clickhouse (git-ignored),
# or .local/clickhouse-<port> for a server on a port other than 9000.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
addr="${TRUSTLENS_CLICKHOUSE_ADDR:-127.0.0.1:9000}"
addr="${addr%%,*}"            # first of a comma-separated list
host="${addr%:*}"
port="${addr##*:}"
# The server on the default port 9000 keeps .local/clickhouse and HTTP port
# 8123; a server on any other port (a private one, e.g. for `make chaos`) gets
# its own directory .local/clickhouse-<port> and HTTP port <port>-877, so that
# starting, stopping or freezing it never touches the default one.
if [ "$port" = 9000 ]; then
  dir="${TRUSTLENS_CLICKHOUSE_DIR:-$root/.local/clickhouse}"
  http_port="${TRUSTLENS_CLICKHOUSE_HTTP_PORT:-8123}"
else
  dir="${TRUSTLENS_CLICKHOUSE_DIR:-$root/.local/clickhouse-$port}"
  http_port="${TRUSTLENS_CLICKHOUSE_HTTP_PORT:-$((port - 877))}"
fi
pidfile="$dir/clickhouse.pid"

answers() {
  command -v clickhouse-client >/dev/null 2>&1 || return 1
  clickhouse-client --host "$host" --port "$port" --query "SELECT 1" >/dev/null 2>&1
}

# ours: the pid file names a live clickhouse-server running this directory's config
ours() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--config-file=$dir/config.xml"
}


install_clickhouse() {
  command -v clickhouse-server >/dev/null 2>&1 && command -v clickhouse-client >/dev/null 2>&1 && return 0
  echo "clickhouse: installing Debian's clickhouse-server and clickhouse-client" >&2
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq clickhouse-server clickhouse-client >/dev/null
}

write_config() {
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/log"
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse-server.log</log>
        <errorlog>$dir/log/clickhouse-server.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>$host</listen_host>
    <tcp_port>$port</tcp_port>
    <http_port>$http_port</http_port>
    <max_connections>4096</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>200</max_concurrent_queries>
    <uncompressed_cache_size>1073741824</uncompressed_cache_size>
    <mark_cache_size>1073741824</mark_cache_size>
    <path>$dir/data/</path>
    <tmp_path>$dir/tmp/</tmp_path>
    <user_files_path>$dir/user_files/</user_files_path>
    <format_schema_path>$dir/format_schemas/</format_schema_path>
    <users_config>$dir/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <timezone>UTC</timezone>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <kafka>
        <auto_offset_reset>smallest</auto_offset_reset>
    </kafka>
</yandex>
XML
  cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
    <profiles>
        <default>
            <max_memory_usage>10000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
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
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
XML
}

start() {
  if answers; then
    echo "clickhouse: a server already answers on $host:$port; using it"
    return 0
  fi
  install_clickhouse
  if answers; then   # the package may have started its own service
    echo "clickhouse: a server already answers on $host:$port; using it"
    return 0
  fi
  write_config
  echo "clickhouse: starting a local server on $host:$port (data in $dir)"
  # jemalloc hands freed pages back to the kernel within seconds (at once
  # for allocations of 8 MiB and more), so the large column buffers of
  # every INSERT were faulted in anew: a quarter of the server's CPU while
  # ingesting. Keeping them in the ordinary arenas and for five minutes took
  # the server's CPU per million ingested events from 6.9 s to about 3.2 s
  # (docs/performance.md); the memory goes back after five idle minutes.
  (cd "$dir" && MALLOC_CONF="${MALLOC_CONF:-oversize_threshold:0,dirty_decay_ms:300000,muzzy_decay_ms:300000}" exec nohup clickhouse-server --config-file="$dir/config.xml" \
      >"$dir/log/stdout.log" 2>&1 </dev/null) &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    if answers; then
      echo "clickhouse: ready on $host:$port"
      return 0
    fi
    sleep 0.5
  done
  echo "clickhouse: the server did not answer on $host:$port within 60 s; see $dir/log" >&2
  tail -n 20 "$dir/log/clickhouse-server.err.log" >&2 2>/dev/null || true
  return 1
}

stop() {
  if ! ours; then
    echo "clickhouse: no server started by this script is running"
    return 0
  fi
  local pid
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 60); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; echo "clickhouse: stopped"; return 0; }
    sleep 0.5
  done
  echo "clickhouse: still running after 30 s; killing $pid" >&2
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

status() {
  if answers; then
    if ours; then echo "clickhouse: running on $host:$port (started by this script, pid $(cat "$pidfile"))"
    else echo "clickhouse: a server answers on $host:$port (not started by this script)"; fi
  else
    echo "clickhouse: no server answers on $host:$port"
    return 1
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  pid) ours && cat "$pidfile" || { echo "clickhouse: no server started by this script runs on $host:$port" >&2; exit 1; } ;;
  *) echo "usage: $0 start|stop|status|pid" >&2; exit 2 ;;
esac
