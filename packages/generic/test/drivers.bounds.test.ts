// curl against a registry that accepts connections and never answers: the
// driver must end on curl's own --max-time, say why, and leak no token.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type BlackHole, startBlackHole } from "@regkit/testkit";
import { ConformanceFailure, type Credential, resolveTarget, targetSecrets } from "@regkit/core";
import { CURL_LIMITS, createCurlDriver, genericKit } from "@regkit/generic";

const TOKEN = "glpat-blackholeGenericSecret0123456789";
// curl gives up after 3 s; generous bound for a loaded machine, far below curl's default (no limit at all).
const limits = { totalMs: 3_000, connectMs: 2_000 };
const BOUND_MS = 30_000;

const driver = createCurlDriver(limits);
const why = await driver.unavailable();
let hole: BlackHole;
let workdir: string;

beforeAll(async () => {
  hole = await startBlackHole();
  workdir = await mkdtemp(join(tmpdir(), "regkit-curl-bounds-"));
});
afterAll(async () => {
  await hole?.close();
  await rm(workdir, { recursive: true, force: true });
});

async function context(name: string, profile = "gitlab") {
  await mkdir(join(workdir, name), { recursive: true });
  const registry = `${hole.url}/api/v4/projects/1/packages/generic`;
  const credential: Credential = { kind: "personal", token: TOKEN };
  const target = resolveTarget(genericKit, { registry, profile, credentials: { personal: TOKEN } });
  return {
    registry,
    target,
    credential,
    secrets: targetSecrets(target, credential),
    workdir: join(workdir, name),
    // Longer than the driver's own limit: what ends the run must be curl, not this signal.
    signal: AbortSignal.timeout(limits.totalMs + 60_000),
  };
}

test("the kit's curl driver bounds every transfer (curl's default is none)", () => {
  expect(CURL_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(CURL_LIMITS.connectMs).toBeLessThan(CURL_LIMITS.totalMs);
});

describe.skipIf(why !== undefined)(`curl against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("an upload ends on curl's --max-time, is not accepted, and says why", async () => {
    const ctx = await context("upload");
    hole.requests.length = 0;
    const artifact = await genericKit.build({ name: genericKit.packageName("bounds", "upload"), version: "1.0.0" });
    const started = performance.now();
    const result = await driver.publish!(artifact, ctx);
    const elapsed = performance.now() - started;
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/exit 28: .*(timed out|Operation timed out)/s);
    expect(result.output).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(hole.requests).toEqual([expect.stringMatching(/^PUT \/api\/v4\/projects\/1\/packages\/generic\/regkit-bounds-upload\/1\.0\.0\//)]);
    expect(result.output).not.toContain(TOKEN);
  }, 60_000);

  test("a download ends on curl's --max-time and fails with curl's exit code", async () => {
    const ctx = await context("download", "gitlab-basic");
    hole.requests.length = 0;
    const name = genericKit.packageName("bounds", "download");
    const started = performance.now();
    const error = await driver.install!(name, "1.0.0", ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    expect(failure.message).toBe(`curl could not download ${name}-1.0.0.bin of ${name}@1.0.0`);
    expect(failure.expectation.actual).toMatch(/^exit code 28: /);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(hole.requests).toHaveLength(1);
    expect(failure.expectation.actual).not.toContain(TOKEN);
  }, 60_000);
});
