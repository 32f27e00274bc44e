// Setup mistakes are said once, with the fix, before any scenario runs: a
// wrong URL, a wrong GitLab project, a refused token, a read-only token used
// as a writer, no credentials at all. Against the reference registry (and
// fault proxies in front of it), the example kit, and the CLI's main().
// Also here: runs in which nothing ran exit non-zero, a vitest target whose
// deploy token is undefined skips that kind, and cleanup removes each package
// with the credential that created it, falling back to the others, and never
// lists packages that were never created.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { NOT_RUN_INTERRUPTED, RunSession, kindsOf, reportJsonSchema, runConformance, selectScenarios, type RunReport, type ScenarioResult, type Target } from "@regkit/core";
import { describeConformance, formatProblems } from "@regkit/core/vitest";
import { main } from "@regkit/cli";
import { referenceFormats } from "@regkit/cli";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { startFaultyProxy, type Fault, type FaultyProxy } from "@regkit/registry/faults";
import { exampleKit, exampleReference } from "@regkit/testkit";

const NOT_RUN_SETUP = "not run: setup error: see preflight";

let registry: ReferenceRegistry;
/** Request lines the registry served ("GET /api/v4/... 404 1ms"): what reached it. */
const served: string[] = [];

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [exampleReference, referenceFormats.npm!], log: (line) => served.push(line) });
});
afterAll(async () => {
  await registry.close();
});

