// Excluding scenarios on purpose (`exclude: { id or prefix: reason }`): the
// excluded scenario × token kind pairs are reported as `disabled` with the
// reason, apart from `skip` (the target cannot run them), counted in
// `summary.disabled`, and shown by every reporter (JUnit as skipped, which is
// how CI tools read a test nobody ran). describeConformance takes the same
// option and turns the pairs into skipped vitest tests.
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  WRITE_TOKEN_KINDS,
  coreScenarios,
  exclusionOf,
  jsonReporter,
  renderConsole,
  renderHtml,
  renderJunit,
  renderMarkdown,
  reportJsonSchema,
  runConformance,
  scenarioMatches,
  type JsonReport,
  type RunReport,
  type Scenario,
  type ScenarioResult,
  type Target,
} from "@regkit/core";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { exampleKit, exampleReference } from "@regkit/testkit";

const EXCLUDE = { "push.many": "too slow here", pull: "reason" } as const;
/** The scenarios those two selectors name in the core catalog, with the reason each gets. */
const EXCLUDED: Readonly<Record<string, string>> = { "push.many": "too slow here", "pull.package": "reason", "pull.duplicate": "reason" };
const SELECTED = ["push.small", "push.many", "pull", "auth.matrix"];

let registry: ReferenceRegistry;
/** Request lines the registry served ("PUT /api/v4/... 201 3ms"): what really ran. */
const served: string[] = [];

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [exampleReference], log: (line) => served.push(line) });
});
afterAll(async () => {
  await registry.close();
});

function scenario(id: string): Scenario {
  const found = coreScenarios.find((s) => s.id === id);
  if (!found) throw new Error(`no core scenario ${id}`);
  return found;
}

const key = (r: ScenarioResult): string => `${r.scenario} [${r.tokenKind}]`;

