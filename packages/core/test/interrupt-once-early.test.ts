// Interrupted runs clean up after themselves; push.over-limit runs once per
// run (the limit belongs to the instance) and sends no more than the registry
// reads; push.many stops publishing once its verdict cannot change.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, test } from "vitest";
import { DEFAULT_OPTIONS, NOT_RUN_INTERRUPTED, resolveTarget, runConformance, settingsOf, type RunReport, type Target } from "@regkit/core";
import { exampleKit, exampleReference, resultOf, startFaultyProxy, useFaultHarness, type Fault } from "@regkit/testkit";

const MiB = 1024 * 1024;
const harness = useFaultHarness(exampleKit, exampleReference, { registry: { limits: { example: { maxFileSize: 4 * MiB } } } });

/** What the reference registry's Packages API lists for names containing `text`. */
async function listed(text: string): Promise<unknown[]> {
  const { registry } = harness();
  const res = await fetch(`${registry.url}/api/v4/projects/1/packages?package_name=${encodeURIComponent(text)}&per_page=100`, { headers: { "private-token": registry.tokens.personal } });
  expect(res.status).toBe(200);
  return (await res.json()) as unknown[];
}

describe("an interrupted run", () => {
  test("aborted mid-run: what runs says interrupted, what had not started is not run, cleanup removes everything the run created", async () => {
    const { registry } = harness();
    const controller = new AbortController();
    let probes = 0;
    // Interrupts while push.many (personal) is under way: at its fifth metadata read, after five publishes.
    const interruptMidMany: Fault = (e) => {
      if (e.method === "GET" && /-many-pat$/.test(e.path) && ++probes === 5) controller.abort();
      return undefined;
    };
    const proxy = await startFaultyProxy({ upstream: registry.url, fault: interruptMidMany });
    let report: RunReport;
    let abortedAt = 0;
    controller.signal.addEventListener("abort", () => (abortedAt = performance.now()));
    try {
      const base = harness().target();
      const target: Target = { ...base, registry: base.registry.replace(registry.url, proxy.url), options: { numRuns: 2, manyVersions: 200, manyPackages: 2 } };
      report = await runConformance({ kit: exampleKit, target, scenarios: ["push.small", "push.duplicate", "push.many", "pull.duplicate"], signal: controller.signal });
    } finally {
      await proxy.close();
    }
    expect(report.interrupted).toBe(true);
    // The scenarios before push.many (which runs alone, last) had finished.
    for (const kind of ["personal", "deploy", "job"] as const) {
      for (const scenario of ["push.small", "push.duplicate", "pull.duplicate"]) expect(resultOf(report, scenario, kind).status, `${scenario} ${kind}`).toBe("pass");
    }
    expect(resultOf(report, "push.many", "personal")).toMatchObject({
      status: "error",
      message: expect.stringMatching(/^interrupted( while waiting for GET \/regkit-\w+-many-pat \(sent [\d.]+ s ago\)|; the last request, .* ended [\d.]+ s before)$/),
    });
    // push.many runs once per run: the other kinds were never to run it.
    expect(resultOf(report, "push.many", "deploy")).toMatchObject({ status: "skip", message: expect.stringMatching(/^runs once per run: .* \(under personal only\)$/) });
    expect(resultOf(report, "push.many", "job")).toMatchObject({ status: "skip", message: expect.stringMatching(/^runs once per run: .* \(under personal only\)$/) });
    // Cleanup ran all the same, and soon: the run ended a moment after the abort.
    expect(performance.now() - abortedAt).toBeLessThan(10_000);
    expect(report.cleanup).toMatchObject({ left: [], errors: [] });
    expect(report.cleanup.removed).toBeGreaterThan(9);
    expect(await listed(`regkit-${report.runId}`)).toEqual([]);
  });

  test("aborted before it starts: nothing runs, nothing is sent, every pair is not run", async () => {
    const controller = new AbortController();
    controller.abort();
    const report = await runConformance({ kit: exampleKit, target: harness().target(), scenarios: ["push.small", "auth.matrix"], signal: controller.signal });
    expect(report.interrupted).toBe(true);
    expect(report.results.map((r) => [r.status, r.message])).toEqual(Array.from({ length: 6 }, () => ["skip", NOT_RUN_INTERRUPTED]));
    expect(report.cleanup).toEqual({ removed: 0, left: [], errors: [] });
  });

  test("a run that is not interrupted carries no interrupted flag", async () => {
    const report = await runConformance({ kit: exampleKit, target: harness().target(), scenarios: ["push.small"], tokenKinds: ["personal"] });
    expect(report.interrupted).toBeUndefined();
    expect(resultOf(report, "push.small").status).toBe("pass");
  });

  test("cleanup has its own time limit: a registry whose deletes hang costs cleanupTimeoutMs, and what is left is listed", async () => {
    const { registry } = harness();
    // DELETEs answer after 3 s; the request timeout is longer, so only cleanup's own limit ends them.
    const slowDeletes: Fault = (e) => (e.method === "DELETE" ? { response: () => ({ delayMs: 3_000 }) } : undefined);
    const proxy = await startFaultyProxy({ upstream: registry.url, fault: slowDeletes });
    try {
      const base = harness().target();
      const target: Target = { ...base, registry: base.registry.replace(registry.url, proxy.url), options: { requestTimeoutMs: 10_000, unansweredLimit: 0 } };
      const started = performance.now();
      const report = await runConformance({ kit: exampleKit, target, scenarios: ["push.small"], cleanupTimeoutMs: 500 });
      expect(performance.now() - started).toBeLessThan(2_900);
      expect(report.cleanup.removed).toBe(0);
      expect(report.cleanup.left).toEqual([`regkit-${report.runId}-small-dpl`, `regkit-${report.runId}-small-job`, `regkit-${report.runId}-small-pat`]);
      expect(report.cleanup.errors).toEqual(["cleanup stopped after 0.5 s (its time limit): 3 packages not removed"]);
    } finally {
      await proxy.close();
    }
    // The slow deletes still reach the registry after the run gave up on them; wait for them, then clean.
    await expect.poll(async () => listed("regkit-"), { timeout: 10_000, interval: 500 }).toEqual([]);
  });
});

