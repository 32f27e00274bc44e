// mvn against a registry that accepts connections and never answers: the
// driver must end on Maven's own read timeout (30 minutes unless set), with
// one attempt per request, and say why.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type BlackHole, startBlackHole } from "@regkit/testkit";
import { ConformanceFailure, resolveTarget, targetSecrets, type Credential } from "@regkit/core";
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
let hole: BlackHole;
let workdir: string;

beforeAll(async () => {
  hole = await startBlackHole();
  workdir = await mkdtemp(join(tmpdir(), "regkit-mvn-bounds-"));
});
afterAll(async () => {
  await hole?.close();
  await rm(workdir, { recursive: true, force: true });
});

async function context(name: string) {
  await mkdir(join(workdir, name), { recursive: true });
  const registry = `${hole.url}/api/v4/projects/1/packages/maven`;
  const credential: Credential = { kind: "personal", token: TOKEN };
  const target = resolveTarget(mavenKit, { registry, credentials: { personal: TOKEN } });
  return {
    registry,
    target,
    credential,
    secrets: targetSecrets(target, credential),
    workdir: join(workdir, name),
    // Longer than the driver's own limit: what ends the run must be the driver, not this signal.
    signal: AbortSignal.timeout(limits.totalMs + 60_000),
  };
}

/** No request went out twice: Maven made one attempt at each. */
function expectNoRepeats(requests: readonly string[]): void {
  expect(requests.length).toBeGreaterThan(0);
  expect(requests.filter((r, i) => requests.indexOf(r) !== i), `requests: ${requests.join("; ")}`).toEqual([]);
}

test("the kit's mvn driver keeps its whole run within 240 s", () => {
  expect(MVN_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(MVN_LIMITS.requestMs).toBeLessThan(MVN_LIMITS.totalMs);
});

describe.skipIf(why !== undefined)(`mvn against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("deploy ends on Maven's own read timeout, one attempt per request, not accepted, and says why", async () => {
    const ctx = await context("deploy");
    hole.requests.length = 0;
    const artifact = await mavenKit.build({ name: mavenKit.packageName("bounds", "deploy"), version: "1.0.0" });
    const started = performance.now();
    const result = await driver.publish!(artifact, ctx);
    const elapsed = performance.now() - started;
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/Read timed out/);
    expect(result.output).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(hole.requests.some((r) => r.startsWith("PUT "))).toBe(true);
    expectNoRepeats(hole.requests);
    expect(result.output).not.toContain(TOKEN);
  }, 180_000);

  test("resolve ends on Maven's own read timeout, one attempt per request, and fails with mvn's output", async () => {
    const ctx = await context("get");
    hole.requests.length = 0;
    const name = mavenKit.packageName("bounds", "get");
    const started = performance.now();
    const error = await driver.install!(name, "1.0.0", ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    expect(failure.message).toBe(`mvn could not resolve ${name}:1.0.0`);
    expect(failure.expectation.actual).toMatch(/^exit code 1: [\s\S]*Read timed out/);
    expect(failure.expectation.actual).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(hole.requests.some((r) => r.startsWith("GET "))).toBe(true);
    expectNoRepeats(hole.requests);
    expect(failure.expectation.actual).not.toContain(TOKEN);
  }, 180_000);
});
