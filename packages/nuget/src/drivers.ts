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

/**
 * NuGet.exe under mono with every cache and config inside the workdir, so runs
 * never share state with each other or with the user's own NuGet setup.
 */
function run(args: readonly string[], ctx: DriverContext<NuGetProfile>): Promise<ToolResult> {
  const exe = nugetExePath();
  if (!exe) throw new Error("the nuget-exe npm package is not installed");
  return runTool({
    command: "mono",
    args: [exe, ...args],
    cwd: ctx.workdir,
    timeoutMs: 240_000,
    signal: ctx.signal,
    secrets: ctx.secrets,
    env: { HOME: ctx.workdir, XDG_CONFIG_HOME: join(ctx.workdir, ".config"), NUGET_PACKAGES: join(ctx.workdir, "global"), NUGET_HTTP_CACHE_PATH: join(ctx.workdir, "http-cache"), MONO_ENV_OPTIONS: "" },
  });
}

/** NuGet.exe 5.8 under mono: `nuget push` and `nuget install`. */
export const nugetExe: ClientDriver<NuGetProfile> = {
  name: "nuget-exe",
  async unavailable() {
    if (!nugetExePath()) return "the nuget-exe npm package is not installed";
    return (await probeTool("mono", ["--version"])) ? undefined : "mono not found on PATH (Debian package mono-complete)";
  },
  async publish(artifact: Artifact, ctx: DriverContext<NuGetProfile>) {
    const file = join(ctx.workdir, artifact.filename);
    await pipeline(Readable.from(artifact.content.stream()), createWriteStream(file));
    const cfg = await config(ctx, "push");
    // NuGet.exe always sends an API key; without a token any placeholder does (the feed refuses the push either way).
    const key = ctx.credential.token ?? "regkit-anonymous";
    const ran = await run(["push", file, "-Source", `${ctx.registry}/index.json`, "-ApiKey", key, "-ConfigFile", cfg, "-NonInteractive", "-Timeout", "120"], ctx);
    return { accepted: ran.code === 0, output: ran.output };
  },
  async install(id: string, version: string, ctx: DriverContext<NuGetProfile>) {
    const cfg = await config(ctx, "install");
    const out = join(ctx.workdir, "packages");
    const ran = await run(["install", id, "-Version", version, "-Source", `${ctx.registry}/index.json`, "-OutputDirectory", out, "-ConfigFile", cfg, "-NonInteractive", "-DirectDownload", "-PackageSaveMode", "nupkg"], ctx);
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
