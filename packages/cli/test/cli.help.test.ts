// The CLI's first contact (issue 12, "Help and flags"): help for every
// command, "did you mean" for misspelt flags and values, sizes that must carry
// a unit, and serve's per-format limits and duplicate policies, checked
// through the registry they configure.
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Ran, type Served, npmPublishDocument, regkit as runRegkit, startServe, stop } from "./serve.js";
import { parseSize } from "@regkit/core";
import { kits, main } from "@regkit/cli";

const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));
/** Never contacted: every case below stops at the usage check, before any request. */
const NOWHERE = "http://127.0.0.1:9/api/v4/projects/1/packages/npm";
const MiB = 1024 * 1024;

let emptyDir: string;
beforeAll(async () => {
  // No regkit.config.* here, so none is picked up from the working directory.
  emptyDir = await mkdtemp(join(tmpdir(), "regkit-cli-help-"));
});
afterAll(async () => {
  await rm(emptyDir, { recursive: true, force: true });
});

/** The CLI in this process: its exit code and what it wrote. */
async function cli(argv: string[], env: Record<string, string> = {}, cwd = emptyDir): Promise<{ code: number; stdout: string; stderr: string }> {
  const sink = (): { stream: Writable; text: () => string } => {
    let text = "";
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    return { stream, text: () => text };
  };
  const out = sink();
  const err = sink();
  const code = await main(argv, { stdout: out.stream, stderr: err.stream, env, cwd });
  return { code, stdout: out.text(), stderr: err.text() };
}

/** The real command in a child process: what a shell sees, exit status included. */
/** The built `regkit` as a process, from an empty directory (no config file found). */
function regkit(args: string[]): Promise<Ran> {
  return runRegkit(args, {}, emptyDir);
}

