import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, open, readFile, readdir, rename, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createHash } from "node:crypto";
import { createServer, request as httpRequest } from "node:http";
import { isIP, type Socket } from "node:net";
import { createGunzip } from "node:zlib";
import { collect, digestOf, gitlabBasicUser, probeTool, runTool, type Artifact, type ClientDriver, type Digests, type DriverContext, type ToolResult } from "@regkit/core";
import { CONFIG_FILE, MANIFEST_FILE } from "./manifest.js";
import type { OciProfile } from "./profiles.js";

// Every driver pushes and pulls the same image for an artifact, so that any
// client can install what any other published (clients.roundtrip crosses
// them): the kit's own image byte for byte where package.ts built one (its
// layer, config.json and manifest.json; oras writes its own manifest around
// the same config and layer), else an image whose layers are the artifact's
// files, each titled (`org.opencontainers.image.title`, the name oras writes a
// pulled file under). What a client "installs" is the first layer as that
// client fetched and verified it.

/** How long an OCI client may take against a registry, however badly the registry behaves. */
export interface OciToolLimits {
  /** Wall-clock limit of one publish or one install, every command in it together (ms). */
  readonly totalMs: number;
  /** The client's own limit for one command or request where it has one (skopeo `--command-timeout`, ms). */
  readonly requestMs: number;
}

/**
 * Four minutes for a publish or an install of the small images drivers get.
 * skopeo's own command timeout is a minute less, so skopeo ends itself and
 * says why before the driver's limit has to kill it; crane and oras have no
 * timeout setting, so the driver's limit is what ends them against a registry
 * that never answers (drivers.bounds.test.ts).
 */
export const OCI_TOOL_LIMITS: OciToolLimits = { totalMs: 240_000, requestMs: 180_000 };

export const OCI_TITLE = "org.opencontainers.image.title";
const MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const CONFIG = "application/vnd.oci.image.config.v1+json";

/** Where an image lives: `127.0.0.1:5000`, `group/project/name`, and the tag. */
export interface OciReference {
  /** host[:port], as clients name a registry. */
  readonly host: string;
  readonly repository: string;
  readonly tag: string;
  /** Whether the registry speaks plain HTTP (every registry the tests start on 127.0.0.1). */
  readonly plainHttp: boolean;
}

/**
 * The image of `name`@`version` under a registry URL: the URL's path (without
 * a trailing `/v2`) is the repository namespace, so `http://127.0.0.1:5000/ns`
 * and `name` give `127.0.0.1:5000/ns/name`; the version is the tag.
 */
export function ociReference(registry: string, name: string, version: string): OciReference {
  const url = new URL(registry);
  const prefix = url.pathname.replace(/\/+$/, "").replace(/\/v2$/, "").replace(/^\/+/, "");
  return { host: url.host, repository: prefix ? `${prefix}/${name}` : name, tag: version, plainHttp: url.protocol === "http:" };
}

/** `host/repository:tag`, as every client takes it. */
export function imageName(ref: OciReference): string {
  return `${ref.host}/${ref.repository}:${ref.tag}`;
}

/** A tag must match the distribution spec's `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`; semver's `+` cannot be in one. */
function checkTag(version: string): void {
  if (!/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/.test(version)) throw new Error(`${version} cannot be an OCI tag (distribution spec: [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127})`);
}

/**
 * A Docker config (`config.json`, also skopeo's `--authfile` and oras's
 * `--registry-config`) holding the credential for the registry's host, mode
 * 0600 in the driver's own work directory: the secret never appears in a
 * command line (where `ps` would show it). Without a token, no entry: the
 * clients go anonymous. The username follows GitLab's rules (`gitlab-ci-token`
 * for a job token, the deploy token's username, the personal token's owner),
 * which a distribution registry's htpasswd user also fits.
 */
export async function writeAuthConfig(ctx: DriverContext<OciProfile>, host: string): Promise<{ readonly dir: string; readonly file: string }> {
  const dir = join(ctx.workdir, "docker-config");
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const auths: Record<string, { auth: string }> = {};
  if (ctx.credential.token !== undefined) {
    auths[host] = { auth: Buffer.from(`${gitlabBasicUser(ctx.credential)}:${ctx.credential.token}`, "utf8").toString("base64") };
  }
  const file = join(dir, "config.json");
  await writeFile(file, `${JSON.stringify({ auths })}\n`, { mode: 0o600 });
  return { dir, file };
}

/** The environment every client runs in: HOME and the container tools' config directories in the work directory, no proxy. */
function toolEnv(ctx: DriverContext<OciProfile>, dockerConfig: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ["PATH", "LANG", "LC_ALL", "TMPDIR"]) if (process.env[key] !== undefined) env[key] = process.env[key];
  // The user's docker/podman credentials and registries.conf must not take part.
  env.HOME = ctx.workdir;
  env.XDG_RUNTIME_DIR = join(ctx.workdir, "run");
  env.XDG_CONFIG_HOME = join(ctx.workdir, "config");
  env.DOCKER_CONFIG = dockerConfig;
  // 127.0.0.1 and the recording proxy are reached directly.
  env.NO_PROXY = "*";
  return env;
}

