// `pnpm docs`: the conformance documentation, generated from the code itself
// (registered kits, the scenario catalog, profiles, route tables) plus the
// typedoc API reference, into docs-site/. Nothing here is maintained by hand:
// packages/cli/test/docs.test.ts fails when a format or scenario is missing.
import { execFileSync } from "node:child_process";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** The checklist steps scenarios come from (README's table). */
export const CHECKLIST = {
  1: "push a small package, and the same version again",
  2: "push a large package near the instance limit, and one over it",
  3: "push a few hundred packages and watch the metadata endpoint",
  4: "pull packages, duplicates included, byte for byte",
  5: "search, list all versions of a package",
  6: "spot endpoints or options the clients need that are not standard protocol",
  7: "all of it with every token kind, and the negatives",
};

const esc = (s) => String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const bytes = (n) => (n === 0 ? "unlimited" : n % (1024 * 1024) === 0 ? `${n / 1024 / 1024} MiB` : `${n} bytes`);
const kindsOf = (s) => (s.audience === "negative" ? ["anonymous", "invalid", "readonly"] : ["personal", "deploy", "job"]);

function page(title, body) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)} · regkit</title><link rel="stylesheet" href="style.css"></head>
<body><nav><a href="index.html">regkit</a> · <a href="matrix.html">matrix</a> · <a href="compatibility.html">compatibility</a> · <a href="gitlab-fidelity.html">GitLab fidelity</a> · <a href="api/index.html">API</a></nav><main><h1>${esc(title)}</h1>${body}</main></body></html>\n`;
}

const CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:0;color:#1f2328}nav{padding:10px 24px;background:#f6f8fa;border-bottom:1px solid #d1d9e0}main{padding:8px 24px;max-width:1100px}
table{border-collapse:collapse;margin:10px 0}th,td{border:1px solid #d1d9e0;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f6f8fa}code{font-size:13px}
.yes{background:#dafbe1}.no{background:#f6f8fa;color:#59636e}
table.facts{table-layout:fixed;width:100%}table.facts td{overflow-wrap:anywhere;font-size:13px}table.facts th:first-child{width:16%}`;

function scenarioRows(scenarios) {
  return scenarios
    .map((s) => `<tr id="${esc(s.id)}"><td><code>${esc(s.id)}</code></td><td>${esc(s.title)}</td><td>${s.checklist}. ${esc(CHECKLIST[s.checklist] ?? "")}</td><td>${esc(s.description)}</td><td>${kindsOf(s).join(", ")}</td><td>${(s.requires ?? []).map((c) => `<code>${esc(c)}</code>`).join(", ") || "none"}</td></tr>`)
    .join("\n");
}

function formatPage(kit, coreScenarios) {
  const scenarios = [...coreScenarios, ...kit.scenarios];
  const profiles = Object.values(kit.profiles);
  const capabilityNames = [...new Set(profiles.flatMap((p) => Object.keys(p.capabilities)))].sort();
  return page(
    `${kit.title} (${kit.format})`,
    `<p>${esc(kit.description)}</p>
<p>GitLab's default instance limit for ${esc(kit.format)}: <b>${bytes(kit.instanceLimit)}</b>. Default profile: <code>${esc(kit.defaultProfile)}</code>.</p>
<h2>Scenarios</h2>
<table class="scenarios"><thead><tr><th>id</th><th>title</th><th>checklist step</th><th>what it checks and why</th><th>token kinds</th><th>requires</th></tr></thead><tbody>
${scenarioRows(scenarios)}
</tbody></table>
<h2>Standard routes</h2>
<p><code>endpoints.audit</code> fails on any request outside this table (relative to the format endpoint).</p>
<table class="routes"><thead><tr><th>method</th><th>path</th><th>what</th></tr></thead><tbody>
${kit.routes.map((r) => `<tr><td>${esc(r.method)}</td><td><code>${esc(r.path)}</code></td><td>${esc(r.summary)}</td></tr>`).join("\n")}
</tbody></table>
<h2>Profiles</h2>
${profiles
  .map(
    (p) => `<h3 id="profile-${esc(p.name)}"><code>${esc(p.name)}</code></h3><p>${esc(p.description)}</p>
<table class="profile" data-profile="${esc(p.name)}"><tbody>
<tr><th>token kinds</th><td data-field="tokenKinds">${p.tokenKinds.join(", ")}</td></tr>
<tr><th>duplicates</th><td data-field="duplicates">${esc(p.policies.duplicates)}${p.policies.duplicateStatus.length ? ` (status ${p.policies.duplicateStatus.join(" or ")})` : ""}</td></tr>
<tr><th>max file size</th><td data-field="maxFileSize" data-bytes="${p.limits.maxFileSize}">${bytes(p.limits.maxFileSize)}</td></tr>
<tr><th>capabilities</th><td data-field="capabilities">${capabilityNames.map((c) => `<code>${esc(c)}</code>: ${p.capabilities[c] === true ? "yes" : "no"}`).join(", ")}</td></tr>
<tr><th>settings</th><td data-field="settings">${Object.entries(p.settings ?? {}).map(([k, v]) => `<code>${esc(k)}</code> (${esc(Array.isArray(v.type) ? v.type.join(" | ") : v.type)}, default <code>${esc(JSON.stringify(v.default))}</code>): ${esc(v.description)}`).join("<br>") || "only the common ones (every capability, duplicates, duplicateStatus, deniedStatus, maxFileSize, scenario options)"}</td></tr>
<tr><th>recorded deviations</th><td data-field="deviations">${Object.entries(p.deviations ?? {}).map(([id, d]) => `<code id="deviation-${esc(p.name)}-${esc(id)}">${esc(id)}</code>: ${esc(d.summary)} <small>(source: ${esc(d.source)})</small>`).join("<br>") || "none"}</td></tr>
${p.extraRoutes?.length ? `<tr><th>non-standard routes it needs</th><td>${p.extraRoutes.map((r) => `${esc(r.method)} <code>${esc(r.path)}</code> (${esc(r.summary)})`).join("<br>")}</td></tr>` : ""}
</tbody></table>`,
  )
  .join("\n")}`,
  );
}

