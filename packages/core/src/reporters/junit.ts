import type { ScenarioResult } from "../contract.js";
import type { RunReport } from "../runner.js";
import { clientsSkippedIn } from "./clients.js";
import { cleanupCommand, propertyText, replayCommand } from "./replay.js";
import { type Reporter, fileReporter } from "./types.js";

/** XML-escapes text and drops characters XML 1.0 cannot hold. */
export function xmlEscape(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

function details(r: ScenarioResult, report: RunReport): string {
  const lines = [r.message ?? ""];
  if (r.expectation) lines.push(`expected: ${r.expectation.expected}`, `actual:   ${r.expectation.actual}`);
  for (const e of r.exchanges.slice(-6)) {
    lines.push(`request:  ${e.method} ${e.path} -> ${e.status === 0 ? "no response" : e.status} (via ${e.via})`);
    if (e.responseSnippet) lines.push(`response: ${e.responseSnippet.slice(0, 300)}`);
  }
  if (r.status === "fail" || r.status === "error") {
    lines.push(`replay:   ${replayCommand(report, r)}`);
    const property = propertyText(r);
    if (property) lines.push(property);
  }
  for (const d of r.deviations ?? []) lines.push(`${d.observed ? "known deviation" : "deviation gone"}: ${d.id}: ${d.summary} (${d.source})`);
  for (const note of r.notes) lines.push(`note:     ${note}`);
  return lines.join("\n");
}

/** JUnit XML as GitLab CI's test reports read it: one suite per format, one case per scenario × token kind. */
export function renderJunit(reports: readonly RunReport[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = reports.flatMap((r) => r.results);
  const count = (s: string): number => all.filter((r) => r.status === s).length;
  // A real client a result ran without is a skipped case of its own, so CI's skip count shows it.
  const clientCases = (results: readonly ScenarioResult[]): number => results.reduce((t, r) => t + clientsSkippedIn(r).length, 0);
  const total = reports.reduce((t, r) => t + r.durationMs, 0) / 1000;
  const extra = clientCases(all);
  // The preflight and cleanup cases a report adds (failures when present).
  const runCases = (r: RunReport): number => ((r.preflight?.problems.length ?? 0) > 0 ? 1 : 0) + (r.cleanup.left.length > 0 ? 1 : 0);
  const runFailures = reports.reduce((t, r) => t + runCases(r), 0);
  out.push(`<testsuites name="regkit" tests="${all.length + extra + runFailures}" failures="${count("fail") + runFailures}" errors="${count("error")}" skipped="${count("skip") + count("disabled") + extra}" time="${total.toFixed(3)}">`);
  for (const report of reports) {
    const c = report.summary;
    const clients = clientCases(report.results);
    out.push(
      `  <testsuite name="regkit.${xmlEscape(report.format)}" tests="${report.results.length + clients + runCases(report)}" failures="${c.fail + runCases(report)}" errors="${c.error}" skipped="${c.skip + c.disabled + clients}" time="${(report.durationMs / 1000).toFixed(3)}" timestamp="${report.startedAt}">`,
      `    <properties><property name="registry" value="${xmlEscape(report.registry)}"/><property name="profile" value="${xmlEscape(report.profile)}"/><property name="runId" value="${report.runId}"/><property name="seed" value="${report.seed}"/><property name="deviations" value="${c.deviation}"/><property name="deviationsGone" value="${c.deviationsGone}"/></properties>`,
    );
    for (const r of report.results) {
      const open = `    <testcase name="${xmlEscape(`${r.scenario} [${r.tokenKind}]`)}" classname="regkit.${xmlEscape(r.format)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
      const message = xmlEscape((r.message ?? "").slice(0, 500));
      const skippedClients = clientsSkippedIn(r);
      // A known deviation passes in CI (the profile records it), with the record in its output; so does a pass without some client.
      if (r.status === "pass" && !r.deviations?.length && skippedClients.length === 0) out.push(`${open}/>`);
      else if (r.status === "pass" || r.status === "deviation") {
        out.push(`${open}>`, `      <properties><property name="status" value="${r.status}"/></properties>`, `      <system-out>${xmlEscape(details(r, report))}</system-out>`, "    </testcase>");
      }
      else if (r.status === "skip" || r.status === "disabled") out.push(`${open}>`, `      <skipped message="${message}"/>`, "    </testcase>");
      else if (r.status === "fail") out.push(`${open}>`, `      <failure message="${message}" type="ConformanceFailure">${xmlEscape(details(r, report))}</failure>`, "    </testcase>");
      else out.push(`${open}>`, `      <error message="${message}" type="ProtocolError">${xmlEscape(details(r, report))}</error>`, "    </testcase>");
      for (const client of skippedClients) {
        out.push(
          `    <testcase name="${xmlEscape(`${r.scenario} [${r.tokenKind}] client ${client.client}`)}" classname="regkit.${xmlEscape(r.format)}" time="0.000">`,
          `      <skipped message="${xmlEscape(`client skipped: ${client.client}: ${client.reason}`.slice(0, 500))}"/>`,
          "    </testcase>",
        );
      }
    }
    // Setup problems and leftovers as test cases of their own: CI's test view shows them with the fix.
    const setup = report.preflight?.problems ?? [];
    if (setup.length > 0) {
      const text = setup.map((p) => `${p.check}: ${p.message}\nfix: ${p.fix}`).join("\n");
      out.push(`    <testcase name="preflight" classname="regkit.${xmlEscape(report.format)}" time="0.000">`, `      <failure message="${xmlEscape(`${setup.length} setup problem(s): ${setup[0]!.message}`.slice(0, 500))}" type="SetupError">${xmlEscape(text)}</failure>`, "    </testcase>");
    }
    if (report.cleanup.left.length > 0) {
      const text = `left on the registry: ${report.cleanup.left.join(", ")}\nremove them with: ${cleanupCommand(report)}`;
      out.push(`    <testcase name="cleanup" classname="regkit.${xmlEscape(report.format)}" time="0.000">`, `      <failure message="${xmlEscape(`${report.cleanup.left.length} package(s) left on the registry`)}" type="Cleanup">${xmlEscape(text)}</failure>`, "    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}

export function junitReporter(file: string): Reporter {
  return fileReporter("junit", file, renderJunit);
}
