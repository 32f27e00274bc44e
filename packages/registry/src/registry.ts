/**
 * The reference registry's public face and lifecycle: options, the formats
 * and their settings, the data directory and stores, the HTTP server, and
 * close. Answering requests is dispatch.ts's job (see the README's "Inside").
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { type Server, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Limits, Policies } from "@regkit/core";
import { type Identity, JOB_TOKEN_USERNAME, type ReferenceTokens, type ReferenceTokensOption, identitiesOf, issueTokens, secretsOf } from "./auth.js";
import type { HostCaller, HostService, ReferenceFormat } from "./contract.js";
import { openDataDir } from "./datadir.js";
import { type MountedHostRoute, handleRequest } from "./dispatch.js";
import { compileTemplate } from "./router.js";
import { DEMO, GROUP, PROJECTS, type ReferenceProject, type RegistryState, type Served, servedOrThrow, storeKey } from "./state.js";
import { BlobMemory, blobMemoryBudget } from "./blob-memory.js";
import { RenderCache, renderCacheBudget } from "./render-cache.js";
import { FilePackageStore } from "./store.js";

export type { ReferenceProject } from "./state.js";

export interface ReferenceRegistryOptions {
  /** Interface to listen on; default `127.0.0.1`. */
  readonly host?: string | undefined;
  /** 0 (the default) picks a free port. */
  readonly port?: number | undefined;
  /**
   * Keeps blobs (`<dataDir>/blobs`) and package metadata (`<dataDir>/metadata`)
   * across restarts. Without it everything lives in a temporary directory
   * removed by `close()`.
   */
  readonly dataDir?: string | undefined;
  /** The formats to serve, each under its own segment. */
  readonly formats: readonly ReferenceFormat[];
  /** Overrides of a format's default policies, by segment. */
  readonly policies?: Readonly<Record<string, Partial<Policies>>> | undefined;
  /** Overrides of a format's default limits, by segment. */
  readonly limits?: Readonly<Record<string, Partial<Limits>>> | undefined;
  /** Fixed tokens; any left out are random. */
  readonly tokens?: ReferenceTokensOption | undefined;
  /** Visibility of `regkit/demo` (project 1); `regkit/other` stays private. Default private. */
  readonly visibility?: "private" | "public" | undefined;
  /** GitLab feature flags to start with (`pypi_pep_691_json`); an admin changes them through `/api/v4/features/:name`. */
  readonly features?: Readonly<Record<string, boolean>> | undefined;
  /** One line per request: method, path (no query), status, duration. Never tokens. */
  readonly log?: ((line: string) => void) | undefined;
}

export interface ReferenceRegistry {
  /** Origin, `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** Segment -> project-level endpoint of `regkit/demo`, e.g. `.../api/v4/projects/1/packages/npm`. */
  readonly registries: Readonly<Record<string, string>>;
  /** Segment -> group-level (read-only) endpoint of group `regkit`. */
  readonly groupRegistries: Readonly<Record<string, string>>;
  /** Segment -> instance-level (read-only) endpoint, `/api/v4/packages/<segment>`. */
  readonly instanceRegistries: Readonly<Record<string, string>>;
  readonly tokens: ReferenceTokens;
  /** Every secret among the tokens (what reports of runs against it must never show). */
  readonly secrets: readonly string[];
  readonly projects: readonly ReferenceProject[];
  /** Changes a format's policies from now on (merged into the current ones). */
  setPolicies(segment: string, policies: Partial<Policies>): void;
  /** Changes a format's limits from now on (merged into the current ones). */
  setLimits(segment: string, limits: Partial<Limits>): void;
  /** The policies and limits a format currently runs with. */
  settings(segment: string): { readonly policies: Policies; readonly limits: Limits };
  /** Turns a GitLab feature flag on or off (what `POST /api/v4/features/:name` does). */
  setFeature(name: string, value: boolean): void;
  /** The feature flags as they stand. */
  features(): Readonly<Record<string, boolean>>;
  /** Stops listening, ends open connections, removes the temporary directory (not a data directory). */
  close(): Promise<void>;
}

/** Where the registry keeps its files, and whether they go when it closes. */
interface Storage {
  readonly root: string;
  readonly temporary: boolean;
  readonly stores: ReadonlyMap<string, FilePackageStore>;
  /** The byte budget of small blobs held in memory (no data directory only), shared with the formats' host services. */
  readonly blobMemory?: BlobMemory | undefined;
}

/** The formats' host routes (OCI's `/v2/`, `/jwt/auth`), running. */
interface Hosted {
  readonly routes: readonly MountedHostRoute[];
  readonly services: readonly HostService[];
}

