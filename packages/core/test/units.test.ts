import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { defineKit, defineProfile, matchRoute, redact, redactHeaders, relativePath, renderJunit, resolveTarget, scenarioHelpers, summarize, type FormatKit, type RunReport, type ScenarioResult } from "@regkit/core";

const profile = (name: string) => defineProfile({ name, description: "", tokenKinds: ["personal"], policies: { duplicateStatus: [403] }, limits: { maxFileSize: 0 }, authHeaders: () => ({}) });
const npmKit: FormatKit = defineKit({
  format: "npm", title: "", description: "", profiles: { gitlab: profile("gitlab"), verdaccio: profile("verdaccio") }, defaultProfile: "gitlab", instanceLimit: 0, routes: [],
  arbitraries: { name: () => fc.constant("a"), invalidName: () => fc.constant("A"), version: () => fc.constant("1.0.0"), files: () => fc.constant({}) },
  packageName: (r, b) => `${r}-${b}`, ownsName: () => true, build: () => Promise.reject(new Error("unused")), compareVersions: () => 0,
  connect: () => { throw new Error("unused"); },
});

describe("redaction", () => {
  test("a secret never survives, raw, URL-encoded or inside Basic credentials", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 8, maxLength: 40 }).filter((s) => s.trim() === s), fc.string({ maxLength: 12 }), (secret, user) => {
        const basic = Buffer.from(`${user}:${secret}`).toString("base64");
        const text = `token=${secret} url=${encodeURIComponent(secret)} auth=Basic ${basic}`;
        const out = redact(text, [secret]);
        expect(out).not.toContain(secret);
        expect(out).not.toContain(basic);
      }),
      { numRuns: 200 },
    );
    expect(redactHeaders({ Authorization: "Bearer abc", "X-Other": "has abcdef" }, ["abcdef"])).toEqual({ authorization: "Bearer [REDACTED]", "x-other": "has [REDACTED]" });
  });
});

describe("route matching (endpoints.audit)", () => {
  const routes = [
    { method: "GET", path: "/:name", summary: "" },
    { method: "GET", path: "/:name/-/:file", summary: "" },
    { method: "PUT", path: "/*path", summary: "" },
  ];
  test("params, rest and query", () => {
    expect(matchRoute(routes, "GET", "/foo?write=true")?.path).toBe("/:name");
    expect(matchRoute(routes, "GET", "/foo/-/foo-1.0.0.tgz")?.path).toBe("/:name/-/:file");
    expect(matchRoute(routes, "GET", "/foo/bar")).toBeUndefined();
    expect(matchRoute(routes, "PUT", "/a/b/c")?.path).toBe("/*path");
    expect(matchRoute(routes, "DELETE", "/foo")).toBeUndefined();
  });
});

describe("latency growth", () => {
  const points = (ms: (i: number) => number) => Array.from({ length: 100 }, (_, i) => [i + 1, ms(i)] as const);
  const ctx = { options: { latencyBudgetMs: 1000, latencyGrowthFactor: 3, latencyGrowthFloorMs: 50 } } as never;
  test("flat latency passes, growing latency fails, noise under the floor passes", () => {
    const { checkLatency, latencySeries } = scenarioHelpers;
    expect(() => checkLatency(ctx, latencySeries("flat", points(() => 5), 1000), undefined)).not.toThrow();
    expect(() => checkLatency(ctx, latencySeries("tiny", points((i) => 0.1 + i * 0.05), 1000), undefined)).not.toThrow();
    expect(() => checkLatency(ctx, latencySeries("grows", points((i) => 5 + i * 3), 1000), undefined)).toThrow(/grows with the package count/);
    expect(() => checkLatency(ctx, latencySeries("slow", points((i) => (i === 50 ? 1500 : 5)), 1000), undefined)).toThrow(/1500 ms at 51 packages, over the 1000 ms budget/);
  });
});

