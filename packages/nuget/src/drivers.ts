import { createWriteStream } from "node:fs";
import { readFile, readdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { digestOf, probeTool, runTool, type Artifact, type ClientDriver, type DriverContext, type ToolResult } from "@regkit/core";
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
 * NuGet.exe under mono with every cache, config and scratch file inside the
 * workdir, so runs never share state with each other or with the user's own
 * NuGet setup, and leave nothing behind (NuGet keeps lock files in
 * `$TMPDIR/NuGetScratch`).
 */
function run(args: readonly string[], ctx: DriverContext<NuGetProfile>, limits: NuGetExeLimits): Promise<ToolResult> {
  const exe = nugetExePath();
  if (!exe) throw new Error("the nuget-exe npm package is not installed");
  return runTool({
    command: "mono",
    args: [exe, ...args],
    cwd: ctx.workdir,
    timeoutMs: limits.totalMs,
    signal: ctx.signal,
    secrets: ctx.secrets,
    env: { HOME: ctx.workdir, TMPDIR: ctx.workdir, XDG_CONFIG_HOME: join(ctx.workdir, ".config"), NUGET_PACKAGES: join(ctx.workdir, "global"), NUGET_HTTP_CACHE_PATH: join(ctx.workdir, "http-cache"), MONO_ENV_OPTIONS: "" },
  });
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
      // NuGet.exe writes a default NuGet.Config into the user's config directory, and its scratch into $TMPDIR, on any command: both go to a directory of its own, removed after.
      const line = exe ? await probeTool("mono", [exe, "help"], 30_000, (home) => ({ HOME: home, TMPDIR: home, XDG_CONFIG_HOME: join(home, ".config") })) : undefined;
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
