#!/usr/bin/env bash
# Local ClickHouse for development and tests: no Docker, no systemd.
#
#   scripts/clickhouse.sh start    reuse a server answering on TRUSTLENS_CLICKHOUSE_ADDR,
#                                  or install and start one as a plain background process
#   scripts/clickhouse.sh stop     stop the server this script started (and only that one)
#   scripts/clickhouse.sh status   say whether a server answers, its version, and whose it is
#   scripts/clickhouse.sh pid      print the pid of the server process this script started
#   scripts/clickhouse.sh restarts print the supervisor's restart log (modern server only)
#
# Two servers (TRUSTLENS_LOCAL_CLICKHOUSE):
#   modern (default)  ClickHouse 26.7 from the npm package @chdb/lib-linux-x64-gnu
#                     (exact version in scripts/chdb/package-lock.json): libchdb.so is
#                     clickhouse-local as a library; scripts/chdb/chdb-server.c (built here
#                     with cc) runs it with SYSTEM START LISTEN TCP/HTTP. A supervisor loop
#                     restarts it whenever it dies and logs each restart.
#   debian            Debian's clickhouse-server 18.16 (apt), the one that replicates: the
#                     substrate of `make test-cluster`.
#
# Data, logs and the generated config live under .local/clickhouse (git-ignored):
# .local/clickhouse for the modern server on port 9000, .local/clickhouse-<flavour>-<port>
# otherwise, so that the two versions never share a data directory.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
flavour="${TRUSTLENS_LOCAL_CLICKHOUSE:-modern}"
case "$flavour" in
  modern|debian) ;;
  *) echo "clickhouse: TRUSTLENS_LOCAL_CLICKHOUSE must be 'modern' (ClickHouse 26.7) or 'debian' (18.16), not '$flavour'" >&2; exit 2 ;;
esac
addr="${TRUSTLENS_CLICKHOUSE_ADDR:-127.0.0.1:9000}"
addr="${addr%%,*}"            # first of a comma-separated list
host="${addr%:*}"
port="${addr##*:}"
# The server on the default port 9000 gets HTTP port 8123; a server on any
# other port (a private one, e.g. for `make chaos`) gets HTTP port
# <port>-877, so that starting, stopping or freezing it never touches the
# default one.
if [ "$port" = 9000 ]; then
  http_port="${TRUSTLENS_CLICKHOUSE_HTTP_PORT:-8123}"
else
  http_port="${TRUSTLENS_CLICKHOUSE_HTTP_PORT:-$((port - 877))}"
fi
if [ "$port" = 9000 ] && [ "$flavour" = modern ]; then
  dir="${TRUSTLENS_CLICKHOUSE_DIR:-$root/.local/clickhouse}"
else
  dir="${TRUSTLENS_CLICKHOUSE_DIR:-$root/.local/clickhouse-$flavour-$port}"
fi
pidfile="$dir/clickhouse.pid"        # debian: the server; modern: the supervisor
serverpid="$dir/server.pid"          # modern: the server process the supervisor runs now
restarts="$dir/log/restarts.log"
chdb="$root/.local/chdb"             # the npm package and the launcher, shared by every port

# answers: something accepts connections on the native port
answers() {
  (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null
}

# version: the version of the server on this script's HTTP port, if it says
# (not over the native port: a failed native login, say to a foreign server
# with a password, would end a chDB server's process)
version() {
  curl -sf --max-time 5 "http://$host:$http_port/?query=SELECT%20version()" 2>/dev/null || true
}

# ours: the pid file names a live process of this script's for this directory
ours() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir"
}

need_apt() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "clickhouse: installing Debian's $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

