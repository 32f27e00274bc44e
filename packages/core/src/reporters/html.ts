import { STATUS_CODES } from "node:http";
import { ALL_TOKEN_KINDS, type Exchange, type LatencySeries, type ResultStatus, type ScenarioResult } from "../contract.js";
import { buildCompatibilityMatrix, renderCompatibilityHtml } from "../matrix.js";
import { redact } from "../redact.js";
import type { RunReport } from "../runner.js";
import { clientsSkippedIn, skippedClientRows } from "./clients.js";
import { deviationRows, summaryLine } from "./deviations.js";
import { cleanupCommand, propertyText, replayCommand } from "./replay.js";
import { type Reporter, fileReporter } from "./types.js";

/** Escapes text for HTML content and attribute values. */
export function htmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const LABEL: Record<ResultStatus, string> = { pass: "pass", fail: "FAIL", skip: "skip", error: "ERROR", deviation: "deviation", disabled: "disabled" };

/** Evidence exchanges shown per failure, the last ones (the scenario puts the one that broke last). */
const EVIDENCE = 6;
/** Characters of a response body shown (the recording client keeps 600). */
const BODY_LIMIT = 2000;

// Every colour pair here keeps WCAG AA contrast (4.5:1) for its text: status
// colours carry white text (matrix cells, badges), and cards stay light with
// dark text. A card's status is a data attribute, not a status class, so the
// solid status background of a matrix cell can never paint a whole card (which
// made its evidence white on a pale background). The report test measures it.
const CSS = `
:root{--pass:#1a7f37;--fail:#cf222e;--skip:#656d76;--error:#8250df;--deviation:#9a6700;--disabled:#656d76;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--code:#f6f8fa}
*{box-sizing:border-box}body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg);margin:0;padding:24px;max-width:1200px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid var(--line);padding-bottom:4px}h3{font-size:15px;margin:20px 0 6px}
.meta{color:var(--muted)}table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--code);font-weight:600}td.cell{text-align:center;font-weight:600;min-width:72px}td.cell a{color:inherit}td.cell small{display:block;font-weight:400;font-size:11px}
.pass{color:#fff;background:var(--pass)}.fail{color:#fff;background:var(--fail)}.skip{color:#fff;background:var(--skip)}.error{color:#fff;background:var(--error)}.deviation{color:#fff;background:var(--deviation)}.disabled{color:#fff;background:var(--disabled)}
.badge{display:inline-block;border-radius:10px;padding:0 8px;margin-right:6px;font-size:12px}
.problem{color:var(--fg);background:var(--bg);border:1px solid var(--line);border-left:6px solid var(--fail);padding:10px 14px;margin:14px 0;border-radius:4px}
.problem[data-status=error]{border-left-color:var(--error)}.problem[data-status=deviation]{border-left-color:var(--deviation)}
.problem h3,.problem h4{margin:0 0 6px}.problem .title{font-weight:400}.problem .message{margin:4px 0 8px}
.label{font-size:12px;font-weight:600;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);margin:8px 0 2px}
pre{background:var(--code);color:var(--fg);padding:8px;overflow:auto;font-size:12px;margin:2px 0;white-space:pre-wrap;word-break:break-all;border-radius:3px}
details.exchange{border-top:1px solid var(--line);margin-top:8px;padding-top:6px}details.exchange>summary{cursor:pointer}
.panes{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:10px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:6px 0}dt{color:var(--muted);font-weight:600}dd{margin:0;font-family:ui-monospace,monospace;white-space:pre-wrap;word-break:break-all}
.replay{border-top:1px solid var(--line);margin-top:10px;padding-top:4px}
.all-clear{font-weight:600;color:var(--pass)}
svg.chart{background:#fff;border:1px solid var(--line)}svg.chart text{font:11px system-ui,sans-serif;fill:var(--muted)}
table.compatibility td.compat-cell ul{list-style:none;margin:0;padding:0}table.compatibility li.compat{padding:2px 6px;margin:2px 0;border-radius:3px}table.compatibility li code{color:inherit}table.compatibility small.reason{font-weight:400}
`;

const statusText = (status: number): string => (status === 0 ? "no response" : `${status}${STATUS_CODES[status] ? ` ${STATUS_CODES[status]}` : ""}`);

