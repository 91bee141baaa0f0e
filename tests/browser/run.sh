#!/usr/bin/env bash
# Run Parlor's browser tests: installs playwright-core and Chromium if missing,
# builds the server (it embeds web/ at compile time), then runs node's test runner.
#   PARLOR_BIN=path      use this server binary and skip the build
#   PARLOR_TEST_LOGS=1   stream server and redis output to stderr
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ ! -d "$here/node_modules/playwright-core" ]; then
  if [ -f "$here/package-lock.json" ]; then
    (cd "$here" && npm ci --no-audit --no-fund)
  else
    (cd "$here" && npm install --no-audit --no-fund)
  fi
fi

if [ ! -x /usr/bin/chromium ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "run.sh: redis-server is missing; installing it for the Redis-backed test" >&2
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y redis-server
fi

if [ -z "${PARLOR_BIN:-}" ]; then
  cargo build --bin parlor
fi

exec node --test --test-concurrency=1 tests/browser/
