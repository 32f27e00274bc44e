#!/usr/bin/env bash
# Debian packages for the real clients and third-party registries the tests
# drive. Every test that needs one of them skips with a reason when it is absent,
# so a developer machine without them still runs the rest.
set -euo pipefail
pkgs=(
  twine                                   # PyPI uploads
  nginx-light libnginx-mod-http-dav-ext   # plain WebDAV/PUT Maven repository
  libmaven-deploy-plugin-java libmaven-dependency-plugin-java
  chromium                                # HTML report rendering check
  mono-complete                           # NuGet.exe
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then echo "system packages present"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then
  echo "not root: skipping apt-get install of ${missing[*]} (tests needing them will skip)"; exit 0
fi
echo "== apt-get install ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
