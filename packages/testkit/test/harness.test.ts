// The fault harness kit authors use, run on the testkit's own example kit:
// with no fault the core catalog passes against the reference registry (or
// skips, with the reason), a fault makes the one scenario that checks for it
// fail, and resultOf says what ran when asked for something that did not.
import { describe, expect, test } from "vitest";
import { ALL_TOKEN_KINDS, coreScenarios } from "@regkit/core";
import { HARNESS_OPTIONS, HARNESS_SEED, acceptDuplicates, corruptBody, exampleKit, exampleReference, resultOf, useFaultHarness } from "@regkit/testkit";

const harness = useFaultHarness(exampleKit, exampleReference);

describe("the example kit through the fault harness", () => {
  test("with no fault, the whole core catalog passes or skips under every token kind, none fail or error", async () => {
    const report = await harness().run(undefined, { scenarios: coreScenarios.map((s) => s.id), tokenKinds: ALL_TOKEN_KINDS });
    const problems = report.results.filter((r) => r.status !== "pass" && r.status !== "skip");
    expect(problems.map((r) => `${r.scenario} [${r.tokenKind}] ${r.status}: ${r.message ?? ""}`)).toEqual([]);
    // Every scenario of the catalog ran, and the core of it really passed.
    expect(new Set(report.results.map((r) => r.scenario))).toEqual(new Set(coreScenarios.map((s) => s.id)));
    for (const id of ["push.small", "push.duplicate", "pull.package", "metadata.versions"]) {
      for (const kind of ["personal", "deploy", "job"] as const) expect(resultOf(report, id, kind).status, `${id} [${kind}]`).toBe("pass");
    }
    // push.large and push.many run once per run, under the first write kind; the others say where they ran.
    for (const id of ["push.large", "push.many"]) {
      expect(resultOf(report, id, "personal").status, id).toBe("pass");
      for (const kind of ["deploy", "job"] as const) expect(resultOf(report, id, kind), `${id} [${kind}]`).toMatchObject({ status: "skip", message: expect.stringMatching(/^runs once per run: .*\(under personal only\)$/) });
    }
    for (const kind of ["anonymous", "invalid", "readonly"] as const) expect(resultOf(report, "auth.matrix", kind).status, kind).toBe("pass");
    // Skips carry their reason (the example kit has no search and no real client).
    for (const r of report.results.filter((x) => x.status === "skip")) expect(r.message, `${r.scenario} [${r.tokenKind}]`).toBeTruthy();
    expect(resultOf(report, "search").message).toMatch(/capability search/);
    // The harness's defaults: small options and a fixed seed, so failures replay.
    expect(report.seed).toBe(HARNESS_SEED);
    expect(resultOf(report, "push.many").latency.map((s) => s.points.length)).toEqual([HARNESS_OPTIONS.manyVersions, HARNESS_OPTIONS.manyPackages]);
    expect(report.cleanup.left).toEqual([]);
  });

  test("a registry that accepts duplicates fails push.duplicate, naming the statuses", async () => {
    const report = await harness().run(acceptDuplicates(), { scenarios: ["push.small", "push.duplicate"] });
    const dup = resultOf(report, "push.duplicate");
    expect(dup.status).toBe("fail");
    expect(dup.expectation).toEqual({ expected: "refused with status 400", actual: "status 201" });
    expect(resultOf(report, "push.small").status).toBe("pass");
  });

  test("a registry that corrupts downloads fails pull.package, with a replay seed", async () => {
    const report = await harness().run(corruptBody({ when: (e) => e.method === "GET" && e.path.endsWith(".bin") }), { scenarios: ["pull.package"], tokenKinds: ["job"], seed: 77 });
    const pull = resultOf(report, "pull.package", "job");
    expect(pull.status).toBe("fail");
    expect(pull.message).toMatch(/differs from what was published/);
    expect(pull.replay?.seed).toBe(77);
  });

  test("a fault aimed at one scenario's packages fails that scenario only", async () => {
    // pull.package names its packages pull0, pull1...; push.duplicate's download of its own package is untouched.
    const report = await harness().run(corruptBody({ when: (e) => e.method === "GET" && /-pull\d+-/.test(e.path) }), { scenarios: ["pull.package", "push.duplicate"] });
    expect(resultOf(report, "pull.package").status).toBe("fail");
    expect(resultOf(report, "push.duplicate").status).toBe("pass");
  });

  test("the harness's target reaches the kit's endpoint straight, with every credential the registry issued", () => {
    const target = harness().target({ options: { numRuns: 1 } });
    expect(target.registry).toBe(harness().registry.registries.example);
    expect(target.credentials?.personal).toBe(harness().registry.tokens.personal);
    expect(target.credentials?.job).toBe(harness().registry.tokens.job);
    expect(target.options).toEqual({ numRuns: 1 });
  });
});

describe("resultOf", () => {
  test("throws, naming what ran, when the scenario or the kind did not run", async () => {
    const report = await harness().run(undefined, { scenarios: ["push.small"] });
    expect(resultOf(report, "push.small").status).toBe("pass");
    expect(() => resultOf(report, "push.nope")).toThrow("push.nope [personal] did not run; the report has push.small [personal]");
    expect(() => resultOf(report, "push.small", "job")).toThrow("push.small [job] did not run; the report has push.small [personal]");
    expect(() => resultOf({ ...report, results: [] }, "push.small")).toThrow("push.small [personal] did not run; the report has no results");
  });
});