function matrixPage(kits, coreScenarios) {
  const ids = [...new Set([...coreScenarios.map((s) => s.id), ...kits.flatMap((k) => k.scenarios.map((s) => s.id))])];
  const columns = kits.flatMap((k) => Object.values(k.profiles).map((p) => ({ kit: k, profile: p })));
  const cell = (id, { kit, profile }) => {
    const s = [...coreScenarios, ...kit.scenarios].find((x) => x.id === id);
    if (!s) return `<td class="no">n/a</td>`;
    const missing = (s.requires ?? []).filter((c) => !profile.capabilities[c]);
    const kinds = kindsOf(s).filter((k) => profile.tokenKinds.includes(k));
    if (missing.length) return `<td class="no">skip: no ${missing.join(", ")}</td>`;
    if (kinds.length === 0) return `<td class="no">skip: no token kinds</td>`;
    return `<td class="yes">${kinds.join(", ")}</td>`;
  };
  return page(
    "Format × scenario matrix",
    `<p>Which scenarios run under which token kinds for each format and profile (a skip says why).</p>
<table class="matrix"><thead><tr><th>scenario</th>${columns.map((c) => `<th>${esc(c.kit.format)}<br><code>${esc(c.profile.name)}</code></th>`).join("")}</tr></thead><tbody>
${ids.map((id) => `<tr><td><code>${esc(id)}</code></td>${columns.map((c) => cell(id, c)).join("")}</tr>`).join("\n")}
</tbody></table>`,
  );
}

/** Per format, every GitLab behaviour the kit relies on, GitLab's answer, where GitLab defines it, and the test that pins the reference registry to it. */
function fidelityPage(kits, shared) {
  const sections = [{ format: "gitlab", title: "Every format", gitlabFacts: shared }, ...kits].map((kit) => {
    const facts = kit.gitlabFacts ?? [];
    const rows = facts
      .map((f) => `<tr id="${esc(f.id)}"><td><code>${esc(f.id)}</code></td><td>${esc(f.behaviour)}</td><td>${esc(f.gitlab)}</td><td><code>${esc(f.source.file)}</code> ${esc(f.source.at)}<br><small>${esc(f.source.version)}</small></td><td><code>${esc(f.pinnedBy)}</code></td></tr>`)
      .join("\n");
    return `<h2 id="${esc(kit.format)}">${esc(kit.title)} (${esc(kit.format)})</h2>
${facts.length ? `<table class="facts" data-format="${esc(kit.format)}"><thead><tr><th>fact</th><th>behaviour</th><th>GitLab's answer</th><th>GitLab source</th><th>pinned by (test file, test titled with the fact id)</th></tr></thead><tbody>
${rows}
</tbody></table>` : "<p>No GitLab facts recorded for this format.</p>"}`;
  });
  return page(
    "GitLab fidelity",
    `<p>Every GitLab behaviour the kits and the embedded reference registry rely on, written once in each kit's GitLab facts module with the place in GitLab's source that defines it. The <code>gitlab</code> profiles, the reference registry and this page read the same facts; each is pinned by a test against the reference registry titled with the fact's id.</p>
${sections.join("\n")}`,
  );
}

