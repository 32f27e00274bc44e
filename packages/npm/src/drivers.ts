import { createWriteStream } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable } from "node:stream";
import { ConformanceFailure, collect, digestOf, probeTool, runTool, type Artifact, type ClientDriver, type Digests, type DriverContext, type ToolResult } from "@regkit/core";
import { checkInstalled, tarFiles, verdictOf, type Verdict } from "./installed.js";
import type { NpmProfile } from "./profiles.js";

/**
 * A driver of the npm kit: a real client that says its version (the
 * compatibility matrix shows it next to the client's name).
 */
export interface NpmClientDriver extends ClientDriver<NpmProfile> {
  /** The client's version ("10.34.9"), undefined when it is not installed. */
  version(): Promise<string | undefined>;
}

/** What a refusal means, in words. */
function describeVerdict(verdict: Verdict): string {
  const what = verdict.kind === "integrity" ? "the tarball does not match the packument's integrity" : "the tarball is corrupt";
  return `${what} (${verdict.code}: "${verdict.line}")`;
}

/**
 * A client that refused what the registry served: a conformance failure of
 * the registry (it served bytes its own metadata disowns), named after the
 * client (the compatibility matrix blames the client a message starts with),
 * with the client's verdict as what came back.
 */
function refusal(client: string, name: string, version: string, verdict: Verdict, ran: ToolResult, step: string): ConformanceFailure {
  return new ConformanceFailure(`${client} refused ${name}@${version}: ${describeVerdict(verdict)}`, {
    expected: `${client} installs ${name}@${version}: the tarball served matches the packument`,
    actual: `${step} exited ${ran.code}: ${verdict.line}\n${ran.output.slice(-500)}`,
  });
}

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
export function createNpmCli(limits: NpmCliLimits = NPM_CLI_LIMITS): NpmClientDriver {
  return {
    name: "npm-cli",
    async unavailable() {
      return (await probeTool("npm", ["--version"])) ? undefined : "npm not found on PATH";
    },
    async version() {
      return await probeTool("npm", ["--version"]);
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
      // A fresh directory per install: the driver's work directory is shared by
      // every install of a round trip, and the tarball read back must be this one.
      const packDir = await mkdtemp(join(ctx.workdir, "pack-"));
      const packed = await run(["pack", `${name}@${version}`, "--pack-destination", packDir, ...common(ctx, rc, limits)], ctx.workdir, ctx, left, limits);
      // npm's own verdict first: EINTEGRITY says it checked the bytes and refused them.
      const packVerdict = verdictOf(packed.output);
      if (packVerdict) throw refusal("npm-cli", name, version, packVerdict, packed, "npm pack");
      if (packed.code !== 0) throw new Error(`npm pack ${name}@${version} failed (exit ${packed.code}): ${packed.output.slice(-500)}`);
      const tgz = (await readdir(packDir)).find((f) => f.endsWith(".tgz"));
      if (!tgz) throw new Error(`npm pack ${name}@${version} wrote no tarball: ${packed.output.slice(-300)}`);
      const { digests } = await digestOf(await readFile(join(packDir, tgz)));

      const project = join(ctx.workdir, "project");
      await mkdir(project, { recursive: true });
      await writeFile(join(project, "package.json"), JSON.stringify({ name: "regkit-install-probe", version: "0.0.0", private: true }));
      const installed = await run(["install", `${name}@${version}`, "--ignore-scripts", "--no-package-lock", ...common(ctx, rc, limits)], project, ctx, left, limits);
      const installVerdict = verdictOf(installed.output);
      if (installVerdict) throw refusal("npm-cli", name, version, installVerdict, installed, "npm install");
      if (installed.code !== 0) throw new Error(`npm install ${name}@${version} failed (exit ${installed.code}): ${installed.output.slice(-500)}`);
      const manifest = JSON.parse(await readFile(join(project, "node_modules", name, "package.json"), "utf8")) as { version?: string };
      if (manifest.version !== version) throw new Error(`npm installed ${name}@${manifest.version}, not ${version}`);
      return { digests, output: `${packed.output}${installed.output}` };
    },
  };
}

/** The npm CLI with {@link NPM_CLI_LIMITS}: the kit's driver. */
export const npmCli: NpmClientDriver = createNpmCli();

