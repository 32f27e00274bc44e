import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { digestOf, probeTool, redact, runTool, type ClientDriver, type DriverContext, type ToolResult } from "@regkit/core";
import type { PypiProfile } from "./profiles.js";

/** How long twine and pip may take against a registry, however badly the registry behaves. */
export interface PythonToolLimits {
  /** Wall-clock limit of one publish or one install, every command in it together (ms). */
  readonly totalMs: number;
  /**
   * pip's own limit for one request (`--timeout`, ms), with `--retries 0`.
   * twine has neither a timeout nor a retry setting: only `totalMs` bounds it.
   */
  readonly requestMs: number;
}

/**
 * Four minutes for a publish or an install of the small packages drivers get,
 * a minute per request. pip's defaults (5 retries of a 15 s timeout, or of
 * the PIP_DEFAULT_TIMEOUT a machine sets, 180 s on some CI images) turn one
 * unanswered request into minutes.
 */
export const PYTHON_TOOL_LIMITS: PythonToolLimits = { totalMs: 240_000, requestMs: 60_000 };

/** The time a publish's or an install's commands share: each gets what the ones before it left. */
function deadline(totalMs: number): () => number {
  const end = performance.now() + totalMs;
  return () => Math.floor(end - performance.now());
}

/**
 * Runs a Python packaging tool in the driver's work directory. HOME points
 * there and pip's own index settings are blanked, so neither the user's
 * configuration nor another index can answer in the registry's place. pip
 * retries nothing and gives up on a request after `requestMs`, whoever calls
 * it (the environment reaches pip runs that pass no flags of their own).
 */
export function runPythonTool(
  command: string,
  args: readonly string[],
  ctx: DriverContext<PypiProfile>,
  { env = {}, timeoutMs = PYTHON_TOOL_LIMITS.totalMs, requestMs = PYTHON_TOOL_LIMITS.requestMs }: { env?: NodeJS.ProcessEnv; timeoutMs?: number; requestMs?: number } = {},
): Promise<ToolResult> {
  if (timeoutMs <= 0) {
    return Promise.resolve({ code: 124, output: `${command} was not started: the time limit of this run was spent`, timedOut: true, durationMs: 0 });
  }
  const seconds = String(requestMs / 1000);
  return runTool({
    command,
    args,
    cwd: ctx.workdir,
    env: {
      HOME: ctx.workdir,
      PIP_DISABLE_PIP_VERSION_CHECK: "1",
      PIP_NO_INPUT: "1",
      PIP_FIND_LINKS: "",
      PIP_INDEX_URL: "",
      PIP_EXTRA_INDEX_URL: "",
      PIP_RETRIES: "0",
      // pip reads --timeout under both names; a PIP_DEFAULT_TIMEOUT of the machine's must not win.
      PIP_TIMEOUT: seconds,
      PIP_DEFAULT_TIMEOUT: seconds,
      ...env,
    },
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

/** twine (Debian's), uploading the wheel and the sdist through the legacy upload API, bounded by `limits.totalMs`. */
export function createTwine(limits: PythonToolLimits = PYTHON_TOOL_LIMITS): ClientDriver<PypiProfile> {
  return {
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
      // twine 4 waits for an answer without a timeout and uploads a file again
      // after a 5xx (up to 5 times), with no option for either: the time limit
      // is what ends it against a registry that never answers.
      const ran = await runPythonTool("twine", args, ctx, { env, timeoutMs: limits.totalMs, requestMs: limits.requestMs });
      return { accepted: ran.code === 0, output: ran.output };
    },
  };
}

/** twine with {@link PYTHON_TOOL_LIMITS}: the kit's driver. */
export const twine: ClientDriver<PypiProfile> = createTwine();

/**
 * Why pip gave up, from its log: at its normal verbosity pip says only that it
 * found no version when the index timed out or refused it.
 */
async function pipReasons(log: string, secrets: readonly string[]): Promise<string> {
  if (!existsSync(log)) return "";
  const lines = (await readFile(log, "utf8")).split("\n").filter((line) => /Could not fetch URL|timed out|Client Error|Server Error|HTTP error/i.test(line));
  if (lines.length === 0) return "";
  // Each line starts with a timestamp; the reason is what follows.
  const reasons = lines.slice(-3).map((line) => line.replace(/^\S+\s/, "").slice(0, 500));
  return `; pip's log: ${redact(reasons.join(" | "), secrets)}`;
}

/** pip, downloading the wheel from the simple index and installing it, bounded by `limits`. */
export function createPip(limits: PythonToolLimits = PYTHON_TOOL_LIMITS): ClientDriver<PypiProfile> {
  return {
    name: "pip",
    async unavailable() {
      return (await probeTool("python3", ["-m", "pip", "--version"])) ? undefined : "python3 -m pip not available";
    },
    async install(name, version, ctx) {
      const left = deadline(limits.totalMs);
      const dest = join(ctx.workdir, "download");
      await mkdir(dest, { recursive: true });
      const log = join(ctx.workdir, "pip.log");
      // One attempt per request, each bounded: pip's retries would repeat every unanswered request 5 times.
      const bounds = ["--retries", "0", "--timeout", String(limits.requestMs / 1000), "--log", log];
      const common = ["--no-cache-dir", "--disable-pip-version-check", ...bounds, "--index-url", simpleIndexUrl(ctx)];
      const options = { timeoutMs: left(), requestMs: limits.requestMs };
      const got = await runPythonTool("python3", ["-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-d", dest, ...common, `${name}==${version}`], ctx, options);
      if (got.code !== 0) throw new Error(`pip download ${name}==${version} failed (exit ${got.code}): ${got.output.slice(-600)}${await pipReasons(log, ctx.secrets)}`);
      const wheel = (await readdir(dest)).find((f) => f.endsWith(".whl"));
      if (!wheel) throw new Error(`pip download wrote no wheel: ${got.output.slice(-300)}`);
      const { digests } = await digestOf(await readFile(join(dest, wheel)));
      const target = join(ctx.workdir, "site");
      const installed = await runPythonTool("python3", ["-m", "pip", "install", "--no-deps", "--target", target, ...common, `${name}==${version}`], ctx, { ...options, timeoutMs: left() });
      if (installed.code !== 0) throw new Error(`pip install ${name}==${version} failed (exit ${installed.code}): ${installed.output.slice(-600)}${await pipReasons(log, ctx.secrets)}`);
      return { digests, output: `${got.output}${installed.output}` };
    },
  };
}

/** pip with {@link PYTHON_TOOL_LIMITS}: the kit's driver. */
export const pip: ClientDriver<PypiProfile> = createPip();