/** A usage error: exit 2, one line on stderr, nothing on stdout, quotes that pair up. */
function expectUsageError(result: { code: number; stdout: string; stderr: string }, what: string): string {
  expect(result.code, `${what}: ${result.stderr}`).toBe(2);
  expect(result.stdout, what).toBe("");
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines, what).toHaveLength(1);
  const line = lines[0] ?? "";
  expect(line, what).toMatch(/^regkit: /);
  expect((line.match(/"/g) ?? []).length % 2, `${what}: double quotes pair up in ${line}`).toBe(0);
  expect(line, `${what}: no single quotes (node's own parser left them unbalanced)`).not.toContain("'");
  return line;
}

const COMMANDS = ["run", "serve", "list", "cleanup"] as const;

describe("help", () => {
  test("every command's --help, -h and regkit help COMMAND print that command's usage and exit 0", async () => {
    for (const command of COMMANDS) {
      const texts: string[] = [];
      for (const argv of [[command, "--help"], [command, "-h"], ["help", command]]) {
        const { code, stdout, stderr } = await cli(argv);
        expect(code, argv.join(" ")).toBe(0);
        expect(stderr, argv.join(" ")).toBe("");
        expect(stdout, argv.join(" ")).toMatch(new RegExp(`^Usage:\\n  regkit ${command} `));
        // Its own usage, not the whole list of commands.
        for (const other of COMMANDS.filter((c) => c !== command)) expect(stdout, argv.join(" ")).not.toContain(`  regkit ${other} [`);
        texts.push(stdout);
      }
      expect(new Set(texts).size, `${command}: the three ways print the same`).toBe(1);
    }
    expect((await cli(["help", "--help"])).stdout).toMatch(/^Usage:\n  regkit help \[COMMAND\]/);
    // --help wins wherever it stands among the options, even after a wrong one.
    expect((await cli(["run", "--format", "pipy", "--help"])).code).toBe(0);
  });

  test("regkit --help, -h and help print every command's usage, listing every flag of the commands", async () => {
    for (const argv of [["--help"], ["-h"], ["help"]]) {
      const { code, stdout } = await cli(argv);
      expect(code).toBe(0);
      for (const command of COMMANDS) expect(stdout).toContain(`  regkit ${command} `);
      for (const command of COMMANDS) {
        const own = (await cli([command, "--help"])).stdout;
        const synopsis = own.split("\n\n")[0] ?? "";
        for (const flag of synopsis.match(/--[a-z][a-z-]+/g) ?? []) expect(stdout, `${command} ${flag}`).toContain(flag);
      }
    }
  });

  test("each flag a command's help names is one the command takes", async () => {
    for (const command of COMMANDS) {
      const help = (await cli([command, "--help"])).stdout;
      // The synopsis and the lines that explain a flag; the prose may name another command's flags.
      const synopsis = help.split("\n\n")[0] ?? "";
      const explained = help
        .split("\n")
        .map((line) => /^ {2}(--[a-z][a-z-]+)/.exec(line)?.[1])
        .filter((flag) => flag !== undefined)
        .join("\n");
      const flags = [...new Set(`${synopsis}\n${explained}`.match(/(?<![\w-])--[a-z][a-z-]+/g) ?? [])];
      expect(flags.length, command).toBeGreaterThan(command === "list" ? 1 : 3);
      for (const flag of flags) {
        // Alone, a flag fails for its missing value or the missing --format: never as unknown.
        const { stderr } = await cli([command, flag]);
        expect(stderr, `${command} ${flag}`).not.toMatch(/unknown option/);
      }
    }
  });

  test("the real command exits 0 for help, 2 for a misspelt flag", async () => {
    const help = await regkit(["serve", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage:\n  regkit serve /);
    const typo = await regkit(["run", "--fromat", "npm"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toBe("regkit: unknown option --fromat for regkit run; did you mean --format? (see regkit run --help)\n");
  });
});

describe("did you mean", () => {
  const run = ["run", "--format", "npm", "--registry", NOWHERE];
  const cases: [string[], Record<string, string>, string][] = [
    [["run", "--fromat", "npm"], {}, "--format"],
    [["run", "--scenarios", "push"], {}, "--scenario"],
    [["run", "--token-kinds", "job"], {}, "--token-kind"],
    [["serve", "--max-filesize", "npm=1MiB"], {}, "--max-file-size"],
    [["cleanup", "--dryrun"], {}, "--dry-run"],
    [["list", "--setting"], {}, "--settings"],
    [["run", "--format", "pipy", "--registry", NOWHERE], {}, "pypi"],
    [["list", "--format", "pipy"], {}, "pypi"],
    [["cleanup", "--format", "mavn", "--registry", NOWHERE], {}, "maven"],
    [[...run, "--scenario", "push.smal"], {}, "push.small"],
    [[...run, "--scenario", "pul"], {}, "pull"],
    [[...run, "--exclude", "push.larg=too slow here"], {}, "push.large"],
    [[...run, "--token-kind", "deploi"], {}, "deploy"],
    [[...run, "--profile", "verdacio"], {}, "verdaccio"],
    [[...run, "--set", "anonymusRead=false"], {}, "--set anonymousRead=false"],
    [run, { REGKIT_SET: "manyVersion=3" }, "REGKIT_SET manyVersions=3"],
    [["help", "clenup"], {}, "cleanup"],
    [["serv"], {}, "serve"],
    [["serve", "--max-file-size", "nmp=1MiB"], {}, "npm"],
    [["serve", "--duplicates", "mavn=allow"], {}, "maven"],
    [["serve", "--duplicates", "maven=alow"], {}, "allow"],
  ];
  for (const [argv, env, suggestion] of cases) {
    test(`${Object.entries(env).map(([k, v]) => `${k}=${v} `).join("")}regkit ${argv.join(" ").replace(NOWHERE, "URL")} suggests ${suggestion}`, async () => {
      const line = expectUsageError(await cli(argv, env), argv.join(" "));
      expect(line).toContain(`did you mean ${suggestion}?`);
    });
  }

  test("unknown values name every valid one too, and nothing far from all of them gets a suggestion", async () => {
    // Every kit's format, in the order the workspace lists them: a new kit joins the list without editing this test.
    const formats = kits.map((kit) => kit.format);
    expect(formats).toEqual(expect.arrayContaining(["npm", "maven", "pypi", "nuget", "generic", "oci"]));
    expect(expectUsageError(await cli(["list", "--format", "pipy"]), "list")).toBe(`regkit: unknown format "pipy"; did you mean pypi? (known: ${formats.join(", ")})`);
    expect(expectUsageError(await cli([...run, "--token-kind", "deploi"]), "kind")).toMatch(/\(known: personal, deploy, job, anonymous, invalid, readonly\)$/);
    expect(expectUsageError(await cli([...run, "--set", "anonymusRead=false"]), "set")).toMatch(/unknown setting "anonymusRead" for the gitlab profile \(valid settings: .*anonymousRead: boolean/);
    for (const [argv, env] of [
      [["run", "--format", "cobol", "--registry", NOWHERE], {}],
      [["run", "--bogus"], {}],
      [[...run, "--scenario", "frobnicate"], {}],
      [[...run, "--token-kind", "root"], {}],
      [[...run, "--set", "colour=blue"], {}],
      [["frobnicate"], {}],
    ] as const) {
      expect(expectUsageError(await cli([...argv], env), argv.join(" "))).not.toContain("did you mean");
    }
  });

  test("a flag without its value, a value on a switch, a stray argument: one line each, exit 2", async () => {
    expect(expectUsageError(await cli(["run", "--format"]), "no value")).toBe("regkit: --format needs a value; see regkit run --help");
    expect(expectUsageError(await cli(["list", "--settings=yes"]), "switch")).toBe('regkit: --settings takes no value, not "yes"; see regkit list --help');
    expect(expectUsageError(await cli(["run", "--format", "--registry", NOWHERE]), "ambiguous")).toMatch(/--format needs a value, not the option --registry/);
    expect(expectUsageError(await cli(["serve", "now"]), "positional")).toMatch(/unexpected argument "now"/);
    expect(expectUsageError(await cli(["--format", "npm"]), "no command")).toMatch(/give the command first/);
  });
});

describe("sizes carry a unit", () => {
  test("the size parser refuses a bare number other than 0, and reads every unit", () => {
    expect(parseSize("4")).toBeUndefined();
    expect(parseSize("1048576")).toBeUndefined();
    expect(parseSize("1.5")).toBeUndefined();
    expect(parseSize("0")).toBe(0);
    expect(parseSize("4B")).toBe(4);
    expect(parseSize("4 KiB")).toBe(4096);
    expect(parseSize("1.5MiB")).toBe(1.5 * MiB);
    expect(parseSize("500MB")).toBe(500_000_000);
    expect(parseSize("2gib")).toBe(2 * 1024 ** 3);
    expect(parseSize("4 parsecs")).toBeUndefined();
  });

  test("a size without a unit is refused, wherever it is given, naming where", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-cli-size-"));
    try {
      await writeFile(join(dir, "regkit.config.yaml"), `format: npm\nregistry: ${NOWHERE}\nset:\n  largeSize: 4\n`);
      const cases: [string[], Record<string, string>, string | undefined, string][] = [
        [[...["run", "--format", "npm", "--registry", NOWHERE], "--large-size", "4"], {}, undefined, "regkit: --large-size 4: give a unit (4MiB, 4MB, 4KiB, 4B)"],
        [["run", "--format", "npm", "--registry", NOWHERE, "--max-file-size", "500"], {}, undefined, "regkit: --max-file-size 500: give a unit (500MiB, 500MB, 500KiB, 500B)"],
        [["run", "--format", "npm", "--registry", NOWHERE, "--set", "largeSize=64"], {}, undefined, "regkit: --set largeSize=64: give a unit (64MiB, 64MB, 64KiB, 64B)"],
        [["run", "--format", "npm", "--registry", NOWHERE], { REGKIT_SET: "maxFileSize=12" }, undefined, "regkit: REGKIT_SET maxFileSize=12: give a unit (12MiB, 12MB, 12KiB, 12B)"],
        [["cleanup", "--format", "npm", "--registry", NOWHERE, "--set", "maxFileSize=3"], {}, undefined, "regkit: --set maxFileSize=3: give a unit (3MiB, 3MB, 3KiB, 3B)"],
        [["run"], {}, dir, `regkit: the config file ${join(dir, "regkit.config.yaml")}: largeSize: 4: give a unit (4MiB, 4MB, 4KiB, 4B)`],
        [["serve", "--max-file-size", "npm=4"], {}, undefined, "regkit: --max-file-size npm=4: give a unit (4MiB, 4MB, 4KiB, 4B)"],
      ];
      for (const [argv, env, cwd, message] of cases) {
        expect(expectUsageError(await cli(argv, env, cwd), argv.join(" "))).toBe(message);
      }
      // 0 is unlimited for the file size limit only: elsewhere a bare 0 is as unclear as a bare 4.
      expect(expectUsageError(await cli(["run", "--format", "npm", "--registry", NOWHERE, "--large-size", "0"]), "0")).toMatch(/^regkit: --large-size 0: give a size with its unit/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

/** An npm publish of `tarball` (any bytes: the registry limits and stores them as they are). */
async function npmPublish(served: Served, name: string, version: string, tarball: Buffer): Promise<{ status: number; body: string }> {
  const registry = served.registries.npm ?? "";
  const document = npmPublishDocument(registry, name, version, tarball);
  const res = await fetch(`${registry}/${name}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${served.tokens.personal}`, "content-type": "application/json" },
    body: JSON.stringify(document),
  });
  return { status: res.status, body: await res.text() };
}

/** One Maven file upload, as mvn deploy sends it. */
async function mavenPut(served: Served, artifact: string, bytes: Buffer): Promise<{ status: number; body: string }> {
  const res = await fetch(`${served.registries.maven ?? ""}/com/example/${artifact}/1.0.0/${artifact}-1.0.0.jar`, {
    method: "PUT",
    headers: { "private-token": served.tokens.personal },
    body: bytes,
  });
  return { status: res.status, body: await res.text() };
}

describe("regkit serve --max-file-size FORMAT=SIZE --duplicates FORMAT=allow|reject", () => {
  const servers: ChildProcessWithoutNullStreams[] = [];
  afterAll(async () => {
    for (const child of servers) await stop(child);
  });

  test("npm=1MiB refuses an npm file over 1 MiB (and takes one of exactly 1 MiB); maven=allow takes a Maven duplicate", async () => {
    const { child, served } = await startServe(["--max-file-size", "npm=1MiB", "--duplicates", "maven=allow"]);
    servers.push(child);
    expect(served.formats.npm).toEqual({ maxFileSize: MiB, duplicates: "reject" });
    expect(served.formats.maven?.duplicates).toBe("allow");

    const over = await npmPublish(served, "regkit-over-limit", "1.0.0", Buffer.alloc(MiB + 1, 7));
    expect(over.status, over.body).toBe(400);
    expect(over.body).toContain("File is too large.");
    const stored = await fetch(`${served.registries.npm}/regkit-over-limit`, { headers: { authorization: `Bearer ${served.tokens.personal}` } });
    expect(stored.status, "the refused package is not stored").toBe(404);
    const atLimit = await npmPublish(served, "regkit-at-limit", "1.0.0", Buffer.alloc(MiB, 7));
    expect(atLimit.status, atLimit.body).toBeLessThan(300);

    const jar = Buffer.from("a jar's bytes, twice");
    expect((await mavenPut(served, "regkit-dup", jar)).status).toBe(200);
    const again = await mavenPut(served, "regkit-dup", jar);
    expect(again.status, again.body).toBe(200);
  });

  test("the opposite settings change the registry the opposite way: maven=reject, npm=0 (unlimited)", async () => {
    const { child, served } = await startServe(["--duplicates", "maven=reject", "--max-file-size", "npm=0"]);
    servers.push(child);
    expect(served.formats.npm?.maxFileSize).toBe(0);
    expect(served.formats.maven?.duplicates).toBe("reject");

    const jar = Buffer.from("a jar's bytes, twice");
    expect((await mavenPut(served, "regkit-dup", jar)).status).toBe(200);
    const again = await mavenPut(served, "regkit-dup", jar);
    expect(again.status, again.body).toBe(400);
    expect(again.body).toContain("Duplicate package is not allowed");

    const big = await npmPublish(served, "regkit-big", "1.0.0", Buffer.alloc(MiB + 1, 7));
    expect(big.status, big.body).toBeLessThan(300);
  });

  test("regkit run takes the same numbers with their unit, and records them", async () => {
    const { child, served } = await startServe(["--max-file-size", "npm=1MiB"]);
    servers.push(child);
    const dir = await mkdtemp(join(tmpdir(), "regkit-cli-size-run-"));
    try {
      const json = join(dir, "report.json");
      const { code, stdout, stderr } = await cli(
        ["run", "--format", "npm", "--registry", served.registries.npm ?? "", "--scenario", "push.small", "--token-kind", "personal", "--max-file-size", "1MiB", "--large-size", "4096B", "--reporter", `json=${json}`],
        { REGKIT_PERSONAL_TOKEN: served.tokens.personal },
      );
      expect(code, stdout + stderr).toBe(0);
      const report = JSON.parse(await readFile(json, "utf8")) as { reports: { settings: Record<string, unknown> }[] };
      expect(report.reports[0]?.settings).toMatchObject({ maxFileSize: MiB, largeSize: 4096 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
