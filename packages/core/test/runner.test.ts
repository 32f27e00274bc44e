import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { renderConsole, renderJunit, runConformance, type RunReport, type Target } from "@regkit/core";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { acceptDuplicates, corruptBody, delayResponses, ignoreCredentials, startFaultyProxy, type Fault } from "@regkit/registry/faults";
import { exampleKit, exampleReference } from "@regkit/testkit";

const MiB = 1024 * 1024;
let registry: ReferenceRegistry;

function target(registryUrl: string, extra: Partial<Target> = {}): Target {
  return referenceTarget(registry, "example", {
    registry: registryUrl,
    limits: { maxFileSize: 4 * MiB },
    options: { manyVersions: 20, manyPackages: 20, largeSize: 2 * MiB, numRuns: 3, maxCommands: 8 },
    ...extra,
  });
}

function statusOf(report: RunReport, scenario: string, kind?: string): string[] {
  return report.results.filter((r) => r.scenario === scenario && (!kind || r.tokenKind === kind)).map((r) => r.status);
}

async function withFault<T>(fault: Fault, run: (url: string) => Promise<T>): Promise<T> {
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  try {
    return await run(registry.registries.example!.replace(registry.url, proxy.url));
  } finally {
    await proxy.close();
  }
}

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [exampleReference], limits: { example: { maxFileSize: 4 * MiB } } });
});
afterAll(async () => {
  await registry.close();
});

describe("runner against the reference registry", () => {
  test("the core catalog passes for a correct registry under every token kind, and cleans up", async () => {
    const report = await runConformance({ kit: exampleKit, target: target(registry.registries.example!), seed: 7 });
    const problems = report.results.filter((r) => r.status === "fail" || r.status === "error");
    expect(problems.map((r) => `${r.scenario}[${r.tokenKind}]: ${r.message}`)).toEqual([]);
    expect(statusOf(report, "push.small")).toEqual(["pass", "pass", "pass"]);
    expect(statusOf(report, "auth.matrix")).toEqual(["pass", "pass", "pass"]);
    // No search capability, no real client for this fixture: skips with reasons, not failures.
    expect(report.results.find((r) => r.scenario === "search")?.message).toMatch(/capability search/);
    expect(report.results.find((r) => r.scenario === "clients.roundtrip")?.message).toMatch(/no real client driver/);
    const many = report.results.find((r) => r.scenario === "push.many" && r.tokenKind === "personal")!;
    expect(many.latency.map((s) => s.points.length)).toEqual([20, 20]);
    expect(report.cleanup.removed).toBeGreaterThan(0);
    expect(report.cleanup.left).toEqual([]);
    expect(report.summary.pass + report.summary.skip).toBe(report.results.length);
  });

  test("cleanup removes the run's packages and nothing else", async () => {
    const foreign = await fetch(`${registry.registries.example}/someone-elses/1.0.0/f.bin`, {
      method: "PUT",
      headers: { "private-token": registry.tokens.personal },
      body: "keep me",
    });
    expect(foreign.status).toBe(201);
    const report = await runConformance({ kit: exampleKit, target: target(registry.registries.example!), scenarios: ["push.small"], runId: "own123" });
    expect(report.cleanup.removed).toBe(3);
    const kept = await fetch(`${registry.registries.example}/someone-elses`, { headers: { "private-token": registry.tokens.personal } });
    expect(kept.status).toBe(200);
    for (const tag of ["pat", "dpl", "job"]) {
      const gone = await fetch(`${registry.registries.example}/regkit-own123-small-${tag}`, { headers: { "private-token": registry.tokens.personal } });
      expect(gone.status).toBe(404);
    }
  });

  test("missing credentials and missing token kinds are skips with the reason", async () => {
    const report = await runConformance({
      kit: exampleKit,
      target: target(registry.registries.example!, { credentials: { personal: registry.tokens.personal } }),
      scenarios: ["push.small", "auth.matrix"],
    });
    const skip = (kind: string, scenario = "push.small"): string | undefined => report.results.find((r) => r.scenario === scenario && r.tokenKind === kind)?.message;
    expect(skip("deploy")).toMatch(/REGKIT_DEPLOY_TOKEN and REGKIT_DEPLOY_USERNAME/);
    expect(skip("job")).toMatch(/REGKIT_JOB_TOKEN/);
    expect(skip("readonly", "auth.matrix")).toMatch(/REGKIT_READONLY_TOKEN/);
    expect(statusOf(report, "push.small", "personal")).toEqual(["pass"]);
    expect(statusOf(report, "auth.matrix", "anonymous")).toEqual(["pass"]);
  });

  test("an unreachable registry is said once (preflight), and no scenario runs", async () => {
    const report = await runConformance({ kit: exampleKit, target: target("http://127.0.0.1:9/api/v4/projects/1/packages/example"), scenarios: ["push"] });
    expect(report.results.length).toBeGreaterThan(0);
    // Every result a skip: not run for the setup error, or (push.over-limit under deploy and job) run once per run only.
    for (const r of report.results) expect(r.status, `${r.scenario} [${r.tokenKind}]`).toBe("skip");
    expect(report.results.filter((r) => r.message === "not run: setup error: see preflight").length).toBeGreaterThan(report.results.length / 2);
    expect(report.preflight?.problems).toHaveLength(1);
    expect(report.preflight?.problems[0]?.message).toMatch(/registry unreachable: GET http:\/\/127\.0\.0\.1:9\/.* ECONNREFUSED/);
  });

  test("a per-scenario timeout is an error, and the run goes on", async () => {
    await withFault(delayResponses({ when: (e) => e.method === "GET" && e.path.endsWith(".bin"), stepMs: 3_000 }), async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target(url), scenarios: ["push.small", "push.duplicate"], tokenKinds: ["personal"], timeoutMs: 1_500 });
      // The time limit names the request it was waiting for.
      expect(report.results.find((r) => r.scenario === "push.small")).toMatchObject({
        status: "error",
        message: expect.stringMatching(/^timed out after 1\.5 s waiting for GET \/regkit-\w+-small-pat\/1\.0\.0\/\S+\.bin \(sent [\d.]+ s ago\)$/),
      });
      expect(report.results.map((r) => r.scenario)).toEqual(["push.small", "push.duplicate"]);
    });
  });
});

