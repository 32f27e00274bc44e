#!/usr/bin/env bash
# Debian packages for the real clients and third-party registries the tests
# drive: what every kit declares in its package.json ("regkit": {"system": [...]}),
# plus what the shared tests need. Every test that needs one of them skips
# with a reason when it is absent, so a developer machine without them still
# runs the rest.
set -euo pipefail
cd "$(dirname "$0")/../.."
pkgs=(
  chromium                                # HTML report rendering check
  wrk                                     # pnpm bench: load from a second process
)
# Any Node reads package.json; the kits' lists come from tooling/kits.mjs.
while IFS= read -r p; do [ -n "$p" ] && pkgs+=("$p"); done < <(node tooling/kits.mjs --system)
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
