import type { ScenarioResult } from "../contract.js";
import type { RunReport } from "../runner.js";
import { type SkippedClient, skippedClients } from "../scenarios/clients.js";

/** A real client that a report's results did not run, for one reason, with the results it is missing from. */
export interface SkippedClientRow {
  readonly client: string;
  readonly reason: string;
  readonly results: readonly ScenarioResult[];
}

/**
 * Each real client the results of a report skipped (not on the machine), once
 * per reason. A result that was skipped as a whole says why in its own message,
 * so only results that ran are counted here: those whose status stands on the
 * clients that did run.
 */
export function skippedClientRows(report: RunReport): readonly SkippedClientRow[] {
  const rows = new Map<string, { client: string; reason: string; results: ScenarioResult[] }>();
  for (const result of report.results) {
    for (const { client, reason } of clientsSkippedIn(result)) {
      const key = `${client}\u0000${reason}`;
      const row = rows.get(key) ?? { client, reason, results: [] };
      row.results.push(result);
      rows.set(key, row);
    }
  }
  return [...rows.values()];
}

/** The clients a result ran without (none for a result skipped or disabled as a whole). */
export function clientsSkippedIn(result: ScenarioResult): readonly SkippedClient[] {
  return result.status === "skip" || result.status === "disabled" ? [] : skippedClients(result);
}