describe("the catalog fails against registries that get it wrong", () => {
  test("duplicates accepted under a reject policy: push.duplicate fails naming statuses and the request", async () => {
    await withFault(acceptDuplicates(), async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target(url), scenarios: ["push.duplicate"], tokenKinds: ["personal"] });
      const r = report.results[0]!;
      expect(r.status).toBe("fail");
      expect(r.expectation).toEqual({ expected: "refused with status 400", actual: "status 201" });
      expect(r.exchanges.at(-1)).toMatchObject({ method: "PUT", status: 201 });
      expect(renderConsole([report])).toMatch(/expected: refused with status 400\n\s+actual:\s+status 201\n\s+request:\s+PUT \/regkit-\w+-dup-pat\/1\.0\.0\/.* -> 201/);
    });
  });

  test("corrupted downloads: pull.package fails with a replay seed", async () => {
    await withFault(corruptBody({ when: (e) => e.method === "GET" && e.path.endsWith(".bin") }), async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target(url), scenarios: ["pull.package"], tokenKinds: ["job"], seed: 99 });
      const r = report.results[0]!;
      expect(r.status).toBe("fail");
      expect(r.message).toMatch(/differs from what was published/);
      expect(r.replay?.seed).toBe(99);
    });
  });

  test("credentials ignored: auth.matrix fails for anonymous and invalid", async () => {
    await withFault(ignoreCredentials({ as: { "private-token": registry.tokens.personal } }), async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target(url), scenarios: ["auth.matrix"] });
      expect(statusOf(report, "auth.matrix", "anonymous")).toEqual(["fail"]);
      expect(statusOf(report, "auth.matrix", "invalid")).toEqual(["fail"]);
    });
  });

  test("metadata that slows down as packages accumulate: push.many fails on growth", async () => {
    await withFault(delayResponses({ when: (e) => e.method === "GET" && !e.path.endsWith(".bin"), stepMs: 6 }), async (url) => {
      const report = await runConformance({
        kit: exampleKit,
        target: target(url, { options: { manyVersions: 30, manyPackages: 2, latencyGrowthFloorMs: 30 } }),
        scenarios: ["push.many"],
        tokenKinds: ["personal"],
      });
      const r = report.results[0]!;
      expect(r.status).toBe("fail");
      expect(r.message).toMatch(/grows with the package count/);
    });
  });

  test("HTML where JSON was due and 5xx are clear errors, and the other scenarios still run", async () => {
    const fault: Fault = (e) =>
      e.method === "GET" && /\/regkit-\w+-small-pat$/.test(e.path)
        ? { response: () => ({ status: 200, headers: { "content-type": "text/html" }, body: "<html><body>Sign in</body></html>" }) }
        : e.method === "PUT" && e.path.includes("-dup-pat/")
          ? { response: () => ({ status: 503, headers: { "content-type": "text/plain" }, body: "upstream down" }) }
          : undefined;
    await withFault(fault, async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target(url), scenarios: ["push.small", "push.duplicate", "pull.duplicate"], tokenKinds: ["personal"] });
      const small = report.results.find((r) => r.scenario === "push.small")!;
      expect(small.status).toBe("error");
      expect(small.message).toMatch(/expected JSON from GET \/regkit-\w+-small-pat -> 200, got text\/html: <html><body>Sign in/);
      const dup = report.results.find((r) => r.scenario === "push.duplicate")!;
      expect(dup.status).toBe("error");
      expect(dup.message).toMatch(/server error.*503/);
      expect(statusOf(report, "pull.duplicate")).toEqual(["pass"]);
    });
  });

  test("tokens never reach a report, even when the registry echoes them", async () => {
    const echo: Fault = (e) =>
      e.method === "PUT" ? { response: () => ({ status: 400, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: `token ${e.headers["private-token"]} is not allowed; Basic ${Buffer.from(`u:${registry.tokens.personal}`).toString("base64")}` }) }) } : undefined;
    await withFault(echo, async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target(url), scenarios: ["push.small"], tokenKinds: ["personal"] });
      expect(report.results[0]!.status).toBe("fail");
      const texts = [JSON.stringify(report), renderJunit([report]), renderConsole([report])];
      for (const text of texts) {
        expect(text).toContain("[REDACTED]");
        for (const secret of [registry.tokens.personal, registry.tokens.deploy, registry.tokens.job, registry.tokens.readonlyDeploy]) expect(text).not.toContain(secret);
      }
    });
  });
});
