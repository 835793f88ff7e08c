#!/usr/bin/env bash
# scripts/retest.sh CMD…: run a test command; when it fails and the local
# ClickHouse 26.7 was restarted by its supervisor meanwhile, run it once
# more. That build (chDB's clickhouse-local) ends its whole process when a
# client resets a connection in the middle of a read, or a clickhouse-go
# login fails (README, "ClickHouse versions"), which fails every test
# running at that moment, whatever it tests. Any other failure stands, and
# the restarts are printed either way.
set -u
script="$(cd "$(dirname "$0")" && pwd)/clickhouse.sh"
count() { "$script" restarts | wc -l; }
before=$(count)
"$@" && exit 0
status=$?
after=$(count)
if [ "$after" -le "$before" ]; then
  exit $status
fi
echo "retest: the local ClickHouse was restarted by its supervisor during the run:" >&2
"$script" restarts | tail -n $((after - before)) >&2
for _ in $(seq 1 60); do "$script" status >/dev/null 2>&1 && break; sleep 1; done
echo "retest: running the tests once more" >&2
"$@"
