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

tag="conan tools"
# shellcheck source=../../../tooling/ci/venv.sh
source "$(dirname "$0")/../../../tooling/ci/venv.sh"

status=0
venv conan "conan==$CONAN" && link conan conan || status=1
venv conan-server "conan-server==$CONAN_SERVER" && link conan-server conan_server || status=1
exit $status
