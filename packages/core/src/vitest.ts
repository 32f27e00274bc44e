/**
 * vitest integration: `describeConformance(kit, target)` in your own suite
 * gives one test per scenario × token kind, running exactly what the CLI runs,
 * between a "preflight" test (the setup: registry, URL, project, credentials)
 * and a "cleanup" test (everything the run created removed).
 *
 * @module
 */
import { afterAll, describe, test } from "vitest";
import type { FormatKit, GitLabFact, AnyProfile, RegistryClient, ScenarioResult, Target, TokenKind } from "./contract.js";
import type { PreflightProblem } from "./preflight.js";
import { redact, redactUrl } from "./redact.js";
import { cleanupCommand } from "./reporters/replay.js";
// The type formatProblems takes, public from this entry (the main entry's index does not list it yet).
export type { PreflightProblem, PreflightReport } from "./preflight.js";
import { RUN_REPORTS_ENV, writeRunReport } from "./run-reports.js";
import { CLEANUP_TIMEOUT_MS, REGKIT_VERSION, REPORT_SCHEMA_VERSION, RunSession, SCENARIO_TIMEOUT_MS, exclusionOf, kindsOf, newRunId, selectScenarios, summarize, type CleanupReport, type RunReport } from "./runner.js";

export interface DescribeConformanceOptions {
  /** Scenario ids or prefixes. */
  readonly scenarios?: readonly string[];
  readonly tokenKinds?: readonly TokenKind[];
  /** Defaults to REGKIT_SEED, else random (printed in failures). */
  readonly seed?: number;
  readonly runId?: string;
  /** Per scenario × token kind, ms, for every scenario; when absent, a scenario's own limit, else 300 s (as `runConformance`). */
  readonly timeoutMs?: number;
  /** Called with every result (to feed a reporter). */
  readonly onResult?: (result: ScenarioResult) => void;
  /**
   * Scenarios (ids or prefixes) not to run, each with the reason: vitest
   * marks them skipped with `disabled: <reason>` (status `disabled` in
   * results), apart from scenarios the target cannot run.
   */
  readonly exclude?: Readonly<Record<string, string>>;
  /** The longest the final cleanup may take (default 120 s): what it did not remove by then is listed as left. */
  readonly cleanupTimeoutMs?: number;
  /**
   * A short name of the registry (`reference`, `verdaccio`, `nginx`): the
   * compatibility matrix's column and the run report's file name. Absent: the
   * registry URL's host.
   */
  readonly label?: string;
  /**
   * Where to write this run's report as JSON (`<format>-<profile>-<label>-<runId>.json`)
   * once it ends, for the compatibility matrix of the generated docs. Absent:
   * the directory `REGKIT_RUN_REPORTS` names, else none is written.
   */
  readonly reportDir?: string;
}

/** The preflight checks at most min(15 s, requestTimeoutMs) twice over: reaching the registry, then its reads. */
const PREFLIGHT_TEST_TIMEOUT_MS = 45_000;

/** The preflight's problems as a test failure message: each once, with its fix. */
export function formatProblems(problems: readonly PreflightProblem[]): string {
  const lines = [`setup error (${problems.length === 1 ? "1 problem" : `${problems.length} problems`}): the scenarios it concerns were not run`];
  for (const p of problems) lines.push(`  - ${p.message}`, `    fix: ${p.fix}`);
  return lines.join("\n");
}

/** What the run left on the registry and the command that removes it, for a person reading the test output. */
function leftoverText(session: RunSession, cleanup: CleanupReport): string {
  const { left, errors } = cleanup;
  const registry = redactUrl(session.target.registry, session.secrets);
  const command = cleanupCommand({ format: session.kit.format, registry, profile: session.target.profile.name, runId: session.runId });
  return [
    `regkit: run ${session.runId} left ${left.length} package${left.length === 1 ? "" : "s"} on ${registry}: ${left.slice(0, 10).join(", ")}${left.length > 10 ? ` (+${left.length - 10})` : ""}`,
    ...errors.slice(0, 3).map((e) => `  ${redact(e, session.secrets)}`),
    ...(errors.length > 3 ? [`  (+${errors.length - 3} more)`] : []),
    `remove them with: ${command}`,
  ].join("\n");
}

