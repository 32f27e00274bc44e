# Sourced by kits' ci/install-tools.sh that install tools from PyPI: one
# virtualenv per tool under $REGKIT_TOOLS/venv/<name>, pinned, idempotent.
# Before sourcing, set `tag` (the prefix of every line printed, "pypi tools").
# Gives: $tools, $bin, $python (the Debian interpreter, python3-venv, as CI has
# it; REGKIT_PYTHON overrides), and the functions venv and link.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tools=${REGKIT_TOOLS:-$root/.regkit-tools}
bin=$tools/bin
mkdir -p "$bin" "$tools/venv"

python=${REGKIT_PYTHON:-}
if [ -z "$python" ]; then
  if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=$(command -v python3); fi
fi
echo "$tag: python $("$python" --version 2>&1) at $python, into $tools"

# venv NAME "req==1 other==2" -> creates $tools/venv/NAME with exactly those pins,
# unless a marker file says that set is installed already.
venv() {
  local name=$1 reqs=$2 dir=$tools/venv/$1
  if [ -f "$dir/.regkit-pins" ] && [ "$(cat "$dir/.regkit-pins")" = "$reqs" ]; then
    echo "$tag: $name already at $reqs"
    return 0
  fi
  echo "$tag: installing $name ($reqs)"
  rm -rf "$dir"
  # Called in an `&&` list, where set -e does not apply: each step returns on failure itself,
  # so a half-installed venv never gets the marker.
  "$python" -m venv "$dir" || return 1
  # shellcheck disable=SC2086 # the pins are a space-separated word list on purpose
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input $reqs || return 1
  printf '%s' "$reqs" >"$dir/.regkit-pins"
}

# link VENV EXECUTABLE [LINK NAME]: $bin/NAME -> the venv's executable.
link() {
  local target=$tools/venv/$1/bin/$2 name=${3:-$2}
  [ -x "$target" ] || { echo "$tag: $target missing" >&2; return 1; }
  ln -sfn "$target" "$bin/$name"
  echo "$tag: $bin/$name -> $target"
}
