/**
 * The compatibility matrix people read: real client (and version) × registry
 * (and profile) × scenario, with pass, fail, deviation or skip and the reason,
 * built from run reports (the CLI's, or the ones the tests leave in
 * `regkit-report/runs/`). A client that is not installed is a skip with the
 * reason, never a pass.
 *
 * @module
 */
import type { ClientRun, TokenKind } from "./contract.js";
import type { RunReport } from "./runner.js";

/** A cell's status: a client's part in the scenarios run against one registry. */
export type CompatibilityStatus = ClientRun["status"];

/** One client at one version, in one format: a row. */
export interface CompatibilityRow {
  readonly key: string;
  readonly format: string;
  readonly client: string;
  /** Absent when the client was not installed (its cells are skips) or did not say. */
  readonly version?: string | undefined;
}

/** One registry under one profile, in one format: a column. */
export interface CompatibilityColumn {
  readonly key: string;
  readonly format: string;
  /** The report's label (`reference`, `verdaccio`), else its URL's host. */
  readonly registry: string;
  readonly profile: string;
}

/** How one scenario went for one client against one registry, over the token kinds it ran under. */
export interface CompatibilityCell {
  readonly scenario: string;
  /** The worst over the token kinds: fail, then deviation, then pass, then skip. */
  readonly status: CompatibilityStatus;
  /** Why, for a fail, deviation or skip: the first such reason. */
  readonly reason?: string | undefined;
  readonly kinds: readonly { readonly tokenKind: TokenKind; readonly status: CompatibilityStatus; readonly reason?: string | undefined }[];
}

export interface CompatibilityMatrix {
  readonly rows: readonly CompatibilityRow[];
  readonly columns: readonly CompatibilityColumn[];
  /** By row key, then column key: the scenarios of that pair, in the order the reports list them. */
  readonly cells: Readonly<Record<string, Readonly<Record<string, readonly CompatibilityCell[]>>>>;
}

const RANK: Record<CompatibilityStatus, number> = { fail: 3, deviation: 2, pass: 1, skip: 0 };

/**
 * The registry's short name: the report's label, else its URL's host; on the
 * loopback the port is left out (tests start registries on random ports, which
 * say nothing about the registry). A URL that does not parse stays as it is.
 */
export function registryLabel(report: Pick<RunReport, "label" | "registry">): string {
  if (report.label) return report.label;
  try {
    const url = new URL(report.registry);
    return ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname) ? url.hostname : url.host;
  } catch {
    return report.registry;
  }
}

/** Builds the matrix from run reports: every client run of every result, grouped. */
export function buildCompatibilityMatrix(reports: readonly RunReport[]): CompatibilityMatrix {
  const rows = new Map<string, CompatibilityRow>();
  const columns = new Map<string, CompatibilityColumn>();
  const cells = new Map<string, Map<string, Map<string, { scenario: string; kinds: { tokenKind: TokenKind; status: CompatibilityStatus; reason?: string | undefined }[] }>>>();
  for (const report of reports) {
    const registry = registryLabel(report);
    const columnKey = `${report.format}\u0000${registry}\u0000${report.profile}`;
    for (const result of report.results) {
      for (const run of result.clients ?? []) {
        const rowKey = `${report.format}\u0000${run.name}\u0000${run.version ?? ""}`;
        if (!rows.has(rowKey)) rows.set(rowKey, { key: rowKey, format: report.format, client: run.name, ...(run.version === undefined ? {} : { version: run.version }) });
        if (!columns.has(columnKey)) columns.set(columnKey, { key: columnKey, format: report.format, registry, profile: report.profile });
        const byColumn = cells.get(rowKey) ?? new Map();
        cells.set(rowKey, byColumn);
        const byScenario = byColumn.get(columnKey) ?? new Map();
        byColumn.set(columnKey, byScenario);
        const cell = byScenario.get(result.scenario) ?? { scenario: result.scenario, kinds: [] };
        byScenario.set(result.scenario, cell);
        cell.kinds.push({ tokenKind: result.tokenKind, status: run.status, ...(run.reason === undefined ? {} : { reason: run.reason }) });
      }
    }
  }
  const out: Record<string, Record<string, CompatibilityCell[]>> = {};
  for (const [rowKey, byColumn] of cells) {
    const row: Record<string, CompatibilityCell[]> = {};
    for (const [columnKey, byScenario] of byColumn) {
      row[columnKey] = [...byScenario.values()].map(({ scenario, kinds }) => {
        const status = kinds.reduce<CompatibilityStatus>((worst, k) => (RANK[k.status] > RANK[worst] ? k.status : worst), "skip");
        const reason = kinds.find((k) => k.status === status && k.reason)?.reason;
        return { scenario, status, ...(reason === undefined ? {} : { reason }), kinds };
      });
    }
    out[rowKey] = row;
  }
  // Plain code-unit order: localeCompare ignores the separator, which would sort "mvn-central" between two "mvn" versions.
  const order = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const byName = <T extends { readonly format: string }>(a: T, b: T, name: (x: T) => string): number => order(a.format, b.format) || order(name(a), name(b));
  return {
    rows: [...rows.values()].sort((a, b) => byName(a, b, (r) => `${r.client}\u0000${r.version ?? ""}`)),
    columns: [...columns.values()].sort((a, b) => byName(a, b, (c) => `${c.registry}\u0000${c.profile}`)),
    cells: out,
  };
}

