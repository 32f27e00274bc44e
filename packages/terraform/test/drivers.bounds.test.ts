// tofu against a registry that accepts connections and never answers: the
// driver must end within its own limit (runTool kills tofu's process tree),
// fail saying why, and leak no token.
import { describe, expect, test } from "vitest";
import { timedFailure, useBlackHole } from "@regkit/testkit";
import { ConformanceFailure, type Credential } from "@regkit/core";
import { TOFU_LIMITS, createTofuDriver, terraformKit } from "@regkit/terraform";

const TOKEN = "glpat-blackholeTerraformSecret0123456789";
const limits = { totalMs: 6_000 };
const BOUND_MS = 30_000;

const driver = createTofuDriver(limits);
const why = await driver.unavailable();
const bench = useBlackHole("regkit-tofu-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN };

test("the kit's tofu driver bounds every init", () => {
  expect(TOFU_LIMITS.totalMs).toBeLessThanOrEqual(180_000);
});

describe.skipIf(why !== undefined)(`tofu against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("tofu init ends at the driver's limit, fails with the reason, and leaks no token", async () => {
    const ctx = await bench.context(terraformKit, { name: "install", registry: `${bench.hole.url}/api/v4/projects/regkit%2Fdemo/packages/terraform`, credential, totalMs: limits.totalMs });
    bench.hole.requests.length = 0;
    const name = terraformKit.packageName("bounds", "install");
    const { error, elapsedMs } = await timedFailure(() => driver.install!(name, "1.0.0", ctx));
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    expect(failure.message).toMatch(/^tofu init could not install 127\.0\.0\.1:\d+\/regkit\/regkit-bounds-install\/local 1\.0\.0$/);
    expect(failure.expectation.actual).toMatch(/killed at its time limit/);
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    // tofu got as far as service discovery, through the TLS front.
    expect(bench.hole.requests[0]).toMatch(/^GET \/\.well-known\/terraform\.json/);
    expect(JSON.stringify(failure)).not.toContain(TOKEN);
    expect(failure.expectation.actual).not.toContain(TOKEN);
  }, 60_000);
});
