#!/usr/bin/env bash
# The packages as users get them. Packs every publishable package the way it
# is published (`pnpm pack` rewrites `workspace:*` to the real version) and
# checks each tarball on its own: LICENSE, repository metadata, `files`, links
# in its Markdown, source maps without embedded sources, publint --strict and
# attw (ESM-only profile). Then installs every tarball into a fresh project
# outside the workspace, so nothing can quietly come from the monorepo, and
# from there runs the npm kit against the embedded reference registry twice:
# through the CLI (`regkit serve`, `regkit run`) and through the API
# (`runConformance` with `createReferenceRegistry`); it also loads every
# exported entry point with `import` and with `require()` (the READMEs promise
# both on Node 22.19+ or 24.10+).
#
#   bash tooling/ci/pack-install.sh                 all of the above
#   bash tooling/ci/pack-install.sh packages/npm    only the tarball checks of the packages named
#                                                   (paths from the repository root; installing
#                                                   needs every package)
#
# The packages must be built first (`pnpm build`). Every failure prints a line
# starting "pack-install: FAIL" and the script exits 1. REGKIT_PACK_KEEP=1 keeps
# the temporary directory for a look afterwards.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
eval "$(bash "$root/tooling/bootstrap.sh" env)"
cd "$root"
unset NODE_PATH NODE_OPTIONS

# The one repository URL every package.json and packaged README points at.
export REGKIT_REPO_URL="https://gitlab.com/regkit/regkit"