/** The time a publish's or an install's commands share: each gets what the ones before it left. */
function deadline(totalMs: number): () => number {
  const end = performance.now() + totalMs;
  return () => Math.floor(end - performance.now());
}

async function run(command: string, args: readonly string[], ctx: DriverContext<OciProfile>, env: NodeJS.ProcessEnv, left: () => number, limits: OciToolLimits): Promise<ToolResult> {
  const timeoutMs = left();
  if (timeoutMs <= 0) return { code: 124, output: `${command} ${args[0] ?? ""} was not started: the ${limits.totalMs / 1000} s limit of this run was spent`, timedOut: true, durationMs: 0 };
  return runTool({ command, args, cwd: ctx.workdir, env, cleanEnv: true, timeoutMs, signal: ctx.signal, secrets: ctx.secrets });
}

/** What a failed command said, for the error a driver throws. */
function failed(what: string, ran: ToolResult): Error {
  return new Error(`${what} failed (exit ${ran.code}${ran.timedOut ? ", killed at the time limit" : ""}): ${ran.output.trim().slice(-800)}`);
}

function sanitize(filename: string): string {
  return filename.replace(/[^a-zA-Z0-9._-]/g, "_") || "file";
}

let layouts = 0;
/** A fresh directory under the work directory (a driver's publish and install share one). */
async function freshDir(ctx: DriverContext<OciProfile>, base: string): Promise<string> {
  const dir = join(ctx.workdir, `${base}-${++layouts}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** Writes a blob into an OCI layout's `blobs/sha256/` from its bytes; returns its descriptor fields. */
async function putBlob(layout: string, source: AsyncIterable<Uint8Array> | Uint8Array): Promise<{ digest: string; size: number }> {
  const dir = join(layout, "blobs", "sha256");
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.incoming-${++layouts}`);
  const hash = createHash("sha256");
  let size = 0;
  const counted = async function* (): AsyncIterable<Uint8Array> {
    const chunks = source instanceof Uint8Array ? [source] : source;
    for await (const chunk of chunks) {
      hash.update(chunk);
      size += chunk.byteLength;
      yield chunk;
    }
  };
  await pipeline(Readable.from(counted()), createWriteStream(temp));
  const hex = hash.digest("hex");
  await rename(temp, join(dir, hex));
  return { digest: `sha256:${hex}`, size };
}

/** The uncompressed digest of a layer (the config's `diff_ids`): gzip is undone, anything else is its own. */
async function diffId(path: string, digest: string): Promise<string> {
  const head = Buffer.alloc(2);
  const handle = await open(path, "r");
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  if (head[0] !== 0x1f || head[1] !== 0x8b) return digest;
  const hash = createHash("sha256");
  await pipeline(createReadStream(path), createGunzip(), async function* (source: AsyncIterable<Buffer>) {
    for await (const chunk of source) hash.update(chunk);
  });
  return `sha256:${hash.digest("hex")}`;
}

function layerMediaType(filename: string, gzipped: boolean): string {
  if (gzipped) return "application/vnd.oci.image.layer.v1.tar+gzip";
  if (filename.endsWith(".tar")) return "application/vnd.oci.image.layer.v1.tar";
  return "application/octet-stream";
}

/** The artifact's own image, where the kit built one: its manifest and config travel as extra files next to the layer (package.ts). */
async function ownImage(artifact: Artifact): Promise<{ readonly manifest: Uint8Array; readonly config: Uint8Array } | undefined> {
  const manifestFile = artifact.extra?.find((f) => f.filename === MANIFEST_FILE);
  const configFile = artifact.extra?.find((f) => f.filename === CONFIG_FILE);
  if (!manifestFile || !configFile || (artifact.extra?.length ?? 0) !== 2) return undefined;
  const manifest = await collect(manifestFile.content.stream());
  const parsed = JSON.parse(new TextDecoder().decode(manifest)) as { layers?: Descriptor[]; config?: Descriptor };
  // Only when the manifest names exactly these bytes: anything else is pushed in the drivers' own shape.
  if (parsed.layers?.length !== 1 || parsed.layers[0]?.digest !== `sha256:${artifact.content.digests.sha256}`) return undefined;
  if (parsed.config?.digest !== `sha256:${configFile.content.digests.sha256}`) return undefined;
  return { manifest, config: await collect(configFile.content.stream()) };
}

