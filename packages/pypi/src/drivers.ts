import { createWriteStream, existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, readdir, writeFile } from "node:fs/promises";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isAbsolute, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createDigester, digestOf, probeTool, redact, runTool, type Artifact, type ClientDriver, type Digests, type DriverContext, type ToolResult } from "@regkit/core";
import { normalizeName, parseDistFilename } from "./names.js";
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

/**
 * Which twine (or pip) a driver runs: Debian's under its own name, the current
 * release from PyPI under the name packages/pypi/ci/install-tools.sh links it
 * as, so both can be driven on one machine.
 */
export interface PythonClient {
  /** The driver's name in reports (`twine`, `twine-pypi`). */
  readonly name: string;
  /** The command and the arguments before the tool's own (`python3 -m pip`). */
  readonly command: string;
  readonly prefix: readonly string[];
  /** Why it is missing, for the skip. */
  readonly missing: string;
}

const TOOLS_HINT = "install it with `bash tooling/ci/install-tools.sh pypi`";

export const DEBIAN_TWINE: PythonClient = { name: "twine", command: "twine", prefix: [], missing: "twine not found on PATH (Debian package twine)" };
export const PYPI_TWINE: PythonClient = { name: "twine-pypi", command: "twine-pypi", prefix: [], missing: `twine-pypi (twine's current release from PyPI) not found on PATH: ${TOOLS_HINT}` };
export const DEBIAN_PIP: PythonClient = { name: "pip", command: "python3", prefix: ["-m", "pip"], missing: "python3 -m pip not available" };
export const PYPI_PIP: PythonClient = { name: "pip-pypi", command: "pip-pypi", prefix: [], missing: `pip-pypi (pip's current release from PyPI) not found on PATH: ${TOOLS_HINT}` };

/**
 * The client's name and version as it reports them (`twine 7.0.0`, `uv 0.13.9`),
 * read once per command: every driver result carries it (the client ×
 * registry matrix is built from them), in the output of a publish, the output
 * of an install and the message of a failure.
 */
export async function clientVersion(client: { readonly name: string; readonly command: string; readonly prefix: readonly string[] }): Promise<string> {
  return `${client.name} ${(await toolVersion(client)) ?? "(version unknown)"}`;
}

/** The version number a client reports for `--version` (`7.0.0`), or undefined when it does not run or say: the driver's `version()`, which core's compatibility matrix reads. */
export async function toolVersion(client: { readonly command: string; readonly prefix: readonly string[] }): Promise<string | undefined> {
  const line = await probeTool(client.command, [...client.prefix, "--version"]);
  return line ? /(\d+\.\d+(?:\.\d+)?(?:[a-z0-9.+-]*)?)/i.exec(line)?.[1] : undefined;
}

/**
 * What a Python packaging client said when it refused something, read from
 * its own output: a hash that does not match the index, an archive that does
 * not unpack, a redirected upload, the registry's refusal. A driver reports
 * this verdict, not the exit code alone: an exit code says that something
 * failed, the verdict says that the client noticed what (the detection tests
 * put a fault in front of a registry and check that the driver names it).
 */