/** Formats a failed result as a test failure message: expected, actual, requests, replay. */
export function formatFailure(result: ScenarioResult): string {
  const lines = [`${result.scenario} [${result.tokenKind}] ${result.status}: ${result.message ?? ""}`];
  if (result.expectation) lines.push(`  expected: ${result.expectation.expected}`, `  actual:   ${result.expectation.actual}`);
  for (const e of result.exchanges.slice(-4)) {
    lines.push(`  request:  ${e.method} ${e.path} -> ${e.status === 0 ? "no response" : e.status} (via ${e.via})`);
    if (e.responseSnippet) lines.push(`            ${e.responseSnippet.slice(0, 200).replace(/\s+/g, " ")}`);
  }
  if (result.replay) lines.push(`  replay:   REGKIT_SEED=${result.replay.seed}${result.replay.path ? ` (path ${result.replay.path})` : ""}`);
  return lines.join("\n");
}

/**
 * A vitest `describe` block: one test per scenario × token kind of `kit`
 * against `target`. Typed by the kit, so a kit's own scenarios and settings
 * are checked against it.
 */
export function describeConformance<C extends RegistryClient, P extends AnyProfile>(kit: FormatKit<C, P>, target: Target, options: DescribeConformanceOptions = {}): void {
  const envSeed = Number(process.env.REGKIT_SEED);
  const seed = options.seed ?? (Number.isInteger(envSeed) ? envSeed : Math.floor(Math.random() * 2 ** 31));
  const runId = options.runId ?? newRunId();
  const limitOf = (scenario: { readonly timeoutMs?: number | undefined }): number => options.timeoutMs ?? scenario.timeoutMs ?? SCENARIO_TIMEOUT_MS;
  let session: RunSession | undefined;
  let startedAt: Date | undefined;
  // Every result, for the run report written at the end (the compatibility matrix reads it).
  const results: ScenarioResult[] = [];
  const emit = (result: ScenarioResult): void => {
    results.push(result);
    options.onResult?.(result);
  };
  // The target's own fields name the credentials in skip reasons (`credentials.deploy`), not REGKIT_* variables vitest never reads.
  const open = (): RunSession => {
    startedAt ??= new Date();
    return (session ??= new RunSession(kit, target, runId, seed, options.tokenKinds, "target"));
  };
  const scenarios = selectScenarios(kit, options.scenarios);
  // What will run: the preflight checks the credentials of these pairs only.
  const pairs = scenarios.flatMap((scenario) =>
    exclusionOf(scenario, options.exclude) !== undefined ? [] : kindsOf(scenario).filter((kind) => !options.tokenKinds || options.tokenKinds.includes(kind)).map((kind) => ({ scenario, kind })),
  );
  let cleaned: Promise<CleanupReport> | undefined;
  // One cleanup, whether the "cleanup" test or afterAll (when that test was filtered out) gets there first.
  const cleanup = (opened: RunSession): Promise<CleanupReport> => (cleaned ??= opened.cleanup({ timeoutMs: options.cleanupTimeoutMs }));
  const cleanupLimit = (options.cleanupTimeoutMs ?? CLEANUP_TIMEOUT_MS) + 10_000;

  describe(`${kit.format} conformance (${target.profile ?? kit.defaultProfile}, seed ${seed}, run ${runId})`, () => {
    test("preflight", { timeout: PREFLIGHT_TEST_TIMEOUT_MS }, async () => {
      const outcome = await open().preflight(pairs);
      if (outcome.problems.length > 0) failWith(formatProblems(outcome.problems));
      if (outcome.silent) failWith(outcome.silent);
    });
    for (const scenario of scenarios) {
      const disabled = exclusionOf(scenario, options.exclude);
      describe(scenario.id, () => {
        for (const kind of kindsOf(scenario)) {
          if (options.tokenKinds && !options.tokenKinds.includes(kind)) continue;
          if (disabled !== undefined) {
            test.skip(`${kind} (disabled: ${disabled})`, () => {});
            emit({ format: kit.format, scenario: scenario.id, title: scenario.title, tokenKind: kind, status: "disabled", message: `disabled: ${disabled}`, exchanges: [], durationMs: 0, notes: [], latency: [], throughput: {} });
            continue;
          }
          test(kind, { timeout: PREFLIGHT_TEST_TIMEOUT_MS + limitOf(scenario) + 10_000 }, async (ctx) => {
            const opened = open();
            // Run with -t, the "preflight" test may not have run: the checks still come first.
            const { silent } = await opened.preflight(pairs);
            const result: ScenarioResult = silent
              ? { format: kit.format, scenario: scenario.id, title: scenario.title, tokenKind: kind, status: "error", message: silent, exchanges: [], durationMs: 0, notes: [], latency: [], throughput: {} }
              : await opened.runOne(scenario, kind, limitOf(scenario));
            emit(result);
            if (result.status === "skip") {
              ctx.skip(result.message);
              return;
            }
            if (result.status === "deviation") {
              // Recorded in the profile with its source: not a failure; vitest shows the note.
              await ctx.annotate(`known deviation: ${result.message ?? ""}`, "notice");
              return;
            }
            if (result.status !== "pass") failWith(formatFailure(result));
          });
        }
      });
    }
    test("cleanup", { timeout: cleanupLimit }, async (ctx) => {
      if (!session) {
        ctx.skip("no scenario ran: nothing to remove");
        return;
      }
      const report = await cleanup(session);
      // A registry with no way to delete (a plain WebDAV repository) keeps what the run made: expected, said, not failed.
      const { capabilities, profile } = session.target;
      if (report.left.length > 0 && report.errors.length === 0 && !capabilities.delete && !profile.packagesApi) {
        ctx.skip(`the ${profile.name} profile has no delete: ${report.left.length} package(s) stay on the registry (listed in the warning below)`);
        return;
      }
      if (report.left.length > 0 || report.errors.length > 0) failWith(leftoverText(session, report));
    });
    afterAll(async () => {
      if (!session) return;
      const report = await cleanup(session);
      // Said wherever the run ended: the "cleanup" test may have been filtered out, and a CI log shows warnings.
      if (report.left.length > 0) console.warn(leftoverText(session, report));
      const dir = options.reportDir ?? process.env[RUN_REPORTS_ENV];
      if (dir) await writeRunReport(dir, runReport(session, startedAt ?? new Date(), results, report, options.label));
    }, cleanupLimit);
  });
}