/**
 * Writes the OCI image layout (image-spec `oci-layout`, `index.json`, blobs) of
 * an artifact, tagged with its version (`org.opencontainers.image.ref.name`);
 * skopeo and crane push such a layout as it is. An artifact the kit built
 * (package.ts: the layer, with the image's `config.json` and `manifest.json`
 * as extra files) goes in byte for byte, so every client pushes the very
 * manifest the adapter would. Anything else becomes an image of its own: its
 * files as layers byte for byte, each titled by its filename, and an image
 * config whose `diff_ids` match them.
 */
export async function writeOciLayout(layout: string, artifact: Artifact): Promise<{ readonly manifestDigest: string }> {
  checkTag(artifact.version);
  await mkdir(layout, { recursive: true });
  let manifest: Uint8Array;
  const own = await ownImage(artifact);
  if (own) {
    await putBlob(layout, artifact.content.stream());
    await putBlob(layout, own.config);
    manifest = own.manifest;
  } else {
    const files = [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])];
    const layers: { mediaType: string; digest: string; size: number; annotations: Record<string, string> }[] = [];
    const diffIds: string[] = [];
    for (const file of files) {
      const blob = await putBlob(layout, file.content.stream());
      const path = join(layout, "blobs", "sha256", blob.digest.slice("sha256:".length));
      const uncompressed = await diffId(path, blob.digest);
      layers.push({ mediaType: layerMediaType(file.filename, uncompressed !== blob.digest), ...blob, annotations: { [OCI_TITLE]: file.filename } });
      diffIds.push(uncompressed);
    }
    const config = new TextEncoder().encode(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: diffIds } }));
    const configBlob = await putBlob(layout, config);
    manifest = new TextEncoder().encode(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST,
        config: { mediaType: CONFIG, ...configBlob },
        layers,
        annotations: { "org.opencontainers.image.description": `${artifact.name}@${artifact.version}, built by regkit` },
      }),
    );
  }
  const manifestBlob = await putBlob(layout, manifest);
  await writeFile(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await writeFile(
    join(layout, "index.json"),
    JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: MANIFEST, ...manifestBlob, annotations: { "org.opencontainers.image.ref.name": artifact.version } }] }),
  );
  return { manifestDigest: manifestBlob.digest };
}

interface Descriptor {
  readonly mediaType?: string;
  readonly digest: string;
  readonly size: number;
  readonly annotations?: Record<string, string>;
}

/** The manifest of an OCI layout's only (or tagged) image, read from its index. */
async function layoutManifest(layout: string, tag?: string): Promise<{ layers: readonly Descriptor[]; config: Descriptor }> {
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests?: Descriptor[] };
  const entries = index.manifests ?? [];
  const entry = (tag === undefined ? undefined : entries.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag)) ?? entries[0];
  if (!entry) throw new Error(`the OCI layout at ${layout} has no manifest in index.json`);
  const manifest = JSON.parse(await readFile(blobPath(layout, entry.digest), "utf8")) as { layers?: Descriptor[]; config?: Descriptor; manifests?: unknown };
  if (!manifest.config || !manifest.layers) throw new Error(`${entry.digest} in ${layout} is not an image manifest (no config or layers)`);
  return { layers: manifest.layers, config: manifest.config };
}

function blobPath(layout: string, digest: string): string {
  const [algorithm, hex] = digest.split(":");
  if (!algorithm || !hex || !/^[a-f0-9]+$/.test(hex)) throw new Error(`${digest} is not a digest`);
  return join(layout, "blobs", algorithm, hex);
}

/** Digests of a file, streamed (layers may be large). */
async function fileDigests(path: string): Promise<Digests> {
  return (await digestOf(createReadStream(path))).digests;
}

/** The first layer of a pulled layout, after checking its bytes are what its descriptor names (a client that skipped the check would show here). */
async function firstLayer(layout: string, tag: string, client: string): Promise<Digests> {
  const { layers } = await layoutManifest(layout, tag);
  const layer = layers[0];
  if (!layer) throw new Error(`${client} pulled an image with no layers`);
  const path = blobPath(layout, layer.digest);
  const digests = await fileDigests(path);
  const size = (await stat(path)).size;
  if (`sha256:${digests.sha256}` !== layer.digest || size !== layer.size) {
    throw new Error(`${client} wrote a layer that does not match its descriptor: expected ${layer.digest} (${layer.size} bytes), got sha256:${digests.sha256} (${size} bytes)`);
  }
  return digests;
}

// ---------------------------------------------------------------------------
// skopeo

function skopeoArgs(limits: OciToolLimits): string[] {
  // --command-timeout: skopeo ends itself and says so. Retries: skopeo 1.9
  // retries nothing by default; --retry-times 0 keeps it so whatever the
  // configuration says.
  return ["--command-timeout", `${Math.floor(limits.requestMs / 1000)}s`];
}

