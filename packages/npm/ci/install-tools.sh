#!/usr/bin/env bash
# The npm kit's real clients besides the npm CLI (which comes with Node):
# pnpm, yarn (berry) and bun, pinned, from the npm registry, each in its own
# prefix under $REGKIT_TOOLS/npm/<name>, linked into $REGKIT_TOOLS/bin.
#
# The links never take a name the repository's own toolchain uses: the test
# scripts themselves run under the repo's pnpm (12.x, from tooling/bootstrap.sh)
# and $REGKIT_TOOLS/bin is first on PATH in tests, so this pnpm is linked as
# `pnpm-client`, never as `pnpm`. yarn and bun are not part of the toolchain.
#
# Idempotent: a tool already installed at its pinned version is skipped.
#   bash tooling/ci/install-tools.sh npm
set -euo pipefail
cd "$(dirname "$0")/../../.."
REGKIT_TOOLS=${REGKIT_TOOLS:-$PWD/.regkit-tools}
REGISTRY=${npm_config_registry:-https://registry.npmjs.org}

# Bump these on purpose: the driver tests print the version each client reported.
PNPM_VERSION=10.34.9
YARN_VERSION=4.18.1     # @yarnpkg/cli-dist: yarn berry as one bundled script, run with node
BUN_VERSION=1.4.5

bin="$REGKIT_TOOLS/bin"
mkdir -p "$bin"
say() { printf 'npm tools: %s\n' "$*"; }

# The installed version of <package> under <prefix>, or nothing.
installed() { node -p "try { require('$1/node_modules/$2/package.json').version } catch { '' }" 2>/dev/null || true; }

# npm install <package>@<version> into its own prefix. The repo's .npmrc (pnpm
# settings) and any npm_config_* from a pnpm script must not reach this npm.
npm_install() { # <prefix> <package>@<version> [npm flags...]
  local prefix=$1 spec=$2
  shift 2
  mkdir -p "$prefix"
  (cd "$prefix" && env $(env | grep -io '^npm_config_[a-z_]*' | sed 's/^/-u /') \
    npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock --loglevel warn --update-notifier=false \
      --registry "$REGISTRY" --userconfig /dev/null "$@" "$spec")
}

link() { # <target> <name>
  ln -sfn "$1" "$bin/$2"
  say "linked $bin/$2 -> $1"
}

# pnpm: the npm package ships pnpm as a node script (bin/pnpm.cjs).
prefix="$REGKIT_TOOLS/npm/pnpm"
if [ "$(installed "$prefix" pnpm)" = "$PNPM_VERSION" ]; then
  say "pnpm $PNPM_VERSION already installed"
else
  say "installing pnpm@$PNPM_VERSION into $prefix"
  npm_install "$prefix" "pnpm@$PNPM_VERSION"
fi
link "$prefix/node_modules/pnpm/bin/pnpm.cjs" pnpm-client

# yarn berry: @yarnpkg/cli-dist holds the bundled yarn; its bin is yarn.js.
prefix="$REGKIT_TOOLS/npm/yarn"
if [ "$(installed "$prefix" @yarnpkg/cli-dist)" = "$YARN_VERSION" ]; then
  say "yarn $YARN_VERSION already installed"
else
  say "installing @yarnpkg/cli-dist@$YARN_VERSION into $prefix"
  npm_install "$prefix" "@yarnpkg/cli-dist@$YARN_VERSION"
fi
chmod +x "$prefix/node_modules/@yarnpkg/cli-dist/bin/yarn.js"
link "$prefix/node_modules/@yarnpkg/cli-dist/bin/yarn.js" yarn-berry

# bun: the `bun` package's postinstall fetches the platform binary from its
# optional dependency @oven/bun-<os>-<arch>. Installing that package directly
# gives the same binary without running a postinstall script.
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64)
    platform=bun-linux-x64
    # bun's standard build needs AVX2; the baseline build runs on any x86-64.
    grep -qw avx2 /proc/cpuinfo 2>/dev/null || platform=bun-linux-x64-baseline ;;
  Linux-aarch64) platform=bun-linux-aarch64 ;;
  Darwin-arm64) platform=bun-darwin-aarch64 ;;
  Darwin-x86_64) platform=bun-darwin-x64 ;;
  *) platform= ;;
esac
if [ -z "$platform" ]; then
  say "no bun build for $(uname -s)-$(uname -m): the bun tests will skip"
else
  prefix="$REGKIT_TOOLS/npm/bun"
  if [ "$(installed "$prefix" "@oven/$platform")" = "$BUN_VERSION" ]; then
    say "bun $BUN_VERSION ($platform) already installed"
  else
    say "installing @oven/$platform@$BUN_VERSION into $prefix"
    npm_install "$prefix" "@oven/$platform@$BUN_VERSION" --ignore-scripts
  fi
  chmod +x "$prefix/node_modules/@oven/$platform/bin/bun"
  link "$prefix/node_modules/@oven/$platform/bin/bun" bun
fi

# Inside this repository pnpm reads the repo's packageManager field and would
# switch to the toolchain's pnpm: the driver turns that off the same way.
say "pnpm-client $(npm_config_manage_package_manager_versions=false "$bin/pnpm-client" --version), yarn-berry $("$bin/yarn-berry" --version), bun $("$bin/bun" --version 2>/dev/null || echo missing)"
