// Runs that never hang: against a registry that answers too slowly, one that
// never answers, one that stops answering halfway, one that drops connections
// mid-body, a whole run ends within a bound computed from its options, and
// every result says which request it was waiting for.
import { createServer as createTcpServer, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { describe, expect, test } from "vitest";
import { defineKit, runConformance, type AnyProfile, type KitScenario, type RegistryClient, type RunReport, type ScenarioOptions, type Target } from "@regkit/core";
import { exampleKit, exampleReference, resultOf, startFaultyProxy, truncateBody, useFaultHarness, type Fault } from "@regkit/testkit";

const harness = useFaultHarness(exampleKit, exampleReference);

/** The format endpoint's own root: the runner's reachability check, which these faults leave alone. */
const isRoot = (path: string): boolean => /\/packages\/example\/?$/.test(path);

/** Runs the example kit through a proxy applying `fault`, with these options on top of small defaults. */
async function runThrough(fault: Fault, options: Partial<ScenarioOptions>, run: Partial<Parameters<typeof runConformance>[0]> = {}): Promise<RunReport> {
  const { registry } = harness();
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  try {
    const base = harness().target();
    const target: Target = {
      ...base,
      registry: base.registry.replace(registry.url, proxy.url),
      options: { numRuns: 2, maxCommands: 4, manyVersions: 10, manyPackages: 2, ...options },
    };
    return await runConformance({ kit: exampleKit, target, seed: 11, ...run });
  } finally {
    await proxy.close();
  }
}

const problems = (report: RunReport): string[] => report.results.filter((r) => r.status === "fail" || r.status === "error").map((r) => `${r.scenario}[${r.tokenKind}]: ${r.message}`);

describe("a registry that answers too slowly", () => {
  test("each request over requestTimeoutMs is a clear error naming it, and the run ends in bounded time", async () => {
    const requestTimeoutMs = 400;
    // Every read but the root answers after 1.5 s, well past the request timeout.
    const slowReads: Fault = (e) => (e.method === "GET" && !isRoot(e.path) ? { response: () => ({ delayMs: 1_500 }) } : undefined);
    const scenarios = ["push.small", "push.duplicate", "pull.package", "metadata.versions"];
    // The breaker off: every scenario meets the slow registry on its own.
    const report = await runThrough(slowReads, { requestTimeoutMs, unansweredLimit: 0 }, { scenarios, tokenKinds: ["personal"] });
    for (const scenario of scenarios) {
      const r = resultOf(report, scenario);
      expect(r.status, scenario).toBe("error");
      expect(r.message, scenario).toMatch(/GET \/regkit-\w+-\S+ got no response within 0\.4 s \(the request timeout, requestTimeoutMs\)/);
      expect(r.exchanges.at(-1), scenario).toMatchObject({ method: "GET", status: 0 });
    }
    // Each scenario waits one request timeout (plus undici's coarse timer), a few publishes, and cleanup (DELETEs are fast).
    expect(report.durationMs).toBeLessThan(scenarios.length * (requestTimeoutMs + 1_000) + 5_000);
    expect(report.cleanup.left).toEqual([]);
  });
});

describe("a registry that never answers", () => {
  test("accepts connections and never writes: the run ends within the reachability check's time, every scenario says the registry is not answering", async () => {
    const sockets = new Set<Socket>();
    const silent = createTcpServer((socket) => {
      sockets.add(socket);
      socket.on("error", () => {});
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as AddressInfo).port;
    try {
      const requestTimeoutMs = 1_000;
      const target: Target = { ...harness().target(), registry: `http://127.0.0.1:${port}/api/v4/projects/1/packages/example`, options: { requestTimeoutMs } };
      const started = performance.now();
      const report = await runConformance({ kit: exampleKit, target });
      const elapsed = performance.now() - started;
      // The bound from the options: one reachability check of min(15 s, requestTimeoutMs), nothing else waits.
      expect(elapsed).toBeLessThan(Math.min(15_000, requestTimeoutMs) + 4_000);
      const errors = report.results.filter((r) => r.status === "error");
      expect(errors.length).toBeGreaterThan(report.results.length / 2);
      for (const r of errors) {
        expect(r.message).toMatch(/^not run: the registry stopped answering \(GET http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/1\/packages\/example got no response within 1 s\)$/);
      }
      expect(report.results.every((r) => r.status === "error" || r.status === "skip")).toBe(true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe("a registry that stops answering halfway", () => {
  test("the circuit breaker: after unansweredLimit requests in a row without a response, the rest is not run and cleanup gives up as fast", async () => {
    const requestTimeoutMs = 400;
    const unansweredLimit = 3;
    let silent = false;
    // After a dozen requests it takes every request and never answers in time (2.5 s, past the timeout).
    const stops: Fault = (e) => {
      if (e.count > 12) silent = true;
      return silent ? { request: { answer: { status: 200, delayMs: 2_500 } } } : undefined;
    };
    const report = await runThrough(stops, { requestTimeoutMs, unansweredLimit }, {
      scenarios: ["push.small", "push.duplicate", "pull.package", "pull.duplicate", "metadata.versions", "auth.matrix"],
    });
    const notRun = report.results.filter((r) => r.message?.startsWith("not run: the registry stopped answering"));
    // 6 scenarios × 3 kinds; a dozen requests cover only the first few.
    expect(notRun.length).toBeGreaterThan(report.results.length / 2);
    for (const r of notRun) {
      expect(r.status).toBe("error");
      expect(r.message).toMatch(/^not run: the registry stopped answering \(3 requests in a row got no response; the last: \S+ \/\S+ got no response within 0\.4 s \(the request timeout, requestTimeoutMs\)\)$/);
    }
    // Those under way when it tripped say why they ended, and no pair passed after it.
    for (const r of report.results.filter((x) => x.status === "error" && !notRun.includes(x))) {
      expect(r.message).toMatch(/got no response within 0\.4 s|stopped: the registry stopped answering/);
    }
    // Cleanup meets the same silence and stops after one round of request timeouts.
    expect(report.cleanup.errors.at(-1)).toMatch(/^cleanup stopped: the registry stopped answering \(\d+ requests in a row got no response; .*\): \d+ packages? not removed$/);
    expect(report.cleanup.left.length).toBeGreaterThan(0);
    // Bound from the options: the work before the stop (a dozen quick requests), at most
    // unansweredLimit request timeouts one after another, cleanup's round, and slack for timers.
    expect(report.durationMs).toBeLessThan(unansweredLimit * (requestTimeoutMs + 600) + (requestTimeoutMs + 600) + 6_000);
  });
});

describe("a registry that drops connections mid-body", () => {
  test("a truncated download is a clear error naming the request and the bytes, not a hang", async () => {
    const report = await harness().run(truncateBody({ when: (e) => e.method === "GET" && e.path.endsWith(".bin") }), { scenarios: ["pull.package"] });
    const r = resultOf(report, "pull.package");
    expect(r.status).toBe("error");
    expect(r.message).toMatch(/GET \/regkit-\w+-pull0-pat\/1\.0\.0\/\S+\.bin -> 200: (the body broke off after \d+ bytes of \d+|truncated body: Content-Length says \d+ bytes, \d+ arrived)/);
    expect(r.durationMs).toBeLessThan(10_000);
    expect(report.cleanup.left).toEqual([]);
  });
});

describe("a scenario's time limit", () => {
  test("says which request was in flight and since when", async () => {
    const slowDownloads: Fault = (e) => (e.method === "GET" && e.path.endsWith(".bin") ? { response: () => ({ delayMs: 3_000 }) } : undefined);
    const report = await runThrough(slowDownloads, {}, { scenarios: ["push.small"], tokenKinds: ["personal"], timeoutMs: 1_500 });
    expect(resultOf(report, "push.small")).toMatchObject({
      status: "error",
      message: expect.stringMatching(/^timed out after 1\.5 s waiting for GET \/regkit-\w+-small-pat\/1\.0\.0\/regkit-\w+-small-pat-1\.0\.0\.bin \(sent [\d.]+ s ago\)$/),
    });
    expect(problems(report)).toHaveLength(1);
  });

  test("with no request in flight, it names the last one, or says none was made", async () => {
    // Scenarios stuck in their own work (a real client that hangs would look the same), released only by their signal.
    const stuckAfterRead: KitScenario<RegistryClient, AnyProfile> = {
      id: "test.stuck-after-read",
      title: "stuck after one read",
      checklist: 5,
      description: "reads the versions of a package, then waits until stopped",
      audience: "write",
      async run(ctx) {
        await ctx.client.versions(ctx.name("absent"));
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    };
    const stuckAtOnce: KitScenario<RegistryClient, AnyProfile> = {
      ...stuckAfterRead,
      id: "test.stuck-at-once",
      async run(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    };
    const kit = defineKit({ ...exampleKit, scenarios: [stuckAfterRead, stuckAtOnce] });
    const report = await runConformance({ kit, target: harness().target(), scenarios: ["test"], tokenKinds: ["personal"], timeoutMs: 500 });
    expect(resultOf(report, "test.stuck-after-read")).toMatchObject({
      status: "error",
      message: expect.stringMatching(/^timed out after 0\.5 s; the last request, GET \/regkit-\w+-absent-pat -> 404, ended [\d.]+ s before$/),
    });
    expect(resultOf(report, "test.stuck-at-once")).toMatchObject({ status: "error", message: "timed out after 0.5 s before any request was made" });
  });
});