describe("push.over-limit runs once per run", () => {
  test("under the first write kind the target has; the other kinds skip saying where it ran", async () => {
    const all = await harness().run(undefined, { scenarios: ["push.over-limit"], tokenKinds: ["personal", "deploy", "job"], target: { limits: { maxFileSize: 4 * MiB } } });
    expect(resultOf(all, "push.over-limit", "personal").status).toBe("pass");
    for (const kind of ["deploy", "job"] as const) {
      expect(resultOf(all, "push.over-limit", kind)).toMatchObject({ status: "skip", message: "runs once per run: the limit belongs to the instance (under personal only)" });
    }
    // Without the personal kind selected it runs under deploy.
    const later = await harness().run(undefined, { scenarios: ["push.over-limit"], tokenKinds: ["deploy", "job"], target: { limits: { maxFileSize: 4 * MiB } } });
    expect(resultOf(later, "push.over-limit", "deploy").status).toBe("pass");
    expect(resultOf(later, "push.over-limit", "job")).toMatchObject({ status: "skip", message: "runs once per run: the limit belongs to the instance (under deploy only)" });
    // Without a personal token at all, the same.
    const { tokens } = harness().registry;
    const noPersonal = await harness().run(undefined, {
      scenarios: ["push.over-limit"],
      tokenKinds: ["personal", "deploy", "job"],
      credentials: { deploy: { username: "gitlab+deploy-token-1", token: tokens.deploy }, job: tokens.job },
      target: { limits: { maxFileSize: 4 * MiB } },
    });
    expect(resultOf(noPersonal, "push.over-limit", "personal").message).toMatch(/no personal access token given/);
    expect(resultOf(noPersonal, "push.over-limit", "deploy").status).toBe("pass");
  });

  test("a registry that refuses after the first bytes gets far fewer bytes than the package has, and the refusal passes cleanly", async () => {
    let received = 0;
    let puts = 0;
    // A registry that refuses any upload at its first bytes and keeps reading what comes.
    const refusing: Server = createServer((req, res) => {
      if (req.method === "PUT") {
        puts++;
        req.on("data", (chunk: Buffer) => (received += chunk.byteLength));
        req.once("data", () => res.writeHead(413, { "content-type": "application/json" }).end('{"message":"413 Request Entity Too Large"}'));
        return;
      }
      req.resume();
      // The root answers (reachable); a package is never there; deletes succeed.
      if (req.method === "DELETE") res.writeHead(204).end();
      else if (/\/packages\/example\/?$/.test(req.url ?? "")) res.writeHead(200, { "content-type": "application/json" }).end("{}");
      else res.writeHead(404, { "content-type": "application/json" }).end('{"message":"404 Not Found"}');
    });
    await new Promise<void>((resolve) => refusing.listen(0, "127.0.0.1", resolve));
    try {
      const port = (refusing.address() as AddressInfo).port;
      const limit = 64 * MiB;
      const target: Target = { ...harness().target(), registry: `http://127.0.0.1:${port}/api/v4/projects/1/packages/example`, limits: { maxFileSize: limit } };
      const report = await runConformance({ kit: exampleKit, target, scenarios: ["push.over-limit"] });
      const r = resultOf(report, "push.over-limit");
      expect(r.status, r.message).toBe("pass");
      expect(puts).toBe(1);
      // The package is limit + 1 MiB (65 MiB); socket buffers let a few MiB out before the answer.
      expect(received).toBeGreaterThan(0);
      expect(received).toBeLessThan(16 * MiB);
    } finally {
      refusing.closeAllConnections();
      await new Promise<void>((resolve) => refusing.close(() => resolve()));
    }
  });
});

