import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { digestOf, probeTool, runTool, type Artifact, type ClientDriver, type DriverContext, type ToolResult, type ToolRun } from "@regkit/core";
import type { NuGetProfile } from "./profiles.js";
import { normalizeNuGetVersion } from "./version.js";

/** NuGet.exe as shipped by the npm package `nuget-exe`. */
export function nugetExePath(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve("nuget-exe/package.json")), "nuget-5.8.0.exe");
  } catch {
    return undefined;
  }
}

const xml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/**
 * A NuGet.Config with only our source and, for installs, its Basic
 * credentials (NuGet on mono needs clear text). Pushes carry the token as the
 * API key and no Basic credentials: GitLab takes X-NuGet-ApiKey on push
 * (nuget.writeCredentials) but answers 400 to Basic and an API key together
 * (nuget.twoCredentials), which NuGet would send after any 401.
 */
async function config(ctx: DriverContext<NuGetProfile>, purpose: "push" | "install"): Promise<string> {
  const user = ctx.credential.token ? ctx.target.profile.basicUser(ctx.credential) : undefined;
  const creds = purpose === "install" && user !== undefined && ctx.credential.token
    ? `<packageSourceCredentials><regkit><add key="Username" value="${xml(user)}" /><add key="ClearTextPassword" value="${xml(ctx.credential.token)}" /></regkit></packageSourceCredentials>`
    : "";
  const file = join(ctx.workdir, `NuGet.${purpose}.Config`);
  await writeFile(
    file,
    `<?xml version="1.0" encoding="utf-8"?>\n<configuration><packageSources><clear /><add key="regkit" value="${xml(`${ctx.registry}/index.json`)}" /></packageSources>${creds}<config><add key="globalPackagesFolder" value="${xml(join(ctx.workdir, "global"))}" /><add key="http_proxy" value="" /></config></configuration>\n`,
    { mode: 0o600 },
  );
  return file;
}

/** How long NuGet.exe may take against a registry, however badly the registry behaves. */
export interface NuGetExeLimits {
  /** Wall-clock limit of one push or one install, mono's start included (ms). */
  readonly totalMs: number;
  /**
   * NuGet's limit for the push request itself (`push -Timeout`, whole
   * seconds). NuGet.exe 5.8 has no setting for its other requests: it gives
   * the service index and every read 100 s and 3 tries, so against a registry
   * that never answers only `totalMs` ends it.
   */
  readonly requestMs: number;
}

/** Four minutes for a push or an install of the small packages drivers get, a minute for the push request. */
export const NUGET_EXE_LIMITS: NuGetExeLimits = { totalMs: 240_000, requestMs: 60_000 };

/**
 * The launcher every .NET program of the kit runs through: C# of a few
 * lines, compiled by mono's `mcs` (Debian's mono-complete has it) once per
 * directory, that calls the program's own `Main` in the same process with the
 * same arguments and then ends the process with `Main`'s exit code
 * (`Environment.Exit`). The program does all its work as it would alone;
 * what changes is only how the process ends.
 *
 * Why: when `Main` returns, mono 6.8 (Debian 12's) waits for the process's
 * threads before it exits, and a thread-pool worker that parks just as the
 * runtime begins to shut down sleeps out its park timeout, a random 5 to
 * 60 s (`worker_park` in mono's `mono/metadata/threadpool-worker-default.c`).
 * NuGet.exe had printed "Your package was pushed." and then stayed alive 15
 * to 60 s: in 1 push of about 45 with the cores busy, and in 1 full demo of 4
 * (a NuGet.exe install under the deploy token took 54.6 s). Through the
 * launcher: 0 of 300 pushes under the same load. `Environment.Exit` does not
 * wait for other threads.
 */