// ---------------------------------------------------------------------------
// pnpm, yarn (berry) and bun: installed by packages/npm/ci/install-tools.sh
// into $REGKIT_TOOLS/bin under names that never shadow the repository's own
// pnpm (pnpm-client, yarn-berry, bun).

/** How long another client may take for one publish or one install. */
export const JS_CLIENT_LIMITS: NpmCliLimits = NPM_CLI_LIMITS;

const INSTALL_HINT = "bash tooling/ci/install-tools.sh npm installs it";

/**
 * The environment of pnpm, yarn and bun: nothing of the test run's own package
 * manager (the npm_config_*, PNPM_*, YARN_*, BUN_* variables pnpm scripts
 * set) reaches them, and HOME is the driver's work directory, so the only
 * configuration they read is the one the driver writes there.
 */
function clientEnv(workdir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(npm_config_|npm_package_|npm_lifecycle_|pnpm_|yarn_|bun_|berry_|corepack_)/i.test(key)) env[key] = value;
  }
  return { ...env, HOME: workdir, XDG_CONFIG_HOME: join(workdir, ".config"), XDG_CACHE_HOME: join(workdir, ".cache"), XDG_DATA_HOME: join(workdir, ".local"), ...extra };
}

/** The registry URL with one trailing slash, as the clients' configuration files want it. */
function slashed(registry: string): string {
  return registry.replace(/\/?$/, "/");
}

/** `//host/path/`: the key npm-style configuration files put a registry's token under. */
function nerfDart(registry: string): string {
  const url = new URL(registry);
  return `//${url.host}${url.pathname.replace(/\/?$/, "/")}`;
}

/** A throw-away project to install into, fresh for every install (a round trip installs several packages with one work directory). */
async function probeProject(ctx: DriverContext<NpmProfile>, prefix: string): Promise<string> {
  const project = await mkdtemp(join(ctx.workdir, `${prefix}-`));
  await writeFile(join(project, "package.json"), JSON.stringify({ name: "regkit-install-probe", version: "0.0.0", private: true }));
  return project;
}

/** Writes the artifact where a client can publish it from. */
async function writeTarball(artifact: Artifact, ctx: DriverContext<NpmProfile>): Promise<string> {
  const file = join(ctx.workdir, artifact.filename.replace(/[^a-zA-Z0-9._-]/g, "_"));
  await pipeline(Readable.from(artifact.content.stream()), createWriteStream(file));
  return file;
}

/** One run of a client (a publish or an install is one command), killed with everything it started at `limits.totalMs`. */
async function runClient(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  ctx: DriverContext<NpmProfile>,
  limits: NpmCliLimits,
): Promise<ToolResult> {
  return runTool({ command, args, cwd, env, cleanEnv: true, timeoutMs: limits.totalMs, signal: ctx.signal, secrets: ctx.secrets });
}

/**
 * The version a client prints, asked from an empty directory outside any
 * project (inside this repository pnpm would read the repo's packageManager
 * field and try to switch versions); memoized per command.
 */
const versions = new Map<string, Promise<string | undefined>>();
function clientVersion(command: string, env: NodeJS.ProcessEnv = {}): Promise<string | undefined> {
  let known = versions.get(command);
  if (!known) {
    known = runTool({ command, args: ["--version"], cwd: tmpdir(), env: clientEnv(tmpdir(), env), cleanEnv: true, timeoutMs: 30_000, secrets: [] }).then((r) =>
      r.code === 0 ? r.output.trim().split("\n").at(-1)?.trim() || undefined : undefined,
    );
    versions.set(command, known);
  }
  return known;
}

/**
 * The error an install that did not succeed throws, naming the client first
 * (the compatibility matrix blames the client a message starts with). The
 * client's own verdict comes before its exit code: a refusal it announced is
 * a refusal even when the process exits 0.
 */
function installFailure(client: string, name: string, version: string, ran: ToolResult): Error | undefined {
  const verdict = verdictOf(ran.output);
  if (verdict) return refusal(client, name, version, verdict, ran, `${client} add`);
  if (ran.code !== 0) return new Error(`${client} could not install ${name}@${version} (exit ${ran.code}): ${ran.output.slice(-500)}`);
  return undefined;
}

