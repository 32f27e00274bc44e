import { ALL_TOKEN_KINDS, type ResultStatus } from "../contract.js";
import type { RunReport } from "../runner.js";
import { clientsSkippedIn, skippedClientRows } from "./clients.js";
import { deviationRows, summaryLine } from "./deviations.js";
import { cleanupCommand, propertyText, replayCommand } from "./replay.js";
import { type Reporter, fileReporter } from "./types.js";

const MARK: Record<ResultStatus, string> = { pass: "✅", fail: "❌", skip: "⏭️", error: "⚠️", deviation: "🔶", disabled: "🚫" };
const LIMIT = 60_000;

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
/** An inline code span outside tables, exact (a command stays copyable): a longer fence when the text holds a backtick. */
const code = (text: string): string => {
  const flat = text.replace(/\r?\n/g, " ");
  return flat.includes("`") ? `\`\` ${flat} \`\`` : `\`${flat}\``;
};

/** Markdown for merge-request comments: a summary per format, then per format the failures, the matrix, skipped clients and deviations. */
export function renderMarkdown(reports: readonly RunReport[]): string {
  const out: string[] = ["## regkit conformance", ""];
  for (const r of reports) {
    out.push(`- **${r.format}** (${r.profile}): ${summaryLine(r.summary)} · run \`${r.runId}\` · seed \`${r.seed}\``);
  }
  for (const r of reports) {
    const kinds = ALL_TOKEN_KINDS.filter((k) => r.results.some((x) => x.tokenKind === k));
    out.push("", `### ${r.format} · \`${cell(r.registry)}\``);
    if (r.cleanup.left.length) out.push("", `Left on the registry: ${r.cleanup.left.map((n) => code(n)).join(", ")}; remove them with ${code(cleanupCommand(r))}`);
    const setup = r.preflight?.problems ?? [];
    if (setup.length) out.push("", "#### Setup problems", "", "Found before the scenarios ran; the scenarios they concern were not run.", "");
    for (const p of setup) out.push(`- ${MARK.error} \`${p.check}\`: ${cell(p.message)}`, `  - fix: ${cell(p.fix)}`);
    // Failures first: what a reader acts on, and what survives when a long comment is cut.
    const problems = r.results.filter((x) => x.status === "fail" || x.status === "error");
    if (problems.length) out.push("", "#### Failures", "");
    for (const x of problems) {
      out.push(`- ${MARK[x.status]} **${x.scenario}** [${x.tokenKind}]: ${cell(x.message ?? "")}`);
      if (x.expectation) out.push(`  - expected: ${cell(x.expectation.expected)}`, `  - actual: ${cell(x.expectation.actual)}`);
      for (const e of x.exchanges.slice(-3)) {
        out.push(`  - request: \`${e.method} ${cell(e.path)}\` → ${e.status === 0 ? "no response" : e.status} (via ${e.via})`);
        if (e.responseSnippet) out.push(`    - response body: ${code(e.responseSnippet.slice(0, 200).replace(/\s+/g, " "))}`);
      }
      for (const c of clientsSkippedIn(x)) out.push(`  - skipped client: ${c.client}: ${cell(c.reason)}`);
      out.push(`  - replay: ${code(replayCommand(r, x))}`);
      const property = propertyText(x);
      if (property) out.push(`  - ${property}`);
    }
    out.push("", `| scenario | ${kinds.join(" | ")} |`, `| --- | ${kinds.map(() => ":---:").join(" | ")} |`);
    for (const scenario of [...new Set(r.results.map((x) => x.scenario))]) {
      const row = kinds.map((k) => {
        const x = r.results.find((y) => y.scenario === scenario && y.tokenKind === k);
        if (!x) return "";
        const skipped = clientsSkippedIn(x);
        return skipped.length ? `${MARK[x.status]} (${MARK.skip} ${skipped.map((c) => c.client).join(", ")} skipped)` : MARK[x.status];
      });
      out.push(`| \`${scenario}\` | ${row.join(" | ")} |`);
    }
    const clients = skippedClientRows(r);
    if (clients.length) out.push("", "#### Real clients skipped", "", "Not on this machine, so not run: the results they are missing from come from the clients that did run.", "");
    for (const c of clients) out.push(`- ${MARK.skip} **${c.client}**: ${cell(c.reason)}; in ${c.results.map((x) => `\`${x.scenario}\` [${x.tokenKind}]`).join(", ")}`);
    const { observed, gone } = deviationRows(r);
    if (observed.length) out.push("", "#### Known deviations", "", "Recorded in the profile with their source: neither a pass nor a failure.", "");
    for (const d of observed) {
      out.push(`- ${MARK.deviation} \`${d.id}\`: ${cell(d.summary)} (source: ${cell(d.source)}); seen in ${d.where.length} result(s)`);
      if (d.expectation) out.push(`  - expected: ${cell(d.expectation.expected)}`, `  - actual: ${cell(d.expectation.actual)}`);
    }
    if (gone.length) out.push("", "#### Recorded deviations that no longer happen", "");
    for (const d of gone) out.push(`- \`${d.id}\`: ${cell(d.summary)} (${cell(d.source)}): the registry now follows the rule; the profile can drop it`);
  }
  let text = `${out.join("\n")}\n`;
  if (text.length > LIMIT) text = `${text.slice(0, LIMIT)}\n\n… truncated (${text.length - LIMIT} more characters: see the JSON or HTML report)\n`;
  return text;
}

export function markdownReporter(file: string): Reporter {
  return fileReporter("markdown", file, renderMarkdown);
}