# install_modern: the pinned npm package (npm ci with the lockfile) and the launcher
install_modern() {
  local pkgs=()
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
  command -v cc >/dev/null 2>&1 || pkgs+=(gcc)
  command -v curl >/dev/null 2>&1 || pkgs+=(curl)
  [ ${#pkgs[@]} -eq 0 ] || need_apt "${pkgs[@]}"
  mkdir -p "$chdb"
  if ! cmp -s "$root/scripts/chdb/package-lock.json" "$chdb/package-lock.json" ||
     [ ! -f "$chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so" ]; then
    echo "clickhouse: installing ClickHouse 26.7 (npm @chdb/lib-linux-x64-gnu, about 180 MB) into $chdb" >&2
    cp "$root/scripts/chdb/package.json" "$root/scripts/chdb/package-lock.json" "$chdb/"
    (cd "$chdb" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  if [ ! -x "$chdb/chdb-server" ] || [ "$root/scripts/chdb/chdb-server.c" -nt "$chdb/chdb-server" ]; then
    cc -O2 -o "$chdb/chdb-server" "$root/scripts/chdb/chdb-server.c" -ldl
  fi
}

install_debian() {
  command -v clickhouse-server >/dev/null 2>&1 && command -v clickhouse-client >/dev/null 2>&1 && return 0
  need_apt clickhouse-server clickhouse-client
}

write_debian_config() {
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
  write_users yandex
}

write_modern_config() {
  mkdir -p "$dir/data" "$dir/log"
  # clickhouse-local reads the server keys it knows (ports, timezone,
  # kafka) from this file, and its users from user_directories.
  cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<clickhouse>
    <logger>
        <level>warning</level>
        <log>$dir/log/clickhouse.log</log>
        <errorlog>$dir/log/clickhouse.err.log</errorlog>
        <size>100M</size>
        <count>3</count>
    </logger>
    <listen_host>$host</listen_host>
    <tcp_port>$port</tcp_port>
    <http_port>$http_port</http_port>
    <timezone>UTC</timezone>
    <max_connections>4096</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <max_concurrent_queries>200</max_concurrent_queries>
    <mark_cache_size>1073741824</mark_cache_size>
    <kafka>
        <auto_offset_reset>smallest</auto_offset_reset>
    </kafka>
    <user_directories>
        <users_xml><path>$dir/users.xml</path></users_xml>
    </user_directories>
</clickhouse>
XML
  write_users clickhouse
}

# write_users ROOT: the default user (no password, loopback only) and the
# read-only analyst user, as the compose file has them
write_users() {
  local constraints=""
  # settings constraints are 19.14 and later: not for 18.16
  [ "$1" = clickhouse ] && constraints="
            <constraints>
                <max_execution_time><max>600</max></max_execution_time>
                <max_memory_usage><max>4000000000</max></max_memory_usage>
            </constraints>"
  cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<$1>
    <profiles>
        <default>
            <max_memory_usage>10000000000</max_memory_usage>
            <use_uncompressed_cache>0</use_uncompressed_cache>
            <load_balancing>random</load_balancing>
        </default>
        <readonly>
            <!-- 2: reads only, but a client may send settings (clickhouse-go
                 sends max_execution_time for a context with a deadline,
                 which readonly = 1 refuses on 26.x); the constraints keep
                 the limits as the compose file's analyst profile has them -->
            <readonly>2</readonly>
            <max_execution_time>60</max_execution_time>
            <max_memory_usage>4000000000</max_memory_usage>$constraints
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
</$1>
XML
}

# The query the modern server runs: open the listeners, then a query that
# never ends (one row a second, one row a block), for as long as the
# server is to serve.
serve_query="SYSTEM START LISTEN TCP; SYSTEM START LISTEN HTTP; SELECT sleepEachRow(1) FROM system.numbers SETTINGS max_block_size = 1 FORMAT Null"

# supervise: run the modern server, and run it again whenever it dies (one
# malformed native-protocol packet ends this build's process: ClickHouse
# issue 115666, fixed upstream later). Each restart is logged in
# $restarts. SIGTERM stops the server and the loop.
supervise() {
  local child="" stopping=""
  trap 'stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; rm -f "$serverpid"; exit 0' TERM INT
  local n=0
  while [ -z "$stopping" ]; do
    CHDB_LIB="$chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so" "$chdb/chdb-server" \
      --config-file="$dir/config.xml" --path="$dir/data/" --log-level=warning \
      --query "$serve_query" >>"$dir/log/server.log" 2>&1 </dev/null &
    child=$!
    echo "$child" >"$serverpid"
    local rc=0
    wait "$child" || rc=$?
    [ -n "$stopping" ] && break
    n=$((n + 1))
    echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) clickhouse on $host:$port (pid $child) exited with status $rc; restart $n" | tee -a "$restarts" >&2
    sleep 1
  done
}

# ready: the server answers a query on its HTTP port (or, for a server
# without curl at hand, accepts connections)
ready() {
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -sf --max-time 5 "http://$host:$http_port/?query=SELECT%201" 2>/dev/null)" = 1 ]
  else
    answers
  fi
}

start() {
  if answers; then
    local v
    v=$(version)
    echo "clickhouse: a server already answers on $host:$port${v:+ (ClickHouse $v)}; using it"
    case "$flavour:$v" in
      modern:18.*|debian:2[0-9].*)
        echo "clickhouse: but TRUSTLENS_LOCAL_CLICKHOUSE=$flavour asks for the other version: stop that server or choose another TRUSTLENS_CLICKHOUSE_ADDR" >&2
        return 1 ;;
    esac
    return 0
  fi
  if [ "$flavour" = modern ]; then
    install_modern
    write_modern_config
    echo "clickhouse: starting ClickHouse 26.7 (chDB) on $host:$port, HTTP $http_port (data in $dir)"
    # setsid: the supervisor outlives the shell that started it (make, a test)
    setsid nohup "$0" supervise "$dir" </dev/null >>"$dir/log/supervisor.log" 2>&1 &
    echo $! >"$pidfile"
  else
    install_debian
    if answers; then   # the package may have started its own service
      echo "clickhouse: a server already answers on $host:$port; using it"
      return 0
    fi
    write_debian_config
    echo "clickhouse: starting ClickHouse 18.16 (Debian) on $host:$port, HTTP $http_port (data in $dir)"
    # jemalloc hands freed pages back to the kernel within seconds (at once
    # for allocations of 8 MiB and more), so the large column buffers of
    # every INSERT were faulted in anew: a quarter of the server's CPU while
    # ingesting. Keeping them in the ordinary arenas and for five minutes took
    # the server's CPU per million ingested events from 6.9 s to about 3.2 s
    # (docs/performance.md); the memory goes back after five idle minutes.
    (cd "$dir" && MALLOC_CONF="${MALLOC_CONF:-oversize_threshold:0,dirty_decay_ms:300000,muzzy_decay_ms:300000}" exec nohup clickhouse-server --config-file="$dir/config.xml" \
        >"$dir/log/stdout.log" 2>&1 </dev/null) &
    echo $! >"$pidfile"
  fi
  for _ in $(seq 1 240); do
    if answers && ready; then
      echo "clickhouse: ready on $host:$port"
      return 0
    fi
    sleep 0.5
  done
  echo "clickhouse: the server did not answer on $host:$port within 120 s; see $dir/log" >&2
  tail -n 20 "$dir/log/clickhouse-server.err.log" "$dir/log/server.log" >&2 2>/dev/null || true
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
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$pidfile"
      # the supervisor's server, should it have outlived the supervisor
      if [ -f "$serverpid" ]; then kill -9 "$(cat "$serverpid")" 2>/dev/null || true; rm -f "$serverpid"; fi
      echo "clickhouse: stopped"
      return 0
    fi
    sleep 0.5
  done
  echo "clickhouse: still running after 30 s; killing $pid" >&2
  kill -9 "$pid" 2>/dev/null || true
  if [ -f "$serverpid" ]; then kill -9 "$(cat "$serverpid")" 2>/dev/null || true; rm -f "$serverpid"; fi
  rm -f "$pidfile"
}

status() {
  if answers; then
    local v
    v=$(version)
    if ours; then echo "clickhouse: running on $host:$port${v:+, ClickHouse $v} (started by this script, pid $(server_pid))"
    else echo "clickhouse: a server answers on $host:$port${v:+, ClickHouse $v} (not started by this script)"; fi
  else
    echo "clickhouse: no server answers on $host:$port"
    return 1
  fi
}

# server_pid: the process that is the server (the supervisor's child for the modern one)
server_pid() {
  if [ "$flavour" = modern ]; then cat "$serverpid"; else cat "$pidfile"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  pid) ours && server_pid || { echo "clickhouse: no server started by this script runs on $host:$port" >&2; exit 1; } ;;
  restarts) cat "$restarts" 2>/dev/null || true ;;
  supervise) supervise ;;   # "$2" (the data directory) is there for ours() to see
  *) echo "usage: $0 start|stop|status|pid|restarts" >&2; exit 2 ;;
esac