export function clientVerdict(output: string): string | undefined {
  const text = output.replace(/\r/g, "");
  // pip: "THESE PACKAGES DO NOT MATCH THE HASHES ..." then "Expected sha256 X / Got Y".
  const pipHash = /DO NOT MATCH THE HASHES[\s\S]*?Expected sha256 ([0-9a-f]{64})\s+Got\s+([0-9a-f]{64})/i.exec(text);
  if (pipHash) return `hash mismatch: the index gives sha256 ${pipHash[1]}, the downloaded file has ${pipHash[2]}`;
  // uv: "Hash mismatch for `name==1.0.0`" then "Expected: sha256:X" and "Computed: sha256:Y".
  const uvHash = /Hash mismatch for `([^`]+)`[\s\S]*?Expected:\s*sha256:([0-9a-f]{64})[\s\S]*?Computed:\s*sha256:([0-9a-f]{64})/i.exec(text);
  if (uvHash) return `hash mismatch for ${uvHash[1]}: the index gives sha256 ${uvHash[2]}, the downloaded file has ${uvHash[3]}`;
  // poetry: "Hash for <pkg> from archive <file> not found in known hashes (was: sha256:Y)".
  // (poetry wraps its lines: whitespace is collapsed first; it names the package as "name (version)".)
  const poetryHash = /Hash for (.+?) from archive (\S+) not found in known hashes \(was: sha256:([0-9a-f]{64})\)/i.exec(text.replace(/\s+/g, " "));
  if (poetryHash) return `hash mismatch: the downloaded ${poetryHash[2]} has sha256 ${poetryHash[3]}, which the index does not give`;
  const archive = /(Bad CRC[^\n]*|BadZipFile[^\n]*|Failed to extract archive[^\n]*|is not a valid wheel[^\n]*|invalid distribution[^\n]*)/i.exec(text);
  if (archive) return `corrupted archive: ${archive[1]!.trim()}`;
  // twine: "RedirectDetected: <url> attempted to redirect to <url>."; uv: "Redirected URL is not in the same realm";
  // poetry: "Redirects are not supported. Is the URL missing a trailing slash?".
  const redirect = /(RedirectDetected:[^\n]*(?:\n\s+[^\n]*)?|Redirected URL[^\n]*|redirects? (?:are|is) not (?:allowed|supported)[^\n]*)/i.exec(text);
  if (redirect) return `upload redirected: ${redirect[1]!.replace(/\s+/g, " ").trim()}`;
  // The registry's refusal as each client words it (twine "HTTPError: 409 Conflict from URL", uv "status code 409", poetry "HTTP Error 409").
  const refused = /(HTTPError: \d{3}[^\n]*|Upload failed with status code \d{3}[^\n]*|status code:? \d{3}[^\n]*|HTTP Error \d{3}[^\n]*)/i.exec(text);
  if (refused) return `registry refused: ${refused[1]!.trim()}`;
  return undefined;
}

/** A driver's output with the client's name and version first, and its verdict when it gave one. */
function withVersion(version: string, verdict: string | undefined, output: string): string {
  return `${version}${verdict ? ` refused: ${verdict}` : ""}\n${output}`;
}

/** Writes an artifact's files (the wheel, then the sdist) into `dir` for a client to upload; their paths. */
async function writeArtifact(artifact: Artifact, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const file of [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])]) {
    const path = join(dir, file.filename);
    await pipeline(Readable.from(file.content.stream()), createWriteStream(path));
    files.push(path);
  }
  return files;
}

/** The legacy upload URL a client is given: the registry URL plus the profile's upload path. */
function uploadUrl(ctx: DriverContext<PypiProfile>): string {
  return `${ctx.registry}${ctx.target.profile.uploadPath}`.replace(/\/$/, "") || ctx.registry;
}

/**
 * twine uploading the wheel and the sdist through the legacy upload API,
 * bounded by `limits.totalMs`: Debian's (`twine`, the default) or the current
 * release from PyPI (`client` {@link PYPI_TWINE}).
 */
export function createTwine(limits: PythonToolLimits = PYTHON_TOOL_LIMITS, client: PythonClient = DEBIAN_TWINE): ClientDriver<PypiProfile> {
  return {
    name: client.name,
    async unavailable() {
      return (await probeTool(client.command, [...client.prefix, "--version"])) ? undefined : client.missing;
    },
    version: () => toolVersion(client),
    async publish(artifact, ctx) {
      const files = await writeArtifact(artifact, ctx.workdir);
      const profile = ctx.target.profile;
      const args = [...client.prefix, "upload", "--repository-url", uploadUrl(ctx), "--non-interactive", "--disable-progress-bar", ...files];
      // Credentials through the environment, not the command line (process lists).
      const env = ctx.credential.token ? { TWINE_USERNAME: profile.basicUser(ctx.credential), TWINE_PASSWORD: ctx.credential.token } : { TWINE_USERNAME: "", TWINE_PASSWORD: "" };
      // twine waits for an answer without a timeout and uploads a file again
      // after a 5xx (up to 5 times), with no option for either: the time limit
      // is what ends it against a registry that never answers.
      const ran = await runPythonTool(client.command, args, ctx, { env, timeoutMs: limits.totalMs, requestMs: limits.requestMs });
      const verdict = clientVerdict(ran.output);
      return { accepted: ran.code === 0 && verdict === undefined, output: withVersion(await clientVersion(client), verdict, ran.output) };
    },
  };
}

/** Debian's twine with {@link PYTHON_TOOL_LIMITS}: the kit's driver. */
export const twine: ClientDriver<PypiProfile> = createTwine();
/** twine's current release from PyPI (`twine-pypi`), with {@link PYTHON_TOOL_LIMITS}. */
export const twinePypi: ClientDriver<PypiProfile> = createTwine(PYTHON_TOOL_LIMITS, PYPI_TWINE);

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

/** Why an installer failed, as a driver error: the client and its version, its verdict when it gave one, its output's tail. */
function installFailure(version: string, step: string, ran: ToolResult, extra = ""): Error {
  const verdict = clientVerdict(ran.output);
  return new Error(`${version}: ${step} failed (exit ${ran.code})${verdict ? `: the client refused it: ${verdict}` : ""}: ${ran.output.slice(-600)}${extra}`);
}

/**
 * The command a Python client runs as: for `python3 -m pip`, the interpreter
 * `python3` names, as a path (its `sys.executable`), asked once. A version
 * manager's shim (pyenv, asdf) runs a shell pipeline on every start before it
 * execs that same interpreter: under pyenv, twenty processes per pip run.
 */
export async function pythonCommand(client: PythonClient): Promise<string> {
  if (client.prefix[0] !== "-m") return client.command;
  const line = await probeTool(client.command, ["-c", "import sys; print(sys.executable)"]);
  return line && isAbsolute(line) ? line : client.command;
}

/**
 * pip, downloading the wheel from the simple index and installing it, bounded
 * by `limits`: Debian's (`python3 -m pip`, the default) or the current release
 * from PyPI (`client` {@link PYPI_PIP}).
 */
export function createPip(limits: PythonToolLimits = PYTHON_TOOL_LIMITS, client: PythonClient = DEBIAN_PIP): ClientDriver<PypiProfile> {
  return {
    name: client.name,
    async unavailable() {
      return (await probeTool(client.command, [...client.prefix, "--version"])) ? undefined : client.missing;
    },
    version: () => toolVersion(client),
    async install(name, version, ctx) {
      const left = deadline(limits.totalMs);
      const tool = await clientVersion(client);
      // A directory per install: a driver's work directory is shared by every
      // install of a run (clients.roundtrip installs each client's package).
      const dest = await mkdtemp(join(ctx.workdir, "download-"));
      const log = join(dest, "pip.log");
      // One attempt per request, each bounded: pip's retries would repeat every unanswered request 5 times.
      const bounds = ["--retries", "0", "--timeout", String(limits.requestMs / 1000), "--log", log];
      const common = ["--no-cache-dir", "--disable-pip-version-check", ...bounds, "--index-url", simpleIndexUrl(ctx)];
      const options = { timeoutMs: left(), requestMs: limits.requestMs };
      const command = await pythonCommand(client);
      const got = await runPythonTool(command, [...client.prefix, "download", "--no-deps", "--only-binary", ":all:", "-d", dest, ...common, `${name}==${version}`], ctx, options);
      if (got.code !== 0) throw installFailure(tool, `pip download ${name}==${version}`, got, await pipReasons(log, ctx.secrets));
      const wheel = (await readdir(dest)).find((f) => f.endsWith(".whl") && parseDistFilename(f)?.version === version && normalizeName(parseDistFilename(f)?.name ?? "") === normalizeName(name));
      if (!wheel) throw new Error(`${tool}: pip download wrote no wheel: ${got.output.slice(-300)}`);
      const { digests } = await digestOf(await readFile(join(dest, wheel)));
      const target = join(dest, "site");
      const installed = await runPythonTool(command, [...client.prefix, "install", "--no-deps", "--target", target, ...common, `${name}==${version}`], ctx, { ...options, timeoutMs: left() });
      if (installed.code !== 0) throw installFailure(tool, `pip install ${name}==${version}`, installed, await pipReasons(log, ctx.secrets));
      return { digests, output: `${tool}\n${got.output}${installed.output}` };
    },
  };
}

/** Debian's pip (`python3 -m pip`) with {@link PYTHON_TOOL_LIMITS}: the kit's driver. */
export const pip: ClientDriver<PypiProfile> = createPip();
/** pip's current release from PyPI (`pip-pypi`), with {@link PYTHON_TOOL_LIMITS}. */
export const pipPypi: ClientDriver<PypiProfile> = createPip(PYTHON_TOOL_LIMITS, PYPI_PIP);

/** The files a client downloaded through a {@link DownloadTee}, by file name: the digests of the bytes it received. */
export interface DownloadTee {
  /** The driver's registry URL, through the tee. */
  readonly url: string;
  /** Digests of the last complete 200 response whose path ends with `filename`. */
  got(filename: string): Digests | undefined;
  close(): Promise<void>;
}

const TEE_HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "upgrade", "te", "trailer", "host", "content-length", "accept-encoding", "proxy-connection"]);

/**
 * A pass-through on 127.0.0.1 in front of the driver's registry URL (itself
 * the run's recording proxy) that hashes every file a client downloads: uv
 * and poetry install a wheel without leaving the file behind, so the bytes
 * they received are hashed on the way to them. Links to the registry in text
 * answers (simple pages) and redirects are pointed at the tee, so the
 * downloads pass through it.
 */
export async function startDownloadTee(registry: string): Promise<DownloadTee> {
  const upstream = new URL(registry);
  const files = new Map<string, Digests>();
  // Requests still going to the registry, ended on close: a registry that never answers must not keep them open.
  const pending = new Set<ReturnType<typeof httpRequest>>();
  let origin = "";
  const forward = (req: IncomingMessage, res: ServerResponse): void => {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined && !TEE_HOP_BY_HOP.has(key)) headers[key] = Array.isArray(value) ? value.join(", ") : value;
    }
    if (req.headers["content-length"]) headers["content-length"] = req.headers["content-length"];
    const out = httpRequest({ hostname: upstream.hostname, port: upstream.port, path: req.url ?? "/", method: req.method ?? "GET", headers }, (up) => {
      const answer: Record<string, string> = {};
      for (const [key, value] of Object.entries(up.headers)) {
        if (value !== undefined && !TEE_HOP_BY_HOP.has(key)) answer[key] = Array.isArray(value) ? value.join(", ") : value;
      }
      if (answer.location) answer.location = answer.location.split(upstream.origin).join(origin);
      const status = up.statusCode ?? 502;
      if (/json|html|xml|text\//i.test(answer["content-type"] ?? "")) {
        const chunks: Buffer[] = [];
        up.on("data", (chunk: Buffer) => chunks.push(chunk));
        up.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8").split(upstream.origin).join(origin);
          res.writeHead(status, { ...answer, "content-length": String(Buffer.byteLength(body)) });
          res.end(body);
        });
        up.on("error", () => res.destroy());
        return;
      }
      if (up.headers["content-length"] !== undefined) answer["content-length"] = up.headers["content-length"];
      res.writeHead(status, answer);
      const digester = createDigester();
      up.on("data", (chunk: Buffer) => {
        digester.update(chunk);
        res.write(chunk);
      });
      up.on("end", () => {
        res.end();
        const filename = decodeURIComponent(new URL(req.url ?? "/", origin).pathname.split("/").pop() ?? "");
        if (status === 200 && filename) files.set(filename, digester.digests());
      });
      up.on("error", () => res.destroy());
    });
    pending.add(out);
    out.on("close", () => pending.delete(out));
    out.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "text/plain" });
      res.end("regkit download tee: the registry did not answer");
    });
    req.pipe(out);
  };
  const server = createServer(forward);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}${upstream.pathname.replace(/\/+$/, "")}`,
    got: (filename) => files.get(filename),
    async close() {
      for (const out of pending) out.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The driver context with its registry URL swapped for the tee's. */
function through(ctx: DriverContext<PypiProfile>, tee: DownloadTee): DriverContext<PypiProfile> {
  return { ...ctx, registry: tee.url };
}

/** The wheel a client installed, among the files it downloaded through the tee: `name`'s wheel of `version`. */
function wheelOf(tee: DownloadTee, output: string, name: string, version: string): Digests | undefined {
  // The wheel's file name is in the client's output (uv and poetry name what they download); else the usual name.
  const named = [...output.matchAll(/([A-Za-z0-9_.+-]+-[^\s/`'"]+?\.whl)/g)].map((m) => m[1]!).filter((f) => {
    const parsed = parseDistFilename(f);
    return parsed !== undefined && parsed.version === version;
  });
  const usual = `${name.replace(/[-_.]+/g, "_").toLowerCase()}-${version}-py3-none-any.whl`;
  for (const filename of [...named, usual]) {
    const digests = tee.got(filename);
    if (digests) return digests;
  }
  return undefined;
}

const UV: { readonly name: string; readonly command: string; readonly prefix: readonly string[] } = { name: "uv", command: "uv", prefix: [] };

/**
 * uv: `uv publish` (the legacy upload API) and `uv pip install` from the
 * simple index, bounded by `limits`. uv keeps no wheel file: the bytes it
 * installs are hashed on their way to it ({@link startDownloadTee}); uv itself
 * checks them against the index's sha256.
 */
export function createUv(limits: PythonToolLimits = PYTHON_TOOL_LIMITS): ClientDriver<PypiProfile> {
  // uv reads no pip settings; its own: one attempt per request, each bounded, no
  // user configuration, never a Python download, a cache of its own per run.
  const uvEnv = (ctx: DriverContext<PypiProfile>): NodeJS.ProcessEnv => ({
    UV_CACHE_DIR: join(ctx.workdir, "uv-cache"),
    UV_NO_CONFIG: "1",
    UV_PYTHON_DOWNLOADS: "never",
    UV_HTTP_TIMEOUT: String(limits.requestMs / 1000),
    UV_HTTP_RETRIES: "0",
    UV_NO_PROGRESS: "1",
  });
  return {
    name: UV.name,
    async unavailable() {
      return (await probeTool(UV.command, ["--version"])) ? undefined : `uv not found on PATH: ${TOOLS_HINT}`;
    },
    version: () => toolVersion(UV),
    async publish(artifact, ctx) {
      const files = await writeArtifact(artifact, join(ctx.workdir, "dist"));
      const auth = ctx.credential.token ? { UV_PUBLISH_USERNAME: ctx.target.profile.basicUser(ctx.credential), UV_PUBLISH_PASSWORD: ctx.credential.token } : {};
      const ran = await runPythonTool(UV.command, ["publish", "--publish-url", uploadUrl(ctx), "--trusted-publishing", "never", ...files], ctx, {
        env: { ...uvEnv(ctx), ...auth },
        timeoutMs: limits.totalMs,
        requestMs: limits.requestMs,
      });
      const verdict = clientVerdict(ran.output);
      return { accepted: ran.code === 0 && verdict === undefined, output: withVersion(await clientVersion(UV), verdict, ran.output) };
    },
    async install(name, version, ctx) {
      const tool = await clientVersion(UV);
      const tee = await startDownloadTee(ctx.registry);
      try {
        const args = ["pip", "install", "--no-deps", "--no-config", "--target", await mkdtemp(join(ctx.workdir, "site-")), "--index-url", simpleIndexUrl(through(ctx, tee)), `${name}==${version}`];
        const ran = await runPythonTool(UV.command, args, ctx, { env: uvEnv(ctx), timeoutMs: limits.totalMs, requestMs: limits.requestMs });
        if (ran.code !== 0) throw installFailure(tool, `uv pip install ${name}==${version}`, ran);
        const digests = wheelOf(tee, ran.output, name, version);
        if (!digests) throw new Error(`${tool}: uv pip install ${name}==${version} succeeded but downloaded no wheel of it through the registry: ${ran.output.slice(-300)}`);
        return { digests, output: `${tool}\n${ran.output}` };
      } finally {
        await tee.close();
      }
    },
  };
}

/** uv with {@link PYTHON_TOOL_LIMITS}: the kit's driver. */
export const uv: ClientDriver<PypiProfile> = createUv();

const POETRY: { readonly name: string; readonly command: string; readonly prefix: readonly string[] } = { name: "poetry", command: "poetry", prefix: [] };

/** A TOML basic string. */
const toml = (text: string): string => JSON.stringify(text);

/**
 * poetry: `poetry publish -r regkit` of a project whose dist/ holds the
 * artifact's files, and `poetry install` of a project depending on
 * `name==version` with the registry as its only (primary) source. The
 * repository and its credentials come through poetry's environment settings
 * (`POETRY_REPOSITORIES_REGKIT_URL`, `POETRY_HTTP_BASIC_REGKIT_*`), never the
 * command line; keyring is off and the configuration and cache live in the
 * work directory. Like uv, poetry keeps no wheel where a driver could read it
 * reliably: the bytes it installs are hashed on their way to it; poetry
 * checks them against the hashes its lock took from the index.
 */
export function createPoetry(limits: PythonToolLimits = PYTHON_TOOL_LIMITS): ClientDriver<PypiProfile> {
  const poetryEnv = (ctx: DriverContext<PypiProfile>, url: string): NodeJS.ProcessEnv => ({
    POETRY_CONFIG_DIR: join(ctx.workdir, "poetry-config"),
    POETRY_CACHE_DIR: join(ctx.workdir, "poetry-cache"),
    POETRY_VIRTUALENVS_IN_PROJECT: "true",
    // The consumer project's virtualenv gets no pip nor setuptools: poetry installs with its own
    // installer, and seeding them (from virtualenv's own wheels, not the registry) took a third of an install.
    POETRY_VIRTUALENVS_OPTIONS_NO_PIP: "true",
    POETRY_VIRTUALENVS_OPTIONS_NO_SETUPTOOLS: "true",
    // The virtualenv on the interpreter poetry runs on, not on whichever `python3` PATH names
    // first: finding that one took three interpreter starts per run (through a pyenv shim, sixty processes).
    POETRY_VIRTUALENVS_USE_POETRY_PYTHON: "true",
    POETRY_KEYRING_ENABLED: "false",
    PYTHON_KEYRING_BACKEND: "keyring.backends.null.Keyring",
    POETRY_REQUESTS_TIMEOUT: String(limits.requestMs / 1000),
    POETRY_INSTALLER_MAX_WORKERS: "1",
    POETRY_REPOSITORIES_REGKIT_URL: url,
    ...(ctx.credential.token ? { POETRY_HTTP_BASIC_REGKIT_USERNAME: ctx.target.profile.basicUser(ctx.credential), POETRY_HTTP_BASIC_REGKIT_PASSWORD: ctx.credential.token } : {}),
  });
  return {
    name: POETRY.name,
    async unavailable() {
      return (await probeTool(POETRY.command, ["--version"])) ? undefined : `poetry not found on PATH: ${TOOLS_HINT}`;
    },
    version: () => toolVersion(POETRY),
    async publish(artifact, ctx) {
      const project = await mkdtemp(join(ctx.workdir, "publish-"));
      await writeArtifact(artifact, join(project, "dist"));
      // poetry publishes the dist/ files of the project's own name and version.
      await writeFile(join(project, "pyproject.toml"), `[project]\nname = ${toml(artifact.name)}\nversion = ${toml(artifact.version)}\n`);
      const ran = await runPythonTool(POETRY.command, ["publish", "--repository", "regkit", "--no-interaction", "--directory", project], ctx, {
        env: poetryEnv(ctx, uploadUrl(ctx)),
        timeoutMs: limits.totalMs,
        requestMs: limits.requestMs,
      });
      const verdict = clientVerdict(ran.output);
      return { accepted: ran.code === 0 && verdict === undefined, output: withVersion(await clientVersion(POETRY), verdict, ran.output) };
    },
    async install(name, version, ctx) {
      const tool = await clientVersion(POETRY);
      const tee = await startDownloadTee(ctx.registry);
      try {
        const project = await mkdtemp(join(ctx.workdir, "install-"));
        const index = `${tee.url}${ctx.target.profile.simplePath}/`;
        await writeFile(
          join(project, "pyproject.toml"),
          [
            "[project]",
            'name = "regkit-poetry-consumer"',
            'version = "0.0.0"',
            'requires-python = ">=3.8"',
            `dependencies = [${toml(`${name}==${version}`)}]`,
            "[tool.poetry]",
            "package-mode = false",
            "[[tool.poetry.source]]",
            'name = "regkit"',
            `url = ${toml(index)}`,
            'priority = "primary"',
            "",
          ].join("\n"),
        );
        const ran = await runPythonTool(POETRY.command, ["install", "--no-root", "--no-interaction", "--directory", project], ctx, { env: poetryEnv(ctx, index), timeoutMs: limits.totalMs, requestMs: limits.requestMs });
        if (ran.code !== 0) throw installFailure(tool, `poetry install ${name}==${version}`, ran);
        const digests = wheelOf(tee, ran.output, name, version);
        if (!digests) throw new Error(`${tool}: poetry install of ${name}==${version} succeeded but downloaded no wheel of it through the registry: ${ran.output.slice(-300)}`);
        return { digests, output: `${tool}\n${ran.output}` };
      } finally {
        await tee.close();
      }
    },
  };
}

/** poetry with {@link PYTHON_TOOL_LIMITS}. */
export const poetry: ClientDriver<PypiProfile> = createPoetry();