/** `skopeo copy` from an OCI layout to the registry: skopeo's own verdict is its exit code. */
async function skopeoPush(layout: string, ref: OciReference, ctx: DriverContext<OciProfile>, left: () => number, limits: OciToolLimits): Promise<ToolResult> {
  const auth = await writeAuthConfig(ctx, ref.host);
  const creds = ctx.credential.token === undefined ? ["--dest-no-creds"] : ["--dest-authfile", auth.file];
  return run(
    "skopeo",
    [...skopeoArgs(limits), "copy", "--retry-times", "0", "--preserve-digests", `--dest-tls-verify=${ref.plainHttp ? "false" : "true"}`, ...creds, `oci:${layout}:${ref.tag}`, `docker://${imageName(ref)}`],
    ctx,
    toolEnv(ctx, auth.dir),
    left,
    limits,
  );
}

/** `skopeo copy` from the registry to an OCI layout; skopeo checks every blob's digest as it copies. */
async function skopeoPull(ref: OciReference, layout: string, ctx: DriverContext<OciProfile>, left: () => number, limits: OciToolLimits): Promise<ToolResult> {
  const auth = await writeAuthConfig(ctx, ref.host);
  const creds = ctx.credential.token === undefined ? ["--src-no-creds"] : ["--src-authfile", auth.file];
  return run(
    "skopeo",
    [...skopeoArgs(limits), "copy", "--retry-times", "0", "--preserve-digests", `--src-tls-verify=${ref.plainHttp ? "false" : "true"}`, ...creds, `docker://${imageName(ref)}`, `oci:${layout}:${ref.tag}`],
    ctx,
    toolEnv(ctx, auth.dir),
    left,
    limits,
  );
}

/**
 * skopeo (Debian), copying OCI layouts to and from the registry, bounded by
 * `limits` (tests shorten them). One of {@link ociDrivers}; build your own to
 * give a slow registry more time than {@link OCI_TOOL_LIMITS}:
 *
 * @example
 * ```ts
 * const slow = { ...ociKit, drivers: [createSkopeo({ totalMs: 600_000, requestMs: 540_000 })] };
 * ```
 */
export function createSkopeo(limits: OciToolLimits = OCI_TOOL_LIMITS): ClientDriver<OciProfile> {
  return {
    name: "skopeo",
    async unavailable() {
      return (await probeTool("skopeo", ["--version"])) ? undefined : "skopeo not found on PATH (Debian package skopeo)";
    },
    async publish(artifact, ctx) {
      const left = deadline(limits.totalMs);
      const layout = await freshDir(ctx, "skopeo-push");
      await writeOciLayout(layout, artifact);
      const ran = await skopeoPush(layout, ociReference(ctx.registry, artifact.name, artifact.version), ctx, left, limits);
      return { accepted: ran.code === 0, output: ran.output };
    },
    async install(name, version, ctx) {
      const left = deadline(limits.totalMs);
      const layout = await freshDir(ctx, "skopeo-pull");
      const ref = ociReference(ctx.registry, name, version);
      const ran = await skopeoPull(ref, layout, ctx, left, limits);
      if (ran.code !== 0) throw failed(`skopeo copy docker://${imageName(ref)}`, ran);
      return { digests: await firstLayer(layout, version, "skopeo"), output: ran.output };
    },
  };
}

// ---------------------------------------------------------------------------
// crane

function craneFlags(ref: OciReference): string[] {
  // crane has no retry or timeout setting: go-containerregistry tries a
  // request three times (1 s, then 3 s apart) on network errors
  // (pkg/v1/remote/options.go defaultRetryBackoff); the driver's time limit
  // bounds the rest.
  return ref.plainHttp ? ["--insecure"] : [];
}

const LOCAL_LITERAL = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|::1$|fe80:|f[cd])/i;
const REALM_PATH = "/__regkit-realm";

/**
 * crane (go-containerregistry 0.21+, pkg/v1/remote/transport/bearer.go
 * validateRealmURL) sends credentials only to a realm on the registry's own
 * host:port or on a host name, never to a loopback or private IP literal
 * elsewhere; oras (oras-go 2.7, registry/remote/auth/client.go validateRealm)
 * only to the registry's own host name or to one that is not, and does not
 * resolve to, such an address: guards against registries on the internet that
 * point clients at internal addresses. The runner's recording proxy points a
 * realm on the registry's own origin at itself (core's proxy.ts rewriteRealm:
 * GitLab's /jwt/auth, the reference registry's), so those pass. A registry on
 * this machine whose realm is on another host:port (a token server on
 * localhost, as docker-registry's token mode in the tests) still trips them
 * though nothing is wrong. Only then the client talks to
 * a forwarder on 127.0.0.1 that passes every request on to the registry URL it
 * was given and serves the realm under its own host:port, as a registry that
 * hosts its own realm does. A realm the client accepts (GitLab's, on a host
 * name) gets no forwarder.
 */
/** Whether a client refuses this realm for this registry (crane's rule and oras's, below). */
type RealmGuard = (realm: URL, registry: URL) => boolean;

