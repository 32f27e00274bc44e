import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Served, bin, npmPublishDocument, regkit, startServe, stop, tokenEnv } from "./serve.js";

describe("regkit serve", () => {
  test("prints one JSON object as the first line, and exits cleanly on SIGTERM and SIGINT", async () => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const { child, served, firstLine } = await startServe();
      expect(firstLine.trim().startsWith("{")).toBe(true);
      expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(served.registries.npm).toBe(`${served.url}/api/v4/projects/1/packages/npm`);
      for (const key of ["personal", "deploy", "deployUsername", "job"] as const) {
        expect(typeof served.tokens[key]).toBe("string");
        expect(served.tokens[key].length).toBeGreaterThan(0);
      }
      const ping = await fetch(`${served.registries.npm}/regkit-nothing-here`, {
        headers: { authorization: `Bearer ${served.tokens.personal}` },
      });
      expect(ping.status).toBe(404);
      expect(await stop(child, signal)).toBe(0);
    }
  });

  // A caller may stop the server the moment it reads the first line: the
  // handlers must be in place by then, or the default action kills the
  // process outright and its temporary directory stays behind. The server
  // here signals itself as it writes the line, the narrowest such caller.
  test("a SIGTERM that comes with the first line still closes the registry and removes its directory", async () => {
    const tmp = await mkdtemp(join(tmpdir(), "regkit-cli-tmp-"));
    try {
      const preload = join(tmp, "signal-on-first-line.mjs");
      await writeFile(
        preload,
        [
          "const write = process.stdout.write.bind(process.stdout);",
          "process.stdout.write = (chunk, ...rest) => {",
          "  const done = write(chunk, ...rest);",
          '  if (String(chunk).startsWith(\'{"url"\')) process.kill(process.pid, "SIGTERM");',
          "  return done;",
          "};",
          "",
        ].join("\n"),
      );
      // The server's temporary directory goes here, to be found (or not) after it exits.
      const scratch = join(tmp, "scratch");
      await mkdir(scratch);
      const child = spawn(process.execPath, ["--import", preload, bin, "serve", "--port", "0"], { env: { ...process.env, TMPDIR: scratch } });
      let stdout = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (c, s) => resolve([c, s])));
      expect(stdout.startsWith('{"url"')).toBe(true);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(await readdir(scratch)).toEqual([]);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  });

  test("--data-dir keeps packages across restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-cli-data-"));
    try {
      const first = await startServe(["--data-dir", dir]);
      const tarball = Buffer.from("not really a tarball, but bytes the registry must keep");
      const name = "regkit-cli-persisted";
      const put = await fetch(`${first.served.registries.npm!}/${name}`, {
        method: "PUT",
        headers: { authorization: `Bearer ${first.served.tokens.personal}`, "content-type": "application/json" },
        body: JSON.stringify(npmPublishDocument(first.served.registries.npm!, name, "1.0.0", tarball)),
      });
      expect(put.status, await put.text()).toBeLessThan(300);
      await stop(first.child);

      const second = await startServe(["--data-dir", dir]);
      try {
        const res = await fetch(`${second.served.registries.npm}/${name}/-/${name}-1.0.0.tgz`, {
          headers: { authorization: `Bearer ${second.served.tokens.personal}` },
        });
        expect(res.status).toBe(200);
        expect(Buffer.from(await res.arrayBuffer()).equals(tarball)).toBe(true);
      } finally {
        await stop(second.child);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("regkit run", () => {
  let served: Served;
  let child: ChildProcessWithoutNullStreams;
  beforeAll(async () => {
    ({ served, child } = await startServe());
  });
  afterAll(async () => {
    await stop(child);
  });

  test("usage and configuration errors exit 2 with one line", async () => {
    const cases: [string[], RegExp][] = [
      [[], /missing command/],
      [["frobnicate"], /unknown command "frobnicate"/],
      [["run", "--registry", "http://127.0.0.1:9"], /--format is required/],
      [["run", "--format", "cobol", "--registry", "http://127.0.0.1:9"], /unknown format "cobol"/],
      [["run", "--format", "npm"], /--registry URL is required/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--profile", "nexus9"], /profile/],
      [["run", "--format", "npm", "--registry", "not a url"], /URL|registry/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--scenario", "push.nothing"], /unknown scenario "push.nothing"/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--token", "x"], /environment only/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--seed", "abc"], /--seed expects a whole number/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--large-size", "lots"], /setting largeSize expects size .*not "lots" \(valid settings: .*maxFileSize: size/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--bogus"], /bogus/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--exclude", "push.many"], /--exclude push.many: give the reason/],
      [["run", "--format", "npm", "--registry", "http://127.0.0.1:9", "--exclude", "push.nothing=slow"], /--exclude: unknown scenario "push.nothing"/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr, stdout } = await regkit(args);
      expect(code, `${args.join(" ")}: ${stderr}`).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stdout).toBe("");
    }
    const half = await regkit(["run", "--format", "npm", "--registry", "http://127.0.0.1:9"], { REGKIT_DEPLOY_TOKEN: "x" });
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/REGKIT_DEPLOY_USERNAME/);
  });

  test("an unreachable registry is one setup error (preflight), exit 2, no stack trace", async () => {
    const { code, stdout, stderr } = await regkit(
      ["run", "--format", "npm", "--registry", "http://127.0.0.1:9/api/v4/projects/1/packages/npm", "--scenario", "push.small"],
      { REGKIT_PERSONAL_TOKEN: "glpat-unreachable-secret" },
    );
    expect(code).toBe(2);
    expect(stdout + stderr).toMatch(/unreachable|ECONNREFUSED/);
    expect(stdout + stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(stdout + stderr).not.toContain("glpat-unreachable-secret");
  });

  test("runs scenarios against the served registry with every token kind, writes JSON and JUnit, leaks no token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-cli-run-"));
    try {
      const env = tokenEnv(served);
      const { code, stdout, stderr } = await regkit(
        [
          "run", "--format", "npm", "--registry", served.registries.npm!, "--profile", "gitlab",
          "--scenario", "push.small", "--scenario", "auth.matrix", "--scenario", "pull", "--exclude", "pull=not this time", "--seed", "42",
          "--reporter", "console", "--reporter", `json=${join(dir, "r.json")}`, "--reporter", `junit=${join(dir, "r.xml")}`,
        ],
        env,
      );
      expect(code, stdout + stderr).toBe(0);
      const json = await readFile(join(dir, "r.json"), "utf8");
      const xml = await readFile(join(dir, "r.xml"), "utf8");
      const report = JSON.parse(json) as { schemaVersion: number; reports: { seed: number; results: { scenario: string; tokenKind: string; status: string }[] }[] };
      expect(report.schemaVersion).toBe(4);
      expect(report.reports[0]!.seed).toBe(42);
      const seen = report.reports[0]!.results.map((r) => `${r.scenario}/${r.tokenKind}/${r.status}`).sort();
      expect(seen).toEqual(
        [
          "auth.matrix/anonymous/pass", "auth.matrix/invalid/pass", "auth.matrix/readonly/pass",
          "push.small/deploy/pass", "push.small/job/pass", "push.small/personal/pass",
          ...["package", "duplicate"].flatMap((s) => ["deploy", "job", "personal"].map((k) => `pull.${s}/${k}/disabled`)),
        ].sort(),
      );
      expect(json).toContain("disabled: not this time");
      expect(stdout).toMatch(/6 disabled/);
      expect(xml).toContain("<testsuites");
      for (const secret of Object.values(env)) {
        if (secret.length < 8) continue;
        for (const text of [stdout, stderr, json, xml]) expect(text).not.toContain(secret);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("a failing registry exits 1 (the npm profile of the wrong registry flavour)", async () => {
    // The verdaccio profile expects 409 for duplicates; the reference (GitLab-shaped) answers 403.
    const { code, stdout } = await regkit(
      ["run", "--format", "npm", "--registry", served.registries.npm!, "--profile", "verdaccio", "--scenario", "push.duplicate"],
      tokenEnv(served),
    );
    expect(code).toBe(1);
    expect(stdout).toMatch(/push\.duplicate/);
    expect(stdout).toMatch(/409/);
    expect(stdout).toMatch(/403/);
  });
});

describe("regkit run settings and help", () => {
  const unreachable = "http://127.0.0.1:9/api/v4/projects/1/packages/npm";

  test("run --help and help run print the usage and exit 0", async () => {
    for (const args of [["run", "--help"], ["help", "run"], ["list", "-h"]]) {
      const { code, stdout } = await regkit(args);
      expect(code, args.join(" ")).toBe(0);
      expect(stdout).toMatch(/^Usage:/);
      expect(stdout).toContain("--set KEY=VALUE");
    }
  });

  test("an unknown setting or a wrong type exits 2 in one line that lists the valid keys with their types", async () => {
    for (const [args, env, message] of [
      [["--set", "anonymusRead=false"], {}, /unknown setting "anonymusRead" for the gitlab profile \(valid settings: .*anonymousRead: boolean/],
      [["--set", "anonymousRead=perhaps"], {}, /setting anonymousRead expects boolean, not "perhaps"/],
      [["--set", "noequals"], {}, /--set: "noequals" is not key=value/],
      [[], { REGKIT_SET: "duplicates=maybe" }, /setting duplicates expects reject \| allow/],
    ] as const) {
      const { code, stderr, stdout } = await regkit(["run", "--format", "npm", "--registry", unreachable, ...args], env);
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(message);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stdout).toBe("");
    }
  });

  test("settings come from the config file, then REGKIT_SET, then --set; the report records them", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-cli-config-"));
    try {
      const { writeFile } = await import("node:fs/promises");
      await writeFile(join(dir, "regkit.config.yaml"), `format: npm\nregistry: ${unreachable}\nprofile: gitlab\nset:\n  duplicates: allow\n  maxFileSize: 1MB\n  anonymousRead: true\n`);
      const json = join(dir, "report.json");
      // Found in the working directory; REGKIT_SET overrides the file, --set overrides both.
      const found = await regkit(["run", "--reporter", `json=${json}`, "--set", "maxFileSize=3MB", "--scenario", "push.small"], { REGKIT_SET: "maxFileSize=2MB latencyBudgetMs=5", REGKIT_PERSONAL_TOKEN: "glpat-unused" }, dir);
      // The registry is unreachable on purpose: a setup error (exit 2), and the report still records the settings.
      expect(found.code, found.stderr).toBe(2);
      const settings = (JSON.parse(await readFile(json, "utf8")) as { reports: { settings: Record<string, unknown> }[] }).reports[0]!.settings;
      expect(settings).toMatchObject({ duplicates: "allow", maxFileSize: 3_000_000, anonymousRead: true, latencyBudgetMs: 5 });

      await writeFile(join(dir, "other.json"), JSON.stringify({ format: "npm", registry: unreachable, set: { duplicates: "allow" }, colour: "blue" }));
      const bad = await regkit(["run", "--config", join(dir, "other.json")]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/unknown key "colour" \(valid: format, registry, profile, set\)/);
      await writeFile(join(dir, "broken.yaml"), "set: [unclosed");
      const broken = await regkit(["run", "--config", join(dir, "broken.yaml")]);
      expect(broken.code).toBe(2);
      expect(broken.stderr).toMatch(/is not valid YAML/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test("list --settings shows every profile's settings with their types", async () => {
    const { code, stdout } = await regkit(["list", "--format", "npm", "--settings"]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/settings of npm --profile gitlab:\n[\s\S]*anonymousRead: boolean[\s\S]*maxFileSize: size/);
  });
});
