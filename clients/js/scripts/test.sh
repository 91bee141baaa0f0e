#!/usr/bin/env bash
# The client library's checks: `tsc --noEmit` (the library's own JS, its types and the
# example against them), then `node --test` against real Parlor nodes and a real Redis,
# all under Node 22 (fetched by scripts/node22.sh when the machine's node is older).
#
#   PARLOR_BIN=/path/to/parlor clients/js/scripts/test.sh [extra node --test arguments]
#
# Needs: PARLOR_BIN (a built parlor binary), redis-server on PATH, npm (to install the
# devDependencies once). Anything missing is an error, never a skipped run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"

fail() {
  echo "clients/js/scripts/test.sh: $*" >&2
  exit 1
}

[ -n "${PARLOR_BIN:-}" ] || fail "PARLOR_BIN is not set: point it at a built parlor binary (e.g. target/release/parlor)"
[ -x "$PARLOR_BIN" ] || fail "PARLOR_BIN=$PARLOR_BIN is not an executable file"
PARLOR_BIN="$(cd "$(dirname "$PARLOR_BIN")" && pwd)/$(basename "$PARLOR_BIN")"
export PARLOR_BIN
command -v redis-server >/dev/null 2>&1 || fail "redis-server is not on PATH (the multi-node tests run a real Redis)"

node_bin="$("$here/scripts/node22.sh")" || fail "no Node >= 22 (see scripts/node22.sh)"
export PATH="$(dirname "$node_bin"):$PATH"
echo "node $(node --version) at $node_bin; parlor at $PARLOR_BIN" >&2

if [ ! -x node_modules/.bin/tsc ]; then
  command -v npm >/dev/null 2>&1 || fail "npm is needed to install the devDependencies"
  npm ci --no-audit --no-fund >&2
fi

echo "== tsc --noEmit" >&2
node_modules/.bin/tsc --noEmit -p tsconfig.json

echo "== node --test" >&2
# One file at a time: the machine is small and each file starts its own servers.
exec node --test --test-concurrency=1 "$@" "test/*.test.js"
