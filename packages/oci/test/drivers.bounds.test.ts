// skopeo, crane and oras against a registry that accepts connections and never
// answers: skopeo must end on its own command timeout; crane and oras, which
// have no timeout setting, must be ended by the driver's time limit; every run
// says why, within a bound, without the token.
import { describe, expect, test } from "vitest";
import type { ClientDriver, Credential, DriverContext } from "@regkit/core";
import { timed, timedFailure, useBlackHole } from "@regkit/testkit";
import { OCI_TOOL_LIMITS, createCrane, createOras, createSkopeo } from "../src/drivers.js";
import { ociKit } from "../src/kit.js";
import { buildOciPackage } from "../src/package.js";
import type { OciProfile } from "../src/profiles.js";

const TOKEN = "glpat-blackholeOciSecret0123456789";
// skopeo gives up after 4 s of its own; the driver would only kill it at 60 s.
const skopeoLimits = { totalMs: 60_000, requestMs: 4_000 };
// crane and oras wait for an answer forever: only the driver's limit ends them, here 8 s for the
// whole run (crane's driver first spends up to a quarter of it reading the registry's challenge).
const otherLimits = { totalMs: 8_000, requestMs: 4_000 };
// Generous bounds on a loaded 2-core machine: the limit, the tool's start and its killing.
const BOUND_MS = 40_000;

const drivers: readonly { driver: ClientDriver<OciProfile>; limits: typeof skopeoLimits; ends: RegExp }[] = [
  // skopeo's words: "pinging container registry ...: Get \"http://.../v2/\": context deadline exceeded".
  { driver: createSkopeo(skopeoLimits), limits: skopeoLimits, ends: /pinging container registry .*context deadline exceeded/ },
  { driver: createCrane(otherLimits), limits: otherLimits, ends: /did not finish within [\d.]+ s and was killed/ },
  { driver: createOras(otherLimits), limits: otherLimits, ends: /did not finish within [\d.]+ s and was killed/ },
];
const why = new Map<string, string | undefined>();
for (const { driver } of drivers) why.set(driver.name, await driver.unavailable());

const bench = useBlackHole("regkit-oci-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN, username: "regkit" };

function context(name: string, totalMs: number): Promise<DriverContext<OciProfile>> {
  return bench.context(ociKit, { name, registry: bench.hole.url, credential, totalMs });
}

test("the kit's drivers keep a whole run within 240 s, and skopeo's own timeout comes first", () => {
  expect(OCI_TOOL_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
  expect(OCI_TOOL_LIMITS.requestMs).toBeLessThan(OCI_TOOL_LIMITS.totalMs);
});

for (const { driver, limits, ends } of drivers) {
  const unavailable = why.get(driver.name);
  describe.skipIf(unavailable !== undefined)(`${driver.name} against a registry that never answers${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
    test("push is refused in bounded time and says why", async () => {
      const ctx = await context(`${driver.name}-push`, limits.totalMs);
      bench.hole.requests.length = 0;
      const { value: result, elapsedMs: elapsed } = await timed(async () => driver.publish!(await buildOciPackage({ name: "regkit-blackhole", version: "1.0.0" }), ctx));
      expect(result.accepted).toBe(false);
      expect(result.output).toMatch(ends);
      expect(elapsed).toBeLessThan(BOUND_MS);
      // It got as far as asking: the registry was reached, nothing came back. (skopeo
      // tries TLS first on an insecure registry and may spend its timeout there: its
      // own message above says which request it was waiting for.)
      if (driver.name !== "skopeo") {
        expect(bench.hole.requests.length).toBeGreaterThan(0);
        expect(bench.hole.requests.every((r) => / \/v2\//.test(r))).toBe(true);
      }
      expect(result.output).not.toContain(TOKEN);
    }, 120_000);

    test("pull throws in bounded time and says why", async () => {
      const ctx = await context(`${driver.name}-pull`, limits.totalMs);
      bench.hole.requests.length = 0;
      const { error, elapsedMs: elapsed } = await timedFailure(() => driver.install!("regkit-blackhole", "1.0.0", ctx));
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(ends);
      expect(elapsed).toBeLessThan(BOUND_MS);
      if (driver.name !== "skopeo") expect(bench.hole.requests.length).toBeGreaterThan(0);
      expect((error as Error).message).not.toContain(TOKEN);
    }, 120_000);
  });
}
