/**
 * The Conan 2 client (`conan`, from PyPI), driven as a real process through
 * core's runTool, each run in its own `CONAN_HOME` (a fresh temporary
 * directory: no remotes but the registry, no ConanCenter, a written profile
 * so no compiler is detected):
 *
 * - publish: `conan remote add`, `conan remote login`, `conan create` of the
 *   artifact's own `conanfile.py` (byte for byte: Conan keeps it as it is),
 *   `conan upload -c`;
 * - install: in another `CONAN_HOME`, `conan remote login` (GitLab answers
 *   404, not 401, to anonymous reads of a private project, so the client
 *   would not log in by itself), `conan install --requires=name/version` (the recipe and its
 *   binary package, never built), `conan list` of the remote's revisions and
 *   `conan search` of the name, then the installed `conanfile.py` is read
 *   from the cache (`conan cache path`).
 *
 * Credentials travel as Conan reads them from the environment
 * (`CONAN_LOGIN_USERNAME_<REMOTE>`, `CONAN_PASSWORD_<REMOTE>`), never on the
 * command line; Conan's HTTP timeout and retries are set in the home's
 * `global.conf`, and runTool bounds each command past them.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type Artifact,
  type ClientDriver,
  ConformanceFailure,
  type Digests,
  type DriverContext,
  type ToolResult,
  contentFromBytes,
  probeTool,
  runTool,
} from "@regkit/core";
import { RECIPE_FILE } from "./package.js";
import type { ConanProfile } from "./profiles.js";

/** How long conan may take against a registry, however badly it behaves. */
export interface ConanLimits {
  /** One conan command's wall-clock limit (runTool kills it past this), ms. */
  readonly commandMs: number;
  /** Conan's `core.net.http:timeout` (each request), s. */
  readonly httpTimeoutS: number;
  /** Conan's `core.net.http:max_retries`. */
  readonly retries: number;
}

/** Three minutes per command, 60 s per request, one retry (Conan's defaults retry twice and wait none too short). */
export const CONAN_LIMITS: ConanLimits = { commandMs: 180_000, httpTimeoutS: 60, retries: 1 };

/** The remote's name in the client's configuration (and in its environment variables). */
export const REMOTE = "regkit";

