#!/usr/bin/env bash
# The Maven kit's second mvn: the same Debian mvn with the CURRENT
# maven-deploy-plugin and maven-dependency-plugin from Maven Central (Debian's
# /usr/share/maven-repo carries older ones; that driver stays). The tests run
# mvn offline, so this fetches the two plugins, pinned, and everything their
# goals load, into a Maven repository at $REGKIT_TOOLS/maven-repo; the
# `mvn-central` driver then mirrors Central to that directory.
#
# How: one real deploy-file into a throwaway file:// repository and one
# dependency:get back from it, online against Central, with
# -Dmaven.repo.local=$REGKIT_TOOLS/maven-repo, so exactly what the goals need
# is there (plugin poms, parents, jars); the throwaway artifact is removed after.
#
# Idempotent: a marker file records the pinned versions fetched; when it
# matches, nothing is downloaded.   bash tooling/ci/install-tools.sh maven
set -euo pipefail
cd "$(dirname "$0")/../../.."
REGKIT_TOOLS=${REGKIT_TOOLS:-$PWD/.regkit-tools}

# Bump these on purpose: the driver reports them as its version in results.
DEPLOY_PLUGIN_VERSION=3.2.0
DEPENDENCY_PLUGIN_VERSION=3.11.0

repo="$REGKIT_TOOLS/maven-repo"
marker="$repo/.regkit-plugins"
want="maven-deploy-plugin $DEPLOY_PLUGIN_VERSION, maven-dependency-plugin $DEPENDENCY_PLUGIN_VERSION"
say() { printf 'maven tools: %s\n' "$*"; }

if ! command -v mvn >/dev/null; then
  say "mvn not on PATH (Debian package maven): nothing to prefetch; the mvn-central driver will skip"
  exit 1
fi
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
  say "$want already in $repo"
  exit 0
fi

say "fetching $want from Maven Central into $repo"
mkdir -p "$repo"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# An empty settings file: no mirror a developer's ~/.m2 may set, Central as Maven's default.
printf '<settings/>\n' >"$work/settings.xml"
# The smallest valid ZIP (an empty archive) is jar enough for deploy-file: no jar or zip tool needed.
printf 'PK\005\006\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000\000' >"$work/prefetch.jar"
common=(-B -q -Dstyle.color=never -s "$work/settings.xml" "-Dmaven.repo.local=$repo")
(cd "$work" && mvn "${common[@]}" \
  "org.apache.maven.plugins:maven-deploy-plugin:$DEPLOY_PLUGIN_VERSION:deploy-file" \
  -Dfile="$work/prefetch.jar" -DgroupId=regkit.prefetch -DartifactId=prefetch -Dversion=1.0 -Dpackaging=jar -DgeneratePom=true \
  -Durl="file://$work/remote" -DrepositoryId=prefetch)
(cd "$work" && mvn "${common[@]}" \
  "org.apache.maven.plugins:maven-dependency-plugin:$DEPENDENCY_PLUGIN_VERSION:get" \
  -Dartifact=regkit.prefetch:prefetch:1.0 -Dtransitive=false -DremoteRepositories="prefetch::default::file://$work/remote")
# A SNAPSHOT too: its deploy writes maven-metadata through the same plugin, resolving nothing new, but cheaply proves it.
(cd "$work" && mvn "${common[@]}" \
  "org.apache.maven.plugins:maven-deploy-plugin:$DEPLOY_PLUGIN_VERSION:deploy-file" \
  -Dfile="$work/prefetch.jar" -DgroupId=regkit.prefetch -DartifactId=prefetch -Dversion=1.1-SNAPSHOT -Dpackaging=jar -DgeneratePom=true \
  -Durl="file://$work/remote" -DrepositoryId=prefetch)
rm -rf "$repo/regkit"
printf '%s' "$want" >"$marker"
say "done: $(find "$repo" -name '*.jar' | wc -l) jars in $repo"