describe("targets", () => {
  test("bad configuration is a clear ConfigError", () => {
    expect(() => resolveTarget(npmKit, { registry: "nope" })).toThrow(/registry "nope" is not a URL/);
    expect(() => resolveTarget(npmKit, { registry: "http://x", profile: "nexus" })).toThrow(/unknown profile "nexus" for npm \(known: gitlab, verdaccio\)/);
    expect(() => resolveTarget(npmKit, { registry: "http://u:p@x" })).toThrow(/not in the registry URL/);
    expect(resolveTarget(npmKit, { registry: "http://x/", policies: { duplicates: "allow" } }).policies).toEqual({ duplicates: "allow", duplicateStatus: [403] });
  });
});

describe("JUnit", () => {
  test("escapes hostile text and counts per suite", () => {
    const report = {
      schemaVersion: 4, tool: { name: "regkit", version: "0" }, runId: "r", format: "npm", registry: "http://x", profile: "gitlab", settings: {}, seed: 1,
      startedAt: new Date(0).toISOString(), durationMs: 5, summary: { pass: 1, fail: 1, skip: 1, error: 0, deviation: 0, disabled: 0, deviationsGone: 0 }, cleanup: { removed: 0, left: [], errors: [] },
      results: [
        { format: "npm", scenario: "a", title: "", tokenKind: "personal", status: "pass", exchanges: [], durationMs: 1, notes: [], latency: [], throughput: {} },
        { format: "npm", scenario: "b", title: "", tokenKind: "job", status: "fail", message: `<script>"&'\u0001`, expectation: { expected: "x", actual: "y" }, exchanges: [], durationMs: 1, notes: [], latency: [], throughput: {} },
        { format: "npm", scenario: "c", title: "", tokenKind: "deploy", status: "skip", message: "why", exchanges: [], durationMs: 1, notes: [], latency: [], throughput: {} },
      ],
    } satisfies RunReport;
    const xml = renderJunit([report]);
    expect(xml).toContain('tests="3" failures="1" errors="0" skipped="1"');
    expect(xml).toContain('<failure message="&lt;script&gt;&quot;&amp;&apos;" type="ConformanceFailure">');
    expect(xml).toContain('<testcase name="c [deploy]" classname="regkit.npm"');
    expect(xml).not.toContain("\u0001");
  });
});

describe("relativePath", () => {
  test("paths under the registry URL are relative to it; elsewhere on the origin they stay whole", () => {
    const base = "https://gl.example/api/v4/projects/42/packages/nuget";
    expect(relativePath(base, `${base}/download/x/index.json`)).toBe("/download/x/index.json");
    expect(relativePath(base, "https://gl.example/api/v4/projects/42/packages/nugetx/a")).toBe("/api/v4/projects/42/packages/nugetx/a");
    expect(relativePath(base, "https://other.example/a")).toBe("https://other.example/a");
  });

  test("a GitLab project named by path and the URLs GitLab hands out by id are the same endpoint", () => {
    const byPath = "https://gl.example/api/v4/projects/group%2Fapp/packages/nuget";
    expect(relativePath(byPath, "https://gl.example/api/v4/projects/42/packages/nuget/download/x/index.json")).toBe("/download/x/index.json");
    expect(relativePath(byPath, "https://gl.example/api/v4/projects/42/packages/nuget")).toBe("/");
    // Another format of the project is not this endpoint.
    expect(relativePath(byPath, "https://gl.example/api/v4/projects/42/packages/npm/x")).toBe("/api/v4/projects/42/packages/npm/x");
  });
});

describe("summarize", () => {
  const result = (status: ScenarioResult["status"], deviations: ScenarioResult["deviations"]): ScenarioResult => ({
    format: "f", scenario: "s", title: "", tokenKind: "personal", status, exchanges: [], durationMs: 0, notes: [], latency: [], throughput: {}, deviations,
  });
  const d = (id: string, observed: boolean) => ({ id, summary: "x", source: "y", observed });

  test("counts a deviation as gone only when no check of the run still saw it, each id once", () => {
    const summary = summarize([
      result("deviation", [d("a", true)]),
      result("pass", [d("a", false), d("b", false)]),
      result("pass", [d("b", false), d("c", false)]),
      result("fail", []),
    ]);
    expect(summary).toEqual({ pass: 2, fail: 1, skip: 0, error: 0, deviation: 1, disabled: 0, deviationsGone: 2 });
  });
});