/** crane: a realm that is a loopback or private IP literal on another host:port than the registry's. */
const craneRefuses: RealmGuard = (realm, registry) => {
  const host = realm.hostname.replace(/^\[|\]$/g, "");
  return realm.host !== registry.host && isIP(host) !== 0 && LOCAL_LITERAL.test(host);
};

/** oras (oras-go 2.7 validateRealm): a realm on another host name than the registry's that is, or resolves to, a loopback or private address. */
const orasRefuses: RealmGuard = (realm, registry) => {
  const host = realm.hostname.replace(/^\[|\]$/g, "");
  if (realm.hostname === registry.hostname) return false;
  return (isIP(host) !== 0 && LOCAL_LITERAL.test(host)) || host === "localhost" || host.endsWith(".localhost");
};

async function realmForwarder(ctx: DriverContext<OciProfile>, left: () => number, refuses: RealmGuard): Promise<{ readonly registry: string; close(): Promise<void> }> {
  const url = new URL(ctx.registry);
  const none = { registry: ctx.registry, close: async () => {} };
  let challenge: string | null = null;
  try {
    // A quarter of the run's time at most: a registry that does not answer leaves crane the rest to say so.
    const res = await fetch(`${url.origin}/v2/`, { signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(Math.max(1, Math.min(15_000, Math.floor(left() / 4))))]) });
    await res.arrayBuffer();
    challenge = res.headers.get("www-authenticate");
  } catch {
    // Unreachable: crane will say so itself.
    return none;
  }
  const realm = /^bearer\s.*?realm="([^"]+)"/i.exec(challenge ?? "")?.[1];
  if (!realm) return none;
  const realmUrl = new URL(realm);
  if (!refuses(realmUrl, url)) return none;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = req.url ?? "/";
    const toRealm = path.startsWith(REALM_PATH);
    const target = toRealm ? new URL(`${realmUrl.pathname}${path.slice(REALM_PATH.length)}`, realmUrl.origin) : new URL(path, url.origin);
    const up = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (answer) => {
      const headers = { ...answer.headers };
      const challengeHeader = headers["www-authenticate"];
      if (typeof challengeHeader === "string") headers["www-authenticate"] = challengeHeader.split(`realm="${realm}"`).join(`realm="${forwarder}${REALM_PATH}"`);
      if (typeof headers.location === "string") headers.location = headers.location.split(url.origin).join(forwarder);
      res.writeHead(answer.statusCode ?? 502, headers);
      answer.pipe(res);
    });
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const forwarder = `http://127.0.0.1:${port}`;
  return {
    registry: `${forwarder}${url.pathname}`,
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/**
 * crane (go-containerregistry, built by ci/install-tools.sh): `crane push` of
 * a layout, `crane pull --format oci`, bounded by `limits`. One of
 * {@link ociDrivers}. crane has no timeout of its own: `limits.totalMs` is what
 * ends it against a registry that never answers.
 */
export function createCrane(limits: OciToolLimits = OCI_TOOL_LIMITS): ClientDriver<OciProfile> {
  return {
    name: "crane",
    async unavailable() {
      return (await probeTool("crane", ["version"])) ? undefined : "crane not found on PATH (bash tooling/ci/install-tools.sh oci builds it)";
    },
    async publish(artifact, ctx) {
      const left = deadline(limits.totalMs);
      const reached = await realmForwarder(ctx, left, craneRefuses);
      try {
        const ref = ociReference(reached.registry, artifact.name, artifact.version);
        const layout = await freshDir(ctx, "crane-push");
        await writeOciLayout(layout, artifact);
        const auth = await writeAuthConfig(ctx, ref.host);
        const ran = await run("crane", ["push", layout, imageName(ref), ...craneFlags(ref)], ctx, toolEnv(ctx, auth.dir), left, limits);
        return { accepted: ran.code === 0, output: ran.output };
      } finally {
        await reached.close();
      }
    },
    async install(name, version, ctx) {
      const left = deadline(limits.totalMs);
      const reached = await realmForwarder(ctx, left, craneRefuses);
      try {
        return await craneInstall(name, version, { ...ctx, registry: reached.registry }, left, limits);
      } finally {
        await reached.close();
      }
    },
  };
}

/** `crane digest`, then `crane pull --format oci`: the pulled manifest must have the digest crane named. */
async function craneInstall(name: string, version: string, ctx: DriverContext<OciProfile>, left: () => number, limits: OciToolLimits): Promise<{ digests: Digests; output: string }> {
  const ref = ociReference(ctx.registry, name, version);
  const layout = await freshDir(ctx, "crane-pull");
  const auth = await writeAuthConfig(ctx, ref.host);
  const env = toolEnv(ctx, auth.dir);
  // `crane digest` first: the digest the registry names, which the pulled manifest must have.
  const digest = await run("crane", ["digest", imageName(ref), ...craneFlags(ref)], ctx, env, left, limits);
  if (digest.code !== 0) throw failed(`crane digest ${imageName(ref)}`, digest);
  const pulled = await run("crane", ["pull", "--format", "oci", imageName(ref), layout, ...craneFlags(ref)], ctx, env, left, limits);
  if (pulled.code !== 0) throw failed(`crane pull ${imageName(ref)}`, pulled);
  const named = digest.output.trim().split(/\s+/).pop() ?? "";
  const index = JSON.parse(await readFile(join(layout, "index.json"), "utf8")) as { manifests?: Descriptor[] };
  const got = index.manifests?.[0]?.digest;
  if (got !== named) throw new Error(`crane pulled manifest ${got ?? "(none)"} for ${imageName(ref)}, but crane digest named ${named}`);
  return { digests: await firstLayer(layout, version, "crane"), output: `${digest.output}${pulled.output}` };
}

/** `crane ls` of a repository: the tags the registry lists, by crane's own reading. */
export async function craneTags(name: string, ctx: DriverContext<OciProfile>, limits: OciToolLimits = OCI_TOOL_LIMITS): Promise<readonly string[]> {
  const left = deadline(limits.totalMs);
  const reached = await realmForwarder(ctx, left, craneRefuses);
  try {
    const ref = ociReference(reached.registry, name, "latest");
    const auth = await writeAuthConfig(ctx, ref.host);
    const ran = await run("crane", ["ls", `${ref.host}/${ref.repository}`, ...craneFlags(ref)], ctx, toolEnv(ctx, auth.dir), left, limits);
    if (ran.code !== 0) throw failed(`crane ls ${ref.host}/${ref.repository}`, ran);
    return ran.output.split("\n").map((line) => line.trim()).filter((line) => line.length > 0);
  } finally {
    await reached.close();
  }
}

// ---------------------------------------------------------------------------
// oras

function orasFlags(ref: OciReference, registryConfig: string): string[] {
  // oras has no retry or timeout flag; oras-go's policy (up to 5 retries on
  // 5xx, 429 and network errors, registry/remote/retry/policy.go) is bounded
  // by the driver's time limit.
  return [...(ref.plainHttp ? ["--plain-http"] : []), "--registry-config", registryConfig];
}

/**
 * oras (built by ci/install-tools.sh): `oras push` of the artifact's files,
 * `oras pull` by title, bounded by `limits`. One of {@link ociDrivers}.
 */
export function createOras(limits: OciToolLimits = OCI_TOOL_LIMITS): ClientDriver<OciProfile> {
  return {
    name: "oras",
    async unavailable() {
      return (await probeTool("oras", ["version"])) ? undefined : "oras not found on PATH (bash tooling/ci/install-tools.sh oci builds it)";
    },
    async publish(artifact, given) {
      checkTag(artifact.version);
      const left = deadline(limits.totalMs);
      const reached = await realmForwarder(given, left, orasRefuses);
      try {
        return await orasPush(artifact, { ...given, registry: reached.registry }, left);
      } finally {
        await reached.close();
      }
    },
    async install(name, version, given) {
      const left = deadline(limits.totalMs);
      const reached = await realmForwarder(given, left, orasRefuses);
      try {
        return await orasPull(name, version, { ...given, registry: reached.registry }, left, limits);
      } finally {
        await reached.close();
      }
    },
  };
}

/** `oras push` of the artifact's files (the kit's image config as the config). */
async function orasPush(artifact: Artifact, ctx: DriverContext<OciProfile>, left: () => number): Promise<{ accepted: boolean; output: string }> {
  const ref = ociReference(ctx.registry, artifact.name, artifact.version);
  const dir = await freshDir(ctx, "oras-push");
  const write = async (filename: string, bytes: AsyncIterable<Uint8Array> | Uint8Array): Promise<string> => {
    const local = sanitize(filename);
    await pipeline(Readable.from(bytes instanceof Uint8Array ? [bytes] : bytes), createWriteStream(join(dir, local)));
    return local;
  };
  // oras names each layer by the path it is given (its title annotation).
  const own = await ownImage(artifact);
  const args: string[] = [];
  if (own) {
    // The kit's image: its config goes as the config, the layer as the one file, so the manifest
    // oras writes differs from the kit's only by the layer's title.
    const config = await write("config.json", own.config);
    const configType = (JSON.parse(new TextDecoder().decode(own.manifest)) as { config?: Descriptor }).config?.mediaType ?? CONFIG;
    const layerType = (JSON.parse(new TextDecoder().decode(own.manifest)) as { layers?: Descriptor[] }).layers?.[0]?.mediaType ?? "application/octet-stream";
    args.push("--config", `${config}:${configType}`, `${await write(artifact.filename, artifact.content.stream())}:${layerType}`);
  } else {
    for (const file of [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])]) {
      const gz = file.filename.endsWith(".gz") || file.filename.endsWith(".tgz");
      args.push(`${await write(file.filename, file.content.stream())}:${layerMediaType(file.filename, gz)}`);
    }
    args.push("--artifact-type", "application/vnd.regkit.package.v1");
  }
  const auth = await writeAuthConfig(ctx, ref.host);
  const ran = await runTool({
    command: "oras",
    args: ["push", imageName(ref), ...args, ...orasFlags(ref, auth.file)],
    cwd: dir,
    env: toolEnv(ctx, auth.dir),
    cleanEnv: true,
    timeoutMs: Math.max(1, left()),
    signal: ctx.signal,
    secrets: ctx.secrets,
  });
  return { accepted: ran.code === 0, output: ran.output };
}

