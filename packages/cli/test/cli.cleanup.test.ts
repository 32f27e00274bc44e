// `regkit cleanup` and interrupted `regkit run`, end to end: the real command
// (built dist), the real reference registry (`regkit serve`), packages left
// behind on purpose through each kit's own adapter, and fault proxies for the
// registries that get deletes wrong.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createHttpClient,
  credentialFor,
  findLeftovers,
  newRunIdAt,
  parseDuration,
  resolveTarget,
  runIdOf,
  runStartOf,
  targetSecrets,
  type FormatKit,
  type Target,
} from "@regkit/core";
import { mavenKit } from "@regkit/maven";
import { npmKit } from "@regkit/npm";
import { nugetKit } from "@regkit/nuget";
import { pypiKit } from "@regkit/pypi";
import { startFaultyProxy } from "@regkit/registry/faults";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Ran, type Served, bin, regkit, startServe, stop, tokenEnv } from "./serve.js";
import { startVerdaccio } from "../../../tooling/testing/verdaccio.mjs";

const HOUR = 3_600_000;

function targetOf(served: Served, format: string, registry = served.registries[format]!): Target {
  return {
    registry,
    profile: "gitlab",
    credentials: {
      personal: served.tokens.personal,
      personalUsername: served.tokens.personalUsername,
      deploy: { username: served.tokens.deployUsername, token: served.tokens.deploy },
      job: served.tokens.job,
    },
  };
}

/** The kit's adapter against the served registry, speaking with the personal token. */
function adapter(kit: FormatKit, target: Target) {
  const resolved = resolveTarget(kit, target);
  const credential = credentialFor(resolved, "personal")!;
  const secrets = targetSecrets(resolved);
  const http = createHttpClient({ baseUrl: resolved.registry, authHeaders: resolved.profile.authHeaders(credential), via: "test", record: () => {}, secrets });
  return kit.connect({ target: resolved, credential, http, runId: "test", secrets });
}

/** Publishes `name@version` through the kit's adapter: a package left behind on purpose. */
async function leave(kit: FormatKit, target: Target, name: string, version = "1.0.0"): Promise<void> {
  const outcome = await adapter(kit, target).publish(await kit.build({ name, version }));
  expect(outcome.accepted, `publishing ${name}@${version}: ${outcome.status} ${outcome.exchange.responseSnippet ?? ""}`).toBe(true);
}

/** The versions the registry lists for `name` (empty once it is gone). */
function versionsOf(kit: FormatKit, target: Target, name: string): Promise<readonly string[]> {
  return adapter(kit, target).versions(name);
}

const kits: readonly FormatKit[] = [npmKit, pypiKit, mavenKit, nugetKit];

/** A name in each format's own spelling that carries "regkit" but no run id: someone else's package. */
const lookalike: Record<string, string> = {
  npm: "regkit-tools",
  pypi: "regkit-tools",
  maven: "io.regkit.rtools:app",
  nuget: "Regkit.Tools",
};

describe("run ids that carry their start time", () => {
  test("newRunIdAt: 8 lowercase base-36 characters whose first five are the minutes since 2026-01-01; runStartOf reads them back", () => {
    const at = new Date("2026-07-14T09:26:53.000Z");
    const ids = new Set(Array.from({ length: 200 }, () => newRunIdAt(at)));
    for (const id of ids) {
      expect(id).toMatch(/^[0-9a-z]{8}$/);
      expect(runStartOf(id)?.toISOString()).toBe("2026-07-14T09:26:00.000Z");
    }
    // Three random characters: 200 runs in the same minute rarely share an id (46,656 possibilities).
    expect(ids.size).toBeGreaterThan(190);
    expect(runStartOf(newRunIdAt(new Date("2025-06-01T00:00:00Z")))?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    // The ids regkit made before (six hex digits) and ids a user chose carry no time.
    for (const id of ["c0ffee", "my-run", "abc", "ABCDEFGH"]) expect(runStartOf(id), id).toBeUndefined();
  });

  test("runIdOf: which run made a name, in every format's spelling; someone else's name belongs to no run", () => {
    const run = newRunIdAt(new Date());
    for (const kit of kits) {
      expect(runIdOf(kit, kit.packageName(run, "small-pat")), kit.format).toBe(run);
      expect(runIdOf(kit, kit.packageName("c0ffee", "x")), kit.format).toBe("c0ffee");
      expect(runIdOf(kit, lookalike[kit.format]!), kit.format).toBeUndefined();
      // A word where a run id goes is not a run id: `regkit-cli-persisted` is nobody's run.
      expect(runIdOf(kit, kit.packageName("cli", "persisted")), kit.format).toBeUndefined();
    }
    expect(runIdOf(pypiKit, `Regkit_${run}_Foo`)).toBe(run);
    expect(runIdOf(npmKit, `.${npmKit.packageName(run, "x")}`)).toBe(run);
    expect(runIdOf(npmKit, "left-pad")).toBeUndefined();
  });

  test("parseDuration", () => {
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("2h")).toBe(2 * HOUR);
    expect(parseDuration("1h30m")).toBe(1.5 * HOUR);
    expect(parseDuration("7d")).toBe(7 * 24 * HOUR);
    for (const bad of ["", "2", "soon", "2 hours", "-1h"]) expect(parseDuration(bad), bad).toBeUndefined();
  });
});

