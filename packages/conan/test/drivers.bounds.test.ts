// conan against a registry that accepts connections and never answers: the
// driver must end on Conan's own HTTP timeout (set in the CONAN_HOME it
// writes), or on runTool's limit past it, say why, and leak no token.
import { describe, expect, test } from "vitest";
import { timed, timedFailure, useBlackHole } from "@regkit/testkit";
import { ConformanceFailure, type Credential } from "@regkit/core";
import { CONAN_LIMITS, conanKit, createConanDriver } from "@regkit/conan";

const TOKEN = "glpat-blackholeConanSecret0123456789";
// Conan gives up on a request after 2 s, retries none; a command is killed after 20 s at the latest.
const limits = { commandMs: 20_000, httpTimeoutS: 2, retries: 0 };
const BOUND_MS = 45_000;

const driver = createConanDriver(limits);
const why = await driver.unavailable();
const bench = useBlackHole("regkit-conan-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN };

function context(name: string) {
  return bench.context(conanKit, { name, registry: `${bench.hole.url}/api/v4/projects/1/packages/conan`, credential, totalMs: limits.commandMs });
}

test("the kit's conan driver bounds every command and request (Conan's own defaults wait far longer)", () => {
  expect(CONAN_LIMITS.commandMs).toBeLessThanOrEqual(240_000);
  expect(CONAN_LIMITS.httpTimeoutS * 1000).toBeLessThan(CONAN_LIMITS.commandMs);
});

describe.skipIf(why !== undefined)(`conan against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("a publish ends on Conan's timeout, is not accepted, and says why", async () => {
    const ctx = await context("upload");
    bench.hole.requests.length = 0;
    const artifact = await conanKit.build({ name: conanKit.packageName("bounds", "upload"), version: "1.0.0" });
    const { value: result, elapsedMs } = await timed(() => driver.publish!(artifact, ctx));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/timed out|timeout|Read timed out|exit 124/i);
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests.length).toBeGreaterThan(0);
    expect(bench.hole.requests.every((r) => r.includes("/api/v4/projects/1/packages/conan/"))).toBe(true);
    expect(result.output).not.toContain(TOKEN);
  }, 90_000);

  test("an install ends on Conan's timeout and fails with conan's output", async () => {
    const ctx = await context("install");
    bench.hole.requests.length = 0;
    const name = conanKit.packageName("bounds", "install");
    const { error, elapsedMs } = await timedFailure(() => driver.install!(name, "1.0.0", ctx));
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    // The login comes first (GitLab hides private projects from anonymous reads with 404): it is what times out.
    expect(failure.message).toBe(`conan could not install ${name}/1.0.0 (conan remote login)`);
    expect(failure.expectation.actual).toMatch(/timed out|timeout|exit 124/i);
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    expect(failure.expectation.actual).not.toContain(TOKEN);
  }, 90_000);
});
