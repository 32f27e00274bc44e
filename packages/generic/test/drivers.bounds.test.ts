// curl against a registry that accepts connections and never answers: the
// driver must end on curl's own --max-time, say why, and leak no token.
import { describe, expect, test } from "vitest";
import { timed, timedFailure, useBlackHole } from "@regkit/testkit";
import { ConformanceFailure, type Credential } from "@regkit/core";
import { CURL_LIMITS, createCurlDriver, genericKit } from "@regkit/generic";

const TOKEN = "glpat-blackholeGenericSecret0123456789";
// curl gives up after 3 s; generous bound for a loaded machine, far below curl's default (no limit at all).
const limits = { totalMs: 3_000, connectMs: 2_000 };
const BOUND_MS = 30_000;

const driver = createCurlDriver(limits);
const why = await driver.unavailable();
const bench = useBlackHole("regkit-curl-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN };

function context(name: string, profile = "gitlab") {
  return bench.context(genericKit, { name, registry: `${bench.hole.url}/api/v4/projects/1/packages/generic`, credential, profile, totalMs: limits.totalMs });
}

test("the kit's curl driver bounds every transfer (curl's default is none)", () => {
  expect(CURL_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(CURL_LIMITS.connectMs).toBeLessThan(CURL_LIMITS.totalMs);
});

describe.skipIf(why !== undefined)(`curl against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("an upload ends on curl's --max-time, is not accepted, and says why", async () => {
    const ctx = await context("upload");
    bench.hole.requests.length = 0;
    const artifact = await genericKit.build({ name: genericKit.packageName("bounds", "upload"), version: "1.0.0" });
    const { value: result, elapsedMs: elapsed } = await timed(() => driver.publish!(artifact, ctx));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/exit 28: .*(timed out|Operation timed out)/s);
    expect(result.output).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests).toEqual([expect.stringMatching(/^PUT \/api\/v4\/projects\/1\/packages\/generic\/regkit-bounds-upload\/1\.0\.0\//)]);
    expect(result.output).not.toContain(TOKEN);
  }, 60_000);

  test("a download ends on curl's --max-time and fails with curl's exit code", async () => {
    const ctx = await context("download", "gitlab-basic");
    bench.hole.requests.length = 0;
    const name = genericKit.packageName("bounds", "download");
    const { error, elapsedMs: elapsed } = await timedFailure(() => driver.install!(name, "1.0.0", ctx));
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    expect(failure.message).toBe(`curl could not download ${name}-1.0.0.bin of ${name}@1.0.0`);
    expect(failure.expectation.actual).toMatch(/^exit code 28: /);
    expect(elapsed).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests).toHaveLength(1);
    expect(failure.expectation.actual).not.toContain(TOKEN);
  }, 60_000);
});