/** What the driver ran, and the version that ran it, for the result's detail. */
function trailer(client: string, version: string | undefined, note?: string): string {
  return `\n[${client} ${version ?? "(version unknown)"}${note ? `: ${note}` : ""}]`;
}

/** Installs `name@version` and checks it; shared by the three clients below. */
async function installAndCheck(
  client: string,
  version: string | undefined,
  name: string,
  pkgVersion: string,
  project: string,
  ran: ToolResult,
  ctx: DriverContext<NpmProfile>,
  lockfileIntegrity: () => Promise<string | undefined>,
): Promise<{ digests: Digests; output: string }> {
  const failure = installFailure(client, name, pkgVersion, ran);
  if (failure) throw failure;
  const checked = await checkInstalled(client, name, pkgVersion, project, ctx, await lockfileIntegrity());
  return { digests: checked.digests, output: `${ran.output}${trailer(client, version, checked.note)}` };
}

// --- pnpm -------------------------------------------------------------------

/** pnpm must not try to switch to a project's packageManager version: the driver runs the one installed. */
const PNPM_ENV = { npm_config_manage_package_manager_versions: "false" };

/** `.npmrc` as pnpm users write it: the registry, and the token under `//host/path/:_authToken`. */
async function pnpmrc(ctx: DriverContext<NpmProfile>, limits: NpmCliLimits): Promise<void> {
  const lines = [
    `registry=${slashed(ctx.registry)}`,
    // One attempt per request, bounded: a registry that hangs shows as the failure it is.
    "fetch-retries=0",
    `fetch-timeout=${limits.requestMs}`,
    "update-notifier=false",
  ];
  if (ctx.credential.token) lines.push(`${nerfDart(ctx.registry)}:_authToken=${ctx.credential.token}`);
  await writeFile(join(ctx.workdir, ".npmrc"), `${lines.join("\n")}\n`, { mode: 0o600 });
}

