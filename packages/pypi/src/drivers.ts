import { execFile } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { digestOf, redact, type Artifact, type ClientDriver, type DriverContext } from "@regkit/core";
import type { PypiProfile } from "./profiles.js";

function run(command: string, args: readonly string[], ctx: DriverContext, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; output: string }> {
  const secrets = ctx.credential.token ? [ctx.credential.token] : [];
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: ctx.workdir, timeout: 240_000, maxBuffer: 16 * 1024 * 1024, signal: ctx.signal, env: { ...process.env, HOME: ctx.workdir, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1", PIP_FIND_LINKS: "", PIP_INDEX_URL: "", PIP_EXTRA_INDEX_URL: "", ...env } },
      (error, stdout, stderr) => {
        const code = error ? (typeof (error as { code?: unknown }).code === "number" ? (error as { code: number }).code : 1) : 0;
        resolve({ code, output: redact(`${stdout}${stderr}`, secrets) });
      },
    );
  });
}

function probe(command: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => execFile(command, args, { timeout: 30_000 }, (error, stdout) => resolve(error ? undefined : stdout.trim())));
}

const userOf = (ctx: DriverContext): string => (ctx.target.profile as PypiProfile).basicUser?.(ctx.credential) ?? "__token__";

let twineVersion: Promise<string | undefined> | undefined;

/** twine (Debian's), uploading the wheel and the sdist through the legacy upload API. */
export const twine: ClientDriver = {
  name: "twine",
  async unavailable() {
    twineVersion ??= probe("twine", ["--version"]);
    return (await twineVersion) ? undefined : "twine not found on PATH (Debian package twine)";
  },
  async publish(artifact: Artifact, ctx: DriverContext) {
    const files: string[] = [];
    for (const file of [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])]) {
      const path = join(ctx.workdir, file.filename);
      await pipeline(Readable.from(file.content.stream()), createWriteStream(path));
      files.push(path);
    }
    const profile = ctx.target.profile as PypiProfile;
    const url = `${ctx.registry}${profile.uploadPath}`.replace(/\/$/, "") || ctx.registry;
    const args = ["upload", "--repository-url", url, "--non-interactive", "--disable-progress-bar", ...files];
    // Credentials through the environment, not the command line (process lists).
    const env = ctx.credential.token ? { TWINE_USERNAME: userOf(ctx), TWINE_PASSWORD: ctx.credential.token } : { TWINE_USERNAME: "", TWINE_PASSWORD: "" };
    const ran = await run("twine", args, ctx, env);
    return { accepted: ran.code === 0, output: ran.output };
  },
};

let pipVersion: Promise<string | undefined> | undefined;

/** pip, downloading the wheel from the simple index and installing it, offline. */
export const pip: ClientDriver = {
  name: "pip",
  async unavailable() {
    pipVersion ??= probe("python3", ["-m", "pip", "--version"]);
    return (await pipVersion) ? undefined : "python3 -m pip not available";
  },
  async install(name: string, version: string, ctx: DriverContext) {
    const profile = ctx.target.profile as PypiProfile;
    const index = new URL(`${ctx.registry}${profile.simplePath}/`);
    if (ctx.credential.token) {
      index.username = encodeURIComponent(userOf(ctx));
      index.password = encodeURIComponent(ctx.credential.token);
    }
    const dest = join(ctx.workdir, "download");
    await mkdir(dest, { recursive: true });
    const common = ["--no-cache-dir", "--disable-pip-version-check", "--index-url", index.toString()];
    const got = await run("python3", ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", dest, ...common, `${name}==${version}`], ctx);
    if (got.code !== 0) throw new Error(`pip download ${name}==${version} failed (exit ${got.code}): ${got.output.slice(-600)}`);
    const wheel = (await readdir(dest)).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error(`pip download wrote no wheel: ${got.output.slice(-300)}`);
    const { digests } = await digestOf(await readFile(join(dest, wheel)));
    const target = join(ctx.workdir, "site");
    const installed = await run("python3", ["-m", "pip", "install", "--no-deps", "--target", target, ...common, `${name}==${version}`], ctx);
    if (installed.code !== 0) throw new Error(`pip install ${name}==${version} failed (exit ${installed.code}): ${installed.output.slice(-600)}`);
    return { digests, output: `${got.output}${installed.output}` };
  },
};
