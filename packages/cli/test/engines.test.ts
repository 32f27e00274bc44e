// Which Node.js regkit runs on, said once and kept in step: every package's
// "engines" accepts no Node.js that one of its dependencies refuses (undici 8
// needs 22.19 and fails as it is imported on 22.14; @renovatebot/pep440
// leaves out 23 and 24 before 24.10), the CLI checks the same
// floor before it loads anything and says so in one line on an older Node.js,
// and a reader that closes the pipe (`regkit list | head`) ends nothing with a
// stack trace.
import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { MIN_NODE, nodeTooOld } from "../src/node-version.js";
import { bin } from "./serve.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));
// semver comes with the npm kit (a dependency of @regkit/npm).
const semver = createRequire(join(root, "packages/npm/package.json"))("semver") as {
  subset(sub: string, sup: string): boolean;
  satisfies(version: string, range: string): boolean;
  minVersion(range: string): { version: string } | null;
};

interface Manifest {
  name: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
}

const read = (file: string): Manifest => JSON.parse(readFileSync(file, "utf8")) as Manifest;
const packages = readdirSync(join(root, "packages")).map((dir) => ({ dir: join(root, "packages", dir), manifest: read(join(root, "packages", dir, "package.json")) }));

describe("the Node.js regkit needs", () => {
  test("every package states the same range, and the CLI checks its floor", () => {
    const ranges = [...new Set([read(join(root, "package.json")), ...packages.map((p) => p.manifest)].map((m) => m.engines?.node))];
    expect(ranges).toHaveLength(1);
    expect(ranges[0]).toBeDefined();
    expect(semver.minVersion(ranges[0]!)?.version).toBe(MIN_NODE);
  });

  test("the bootstrap fetches a Node.js in the range and takes the machine's exactly when the range does", () => {
    const range = read(join(root, "package.json")).engines!.node!;
    const script = readFileSync(join(root, "tooling/bootstrap.sh"), "utf8");
    const pinned = /^NODE_VERSION=(\S+)$/m.exec(script)?.[1];
    expect(pinned).toBeDefined();
    expect(semver.satisfies(pinned!, range)).toBe(true);
    // The script's own test of the machine's Node.js, run on versions either side of each bound.
    const test = /^node_ok\(\) \{ node -e '([^']+)'/m.exec(script)?.[1];
    expect(test).toBeDefined();
    const accepts = (version: string): boolean => {
      const body = test!.replace("process.versions.node", JSON.stringify(version)).replace(/process\.exit\((.*)\)$/, "return $1");
      // The script exits 0 for a Node.js it takes.
      return (new Function(body) as () => number)() === 0;
    };
    for (const version of ["20.20.2", "22.12.0", "22.18.9", "22.19.0", "22.23.3", "23.11.0", "24.9.0", "24.10.0", "25.1.0", "30.0.0"]) {
      expect(accepts(version), version).toBe(semver.satisfies(version, range));
    }
  });

  test("no dependency refuses a Node.js a package accepts", () => {
    const refused: string[] = [];
    let checked = 0;
    for (const { dir, manifest } of packages) {
      const ours = manifest.engines?.node ?? "*";
      const require = createRequire(join(dir, "package.json"));
      for (const dependency of Object.keys(manifest.dependencies ?? {})) {
        if (dependency.startsWith("@regkit/")) continue;
        const theirs = dependencyManifest(require, dependency)?.engines?.node;
        if (!theirs) continue;
        checked++;
        if (!semver.subset(ours, theirs)) refused.push(`${manifest.name} (${ours}) depends on ${dependency} (${theirs})`);
      }
    }
    expect(checked).toBeGreaterThan(0);
    expect(refused).toEqual([]);
  });

  test("the check can fail: a floor below undici's is refused", () => {
    expect(semver.subset(">=22.12", ">=22.19.0")).toBe(false);
  });

  test("nodeTooOld compares versions part by part", () => {
    expect(nodeTooOld("20.20.2")).toBe(true);
    expect(nodeTooOld("22.18.9")).toBe(true);
    expect(nodeTooOld(MIN_NODE)).toBe(false);
    expect(nodeTooOld("22.23.3")).toBe(false);
    expect(nodeTooOld("24.0.0")).toBe(false);
    expect(nodeTooOld("100.1.0")).toBe(false);
  });
});

/** A dependency's package.json, found from its entry point where its exports hide `package.json`. */
function dependencyManifest(require: NodeJS.Require, name: string): Manifest | undefined {
  try {
    return require(`${name}/package.json`) as Manifest;
  } catch {
    try {
      let dir = dirname(require.resolve(name));
      while (dir !== dirname(dir)) {
        try {
          const manifest = read(join(dir, "package.json"));
          if (manifest.name === name) return manifest;
        } catch {
          // No package.json here: one directory up.
        }
        dir = dirname(dir);
      }
    } catch {
      // Not resolvable from here.
    }
    return undefined;
  }
}

/** A Node.js on PATH older than the floor (Debian's, where the bootstrapped one comes first), or undefined. */
function olderNode(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "node");
    try {
      accessSync(candidate, constants.X_OK);
      const version = execFileSync(candidate, ["-p", "process.versions.node"], { encoding: "utf8", timeout: 20_000 }).trim();
      if (nodeTooOld(version)) return candidate;
    } catch {
      // Not there, or not a Node.js that runs.
    }
  }
  return undefined;
}

function run(node: string, args: readonly string[], closeStdout = false): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [bin, ...args], { env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp" } });
    let stdout = "";
    let stderr = "";
    // Closed before the CLI has loaded: its first write meets a closed pipe.
    if (closeStdout) child.stdout.destroy();
    else child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const older = olderNode();

describe("the regkit command", () => {
  test.skipIf(older === undefined)(`on a Node.js older than ${MIN_NODE} says so in one line and exits 2${older ? "" : " (no older Node.js on PATH)"}`, async () => {
    const ran = await run(older!, ["list"]);
    expect(ran.code).toBe(2);
    expect(ran.stdout).toBe("");
    expect(ran.stderr).toMatch(new RegExp(`^regkit: needs Node\\.js ${MIN_NODE.replace(/\./g, "\\.")} or newer .*; this is Node\\.js \\d+\\.\\d+\\.\\d+ \\(`));
    expect(ran.stderr).not.toMatch(/\n\s+at /);
  });

  test("a closed pipe on its output ends `regkit list` with 0 and no stack trace", async () => {
    const ran = await run(process.execPath, ["list"], true);
    expect(ran.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(ran.code).toBe(0);
  });
});