/** The user and password the profile's Basic header carries, undefined without one. */
export function basicCredentials(headers: Readonly<Record<string, string>>): { readonly username: string; readonly password: string } | undefined {
  const value = Object.entries(headers).find(([key]) => key.toLowerCase() === "authorization")?.[1];
  const match = value === undefined ? null : /^Basic\s+(\S+)$/i.exec(value);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * `conan --version` → `Conan version 2.34.0`, in a conan home of its own
 * (conan 2 makes and migrates its home, `~/.conan2` by default, on any
 * command; the user's is not the kit's to touch).
 */
export async function conanVersion(): Promise<string | undefined> {
  return probeTool("conan", ["--version"], 30_000, (home) => ({ CONAN_HOME: home }));
}

interface Home {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A fresh CONAN_HOME with the registry as its only remote, a profile, and the limits in global.conf. */
async function makeHome(ctx: DriverContext<ConanProfile>, label: string, limits: ConanLimits): Promise<Home> {
  const dir = join(ctx.workdir, `conan-home-${label}`);
  await mkdir(join(dir, "profiles"), { recursive: true });
  await writeFile(join(dir, "profiles", "default"), "[settings]\nos=Linux\narch=x86_64\nbuild_type=Release\n");
  await writeFile(join(dir, "global.conf"), `core.net.http:timeout=${limits.httpTimeoutS}\ncore.net.http:max_retries=${limits.retries}\ncore:non_interactive=True\n`);
  await writeFile(join(dir, "remotes.json"), `${JSON.stringify({ remotes: [{ name: REMOTE, url: ctx.registry, verify_ssl: false }] }, null, 2)}\n`);
  const env: NodeJS.ProcessEnv = { CONAN_HOME: dir, NO_COLOR: "1", CONAN_LOG_LEVEL: "notice" };
  const basic = basicCredentials(ctx.target.profile.authHeaders(ctx.credential));
  if (basic) {
    env[`CONAN_LOGIN_USERNAME_${REMOTE.toUpperCase()}`] = basic.username;
    env[`CONAN_PASSWORD_${REMOTE.toUpperCase()}`] = basic.password;
  }
  return { dir, env };
}

function conan(ctx: DriverContext<ConanProfile>, home: Home, args: readonly string[], limits: ConanLimits, cwd?: string): Promise<ToolResult> {
  return runTool({ command: "conan", args, cwd, env: home.env, secrets: ctx.secrets, timeoutMs: limits.commandMs, signal: ctx.signal });
}

/** Runs commands in order; the first that fails ends it. */
async function steps(ctx: DriverContext<ConanProfile>, home: Home, commands: readonly (readonly string[])[], limits: ConanLimits, cwd?: string): Promise<{ readonly ok: boolean; readonly output: string; readonly failed?: string }> {
  const outputs: string[] = [];
  for (const args of commands) {
    const result = await conan(ctx, home, args, limits, cwd);
    outputs.push(`$ conan ${args.join(" ")}\n${result.output.trim()}`);
    if (result.code !== 0) return { ok: false, output: `${outputs.join("\n")}\n(exit ${result.code}${result.timedOut ? ", timed out" : ""})`, failed: `conan ${args[0]} ${args[1] ?? ""}`.trim() };
  }
  return { ok: true, output: outputs.join("\n") };
}

/** A conan driver with the given limits (tests shorten them). */
export function createConanDriver(limits: ConanLimits = CONAN_LIMITS): ClientDriver<ConanProfile> {
  let installs = 0;
  return {
    name: "conan",
    async unavailable() {
      return (await conanVersion()) === undefined ? "conan not found on PATH (packages/conan/ci/install-tools.sh installs it into .regkit-tools/bin)" : undefined;
    },
    async version() {
      return conanVersion();
    },
    async publish(artifact: Artifact, ctx: DriverContext<ConanProfile>) {
      const home = await makeHome(ctx, "publish", limits);
      const recipeDir = join(ctx.workdir, `recipe-${artifact.name}-${artifact.version}`);
      await mkdir(recipeDir, { recursive: true });
      const bytes = artifact.content.bytes;
      if (!bytes) throw new Error(`the conan driver publishes small recipes only (${artifact.name}@${artifact.version} is ${artifact.content.size} bytes)`);
      await writeFile(join(recipeDir, RECIPE_FILE), bytes);
      const login = basicCredentials(ctx.target.profile.authHeaders(ctx.credential)) ? [["remote", "login", REMOTE]] : [];
      const ref = `${artifact.name}/${artifact.version}`;
      const run = await steps(ctx, home, [...login, ["create", ".", "--build=missing"], ["upload", ref, "-r", REMOTE, "-c"]], limits, recipeDir);
      return { accepted: run.ok, output: run.output };
    },
    async install(name: string, version: string, ctx: DriverContext<ConanProfile>): Promise<{ digests: Digests; output: string }> {
      const home = await makeHome(ctx, `install-${++installs}`, limits);
      const ref = `${name}/${version}`;
      // GitLab hides a private project from anonymous reads with 404, which conan does not retry with credentials: log in first.
      const login = basicCredentials(ctx.target.profile.authHeaders(ctx.credential)) ? [["remote", "login", REMOTE]] : [];
      const run = await steps(
        ctx,
        home,
        [...login, ["install", `--requires=${ref}`, "-r", REMOTE, "--build=never"], ["list", `${ref}#*:*#*`, "-r", REMOTE], ["search", name, "-r", REMOTE]],
        limits,
        ctx.workdir,
      );
      if (!run.ok) {
        throw new ConformanceFailure(`conan could not install ${ref} (${run.failed})`, { expected: `${run.failed} succeeds`, actual: run.output.slice(-800) }, []);
      }
      if (!run.output.includes(name)) {
        throw new ConformanceFailure(`conan list and search do not show ${ref}`, { expected: `${name} in the output of conan list and conan search`, actual: run.output.slice(-800) }, []);
      }
      const path = await conan(ctx, home, ["cache", "path", ref], limits);
      if (path.code !== 0) throw new ConformanceFailure(`conan cache path ${ref} failed after the install`, { expected: "the recipe's export folder", actual: path.output.slice(-400) }, []);
      const folder = path.output.trim().split("\n").at(-1)!.trim();
      const recipe = await readFile(join(folder, RECIPE_FILE));
      return { digests: contentFromBytes(new Uint8Array(recipe)).digests, output: `${run.output}\n$ conan cache path ${ref}\n${folder}` };
    },
  };
}

export const conanDriver: ClientDriver<ConanProfile> = createConanDriver();

/** Real clients of the format, each run through core's runTool with ctx.secrets. */
export const conanDrivers: readonly ClientDriver<ConanProfile>[] = [conanDriver];