/** `oras manifest fetch`, then `oras pull` of a titled first layer or `oras blob fetch` of an untitled one. */
async function orasPull(name: string, version: string, ctx: DriverContext<OciProfile>, left: () => number, limits: OciToolLimits): Promise<{ digests: Digests; output: string }> {
  const ref = ociReference(ctx.registry, name, version);
  const dir = await freshDir(ctx, "oras-pull");
  const auth = await writeAuthConfig(ctx, ref.host);
  const env = toolEnv(ctx, auth.dir);
  const manifest = await run("oras", ["manifest", "fetch", imageName(ref), ...orasFlags(ref, auth.file)], ctx, env, left, limits);
  if (manifest.code !== 0) throw failed(`oras manifest fetch ${imageName(ref)}`, manifest);
  let layer: Descriptor | undefined;
  try {
    layer = (JSON.parse(manifest.output) as { layers?: Descriptor[] }).layers?.[0];
  } catch {
    throw new Error(`oras manifest fetch ${imageName(ref)} printed no manifest: ${manifest.output.slice(0, 300)}`);
  }
  if (!layer) throw new Error(`the manifest of ${imageName(ref)} has no layer: ${manifest.output.slice(0, 300)}`);
  const title = layer.annotations?.[OCI_TITLE];
  // Both check each blob against its descriptor's digest and size and refuse a mismatch:
  // `oras pull` writes titled layers under their titles; an untitled layer (an image
  // built for running, not an artifact) is fetched by digest.
  const pulled = title
    ? await run("oras", ["pull", imageName(ref), "--output", dir, ...orasFlags(ref, auth.file)], ctx, env, left, limits)
    : await run("oras", ["blob", "fetch", `${ref.host}/${ref.repository}@${layer.digest}`, "--output", join(dir, "layer"), ...orasFlags(ref, auth.file)], ctx, env, left, limits);
  const what = title ? `oras pull ${imageName(ref)}` : `oras blob fetch ${ref.host}/${ref.repository}@${layer.digest}`;
  if (pulled.code !== 0) throw failed(what, pulled);
  const file = title ?? "layer";
  if (!(await readdir(dir)).includes(file)) throw new Error(`${what} did not write ${file}: ${pulled.output.slice(-300)}`);
  return { digests: await fileDigests(join(dir, file)), output: `${manifest.output.slice(0, 200)}\n${pulled.output}` };
}

