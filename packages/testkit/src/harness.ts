/**
 * The fault harness every kit's fault tests use: the reference registry with
 * the kit's routes, a fault-injecting proxy in front of it per run, and the
 * run's results by scenario and token kind. A check proves it can fail by
 * running against a registry made wrong on purpose.
 *
 * @module
 */
import {
  runConformance,
  type Credentials,
  type FormatKit,
  type AnyProfile,
  type RegistryClient,
  type RunReport,
  type ScenarioOptions,
  type ScenarioResult,
  type Target,
  type TokenKind,
} from "@regkit/core";
import { createReferenceRegistry, referenceTarget, type ReferenceFormat, type ReferenceRegistry, type ReferenceRegistryOptions } from "@regkit/registry";
import { startFaultyProxy, type Fault } from "@regkit/registry/faults";

/** One run through the harness. */
export interface HarnessRun {
  /** Scenario ids or prefixes. */
  readonly scenarios: readonly string[];
  /** Default: `personal` only (add the negatives for auth checks). */
  readonly tokenKinds?: readonly TokenKind[] | undefined;
  /** Scenario options; the harness's defaults are small (3 runs per property, 30 + 2 for push.many). */
  readonly options?: Partial<ScenarioOptions> | undefined;
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
  readonly profile?: string | undefined;
  /** Credentials instead of every one the reference registry issued. */
  readonly credentials?: Credentials | undefined;
  /** Anything else of the target. */
  readonly target?: Partial<Target> | undefined;
  readonly seed?: number | undefined;
  /** A fixed run id (cleanup tests); default: a fresh one. */
  readonly runId?: string | undefined;
}

/** A reference registry serving one kit, and runs of that kit through faults. */
export interface FaultHarness<C extends RegistryClient = RegistryClient, P extends AnyProfile = AnyProfile> {
  readonly kit: FormatKit<C, P>;
  readonly registry: ReferenceRegistry;
  /** The target of the kit's endpoint, straight (no proxy). */
  target(overrides?: Partial<Target>): Target;
  /** Runs scenarios through a proxy that injects `fault` (none: straight to the registry). */
  run(fault: Fault | undefined, run: HarnessRun): Promise<RunReport>;
  close(): Promise<void>;
}

/** The default seed of harness runs: failures replay. */
export const HARNESS_SEED = 4242;

/** The options harness runs use unless told otherwise: small, so a fault test takes seconds. */
export const HARNESS_OPTIONS: Partial<ScenarioOptions> = { numRuns: 3, manyVersions: 30, manyPackages: 2, maxCommands: 8 };

/** Starts the reference registry with `reference` (and `also`, formats the kit's scenarios read), for fault runs of `kit`. */
export async function startFaultHarness<C extends RegistryClient, P extends AnyProfile>(
  kit: FormatKit<C, P>,
  reference: ReferenceFormat,
  options: { readonly registry?: Omit<ReferenceRegistryOptions, "formats"> | undefined; readonly also?: readonly ReferenceFormat[] | undefined } = {},
): Promise<FaultHarness<C, P>> {
  const registry = await createReferenceRegistry({ ...options.registry, formats: [reference, ...(options.also ?? [])] });
  const segment = reference.segment;
  const target = (overrides: Partial<Target> = {}): Target => referenceTarget(registry, segment, overrides);
  return {
    kit,
    registry,
    target,
    async run(fault, run) {
      const proxy = fault ? await startFaultyProxy({ upstream: registry.url, fault }) : undefined;
      try {
        const base = target();
        return await runConformance({
          kit,
          target: {
            ...base,
            registry: proxy ? base.registry.replace(registry.url, proxy.url) : base.registry,
            ...(run.profile ? { profile: run.profile } : {}),
            ...(run.credentials ? { credentials: run.credentials } : {}),
            ...(run.settings ? { settings: run.settings } : {}),
            options: { ...HARNESS_OPTIONS, ...run.options },
            ...run.target,
          },
          scenarios: run.scenarios,
          tokenKinds: run.tokenKinds ?? ["personal"],
          seed: run.seed ?? HARNESS_SEED,
          runId: run.runId,
        });
      } finally {
        await proxy?.close();
      }
    },
    close: () => registry.close(),
  };
}

/** The one result of `scenario` under `kind` in a report; throws, naming what ran, when there is none. */
export function resultOf(report: RunReport, scenario: string, kind: TokenKind = "personal"): ScenarioResult {
  const result = report.results.find((r) => r.scenario === scenario && r.tokenKind === kind);
  if (!result) {
    throw new Error(`${scenario} [${kind}] did not run; the report has ${report.results.map((r) => `${r.scenario} [${r.tokenKind}]`).join(", ") || "no results"}`);
  }
  return result;
}