/** The integrity pnpm wrote into pnpm-lock.yaml for `name@version` (after checking its download against it). */
async function pnpmLockIntegrity(project: string, name: string, version: string): Promise<string | undefined> {
  const lock = await readFile(join(project, "pnpm-lock.yaml"), "utf8").catch(() => "");
  const key = lock.search(new RegExp(`^  '?${escapeRegExp(`${name}@${version}`)}'?:`, "m"));
  if (key < 0) return undefined;
  return /resolution: \{integrity: ([^,}\s]+)/.exec(lock.slice(key))?.[1];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** pnpm (`pnpm-client` on PATH), bounded by `limits`. pnpm 10 publishes through the npm CLI, as its users' `pnpm publish` does. */
export function createPnpm(limits: NpmCliLimits = JS_CLIENT_LIMITS): NpmClientDriver {
  const version = (): Promise<string | undefined> => clientVersion("pnpm-client", PNPM_ENV);
  return {
    name: "pnpm",
    async unavailable() {
      return (await version()) ? undefined : `pnpm-client not found on PATH (${INSTALL_HINT})`;
    },
    version,

    async publish(artifact, ctx) {
      await pnpmrc(ctx, limits);
      const file = await writeTarball(artifact, ctx);
      const tag = artifact.version.includes("-") ? ["--tag", "next"] : [];
      const ran = await runClient("pnpm-client", ["publish", file, ...tag, "--no-git-checks", "--ignore-scripts"], ctx.workdir, clientEnv(ctx.workdir, PNPM_ENV), ctx, limits);
      return { accepted: ran.code === 0, output: `${ran.output}${trailer("pnpm", await version())}` };
    },

    async install(name, pkgVersion, ctx) {
      await pnpmrc(ctx, limits);
      const project = await probeProject(ctx, "pnpm-project");
      const ran = await runClient("pnpm-client", ["add", `${name}@${pkgVersion}`, "--save-exact", "--ignore-scripts", "--reporter", "append-only", "--store-dir", join(ctx.workdir, "pnpm-store"), "--cache-dir", join(ctx.workdir, "pnpm-cache")], project, clientEnv(ctx.workdir, PNPM_ENV), ctx, limits);
      return installAndCheck("pnpm", await version(), name, pkgVersion, project, ran, ctx, () => pnpmLockIntegrity(project, name, pkgVersion));
    },
  };
}

// --- yarn (berry) -------------------------------------------------------------

/**
 * `.yarnrc.yml` as yarn 4 users write it for a private registry:
 * npmRegistryServer, npmAuthToken and npmAlwaysAuth (reads carry the token
 * too). The rest keeps yarn inside the work directory and makes a fresh
 * version installable at once: yarn 4 quarantines versions younger than
 * npmMinimalAgeGate, and everything a round trip installs was just published.
 */
async function yarnrc(project: string, ctx: DriverContext<NpmProfile>, limits: NpmCliLimits): Promise<void> {
  const url = new URL(ctx.registry);
  const lines = [
    `npmRegistryServer: ${JSON.stringify(slashed(ctx.registry))}`,
    ...(ctx.credential.token ? [`npmAuthToken: ${JSON.stringify(ctx.credential.token)}`, "npmAlwaysAuth: true"] : []),
    `unsafeHttpWhitelist: [${JSON.stringify(url.hostname)}]`,
    "npmMinimalAgeGate: 0",
    "nodeLinker: node-modules",
    "enableScripts: false",
    "enableTelemetry: false",
    "enableGlobalCache: false",
    "enableImmutableInstalls: false",
    "enableProgressBars: false",
    `cacheFolder: ${JSON.stringify(join(ctx.workdir, "yarn-cache"))}`,
    `globalFolder: ${JSON.stringify(join(ctx.workdir, "yarn-global"))}`,
    "httpRetry: 0",
    `httpTimeout: ${limits.requestMs}`,
  ];
  await writeFile(join(project, ".yarnrc.yml"), `${lines.join("\n")}\n`, { mode: 0o600 });
}

/**
 * yarn 4 (`yarn-berry` on PATH: @yarnpkg/cli-dist run by node), installing
 * with `yarn add`. It does not publish here: `yarn npm publish` packs the
 * project itself, so the bytes it uploads are not the artifact's and the
 * round trip could not compare them (see packages/npm/docs/npm.md).
 */
export function createYarn(limits: NpmCliLimits = JS_CLIENT_LIMITS): NpmClientDriver {
  const version = (): Promise<string | undefined> => clientVersion("yarn-berry");
  return {
    name: "yarn",
    async unavailable() {
      return (await version()) ? undefined : `yarn-berry not found on PATH (${INSTALL_HINT})`;
    },
    version,

    async install(name, pkgVersion, ctx) {
      const project = await probeProject(ctx, "yarn-project");
      await writeFile(join(project, "yarn.lock"), "");
      await yarnrc(project, ctx, limits);
      const ran = await runClient("yarn-berry", ["add", `${name}@${pkgVersion}`, "--exact"], project, clientEnv(ctx.workdir, { YARN_ENABLE_COLORS: "false", CI: "true" }), ctx, limits);
      // yarn's lockfile checksum is of the zip it converts the tarball into, not of the tarball: nothing to compare.
      return installAndCheck("yarn", await version(), name, pkgVersion, project, ran, ctx, async () => undefined);
    },
  };
}

/**
 * `yarn npm publish`, the way yarn 4 users publish: the artifact's files
 * unpacked into a workspace, which yarn packs itself. Its tarball is yarn's,
 * not the artifact's, so this is not the yarn driver's `publish` (the round
 * trip compares installs with the artifact's bytes): it returns the digests of
 * what yarn packed (`yarn pack` first, which packs the same files to the same
 * bytes), for a test, or a round trip that learns to compare with them, to
 * check installs against.
 */
export async function publishWithYarn(
  artifact: Artifact,
  ctx: DriverContext<NpmProfile>,
  limits: NpmCliLimits = JS_CLIENT_LIMITS,
): Promise<{ accepted: boolean; output: string; digests: Digests | undefined }> {
  const workspace = await mkdtemp(join(ctx.workdir, "yarn-publish-"));
  const bytes = await collect(artifact.content.stream());
  for (const file of tarFiles(bytes)) {
    const path = join(workspace, file.path);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.bytes);
  }
  await writeFile(join(workspace, "yarn.lock"), "");
  await yarnrc(workspace, ctx, limits);
  const env = clientEnv(ctx.workdir, { YARN_ENABLE_COLORS: "false", CI: "true" });
  const packed = join(ctx.workdir, `yarn-packed-${Date.now().toString(36)}.tgz`);
  const version = await clientVersion("yarn-berry");
  // yarn publishes a workspace of an installed project (its lockfile lists the workspace), as its users' projects are.
  const install = await runClient("yarn-berry", ["install"], workspace, env, ctx, limits);
  if (install.code !== 0) return { accepted: false, output: `${install.output}${trailer("yarn", version)}`, digests: undefined };
  const pack = await runClient("yarn-berry", ["pack", "--out", packed], workspace, env, ctx, limits);
  if (pack.code !== 0) return { accepted: false, output: `${pack.output}${trailer("yarn", version)}`, digests: undefined };
  const { digests } = await digestOf(await readFile(packed));
  const tag = artifact.version.includes("-") ? ["--tag", "next"] : [];
  const ran = await runClient("yarn-berry", ["npm", "publish", "--access", "public", ...tag], workspace, env, ctx, limits);
  return { accepted: ran.code === 0, output: `${ran.output}${trailer("yarn", version)}`, digests };
}