start=$(date +%s)
say() { printf 'pack-install: %s\n' "$*"; }
fail() { printf 'pack-install: FAIL: %s\n' "$*" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/regkit-pack-XXXXXX")
serve_pid=""
finish() {
  # Only the process group this script started for `regkit serve`.
  if [ -n "$serve_pid" ]; then kill -TERM -- "-$serve_pid" 2>/dev/null || true; fi
  if [ "${REGKIT_PACK_KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap finish EXIT

# Which packages: the ones named, else every package that is not private.
full=1
dirs=()
if [ $# -gt 0 ]; then
  full=0
  for d in "$@"; do dirs+=("${d%/}"); done
else
  for pj in packages/*/package.json; do
    node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).private ? 1 : 0)' "$pj" &&
      dirs+=("$(dirname "$pj")")
  done
fi
[ ${#dirs[@]} -gt 0 ] || fail "no publishable package under packages/"

# 1. Pack. `pnpm pack` prints the tarball's path on its last line.
mkdir -p "$work/tarballs" "$work/unpacked"
for d in "${dirs[@]}"; do
  [ -f "$d/package.json" ] || fail "$d: no package.json"
  [ -d "$d/dist" ] || fail "$d: no dist/ (build first: pnpm build)"
  out=$( (cd "$d" && pnpm pack --pack-destination "$work/tarballs") 2>&1) || fail "$d: pnpm pack failed: $out"
  tgz=$(printf '%s\n' "$out" | tail -n 1)
  [ -f "$tgz" ] || fail "$d: pnpm pack did not say where the tarball went: $out"
  mkdir -p "$work/unpacked/$(basename "$d")"
  tar -xzf "$tgz" -C "$work/unpacked/$(basename "$d")"
  printf '%s\t%s\n' "$d" "$tgz" >> "$work/packed.tsv"
done
say "packed ${#dirs[@]} packages: $(cut -f2 "$work/packed.tsv" | xargs -n1 basename | tr '\n' ' ')"

# 2. Each tarball on its own. Every problem is listed before exiting.
node --input-type=module - "$root" "$work" <<'NODE'
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";

const [root, work] = process.argv.slice(2);
const repo = process.env.REGKIT_REPO_URL;
const packed = readFileSync(join(work, "packed.tsv"), "utf8").trim().split("\n").map((line) => line.split("\t"));
// Versions of every workspace package, so a dependency on one can be checked
// against what is actually published next to it.
const workspace = new Map();
for (const dir of readdirSync(join(root, "packages"))) {
  const file = join(root, "packages", dir, "package.json");
  if (existsSync(file)) {
    const pkg = JSON.parse(readFileSync(file, "utf8"));
    workspace.set(pkg.name, pkg.version);
  }
}
const problems = [];
const license = existsSync(join(root, "LICENSE")) ? readFileSync(join(root, "LICENSE"), "utf8") : undefined;
if (license === undefined) problems.push(`no LICENSE at the repository root (${root}): every package carries a copy of it`);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
}

// Relative link targets in Markdown, code left out (a `[a](b)` in a code block is not a link).
function markdownLinks(text) {
  const prose = text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, "").replace(/`[^`\n]*`/g, "");
  const links = [];
  for (const m of prose.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push(m[1]);
  for (const m of prose.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/gm)) links.push(m[1]);
  for (const m of prose.matchAll(/<(?:a|img)\s[^>]*?(?:href|src)="([^"]+)"/gi)) links.push(m[1]);
  return links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l) && !l.startsWith("//") && !l.startsWith("#"));
}

for (const [dir, tgz] of packed) {
  const base = join(work, "unpacked", dir.split("/").pop(), "package");
  const where = `${dir} (${tgz.split("/").pop()})`;
  const files = walk(base).map((f) => relative(base, f).split(sep).join("/"));
  const has = (f) => files.includes(f);
  const pkg = JSON.parse(readFileSync(join(base, "package.json"), "utf8"));

  if (pkg.license !== "MIT") problems.push(`${where}: package.json "license" is ${JSON.stringify(pkg.license)}, expected "MIT"`);
  if (!has("LICENSE")) problems.push(`${where}: no LICENSE in the tarball (expected a copy of the root LICENSE, listed in "files")`);
  else if (license !== undefined && readFileSync(join(base, "LICENSE"), "utf8") !== license) problems.push(`${where}: its LICENSE differs from the root LICENSE (copy it again: cp LICENSE ${dir}/)`);
  const expectedRepo = { type: "git", url: `git+${repo}.git`, directory: `packages/${dir.split("/").pop()}` };
  if (JSON.stringify(pkg.repository) !== JSON.stringify(expectedRepo)) {
    problems.push(`${where}: package.json "repository" is ${JSON.stringify(pkg.repository)}, expected ${JSON.stringify(expectedRepo)}`);
  }
  if (typeof pkg.homepage !== "string" || !pkg.homepage.startsWith(repo)) problems.push(`${where}: package.json "homepage" is ${JSON.stringify(pkg.homepage)}, expected a page under ${repo}`);
  if (!Array.isArray(pkg.keywords) || pkg.keywords.length === 0) problems.push(`${where}: package.json has no "keywords"`);
  if (!has("README.md")) problems.push(`${where}: no README.md in the tarball`);
  // Every entry of "files" must bring something: a listed README that does not exist is a broken promise.
  for (const entry of pkg.files ?? []) {
    const e = entry.replace(/^\.\//, "").replace(/\/$/, "");
    if (!files.some((f) => f === e || f.startsWith(`${e}/`))) problems.push(`${where}: "files" lists ${JSON.stringify(entry)}, which is not in the tarball`);
  }
  // A dependency on a sibling must name the version published next to it, never a workspace: range.
  for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
    for (const [name, spec] of Object.entries(pkg[field] ?? {})) {
      if (String(spec).startsWith("workspace:")) problems.push(`${where}: ${field}.${name} is still ${spec} (packed with something other than pnpm?)`);
      else if (workspace.has(name)) {
        const v = workspace.get(name);
        if (![v, `^${v}`, `~${v}`, `>=${v}`].includes(spec)) problems.push(`${where}: ${field}.${name} is ${spec}, but the workspace publishes ${name}@${v}`);
      }
    }
  }
  // Source maps stay, without the sources inside them (they were two thirds of each package).
  for (const map of files.filter((f) => f.endsWith(".map"))) {
    const doc = JSON.parse(readFileSync(join(base, map), "utf8"));
    if (Array.isArray(doc.sourcesContent) && doc.sourcesContent.some((s) => s !== null)) {
      problems.push(`${where}: ${map} embeds its sources (sourcesContent); tooling/tsup.preset.js sets sourcesContent: false`);
    }
  }
  // Every relative link of every packaged Markdown file must land inside the tarball.
  for (const md of files.filter((f) => f.toLowerCase().endsWith(".md"))) {
    for (const link of markdownLinks(readFileSync(join(base, md), "utf8"))) {
      const target = decodeURIComponent(link.split("#")[0].split("?")[0]);
      if (target === "") continue;
      const abs = resolve(dirname(join(base, md)), target);
      const inside = abs === base || abs.startsWith(base + sep);
      if (!inside || !existsSync(abs) || (!statSync(abs).isFile() && !statSync(abs).isDirectory())) {
        problems.push(`${where}: ${md} links to ${link}, which is not in the tarball (link to ${repo}/-/blob/main/... instead, or add the file to "files")`);
      }
    }
  }
}
for (const p of problems) console.error(`pack-install: FAIL: ${p}`);
if (problems.length) process.exit(1);
console.log(`pack-install: tarball checks: ${packed.length} packages, LICENSE, metadata, files, source maps, README links ok`);
NODE

# 3. publint --strict and attw on each tarball (ESM only: attw's esm-only
# profile leaves out the CommonJS resolutions, which by design find no types).
publint="$root/node_modules/.bin/publint"
attw="$root/node_modules/.bin/attw"
[ -x "$publint" ] || fail "publint is not installed ($publint; pnpm install)"
[ -x "$attw" ] || fail "attw is not installed ($attw; pnpm install)"
while IFS=$'\t' read -r d tgz; do
  out=$("$publint" run --strict "$tgz" 2>&1) || fail "$d: publint --strict: $(printf '%s\n' "$out" | grep -v -e '^Running publint' -e '^Unpacking' -e '^Linting' | tr '\n' ' ')"
  out=$("$attw" --profile esm-only --format ascii "$tgz" 2>&1) || fail "$d: attw --profile esm-only:
$out"
done < "$work/packed.tsv"
say "publint --strict and attw --profile esm-only: ${#dirs[@]} tarballs ok"

if [ "$full" = 0 ]; then
  say "tarball checks only (packages named); took $(( $(date +%s) - start ))s"
  exit 0
fi

# 4. A fresh project, outside the workspace, with every tarball installed.
# Third-party dependencies come from the npm registry; @regkit/* must all
# come from the tarballs (checked in the lockfile below).
project="$work/project"
mkdir -p "$project"
cd "$project"
npm init -y >/dev/null
npm pkg set type=module
mapfile -t tarballs < <(cut -f2 "$work/packed.tsv")
timeout 300 npm install --no-audit --no-fund --loglevel=error "${tarballs[@]}" > "$work/npm-install.log" 2>&1 ||
  fail "npm install of the tarballs into a fresh project failed: $(tail -n 20 "$work/npm-install.log")"
node - "${#tarballs[@]}" <<'NODE'
const { readFileSync } = require("node:fs");
const lock = JSON.parse(readFileSync("package-lock.json", "utf8"));
const ours = Object.entries(lock.packages ?? {}).filter(([path]) => /(^|\/)node_modules\/@regkit\/[^/]+$/.test(path));
const bad = ours.filter(([, entry]) => !/^file:.*\/tarballs\/[^/]+\.tgz$/.test(String(entry.resolved ?? "")));
if (ours.length < Number(process.argv[2])) {
  console.error(`pack-install: FAIL: package-lock.json lists ${ours.length} @regkit packages, expected the ${process.argv[2]} packed ones`);
  process.exit(1);
}
if (bad.length) {
  for (const [path, entry] of bad) console.error(`pack-install: FAIL: ${path} was installed from ${entry.resolved ?? "(unknown)"}, not from the packed tarballs (a dependency names a version that was not packed?)`);
  process.exit(1);
}
NODE
say "installed ${#tarballs[@]} tarballs into a fresh project ($(( $(date +%s) - start ))s so far)"

# 5. Every exported entry point loads with import and with require().
cat > entrypoints.mjs <<'JS'
// Every subpath of every installed @regkit package, loaded both ways.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
const require = createRequire(import.meta.url);
const failures = [];
let loaded = 0;
for (const dir of readdirSync("node_modules/@regkit")) {
  const pkg = JSON.parse(readFileSync(`node_modules/@regkit/${dir}/package.json`, "utf8"));
  for (const sub of Object.keys(pkg.exports ?? {})) {
    if (sub.endsWith(".json")) continue;
    const spec = sub === "." ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    for (const [how, load] of [["import", (s) => import(s)], ["require", async (s) => require(s)]]) {
      try {
        const mod = await load(spec);
        if (Object.keys(mod).length === 0) throw new Error("loaded, but exports nothing");
        loaded += 1;
      } catch (error) {
        failures.push(`${how}("${spec}"): ${error.code ?? ""} ${String(error.message).split("\n")[0]}`);
      }
    }
  }
}
for (const f of failures) console.error(`pack-install: FAIL: ${f}`);
if (failures.length || loaded === 0) process.exit(1);
console.log(`pack-install: ${loaded / 2} entry points load with import and with require()`);
JS
timeout 60 node entrypoints.mjs || fail "entry points of the installed packages do not all load (above)"

# 6. The CLI from the installed project: serve, then run the npm kit against it.
setsid npx --no-install regkit serve --port 0 > "$work/serve.out" 2> "$work/serve.err" &
serve_pid=$!
for _ in $(seq 1 300); do
  grep -q '}' "$work/serve.out" 2>/dev/null && break
  kill -0 "$serve_pid" 2>/dev/null || fail "npx regkit serve exited before printing its JSON line: $(tail -n 5 "$work/serve.err")"
  sleep 0.1
done
grep -q '}' "$work/serve.out" || fail "npx regkit serve printed no JSON line within 30 s"
# The tokens go to a file only this user reads, never to the log.
(umask 077 && node - "$work/serve.out" > "$work/serve.env") <<'NODE' || fail "npx regkit serve printed something other than its JSON line: $(head -c 300 "$work/serve.out")"
const info = JSON.parse(require("node:fs").readFileSync(process.argv[2], "utf8").split("\n")[0]);
const t = info.tokens;
const q = (v) => `'${String(v).replace(/'/g, "'\\''")}'`;
if (!info.registries?.npm || !t?.personal || !t?.deploy || !t?.job) throw new Error("no npm registry or tokens");
for (const [k, v] of Object.entries({
  REGKIT_NPM_URL: info.registries.npm,
  REGKIT_PERSONAL_TOKEN: t.personal, REGKIT_PERSONAL_USERNAME: t.personalUsername,
  REGKIT_DEPLOY_USERNAME: t.deployUsername, REGKIT_DEPLOY_TOKEN: t.deploy,
  REGKIT_JOB_TOKEN: t.job,
  REGKIT_READONLY_USERNAME: t.readonlyDeployUsername, REGKIT_READONLY_TOKEN: t.readonlyDeploy,
})) console.log(`export ${k}=${q(v)}`);
NODE
set +e
(
  # shellcheck disable=SC1091
  . "$work/serve.env"
  exec timeout 150 npx --no-install regkit run --format npm --registry "$REGKIT_NPM_URL" \
    --scenario push.small --scenario pull.package \
    --reporter console --reporter "json=$work/cli-report.json"
) > "$work/cli-run.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || fail "npx regkit run --format npm --scenario push.small --scenario pull.package exited $rc, expected 0:
$(tail -n 40 "$work/cli-run.out")"
# Exit 0 alone would also be a run where everything skipped: each scenario must
# have passed under each token kind the CLI was given, and no token may appear
# in what the CLI printed or wrote.
node - "$work" <<'NODE'
const { readFileSync } = require("node:fs");
const work = process.argv[2];
const env = Object.fromEntries(readFileSync(`${work}/serve.env`, "utf8").trim().split("\n").map((l) => {
  const [, k, v] = /^export (\w+)='(.*)'$/.exec(l);
  return [k, v];
}));
const { reports } = JSON.parse(readFileSync(`${work}/cli-report.json`, "utf8"));
const results = reports.flatMap((r) => r.results);
const problems = [];
for (const scenario of ["push.small", "pull.package"]) {
  for (const kind of ["personal", "deploy", "job"]) {
    const r = results.find((x) => x.scenario === scenario && x.tokenKind === kind);
    if (r?.status !== "pass") problems.push(`${scenario} × ${kind}: expected pass, got ${r ? `${r.status}: ${r.message ?? ""}` : "no result"}`);
  }
}
for (const r of results) if (r.status === "fail" || r.status === "error") problems.push(`${r.scenario} × ${r.tokenKind}: ${r.status}: ${r.message ?? ""}`);
const printed = readFileSync(`${work}/cli-run.out`, "utf8") + readFileSync(`${work}/cli-report.json`, "utf8");
for (const k of ["REGKIT_PERSONAL_TOKEN", "REGKIT_DEPLOY_TOKEN", "REGKIT_JOB_TOKEN", "REGKIT_READONLY_TOKEN"]) {
  if (env[k] && printed.includes(env[k])) problems.push(`the token of ${k} appears in the CLI's output or report`);
}
for (const p of problems) console.error(`pack-install: FAIL: regkit run (CLI): ${p}`);
if (problems.length) process.exit(1);
console.log(`pack-install: npx regkit serve + npx regkit run --format npm: ${results.filter((r) => r.status === "pass").length} of ${results.length} results pass`);
NODE
kill -TERM -- "-$serve_pid" 2>/dev/null || true
wait "$serve_pid" 2>/dev/null || true
serve_pid=""

# 7. The API from the installed project: the README's own imports.
cat > use-api.mjs <<'JS'
// What a user writes: the kit, its reference routes and the registry, from the installed packages.
import { runConformance } from "@regkit/core";
import { npmKit } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";

const registry = await createReferenceRegistry({ formats: [npmReference] });
try {
  const report = await runConformance({
    kit: npmKit,
    target: referenceTarget(registry, "npm"),
    scenarios: ["push.small", "pull.package"],
    tokenKinds: ["personal", "deploy", "job"],
  });
  const bad = report.results.filter((r) => r.status !== "pass");
  for (const r of bad) console.error(`pack-install: FAIL: runConformance (API): ${r.scenario} × ${r.tokenKind}: expected pass, got ${r.status}: ${r.message ?? ""}`);
  if (bad.length || report.results.length !== 6) {
    if (!bad.length) console.error(`pack-install: FAIL: runConformance (API): expected 6 results (2 scenarios × 3 token kinds), got ${report.results.length}`);
    process.exitCode = 1;
  } else {
    console.log(`pack-install: runConformance(npmKit) against createReferenceRegistry: ${report.results.length} of ${report.results.length} results pass`);
  }
} finally {
  await registry.close();
}
JS
timeout 120 node use-api.mjs || fail "the npm kit run through the API from the installed packages did not pass (above)"

say "ok: ${#dirs[@]} packages pack, install into a fresh project and run; took $(( $(date +%s) - start ))s"
