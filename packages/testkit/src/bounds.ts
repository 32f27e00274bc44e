/**
 * What every driver-bounds test (a real client against a registry that never
 * answers) sets up the same way: the black hole and a scratch folder for the
 * file, a driver context aimed at it, the time a driver call took, and the
 * "one attempt per request" check. What each test then asserts (how the run
 * ended, what it said, which requests reached the hole) stays in the test.
 *
 * @module
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect } from "vitest";
import { type AnyProfile, type Credential, type Credentials, type DriverContext, type FormatKit, type RegistryClient, resolveTarget, targetSecrets } from "@regkit/core";
import { type BlackHole, startBlackHole } from "./black-hole.js";

/** How long the context's signal waits beyond the driver's own limit: what ends a run must be the driver or its tool, not the signal. */
const SIGNAL_MARGIN_MS = 60_000;

/** Where a bounds context points, and as whom. */
export interface BoundsContextOptions {
  /** The context's own folder under the file's scratch folder (one per test). */
  readonly name: string;
  /** The registry URL the driver is given (the black hole's, or a path below it). */
  readonly registry: string;
  readonly credential: Credential;
  /** The target's credentials; by default `{ personal: credential.token }`. */
  readonly credentials?: Credentials;
  /** A profile of the kit; its default profile when absent. */
  readonly profile?: string;
  /** The driver's own time limit for the whole run. */
  readonly totalMs: number;
}

/** A file's black hole and scratch folder (see {@link useBlackHole}). */
export interface BlackHoleBench {
  /** The black hole; started before the file's first test. */
  readonly hole: BlackHole;
  /**
   * A driver context for `kit` aimed at `options.registry`, with a fresh
   * workdir, the target's secrets for redaction, and a signal that fires only
   * a minute after the driver's own limit.
   */
  context<C extends RegistryClient, P extends AnyProfile>(kit: FormatKit<C, P>, options: BoundsContextOptions): Promise<DriverContext<P>>;
}

/**
 * Starts a black hole and makes a scratch folder (`prefix` + random) before
 * the calling file's tests, and closes and removes them after. Call it at the
 * top level of a test file.
 *
 * @example
 * const bench = useBlackHole("regkit-npm-bounds-");
 * test("...", async () => {
 *   const ctx = await bench.context(npmKit, { name: "publish", registry: `${bench.hole.url}/npm`, credential, totalMs: 90_000 });
 * });
 */
export function useBlackHole(prefix: string): BlackHoleBench {
  let hole: BlackHole | undefined;
  let workdir: string | undefined;
  beforeAll(async () => {
    hole = await startBlackHole();
    workdir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await hole?.close();
    if (workdir !== undefined) await rm(workdir, { recursive: true, force: true });
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("useBlackHole: the black hole is used before the file's beforeAll ran");
    return value;
  };
  return {
    get hole() {
      return started(hole);
    },
    async context(kit, options) {
      const dir = join(started(workdir), options.name);
      await mkdir(dir, { recursive: true });
      const target = resolveTarget(kit, { registry: options.registry, profile: options.profile, credentials: options.credentials ?? { personal: options.credential.token } });
      return {
        registry: options.registry,
        target,
        credential: options.credential,
        secrets: targetSecrets(target, options.credential),
        workdir: dir,
        signal: AbortSignal.timeout(options.totalMs + SIGNAL_MARGIN_MS),
      };
    },
  };
}

/** Runs `run` and measures it: what it returned and the milliseconds it took (a throw passes through). */
export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; elapsedMs: number }> {
  const started = performance.now();
  const value = await run();
  return { value, elapsedMs: performance.now() - started };
}

/** Runs `run`, which is expected to throw: what it threw (undefined when it did not) and the milliseconds it took. */
export async function timedFailure(run: () => Promise<unknown>): Promise<{ error: unknown; elapsedMs: number }> {
  const started = performance.now();
  const error = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  return { error, elapsedMs: performance.now() - started };
}

/** No request line reached the black hole twice: the client made one attempt at each (no retries to multiply the wait). */
export function expectNoRepeats(requests: readonly string[]): void {
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((r, i) => requests.indexOf(r) !== i), `requests: ${requests.join("; ")}`).toEqual([]);
}