// --- bun ------------------------------------------------------------------------

/** `bunfig.toml` as bun users write it: the default registry with its token. */
async function bunfig(dir: string, ctx: DriverContext<NpmProfile>): Promise<void> {
  const registry = ctx.credential.token
    ? `{ url = ${JSON.stringify(slashed(ctx.registry))}, token = ${JSON.stringify(ctx.credential.token)} }`
    : JSON.stringify(slashed(ctx.registry));
  await writeFile(join(dir, "bunfig.toml"), `[install]\nregistry = ${registry}\n`, { mode: 0o600 });
}

function bunEnv(ctx: DriverContext<NpmProfile>): NodeJS.ProcessEnv {
  return clientEnv(ctx.workdir, { BUN_INSTALL_CACHE_DIR: join(ctx.workdir, "bun-cache"), DO_NOT_TRACK: "1", NO_COLOR: "1" });
}

/** The integrity bun wrote into bun.lock for `name@version` (after checking its download against it). */
async function bunLockIntegrity(project: string, name: string, version: string): Promise<string | undefined> {
  const lock = await readFile(join(project, "bun.lock"), "utf8").catch(() => "");
  return new RegExp(`\\["${escapeRegExp(`${name}@${version}`)}",\\s*"[^"]*",\\s*\\{[^\\]]*?\\},\\s*"([^"]+)"\\]`).exec(lock)?.[1];
}

/** bun (`bun` on PATH), publishing the artifact's tarball with `bun publish` and installing with `bun add`. */
export function createBun(limits: NpmCliLimits = JS_CLIENT_LIMITS): NpmClientDriver {
  const version = (): Promise<string | undefined> => clientVersion("bun");
  return {
    name: "bun",
    async unavailable() {
      return (await version()) ? undefined : `bun not found on PATH (${INSTALL_HINT})`;
    },
    version,

    async publish(artifact, ctx) {
      // bun reads its configuration from a project, even to publish a ready tarball: an empty one holds bunfig.toml.
      const project = await probeProject(ctx, "bun-publish");
      await bunfig(project, ctx);
      const file = await writeTarball(artifact, ctx);
      const tag = artifact.version.includes("-") ? ["--tag", "next"] : [];
      const ran = await runClient("bun", ["publish", file, ...tag], project, bunEnv(ctx), ctx, limits);
      return { accepted: ran.code === 0, output: `${ran.output}${trailer("bun", await version())}` };
    },

    async install(name, pkgVersion, ctx) {
      const project = await probeProject(ctx, "bun-project");
      await bunfig(project, ctx);
      const ran = await runClient("bun", ["add", `${name}@${pkgVersion}`, "--exact", "--ignore-scripts", "--no-progress"], project, bunEnv(ctx), ctx, limits);
      return installAndCheck("bun", await version(), name, pkgVersion, project, ran, ctx, () => bunLockIntegrity(project, name, pkgVersion));
    },
  };
}

export const pnpm: NpmClientDriver = createPnpm();
export const yarn: NpmClientDriver = createYarn();
export const bun: NpmClientDriver = createBun();

/** Every real client of the kit, in the order the round trip runs them. */
export const npmDrivers: readonly NpmClientDriver[] = [npmCli, pnpm, yarn, bun];
