// The npm CLI against a registry that accepts connections and never answers:
// the driver must end on npm's own request timeout, with one attempt per
// request (no retries to multiply the wait), and say why.
import { describe, expect, test } from "vitest";
import { expectNoRepeats, timed, timedFailure, useBlackHole } from "@regkit/testkit";
import type { Credential } from "@regkit/core";
import { npmKit } from "@regkit/npm";
import { NPM_CLI_LIMITS, createBun, createNpmCli, createPnpm, createYarn } from "../src/drivers.js";


const TOKEN = "glpat-blackholeNpmSecret0123456789";
// npm gives up on each request after 3 s; the whole run may take 90 s, far
// more than one attempt per request needs and less than npm's default retries
// (2 more attempts, 10 to 60 s apart) would take.
const limits = { totalMs: 90_000, requestMs: 3_000 };
// Generous: one attempt per request is about 3 s each, plus npm's start.
const BOUND_MS = 60_000;

const driver = createNpmCli(limits);
const why = await driver.unavailable();
const bench = useBlackHole("regkit-npm-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN };

function context(name: string) {
  return bench.context(npmKit, { name, registry: `${bench.hole.url}/api/v4/projects/1/packages/npm`, credential, totalMs: limits.totalMs });
}

test("the kit's npm driver keeps its whole run within 240 s", () => {
  expect(NPM_CLI_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(NPM_CLI_LIMITS.requestMs).toBeLessThan(NPM_CLI_LIMITS.totalMs);
});

describe.skipIf(why !== undefined)(`npm CLI against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("publish ends on npm's own timeout, one attempt per request, not accepted, and says why", async () => {
    const ctx = await context("publish");
    bench.hole.requests.length = 0;
    const artifact = await npmKit.build({ name: "regkit-blackhole", version: "1.0.0" });
    const { value: result, elapsedMs: elapsed } = await timed(() => driver.publish!(artifact, ctx));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/network timeout|ETIMEDOUT|FETCH_ERROR/);
    // npm gave up by itself: the driver's time limit did not have to kill it.
    expect(result.output).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests.some((r) => r.startsWith("PUT "))).toBe(true);
    expectNoRepeats(bench.hole.requests);
    expect(result.output).not.toContain(TOKEN);
  }, 120_000);

  test("install ends on npm's own timeout, one attempt per request, and throws with npm's output", async () => {
    const ctx = await context("install");
    bench.hole.requests.length = 0;
    const { error, elapsedMs: elapsed } = await timedFailure(() => driver.install!("regkit-blackhole", "1.0.0", ctx));
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/npm pack regkit-blackhole@1\.0\.0 failed \(exit \d+\): [\s\S]*(network timeout|ETIMEDOUT|FETCH_ERROR)/);
    expect(message).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests.some((r) => r.startsWith("GET "))).toBe(true);
    expectNoRepeats(bench.hole.requests);
    expect(message).not.toContain(TOKEN);
  }, 120_000);
});

// pnpm and yarn have their own request limits (fetch-timeout and fetch-retries
// in .npmrc; httpTimeout and httpRetry in .yarnrc.yml): each gives up by
// itself. bun has no such setting: the driver's own limit kills it, and says so.
for (const [make, ownTimeout] of [
  [createPnpm, /ERR_PNPM_META_FETCH_FAIL|ETIMEDOUT|network timeout|timeout/i],
  [createYarn, /timeout|ETIMEDOUT|RequestError/i],
] as const) {
  const other = make(limits);
  const reason = await other.unavailable();
  describe.skipIf(reason !== undefined)(`${other.name} against a registry that never answers${reason ? ` (${reason})` : ""}`, () => {
    test("install ends on the client's own timeout, one attempt per request, and throws naming the client", async () => {
      const ctx = await context(`${other.name}-install`);
      bench.hole.requests.length = 0;
      const { error, elapsedMs: elapsed } = await timedFailure(() => other.install!("regkit-blackhole", "1.0.0", ctx));
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toMatch(new RegExp(`^${other.name} could not install regkit-blackhole@1\\.0\\.0 \\(exit \\d+\\): `));
      expect(message).toMatch(ownTimeout);
      expect(message).not.toMatch(/did not finish within/);
      expect(elapsed).toBeLessThan(BOUND_MS);
      expect(bench.hole.requests.some((r) => r.startsWith("GET "))).toBe(true);
      expectNoRepeats(bench.hole.requests);
      expect(message).not.toContain(TOKEN);
    }, 120_000);
  });
}

const shortBun = createBun({ totalMs: 15_000, requestMs: 3_000 });
const bunReason = await shortBun.unavailable();
describe.skipIf(bunReason !== undefined)(`bun against a registry that never answers${bunReason ? ` (${bunReason})` : ""}`, () => {
  test("install is killed at the driver's limit, and the error says so", async () => {
    const ctx = await context("bun-install");
    const { error, elapsedMs: elapsed } = await timedFailure(() => shortBun.install!("regkit-blackhole", "1.0.0", ctx));
    expect((error as Error).message).toMatch(/^bun could not install regkit-blackhole@1\.0\.0 \(exit 124\): [\s\S]*did not finish within 15 s and was killed/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect((error as Error).message).not.toContain(TOKEN);
  }, 120_000);
});
