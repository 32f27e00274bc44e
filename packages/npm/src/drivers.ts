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

/** One npm command; the environment is built from scratch (cleanEnv) so the filtered npm_config_* stay out. */
function run(args: readonly string[], cwd: string, ctx: DriverContext<NpmProfile>): Promise<ToolResult> {
  return runTool({ command: "npm", args, cwd, env: npmEnv(ctx), cleanEnv: true, timeoutMs: 240_000, signal: ctx.signal, secrets: ctx.secrets });
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

function common(ctx: DriverContext<NpmProfile>, rc: string): string[] {
  return ["--registry", ctx.registry.replace(/\/?$/, "/"), "--userconfig", rc, "--cache", join(ctx.workdir, "cache"), "--no-audit", "--no-fund", "--loglevel", "warn"];
}

/** The npm CLI, as found on PATH. */
export const npmCli: ClientDriver<NpmProfile> = {
  name: "npm-cli",
  async unavailable() {
    return (await probeTool("npm", ["--version"])) ? undefined : "npm not found on PATH";
  },

  async publish(artifact: Artifact, ctx: DriverContext<NpmProfile>) {
    const rc = await userconfig(ctx);
    const file = join(ctx.workdir, `${artifact.filename.replace(/[^a-zA-Z0-9._-]/g, "_")}`);
    await pipeline(Readable.from(artifact.content.stream()), createWriteStream(file));
    const tag = artifact.version.includes("-") ? ["--tag", "next"] : [];
    const ran = await run(["publish", file, ...tag, ...common(ctx, rc), "--ignore-scripts"], ctx.workdir, ctx);
    return { accepted: ran.code === 0, output: ran.output };
  },

  async install(name: string, version: string, ctx: DriverContext<NpmProfile>) {
    const rc = await userconfig(ctx);
    const packDir = join(ctx.workdir, "pack");
    await mkdir(packDir, { recursive: true });
    const packed = await run(["pack", `${name}@${version}`, "--pack-destination", packDir, ...common(ctx, rc)], ctx.workdir, ctx);
    if (packed.code !== 0) throw new Error(`npm pack ${name}@${version} failed (exit ${packed.code}): ${packed.output.slice(-500)}`);
    const tgz = (await readdir(packDir)).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error(`npm pack ${name}@${version} wrote no tarball: ${packed.output.slice(-300)}`);
    const { digests } = await digestOf(await readFile(join(packDir, tgz)));

    const project = join(ctx.workdir, "project");
    await mkdir(project, { recursive: true });
    await writeFile(join(project, "package.json"), JSON.stringify({ name: "regkit-install-probe", version: "0.0.0", private: true }));
    const installed = await run(["install", `${name}@${version}`, "--ignore-scripts", "--no-package-lock", ...common(ctx, rc)], project, ctx);
    if (installed.code !== 0) throw new Error(`npm install ${name}@${version} failed (exit ${installed.code}): ${installed.output.slice(-500)}`);
    const manifest = JSON.parse(await readFile(join(project, "node_modules", name, "package.json"), "utf8")) as { version?: string };
    if (manifest.version !== version) throw new Error(`npm installed ${name}@${manifest.version}, not ${version}`);
    return { digests, output: `${packed.output}${installed.output}` };
  },
};
