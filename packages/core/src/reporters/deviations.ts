import type { Expectation } from "../contract.js";
import type { RunReport } from "../runner.js";

/** One recorded deviation as the reports show it: where it was checked, and whether it still happens. */
export interface DeviationRow {
  readonly id: string;
  readonly summary: string;
  readonly source: string;
  /** `scenario [token kind]` of every result that checked it. */
  readonly where: readonly string[];
  readonly expectation?: Expectation | undefined;
}

/** The recorded deviations a report's results saw again (`observed`) and, of the others, those found gone; each once. */
export function deviationRows(report: RunReport): { readonly observed: readonly DeviationRow[]; readonly gone: readonly DeviationRow[] } {
  const observed = new Map<string, DeviationRow & { where: string[] }>();
  const gone = new Map<string, DeviationRow & { where: string[] }>();
  for (const result of report.results) {
    for (const d of result.deviations ?? []) {
      const into = d.observed ? observed : gone;
      const row = into.get(d.id) ?? { id: d.id, summary: d.summary, source: d.source, where: [], expectation: d.expectation };
      row.where.push(`${result.scenario} [${result.tokenKind}]`);
      into.set(d.id, row);
    }
  }
  // A deviation seen anywhere in the report still happens, whatever another check of it found.
  return { observed: [...observed.values()], gone: [...gone.values()].filter((row) => !observed.has(row.id)) };
}

/** "3 passed, 0 failed, 1 skipped, 0 errors, 2 deviations": the counts every reporter prints. */
export function summaryLine(summary: RunReport["summary"]): string {
  const disabled = summary.disabled > 0 ? `, ${summary.disabled} disabled` : "";
  const base = `${summary.pass} passed, ${summary.fail} failed, ${summary.skip} skipped${disabled}, ${summary.error} errors, ${summary.deviation} known deviations`;
  return summary.deviationsGone > 0 ? `${base} (${summary.deviationsGone} recorded deviations no longer happen)` : base;
}
