#!/usr/bin/env bash
# Conan kit tools that do not come from Debian, pinned, installed from PyPI into
# $REGKIT_TOOLS (one virtualenv per tool under $REGKIT_TOOLS/venv/<name>):
#   - conan: the Conan 2 client the drivers run (conan remote add/login,
#     conan create/upload, conan install/download/list/search);
#   - conan-server: Conan's own server (conan_server), the third-party
#     registry of the conan-server profile.
# Idempotent: a venv whose pinned versions are already installed is skipped.
# Run through `bash tooling/ci/install-tools.sh conan` (or `pnpm tools conan`).
set -euo pipefail

# Pins: bump them together with the versions packages/conan/docs/conan.md names.
CONAN=2.34.0
CONAN_SERVER=2.33.0

root=$(cd "$(dirname "$0")/../../.." && pwd)
tools=${REGKIT_TOOLS:-$root/.regkit-tools}
bin=$tools/bin
mkdir -p "$bin" "$tools/venv"

python=${REGKIT_PYTHON:-}
if [ -z "$python" ]; then
  if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=$(command -v python3); fi
fi
echo "conan tools: python $("$python" --version 2>&1) at $python, into $tools"

# venv NAME "req==1 other==2": $tools/venv/NAME with exactly those pins, unless its stamp says so already.
venv() {
  local name=$1 reqs=$2 dir=$tools/venv/$1
  if [ -f "$dir/.regkit-pins" ] && [ "$(cat "$dir/.regkit-pins")" = "$reqs" ]; then
    echo "conan tools: $name already at $reqs"
    return 0
  fi
  echo "conan tools: installing $name ($reqs)"
  rm -rf "$dir"
  "$python" -m venv "$dir" || return 1
  # shellcheck disable=SC2086 # the pins are a space-separated word list on purpose
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input $reqs || return 1
  printf '%s' "$reqs" >"$dir/.regkit-pins"
}

# link VENV EXECUTABLE [LINK NAME]
link() {
  local target=$tools/venv/$1/bin/$2 name=${3:-$2}
  [ -x "$target" ] || { echo "conan tools: $target missing" >&2; return 1; }
  ln -sfn "$target" "$bin/$name"
  echo "conan tools: $bin/$name -> $target"
}

status=0
venv conan "conan==$CONAN" && link conan conan || status=1
venv conan-server "conan-server==$CONAN_SERVER" && link conan-server conan_server || status=1
exit $status