const LAUNCHER_SOURCE = `// regkit's mono launcher: runs a program's Main, then ends the process with its exit code.
using System;
using System.Reflection;

static class RegkitMonoLauncher {
  static int Main(string[] args) {
    if (args.Length == 0) {
      Console.Error.WriteLine("usage: mono regkit-mono-launcher.exe PROGRAM.exe [ARGS...]");
      return 2;
    }
    var rest = new string[args.Length - 1];
    Array.Copy(args, 1, rest, 0, rest.Length);
    var entry = Assembly.LoadFrom(args[0]).EntryPoint;
    int code;
    try {
      var result = entry.Invoke(null, entry.GetParameters().Length == 0 ? null : new object[] { rest });
      code = result is int ? (int)result : 0;
    } catch (TargetInvocationException e) {
      // What mono prints and returns for an exception Main let through.
      Console.Error.WriteLine("Unhandled Exception:");
      Console.Error.WriteLine(e.InnerException);
      code = 1;
    }
    Console.Out.Flush();
    Console.Error.Flush();
    Environment.Exit(code);
    return code;
  }
}
`;

/** A scratch home for mcs and for NuGet.exe (its runs and its version probe): whatever they write of their own goes there. */
const scratchEnv = (dir: string): NodeJS.ProcessEnv => ({ HOME: dir, TMPDIR: dir, XDG_CONFIG_HOME: join(dir, ".config"), MONO_ENV_OPTIONS: "" });

/** Compiles the launcher into `dir`: its path, or undefined where it cannot be built (no mcs). */
async function buildLauncher(dir: string): Promise<string | undefined> {
  const source = join(dir, "regkit-mono-launcher.cs");
  const exe = join(dir, "regkit-mono-launcher.exe");
  try {
    await writeFile(source, LAUNCHER_SOURCE);
    // mcs is a mono program too: bounded, and any failure means running the program directly.
    const built = await runTool({ command: "mcs", args: ["-nologo", "-optimize+", `-out:${exe}`, source], cwd: dir, env: scratchEnv(dir), timeoutMs: 60_000, secrets: [] });
    return built.code === 0 ? exe : undefined;
  } catch {
    return undefined;
  }
}

/** One launcher per directory (the run's, else a driver's workdir), built by the first run that needs it. */
const launchers = new Map<string, Promise<string | undefined>>();

function launcherIn(dir: string): Promise<string | undefined> {
  let known = launchers.get(dir);
  if (!known) {
    known = buildLauncher(dir);
    launchers.set(dir, known);
    // Bounded: one entry per run; a finished run's launcher is gone with its directory.
    if (launchers.size > 64) launchers.delete(launchers.keys().next().value!);
  }
  return known;
}

/**
 * Runs a .NET program under mono through the launcher built in `scratch`
 * (see {@link LAUNCHER_SOURCE}); where none can be built, the program runs
 * directly, as `mono PROGRAM ARGS`.
 */
export async function runMonoProgram(program: string, args: readonly string[], run: Omit<ToolRun, "command" | "args"> & { readonly scratch: string }): Promise<ToolResult> {
  const { scratch, ...rest } = run;
  const launcher = await launcherIn(scratch);
  return runTool({ ...rest, command: "mono", args: launcher ? [launcher, program, ...args] : [program, ...args] });
}

/**
 * NuGet.exe under mono with every cache, config and scratch file inside the
 * workdir, so runs never share state with each other or with the user's own
 * NuGet setup, and leave nothing behind (NuGet keeps lock files in
 * `$TMPDIR/NuGetScratch`). It runs through {@link runMonoProgram}, whose
 * launcher is built once per run.
 */
function run(args: readonly string[], ctx: DriverContext<NuGetProfile>, limits: NuGetExeLimits): Promise<ToolResult> {
  const exe = nugetExePath();
  if (!exe) throw new Error("the nuget-exe npm package is not installed");
  return runMonoProgram(exe, args, {
    scratch: ctx.runDir ?? ctx.workdir,
    cwd: ctx.workdir,
    timeoutMs: limits.totalMs,
    signal: ctx.signal,
    secrets: ctx.secrets,
    env: { ...scratchEnv(ctx.workdir), NUGET_PACKAGES: join(ctx.workdir, "global"), NUGET_HTTP_CACHE_PATH: join(ctx.workdir, "http-cache") },
  });
}