/** The example kit's endpoint on the reference registry, with every credential it issued; `extra` on top. */
function target(extra: Partial<Target> = {}): Target {
  return referenceTarget(registry, "example", { options: { numRuns: 2, maxCommands: 4 }, ...extra });
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

async function through<T>(fault: Fault, run: (url: string, proxy: FaultyProxy) => Promise<T>): Promise<T> {
  const proxy = await startFaultyProxy({ upstream: registry.url, fault });
  try {
    return await run(registry.registries.example!.replace(registry.url, proxy.url), proxy);
  } finally {
    await proxy.close();
  }
}

/** Results that ran (anything but skip and disabled). */
const ran = (report: RunReport): ScenarioResult[] => report.results.filter((r) => r.status !== "skip" && r.status !== "disabled");
const problemsOf = (report: RunReport): readonly { check: string; message: string; fix: string }[] => report.preflight?.problems ?? [];

/** What the Packages API of project 1 lists for names containing `text`. */
async function listed(text: string): Promise<unknown[]> {
  const res = await fetch(`${registry.url}/api/v4/projects/1/packages?package_name=${encodeURIComponent(text)}&per_page=100`, { headers: { "private-token": registry.tokens.personal } });
  expect(res.status).toBe(200);
  return (await res.json()) as unknown[];
}

describe("the preflight against a correct setup", () => {
  test("finds nothing, and the scenarios run and pass", async () => {
    const report = await runConformance({ kit: exampleKit, target: target(), scenarios: ["push.small", "auth.matrix"] });
    expect(report.preflight).toEqual({ problems: [] });
    expect(report.results.map((r) => `${r.scenario} [${r.tokenKind}] ${r.status}`).filter((line) => !line.endsWith(" pass"))).toEqual([]);
    expect(report.cleanup).toMatchObject({ left: [], errors: [] });
  });
});

describe("one clear problem per setup mistake, and no scenario runs", () => {
  test("a wrong URL (a port nothing listens on): registry unreachable, once", async () => {
    const port = await closedPort();
    const report = await runConformance({ kit: exampleKit, target: target({ registry: `http://127.0.0.1:${port}/api/v4/projects/1/packages/example` }), scenarios: ["push.small", "pull.package"] });
    expect(problemsOf(report)).toEqual([
      {
        check: "registry",
        message: expect.stringMatching(new RegExp(`^registry unreachable: GET http://127\\.0\\.0\\.1:${port}/api/v4/projects/1/packages/example failed: ECONNREFUSED`)),
        fix: expect.stringMatching(/host and port/),
      },
    ]);
    expect(ran(report)).toEqual([]);
    expect(report.results.map((r) => r.message)).toEqual(Array.from({ length: 6 }, () => NOT_RUN_SETUP));
    expect(report.cleanup).toEqual({ removed: 0, left: [], errors: [] });
  });

  test("a wrong project id: GitLab's 404 Project Not Found, said once for every credential, with the project named", async () => {
    const before = served.length;
    const report = await runConformance({ kit: exampleKit, target: target({ registry: registry.registries.example!.replace("/projects/1/", "/projects/999/") }), scenarios: ["push.small", "auth.matrix"] });
    expect(problemsOf(report)).toEqual([
      {
        check: "project",
        message: expect.stringMatching(/GitLab project 999, which does not exist or which .* cannot see: GET \/api\/v4\/projects\/999\/packages\?per_page=1 -> 404 \(\{"message":"404 Project Not Found"\}\)/),
        fix: expect.stringMatching(/is project 999 right\?/),
      },
    ]);
    expect(ran(report)).toEqual([]);
    expect(report.results.every((r) => r.message === NOT_RUN_SETUP)).toBe(true);
    // Nothing was published, so nothing is listed as left on the registry.
    expect(report.cleanup).toEqual({ removed: 0, left: [], errors: [] });
    expect(served.slice(before).filter((line) => /^(PUT|POST|DELETE) /.test(line))).toEqual([]);
  });

  test("a wrong token (401): that credential, once, with where to set it", async () => {
    const report = await runConformance({
      kit: exampleKit,
      target: target({ credentials: { ...target().credentials, personal: "glpat-thisisnotarealtoken01" } }),
      scenarios: ["push.small", "pull.package"],
    });
    expect(problemsOf(report)).toEqual([
      {
        check: "credential:personal",
        message: expect.stringMatching(/^the personal access token \(REGKIT_PERSONAL_TOKEN\) was refused( for reading)?: GET \S+ -> 401/),
        fix: expect.stringMatching(/check REGKIT_PERSONAL_TOKEN: .*mistyped, expired or revoked/),
      },
    ]);
    expect(ran(report)).toEqual([]);
    expect(JSON.stringify(report)).not.toContain("glpat-thisisnotarealtoken01");
  });

  test("a wrong deploy token: its read is refused (GitLab reads an unknown deploy token as no credential), once", async () => {
    const report = await runConformance({
      kit: exampleKit,
      target: target({ credentials: { deploy: { username: registry.tokens.deployUsername, token: "gldt-thisisnotarealtoken03" } } }),
      scenarios: ["push.small", "pull.package"],
      tokenKinds: ["deploy"],
    });
    expect(problemsOf(report)).toEqual([
      {
        check: "credential:deploy",
        message: expect.stringMatching(/^the deploy token \(REGKIT_DEPLOY_TOKEN \(and REGKIT_DEPLOY_USERNAME\)\) was refused for reading: GET \/regkit-\S+-preflight -> 401/),
        fix: expect.stringMatching(/read_package_registry/),
      },
    ]);
    expect(ran(report)).toEqual([]);
  });

  test("a wrong project id with only a deploy token (which GitLab's Packages API does not read): the format's own answer says it, once", async () => {
    const report = await runConformance({
      kit: exampleKit,
      target: target({ registry: registry.registries.example!.replace("/projects/1/", "/projects/998/"), credentials: { deploy: { username: registry.tokens.deployUsername, token: registry.tokens.deploy } } }),
      scenarios: ["push.small"],
      tokenKinds: ["deploy"],
    });
    expect(problemsOf(report)).toEqual([{ check: "project", message: expect.stringMatching(/GitLab project 998, .*: GET \/regkit-\S+-preflight -> 404 \(\{"message":"404 Project Not Found"\}\)/), fix: expect.stringMatching(/is project 998 right\?/) }]);
    expect(ran(report)).toEqual([]);
  });

  test("a read-only deploy token used as the deploy token: refused for writing at its first publish, once; the deploy pairs do not run, the others do", async () => {
    const { tokens } = registry;
    const report = await runConformance({
      kit: exampleKit,
      target: target({ credentials: { personal: tokens.personal, deploy: { username: tokens.readonlyDeployUsername, token: tokens.readonlyDeploy } } }),
      scenarios: ["push.small", "push.duplicate", "pull.package", "metadata.versions"],
      tokenKinds: ["personal", "deploy"],
    });
    expect(problemsOf(report)).toEqual([
      {
        check: "write:deploy",
        message: expect.stringMatching(/^the deploy token \(REGKIT_DEPLOY_TOKEN \(and REGKIT_DEPLOY_USERNAME\)\) was refused for writing: PUT \/regkit-\S+-dpl\/1\.0\.0\/\S+ -> 403/),
        fix: expect.stringMatching(/scope write_package_registry/),
      },
    ]);
    const deploy = report.results.filter((r) => r.tokenKind === "deploy");
    expect(deploy.map((r) => [r.scenario, r.status, r.message])).toEqual(["push.small", "push.duplicate", "pull.package", "metadata.versions"].map((s) => [s, "skip", NOT_RUN_SETUP]));
    expect(report.results.filter((r) => r.tokenKind === "personal").map((r) => r.status)).toEqual(["pass", "pass", "pass", "pass"]);
    // Only the first deploy pair sent a publish; the others waited for its verdict and did not start.
    expect(report.results.filter((r) => r.tokenKind === "deploy" && r.exchanges.length > 0)).toEqual([]);
    expect(report.cleanup).toMatchObject({ left: [], errors: [] });
  });

  test("no credentials at all: the registry is contacted, and 'no credentials given' is said once", async () => {
    const before = served.length;
    const report = await runConformance({ kit: exampleKit, target: target({ credentials: {} }), scenarios: ["push.small", "auth.matrix"] });
    expect(problemsOf(report)).toEqual([{ check: "credentials", message: expect.stringMatching(/^no credentials given: set REGKIT_PERSONAL_TOKEN /), fix: expect.any(String) }]);
    expect(served.length).toBeGreaterThan(before);
    expect(ran(report)).toEqual([]);
    // Each pair still says what it lacks; nothing ran, nothing was sent under a credential.
    expect(report.results.find((r) => r.tokenKind === "deploy")?.message).toMatch(/REGKIT_DEPLOY_TOKEN/);
  });

  test("HTML where the protocol wants JSON: the URL is not the format's endpoint, once", async () => {
    const webPage: Fault = (e) =>
      e.method === "GET" && !/\/packages\/example\/?$/.test(e.path) ? { request: { answer: { status: 200, headers: { "content-type": "text/html" }, body: "<html><body>Sign in</body></html>" } } } : undefined;
    await through(webPage, async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target({ registry: url }), scenarios: ["push.small"] });
      expect(problemsOf(report)).toEqual([{ check: "endpoint", message: expect.stringMatching(/not the Example endpoint: GET \S+ -> 200 \(<html><body>Sign in/), fix: expect.stringMatching(/packages\/example/) }]);
      expect(ran(report)).toEqual([]);
    });
  });

  test("problems are in the JSON schema, which still says version 4", () => {
    const report = reportJsonSchema.properties.reports.items.properties;
    expect(reportJsonSchema.properties.schemaVersion.const).toBe(4);
    expect(report.preflight.required).toEqual(["problems"]);
    expect(report.preflight.properties.problems.items.required).toEqual(["check", "message", "fix"]);
  });

  test("an interrupted run still sends nothing, and no setup problem is invented", async () => {
    const controller = new AbortController();
    controller.abort();
    const before = served.length;
    const report = await runConformance({ kit: exampleKit, target: target(), scenarios: ["push.small"], signal: controller.signal });
    expect(served.length).toBe(before);
    expect(problemsOf(report)).toEqual([]);
    expect(report.results.every((r) => r.message === NOT_RUN_INTERRUPTED)).toBe(true);
  });
});

