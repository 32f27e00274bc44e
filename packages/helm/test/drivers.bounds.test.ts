// helm against a registry that accepts connections and never answers: helm's
// own HTTP client waits for ever, so every helm command the driver runs is
// bounded by the driver's limit, which ends it with a clear failure that names
// the command and leaks no token. The adapter's requests are bounded too.
import { describe, expect, test } from "vitest";
import { timed, timedFailure, useBlackHole } from "@regkit/testkit";
import { ConformanceFailure, type Credential, createHttpClient, resolveTarget } from "@regkit/core";
import { HELM_LIMITS, connectHelm, createHelmDriver, helmKit } from "@regkit/helm";

const TOKEN = "glpat-blackholeHelmSecret0123456789";
const limits = { totalMs: 3_000 };
const BOUND_MS = 30_000;

const driver = createHelmDriver(limits);
const why = await driver.unavailable();
const bench = useBlackHole("regkit-helm-bounds-");
const credential: Credential = { kind: "personal", token: TOKEN };

test("the kit's helm driver bounds every helm command (helm's default is none)", () => {
  expect(HELM_LIMITS.totalMs).toBeLessThanOrEqual(240_000);
});

describe.skipIf(why !== undefined)(`helm against a registry that never answers${why ? ` (${why})` : ""}`, () => {
  test("helm repo add + pull ends at the driver's limit, fails, and says which command", async () => {
    const ctx = await bench.context(helmKit, { name: "pull", registry: `${bench.hole.url}/api/v4/projects/1/packages/helm`, credential, totalMs: limits.totalMs });
    bench.hole.requests.length = 0;
    const { error, elapsedMs } = await timedFailure(() => driver.install!(helmKit.packageName("bounds", "pull"), "1.0.0", ctx));
    expect(error).toBeInstanceOf(ConformanceFailure);
    const failure = error as ConformanceFailure;
    expect(failure.message).toMatch(/^helm repo add could not add /);
    expect(failure.expectation.actual).toMatch(/killed at its time limit/);
    expect(elapsedMs).toBeLessThan(BOUND_MS);
    expect(bench.hole.requests).toEqual([expect.stringMatching(/^GET \/api\/v4\/projects\/1\/packages\/helm\/stable\/index\.yaml/)]);
    expect(JSON.stringify(failure)).not.toContain(TOKEN);
  }, 60_000);
});

test("the adapter's index read ends on the request timeout and names the request", async () => {
  const target = resolveTarget(helmKit, { registry: `${bench.hole.url}/api/v4/projects/1/packages/helm`, credentials: { personal: TOKEN }, options: { requestTimeoutMs: 1_500 } });
  const http = createHttpClient({ baseUrl: target.registry, authHeaders: target.profile.authHeaders(credential), secrets: [TOKEN], via: "adapter", record: () => {}, timeoutMs: 1_500 });
  const client = connectHelm({ target, credential, http, runId: "bounds", secrets: [TOKEN] });
  const { error, elapsedMs } = await timedFailure(() => client.versions("anything"));
  expect(elapsedMs).toBeLessThan(BOUND_MS);
  expect(String((error as Error).message)).toMatch(/index\.yaml/);
  expect(String((error as Error).message)).not.toContain(TOKEN);
}, 30_000);
