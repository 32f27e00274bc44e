import type { ScenarioResult } from "../contract.js";
import type { RunReport } from "../runner.js";
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

function details(r: ScenarioResult): string {
  const lines = [r.message ?? ""];
  if (r.expectation) lines.push(`expected: ${r.expectation.expected}`, `actual:   ${r.expectation.actual}`);
  for (const e of r.exchanges.slice(-6)) {
    lines.push(`request:  ${e.method} ${e.path} -> ${e.status === 0 ? "no response" : e.status} (via ${e.via})`);
    if (e.responseSnippet) lines.push(`          ${e.responseSnippet.slice(0, 300)}`);
  }
  if (r.replay) lines.push(`replay:   --seed ${r.replay.seed} --scenario ${r.scenario} --token-kind ${r.tokenKind}`);
  for (const d of r.deviations ?? []) lines.push(`${d.observed ? "known deviation" : "deviation gone"}: ${d.id}: ${d.summary} (${d.source})`);
  for (const note of r.notes) lines.push(`note:     ${note}`);
  return lines.join("\n");
}

/** JUnit XML as GitLab CI's test reports read it: one suite per format, one case per scenario × token kind. */
export function renderJunit(reports: readonly RunReport[]): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = reports.flatMap((r) => r.results);
  const count = (s: string): number => all.filter((r) => r.status === s).length;
  const total = reports.reduce((t, r) => t + r.durationMs, 0) / 1000;
  out.push(`<testsuites name="regkit" tests="${all.length}" failures="${count("fail")}" errors="${count("error")}" skipped="${count("skip") + count("disabled")}" time="${total.toFixed(3)}">`);
  for (const report of reports) {
    const c = report.summary;
    out.push(
      `  <testsuite name="regkit.${xmlEscape(report.format)}" tests="${report.results.length}" failures="${c.fail}" errors="${c.error}" skipped="${c.skip + c.disabled}" time="${(report.durationMs / 1000).toFixed(3)}" timestamp="${report.startedAt}">`,
      `    <properties><property name="registry" value="${xmlEscape(report.registry)}"/><property name="profile" value="${xmlEscape(report.profile)}"/><property name="runId" value="${report.runId}"/><property name="seed" value="${report.seed}"/><property name="deviations" value="${c.deviation}"/><property name="deviationsGone" value="${c.deviationsGone}"/></properties>`,
    );
    for (const r of report.results) {
      const open = `    <testcase name="${xmlEscape(`${r.scenario} [${r.tokenKind}]`)}" classname="regkit.${xmlEscape(r.format)}" time="${(r.durationMs / 1000).toFixed(3)}"`;
      const message = xmlEscape((r.message ?? "").slice(0, 500));
      // A known deviation passes in CI (the profile records it), with the record in its output.
      if (r.status === "pass" && !r.deviations?.length) out.push(`${open}/>`);
      else if (r.status === "pass" || r.status === "deviation") {
        out.push(`${open}>`, `      <properties><property name="status" value="${r.status}"/></properties>`, `      <system-out>${xmlEscape(details(r))}</system-out>`, "    </testcase>");
      }
      else if (r.status === "skip" || r.status === "disabled") out.push(`${open}>`, `      <skipped message="${message}"/>`, "    </testcase>");
      else if (r.status === "fail") out.push(`${open}>`, `      <failure message="${message}" type="ConformanceFailure">${xmlEscape(details(r))}</failure>`, "    </testcase>");
      else out.push(`${open}>`, `      <error message="${message}" type="ProtocolError">${xmlEscape(details(r))}</error>`, "    </testcase>");
    }
    out.push("  </testsuite>");
  }
  out.push("</testsuites>", "");
  return out.join("\n");
}

export function junitReporter(file: string): Reporter {
  return fileReporter("junit", file, renderJunit);
}