/**
 * NuGet.exe's own version: the first line of `help` ("NuGet Version:
 * 5.8.0.6930"), through the launcher, in a scratch directory of its own
 * (NuGet.exe writes a default NuGet.Config into the user's config directory,
 * and its scratch into $TMPDIR, on any command), removed after. Once per process.
 */
let helpLine: Promise<string | undefined> | undefined;

function nugetHelpLine(exe: string): Promise<string | undefined> {
  helpLine ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-nuget-probe-"));
    try {
      const ran = await runMonoProgram(exe, ["help"], { scratch: dir, cwd: dir, env: scratchEnv(dir), timeoutMs: 30_000, secrets: [] });
      return ran.code === 0 ? ran.output.trim().split("\n")[0] : undefined;
    } finally {
      launchers.delete(dir);
      await rm(dir, { recursive: true, force: true });
    }
  })().catch(() => undefined);
  return helpLine;
}

/** NuGet.exe 5.8 under mono: `nuget push` and `nuget install`, bounded by `limits` (tests shorten them). */
export function createNugetExe(limits: NuGetExeLimits = NUGET_EXE_LIMITS): ClientDriver<NuGetProfile> {
  return {
    name: "nuget-exe",
    async unavailable() {
      if (!nugetExePath()) return "the nuget-exe npm package is not installed";
      return (await probeTool("mono", ["--version"])) ? undefined : "mono not found on PATH (Debian package mono-complete)";
    },
    // NuGet.exe's own version (its help starts "NuGet Version: 5.8.1.7021"), not mono's.
    async version() {
      const exe = nugetExePath();
      const line = exe ? await nugetHelpLine(exe) : undefined;
      return line?.replace(/^NuGet Version:\s*/i, "NuGet.exe ");
    },
    async publish(artifact: Artifact, ctx: DriverContext<NuGetProfile>) {
      const file = join(ctx.workdir, artifact.filename);
      await pipeline(Readable.from(artifact.content.stream()), createWriteStream(file));
      const cfg = await config(ctx, "push");
      // NuGet.exe always sends an API key; without a token any placeholder does (the feed refuses the push either way).
      const key = ctx.credential.token ?? "regkit-anonymous";
      // -Timeout takes whole seconds (at least 1); -NonInteractive: a 401 fails instead of prompting for credentials.
      const timeout = String(Math.max(1, Math.round(limits.requestMs / 1000)));
      const ran = await run(["push", file, "-Source", `${ctx.registry}/index.json`, "-ApiKey", key, "-ConfigFile", cfg, "-NonInteractive", "-Timeout", timeout], ctx, limits);
      return { accepted: ran.code === 0, output: ran.output };
    },
    async install(id: string, version: string, ctx: DriverContext<NuGetProfile>) {
      const cfg = await config(ctx, "install");
      const out = join(ctx.workdir, "packages");
      const ran = await run(["install", id, "-Version", version, "-Source", `${ctx.registry}/index.json`, "-OutputDirectory", out, "-ConfigFile", cfg, "-NonInteractive", "-DirectDownload", "-PackageSaveMode", "nupkg"], ctx, limits);
      if (ran.code !== 0) throw new Error(`nuget install ${id} ${version} failed (exit ${ran.code}): ${ran.output.slice(-600)}`);
      const normalized = (normalizeNuGetVersion(version) ?? version).toLowerCase();
      const dirs = await readdir(out);
      const dir = dirs.find((d) => d.toLowerCase() === `${id.toLowerCase()}.${normalized}`) ?? dirs[0];
      if (!dir) throw new Error(`nuget install wrote nothing: ${ran.output.slice(-300)}`);
      const nupkg = (await readdir(join(out, dir))).find((f) => f.endsWith(".nupkg"));
      if (!nupkg) throw new Error(`nuget install left no .nupkg in ${dir}`);
      const { digests } = await digestOf(await readFile(join(out, dir, nupkg)));
      return { digests, output: ran.output };
    },
  };
}

/** NuGet.exe with {@link NUGET_EXE_LIMITS}: the kit's driver. */
export const nugetExe: ClientDriver<NuGetProfile> = createNugetExe();
