// The demo: start the embedded reference registry, run every kit against it
// with every token kind (its gitlab profile), print the table, and write JSON,
// JUnit, Markdown and HTML reports and a badge under ./regkit-report/ (at the repository root).
import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { kits, referenceFormats } from "@regkit/cli";
import { badgeReporter, consoleReporter, htmlReporter, jsonReporter, junitReporter, markdownReporter, runConformance } from "@regkit/core";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";

const MiB = 1024 * 1024;
// The demo instance runs with a 96 MiB file limit (GitLab's npm default is
// 500 MB) so push.over-limit finishes in seconds; the benchmarks use the real limit.
const DEMO_LIMIT = 96 * MiB;

const outDir = fileURLToPath(new URL("../../../regkit-report/", import.meta.url));
await mkdir(outDir, { recursive: true });

const registry = await createReferenceRegistry({
  formats: Object.values(referenceFormats),
});
console.log(`reference registry at ${registry.url}`);

const reporters = [
  consoleReporter({ stream: process.stdout }),
  jsonReporter(`${outDir}report.json`),
  junitReporter(`${outDir}junit.xml`),
  markdownReporter(`${outDir}report.md`),
  htmlReporter(`${outDir}report.html`, { secrets: registry.secrets }),
  badgeReporter(`${outDir}badge.svg`),
];
const reports = [];
try {
  for (const kit of kits) {
    const reference = referenceFormats[kit.format];
    if (!reference) continue;
    const segment = reference.segment;
    registry.setLimits(segment, { maxFileSize: DEMO_LIMIT });
    console.log(`\n${kit.title}: ${registry.registries[segment]} (profile gitlab)`);
    const report = await runConformance({
      kit,
      target: referenceTarget(registry, segment),
      onResult: (result) => {
        const mark = { pass: "✓", fail: "✗", skip: "-", error: "!", deviation: "~" }[result.status];
        process.stderr.write(`  ${mark} ${result.scenario} [${result.tokenKind}]${result.message && result.status !== "pass" ? `: ${result.message}` : ""}\n`);
      },
    });
    reports.push(report);
  }
} finally {
  await registry.close();
}
for (const reporter of reporters) await reporter.finish(reports);
console.log(`\nreports written to ${outDir} (report.json, junit.xml, report.md, report.html, badge.svg)`);
const failed = reports.reduce((n, r) => n + r.summary.fail + r.summary.error, 0);
process.exitCode = failed > 0 ? 1 : 0;
