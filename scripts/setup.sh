#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine (idempotent):
#   - redis-server (the Redis L2 cache tests start their own server on loopback)
#   - workerd, Cloudflare's open-source Workers runtime, from npm (edge tests)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing redis-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq redis-server >/dev/null
  else
    echo "setup: redis-server is missing; install it (sudo apt-get install -y redis-server) or the Redis tests are skipped" >&2
  fi
fi
# The Debian package may start a system service; the tests start their own servers and need no service.

if [ -f edge/package-lock.json ]; then
  if [ ! -x edge/node_modules/.bin/workerd ]; then
    echo "setup: installing workerd (npm ci in edge/)"
    (cd edge && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
