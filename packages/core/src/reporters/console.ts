import type { ResultStatus, ScenarioResult, TokenKind } from "../contract.js";
import { ALL_TOKEN_KINDS } from "../contract.js";
import type { RunReport } from "../runner.js";
import { clientsSkippedIn, skippedClientRows } from "./clients.js";
import { deviationRows, summaryLine } from "./deviations.js";
import { cleanupCommand, propertyText, replayCommand } from "./replay.js";
import type { Reporter } from "./types.js";

const SYMBOL: Record<ResultStatus, string> = { pass: "pass", fail: "FAIL", skip: "skip", error: "ERROR", deviation: "deviation", disabled: "disabled" };
const COLOR: Record<ResultStatus, string> = { pass: "\x1b[32m", fail: "\x1b[31m", skip: "\x1b[90m", error: "\x1b[35m", deviation: "\x1b[33m", disabled: "\x1b[90m" };

/** The result table (scenario rows, token kind columns), then every failure in full. */
export function renderConsole(reports: readonly RunReport[], color = false): string {
  const paint = (status: ResultStatus, text: string): string => (color ? `${COLOR[status]}${text}\x1b[0m` : text);
  const lines: string[] = [];
  for (const report of reports) {
    const kinds = ALL_TOKEN_KINDS.filter((k) => report.results.some((r) => r.tokenKind === k));
    const scenarios = [...new Set(report.results.map((r) => r.scenario))];
    const width = Math.max(8, ...scenarios.map((s) => s.length));
    lines.push("", `${report.format} · ${report.registry} · profile ${report.profile} · run ${report.runId} · seed ${report.seed}`);
    const setup = report.preflight?.problems ?? [];
    if (setup.length > 0) {
      lines.push("setup problems (the scenarios they concern did not run; fix these first):");
      for (const p of setup) lines.push(`  ${paint("error", p.check)}: ${p.message}`, `    fix: ${p.fix}`);
      lines.push("");
    }
    lines.push(`${"scenario".padEnd(width)}  ${kinds.map((k) => k.padEnd(9)).join(" ")}`);
    for (const scenario of scenarios) {
      const cells = kinds.map((kind: TokenKind) => {
        const r = report.results.find((x) => x.scenario === scenario && x.tokenKind === kind);
        // A star: the result stands, but a real client it should have run was not there (listed below).
        const star = r && clientsSkippedIn(r).length > 0 ? "*" : "";
        return r ? paint(r.status, `${SYMBOL[r.status]}${star}`.padEnd(9)) : "".padEnd(9);
      });
      lines.push(`${scenario.padEnd(width)}  ${cells.join(" ")}`);
    }
    lines.push(`${summaryLine(report.summary)} in ${(report.durationMs / 1000).toFixed(1)} s`);
    if (report.interrupted) lines.push("interrupted: the run was stopped before it ended; what had not started is skipped as not run, and cleanup ran");
    const problems = report.results.filter((r) => r.status === "fail" || r.status === "error");
    for (const r of problems) lines.push("", ...renderProblem(r, report, paint));
    const { observed, gone } = deviationRows(report);
    if (observed.length > 0) {
      lines.push("", "known deviations (recorded in the profile with their source; neither pass nor failure):");
      for (const d of observed) {
        lines.push(`  ${paint("deviation", d.id)}: ${d.summary}`, `    source:   ${d.source}`, `    seen in:  ${d.where.slice(0, 6).join(", ")}${d.where.length > 6 ? ` (+${d.where.length - 6})` : ""}`);
        if (d.expectation) lines.push(`    expected: ${d.expectation.expected}`, `    actual:   ${d.expectation.actual}`);
      }
    }
    if (gone.length > 0) {
      lines.push("", "recorded deviations that no longer happen (the registry now follows the rule; the profile can drop them):");
      for (const d of gone) lines.push(`  ${d.id}: ${d.summary} (${d.source}); checked in ${d.where.slice(0, 3).join(", ")}`);
    }
    const clients = skippedClientRows(report);
    if (clients.length > 0) {
      lines.push("", "real clients skipped (not on this machine; * in the table: that result comes from the clients that ran):");
      for (const row of clients) {
        const which = row.results.map((r) => `${r.scenario} [${r.tokenKind}]`);
        lines.push(`  ${paint("skip", "skipped")} ${row.client}: ${row.reason}; in ${which.slice(0, 6).join(", ")}${which.length > 6 ? ` (+${which.length - 6})` : ""}`);
      }
    }
    const skips = report.results.filter((r) => r.status === "skip");
    if (skips.length > 0) {
      lines.push("", "skipped:");
      const reasons = new Map<string, string[]>();
      for (const r of skips) reasons.set(r.message ?? "", [...(reasons.get(r.message ?? "") ?? []), `${r.scenario} [${r.tokenKind}]`]);
      for (const [reason, which] of reasons) lines.push(`  ${reason}: ${which.slice(0, 6).join(", ")}${which.length > 6 ? ` (+${which.length - 6})` : ""}`);
    }
    if (report.cleanup.left.length > 0) {
      lines.push("", `left on the registry: ${report.cleanup.left.slice(0, 10).join(", ")}${report.cleanup.left.length > 10 ? ` (+${report.cleanup.left.length - 10})` : ""}`, `remove them with: ${cleanupCommand(report)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function renderProblem(r: ScenarioResult, report: RunReport, paint: (s: ResultStatus, t: string) => string): string[] {
  const out = [`${paint(r.status, SYMBOL[r.status])} ${r.scenario} [${r.tokenKind}]: ${r.message ?? ""}`];
  if (r.expectation) out.push(`  expected: ${r.expectation.expected}`, `  actual:   ${r.expectation.actual}`);
  for (const e of r.exchanges.slice(-4)) {
    out.push(`  request:  ${e.method} ${e.path} -> ${e.status === 0 ? "no response" : e.status} (${e.durationMs.toFixed(0)} ms, via ${e.via})`);
    if (e.responseSnippet) out.push(`  response: ${e.responseSnippet.slice(0, 200).replace(/\s+/g, " ")}`);
  }
  for (const c of clientsSkippedIn(r)) out.push(`  skipped:  ${c.client}: ${c.reason}`);
  out.push(`  replay:   ${replayCommand(report, r)}`);
  const property = propertyText(r);
  if (property) out.push(`  ${property}`);
  return out;
}

/** Prints the table when the run ends, and progress lines while it runs on a TTY. */
export function consoleReporter(options: { stream?: NodeJS.WritableStream; color?: boolean; progress?: boolean } = {}): Reporter {
  const stream = options.stream ?? process.stdout;
  const tty = (stream as { isTTY?: boolean }).isTTY === true;
  const color = options.color ?? (tty && !process.env.NO_COLOR);
  const progress = options.progress ?? tty;
  let done = 0;
  return {
    name: "console",
    onResult(result) {
      done++;
      if (progress) stream.write(`\r\x1b[2K${done} done · last ${result.scenario} [${result.tokenKind}] ${result.status}`);
    },
    async finish(reports) {
      if (progress) stream.write("\r\x1b[2K");
      stream.write(renderConsole(reports, color));
    },
  };
}