/** Starts the GitLab-shaped reference registry. */
export async function createReferenceRegistry(options: ReferenceRegistryOptions): Promise<ReferenceRegistry> {
  const served = serveFormats(options);
  const tokens = issueTokens(options.tokens);
  const secrets = secretsOf(tokens);
  const warn = (message: string): void => {
    const redacted = secrets.reduce((out, s) => out.replaceAll(s, "[REDACTED]"), message);
    process.stderr.write(`regkit registry: ${redacted}\n`);
  };
  const features: Record<string, boolean> = { ...options.features };
  const storage = await openStorage(options.dataDir, [...served.keys()]);
  const identities = identitiesOf(tokens, DEMO.id, PROJECTS[1]!.id);
  const hosted = await startHosted(served, storage, { identities, visibility: options.visibility ?? "private", warn });
  const server = createServer();
  // Large uploads legitimately take longer than Node's default five minutes in
  // total; what is bounded instead is silence: a client that stops sending
  // mid-body for two minutes is cut off, not held for ever.
  server.requestTimeout = 0;
  server.timeout = 120_000;
  // Requests Node refuses before any route sees them (bad syntax, headers too
  // large) get a JSON message like every other refusal, not an empty body.
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || socket.destroyed) return;
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const body = JSON.stringify({ message: `${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}: ${error.code ?? "malformed request"}` });
    socket.end(`HTTP/1.1 ${status} ${status === 431 ? "Request Header Fields Too Large" : status === 408 ? "Request Timeout" : "Bad Request"}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
  });
  const hostPort = await listen(server, options.host ?? "127.0.0.1", options.port ?? 0);
  const state: RegistryState = {
    served,
    stores: storage.stores,
    identities,
    features,
    visibility: options.visibility ?? "private",
    hostPort,
    warn,
    log: options.log,
  };
  // Attached right after listening, before any connection can be read: the handler needs the port.
  server.on("request", (req, res) => {
    handleRequest(state, req, res, hosted.routes).catch((error: unknown) => {
      warn(`request handling failed: ${String(error)}`);
      res.destroy();
    });
  });
  return publicFace(state, tokens, { server, storage, hosted });
}

/**
 * Starts the host routes of the formats that have them, each with its own
 * directory `<root>/hosted/<segment>` (kept with a data directory).
 */
async function startHosted(
  served: ReadonlyMap<string, Served>,
  storage: Storage,
  context: { readonly identities: readonly Identity[]; readonly visibility: "private" | "public"; readonly warn: (message: string) => void },
): Promise<Hosted> {
  const routes: MountedHostRoute[] = [];
  const services: HostService[] = [];
  for (const [segment, entry] of served) {
    if (!entry.format.host) continue;
    // Made by the format when it first writes: a data directory no such format wrote to keeps its layout.
    const dataDir = join(storage.root, "hosted", segment);
    const service = await entry.format.host({
      dataDir,
      durable: !storage.temporary,
      ...(storage.blobMemory ? { blobMemory: storage.blobMemory } : {}),
      projects: PROJECTS,
      visibility: (project) => (project === DEMO.id ? context.visibility : "private"),
      identify: (username, password) => hostCaller(context.identities, username, password),
      settings: () => ({ policies: { ...entry.policies }, limits: { ...entry.limits } }),
      warn: context.warn,
    });
    services.push(service);
    for (const route of service.routes) routes.push({ route, template: compileTemplate(route.path) });
  }
  return { routes, services };
}

/**
 * Basic credentials read the way GitLab's git-client login reads them
 * (`Gitlab::Auth.find_for_git_client`): `gitlab-ci-token` and a job token, a
 * personal token under any username, a deploy token only under its own username.
 */
function hostCaller(identities: readonly Identity[], username: string, password: string): HostCaller | undefined {
  if (username === "" || password === "") return undefined;
  const identity =
    username === JOB_TOKEN_USERNAME
      ? identities.find((i) => i.kind === "job" && i.token === password)
      : identities.find((i) => i.token === password && (i.kind === "personal" || ((i.kind === "deploy" || i.kind === "readonly") && i.username === username)));
  if (!identity) return undefined;
  return { kind: identity.kind, name: identity.name, admin: identity.admin, access: (project) => identity.access.get(project) };
}

/** Each format under its segment, with the option's policy and limit overrides applied. */
function serveFormats(options: ReferenceRegistryOptions): Map<string, Served> {
  const served = new Map<string, Served>();
  for (const format of options.formats) {
    const { segment } = format;
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(segment) || /^\d+$/.test(segment) || segment === "settings") {
      throw new Error(`reference registry: "${segment}" cannot be a format segment`);
    }
    if (served.has(segment)) throw new Error(`reference registry: two formats use the segment "${segment}"`);
    served.set(segment, {
      format,
      routes: format.routes.map((route) => ({ route, template: compileTemplate(route.path) })),
      policies: { ...format.policies },
      limits: { ...format.limits },
    });
  }
  for (const [segment, policies] of Object.entries(options.policies ?? {})) {
    const entry = servedOrThrow(served, segment);
    entry.policies = { ...entry.policies, ...policies };
  }
  for (const [segment, limits] of Object.entries(options.limits ?? {})) {
    const entry = servedOrThrow(served, segment);
    entry.limits = { ...entry.limits, ...limits };
  }
  return served;
}

/**
 * The data directory (or a temporary one) and a store per project and format
 * in it. A data directory is checked before it is used (datadir.ts, and each
 * store its own files): one that is not regkit's, is of a newer layout or is
 * damaged stops the start with a `DataDirError` naming the file.
 */
async function openStorage(dataDir: string | undefined, segments: readonly string[]): Promise<Storage> {
  // One byte budget for the rendered metadata of every store of this registry.
  const renderCache = new RenderCache(renderCacheBudget());
  if (!dataDir) {
    const root = await mkdtemp(join(tmpdir(), "regkit-registry-"));
    const blobRoot = join(root, "blobs");
    const stagingDir = join(blobRoot, ".staging");
    await mkdir(stagingDir, { recursive: true });
    const stores = new Map<string, FilePackageStore>();
    // Without a data directory, small blobs stay in memory, within one byte budget for the registry.
    const blobMemory = new BlobMemory(blobMemoryBudget());
    for (const project of PROJECTS) {
      for (const segment of segments) {
        stores.set(storeKey(project.id, segment), await FilePackageStore.open({ blobDir: join(blobRoot, String(project.id), segment), stagingDir, renderCache, blobMemory }));
      }
    }
    return { root, temporary: true, stores, blobMemory };
  }
  const opened = await openDataDir(resolve(dataDir), PROJECTS.map((p) => p.id));
  const stores = new Map<string, FilePackageStore>();
  for (const project of PROJECTS) {
    for (const segment of segments) {
      stores.set(
        storeKey(project.id, segment),
        await FilePackageStore.open({
          blobDir: join(opened.blobRoot, String(project.id), segment),
          stagingDir: opened.stagingDir,
          metaDir: join(opened.metaRoot, String(project.id), segment),
          renderCache,
        }),
      );
    }
  }
  // Marked as regkit's only once everything in it checked out.
  await opened.seal();
  return { root: opened.root, temporary: false, stores };
}

/** Listens and answers the `host:port` clients reach the server at. */
async function listen(server: Server, host: string, port: number): Promise<string> {
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      server.off("error", fail);
      done();
    });
  });
  const address = server.address() as AddressInfo;
  return `${urlHost(host)}:${address.port}`;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** The {@link ReferenceRegistry} callers hold: endpoints, tokens, settings, close. */
function publicFace(
  state: RegistryState,
  tokens: ReferenceTokens,
  running: { readonly server: Server; readonly storage: Storage; readonly hosted: Hosted },
): ReferenceRegistry {
  const url = `http://${state.hostPort}`;
  const endpoints = (of: (segment: string) => string) => Object.fromEntries([...state.served.keys()].map((segment) => [segment, of(segment)]));
  return {
    url,
    registries: endpoints((segment) => state.served.get(segment)?.format.endpoint?.(url, DEMO) ?? `${url}/api/v4/projects/${DEMO.id}/packages/${segment}`),
    groupRegistries: endpoints((segment) => `${url}/api/v4/groups/${GROUP.path}/-/packages/${segment}`),
    instanceRegistries: endpoints((segment) => `${url}/api/v4/packages/${segment}`),
    tokens,
    secrets: secretsOf(tokens),
    projects: PROJECTS,
    setPolicies(segment, policies) {
      const entry = servedOrThrow(state.served, segment);
      entry.policies = { ...entry.policies, ...policies };
    },
    setLimits(segment, limits) {
      const entry = servedOrThrow(state.served, segment);
      entry.limits = { ...entry.limits, ...limits };
    },
    settings(segment) {
      const entry = servedOrThrow(state.served, segment);
      return { policies: { ...entry.policies }, limits: { ...entry.limits } };
    },
    setFeature(name, value) {
      state.features[name] = value;
    },
    features() {
      return { ...state.features };
    },
    close: closer(running),
  };
}

/** `close()`: once, however often it is called. */
function closer({ server, storage, hosted }: { readonly server: Server; readonly storage: Storage; readonly hosted: Hosted }): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((done) => server.close(() => done()));
      server.closeAllConnections();
      await stopped;
      for (const service of hosted.services) await service.close?.();
      for (const store of storage.stores.values()) await store.discardAll();
      if (storage.temporary) await rm(storage.root, { recursive: true, force: true, maxRetries: 3 });
    })();
    return closing;
  };
}
