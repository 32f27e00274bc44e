/**
 * vitest integration: `describeConformance(kit, target)` in your own suite
 * gives one test per scenario × token kind, running exactly what the CLI runs.
 *
 * @module
 */
import { afterAll, describe, test } from "vitest";
import type { FormatKit, GitLabFact, AnyProfile, RegistryClient, ScenarioResult, Target, TokenKind } from "./contract.js";
import { RunSession, SCENARIO_TIMEOUT_MS, exclusionOf, kindsOf, newRunId, selectScenarios } from "./runner.js";

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
  const open = (): RunSession => (session ??= new RunSession(kit, target, runId, seed, options.tokenKinds));

  describe(`${kit.format} conformance (${target.profile ?? kit.defaultProfile}, seed ${seed}, run ${runId})`, () => {
    for (const scenario of selectScenarios(kit, options.scenarios)) {
      const disabled = exclusionOf(scenario, options.exclude);
      describe(scenario.id, () => {
        for (const kind of kindsOf(scenario)) {
          if (options.tokenKinds && !options.tokenKinds.includes(kind)) continue;
          if (disabled !== undefined) {
            test.skip(`${kind} (disabled: ${disabled})`, () => {});
            options.onResult?.({ format: kit.format, scenario: scenario.id, title: scenario.title, tokenKind: kind, status: "disabled", message: `disabled: ${disabled}`, exchanges: [], durationMs: 0, notes: [], latency: [], throughput: {} });
            continue;
          }
          test(kind, { timeout: limitOf(scenario) + 10_000 }, async (ctx) => {
            const result = await open().runOne(scenario, kind, limitOf(scenario));
            options.onResult?.(result);
            if (result.status === "skip") {
              ctx.skip(result.message);
              return;
            }
            if (result.status === "deviation") {
              // Recorded in the profile with its source: not a failure; vitest shows the note.
              await ctx.annotate(`known deviation: ${result.message ?? ""}`, "notice");
              return;
            }
            if (result.status !== "pass") {
              const error = new Error(formatFailure(result));
              error.stack = error.message;
              throw error;
            }
          });
        }
      });
    }
    afterAll(async () => {
      if (session) await session.cleanup();
    }, 300_000);
  });
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