/**
 * Client (and version) × registry (and profile) × scenario, from the run
 * reports the tests leave in `runsDir` (REGKIT_RUN_REPORTS): what really
 * passed, failed, deviated or was skipped, and why. A client not installed
 * where the tests ran is a skip with the reason, never a pass.
 */
async function compatibilityPage(runsDir) {
  const { readRunReports, buildCompatibilityMatrix, renderCompatibilityHtml } = await import(`${root}packages/core/dist/index.js`);
  const reports = await readRunReports(runsDir);
  const runs = reports.map((r) => `<li><code>${esc(r.format)}</code> against ${esc(r.label ?? r.registry)} (profile <code>${esc(r.profile)}</code>), run <code>${esc(r.runId)}</code>, ${esc(r.startedAt)}</li>`).join("");
  return page(
    "Compatibility: real clients × registries",
    `<p>Each real client at the version found where the tests ran, against each registry and profile the tests start (the embedded reference registry, Verdaccio, nginx, Apache httpd, ...): the scenarios it took part in, with pass, fail, deviation or skip and the reason. Built from the run reports the conformance tests write when <code>REGKIT_RUN_REPORTS</code> names a directory (CI: <code>regkit-report/runs</code>); the HTML report of <code>regkit run</code> has the same section.</p>
${reports.length === 0 ? `<p>No run reports in <code>${esc(runsDir)}</code>: run the tests with <code>REGKIT_RUN_REPORTS=regkit-report/runs</code>, then <code>pnpm docs</code>.</p>` : `${renderCompatibilityHtml(buildCompatibilityMatrix(reports))}<h2>Runs</h2><ul>${runs}</ul>`}`,
  );
}

/**
 * Writes the site into `outDir`; `typedoc: false` skips the API reference
 * (tests); `runs` is the directory of run reports the compatibility page is
 * built from (default: REGKIT_RUN_REPORTS, else regkit-report/runs).
 */
export async function generateDocs(outDir, { typedoc = true, runs = process.env.REGKIT_RUN_REPORTS ?? join(root, "regkit-report/runs") } = {}) {
  const { kits } = await import(`${root}packages/cli/dist/index.js`);
  const { coreScenarios } = await import(`${root}packages/core/dist/index.js`);
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  const { COMPATIBILITY_CSS } = await import(`${root}packages/core/dist/index.js`);
  await writeFile(join(outDir, "style.css"), `${CSS}\n${COMPATIBILITY_CSS}`);
  const index = page(
    "regkit conformance kits",
    `<p>Formats and the release checklist each scenario comes from. Generated from the code: <code>pnpm docs</code>.</p>
<h2>Formats</h2><ul>${kits.map((k) => `<li><a href="${esc(k.format)}.html">${esc(k.title)}</a> (<code>${esc(k.format)}</code>): ${esc(k.description)}</li>`).join("")}</ul>
<h2>Checklist</h2><ol>${Object.values(CHECKLIST).map((c) => `<li>${esc(c)}</li>`).join("")}</ol>
<h2>Core scenarios</h2><table class="scenarios"><thead><tr><th>id</th><th>title</th><th>checklist step</th><th>what it checks and why</th><th>token kinds</th><th>requires</th></tr></thead><tbody>${scenarioRows(coreScenarios)}</tbody></table>`,
  );
  await writeFile(join(outDir, "index.html"), index);
  for (const kit of kits) await writeFile(join(outDir, `${kit.format}.html`), formatPage(kit, coreScenarios));
  await writeFile(join(outDir, "matrix.html"), matrixPage(kits, coreScenarios));
  await writeFile(join(outDir, "compatibility.html"), await compatibilityPage(runs));
  const { GITLAB_FACTS, factList } = await import(`${root}packages/core/dist/index.js`);
  await writeFile(join(outDir, "gitlab-fidelity.html"), fidelityPage(kits, factList(GITLAB_FACTS)));
  if (typedoc) {
    execFileSync(process.execPath, [join(root, "node_modules/typedoc/bin/typedoc"), "--options", join(root, "tooling/docs/typedoc.json"), "--out", join(outDir, "api")], { stdio: "inherit", cwd: root });
  }
  return { formats: kits.map((k) => k.format) };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = join(root, "docs-site");
  const { formats } = await generateDocs(out);
  console.log(`docs written to ${out} (formats: ${formats.join(", ")})`);
}