/**
 * `oras attach` of a small artifact to a subject image, then `oras discover`
 * of the subject's referrers: whether the registry keeps the link (the
 * referrers API, or the tag schema fallback oras uses where the API is absent).
 * Returns the attached manifest's digest and the digests discover lists.
 */
export async function orasAttachAndDiscover(
  name: string,
  version: string,
  given: DriverContext<OciProfile>,
  limits: OciToolLimits = OCI_TOOL_LIMITS,
): Promise<{ readonly attached: string; readonly referrers: readonly string[]; readonly output: string }> {
  const left = deadline(limits.totalMs);
  const reached = await realmForwarder(given, left, orasRefuses);
  try {
    return await orasAttach(name, version, { ...given, registry: reached.registry }, left, limits);
  } finally {
    await reached.close();
  }
}

async function orasAttach(name: string, version: string, ctx: DriverContext<OciProfile>, left: () => number, limits: OciToolLimits): Promise<{ readonly attached: string; readonly referrers: readonly string[]; readonly output: string }> {
  const ref = ociReference(ctx.registry, name, version);
  const dir = await freshDir(ctx, "oras-attach");
  const auth = await writeAuthConfig(ctx, ref.host);
  const env = toolEnv(ctx, auth.dir);
  await writeFile(join(dir, "regkit-sbom.json"), JSON.stringify({ subject: `${name}:${version}`, by: "regkit" }));
  const attached = await runTool({
    command: "oras",
    args: ["attach", imageName(ref), "regkit-sbom.json:application/json", "--artifact-type", "application/vnd.regkit.sbom.v1+json", "--format", "json", ...orasFlags(ref, auth.file)],
    cwd: dir,
    env,
    cleanEnv: true,
    timeoutMs: Math.max(1, left()),
    signal: ctx.signal,
    secrets: ctx.secrets,
  });
  if (attached.code !== 0) throw failed(`oras attach ${imageName(ref)}`, attached);
  const digest = (JSON.parse(attached.output) as { digest?: string }).digest;
  if (!digest) throw new Error(`oras attach ${imageName(ref)} printed no digest: ${attached.output.slice(0, 300)}`);
  const discovered = await run("oras", ["discover", imageName(ref), "--format", "json", ...orasFlags(ref, auth.file)], ctx, env, left, limits);
  if (discovered.code !== 0) throw failed(`oras discover ${imageName(ref)}`, discovered);
  const doc = JSON.parse(discovered.output) as { referrers?: { digest: string }[]; manifests?: { digest: string }[] };
  const referrers = (doc.referrers ?? doc.manifests ?? []).map((r) => r.digest);
  return { attached: digest, referrers, output: `${attached.output}\n${discovered.output}` };
}