function anchorOf(format: string, r: ScenarioResult): string {
  return `problem-${format}-${r.scenario}-${r.tokenKind}`.replace(/[^A-Za-z0-9_.-]/g, "_");
}

function matrix(report: RunReport): string {
  const kinds = ALL_TOKEN_KINDS.filter((k) => report.results.some((r) => r.tokenKind === k));
  const scenarios = [...new Set(report.results.map((r) => r.scenario))];
  const rows = scenarios.map((scenario) => {
    const cells = kinds.map((kind) => {
      const r = report.results.find((x) => x.scenario === scenario && x.tokenKind === kind);
      if (!r) return `<td class="cell empty"></td>`;
      const skipped = clientsSkippedIn(r);
      const title = htmlEscape([r.message ?? r.status, ...skipped.map((c) => `${c.client} skipped: ${c.reason}`)].join("; "));
      const label = r.status === "fail" || r.status === "error" ? `<a href="#${anchorOf(report.format, r)}">${LABEL[r.status]}</a>` : LABEL[r.status];
      const clients = skipped.length ? `<small class="clients-skipped">${htmlEscape(skipped.map((c) => c.client).join(", "))} skipped</small>` : "";
      return `<td class="cell ${r.status}" data-status="${r.status}"${skipped.length ? ` data-clients-skipped="${htmlEscape(skipped.map((c) => c.client).join(","))}"` : ""} title="${title}">${label}${clients}</td>`;
    });
    return `<tr><th scope="row"><code>${htmlEscape(scenario)}</code></th>${cells.join("")}</tr>`;
  });
  return `<table class="matrix" data-format="${htmlEscape(report.format)}"><thead><tr><th>scenario</th>${kinds.map((k) => `<th>${k}</th>`).join("")}</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function headers(h: Readonly<Record<string, string>>): string {
  const lines = Object.entries(h).map(([k, v]) => `${k}: ${v}`);
  return lines.length ? lines.join("\n") : "(no headers recorded)";
}

function body(snippet: string | undefined): string {
  if (snippet === undefined || snippet === "") return `<div class="label">body</div><pre class="body">(no body recorded: only error and unexpected bodies are kept)</pre>`;
  const shown = snippet.length > BODY_LIMIT ? `${snippet.slice(0, BODY_LIMIT)}\n… (${snippet.length - BODY_LIMIT} more characters)` : snippet;
  return `<div class="label">body (first ${Math.min(snippet.length, BODY_LIMIT)} characters)</div><pre class="body">${htmlEscape(shown)}</pre>`;
}

/** One exchange: what was sent and what came back, side by side, labelled and open. */
function evidence(e: Exchange, index: number, count: number): string {
  const position = count > 1 ? ` · request ${index + 1} of ${count}` : "";
  return `<details class="exchange" open><summary><code>${htmlEscape(e.method)} ${htmlEscape(e.path)}</code> → <strong>${htmlEscape(statusText(e.status))}</strong> <span class="meta">${e.durationMs.toFixed(0)} ms · via ${htmlEscape(e.via)}${position}</span></summary>
<div class="panes"><div class="pane request" data-pane="request"><div class="label">request</div><pre class="start">${htmlEscape(e.method)} ${htmlEscape(e.url)}</pre><div class="label">headers</div><pre class="headers">${htmlEscape(headers(e.requestHeaders))}</pre></div>
<div class="pane response" data-pane="response"><div class="label">response</div><pre class="start">${htmlEscape(statusText(e.status))}</pre><div class="label">headers</div><pre class="headers">${htmlEscape(headers(e.responseHeaders))}</pre>${body(e.responseSnippet)}</div></div></details>`;
}

function deviations(report: RunReport): string {
  const { observed, gone } = deviationRows(report);
  const parts: string[] = [];
  if (observed.length) {
    parts.push(`<h3>Known deviations</h3><p class="meta">Recorded in the profile with their source: neither a pass nor a failure.</p>`);
    for (const d of observed) {
      parts.push(`<div class="problem" data-status="deviation" data-deviation="${htmlEscape(d.id)}"><h4><span class="badge deviation">deviation</span><code>${htmlEscape(d.id)}</code></h4><p>${htmlEscape(d.summary)}</p><dl><dt>source</dt><dd>${htmlEscape(d.source)}</dd><dt>seen in</dt><dd>${htmlEscape(d.where.join(", "))}</dd>${d.expectation ? `<dt>expected</dt><dd>${htmlEscape(d.expectation.expected)}</dd><dt>actual</dt><dd>${htmlEscape(d.expectation.actual)}</dd>` : ""}</dl></div>`);
    }
  }
  if (gone.length) {
    parts.push(`<h3>Recorded deviations that no longer happen</h3><ul class="deviations-gone">${gone.map((d) => `<li data-deviation="${htmlEscape(d.id)}"><code>${htmlEscape(d.id)}</code>: ${htmlEscape(d.summary)} (${htmlEscape(d.source)}): the registry now follows the rule; the profile can drop it.</li>`).join("")}</ul>`);
  }
  return parts.join("\n");
}

/** A failure or error card: what was expected and came back, the requests and responses, and how to replay it. */
function problem(r: ScenarioResult, report: RunReport): string {
  const shown = r.exchanges.slice(-EVIDENCE);
  const earlier = r.exchanges.length - shown.length;
  const property = propertyText(r);
  const notes = r.notes.length ? `<div class="label">notes</div><ul class="notes">${r.notes.map((n) => `<li>${htmlEscape(n)}</li>`).join("")}</ul>` : "";
  return `<article class="problem" data-status="${r.status}" id="${anchorOf(report.format, r)}" data-format="${htmlEscape(report.format)}" data-scenario="${htmlEscape(r.scenario)}" data-token-kind="${r.tokenKind}">
<h3><span class="badge ${r.status}">${LABEL[r.status]}</span><code>${htmlEscape(r.scenario)}</code> [${r.tokenKind}] <span class="title">· ${htmlEscape(r.title)}</span> <span class="meta">· ${htmlEscape(report.format)}</span></h3>
<p class="message">${htmlEscape(r.message ?? "")}</p>
${r.expectation ? `<dl class="expectation"><dt>expected</dt><dd class="expected">${htmlEscape(r.expectation.expected)}</dd><dt>actual</dt><dd class="actual">${htmlEscape(r.expectation.actual)}</dd></dl>` : ""}
${shown.length ? `${earlier > 0 ? `<p class="meta">the last ${shown.length} of ${r.exchanges.length} requests:</p>` : ""}${shown.map((e, i) => evidence(e, i, shown.length)).join("\n")}` : `<p class="meta">no request recorded for this result</p>`}
${notes}
<div class="replay"><div class="label">replay</div><pre class="command">${htmlEscape(replayCommand(report, r))}</pre><p class="meta">with the run's REGKIT_* credentials in the environment</p>${property ? `<div class="label">fast-check seed</div><p class="seed">${htmlEscape(property)}</p>` : ""}</div>
</article>`;
}

/** "versions published" or "packages published": what push.many counted along the x axis of a series. */
function countUnit(series: LatencySeries): string {
  return /\bversions?\b/i.test(series.label) ? "versions published" : "packages published";
}

/** An inline SVG line chart of latency (ms) against the count published, with the budget line and both axes labelled. */
export function latencyChart(series: LatencySeries): string {
  const width = 640;
  const height = 240;
  const pad = { left: 72, right: 12, top: 16, bottom: 44 };
  const unit = countUnit(series);
  const maxX = Math.max(1, ...series.points.map(([x]) => x));
  const maxY = Math.max(1, series.maxMs * 1.1, Math.min(series.budgetMs, series.maxMs * 4));
  const x = (v: number): number => pad.left + (v / maxX) * (width - pad.left - pad.right);
  const y = (v: number): number => height - pad.bottom - (Math.min(v, maxY) / maxY) * (height - pad.top - pad.bottom);
  const points = series.points.map(([cx, cy]) => `${x(cx).toFixed(1)},${y(cy).toFixed(1)}`).join(" ");
  const budget = series.budgetMs <= maxY ? `<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(series.budgetMs)}" y2="${y(series.budgetMs)}" stroke="#cf222e" stroke-dasharray="4 3"/><text x="${width - pad.right - 4}" y="${y(series.budgetMs) - 4}" text-anchor="end">budget ${series.budgetMs} ms</text>` : "";
  const yTicks = [0, 0.5, 1].map((f) => `<text class="tick y" x="${pad.left - 6}" y="${y(maxY * f) + 4}" text-anchor="end">${(maxY * f).toFixed(maxY < 10 ? 1 : 0)} ms</text>`).join("");
  const xTicks = [...new Set([0, Math.round(maxX / 2), maxX])].map((v) => `<text class="tick x" x="${x(v)}" y="${height - pad.bottom + 14}" text-anchor="middle">${v}</text>`).join("");
  const axisTitles = `<text class="axis x" x="${(pad.left + width - pad.right) / 2}" y="${height - 6}" text-anchor="middle">${unit}</text><text class="axis y" transform="translate(14 ${(pad.top + height - pad.bottom) / 2}) rotate(-90)" text-anchor="middle">latency (ms)</text>`;
  return `<figure><svg class="chart latency" role="img" aria-label="${htmlEscape(series.label)}: metadata latency (ms) by ${unit}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">
<line x1="${pad.left}" y1="${height - pad.bottom}" x2="${width - pad.right}" y2="${height - pad.bottom}" stroke="#8c959f"/><line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${height - pad.bottom}" stroke="#8c959f"/>
${yTicks}${xTicks}${axisTitles}
${budget}<polyline fill="none" stroke="#0969da" stroke-width="1.5" points="${points}" data-points="${series.points.length}"/>
</svg><figcaption>${htmlEscape(series.label)}: metadata latency after each publish; median of the first tenth ${series.firstTenthMedianMs.toFixed(1)} ms, of the last tenth ${series.lastTenthMedianMs.toFixed(1)} ms, max ${series.maxMs.toFixed(1)} ms</figcaption></figure>`;
}

