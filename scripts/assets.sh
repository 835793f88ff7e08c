#!/usr/bin/env bash
# Installs echarts from npm (exact version pinned in dashboard/web/package-lock.json)
# and copies it into dashboard/static/vendor, which the binary embeds.
set -euo pipefail
cd "$(dirname "$0")/../dashboard/web"
if ! command -v npm >/dev/null 2>&1; then
  echo "assets: npm is missing; installing Debian's npm" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq npm >/dev/null
fi
# npm ci only when node_modules is missing or older than the lockfile
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