// ---------------------------------------------------------------------------
// umoci

/**
 * umoci (Debian) builds an image the way image builders do: a root
 * filesystem with the artifact's file at /regkit/<filename>, made into a
 * layer by umoci itself (a gzip tar with umoci's own history and config), and
 * skopeo carries it; install pulls it with skopeo and unpacks it with umoci,
 * which checks each blob's digest as it reads, and returns the file's digests.
 * Its images are not the kit's shape (the file is inside a layer, not the
 * layer), so it is not one of the kit's drivers: the tests cross it with the
 * others on their own.
 */
export function createUmoci(limits: OciToolLimits = OCI_TOOL_LIMITS): ClientDriver<OciProfile> {
  return {
    name: "umoci",
    async unavailable() {
      if (!(await probeTool("umoci", ["--version"]))) return "umoci not found on PATH (Debian package umoci)";
      return (await probeTool("skopeo", ["--version"])) ? undefined : "skopeo not found on PATH (umoci builds, skopeo carries; Debian package skopeo)";
    },
    async publish(artifact, ctx) {
      checkTag(artifact.version);
      const left = deadline(limits.totalMs);
      const work = await freshDir(ctx, "umoci-build");
      const layout = join(work, "layout");
      const env = toolEnv(ctx, join(ctx.workdir, "docker-config"));
      const image = `${layout}:${artifact.version}`;
      const source = join(work, "source");
      await mkdir(source, { recursive: true });
      await pipeline(Readable.from(artifact.content.stream()), createWriteStream(join(source, sanitize(artifact.filename))));
      for (const args of [
        ["init", "--layout", layout],
        ["new", "--image", image],
        ["insert", "--rootless", "--image", image, source, "/regkit"],
        ["config", "--image", image, "--config.label", `org.opencontainers.image.title=${artifact.name}`],
      ]) {
        const ran = await run("umoci", args, ctx, env, left, limits);
        if (ran.code !== 0) return { accepted: false, output: `umoci ${args[0] ?? ""} could not build the image: ${ran.output}` };
      }
      const pushed = await skopeoPush(layout, ociReference(ctx.registry, artifact.name, artifact.version), ctx, left, limits);
      return { accepted: pushed.code === 0, output: pushed.output };
    },
    async install(name, version, ctx) {
      const left = deadline(limits.totalMs);
      const work = await freshDir(ctx, "umoci-unpack");
      const layout = join(work, "layout");
      const ref = ociReference(ctx.registry, name, version);
      const pulled = await skopeoPull(ref, layout, ctx, left, limits);
      if (pulled.code !== 0) throw failed(`skopeo copy docker://${imageName(ref)}`, pulled);
      const bundle = join(work, "bundle");
      const unpacked = await run("umoci", ["unpack", "--rootless", "--image", `${layout}:${version}`, bundle], ctx, toolEnv(ctx, join(ctx.workdir, "docker-config")), left, limits);
      if (unpacked.code !== 0) throw failed(`umoci unpack ${layout}:${version}`, unpacked);
      const files = await readdir(join(bundle, "rootfs", "regkit")).catch(() => [] as string[]);
      const [file] = files;
      if (files.length !== 1 || file === undefined) throw new Error(`umoci unpacked ${files.length} files under /regkit of ${imageName(ref)}, expected the one file regkit put there`);
      return { digests: await fileDigests(join(bundle, "rootfs", "regkit", file)), output: `${pulled.output}${unpacked.output}` };
    },
  };
}

export const skopeoDriver: ClientDriver<OciProfile> = createSkopeo();
export const craneDriver: ClientDriver<OciProfile> = createCrane();
export const orasDriver: ClientDriver<OciProfile> = createOras();
export const umociDriver: ClientDriver<OciProfile> = createUmoci();

/** Real clients of the format, each run through core's runTool with ctx.secrets; all push and pull the kit's image shape (see above). */
export const ociDrivers: readonly ClientDriver<OciProfile>[] = [skopeoDriver, craneDriver, orasDriver];
