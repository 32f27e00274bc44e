// What the CLI's tests share: the built `regkit` run as a process, a served
// reference registry (`regkit serve`) and its credentials as `regkit` reads them.
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const bin = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

/** The JSON line `regkit serve` prints first. */
export interface Served {
  url: string;
  registries: Record<string, string>;
  tokens: { personal: string; personalUsername: string; deploy: string; deployUsername: string; job: string; readonlyDeploy: string; readonlyDeployUsername: string };
  formats: Record<string, { maxFileSize: number; duplicates: string }>;
}

/** How a `regkit` process ended. */
export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built `regkit` with only PATH, HOME and `env` in its environment (no REGKIT_* of the caller leaks in). */
export function regkit(args: readonly string[], env: Record<string, string> = {}, cwd?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      ...(cwd ? { cwd } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Starts `regkit serve --port 0 ...args` and reads its first line; a serve that exits first rejects with its stderr. */
export async function startServe(args: readonly string[] = []): Promise<{ child: ChildProcessWithoutNullStreams; served: Served; firstLine: string }> {
  const child = spawn(process.execPath, [bin, "serve", "--port", "0", ...args]);
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const firstLine = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`regkit serve ${args.join(" ")} exited with ${code}: ${stderr}`)));
  });
  return { child, served: JSON.parse(firstLine) as Served, firstLine };
}

/** Stops a served registry with `signal` and resolves with its exit code (at once if it already exited). */
export function stop(child: ChildProcessWithoutNullStreams, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once("exit", (code) => resolve(code));
    child.kill(signal);
  });
}

/** Every credential the served registry hands out, as `regkit` reads them from the environment. */
export function tokenEnv(served: Served): Record<string, string> {
  return {
    REGKIT_PERSONAL_TOKEN: served.tokens.personal,
    REGKIT_PERSONAL_USERNAME: served.tokens.personalUsername,
    REGKIT_DEPLOY_TOKEN: served.tokens.deploy,
    REGKIT_DEPLOY_USERNAME: served.tokens.deployUsername,
    REGKIT_JOB_TOKEN: served.tokens.job,
    REGKIT_READONLY_TOKEN: served.tokens.readonlyDeploy,
    REGKIT_READONLY_USERNAME: served.tokens.readonlyDeployUsername,
  };
}

/** The npm publish document for `tarball` (any bytes: the registry limits and stores them as they are). */
export function npmPublishDocument(registry: string, name: string, version: string, tarball: Buffer): unknown {
  const file = `${name}-${version}.tgz`;
  return {
    _id: name,
    name,
    "dist-tags": { latest: version },
    versions: {
      [version]: {
        _id: `${name}@${version}`,
        name,
        version,
        dist: {
          integrity: `sha512-${createHash("sha512").update(tarball).digest("base64")}`,
          shasum: createHash("sha1").update(tarball).digest("hex"),
          tarball: `${registry}/${name}/-/${file}`,
        },
      },
    },
    _attachments: { [file]: { content_type: "application/octet-stream", data: tarball.toString("base64"), length: tarball.length } },
  };
}