function measurements(report: RunReport): string {
  const parts: string[] = [];
  // One heading per result, its charts under it: push.many has a series for versions and one for packages.
  for (const r of report.results) {
    if (r.latency.length) parts.push(`<h4><code>${htmlEscape(r.scenario)}</code> [${r.tokenKind}]</h4>${r.latency.map(latencyChart).join("\n")}`);
  }
  const throughput = report.results.filter((r) => Object.keys(r.throughput).length > 0);
  if (throughput.length > 0) {
    parts.push(
      `<h4>Throughput</h4><table class="throughput"><thead><tr><th>scenario</th><th>token kind</th>${["upload", "download"].map((k) => `<th>${k}</th>`).join("")}</tr></thead><tbody>${throughput
        .map((r) => `<tr><td><code>${htmlEscape(r.scenario)}</code></td><td>${r.tokenKind}</td>${["upload", "download"].map((k) => `<td>${r.throughput[k] === undefined ? "" : `${(r.throughput[k]! / 1e6).toFixed(1)} MB/s`}</td>`).join("")}</tr>`)
        .join("")}</tbody></table>`,
    );
  }
  return parts.length ? `<h3>Measurements</h3>${parts.join("\n")}` : "";
}

/** Real clients the results did not run (the tool is not on this machine): each a skip of that client, listed with where. */
function clientsNotRun(report: RunReport): string {
  const rows = skippedClientRows(report);
  if (rows.length === 0) return "";
  const items = rows.map((row) => `<li data-client="${htmlEscape(row.client)}"><span class="badge skip">skipped</span><strong>${htmlEscape(row.client)}</strong>: ${htmlEscape(row.reason)}; in ${row.results.map((r) => `<code>${htmlEscape(r.scenario)}</code> [${r.tokenKind}] (${LABEL[r.status]})`).join(", ")}</li>`);
  return `<h3>Real clients skipped</h3><p class="meta">Not on this machine, so not run: the results they are missing from come from the clients that did run.</p><ul class="clients-skipped">${items.join("")}</ul>`;
}

