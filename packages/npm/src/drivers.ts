import { createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { digestOf, probeTool, runTool, type Artifact, type ClientDriver, type DriverContext, type ToolResult } from "@regkit/core";
import type { NpmProfile } from "./profiles.js";

/** Environment for npm: pnpm's and the user's npm_config_* must not leak into the tool. */
function npmEnv(ctx: DriverContext<NpmProfile>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.toLowerCase().startsWith("npm_config_")) env[key] = value;
  }
  env.npm_config_update_notifier = "false";
  env.HOME = ctx.workdir;
  return env;
}

/** How long the npm CLI may take against a registry, however badly the registry behaves. */
export interface NpmCliLimits {
  /** Wall-clock limit of one publish or one install, every npm command in it together (ms). */
  readonly totalMs: number;
  /** npm's own limit for one request (`--fetch-timeout`, ms). */
  readonly requestMs: number;
}

/**
 * Four minutes for a publish or an install of the small packages drivers get,
 * a minute per request. npm's defaults (2 retries 10 to 60 s apart, 5 minutes
 * per request) let one unanswered request run for over 15 minutes.
 */
export const NPM_CLI_LIMITS: NpmCliLimits = { totalMs: 240_000, requestMs: 60_000 };

/** The time a publish's or an install's commands share: each gets what the ones before it left. */
function deadline(totalMs: number): () => number {
  const end = performance.now() + totalMs;
  return () => Math.floor(end - performance.now());
}

/** One npm command; the environment is built from scratch (cleanEnv) so the filtered npm_config_* stay out. */
async function run(args: readonly string[], cwd: string, ctx: DriverContext<NpmProfile>, left: () => number, limits: NpmCliLimits): Promise<ToolResult> {
  const timeoutMs = left();
  if (timeoutMs <= 0) {
    return { code: 124, output: `npm ${args[0] ?? ""} was not started: the ${limits.totalMs / 1000} s limit of this npm run was spent`, timedOut: true, durationMs: 0 };
  }
  return runTool({ command: "npm", args, cwd, env: npmEnv(ctx), cleanEnv: true, timeoutMs, signal: ctx.signal, secrets: ctx.secrets });
}

/** Writes `.npmrc` for the registry: the token as `_authToken` for its host and path. */
async function userconfig(ctx: DriverContext<NpmProfile>): Promise<string> {
  const url = new URL(ctx.registry);
  const scope = `//${url.host}${url.pathname.replace(/\/?$/, "/")}`;
  const lines = [`registry=${ctx.registry.replace(/\/?$/, "/")}`, "audit=false", "fund=false", "update-notifier=false"];
  if (ctx.credential.token) lines.push(`${scope}:_authToken=${ctx.credential.token}`);
  const file = join(ctx.workdir, ".npmrc");
  await writeFile(file, `${lines.join("\n")}\n`, { mode: 0o600 });
  return file;
}

function common(ctx: DriverContext<NpmProfile>, rc: string, limits: NpmCliLimits): string[] {
  return [
    "--registry", ctx.registry.replace(/\/?$/, "/"), "--userconfig", rc, "--cache", join(ctx.workdir, "cache"), "--no-audit", "--no-fund", "--loglevel", "warn",
    // No retries: against a registry that hangs or fails, each request costs
    // one --fetch-timeout, not three plus the 10 to 60 s back-off between
    // them, and a flaky answer shows as the failure it is. Flags win over any
    // .npmrc, so no configuration turns the retries back on.
    "--fetch-retries", "0", "--fetch-timeout", String(limits.requestMs),
  ];
}

/** The npm CLI, as found on PATH, bounded by `limits` (tests shorten them). */
export function createNpmCli(limits: NpmCliLimits = NPM_CLI_LIMITS): ClientDriver<NpmProfile> {
  return {
    name: "npm-cli",
    async unavailable() {
      return (await probeTool("npm", ["--version"])) ? undefined : "npm not found on PATH";
    },

    async publish(artifact: Artifact, ctx: DriverContext<NpmProfile>) {
      const rc = await userconfig(ctx);
      const file = join(ctx.workdir, `${artifact.filename.replace(/[^a-zA-Z0-9._-]/g, "_")}`);
      await pipeline(Readable.from(artifact.content.stream()), createWriteStream(file));
      const tag = artifact.version.includes("-") ? ["--tag", "next"] : [];
      const ran = await run(["publish", file, ...tag, ...common(ctx, rc, limits), "--ignore-scripts"], ctx.workdir, ctx, deadline(limits.totalMs), limits);
      return { accepted: ran.code === 0, output: ran.output };
    },

    async install(name: string, version: string, ctx: DriverContext<NpmProfile>) {
      const left = deadline(limits.totalMs);
      const rc = await userconfig(ctx);
      const packDir = join(ctx.workdir, "pack");
      await mkdir(packDir, { recursive: true });
      const packed = await run(["pack", `${name}@${version}`, "--pack-destination", packDir, ...common(ctx, rc, limits)], ctx.workdir, ctx, left, limits);
      if (packed.code !== 0) throw new Error(`npm pack ${name}@${version} failed (exit ${packed.code}): ${packed.output.slice(-500)}`);
      const tgz = (await readdir(packDir)).find((f) => f.endsWith(".tgz"));
      if (!tgz) throw new Error(`npm pack ${name}@${version} wrote no tarball: ${packed.output.slice(-300)}`);
      const { digests } = await digestOf(await readFile(join(packDir, tgz)));

      const project = join(ctx.workdir, "project");
      await mkdir(project, { recursive: true });
      await writeFile(join(project, "package.json"), JSON.stringify({ name: "regkit-install-probe", version: "0.0.0", private: true }));
      const installed = await run(["install", `${name}@${version}`, "--ignore-scripts", "--no-package-lock", ...common(ctx, rc, limits)], project, ctx, left, limits);
      if (installed.code !== 0) throw new Error(`npm install ${name}@${version} failed (exit ${installed.code}): ${installed.output.slice(-500)}`);
      const manifest = JSON.parse(await readFile(join(project, "node_modules", name, "package.json"), "utf8")) as { version?: string };
      if (manifest.version !== version) throw new Error(`npm installed ${name}@${manifest.version}, not ${version}`);
      return { digests, output: `${packed.output}${installed.output}` };
    },
  };
}

/** The npm CLI with {@link NPM_CLI_LIMITS}: the kit's driver. */
export const npmCli: ClientDriver<NpmProfile> = createNpmCli();