describe("runConformance with exclude", () => {
  let report: RunReport;
  beforeAll(async () => {
    served.length = 0;
    report = await runConformance({ kit: exampleKit, target: referenceTarget(registry, "example"), scenarios: SELECTED, exclude: EXCLUDE, seed: 11 });
  });

  test("exactly the excluded scenarios × kinds are disabled, each with its reason, and nothing of them ran", () => {
    const disabled = report.results.filter((r) => r.status === "disabled");
    const expected = Object.keys(EXCLUDED).flatMap((id) => WRITE_TOKEN_KINDS.map((kind) => `${id} [${kind}]`));
    expect(disabled.map(key).sort()).toEqual([...expected].sort());
    for (const r of disabled) {
      expect(r.message, key(r)).toBe(`disabled: ${EXCLUDED[r.scenario]}`);
      expect(r.exchanges, key(r)).toEqual([]);
      expect(r.durationMs).toBe(0);
    }
    // The rest ran and passed: the exclusion touched nothing else.
    const others = report.results.filter((r) => r.status !== "disabled");
    expect(new Set(others.map((r) => r.scenario))).toEqual(new Set(["push.small", "auth.matrix"]));
    expect(others.map((r) => `${key(r)}: ${r.status} ${r.message ?? ""}`).filter((line) => !line.includes(": pass"))).toEqual([]);
    // The registry never saw a package of the excluded scenarios (push.many's "many", pull's "pull0", "pulldup").
    expect(served.length).toBeGreaterThan(0);
    expect(served.filter((line) => /-(many|pkg\d+|pull\d+|pulldup)-/.test(line))).toEqual([]);
  });

  test("summary.disabled counts them, apart from skip", () => {
    expect(report.summary).toMatchObject({ disabled: 9, skip: 0, fail: 0, error: 0 });
    expect(report.summary.pass + report.summary.disabled).toBe(report.results.length);
  });

  test("the JSON report carries the status and the count, as its schema says", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-exclude-"));
    try {
      await jsonReporter(join(dir, "report.json")).finish([report]);
      const doc = JSON.parse(await readFile(join(dir, "report.json"), "utf8")) as JsonReport;
      const [written] = doc.reports;
      expect(written?.summary.disabled).toBe(9);
      expect(written?.results.find((r) => r.scenario === "push.many" && r.tokenKind === "job")).toMatchObject({ status: "disabled", message: "disabled: too slow here" });
      const schema = reportJsonSchema.properties.reports.items.properties;
      expect(schema.results.items.properties.status.enum).toContain("disabled");
      expect(schema.summary.required).toContain("disabled");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("JUnit counts them as skipped, with the reason, never as failures", () => {
    const junit = renderJunit([report]);
    expect(junit).toContain(`<testsuites name="regkit" tests="${report.results.length}" failures="0" errors="0" skipped="9"`);
    expect(junit).toMatch(/<testsuite name="regkit\.example" tests="\d+" failures="0" errors="0" skipped="9"/);
    expect(junit).toMatch(/<testcase name="push\.many \[personal\]" classname="regkit\.example" time="0\.000">\s*<skipped message="disabled: too slow here"\/>/);
    expect(junit).toMatch(/<testcase name="pull\.duplicate \[deploy\]"[^>]*>\s*<skipped message="disabled: reason"\/>/);
    expect(junit).not.toContain("<failure");
  });

  test("Markdown, console and HTML show them as disabled", () => {
    const md = renderMarkdown([report]);
    expect(md).toMatch(/\| `push\.many` \| 🚫 \| 🚫 \| 🚫 \|/);
    expect(md).toMatch(/\| `pull\.package` \| 🚫 \| 🚫 \| 🚫 \|/);
    expect(md).toMatch(/\| `push\.small` \| ✅ \| ✅ \| ✅ \|/);
    expect(md).toContain("0 skipped, 9 disabled, 0 errors");

    const table = renderConsole([report]);
    expect(table).toMatch(/^push\.many\s+disabled\s+disabled\s+disabled\s*$/m);
    expect(table).toMatch(/^push\.small\s+pass\s+pass\s+pass\s*$/m);
    expect(table).toContain("0 skipped, 9 disabled, 0 errors");

    const html = renderHtml([report]);
    expect(html).toContain('<span class="badge disabled">9 disabled</span>');
    expect(html).toMatch(/disabled: too slow here: <code>push\.many<\/code> \[personal\]/);
  });
});

describe("exclusions and skips are apart", () => {
  test("a missing credential is still a skip with its hint; an excluded pair is disabled whatever the credentials", async () => {
    const report = await runConformance({
      kit: exampleKit,
      target: referenceTarget(registry, "example", { credentials: { personal: registry.tokens.personal } }),
      scenarios: ["push.small", "push.many", "pull.package"],
      exclude: EXCLUDE,
      seed: 12,
    });
    const status = (scenario: string, kind: string): string | undefined => report.results.find((r) => r.scenario === scenario && r.tokenKind === kind)?.status;
    expect(status("push.small", "personal")).toBe("pass");
    const deploy = report.results.find((r) => r.scenario === "push.small" && r.tokenKind === "deploy");
    expect(deploy).toMatchObject({ status: "skip" });
    expect(deploy?.message).toMatch(/REGKIT_DEPLOY_TOKEN/);
    expect(report.results.find((r) => r.scenario === "push.small" && r.tokenKind === "job")?.message).toMatch(/REGKIT_JOB_TOKEN/);
    // The caller's exclusion wins: it says why nobody tried, whatever else is missing.
    for (const kind of WRITE_TOKEN_KINDS) {
      expect(status("push.many", kind), kind).toBe("disabled");
      expect(status("pull.package", kind), kind).toBe("disabled");
    }
    expect(report.summary).toMatchObject({ pass: 1, skip: 2, disabled: 6 });
    expect(renderConsole([report])).toMatch(/skipped:\n\s+.*REGKIT_DEPLOY_TOKEN.*push\.small \[deploy\]/);
  });

  test("an unreachable registry is one setup problem: the scenarios that would run are not run, the excluded stay disabled", async () => {
    const report = await runConformance({
      kit: exampleKit,
      target: { registry: "http://127.0.0.1:9/api/v4/projects/1/packages/example", credentials: { personal: "glpat-unused-0123456789" } },
      scenarios: ["push.small", "push.many", "pull.package"],
      tokenKinds: ["personal"],
      exclude: { push: "not now", "push.small": "" },
    });
    // The most specific selector wins; an empty reason still says who excluded it.
    expect(report.results.map((r) => [r.scenario, r.status])).toEqual([
      ["push.small", "disabled"],
      ["push.many", "disabled"],
      ["pull.package", "skip"],
    ]);
    expect(report.results.map((r) => r.message)).toEqual(["disabled: excluded by the caller", "disabled: not now", "not run: setup error: see preflight"]);
    expect(report.summary).toMatchObject({ disabled: 2, skip: 1 });
    expect(report.preflight?.problems.map((p) => p.check)).toEqual(["registry"]);
    expect(report.preflight?.problems[0]?.message).toMatch(/registry unreachable/);
  });
});

describe("exclusionOf and scenarioMatches (no registry)", () => {
  test("a selector is the id itself or a prefix of its dotted parts", () => {
    expect(scenarioMatches("push.many", "push.many")).toBe(true);
    expect(scenarioMatches("push.many", "push")).toBe(true);
    expect(scenarioMatches("model.random-ops", "model")).toBe(true);
    expect(scenarioMatches("push.many", "push.m")).toBe(false);
    expect(scenarioMatches("push.many", "pus")).toBe(false);
    expect(scenarioMatches("pushy.small", "push")).toBe(false);
    expect(scenarioMatches("push", "push.many")).toBe(false);
    expect(scenarioMatches("push.many", "")).toBe(false);
  });

  test("the most specific selector gives the reason; none, or no exclude, gives undefined", () => {
    const exclude = { push: "the whole family", "push.many": "too slow here", "pull.package": "" };
    expect(exclusionOf(scenario("push.many"), exclude)).toBe("too slow here");
    expect(exclusionOf(scenario("push.small"), exclude)).toBe("the whole family");
    expect(exclusionOf(scenario("pull.package"), exclude)).toBe("excluded by the caller");
    expect(exclusionOf(scenario("pull.duplicate"), exclude)).toBeUndefined();
    expect(exclusionOf(scenario("auth.matrix"), exclude)).toBeUndefined();
    expect(exclusionOf(scenario("push.many"), undefined)).toBeUndefined();
    expect(exclusionOf(scenario("push.many"), {})).toBeUndefined();
    // The key order does not matter: a prefix listed after the exact id still loses.
    expect(exclusionOf(scenario("push.many"), { "push.many": "exact", push: "prefix" })).toBe("exact");
  });
});

// describeConformance registers its tests when this file is collected, before
// the registry starts: the target reads the registry's URL and tokens lazily,
// when the first test opens the run session.
const reported: ScenarioResult[] = [];
const lazyTarget: Target = {
  get registry(): string {
    return referenceTarget(registry, "example").registry;
  },
  get credentials(): Target["credentials"] {
    return referenceTarget(registry, "example").credentials;
  },
};
describeConformance(exampleKit, lazyTarget, {
  scenarios: ["push.small", "push.many"],
  tokenKinds: ["personal", "deploy"],
  exclude: { "push.many": "too slow here" },
  seed: 13,
  onResult: (result) => reported.push(result),
});

/** A vitest task, as much of it as the check below reads. */
interface TaskLike {
  readonly name: string;
  readonly mode: string;
  readonly tasks?: readonly TaskLike[] | undefined;
}

function suiteNamed(tasks: readonly TaskLike[], name: string): TaskLike | undefined {
  for (const task of tasks) {
    if (task.name === name && task.tasks) return task;
    const inner = task.tasks ? suiteNamed(task.tasks, name) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

describe("describeConformance with exclude", () => {
  test("excluded pairs are skipped vitest tests named with the reason, reported as disabled; the rest ran", (ctx) => {
    const tasks = ctx.task.file.tasks;
    const many = suiteNamed(tasks, "push.many");
    expect(many?.tasks?.map((t) => [t.name, t.mode])).toEqual([
      ["personal (disabled: too slow here)", "skip"],
      ["deploy (disabled: too slow here)", "skip"],
    ]);
    const small = suiteNamed(tasks, "push.small");
    expect(small?.tasks?.map((t) => [t.name, t.mode])).toEqual([
      ["personal", "run"],
      ["deploy", "run"],
    ]);
    expect(reported.map((r) => [r.scenario, r.tokenKind, r.status, r.message])).toEqual([
      ["push.many", "personal", "disabled", "disabled: too slow here"],
      ["push.many", "deploy", "disabled", "disabled: too slow here"],
      ["push.small", "personal", "pass", undefined],
      ["push.small", "deploy", "pass", undefined],
    ]);
  });
});