/** Client (and version) × registry (and profile) × scenario, from every report: which real client works with which registry. */
function compatibility(reports: readonly RunReport[]): string {
  return `<section class="compatibility"><h2>Compatibility</h2><p class="meta">Each real client at its version against each registry and profile: the scenarios it took part in, with pass, fail, deviation or skip and the reason. A client that is not installed is a skip with the reason, never a pass.</p>
${renderCompatibilityHtml(buildCompatibilityMatrix(reports))}
</section>`;
}

/** One self-contained HTML document (no network needed to open it): setup problems and failures first, then each format's matrix and details. */
export function renderHtml(reports: readonly RunReport[], options: { secrets?: readonly string[] } = {}): string {
  const repeated = (format: string): boolean => reports.filter((r) => r.format === format).length > 1;
  const problems = reports.flatMap((report) => report.results.filter((r) => r.status === "fail" || r.status === "error").map((r) => problem(r, report)));
  const sections = reports.map((report) => {
    const s = report.summary;
    const skips = report.results.filter((r) => r.status === "skip" || r.status === "disabled");
    return `<section class="report" data-format="${htmlEscape(report.format)}">
<h2>${htmlEscape(report.format)} <span class="meta">· ${htmlEscape(report.registry)} · profile ${htmlEscape(report.profile)}${repeated(report.format) ? ` · run ${htmlEscape(report.runId)}` : ""}</span></h2>
<p><span class="badge pass">${s.pass} passed</span><span class="badge fail">${s.fail} failed</span><span class="badge error">${s.error} errors</span><span class="badge skip">${s.skip} skipped</span><span class="badge deviation">${s.deviation} known deviations</span>${s.disabled ? `<span class="badge disabled">${s.disabled} disabled</span>` : ""}
<span class="meta">run ${htmlEscape(report.runId)} · seed ${report.seed} · ${new Date(report.startedAt).toISOString()} · ${(report.durationMs / 1000).toFixed(1)} s</span></p>
${matrix(report)}
${clientsNotRun(report)}
${deviations(report)}
${measurements(report)}
${skips.length ? `<h3>Skipped</h3><ul>${[...new Set(skips.map((r) => r.message ?? ""))].map((m) => `<li>${htmlEscape(m)}: ${skips.filter((r) => (r.message ?? "") === m).map((r) => `<code>${htmlEscape(r.scenario)}</code> [${r.tokenKind}]`).join(", ")}</li>`).join("")}</ul>` : ""}
${report.cleanup.left.length ? `<p class="meta">Left on the registry: ${report.cleanup.left.map(htmlEscape).join(", ")}. Remove them with <code>${htmlEscape(cleanupCommand(report))}</code></p>` : ""}
</section>`;
  });
  const sum = (key: keyof RunReport["summary"]): number => reports.reduce((t, r) => t + r.summary[key], 0);
  const total = { pass: sum("pass"), fail: sum("fail"), error: sum("error"), skip: sum("skip"), deviation: sum("deviation"), disabled: sum("disabled"), deviationsGone: sum("deviationsGone") };
  // Setup problems come before everything: while they last, the scenarios they concern did not run at all.
  const setup = reports.flatMap((report) =>
    (report.preflight?.problems ?? []).map(
      (p) => `<article class="problem setup" data-status="error" data-format="${htmlEscape(report.format)}" data-check="${htmlEscape(p.check)}"><h3><span class="badge error">SETUP</span><code>${htmlEscape(p.check)}</code> <span class="meta">· ${htmlEscape(report.format)}</span></h3><p class="message">${htmlEscape(p.message)}</p><dl><dt>fix</dt><dd>${htmlEscape(p.fix)}</dd></dl></article>`,
    ),
  );
  const setupSection = setup.length ? `<section class="setup"><h2>Setup problems (${setup.length})</h2><p class="meta">Found before the scenarios ran; the scenarios they concern were not run.</p>\n${setup.join("\n")}\n</section>\n` : "";
  const failures = problems.length
    ? `<section class="failures"><h2>Failures and errors (${problems.length})</h2>\n${problems.join("\n")}\n</section>`
    : `<p class="all-clear">No failures or errors.</p>`;
  const doc = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>regkit conformance report</title><style>${CSS}</style></head>
<body><h1>regkit conformance report</h1>
<p class="meta">${reports.map((r) => htmlEscape(r.format)).join(", ")} · ${htmlEscape(summaryLine(total))}</p>
${setupSection}${failures}
${compatibility(reports)}
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
