/**
 * helm v3, driven as a real process through core's runTool, every run with
 * its own Helm home (config, cache and data under the driver's work
 * directory), so nothing of the user's Helm setup is read or changed.
 *
 * - `helm repo add <repo> <registry>/<channel> --username U --password-stdin`:
 *   the password comes from a file (mode 0600) on stdin, never on the
 *   command line, so it shows in no process list.
 * - `helm pull <repo>/<name> --version V`: the archive helm writes must be
 *   the bytes published (the round trip checks them).
 * - `helm search repo <repo>/<name> --versions -o json` and
 *   `helm dependency update` (a chart that depends on the published one),
 *   for the helm.client scenario.
 *
 * Helm has no upload command for a chart repository (`helm push` speaks OCI,
 * the OCI kit's business; the cm-push plugin could not be installed here):
 * the adapter publishes what helm installs. Every helm command is bounded by
 * `HELM_LIMITS` (helm itself waits for ever on a registry that never answers).
 *
 * @module
 */
import { createReadStream } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type ClientDriver, ConformanceFailure, type DriverContext, type ToolResult, digestOf, probeTool, runTool } from "@regkit/core";
import { chartFileName, chartYaml } from "./chart.js";
import { type HelmProfile, channelOf } from "./profiles.js";

/** How long one helm command may take, however badly the registry behaves. */
export interface HelmLimits {
  readonly totalMs: number;
}

/** Two minutes per helm command (helm's own HTTP client has no overall limit). */
export const HELM_LIMITS: HelmLimits = { totalMs: 120_000 };

/** The repository name the driver adds the registry under. */
export const HELM_REPO = "regkit";