describe("regkit cleanup", () => {
  let served: Served;
  let child: ChildProcessWithoutNullStreams;
  beforeAll(async () => {
    ({ served, child } = await startServe());
  });
  afterAll(async () => {
    await stop(child);
  });

  test.each(kits.map((kit) => [kit.format, kit] as const))("%s: --older-than removes the old run's packages, --run-id the other run's, someone else's stay", async (format, kit) => {
    const target = targetOf(served, format);
    const old = newRunIdAt(new Date(Date.now() - 3 * HOUR));
    const recent = newRunIdAt(new Date());
    const oldNames = [kit.packageName(old, "first"), kit.packageName(old, "second")];
    const recentName = kit.packageName(recent, "first");
    for (const name of oldNames) await leave(kit, target, name);
    await leave(kit, target, oldNames[0]!, "2.0.0");
    await leave(kit, target, recentName);
    await leave(kit, target, lookalike[format]!);
    const args = ["cleanup", "--format", format, "--registry", served.registries[format]!, "--profile", "gitlab"];
    const env = tokenEnv(served);

    const aged = await regkit([...args, "--older-than", "2h"], env);
    expect(aged.code, aged.stdout + aged.stderr).toBe(0);
    for (const name of oldNames) {
      expect(aged.stdout).toContain(`removed       ${name}@1.0.0 (run ${old}, started ${runStartOf(old)!.toISOString()})`);
      expect(await versionsOf(kit, target, name), name).toEqual([]);
    }
    expect(aged.stdout).toContain(`removed       ${oldNames[0]}@2.0.0`);
    expect(aged.stdout).toMatch(new RegExp(`kept +${escape(recentName)}@1\\.0\\.0: run ${recent} started at .*, after `));
    expect(aged.stdout).toMatch(/removed \d+ packages of 1 run; nothing left; kept \d+/);
    expect(await versionsOf(kit, target, recentName)).toEqual(["1.0.0"]);

    const byRun = await regkit([...args, "--run-id", recent], env);
    expect(byRun.code, byRun.stdout + byRun.stderr).toBe(0);
    expect(byRun.stdout).toContain(`removed       ${recentName}@1.0.0 (run ${recent}`);
    expect(byRun.stdout).toMatch(/removed \d+ packages? of 1 run; nothing left/);
    expect(await versionsOf(kit, target, recentName)).toEqual([]);

    // Someone else's package, however much it looks like regkit's, is listed as such and never touched.
    const everything = await regkit(args, env);
    expect(everything.code, everything.stdout + everything.stderr).toBe(0);
    expect(everything.stdout).not.toMatch(/^removed {3,}\S/m);
    expect(everything.stdout).toMatch(/removed 0 packages of 0 runs; nothing left/);
    expect(await versionsOf(kit, target, lookalike[format]!)).toEqual(["1.0.0"]);
    expect(`${aged.stdout}${byRun.stdout}${everything.stdout}`).not.toMatch(new RegExp(`^removed +${escape(lookalike[format]!)}`, "m"));
    expect(aged.stdout).toMatch(/^not regkit's, untouched: /m);
    for (const secret of Object.values(env)) for (const text of [aged, byRun, everything]) expect(text.stdout + text.stderr).not.toContain(secret);
  });

  test("--dry-run lists what would go and removes nothing; without a filter every run's packages go; a name without a timed run id is dated by its first package", async () => {
    const target = targetOf(served, "npm");
    const runs = [newRunIdAt(new Date(Date.now() - 5 * HOUR)), newRunIdAt(new Date())];
    // An id of the kind regkit made before ids carried a time (six hex digits).
    const legacy = "c0ffee";
    const names = [...runs, legacy].map((run) => npmKit.packageName(run, "dry"));
    for (const name of names) await leave(npmKit, target, name);
    await leave(npmKit, target, "left-pad-not-regkit");
    const args = ["cleanup", "--format", "npm", "--registry", served.registries.npm!];
    const env = tokenEnv(served);

    const dry = await regkit([...args, "--dry-run"], env);
    expect(dry.code, dry.stdout + dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/dry run: nothing is removed/);
    for (const name of names) expect(dry.stdout).toContain(`would remove  ${name}@1.0.0`);
    expect(dry.stdout).toContain(`(run ${legacy}, first package `);
    expect(dry.stdout).toMatch(/dry run: would remove 3 packages of 3 runs; removed nothing/);
    for (const name of [...names, "left-pad-not-regkit"]) expect(await versionsOf(npmKit, target, name), name).toEqual(["1.0.0"]);

    // An id without a time is aged by the registry's creation date of its packages: just now, so it stays.
    const aged = await regkit([...args, "--older-than", "1h"], env);
    expect(aged.code, aged.stdout + aged.stderr).toBe(0);
    expect(aged.stdout).toContain(`removed       ${names[0]}@1.0.0`);
    expect(aged.stdout).toMatch(new RegExp(`kept +${escape(names[2]!)}@1\\.0\\.0: run ${legacy} started no later than`));
    expect(await versionsOf(npmKit, target, names[2]!)).toEqual(["1.0.0"]);

    const all = await regkit(args, env);
    expect(all.code, all.stdout + all.stderr).toBe(0);
    expect(all.stdout).toMatch(/selecting every regkit run \(a run in progress included\)/);
    for (const name of names.slice(1)) expect(all.stdout).toContain(`removed       ${name}@1.0.0`);
    for (const name of names) expect(await versionsOf(npmKit, target, name), name).toEqual([]);
    expect(await versionsOf(npmKit, target, "left-pad-not-regkit")).toEqual(["1.0.0"]);
  });

  test("usage errors exit 2 in one line; a registry that cannot be listed says to pass --name, and --name never removes a name that is not regkit's", async () => {
    const env = tokenEnv(served);
    const npm = ["cleanup", "--format", "npm", "--registry", served.registries.npm!];
    for (const [args, message] of [
      [[...npm, "--run-id", "abc", "--older-than", "1h"], /--run-id or --older-than, not both/],
      [[...npm, "--older-than", "soon"], /--older-than expects a duration like 90m, 2h or 7d, not "soon"/],
      [[...npm, "--run-id", "a b"], /--run-id expects a run id of letters and digits/],
      [["cleanup", "--registry", served.registries.npm!], /--format is required/],
      [[...npm, "--token", "x"], /environment only/],
    ] as const) {
      const { code, stdout, stderr } = await regkit(args, env);
      expect(code, `${args.join(" ")}: ${stderr}`).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stdout).toBe("");
    }

    // GitLab's Packages API reads no deploy tokens, and GitLab's npm has no search.
    const deployOnly = await regkit(npm, { REGKIT_DEPLOY_TOKEN: served.tokens.deploy, REGKIT_DEPLOY_USERNAME: served.tokens.deployUsername });
    expect(deployOnly.code).toBe(2);
    expect(deployOnly.stderr).toMatch(/cannot be listed: .*REGKIT_PERSONAL_TOKEN or REGKIT_JOB_TOKEN.*--name NAME/);
    expect(deployOnly.stderr).not.toContain(served.tokens.deploy);

    // A plain WebDAV Maven repository has neither a Packages API nor a search, nor any delete.
    const dav = ["cleanup", "--format", "maven", "--registry", served.registries.maven!, "--profile", "dav"];
    const unlisted = await regkit(dav, env);
    expect(unlisted.code).toBe(2);
    expect(unlisted.stderr).toMatch(/this registry cannot be listed: the dav profile of maven has no GitLab Packages API and no search\. Pass the names to remove with --name NAME/);
    const run = newRunIdAt(new Date());
    const named = await regkit([...dav, "--name", mavenKit.packageName(run, "app"), "--name", "com.example:app"], env);
    expect(named.code).toBe(1);
    expect(named.stdout).toContain("not regkit's, untouched: com.example:app");
    expect(named.stdout).toMatch(new RegExp(`NOT removed +${escape(mavenKit.packageName(run, "app"))} \\(every version\\) \\(run ${run}.*\\): the dav profile can delete neither through the protocol nor through a GitLab Packages API`));

    // On GitLab, --name removes through the Packages API by name, and only regkit's names.
    const target = targetOf(served, "pypi");
    const name = pypiKit.packageName(run, "named");
    await leave(pypiKit, target, name);
    await leave(pypiKit, target, "not-regkit-named");
    const pypiArgs = ["cleanup", "--format", "pypi", "--registry", served.registries.pypi!];
    const byName = await regkit([...pypiArgs, "--name", name, "--name", "not-regkit-named"], env);
    expect(byName.code, byName.stdout + byName.stderr).toBe(0);
    expect(byName.stdout).toContain(`removed       ${name} (every version) (run ${run}`);
    expect(byName.stdout).toContain("not regkit's, untouched: not-regkit-named");
    expect(await versionsOf(pypiKit, target, name)).toEqual([]);
    expect(await versionsOf(pypiKit, target, "not-regkit-named")).toEqual(["1.0.0"]);
  });

  test("a registry that refuses deletes, or says yes and keeps the package, or refuses the listing: exit 1 with what, why and the request", async () => {
    const run = newRunIdAt(new Date());
    const name = npmKit.packageName(run, "stubborn");
    await leave(npmKit, targetOf(served, "npm"), name);
    const env = tokenEnv(served);
    const deletes = (method: string, path: string): boolean => method === "DELETE" && /\/api\/v4\/projects\/[^/]+\/packages\/\d+$/.test(path.split("?")[0]!);
    const cases = [
      { fault: "refuses", answer: { status: 403, body: '{"message":"403 Forbidden"}' }, match: deletes, code: 1, says: new RegExp(`NOT removed +${escape(name)}@1\\.0\\.0 \\(run ${run}.*\\): deleting .*: DELETE /api/v4/projects/1/packages/\\d+ answered 403, expected 200 or 202 or 204 or 404`) },
      { fault: "pretends", answer: { status: 204, body: "" }, match: deletes, code: 1, says: new RegExp(`NOT removed +${escape(name)}@1\\.0\\.0 .*: DELETE /api/v4/projects/1/packages/\\d+ answered 204, but GitLab's Packages API still lists package \\d+`) },
      { fault: "refuses the listing", answer: { status: 500, body: "boom" }, match: (m: string, p: string) => m === "GET" && p.includes("/packages?"), code: 1, says: /cannot list the npm packages of .*: listing npm packages .*: GET \/api\/v4\/projects\/1\/packages\?.* answered 500 \(server error\)/ },
    ];
    for (const c of cases) {
      const proxy = await startFaultyProxy({ upstream: served.url, fault: (ex) => (c.match(ex.method, ex.path) ? { request: { answer: c.answer } } : undefined) });
      try {
        const registry = served.registries.npm!.replace(served.url, proxy.url);
        const got = await regkit(["cleanup", "--format", "npm", "--registry", registry, "--run-id", run], env);
        expect(got.code, `${c.fault}: ${got.stdout}${got.stderr}`).toBe(c.code);
        expect(got.stdout + got.stderr, c.fault).toMatch(c.says);
        expect(got.stdout + got.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
        for (const secret of Object.values(env)) expect(got.stdout + got.stderr).not.toContain(secret);
      } finally {
        await proxy.close();
      }
      expect(await versionsOf(npmKit, targetOf(served, "npm"), name), c.fault).toEqual(["1.0.0"]);
    }
    const fine = await regkit(["cleanup", "--format", "npm", "--registry", served.registries.npm!, "--run-id", run], env);
    expect(fine.code, fine.stdout + fine.stderr).toBe(0);
    expect(fine.stdout).toMatch(/removed 1 package of 1 run; nothing left/);
  });
});

describe("regkit cleanup against a registry listed by its search (Verdaccio 6)", () => {
  let verdaccio: Awaited<ReturnType<typeof startVerdaccio>>;
  beforeAll(async () => {
    verdaccio = await startVerdaccio();
  });
  afterAll(async () => {
    await verdaccio?.close();
  });

  test("finds leftovers through npm search (page after page) and removes them with npm unpublish; someone else's stay", async () => {
    const target: Target = { registry: verdaccio.url, profile: "verdaccio", credentials: { personal: verdaccio.token } };
    const old = newRunIdAt(new Date(Date.now() - 3 * HOUR));
    const recent = newRunIdAt(new Date());
    // More than the one page of 20 a search answers: cleanup searches again while it makes progress.
    const oldNames = Array.from({ length: 22 }, (_, i) => npmKit.packageName(old, `s${i}`));
    const recentName = npmKit.packageName(recent, "s0");
    for (const name of [...oldNames, recentName, "regkit-tools"]) await leave(npmKit, target, name);
    const args = ["cleanup", "--format", "npm", "--registry", verdaccio.url, "--profile", "verdaccio"];
    const env = { REGKIT_PERSONAL_TOKEN: verdaccio.token };

    const aged = await regkit([...args, "--older-than", "2h"], env);
    expect(aged.code, aged.stdout + aged.stderr).toBe(0);
    expect(aged.stdout).toMatch(/listed through the registry's search for "regkit"/);
    expect(aged.stdout).toContain("not regkit's, untouched: regkit-tools");
    for (const name of oldNames) expect(aged.stdout).toContain(`removed       ${name} (every version) (run ${old}`);
    expect(aged.stdout).toMatch(new RegExp(`removed 22 packages of 1 run; nothing left`));
    expect(await versionsOf(npmKit, target, oldNames[21]!)).toEqual([]);
    const after = await regkit([...args, "--run-id", old, "--dry-run"], env);
    expect(after.stdout).toMatch(/would remove 0 packages of 0 runs/);
    expect(await versionsOf(npmKit, target, recentName)).toEqual(["1.0.0"]);

    const byRun = await regkit([...args, "--run-id", recent], env);
    expect(byRun.code, byRun.stdout + byRun.stderr).toBe(0);
    expect(byRun.stdout).toContain(`removed       ${recentName} (every version) (run ${recent}`);
    expect(await versionsOf(npmKit, target, recentName)).toEqual([]);
    expect(await versionsOf(npmKit, target, "regkit-tools")).toEqual(["1.0.0"]);
    expect(aged.stdout + aged.stderr + byRun.stdout + byRun.stderr).not.toContain(verdaccio.token);
  });
});

describe("an interrupted regkit run", () => {
  let served: Served;
  let child: ChildProcessWithoutNullStreams;
  beforeAll(async () => {
    ({ served, child } = await startServe());
  });
  afterAll(async () => {
    await stop(child);
  });

  /** Starts `regkit run` and resolves once the registry holds a package of the run (its first results are in). */
  async function startRun(args: readonly string[], runId: string): Promise<{ run: ChildProcessWithoutNullStreams; done: Promise<Ran> }> {
    const run = spawn(process.execPath, [bin, "run", "--format", "npm", "--registry", served.registries.npm!, "--profile", "gitlab", "--run-id", runId, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...tokenEnv(served) },
    });
    let stdout = "";
    let stderr = "";
    run.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    run.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<Ran>((resolve) => run.on("close", (code) => resolve({ code, stdout, stderr })));
    const deadline = Date.now() + 60_000;
    while ((await findLeftovers(npmKit, targetOf(served, "npm"), { runId })).leftovers.length === 0) {
      if (run.exitCode !== null) throw new Error(`regkit run ended before leaving anything: ${stdout}${stderr}`);
      if (Date.now() > deadline) throw new Error("regkit run left no package within 60 s");
      await new Promise((r) => setTimeout(r, 50));
    }
    return { run, done };
  }

  // Enough work that the run is still going when the signal comes.
  const work = ["--scenario", "push.small", "--scenario", "push.many", "--many-versions", "40", "--many-packages", "80", "--token-kind", "personal", "--token-kind", "job"];

  test.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)("%s: the run stops, cleans up, writes its report, says so in one line and exits %i", async (signal, status) => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-cli-interrupt-"));
    try {
      const runId = newRunIdAt(new Date());
      const json = join(dir, "report.json");
      const { run, done } = await startRun([...work, "--reporter", `json=${json}`], runId);
      run.kill(signal);
      const ended = await done;
      expect(ended.code, ended.stdout + ended.stderr).toBe(status);
      expect(ended.stderr).toContain(`regkit: ${signal}: stopping run ${runId} and removing what it created`);
      const line = ended.stderr.split("\n").find((l) => l.includes("was interrupted"));
      expect(line, ended.stderr).toMatch(
        new RegExp(`^regkit: run ${runId} was interrupted by ${signal}: cleanup removed \\d+ packages? and left nothing \\(the registry lists none of the run's packages\\); to finish the job: regkit cleanup --format npm --registry ${escape(served.registries.npm!)} --profile gitlab --run-id ${runId}$`),
      );
      const report = JSON.parse(await readFile(json, "utf8")) as { reports: { runId: string; interrupted?: unknown; results: unknown[]; cleanup: { removed: number; left: unknown[] } }[] };
      const written = report.reports[0]!;
      expect(written.runId).toBe(runId);
      expect(written.results.length).toBeGreaterThan(0);
      expect(written.cleanup.removed).toBeGreaterThan(0);
      expect(written.cleanup.left).toEqual([]);
      // The runner marks the report when it honours the signal (a change of its own); without it only the CLI's part is checked.
      if ("interrupted" in written) expect(written.interrupted).toBe(true);
      expect((await findLeftovers(npmKit, targetOf(served, "npm"), { runId })).leftovers).toEqual([]);
      for (const secret of Object.values(tokenEnv(served))) expect(ended.stdout + ended.stderr).not.toContain(secret);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a second SIGINT exits at once with 130, naming the cleanup command, which then removes what the run left", async () => {
    const runId = newRunIdAt(new Date());
    const { run, done } = await startRun(work, runId);
    const acknowledged = new Promise<void>((resolve) => {
      let seen = "";
      run.stderr.on("data", (d: Buffer) => {
        seen += d.toString();
        if (seen.includes("stopping run")) resolve();
      });
    });
    run.kill("SIGINT");
    await acknowledged;
    run.kill("SIGINT");
    const ended = await done;
    expect(ended.code, ended.stdout + ended.stderr).toBe(130);
    const command = /to finish (?:it|the job): (regkit cleanup .*)$/m.exec(ended.stderr)?.[1];
    expect(command, ended.stderr).toBe(`regkit cleanup --format npm --registry ${served.registries.npm} --profile gitlab --run-id ${runId}`);
    const [, ...args] = command!.split(" ");
    const cleaned = await regkit(args, tokenEnv(served));
    expect(cleaned.code, cleaned.stdout + cleaned.stderr).toBe(0);
    expect(cleaned.stdout).toMatch(/nothing left/);
    expect((await findLeftovers(npmKit, targetOf(served, "npm"), { runId })).leftovers).toEqual([]);
  });

  test("without --run-id the run's id carries its start time, and the printed command names it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-cli-runid-"));
    const json = join(dir, "report.json");
    const before = Date.now();
    let runId: string;
    try {
      // Unreachable on purpose: the run ends at once, and its report still carries the id.
      const ended = await regkit(["run", "--format", "npm", "--registry", "http://127.0.0.1:9/api/v4/projects/1/packages/npm", "--scenario", "push.small", "--reporter", `json=${json}`], { REGKIT_PERSONAL_TOKEN: "glpat-not-used-anywhere" });
      expect(ended.code).toBe(2);
      runId = (JSON.parse(await readFile(json, "utf8")) as { reports: { runId: string }[] }).reports[0]!.runId;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    const started = runStartOf(runId);
    expect(started, runId).toBeDefined();
    expect(started!.getTime()).toBeGreaterThan(before - 2 * 60_000);
    expect(started!.getTime()).toBeLessThanOrEqual(Date.now());
    expect(runIdOf(npmKit, npmKit.packageName(runId, "x"))).toBe(runId);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