describe("push.many stops once its verdict cannot change", () => {
  const slowMetadata = (ms: number): Fault => (e) => (e.method === "GET" && /-many-pat$/.test(e.path) ? { response: () => ({ delayMs: ms }) } : undefined);

  test("after latencyStopAfter responses in a row over the budget it stops publishing, keeps the series and says why", async () => {
    const report = await harness().run(slowMetadata(150), { scenarios: ["push.many"], options: { latencyBudgetMs: 60, latencyStopAfter: 3, manyVersions: 30 } });
    const r = resultOf(report, "push.many");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/^30 versions of one package: stopped after 3 of 30 publishes: 3 consecutive metadata responses over the 60 ms budget \(the slowest \d+ ms\)$/);
    expect(r.expectation).toEqual({ expected: "every metadata response under 60 ms", actual: expect.stringMatching(/^3 in a row over it, the last \d+ ms at count 3$/) });
    expect(r.latency).toHaveLength(1);
    expect(r.latency[0]!.points.map(([count]) => count)).toEqual([1, 2, 3]);
    expect(r.latency[0]!.points.every(([, ms]) => ms > 60)).toBe(true);
    expect(r.exchanges).toEqual([expect.objectContaining({ method: "GET", status: 200 })]);
    expect(report.cleanup.left).toEqual([]);
  });

  test("with latencyStopAfter 0 it measures the whole series and fails on the budget at the end", async () => {
    const report = await harness().run(slowMetadata(80), { scenarios: ["push.many"], options: { latencyBudgetMs: 40, latencyStopAfter: 0, manyVersions: 12, manyPackages: 2 } });
    const r = resultOf(report, "push.many");
    expect(r.status).toBe("fail");
    expect(r.message).toMatch(/^12 versions of one package: a metadata response took \d+ ms at 1 packages, over the 40 ms budget$/);
    expect(r.latency[0]!.points).toHaveLength(12);
  });

  test("a response over the budget now and then does not stop it early", async () => {
    let n = 0;
    // Every other metadata read is slow: never latencyStopAfter (2) in a row.
    const alternating: Fault = (e) => (e.method === "GET" && /-many-pat$/.test(e.path) && ++n % 2 === 0 ? { response: () => ({ delayMs: 80 }) } : undefined);
    const report = await harness().run(alternating, { scenarios: ["push.many"], options: { latencyBudgetMs: 40, latencyStopAfter: 2, manyVersions: 10, manyPackages: 2 } });
    const r = resultOf(report, "push.many");
    expect(r.status).toBe("fail");
    expect(r.message).not.toMatch(/stopped after/);
    expect(r.latency[0]!.points).toHaveLength(10);
  });
});

describe("the new options are settings", () => {
  test("latencyStopAfter, requestTimeoutMs and unansweredLimit are listed with their defaults and can be set", () => {
    const profile = exampleKit.profiles.gitlab!;
    const byKey = new Map(settingsOf(profile).map((s) => [s.key, s]));
    expect(byKey.get("latencyStopAfter")).toMatchObject({ type: "number", default: 5 });
    expect(byKey.get("requestTimeoutMs")).toMatchObject({ type: "number", default: 60_000 });
    expect(byKey.get("unansweredLimit")).toMatchObject({ type: "number", default: 3 });
    expect(DEFAULT_OPTIONS).toMatchObject({ latencyStopAfter: 5, requestTimeoutMs: 60_000, unansweredLimit: 3 });
    const resolved = resolveTarget(exampleKit, { registry: "http://127.0.0.1:1/x", settings: { requestTimeoutMs: "1500", unansweredLimit: "0", latencyStopAfter: 2 } });
    expect(resolved.options).toMatchObject({ requestTimeoutMs: 1500, unansweredLimit: 0, latencyStopAfter: 2 });
    expect(() => resolveTarget(exampleKit, { registry: "http://127.0.0.1:1/x", settings: { requestTimeoutMs: "soon" } })).toThrow(/setting requestTimeoutMs expects number/);
  });
});
