#!/usr/bin/env bash
# OCI tools that Debian does not package, built from the Go module proxy at
# pinned versions into $REGKIT_TOOLS (see tooling/ci/install-tools.sh):
#   crane            go-containerregistry's client; `crane registry serve` is
#                    also the second, independent registry the interop tests use
#   oras             the ORAS client: artifacts, referrers (attach/discover)
#   oci-conformance  the distribution spec's own conformance suite (a main
#                    package in module .../distribution-spec/conformance; it has
#                    no tags, so it is pinned to a pseudo-version of its main branch)
# skopeo, umoci and docker-registry come from Debian (package.json "regkit.system").
# Idempotent: a tool already built at its pinned version is left alone (a stamp
# file next to it records the version). Prints what it does.
set -euo pipefail

REGKIT_TOOLS=${REGKIT_TOOLS:-$(cd "$(dirname "$0")/../../.." && pwd)/.regkit-tools}
bin="$REGKIT_TOOLS/bin"
gobin="$REGKIT_TOOLS/go/bin"
mkdir -p "$bin" "$gobin"

if ! command -v go >/dev/null 2>&1; then
  echo "oci: go is not installed; crane, oras and oci-conformance are not built (their tests skip)"
  exit 1
fi

CRANE_MODULE=github.com/google/go-containerregistry/cmd/crane
CRANE_VERSION=v0.22.1
ORAS_MODULE=oras.land/oras/cmd/oras
ORAS_VERSION=v1.3.6
CONFORMANCE_MODULE=github.com/opencontainers/distribution-spec/conformance
CONFORMANCE_VERSION=v0.0.0-20260831232431-97274622c111

status=0
# install NAME MODULE VERSION LINK: `go install MODULE@VERSION` into $gobin and
# link $gobin/NAME as $bin/LINK, unless the stamp says it is there already.
install_go() {
  local name=$1 module=$2 version=$3 link=$4
  local stamp="$gobin/.$name.version"
  if [ -x "$gobin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$module@$version" ]; then
    echo "oci: $link already built ($module@$version)"
  else
    echo "oci: building $link from $module@$version (go install)"
    local start=$SECONDS
    # CGO off: static binaries, no C toolchain needed; -trimpath so the
    # binaries do not carry this machine's paths.
    if CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS=-trimpath go install "$module@$version"; then
      echo "$module@$version" >"$stamp"
      echo "oci: built $link in $((SECONDS - start))s"
    else
      echo "oci: could not build $link from $module@$version"
      status=1
      return
    fi
  fi
  ln -sfn "$gobin/$name" "$bin/$link"
  echo "oci: $bin/$link -> $gobin/$name"
}

install_go crane "$CRANE_MODULE" "$CRANE_VERSION" crane
install_go oras "$ORAS_MODULE" "$ORAS_VERSION" oras
install_go conformance "$CONFORMANCE_MODULE" "$CONFORMANCE_VERSION" oci-conformance
# distribution v3 (the project's current server) only on request: it took
# 587 s to build here (2 shared cores), against about 130 s for the three above;
# no test needs it (crane's registry is the second server), the OCI page has
# the spec suite's verdict on it.
if [ "${REGKIT_OCI_DISTRIBUTION_V3:-0}" = 1 ]; then
  install_go registry github.com/distribution/distribution/v3/cmd/registry v3.1.2 distribution-registry
else
  echo "oci: distribution v3 not built (REGKIT_OCI_DISTRIBUTION_V3=1 builds it, about 10 minutes)"
fi
exit $status