/** The scenarios of one row and column (empty: the client did not take part against that registry). */
export function compatibilityCells(matrix: CompatibilityMatrix, row: CompatibilityRow, column: CompatibilityColumn): readonly CompatibilityCell[] {
  return matrix.cells[row.key]?.[column.key] ?? [];
}

/** "mvn Apache Maven 3.8.7", or "nuget-exe (not installed or no version)". */
export function rowLabel(row: CompatibilityRow): string {
  return row.version === undefined ? `${row.client} (version unknown: not installed, or it does not say)` : `${row.client} ${row.version}`;
}

const escape = (text: string): string => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

const LABEL: Record<CompatibilityStatus, string> = { pass: "pass", fail: "FAIL", deviation: "deviation", skip: "skip" };

/**
 * The matrix as HTML, one table per format (rows: clients and versions;
 * columns: registries and profiles; in each cell the scenarios with their
 * status and reason). Uses the status classes of the HTML report (`pass`,
 * `fail`, `deviation`, `skip`); the docs page gives them the same colours.
 */
export function renderCompatibilityHtml(matrix: CompatibilityMatrix): string {
  if (matrix.rows.length === 0) return `<p class="meta compatibility-empty">No real client took part in these runs: nothing to show.</p>`;
  const formats = [...new Set(matrix.rows.map((r) => r.format))];
  return formats
    .map((format) => {
      const rows = matrix.rows.filter((r) => r.format === format);
      const columns = matrix.columns.filter((c) => c.format === format);
      const head = columns.map((c) => `<th scope="col" data-registry="${escape(c.registry)}" data-profile="${escape(c.profile)}">${escape(c.registry)}<br><small>profile <code>${escape(c.profile)}</code></small></th>`).join("");
      const body = rows
        .map((row) => {
          const tds = columns.map((column) => {
            const list = compatibilityCells(matrix, row, column);
            if (list.length === 0) return `<td class="compat-cell empty" data-status="none"><small>did not run</small></td>`;
            const items = list
              .map((c) => {
                const kinds = c.kinds.map((k) => `${k.tokenKind}: ${k.status}`).join(", ");
                return `<li class="compat ${c.status}" data-scenario="${escape(c.scenario)}" data-status="${c.status}" title="${escape(kinds)}"><code>${escape(c.scenario)}</code> <strong>${LABEL[c.status]}</strong>${c.reason ? `<br><small class="reason">${escape(c.reason.length > 300 ? `${c.reason.slice(0, 300)}…` : c.reason)}</small>` : ""}</li>`;
              })
              .join("");
            return `<td class="compat-cell"><ul>${items}</ul></td>`;
          });
          return `<tr data-client="${escape(row.client)}"${row.version === undefined ? "" : ` data-version="${escape(row.version)}"`}><th scope="row"><code>${escape(row.client)}</code><br><small class="version">${escape(row.version ?? "version unknown: not installed, or it does not say")}</small></th>${tds.join("")}</tr>`;
        })
        .join("\n");
      return `<h3>${escape(format)}</h3><table class="compatibility" data-format="${escape(format)}"><thead><tr><th>client and version</th>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
    })
    .join("\n");
}

/** The CSS the matrix needs outside the HTML report (the docs site). */
export const COMPATIBILITY_CSS =
  "table.compatibility td.compat-cell ul{list-style:none;margin:0;padding:0}table.compatibility li.compat{padding:2px 6px;margin:2px 0;border-radius:3px}" +
  "table.compatibility li.pass{color:#fff;background:#1a7f37}table.compatibility li.fail{color:#fff;background:#cf222e}table.compatibility li.deviation{color:#fff;background:#9a6700}table.compatibility li.skip{color:#fff;background:#656d76}" +
  "table.compatibility li code{color:inherit}table.compatibility small.reason{font-weight:400}";

/** The matrix as Markdown: one table per format, a cell listing each scenario's status. */
export function renderCompatibilityMarkdown(matrix: CompatibilityMatrix): string {
  if (matrix.rows.length === 0) return "No real client took part in these runs.\n";
  const cellText = (text: string): string => text.replace(/\|/g, "\\|").replace(/\s+/g, " ");
  const out: string[] = [];
  for (const format of [...new Set(matrix.rows.map((r) => r.format))]) {
    const columns = matrix.columns.filter((c) => c.format === format);
    out.push(`### ${format}`, "", `| client and version | ${columns.map((c) => `${cellText(c.registry)} (${cellText(c.profile)})`).join(" | ")} |`, `|---|${columns.map(() => "---").join("|")}|`);
    for (const row of matrix.rows.filter((r) => r.format === format)) {
      const tds = columns.map((column) => {
        const list = compatibilityCells(matrix, row, column);
        return list.length === 0 ? "did not run" : list.map((c) => `\`${c.scenario}\` ${c.status}${c.reason ? `: ${cellText(c.reason.slice(0, 160))}` : ""}`).join("<br>");
      });
      out.push(`| ${cellText(rowLabel(row))} | ${tds.join(" | ")} |`);
    }
    out.push("");
  }
  return `${out.join("\n")}\n`;
}
