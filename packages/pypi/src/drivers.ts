import { createWriteStream } from "node:fs";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { digestOf, probeTool, runTool, type ClientDriver, type DriverContext, type ToolResult } from "@regkit/core";
import type { PypiProfile } from "./profiles.js";

/** How long one twine or pip run may take before its process group is killed. */
const TOOL_TIMEOUT_MS = 240_000;

/**
 * Runs a Python packaging tool in the driver's work directory. HOME points
 * there and pip's own index settings are blanked, so neither the user's
 * configuration nor another index can answer in the registry's place.
 */
export function runPythonTool(
  command: string,
  args: readonly string[],
  ctx: DriverContext<PypiProfile>,
  { env = {}, timeoutMs = TOOL_TIMEOUT_MS }: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<ToolResult> {
  return runTool({
    command,
    args,
    cwd: ctx.workdir,
    env: { HOME: ctx.workdir, PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1", PIP_FIND_LINKS: "", PIP_INDEX_URL: "", PIP_EXTRA_INDEX_URL: "", ...env },
    timeoutMs,
    signal: ctx.signal,
    secrets: ctx.secrets,
  });
}

/** The simple index URL pip is given, with the credential in it (pip reads no other way to authenticate non-interactively). */
export function simpleIndexUrl(ctx: DriverContext<PypiProfile>): string {
  const profile = ctx.target.profile;
  const index = new URL(`${ctx.registry}${profile.simplePath}/`);
  if (ctx.credential.token) {
    index.username = encodeURIComponent(profile.basicUser(ctx.credential));
    index.password = encodeURIComponent(ctx.credential.token);
  }
  return index.toString();
}

/** twine (Debian's), uploading the wheel and the sdist through the legacy upload API. */
export const twine: ClientDriver<PypiProfile> = {
  name: "twine",
  async unavailable() {
    return (await probeTool("twine", ["--version"])) ? undefined : "twine not found on PATH (Debian package twine)";
  },
  async publish(artifact, ctx) {
    const files: string[] = [];
    for (const file of [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])]) {
      const path = join(ctx.workdir, file.filename);
      await pipeline(Readable.from(file.content.stream()), createWriteStream(path));
      files.push(path);
    }
    const profile = ctx.target.profile;
    const url = `${ctx.registry}${profile.uploadPath}`.replace(/\/$/, "") || ctx.registry;
    const args = ["upload", "--repository-url", url, "--non-interactive", "--disable-progress-bar", ...files];
    // Credentials through the environment, not the command line (process lists).
    const env = ctx.credential.token ? { TWINE_USERNAME: profile.basicUser(ctx.credential), TWINE_PASSWORD: ctx.credential.token } : { TWINE_USERNAME: "", TWINE_PASSWORD: "" };
    const ran = await runPythonTool("twine", args, ctx, { env });
    return { accepted: ran.code === 0, output: ran.output };
  },
};

/** pip, downloading the wheel from the simple index and installing it, offline. */
export const pip: ClientDriver<PypiProfile> = {
  name: "pip",
  async unavailable() {
    return (await probeTool("python3", ["-m", "pip", "--version"])) ? undefined : "python3 -m pip not available";
  },
  async install(name, version, ctx) {
    const dest = join(ctx.workdir, "download");
    await mkdir(dest, { recursive: true });
    const common = ["--no-cache-dir", "--disable-pip-version-check", "--index-url", simpleIndexUrl(ctx)];
    const got = await runPythonTool("python3", ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", dest, ...common, `${name}==${version}`], ctx);
    if (got.code !== 0) throw new Error(`pip download ${name}==${version} failed (exit ${got.code}): ${got.output.slice(-600)}`);
    const wheel = (await readdir(dest)).find((f) => f.endsWith(".whl"));
    if (!wheel) throw new Error(`pip download wrote no wheel: ${got.output.slice(-300)}`);
    const { digests } = await digestOf(await readFile(join(dest, wheel)));
    const target = join(ctx.workdir, "site");
    const installed = await runPythonTool("python3", ["-m", "pip", "install", "--no-deps", "--target", target, ...common, `${name}==${version}`], ctx);
    if (installed.code !== 0) throw new Error(`pip install ${name}==${version} failed (exit ${installed.code}): ${installed.output.slice(-600)}`);
    return { digests, output: `${got.output}${installed.output}` };
  },
};
