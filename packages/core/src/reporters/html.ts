import { ALL_TOKEN_KINDS, type Exchange, type LatencySeries, type ResultStatus, type ScenarioResult } from "../contract.js";
import { redact } from "../redact.js";
import type { RunReport } from "../runner.js";
import { deviationRows, summaryLine } from "./deviations.js";
import { type Reporter, fileReporter } from "./types.js";

/** Escapes text for HTML content and attribute values. */
export function htmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const LABEL: Record<ResultStatus, string> = { pass: "pass", fail: "FAIL", skip: "skip", error: "ERROR", deviation: "deviation", disabled: "disabled" };

const CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--skip:#8c959f;--error:#8250df;--deviation:#9a6700;--disabled:#6e7781;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
.meta{color:var(--muted)}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.cell{text-align:center;font-weight:600;min-width:72px}
.pass{color:#fff;background:var(--pass)}.fail{color:#fff;background:var(--fail)}.skip{color:#fff;background:var(--skip)}.error{color:#fff;background:var(--error)}.deviation{color:#fff;background:var(--deviation)}.disabled{color:#fff;background:var(--disabled)}
.badge{display:inline-block;border-radius:10px;padding:0 8px;margin-right:6px;font-size:12px}
.problem{border:1px solid var(--line);border-left:4px solid var(--fail);padding:8px 12px;margin:10px 0;border-radius:4px}
.problem.error{border-left-color:var(--error);background:none;color:var(--fg)}
.problem.deviation{border-left-color:var(--deviation);background:none;color:var(--fg)}
.problem pre,.evidence pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px;margin:4px 0;white-space:pre-wrap;word-break:break-all}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}dt{color:var(--muted)}dd{margin:0;font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
details summary{cursor:pointer;color:var(--muted)}svg.chart{background:#fff;border:1px solid var(--line)}svg.chart text{font:11px system-ui,sans-serif;fill:var(--muted)}
`;

function matrix(report: RunReport): string {
  const kinds = ALL_TOKEN_KINDS.filter((k) => report.results.some((r) => r.tokenKind === k));
  const scenarios = [...new Set(report.results.map((r) => r.scenario))];
  const rows = scenarios.map((scenario) => {
    const cells = kinds.map((kind) => {
      const r = report.results.find((x) => x.scenario === scenario && x.tokenKind === kind);
      if (!r) return `<td class="cell empty"></td>`;
      const title = htmlEscape(r.message ?? r.status);
      return `<td class="cell ${r.status}" data-status="${r.status}" title="${title}">${LABEL[r.status]}</td>`;
    });
    return `<tr><th scope="row"><code>${htmlEscape(scenario)}</code></th>${cells.join("")}</tr>`;
  });
  return `<table class="matrix" data-format="${htmlEscape(report.format)}"><thead><tr><th>scenario</th>${kinds.map((k) => `<th>${k}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function headers(h: Readonly<Record<string, string>>): string {
  return Object.entries(h)
    .map(([k, v]) => `${k}: ${v}`)
    .join("\n");
}

function evidence(e: Exchange): string {
  return `<div class="evidence"><strong>${htmlEscape(e.method)} ${htmlEscape(e.path)} → ${e.status === 0 ? "no response" : e.status}</strong> <span class="meta">(${e.durationMs.toFixed(0)} ms, via ${htmlEscape(e.via)})</span>
<details><summary>request and response</summary><dl><dt>URL</dt><dd>${htmlEscape(e.url)}</dd></dl><pre>${htmlEscape(headers(e.requestHeaders))}</pre><pre>${htmlEscape(headers(e.responseHeaders))}</pre>${e.responseSnippet ? `<pre>${htmlEscape(e.responseSnippet)}</pre>` : ""}</details></div>`;
}

function deviations(report: RunReport): string {
  const { observed, gone } = deviationRows(report);
  const parts: string[] = [];
  if (observed.length) {
    parts.push(`<h2>Known deviations</h2><p class="meta">Recorded in the profile with their source: neither a pass nor a failure.</p>`);
    for (const d of observed) {
      parts.push(`<div class="problem deviation" data-deviation="${htmlEscape(d.id)}"><h3><span class="badge deviation">deviation</span><code>${htmlEscape(d.id)}</code></h3><p>${htmlEscape(d.summary)}</p><dl><dt>source</dt><dd>${htmlEscape(d.source)}</dd><dt>seen in</dt><dd>${htmlEscape(d.where.join(", "))}</dd>${d.expectation ? `<dt>expected</dt><dd>${htmlEscape(d.expectation.expected)}</dd><dt>actual</dt><dd>${htmlEscape(d.expectation.actual)}</dd>` : ""}</dl></div>`);
    }
  }
  if (gone.length) {
    parts.push(`<h2>Recorded deviations that no longer happen</h2><ul class="deviations-gone">${gone.map((d) => `<li data-deviation="${htmlEscape(d.id)}"><code>${htmlEscape(d.id)}</code>: ${htmlEscape(d.summary)} (${htmlEscape(d.source)}): the registry now follows the rule; the profile can drop it.</li>`).join("")}</ul>`);
  }
  return parts.join("\n");
}

function problem(r: ScenarioResult, report: RunReport): string {
  const replay = r.replay ? `regkit run --format ${report.format} --registry ${report.registry} --profile ${report.profile} --scenario ${r.scenario} --token-kind ${r.tokenKind} --seed ${r.replay.seed}` : undefined;
  return `<div class="problem ${r.status}" data-scenario="${htmlEscape(r.scenario)}" data-token-kind="${r.tokenKind}">
<h3><span class="badge ${r.status}">${LABEL[r.status]}</span><code>${htmlEscape(r.scenario)}</code> [${r.tokenKind}]</h3>
<p>${htmlEscape(r.message ?? "")}</p>
${r.expectation ? `<dl><dt>expected</dt><dd>${htmlEscape(r.expectation.expected)}</dd><dt>actual</dt><dd>${htmlEscape(r.expectation.actual)}</dd></dl>` : ""}
${r.exchanges.slice(-6).map(evidence).join("\n")}
${replay ? `<p>Replay (fast-check seed ${r.replay!.seed}${r.replay!.path ? `, path ${htmlEscape(r.replay!.path)}` : ""}):</p><pre>${htmlEscape(replay)}</pre>` : ""}
</div>`;
}

/** An inline SVG line chart of latency against package count, with the budget line. */
export function latencyChart(series: LatencySeries): string {
  const width = 640;
  const height = 240;
  const pad = { left: 48, right: 12, top: 16, bottom: 32 };
  const maxX = Math.max(1, ...series.points.map(([x]) => x));
  const maxY = Math.max(1, series.maxMs * 1.1, Math.min(series.budgetMs, series.maxMs * 4));
  const x = (v: number): number => pad.left + (v / maxX) * (width - pad.left - pad.right);
  const y = (v: number): number => height - pad.bottom - (Math.min(v, maxY) / maxY) * (height - pad.top - pad.bottom);
  const points = series.points.map(([cx, cy]) => `${x(cx).toFixed(1)},${y(cy).toFixed(1)}`).join(" ");
  const budget = series.budgetMs <= maxY ? `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(series.budgetMs)}" y2="${y(series.budgetMs)}" stroke="#cf222e" stroke-dasharray="4 3"/><text x="${width - pad.right - 4}" y="${y(series.budgetMs) - 4}" text-anchor="end">budget ${series.budgetMs} ms</text>` : "";
  const ticks = [0, 0.5, 1].map((f) => `<text x="${pad.left - 6}" y="${y(maxY * f) + 4}" text-anchor="end">${(maxY * f).toFixed(maxY < 10 ? 1 : 0)}</text>`).join("");
  return `<figure><svg class="chart latency" role="img" aria-label="${htmlEscape(series.label)}: latency by package count" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#8c959f"/><line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#8c959f"/>
${ticks}<text x="${width - pad.right}" y="${height - 8}" text-anchor="end">packages: ${maxX}</text><text x="${pad.left}" y="${height - 8}">0</text>
${budget}<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${points}" data-points="${series.points.length}"/>
</svg><figcaption>${htmlEscape(series.label)}: first tenth median ${series.firstTenthMedianMs.toFixed(1)} ms, last tenth ${series.lastTenthMedianMs.toFixed(1)} ms, max ${series.maxMs.toFixed(1)} ms</figcaption></figure>`;
}

function measurements(report: RunReport): string {
  const parts: string[] = [];
  for (const r of report.results) {
    for (const series of r.latency) parts.push(`<h3><code>${htmlEscape(r.scenario)}</code> [${r.tokenKind}]</h3>${latencyChart(series)}`);
  }
  const throughput = report.results.filter((r) => Object.keys(r.throughput).length > 0);
  if (throughput.length > 0) {
    parts.push(
      `<h3>Throughput</h3><table class="throughput"><thead><tr><th>scenario</th><th>token kind</th>${["upload", "download"].map((k) => `<th>${k}</th>`).join("")}</tr></thead><tbody>${throughput
        .map((r) => `<tr><td><code>${htmlEscape(r.scenario)}</code></td><td>${r.tokenKind}</td>${["upload", "download"].map((k) => `<td>${r.throughput[k] === undefined ? "" : `${(r.throughput[k]! / 1e6).toFixed(1)} MB/s`}</td>`).join("")}</tr>`)
        .join("")}</tbody></table>`,
    );
  }
  return parts.length ? `<h2>Measurements</h2>${parts.join("\n")}` : "";
}

/** One self-contained HTML document (no network needed to open it). */
export function renderHtml(reports: readonly RunReport[], options: { secrets?: readonly string[] } = {}): string {
  const sections = reports.map((report) => {
    const s = report.summary;
    const problems = report.results.filter((r) => r.status === "fail" || r.status === "error");
    const skips = report.results.filter((r) => r.status === "skip" || r.status === "disabled");
    return `<section class="report" data-format="${htmlEscape(report.format)}">
<h2>${htmlEscape(report.format)} <span class="meta">· ${htmlEscape(report.registry)} · profile ${htmlEscape(report.profile)}</span></h2>
<p><span class="badge pass">${s.pass} passed</span><span class="badge fail">${s.fail} failed</span><span class="badge error">${s.error} errors</span><span class="badge skip">${s.skip} skipped</span><span class="badge deviation">${s.deviation} known deviations</span>${s.disabled ? `<span class="badge disabled">${s.disabled} disabled</span>` : ""}
<span class="meta">run ${htmlEscape(report.runId)} · seed ${report.seed} · ${new Date(report.startedAt).toISOString()} · ${(report.durationMs / 1000).toFixed(1)} s</span></p>
${matrix(report)}
${problems.length ? `<h2>Failures and errors</h2>${problems.map((r) => problem(r, report)).join("\n")}` : ""}
${deviations(report)}
${measurements(report)}
${skips.length ? `<h2>Skipped</h2><ul>${[...new Set(skips.map((r) => r.message ?? ""))].map((m) => `<li>${htmlEscape(m)}: ${skips.filter((r) => (r.message ?? "") === m).map((r) => `<code>${htmlEscape(r.scenario)}</code> [${r.tokenKind}]`).join(", ")}</li>`).join("")}</ul>` : ""}
${report.cleanup.left.length ? `<p class="meta">Left on the registry: ${report.cleanup.left.map(htmlEscape).join(", ")}</p>` : ""}
</section>`;
  });
  const sum = (key: keyof RunReport["summary"]): number => reports.reduce((t, r) => t + r.summary[key], 0);
  const total = { pass: sum("pass"), fail: sum("fail"), error: sum("error"), skip: sum("skip"), deviation: sum("deviation"), disabled: sum("disabled"), deviationsGone: sum("deviationsGone") };
  const doc = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>regkit conformance report</title><style>${CSS}</style></head>
<body><h1>regkit conformance report</h1>
<p class="meta">${reports.map((r) => htmlEscape(r.format)).join(", ")} · ${htmlEscape(summaryLine(total))}</p>
${sections.join("\n")}
</body></html>
`;
  return options.secrets?.length ? redact(doc, options.secrets) : doc;
}

export function htmlReporter(file: string, options: { secrets?: readonly string[] } = {}): Reporter {
  return fileReporter("html", file, (reports) => renderHtml(reports, options));
}

/** An SVG badge with pass/fail counts per format. */
export function renderBadge(reports: readonly RunReport[]): string {
  const label = "regkit";
  const text =
    reports
      .map((r) => {
        const s = r.summary;
        const ran = s.pass + s.deviation + s.fail + s.error;
        return `${r.format} ${s.pass + s.deviation}/${ran}${s.deviation > 0 ? ` (${s.deviation} dev)` : ""}`;
      })
      .join(" · ") || "no runs";
  const bad = reports.some((r) => r.summary.fail + r.summary.error > 0);
  const colour = reports.length === 0 ? "#9f9f9f" : bad ? "#e05d44" : "#4c1";
  const w1 = 8 + label.length * 7;
  const w2 = 10 + text.length * 6.6;
  const width = Math.round(w1 + w2);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${htmlEscape(`${label}: ${text}`)}"><title>${htmlEscape(`${label}: ${text}`)}</title>
<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>
<clipPath id="r"><rect width="${width}" height="20" rx="3" fill="#fff"/></clipPath>
<g clip-path="url(#r)"><rect width="${w1}" height="20" fill="#555"/><rect x="${w1}" width="${w2}" height="20" fill="${colour}"/><rect width="${width}" height="20" fill="url(#s)"/></g>
<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11"><text x="${w1 / 2}" y="14">${label}</text><text x="${w1 + w2 / 2}" y="14">${htmlEscape(text)}</text></g></svg>
`;
}

export function badgeReporter(file: string): Reporter {
  return fileReporter("badge", file, renderBadge);
}
