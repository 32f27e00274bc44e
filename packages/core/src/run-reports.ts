/**
 * Run reports the tests leave behind, one JSON file per run, so the generated
 * docs can build the compatibility matrix from real runs: with
 * `REGKIT_RUN_REPORTS=regkit-report/runs` (CI sets it), every
 * `describeConformance` writes its run's {@link RunReport} to
 * `<dir>/<format>-<profile>-<registry label>-<run id>.json`. Runs accumulate:
 * clear the directory before a test run whose matrix you want alone.
 *
 * @module
 */
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { registryLabel } from "./matrix.js";
import { REPORT_SCHEMA_VERSION, type RunReport } from "./runner.js";

/** The environment variable naming the directory run reports go to; unset, none is written. */
export const RUN_REPORTS_ENV = "REGKIT_RUN_REPORTS";

/**
 * `<format>-<profile>-<label>-<runId>.json`, with anything but letters,
 * digits, dots and dashes made a dash. The run id keeps two runs of one
 * format, profile and registry (two describe blocks, two test files) apart;
 * the matrix merges them into one column.
 */
export function runReportFile(report: Pick<RunReport, "format" | "profile" | "label" | "registry" | "runId">): string {
  const safe = (text: string): string => text.replace(/[^A-Za-z0-9.-]+/g, "-").replace(/^-+|-+$/g, "") || "registry";
  return `${safe(report.format)}-${safe(report.profile)}-${safe(registryLabel(report))}-${safe(report.runId)}.json`;
}

/** Writes `report` into `dir` (created if missing). Returns the file. */
export async function writeRunReport(dir: string, report: RunReport): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, runReportFile(report));
  await writeFile(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** Every run report in `dir` (none when it does not exist); files that are not a run report of this schema are left out. */
export async function readRunReports(dir: string): Promise<readonly RunReport[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".json")).sort();
  } catch {
    return [];
  }
  const reports: RunReport[] = [];
  for (const name of names) {
    try {
      const parsed: unknown = JSON.parse(await readFile(join(dir, name), "utf8"));
      if (isRunReport(parsed)) reports.push(parsed);
    } catch {
      // A half-written or foreign file is not a run: the matrix is built from the others.
    }
  }
  return reports;
}

function isRunReport(value: unknown): value is RunReport {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return v.schemaVersion === REPORT_SCHEMA_VERSION && typeof v.format === "string" && typeof v.profile === "string" && typeof v.registry === "string" && Array.isArray(v.results);
}