describe("the CLI (main)", () => {
  /** Runs `regkit …` in-process: its exit status and what it wrote. */
  async function regkit(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = "";
    let stderr = "";
    const sink = (into: (text: string) => void): Writable =>
      new Writable({
        write(chunk: Buffer | string, _encoding, done) {
          into(chunk.toString());
          done();
        },
      });
    const cwd = await mkdtemp(join(tmpdir(), "regkit-preflight-cli-"));
    try {
      const code = await main(args, { stdout: sink((t) => (stdout += t)), stderr: sink((t) => (stderr += t)), env, cwd });
      return { code, stdout, stderr };
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  }
  const npm = (): string => registry.registries.npm!;

  test("a setup error exits 2, each problem said once with its fix: no credentials, a registry nobody answers at", async () => {
    const before = served.length;
    // Without the console report, stderr says each problem with its fix.
    const dir = await mkdtemp(join(tmpdir(), "regkit-preflight-json-"));
    try {
      const none = await regkit(["run", "--format", "npm", "--registry", npm(), "--scenario", "push.small", "--reporter", `json=${join(dir, "r.json")}`], {});
      expect(none.code, none.stderr).toBe(2);
      expect(none.stderr.match(/no credentials given: set REGKIT_PERSONAL_TOKEN/g)).toHaveLength(1);
      expect(none.stderr).toMatch(/\n {2}fix: /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    expect(served.length).toBeGreaterThan(before);
    // With it (the default), once in all the output, and stderr says why the exit status is 2.
    const shown = await regkit(["run", "--format", "npm", "--registry", npm(), "--scenario", "push.small"], {});
    expect(shown.code).toBe(2);
    expect((shown.stdout + shown.stderr).match(/no credentials given: set REGKIT_PERSONAL_TOKEN/g)).toHaveLength(1);
    expect(shown.stderr).toMatch(/^regkit: setup error \(credentials\)/);

    const port = await closedPort();
    const down = await regkit(["run", "--format", "npm", "--registry", `http://127.0.0.1:${port}/api/v4/projects/1/packages/npm`, "--scenario", "push.small"], { REGKIT_PERSONAL_TOKEN: "glpat-unreachable-secret-0001" });
    expect(down.code).toBe(2);
    expect((down.stdout + down.stderr).match(/registry unreachable/g)).toHaveLength(1);
    expect(down.stderr).toMatch(/^regkit: setup error \(registry\)/);
    expect(down.stdout + down.stderr).not.toContain("glpat-unreachable-secret-0001");
    expect(down.stdout + down.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  test("a run in which nothing ran exits 1 unless --allow-empty; --fail-on-skip exits 1 for any skip", async () => {
    const personal = { REGKIT_PERSONAL_TOKEN: registry.tokens.personal };
    // Only the deploy kind selected, and no deploy token: every pair skips.
    const empty = ["run", "--format", "npm", "--registry", npm(), "--scenario", "push.small", "--token-kind", "deploy"];
    const nothing = await regkit(empty, personal);
    expect(nothing.code, nothing.stderr).toBe(1);
    expect(nothing.stderr).toMatch(/no scenario ran \(1 skipped, 0 disabled\): nothing was checked; --allow-empty/);
    expect((await regkit([...empty, "--allow-empty"], personal)).code).toBe(0);

    // personal passes, deploy and job skip (no token).
    const some = ["run", "--format", "npm", "--registry", npm(), "--scenario", "push.small", "--token-kind", "personal", "--token-kind", "deploy", "--token-kind", "job"];
    const green = await regkit(some, personal);
    expect(green.code, green.stdout + green.stderr).toBe(0);
    const strict = await regkit([...some, "--fail-on-skip"], personal);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/2 scenarios skipped, and --fail-on-skip asks for none/);
  });
});

describe("RunSession for callers that fill the target (vitest)", () => {
  test("skip reasons name the target's fields, not REGKIT_* variables; a preflight problem skips the scenarios with 'setup error: see preflight'", async () => {
    const session = new RunSession(exampleKit, target({ credentials: { personal: "glpat-thisisnotarealtoken02" } }), "vt1", 1, undefined, "target");
    const scenarios = selectScenarios(exampleKit, ["push.small"]);
    const pairs = scenarios.flatMap((scenario) => kindsOf(scenario).map((kind) => ({ scenario, kind })));
    const deploy = await session.runOne(scenarios[0]!, "deploy", 10_000);
    expect(deploy.message).toMatch(/set credentials\.deploy/);
    expect(deploy.message).not.toMatch(/REGKIT_/);
    const outcome = await session.preflight(pairs);
    expect(outcome.problems.map((p) => p.check)).toEqual(["credential:personal"]);
    expect(outcome.problems[0]!.fix).toMatch(/check credentials\.personal/);
    expect(formatProblems(outcome.problems)).toMatch(/^setup error \(1 problem\): .*\n {2}- the personal access token \(credentials\.personal\) was refused.*\n {4}fix: check credentials\.personal/);
    const personal = await session.runOne(scenarios[0]!, "personal", 10_000);
    expect(personal).toMatchObject({ status: "skip", message: NOT_RUN_SETUP, exchanges: [] });
  });

  test("cleanup removes the run's scratch directory (DriverContext.runDir), as describeConformance ends a run with cleanup alone", async () => {
    const session = new RunSession(exampleKit, target(), "vt2", 1, undefined, "target");
    const runDir = await session.runDir();
    await writeFile(join(runDir, "seed"), "kept between a driver's runs");
    expect(await session.runDir()).toBe(runDir);
    expect((await session.cleanup()).left).toEqual([]);
    expect(existsSync(runDir)).toBe(false);
  });
});

// describeConformance registers its tests when the file is collected, before the
// registry starts: the target reads the URL and tokens lazily. The deploy token
// comes from a variable that is not set, as README's `process.env.DEPLOY_TOKEN!` does.
const UNSET = "REGKIT_PREFLIGHT_TEST_UNSET_DEPLOY_TOKEN";
delete process.env[UNSET];
let recorder: FaultyProxy | undefined;
/** Every request's headers, as the recording proxy in front of the registry saw them. */
const sent: Readonly<Record<string, string>>[] = [];
const reported: ScenarioResult[] = [];
const lazyTarget: Target = {
  get registry(): string {
    return registry.registries.example!.replace(registry.url, recorder!.url);
  },
  get credentials(): Target["credentials"] {
    return { personal: registry.tokens.personal, deploy: { username: registry.tokens.deployUsername, token: process.env[UNSET]! } };
  },
};
describe("describeConformance with an undefined deploy token", () => {
  beforeAll(async () => {
    recorder = await startFaultyProxy({
      upstream: registry.url,
      fault: (e) => {
        sent.push(e.headers);
        return undefined;
      },
    });
  });
  afterAll(async () => {
    await recorder?.close();
  });
  describeConformance(exampleKit, lazyTarget, { scenarios: ["push.small"], tokenKinds: ["personal", "deploy"], seed: 3, onResult: (r) => reported.push(r) });

  test("the deploy kind skipped naming credentials.deploy, nothing was sent as it, and preflight and cleanup passed", (ctx) => {
    expect(reported.map((r) => [r.tokenKind, r.status])).toEqual([
      ["personal", "pass"],
      ["deploy", "skip"],
    ]);
    expect(reported[1]!.message).toMatch(/no deploy token given: set credentials\.deploy/);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((h) => "deploy-token" in h || (h.authorization ?? "").startsWith("Basic"))).toEqual([]);
    /** A vitest task, as much as this check reads. */
    interface TaskLike {
      readonly name: string;
      readonly result?: { readonly state?: string } | undefined;
      readonly tasks?: readonly TaskLike[] | undefined;
    }
    const all = (tasks: readonly TaskLike[]): TaskLike[] => tasks.flatMap((t) => [t, ...all(t.tasks ?? [])]);
    const named = (name: string): string | undefined => all(ctx.task.file.tasks).find((t) => t.name === name)?.result?.state;
    expect(named("preflight")).toBe("pass");
    expect(named("cleanup")).toBe("pass");
  });
});

describe("cleanup", () => {
  test("in vitest, leftovers fail a final 'cleanup' test and are printed with the regkit cleanup command", async () => {
    // A suite of its own, run by vitest in a child process: its failing test must not fail this file.
    const dir = await mkdtemp(join(tmpdir(), "regkit-cleanup-vitest-"));
    try {
      await symlink(fileURLToPath(new URL("../../../node_modules", import.meta.url)), join(dir, "node_modules"), "dir");
      await writeFile(join(dir, "vitest.config.mjs"), 'export default { test: { include: ["suite.test.mjs"], hookTimeout: 60000 } };\n');
      await writeFile(
        join(dir, "suite.test.mjs"),
        [
          'import { afterAll } from "vitest";',
          'import { describeConformance } from "@regkit/core/vitest";',
          'import { createReferenceRegistry, referenceTarget } from "@regkit/registry";',
          'import { startFaultyProxy } from "@regkit/registry/faults";',
          'import { exampleKit, exampleReference } from "@regkit/testkit";',
          "const registry = await createReferenceRegistry({ formats: [exampleReference] });",
          "// Every delete refused: what the run created stays.",
          'const proxy = await startFaultyProxy({ upstream: registry.url, fault: (e) => (e.method === "DELETE" ? { request: { answer: { status: 403, headers: { "content-type": "application/json" }, body: \'{"message":"403 Forbidden"}\' } } } : undefined) });',
          'const url = registry.registries.example.replace(registry.url, proxy.url);',
          'describeConformance(exampleKit, referenceTarget(registry, "example", { registry: url, credentials: { personal: registry.tokens.personal } }), { scenarios: ["push.small"], tokenKinds: ["personal"], runId: "leftover1" });',
          "afterAll(async () => { await proxy.close(); await registry.close(); });",
          "",
        ].join("\n"),
      );
      const vitest = fileURLToPath(new URL("../../../node_modules/vitest/vitest.mjs", import.meta.url));
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [vitest, "run", "--root", dir, "--config", join(dir, "vitest.config.mjs")], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? dir, NO_COLOR: "1" } });
        let text = "";
        child.stdout.on("data", (d: Buffer) => (text += d.toString()));
        child.stderr.on("data", (d: Buffer) => (text += d.toString()));
        child.on("error", reject);
        child.on("close", (exit) => resolve({ code: exit, output: text }));
      });
      expect(code, output).toBe(1);
      expect(output).toMatch(/FAIL .*suite\.test\.mjs > example conformance .* > cleanup/);
      expect(output).toMatch(/regkit: run leftover1 left 1 package on http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/1\/packages\/example: regkit-leftover1-small-pat/);
      expect(output).toMatch(/regkit-leftover1-small-pat: DELETE \/regkit-leftover1-small-pat answered 403/);
      // Once as the failure of the "cleanup" test, once as the warning afterAll prints.
      const command = /remove them with: regkit cleanup --format example --registry http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/1\/packages\/example --profile gitlab --run-id leftover1/g;
      expect(output.match(command)?.length ?? 0).toBeGreaterThanOrEqual(2);
      // preflight and push.small passed; only cleanup failed.
      expect(output).toMatch(/Tests +1 failed \| 2 passed \(3\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("removes each package with the credential that created it; one refused falls back to another, and everything goes", async () => {
    const { tokens } = registry;
    const deletes: { readonly path: string; readonly as: string }[] = [];
    // Deletes with the personal token are refused, as for a token that may publish but not delete.
    const refusePersonalDeletes: Fault = (e) => {
      if (e.method !== "DELETE") return undefined;
      const as = e.headers["private-token"] === tokens.personal ? "personal" : e.headers["deploy-token"] === tokens.deploy ? "deploy" : e.headers["job-token"] === tokens.job ? "job" : "other";
      deletes.push({ path: e.path, as });
      return as === "personal" ? { request: { answer: { status: 403, headers: { "content-type": "application/json" }, body: '{"message":"403 Forbidden"}' } } } : undefined;
    };
    await through(refusePersonalDeletes, async (url) => {
      const report = await runConformance({ kit: exampleKit, target: target({ registry: url }), scenarios: ["push.small"] });
      expect(ran(report).map((r) => r.status)).toEqual(["pass", "pass", "pass"]);
      expect(report.cleanup).toEqual({ removed: 3, left: [], errors: [] });
      const by = (suffix: string): string[] => deletes.filter((d) => d.path.endsWith(`-small-${suffix}`)).map((d) => d.as);
      // Each with its creator first; the personal one, refused, then with the next credential.
      expect(by("dpl")).toEqual(["deploy"]);
      expect(by("job")).toEqual(["job"]);
      expect(by("pat")).toEqual(["personal", "deploy"]);
      expect(await listed(`regkit-${report.runId}`)).toEqual([]);
    });
  });

  test("with no other credential to fall back to, what was refused is listed as left, with the registry's answer", async () => {
    const refuseDeletes: Fault = (e) => (e.method === "DELETE" ? { request: { answer: { status: 403, headers: { "content-type": "application/json" }, body: '{"message":"403 Forbidden"}' } } } : undefined);
    const report = await through(refuseDeletes, (url) =>
      runConformance({ kit: exampleKit, target: target({ registry: url, credentials: { personal: registry.tokens.personal } }), scenarios: ["push.small"], tokenKinds: ["personal"] }),
    );
    const name = `regkit-${report.runId}-small-pat`;
    expect(report.cleanup).toEqual({ removed: 0, left: [name], errors: [expect.stringMatching(new RegExp(`^${name}: DELETE /${name} answered 403$`))] });
    // The registry still has it: remove it here, so the other tests see a clean registry.
    const res = await fetch(`${registry.registries.example}/${name}`, { method: "DELETE", headers: { "private-token": registry.tokens.personal } });
    expect(res.status).toBe(204);
  });

  test("packages whose publish was refused (a project the writes cannot reach) are never listed as left; those created are", async () => {
    // No delete through the protocol and no Packages API: cleanup can only list what the run created.
    const listOnly: Partial<Target> = { capabilities: { delete: false } };
    const refuseWrites: Fault = (e) =>
      e.method === "PUT" ? { request: { answer: { status: 404, headers: { "content-type": "application/json" }, body: '{"message":"404 Project Not Found"}' } } } : undefined;
    const refused = await through(refuseWrites, (url) => runConformance({ kit: exampleKit, target: target({ registry: url, ...listOnly }), scenarios: ["push.small", "push.duplicate"], tokenKinds: ["personal"] }));
    expect(ran(refused).map((r) => r.status)).toEqual(["fail", "fail"]);
    expect(refused.cleanup).toEqual({ removed: 0, left: [], errors: [] });
    // The same run with writes that land: what it created is listed.
    const created = await runConformance({ kit: exampleKit, target: target(listOnly), scenarios: ["push.small"], tokenKinds: ["personal"] });
    expect(created.cleanup.left).toEqual([`regkit-${created.runId}-small-pat@1.0.0`]);
    const res = await fetch(`${registry.registries.example}/regkit-${created.runId}-small-pat`, { method: "DELETE", headers: { "private-token": registry.tokens.personal } });
    expect(res.status).toBe(204);
  });
});
