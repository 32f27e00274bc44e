/**
 * The replay command of a failure, as every reporter prints it: the exact
 * `regkit run` that repeats that one scenario under that one token kind with
 * everything that shaped the run (the seed, and each setting the run changed:
 * an instance limit, the size of the large package, the push.many counts), so
 * that replaying a failure found with small numbers does not send gigabytes.
 *
 * @module
 */
import { DEFAULT_OPTIONS, type ScenarioResult } from "../contract.js";
import type { RunReport } from "../runner.js";

// Settings whose value is a size: written with a unit, as a person would type them.
const SIZE_SETTINGS = new Set(["maxFileSize", "largeSize"]);
const SIZE_UNITS: readonly (readonly [string, number])[] = [
  ["GiB", 1024 ** 3],
  ["MiB", 1024 ** 2],
  ["KiB", 1024],
  ["GB", 1e9],
  ["MB", 1e6],
  ["kB", 1e3],
];

/** Whether fast-check found this failure (a property scenario): only then is its seed a "fast-check seed". */
export function isPropertyFailure(result: ScenarioResult): boolean {
  return result.replay?.path !== undefined;
}

/** A size in bytes with the largest unit that divides it exactly (`3GiB`, `1500kB`, `1234B`; `0`, zero in any unit). */
export function sizeText(bytes: number): string {
  if (bytes === 0) return "0";
  for (const [unit, factor] of SIZE_UNITS) {
    if (bytes > 0 && bytes % factor === 0) return `${bytes / factor}${unit}`;
  }
  return `${bytes}B`;
}

function settingText(key: string, value: unknown): string {
  if (SIZE_SETTINGS.has(key) && typeof value === "number") return sizeText(value);
  if (Array.isArray(value)) return value.map(String).join(",");
  return String(value);
}

/**
 * The defaults the report says its settings had before the run changed them,
 * when it carries them (`settingDefaults`, written by the runner from the
 * profile). Read defensively: older reports do not have them.
 */
function defaultsOf(report: RunReport): ReadonlyMap<string, unknown> | undefined {
  if (!("settingDefaults" in report)) return undefined;
  const defaults = report.settingDefaults;
  if (typeof defaults !== "object" || defaults === null || Array.isArray(defaults)) return undefined;
  return new Map<string, unknown>(Object.entries(defaults));
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The settings a replay must carry, `key=value` as `--set` takes them, sorted
 * by key: those that differ from the profile's defaults. A report without the
 * defaults gives every setting except the scenario options left at core's
 * defaults (harmless: a setting at its default changes nothing), so the
 * command stays exact either way.
 */
export function replaySettings(report: RunReport): readonly string[] {
  const defaults = defaultsOf(report);
  const options = new Map<string, unknown>(Object.entries(DEFAULT_OPTIONS));
  return Object.entries(report.settings)
    .filter(([key, value]) => {
      if (value === undefined) return false;
      if (defaults?.has(key)) return !same(defaults.get(key), value);
      return !(options.has(key) && same(options.get(key), value));
    })
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${settingText(key, value)}`);
}

/** Quotes a word for a POSIX shell when it needs it. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The exact `regkit run` that repeats one result: its scenario, its token kind, the run's seed and settings. */
export function replayCommand(report: RunReport, result: ScenarioResult): string {
  const words = [
    "regkit", "run",
    "--format", report.format,
    "--registry", report.registry,
    "--profile", report.profile,
    "--scenario", result.scenario,
    "--token-kind", result.tokenKind,
    "--seed", String(result.replay?.seed ?? report.seed),
    ...replaySettings(report).flatMap((pair) => ["--set", pair]),
  ];
  return words.map(shellQuote).join(" ");
}

/** "fast-check seed 77, counterexample path 0:1", for property failures only. */
export function propertyText(result: ScenarioResult): string | undefined {
  if (!result.replay || !isPropertyFailure(result)) return undefined;
  return `fast-check seed ${result.replay.seed}${result.replay.path ? `, counterexample path ${result.replay.path}` : ""}`;
}

/**
 * The `regkit cleanup` command that removes what run `runId` left (credentials
 * stay in the environment): reports, vitest and the CLI all print this one.
 */
export function cleanupCommand(run: { readonly format: string; readonly registry: string; readonly profile?: string | undefined; readonly runId: string }): string {
  const profile = run.profile ? ["--profile", run.profile] : [];
  return ["regkit", "cleanup", "--format", run.format, "--registry", run.registry, ...profile, "--run-id", run.runId].map(shellQuote).join(" ");
}
