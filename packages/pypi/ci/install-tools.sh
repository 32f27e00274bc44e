#!/usr/bin/env bash
# PyPI kit tools that do not come from Debian, pinned, installed from PyPI into
# $REGKIT_TOOLS (one virtualenv per tool under $REGKIT_TOOLS/venv/<name>):
#   - pypiserver (+ passlib and bcrypt, for its htpasswd authentication, and
#     waitress, the WSGI server it runs on) and
#     devpi-server + devpi-client: the third-party registries the tests start;
#   - twine and pip, current releases, linked as twine-pypi and pip-pypi so
#     Debian's twine and pip3 keep their names (the kit drives both);
#   - uv (its wheel carries the binary) and poetry.
# Idempotent: a venv whose pinned versions are already installed is skipped.
# Run through `bash tooling/ci/install-tools.sh pypi` (or `pnpm tools pypi`).
set -euo pipefail

# Pins: bump them together with the versions the docs (packages/pypi/docs/pypi.md) name.
PYPISERVER=2.4.2
PASSLIB=1.7.4
# bcrypt 4.0.1: passlib 1.7.4 cannot use bcrypt 5 (its self-test hashes a
# password longer than 72 bytes, which bcrypt 5 refuses).
BCRYPT=4.0.1
# waitress: pypiserver picks it over the standard library's single-threaded
# wsgiref server, which answers 401 before reading an upload and resets the
# connection under the client (EPIPE); waitress reads the request first, as
# a production deployment behind a real server does.
WAITRESS=3.0.2
DEVPI_SERVER=6.20.3
DEVPI_CLIENT=7.3.0
TWINE=7.0.0
PIP=26.3
UV=0.13.9
POETRY=2.5.1

tag="pypi tools"
# shellcheck source=../../../tooling/ci/venv.sh
source "$(dirname "$0")/../../../tooling/ci/venv.sh"

status=0
venv pypiserver "pypiserver==$PYPISERVER passlib==$PASSLIB bcrypt==$BCRYPT waitress==$WAITRESS" && link pypiserver pypi-server || status=1
# The htpasswd file is written by this venv's passlib (tooling/testing/pypi-servers.mjs runs its python by path).
venv devpi "devpi-server==$DEVPI_SERVER devpi-client==$DEVPI_CLIENT" \
  && link devpi devpi-server && link devpi devpi-init && link devpi devpi || status=1
# pip first: a venv's own pip is the one it was created with, so it is pinned explicitly.
venv twine "pip==$PIP twine==$TWINE" && link twine twine twine-pypi || status=1
venv pip "pip==$PIP" && link pip pip pip-pypi || status=1
venv uv "uv==$UV" && link uv uv || status=1
# Poetry is optional: the issue asks for it "if it installs cleanly".
if venv poetry "poetry==$POETRY"; then link poetry poetry || status=1
else echo "pypi tools: poetry $POETRY did not install; its tests skip with the reason"; status=1; fi
exit $status
