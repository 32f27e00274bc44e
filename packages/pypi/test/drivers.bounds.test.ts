// twine and pip against a registry that accepts connections and never
// answers: pip must end on its own request timeout with one attempt per
// request; twine, which has no timeout and no retry setting, must be ended by
// the driver's time limit; both say why.
import { describe, expect, test } from "vitest";
import { timed, timedFailure, useBlackHole } from "@regkit/testkit";
import type { Credential } from "@regkit/core";
import { pypiKit } from "@regkit/pypi";
import { PYTHON_TOOL_LIMITS, createPip, createPoetry, createTwine, createUv } from "../src/drivers.js";


const TOKEN = "glpat-blackholePypiSecret0123456789";
// pip gives up on a request after 3 s; its run may take 90 s, far more than
// one attempt needs and less than pip's default 5 retries would take.
const pipLimits = { totalMs: 90_000, requestMs: 3_000 };
// twine waits for an answer forever: only the driver's limit ends it, here after 10 s.
const twineLimits = { totalMs: 10_000, requestMs: 3_000 };
// Generous bounds: pip needs about one request timeout and its start; twine its 10 s limit.
const PIP_BOUND_MS = 60_000;
const TWINE_BOUND_MS = 40_000;

const pip = createPip(pipLimits);
const twine = createTwine(twineLimits);
const whyPip = await pip.unavailable();
const whyTwine = await twine.unavailable();
const bench = useBlackHole("regkit-pypi-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN };

function context(name: string, totalMs: number) {
  return bench.context(pypiKit, { name, registry: `${bench.hole.url}/api/v4/projects/1/packages/pypi`, credential, totalMs });
}

test("the kit's twine and pip drivers keep their whole runs within 240 s", () => {
  expect(PYTHON_TOOL_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(PYTHON_TOOL_LIMITS.requestMs).toBeLessThan(PYTHON_TOOL_LIMITS.totalMs);
});

describe.skipIf(whyPip !== undefined)(`pip against a registry that never answers${whyPip ? ` (${whyPip})` : ""}`, () => {
  test("install ends on pip's own timeout, one attempt per request, and throws naming the timeout", async () => {
    const ctx = await context("pip", pipLimits.totalMs);
    bench.hole.requests.length = 0;
    const { error, elapsedMs: elapsed } = await timedFailure(() => pip.install!("regkit-blackhole", "1.0.0", ctx));
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    // The client and its version come first (every driver result carries them).
    expect(message).toMatch(/^pip \d+\.\d+\S*: pip download regkit-blackhole==1\.0\.0 failed \(exit \d+\): /);
    // pip itself only says it found no version; the reason comes from its log.
    expect(message).toMatch(/pip's log: .*Read timed out/);
    expect(message).not.toMatch(/did not finish within/);
    expect(elapsed).toBeLessThan(PIP_BOUND_MS);
    expect(bench.hole.requests).toEqual(["GET /api/v4/projects/1/packages/pypi/simple/regkit-blackhole/ HTTP/1.1"]);
    expect(message).not.toContain(TOKEN);
  }, 120_000);
});

describe.skipIf(whyTwine !== undefined)(`twine against a registry that never answers${whyTwine ? ` (${whyTwine})` : ""}`, () => {
  test("upload is ended by the driver's time limit, not accepted, and says so", async () => {
    const ctx = await context("twine", twineLimits.totalMs);
    bench.hole.requests.length = 0;
    const artifact = await pypiKit.build({ name: "regkit-blackhole", version: "1.0.0" });
    const { value: result, elapsedMs: elapsed } = await timed(() => twine.publish!(artifact, ctx));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/twine did not finish within 10 s and was killed/);
    expect(elapsed).toBeGreaterThanOrEqual(twineLimits.totalMs - 1_000);
    expect(elapsed).toBeLessThan(TWINE_BOUND_MS);
    expect(bench.hole.requests.length).toBeGreaterThan(0);
    expect(bench.hole.requests.every((r) => r.startsWith("POST "))).toBe(true);
    expect(result.output).not.toContain(TOKEN);
  }, 120_000);
});

// uv and poetry have request timeouts of their own (UV_HTTP_TIMEOUT with
// UV_HTTP_RETRIES=0, POETRY_REQUESTS_TIMEOUT), set from `requestMs`; the
// driver's time limit ends them whatever they do. Either way: bounded, not
// accepted, and said.
const uvLimits = { totalMs: 20_000, requestMs: 3_000 };
const uvDriver = createUv(uvLimits);
const poetryDriver = createPoetry(uvLimits);
const whyUv = await uvDriver.unavailable();
const whyPoetry = await poetryDriver.unavailable();
const OTHER_BOUND_MS = 60_000;

describe.skipIf(whyUv !== undefined)(`uv against a registry that never answers${whyUv ? ` (${whyUv})` : ""}`, () => {
  test("install and publish end within the bound, fail, and say so", async () => {
    const ctx = await context("uv", uvLimits.totalMs);
    const started = performance.now();
    const error = await uvDriver.install!("regkit-blackhole", "1.0.0", ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/^uv \d+\.\d+\S*: uv pip install regkit-blackhole==1\.0\.0 failed \(exit \d+\)/);
    const artifact = await pypiKit.build({ name: "regkit-blackhole", version: "1.0.0" });
    const published = await uvDriver.publish!(artifact, ctx);
    expect(published.accepted).toBe(false);
    expect(performance.now() - started).toBeLessThan(2 * OTHER_BOUND_MS);
    expect(`${(error as Error).message}${published.output}`).not.toContain(TOKEN);
  }, 180_000);
});

describe.skipIf(whyPoetry !== undefined)(`poetry against a registry that never answers${whyPoetry ? ` (${whyPoetry})` : ""}`, () => {
  test("publish ends within the bound, is not accepted, and says so", async () => {
    const ctx = await context("poetry", uvLimits.totalMs);
    const artifact = await pypiKit.build({ name: "regkit-blackhole", version: "1.0.0" });
    const { value: published, elapsedMs } = await timed(() => poetryDriver.publish!(artifact, ctx));
    expect(published.accepted).toBe(false);
    expect(published.output).toMatch(/^poetry \d+\.\d+/);
    expect(elapsedMs).toBeLessThan(OTHER_BOUND_MS);
    expect(published.output).not.toContain(TOKEN);
  }, 180_000);
});