/** The Basic username and password the profile presents `ctx.credential` with; undefined without credentials. */
export function basicCredentials(headers: Readonly<Record<string, string>>): { readonly username: string; readonly password: string } | undefined {
  for (const [key, value] of Object.entries(headers)) {
    const basic = key.toLowerCase() === "authorization" ? /^Basic\s+(.+)$/i.exec(value) : null;
    if (!basic) continue;
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon < 0 ? { username: decoded, password: "" } : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

/** A Helm home of its own under the work directory. */
function helmEnv(ctx: DriverContext<HelmProfile>): NodeJS.ProcessEnv {
  const home = join(ctx.workdir, "helm-home");
  return {
    HELM_CONFIG_HOME: join(home, "config"),
    HELM_CACHE_HOME: join(home, "cache"),
    HELM_DATA_HOME: join(home, "data"),
    HELM_REPOSITORY_CONFIG: join(home, "config", "repositories.yaml"),
    HELM_REPOSITORY_CACHE: join(home, "cache", "repository"),
    HELM_PLUGINS: join(home, "plugins"),
    // No colours, no update checks: output is evidence.
    NO_COLOR: "1",
  };
}

/** Runs `helm ARGS`, with `stdinFile` on stdin when given (through sh: runTool passes no stdin). */
export async function helm(args: readonly string[], ctx: DriverContext<HelmProfile>, limits: HelmLimits = HELM_LIMITS, stdinFile?: string): Promise<ToolResult> {
  const env = helmEnv(ctx);
  if (stdinFile === undefined) {
    return runTool({ command: "helm", args, cwd: ctx.workdir, env, timeoutMs: limits.totalMs, signal: ctx.signal, secrets: ctx.secrets });
  }
  return runTool({
    command: "sh",
    args: ["-c", 'exec helm "$@" < "$REGKIT_HELM_STDIN"', "sh", ...args],
    cwd: ctx.workdir,
    env: { ...env, REGKIT_HELM_STDIN: stdinFile },
    timeoutMs: limits.totalMs,
    signal: ctx.signal,
    secrets: ctx.secrets,
  });
}

/** The chart repository URL helm is given: the channel under the (proxied) endpoint. */
export function repositoryUrl(ctx: DriverContext<HelmProfile>): string {
  return `${ctx.registry.replace(/\/+$/, "")}/${encodeURIComponent(channelOf(ctx.target.settings))}`;
}

function failure(what: string, result: ToolResult): ConformanceFailure {
  return new ConformanceFailure(what, {
    expected: "helm exits 0",
    actual: `exit code ${result.code}${result.timedOut ? " (killed at its time limit)" : ""}: ${result.output.trim().slice(-600)}`,
  });
}

/**
 * `helm repo add` of the registry's channel as {@link HELM_REPO}, with the
 * profile's Basic credentials (password on stdin); a ConformanceFailure
 * with helm's output when helm refuses it (it reads index.yaml to add it).
 */
export async function repoAdd(ctx: DriverContext<HelmProfile>, limits: HelmLimits = HELM_LIMITS): Promise<ToolResult> {
  await mkdir(join(ctx.workdir, "helm-home", "config"), { recursive: true });
  const creds = basicCredentials(ctx.target.profile.authHeaders(ctx.credential));
  const args = ["repo", "add", HELM_REPO, repositoryUrl(ctx), "--force-update"];
  let result: ToolResult;
  if (creds) {
    const file = join(ctx.workdir, "helm-password");
    await writeFile(file, creds.password, { mode: 0o600 });
    result = await helm([...args, "--username", creds.username, "--password-stdin"], ctx, limits, file);
  } else {
    result = await helm(args, ctx, limits);
  }
  if (result.code !== 0) throw failure(`helm repo add could not add ${repositoryUrl(ctx)}`, result);
  return result;
}

/** One row of `helm search repo -o json`. */
export interface SearchRow {
  readonly name: string;
  readonly version: string;
  readonly app_version?: string | undefined;
  readonly description?: string | undefined;
}

/** `helm search repo <query> --versions -o json` (after repoAdd): the rows in helm's order. */
export async function searchRepo(query: string, ctx: DriverContext<HelmProfile>, limits: HelmLimits = HELM_LIMITS): Promise<{ readonly rows: readonly SearchRow[]; readonly output: string }> {
  const result = await helm(["search", "repo", query, "--versions", "--devel", "-o", "json"], ctx, limits);
  if (result.code !== 0) throw failure(`helm search repo ${query} failed`, result);
  const start = result.output.indexOf("[");
  try {
    const rows = JSON.parse(result.output.slice(start, result.output.lastIndexOf("]") + 1)) as SearchRow[];
    return { rows, output: result.output };
  } catch {
    throw new ConformanceFailure(`helm search repo ${query} printed no JSON list`, { expected: "a JSON list of charts", actual: result.output.slice(-300) });
  }
}

/**
 * `helm dependency update` of a new chart that depends on `name@version`
 * from the added repository (`repository: "@regkit"`): the archive helm puts
 * in `charts/` is returned as its path.
 */
export async function dependencyUpdate(name: string, version: string, ctx: DriverContext<HelmProfile>, limits: HelmLimits = HELM_LIMITS): Promise<{ readonly path: string; readonly output: string }> {
  const dir = join(ctx.workdir, "umbrella");
  await mkdir(join(dir, "templates"), { recursive: true });
  await writeFile(
    join(dir, "Chart.yaml"),
    chartYaml({ apiVersion: "v2", name: "umbrella", version: "0.1.0", description: "depends on a chart from the registry", dependencies: [{ name, version, repository: `@${HELM_REPO}` }] }),
  );
  await writeFile(join(dir, "values.yaml"), "{}\n");
  const result = await helm(["dependency", "update", dir], ctx, limits);
  if (result.code !== 0) throw failure(`helm dependency update could not fetch ${name}@${version}`, result);
  const path = join(dir, "charts", chartFileName(name, version));
  const present = await readdir(join(dir, "charts")).catch(() => [] as string[]);
  if (!present.includes(chartFileName(name, version))) {
    throw new ConformanceFailure(`helm dependency update did not fetch ${chartFileName(name, version)}`, { expected: `charts/${chartFileName(name, version)}`, actual: present.length ? `charts/: ${present.join(", ")}` : "no charts/" });
  }
  return { path, output: result.output };
}

/** helm, as found on PATH (install it with packages/helm/ci/install-tools.sh), bounded by `limits` (tests shorten them). */
export function createHelmDriver(limits: HelmLimits = HELM_LIMITS): ClientDriver<HelmProfile> {
  return {
    name: "helm",
    async unavailable() {
      const line = await probeTool("helm", ["version", "--short"]);
      if (!line) return "helm not found on PATH (bash packages/helm/ci/install-tools.sh installs helm 3 into .regkit-tools/bin)";
      if (!/^v3\./.test(line)) return `helm version --short printed ${JSON.stringify(line.slice(0, 60))}, not helm 3`;
      return undefined;
    },
    async version() {
      return probeTool("helm", ["version", "--short"]);
    },

    /** `helm repo add` then `helm pull <repo>/<name> --version V`; the digests of the archive helm wrote. */
    async install(name: string, version: string, ctx: DriverContext<HelmProfile>) {
      const added = await repoAdd(ctx, limits);
      const dest = join(ctx.workdir, `pulled-${Date.now().toString(36)}`);
      await mkdir(dest, { recursive: true });
      const result = await helm(["pull", `${HELM_REPO}/${name}`, "--version", version, "--destination", dest], ctx, limits);
      if (result.code !== 0) throw failure(`helm pull could not fetch ${name}@${version}`, result);
      const files = await readdir(dest);
      const file = files.find((f) => f === chartFileName(name, version)) ?? files[0];
      if (!file) throw new ConformanceFailure(`helm pull wrote no archive for ${name}@${version}`, { expected: chartFileName(name, version), actual: "an empty destination" });
      const { digests } = await digestOf(createReadStream(join(dest, file)));
      return { digests, output: `${added.output.trim()}\n${result.output.trim()}` };
    },
  };
}

/** The kit's helm driver, with {@link HELM_LIMITS}. */
export const helmDriver: ClientDriver<HelmProfile> = createHelmDriver();

/** Real clients of the format. */
export const helmDrivers: readonly ClientDriver<HelmProfile>[] = [helmDriver];