/** The run as the CLI would report it: what the compatibility matrix and the generated docs read. */
function runReport(session: RunSession, startedAt: Date, results: readonly ScenarioResult[], cleanup: CleanupReport, label: string | undefined): RunReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "regkit", version: REGKIT_VERSION },
    runId: session.runId,
    format: session.kit.format,
    registry: redactUrl(session.target.registry, session.secrets),
    profile: session.target.profile.name,
    settings: session.target.settings,
    seed: session.seed,
    startedAt: startedAt.toISOString(),
    durationMs: Date.now() - startedAt.getTime(),
    results,
    summary: summarize(results),
    cleanup,
    preflight: { problems: [...session.problems] },
    ...(label === undefined ? {} : { label }),
  };
}

/** Fails the test with `message` alone: the message says what happened, a stack trace would not. */
function failWith(message: string): never {
  const error = new Error(message);
  error.stack = error.message;
  throw error;
}

/**
 * Pins each GitLab fact of a facts object with one vitest test titled with the
 * fact's id. The map of tests is typed by the facts object, so a fact without
 * a test (or a test without a fact) does not compile: every fact stays pinned
 * to the reference registry.
 */
export function pinFacts<F extends Readonly<Record<string, GitLabFact>>>(
  facts: F,
  tests: { readonly [K in keyof F]: (fact: F[K]) => Promise<void> },
  options: { readonly timeout?: number } = {},
): void {
  for (const key of Object.keys(facts) as (keyof F & string)[]) {
    const fact = facts[key] as F[typeof key];
    test(fact.id, { timeout: options.timeout ?? 60_000 }, () => tests[key](fact));
  }
}
