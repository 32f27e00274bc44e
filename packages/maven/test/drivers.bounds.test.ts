// mvn against a registry that accepts connections and never answers: the
// driver must end on Maven's own read timeout (30 minutes unless set), with
// one attempt per request, and say why.
import { describe, expect, test } from "vitest";
import { expectNoRepeats, timed, timedFailure, useBlackHole } from "@regkit/testkit";
import { ConformanceFailure, type Credential } from "@regkit/core";
import { mavenKit } from "@regkit/maven";
import { MVN_LIMITS, createMvnDriver } from "../src/drivers.js";


const TOKEN = "glpat-blackholeMavenSecret0123456789";
// Maven gives up on a request after 3 s; the whole run may take 120 s, enough
// for the JVM and one attempt per request, far less than Maven's default read
// timeout of 30 minutes.
const limits = { totalMs: 120_000, requestMs: 3_000 };
// Generous: the JVM's start plus a few seconds per request.
const BOUND_MS = 90_000;

const driver = createMvnDriver(limits);
const why = await driver.unavailable();
const bench = useBlackHole("regkit-mvn-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN };

function context(name: string) {
  return bench.context(mavenKit, { name, registry: `${bench.hole.url}/api/v4/projects/1/packages/maven`, credential, totalMs: limits.totalMs });
}

test("the kit's mvn driver keeps its whole run within 240 s", () => {
  expect(MVN_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(MVN_LIMITS.requestMs).toBeLessThan(MVN_LIMITS.totalMs);
});

describe.skipIf(why !== undefined)(`mvn against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("deploy ends on Maven's own read timeout, one attempt per request, not accepted, and says why", async () => {
    const ctx = await context("deploy");
    bench.hole.requests.length = 0;
    const artifact = await mavenKit.build({ name: mavenKit.packageName("bounds", "deploy"), version: "1.0.0" });
    const { value: result, elapsedMs: elapsed } = await timed(() => driver.publish!(artifact, ctx));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/Read timed out/);
    expect(result.output).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests.some((r) => r.startsWith("PUT "))).toBe(true);
    expectNoRepeats(bench.hole.requests);
    expect(result.output).not.toContain(TOKEN);
  }, 180_000);

  test("resolve ends on Maven's own read timeout, one attempt per request, and fails with mvn's output", async () => {
    const ctx = await context("get");
    bench.hole.requests.length = 0;
    const name = mavenKit.packageName("bounds", "get");
    const { error, elapsedMs: elapsed } = await timedFailure(() => driver.install!(name, "1.0.0", ctx));
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    expect(failure.message).toBe(`mvn could not resolve ${name}:1.0.0`);
    expect(failure.expectation.actual).toMatch(/^exit code 1: [\s\S]*Read timed out/);
    expect(failure.expectation.actual).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests.some((r) => r.startsWith("GET "))).toBe(true);
    expectNoRepeats(bench.hole.requests);
    expect(failure.expectation.actual).not.toContain(TOKEN);
  }, 180_000);
});
