import { createHash } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { GITLAB_FACTS, type Limits, type Policies } from "@regkit/core";
import {
  type AuthScheme,
  type PackageStore,
  type Principal,
  type ReferenceFormat,
  type ReferenceLevel,
  type ReferenceReply,
  type ReferenceRequest,
  type ReferenceRoute,
  ReferenceHttpError,
} from "./contract.js";
import {
  type ReferenceTokens,
  type ReferenceTokensOption,
  authenticate,
  identitiesOf,
  issueTokens,
  secretsOf,
} from "./auth.js";
import { messageReply, sendReply } from "./reply.js";
import { type Template, compileTemplate, matchPath, pathProblem, rawSegments, safeDecode } from "./router.js";
import { FilePackageStore, GroupPackageStore, requestScopedStore } from "./store.js";

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

export interface ReferenceProject {
  readonly id: number;
  /** `regkit/demo`. */
  readonly path: string;
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

const PROJECTS: readonly ReferenceProject[] = [
  { id: 1, path: "regkit/demo" },
  { id: 2, path: "regkit/other" },
];
const GROUP = { id: 1, path: "regkit", projects: [1, 2] } as const;
/** GraphQL request bodies are small; anything bigger is not one. */
const MAX_GRAPHQL_BODY = 64 * 1024;
const REALM = `realm="${GITLAB_FACTS.realm.value}"`;
/** Settings bodies are a few parameters; anything bigger is not a settings request. */
const MAX_SETTINGS_BODY = 64 * 1024;

interface Served {
  readonly format: ReferenceFormat;
  readonly routes: readonly { readonly route: ReferenceRoute; readonly template: Template }[];
  policies: Policies;
  limits: Limits;
}

/** Starts the GitLab-shaped reference registry. */
export async function createReferenceRegistry(options: ReferenceRegistryOptions): Promise<ReferenceRegistry> {
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
  const servedOrThrow = (segment: string): Served => {
    const entry = served.get(segment);
    if (!entry) throw new Error(`reference registry: no format is served under "${segment}"`);
    return entry;
  };
  for (const [segment, policies] of Object.entries(options.policies ?? {})) {
    const entry = servedOrThrow(segment);
    entry.policies = { ...entry.policies, ...policies };
  }
  for (const [segment, limits] of Object.entries(options.limits ?? {})) {
    const entry = servedOrThrow(segment);
    entry.limits = { ...entry.limits, ...limits };
  }

  const tokens = issueTokens(options.tokens);
  const features: Record<string, boolean> = { ...options.features };
  const visibilityOf = (project: number): "private" | "public" => (project === PROJECTS[0]!.id ? (options.visibility ?? "private") : "private");
  const secrets = secretsOf(tokens);
  const identities = identitiesOf(tokens, 1, 2);
  const redact = (text: string): string => secrets.reduce((out, s) => out.replaceAll(s, "[REDACTED]"), text);
  const warn = (message: string): void => {
    process.stderr.write(`regkit registry: ${redact(message)}\n`);
  };

  const root = options.dataDir ? resolve(options.dataDir) : await mkdtemp(join(tmpdir(), "regkit-registry-"));
  const blobRoot = join(root, "blobs");
  const stagingDir = join(blobRoot, ".staging");
  // Staged files of a previous run were never committed.
  await rm(stagingDir, { recursive: true, force: true });
  await mkdir(stagingDir, { recursive: true });
  const stores = new Map<string, FilePackageStore>();
  for (const project of PROJECTS) {
    for (const segment of served.keys()) {
      stores.set(
        storeKey(project.id, segment),
        await FilePackageStore.open({
          blobDir: join(blobRoot, String(project.id), segment),
          stagingDir,
          metaDir: options.dataDir ? join(root, "metadata", String(project.id), segment) : undefined,
          warn,
        }),
      );
    }
  }
  const storeOf = (project: number, segment: string): FilePackageStore => {
    const store = stores.get(storeKey(project, segment));
    if (!store) throw new Error(`no store for project ${project} and ${segment}`);
    return store;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? "GET").toUpperCase();
    const { rawPath, query } = splitTarget(req.url ?? "/");
    // Routes get a pass-through rather than the socket's stream: a route that
    // stops reading early must not tear down the connection our answer uses.
    const body = new PassThrough();
    req.pipe(body);
    req.on("error", () => body.destroy(new ClientGone()));
    req.once("close", () => {
      if (!req.complete) body.destroy(new ClientGone());
    });
    const headers = headersOf(req);
    const cleanups: (() => Promise<void>)[] = [];
    let reply: ReferenceReply;
    let head = false;
    try {
      const problem = pathProblem(rawPath);
      if (problem) {
        reply = messageReply(400, `400 Bad request - ${problem}`);
      } else {
        const answer = await dispatch({ req, method, rawPath, query, headers, body, cleanups });
        reply = answer.reply;
        head = answer.head;
      }
    } catch (error) {
      reply = errorReply(error, method, rawPath);
    } finally {
      for (const cleanup of cleanups) await cleanup().catch((error: unknown) => warn(String(error)));
    }
    if (!req.complete) {
      req.unpipe(body);
      body.destroy();
      drainBody(req);
    }
    try {
      await sendReply(res, reply, { head: head || method === "HEAD" });
    } catch (error) {
      // A client that hangs up mid-download is not the registry's fault.
      if ((error as { code?: string }).code !== "ERR_STREAM_PREMATURE_CLOSE") {
        warn(`${method} ${rawPath}: the response body failed: ${(error as Error).message}`);
      }
      res.destroy();
    }
    // Logged once the route and its clean-up are done, so a line means the request is over.
    options.log?.(`${method} ${rawPath} ${reply.status} ${Math.round(performance.now() - started)}ms`);
  }

  async function dispatch(call: Call): Promise<{ reply: ReferenceReply; head: boolean }> {
    const plain = (reply: ReferenceReply) => ({ reply, head: false });
    const [api, v4, area, id, ...tail] = rawSegments(call.rawPath);
    if (api === "api" && v4 === "graphql" && area === undefined) return plain(await graphql(call));
    if (api !== "api" || v4 !== "v4" || id === undefined || id === "") return plain(notFound());
    if (area === "application" && id === "plan_limits" && tail.length === 0) return plain(await planLimits(call));
    if (area === "features" && tail.length === 0) return plain(await featureFlag(call, id));
    if (area === "projects" && tail[0] === "packages" && (tail.length === 1 || (tail.length === 2 && /^\d+$/.test(tail[1]!)))) {
      return plain(await packagesApi(call, id, tail[1]));
    }
    if (area === "projects" && tail[0] === "packages" && tail[1] !== undefined) {
      return serveFormat(call, { kind: "project", id }, tail[1], tail.slice(2));
    }
    if (area === "groups" && tail[0] === "-" && tail[1] === "packages" && tail[2] !== undefined) {
      return serveFormat(call, { kind: "group", id }, tail[2], tail.slice(3));
    }
    // Instance level (`/api/v4/packages/<format>/...`): read-only, over every project the caller may read.
    if (area === "packages") return serveFormat(call, { kind: "instance", id: "" }, id, tail);
    return plain(notFound());
  }

  async function serveFormat(
    call: Call,
    scope: { readonly kind: "project" | "group" | "instance"; readonly id: string },
    rawSegment: string,
    rest: readonly string[],
  ): Promise<{ reply: ReferenceReply; head: boolean }> {
    const plain = (reply: ReferenceReply) => ({ reply, head: false });
    const entry = served.get(safeDecode(rawSegment) ?? rawSegment);
    const project = scope.kind === "project" ? findProject(scope.id) : undefined;
    const group = scope.kind === "group" ? findGroup(scope.id) : undefined;
    const missing = scope.kind === "project" && !project ? "404 Project Not Found" : scope.kind === "group" && !group ? "404 Group Not Found" : undefined;
    const publicRoute = entry?.routes.some((r) => r.route.access === "public" && matchPath(r.template, rest) !== undefined) ?? false;
    if (missing && entry?.format.authenticateFirst && !publicRoute) {
      const early = authenticate(call.headers, entry.format.auth, identities, { basicUsernames: entry.format.basicUsernames });
      if (early.kind !== "identified") {
        const scheme = entry.format.auth.includes("basic") ? "Basic" : "Bearer";
        return plain(messageReply(401, "401 Unauthorized", { "www-authenticate": `${scheme} ${REALM}` }));
      }
    }
    if (missing) return plain(messageReply(404, missing));
    if (!entry) return plain(notFound());

    const routes = entry.routes.filter((r) => levelsOf(r.route).includes(scope.kind));
    const matches = routes.flatMap((r) => {
      const params = matchPath(r.template, rest);
      return params ? [{ ...r, params }] : [];
    });
    if (matches.length === 0) return plain(notFound());
    const chosen =
      matches.find((m) => m.route.method.toUpperCase() === call.method) ??
      (call.method === "HEAD" ? matches.find((m) => m.route.method.toUpperCase() === "GET") : undefined);
    if (!chosen) {
      const allow = [...new Set(matches.map((m) => m.route.method.toUpperCase()))].join(", ");
      return plain(messageReply(405, "405 Method Not Allowed", { allow }));
    }
    const { route } = chosen;
    const head = call.method === "HEAD" && route.method.toUpperCase() !== "HEAD";

    const schemes = route.auth ?? entry.format.auth;
    const challenge = {
      "www-authenticate": schemes.includes("basic") ? `Basic ${REALM}` : `Bearer ${REALM}`,
    };
    // Public routes (GitLab's NuGet service index) read no credentials at all.
    const auth =
      route.access === "public"
        ? ({ kind: "anonymous" } as const)
        : authenticate(call.headers, schemes, identities, { basicUsernames: entry.format.basicUsernames, basicKinds: entry.format.basicKinds });
    if (auth.kind === "ambiguous") return plain(messageReply(400, "400 Bad request - Found more than one set of credentials"));
    if (auth.kind === "invalid") return plain(messageReply(401, "401 Unauthorized", challenge));
    const identity = auth.kind === "identified" ? auth.identity : undefined;
    const anonymous = (): ReferenceReply =>
      route.anonymous === 404 ? messageReply(404, "404 Project Not Found") : messageReply(401, "401 Unauthorized", challenge);

    let principal: Principal;
    let store: PackageStore;
    let requestProject: ReferenceProject;
    let visibility: "private" | "public" = "private";
    const segment = entry.format.segment;
    if (project) {
      visibility = visibilityOf(project.id);
      const member = identity?.access.get(project.id);
      // Anyone may read a public project; only members write.
      const access = member ?? (visibility === "public" ? "guest" : undefined);
      const canRead = access !== undefined;
      const canWrite = member === "write" || member === "maintain";
      const canDestroy = member === "maintain" || (canWrite && (identity?.kind === "deploy" || identity?.kind === "readonly"));
      if (route.access !== "public") {
        if (!identity && (route.access !== "read" || visibility === "private")) return plain(anonymous());
        // GitLab hides projects a caller may not see.
        if (!canRead) return plain(messageReply(404, "404 Project Not Found"));
        if ((route.access === "write" || route.access === "destroy") && !canWrite) return plain(messageReply(403, "403 Forbidden"));
        if (route.access === "destroy" && !canDestroy) return plain(messageReply(403, "403 Forbidden"));
      }
      principal = identity
        ? { kind: identity.kind, name: identity.name, canRead, canWrite, canDestroy }
        : { kind: "anonymous", name: "anonymous", canRead, canWrite: false, canDestroy: false };
      const scoped = requestScopedStore(storeOf(project.id, segment));
      call.cleanups.push(scoped.release);
      store = scoped.store;
      requestProject = project;
    } else {
      const pool: readonly number[] = scope.kind === "group" ? GROUP.projects : PROJECTS.map((p) => p.id);
      const readable = PROJECTS.filter((p) => pool.includes(p.id) && identity?.access.has(p.id));
      if (route.access !== "public") {
        if (!identity) return plain(anonymous());
        if (readable.length === 0) return plain(messageReply(404, "404 Group Not Found"));
      }
      principal = identity
        ? { kind: identity.kind, name: identity.name, canRead: readable.length > 0, canWrite: false, canDestroy: false }
        : { kind: "anonymous", name: "anonymous", canRead: false, canWrite: false, canDestroy: false };
      store = new GroupPackageStore(readable.map((p) => storeOf(p.id, segment)));
      requestProject = readable[0] ?? PROJECTS[0]!;
    }

    const host = call.headers.host ?? hostPort;
    const prefix = scope.kind === "project" ? `projects/${scope.id}` : scope.kind === "group" ? `groups/${scope.id}/-` : "";
    const request: ReferenceRequest = {
      method: call.method,
      params: chosen.params,
      query: call.query,
      headers: call.headers,
      body: call.body,
      baseUrl: `http://${host}/api/v4/${prefix ? `${prefix}/` : ""}packages/${rawSegment}`,
      project: requestProject,
      principal,
      store,
      limits: { ...entry.limits },
      policies: { ...entry.policies },
      features: { ...features },
      visibility,
      packageId: (name, version) => packageId(requestProject.id, segment, name, version),
    };
    return { reply: await route.handle(request), head };
  }

  /** Every version of every package of a project, as GitLab's Packages API lists them, with stable ids. */
  async function listedPackages(projectId: number, only: { type?: string | null; name?: string | undefined } = {}): Promise<ListedPackage[]> {
    const all: ListedPackage[] = [];
    for (const [segment, entry] of served) {
      if (only.type && only.type !== segment) continue;
      const store = storeOf(projectId, segment);
      for (const name of await store.names()) {
        const pkg = await store.get(name);
        for (const v of pkg?.versions ?? []) {
          const shown = entry.format.listed?.(pkg!, v.version) ?? { name, version: v.version };
          if (only.name && !shown.name.toLowerCase().includes(only.name)) continue;
          all.push({
            id: packageId(projectId, segment, name, v.version),
            name: shown.name,
            version: shown.version,
            package_type: segment,
            status: "default",
            created_at: v.createdAt,
            store: { segment, name, version: v.version },
          });
        }
      }
    }
    return all.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
  }

  /**
   * GitLab's Packages API, project level: `GET /projects/:id/packages` (filters
   * package_type, package_name (fuzzy), package_version, include_versionless;
   * paginated) and `DELETE /projects/:id/packages/:package_id`. The REST API
   * takes the token headers or a Bearer token, not Basic, and no deploy tokens.
   */
  async function packagesApi(call: Call, rawProject: string, rawId: string | undefined): Promise<ReferenceReply> {
    // GITLAB_FACTS.restApiCredentials: PRIVATE-TOKEN, Bearer and JOB-TOKEN; deploy tokens and Basic are ignored.
    const auth = authenticate(call.headers, ["headers", "bearer"], identities, { deployTokens: false });
    if (auth.kind === "invalid" || auth.kind === "ambiguous") return messageReply(401, "401 Unauthorized");
    const identity = auth.kind === "identified" ? auth.identity : undefined;
    const project = findProject(rawProject);
    if (!project) return messageReply(404, "404 Project Not Found");
    const member = identity?.access.get(project.id);
    const access = member ?? (visibilityOf(project.id) === "public" ? "guest" : undefined);
    if (!access) {
      // A job token of another project: GitLab's find_project! answers 403 (GITLAB_FACTS.foreignJobToken).
      if (identity?.kind === "job") return messageReply(403, `403 Forbidden - Authentication by CI/CD job token not allowed from ${identity.name} to ${project.path}.`);
      return messageReply(404, "404 Project Not Found");
    }
    if (rawId === undefined) {
      if (call.method !== "GET" && call.method !== "HEAD") return messageReply(405, "405 Method Not Allowed", { allow: "GET" });
      const q = call.query;
      const version = q.get("package_version");
      const versionless = q.get("include_versionless") === "true";
      const listed = await listedPackages(project.id, { type: q.get("package_type"), name: q.get("package_name")?.toLowerCase() });
      const chosen = listed.filter((p) => (version === null || p.version === version) && (versionless || p.version !== null));
      const perPage = Math.min(100, Math.max(1, Number(q.get("per_page") ?? 20) || 20));
      const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
      const pages = Math.max(1, Math.ceil(chosen.length / perPage));
      const body = chosen.slice((page - 1) * perPage, page * perPage).map(({ store: _store, ...shown }) => shown);
      return {
        status: 200,
        headers: {
          "x-page": String(page),
          "x-per-page": String(perPage),
          "x-total": String(chosen.length),
          "x-total-pages": String(pages),
          "x-next-page": page < pages ? String(page + 1) : "",
          "x-prev-page": page > 1 ? String(page - 1) : "",
        },
        body,
      };
    }
    const target = (await listedPackages(project.id)).find((p) => String(p.id) === rawId);
    if (call.method === "GET" || call.method === "HEAD") {
      if (!target) return messageReply(404, "404 Package Not Found");
      const { store: _store, ...shown } = target;
      return { status: 200, body: shown };
    }
    if (call.method !== "DELETE") return messageReply(405, "405 Method Not Allowed", { allow: "GET, DELETE" });
    // destroy_package is Maintainer's (GITLAB_FACTS.destroyNeedsMaintainer), checked before the lookup.
    if (access !== "maintain") return messageReply(403, "403 Forbidden");
    if (!target) return messageReply(404, "404 Package Not Found");
    await storeOf(project.id, target.store.segment).remove(target.store.name, target.store.version);
    return { status: 204 };
  }

  async function planLimits(call: Call): Promise<ReferenceReply> {
    const denied = admin(call.headers);
    if (denied) return denied;
    if (call.method !== "GET" && call.method !== "PUT") return messageReply(405, "405 Method Not Allowed", { allow: "GET, PUT" });
    const params = await settingsParams(call);
    const plan = params.get("plan_name") ?? (call.method === "GET" ? "default" : undefined);
    if (plan !== "default") return messageReply(400, '400 Bad request - plan_name must be "default"');
    if (call.method === "PUT") {
      const changes = new Map<Served, number>();
      for (const [segment, entry] of served) {
        const value = params.get(`${segment}_max_file_size`);
        if (value === null) continue;
        if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
          return messageReply(400, `400 Bad request - ${segment}_max_file_size is invalid`);
        }
        changes.set(entry, Number(value));
      }
      for (const [entry, maxFileSize] of changes) entry.limits = { ...entry.limits, maxFileSize };
    }
    return { status: 200, body: Object.fromEntries([...served].map(([s, e]) => [`${s}_max_file_size`, e.limits.maxFileSize])) };
  }

  /**
   * GitLab changes group package settings only through GraphQL: the mutation
   * `updateNamespacePackageSettings(input: {namespacePath, <format>DuplicatesAllowed})`,
   * for the formats GitLab has a duplicates setting for (GITLAB_FACTS.groupSettings).
   * Inline arguments and `variables.input` are both read; nothing else of GraphQL is served.
   */
  async function graphql(call: Call): Promise<ReferenceReply> {
    if (call.method !== "POST") return messageReply(405, "405 Method Not Allowed", { allow: "POST" });
    const denied = admin(call.headers);
    if (denied) return denied;
    const body = await readSmallJson(call, MAX_GRAPHQL_BODY);
    const query = typeof body?.query === "string" ? body.query : "";
    if (!/\bmutation\b[\s\S]*\bupdateNamespacePackageSettings\b/.test(query)) {
      return { status: 200, body: { errors: [{ message: "the reference registry serves only the updateNamespacePackageSettings mutation" }] } };
    }
    const input: Record<string, unknown> = { ...((body?.variables as { input?: Record<string, unknown> } | undefined)?.input ?? {}) };
    for (const [, key, value] of query.matchAll(/(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|true|false)/g)) input[key!] = value === "true" ? true : value === "false" ? false : JSON.parse(value!);
    const path = String(input.namespacePath ?? "");
    if (path !== GROUP.path) return { status: 200, body: { data: { updateNamespacePackageSettings: null }, errors: [{ message: `The resource that you are attempting to access does not exist or you don't have permission to perform this action` }] } };
    const changes = new Map<Served, Policies["duplicates"]>();
    for (const [key, value] of Object.entries(input)) {
      const match = /^(\w+)DuplicatesAllowed$/.exec(key);
      if (!match) continue;
      const entry = served.get(match[1]!);
      if (!entry || !GROUP_DUPLICATE_SETTINGS.includes(match[1]!) || typeof value !== "boolean") {
        return { status: 200, body: { errors: [{ message: `Argument '${key}' on InputObject 'UpdateNamespacePackageSettingsInput' is not accepted` }] } };
      }
      changes.set(entry, value ? "allow" : "reject");
    }
    for (const [entry, duplicates] of changes) entry.policies = { ...entry.policies, duplicates };
    const settings = Object.fromEntries(
      [...served].filter(([segment]) => GROUP_DUPLICATE_SETTINGS.includes(segment)).map(([segment, entry]) => [`${segment}DuplicatesAllowed`, entry.policies.duplicates === "allow"]),
    );
    return { status: 200, body: { data: { updateNamespacePackageSettings: { packageSettings: settings, errors: [] } } } };
  }

  /** GitLab's Features API (admin): `POST /api/v4/features/:name` with `value=true|false`; `GET /api/v4/features` lists them. */
  async function featureFlag(call: Call, rawName: string): Promise<ReferenceReply> {
    const denied = admin(call.headers);
    if (denied) return denied;
    const name = safeDecode(rawName) ?? rawName;
    if (call.method !== "POST") return messageReply(405, "405 Method Not Allowed", { allow: "POST" });
    const value = (await settingsParams(call)).get("value");
    if (value !== "true" && value !== "false") return messageReply(400, "400 Bad request - value is missing");
    features[name] = value === "true";
    return { status: 201, body: { name, state: features[name] ? "on" : "off", gates: [{ key: "boolean", value: features[name] }] } };
  }

  /** The settings endpoints are the demo user's (an instance admin and group owner). */
  function admin(headers: Readonly<Record<string, string | undefined>>): ReferenceReply | undefined {
    const auth = authenticate(headers, ["headers", "bearer"], identities, { deployTokens: false });
    // The admin API reads neither deploy nor job tokens: such a caller is anonymous.
    if (auth.kind !== "identified" || auth.identity.kind === "job") return messageReply(401, "401 Unauthorized");
    if (!auth.identity.admin) return messageReply(403, "403 Forbidden");
    return undefined;
  }

  function errorReply(error: unknown, method: string, rawPath: string): ReferenceReply {
    if (error instanceof ReferenceHttpError || isReferenceHttpError(error)) {
      return messageReply(error.status, error.message);
    }
    // Nobody is left to read this answer; nothing worth a log line either.
    if (error instanceof ClientGone) return messageReply(400, `400 Bad request - ${error.message}`);
    warn(`${method} ${rawPath} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    return messageReply(500, "500 Internal Server Error");
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      warn(`request handling failed: ${String(error)}`);
      res.destroy();
    });
  });
  // Large uploads legitimately take longer than Node's default five minutes.
  server.requestTimeout = 0;
  const host = options.host ?? "127.0.0.1";
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", fail);
      done();
    });
  });
  const { port } = server.address() as AddressInfo;
  const hostPort = `${urlHost(host)}:${port}`;
  const url = `http://${hostPort}`;
  const registries: Record<string, string> = {};
  const groupRegistries: Record<string, string> = {};
  const instanceRegistries: Record<string, string> = {};
  for (const segment of served.keys()) {
    instanceRegistries[segment] = `${url}/api/v4/packages/${segment}`;
    registries[segment] = `${url}/api/v4/projects/${PROJECTS[0]!.id}/packages/${segment}`;
    groupRegistries[segment] = `${url}/api/v4/groups/${GROUP.path}/-/packages/${segment}`;
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    registries,
    groupRegistries,
    instanceRegistries,
    tokens,
    projects: PROJECTS,
    setPolicies(segment, policies) {
      const entry = servedOrThrow(segment);
      entry.policies = { ...entry.policies, ...policies };
    },
    setLimits(segment, limits) {
      const entry = servedOrThrow(segment);
      entry.limits = { ...entry.limits, ...limits };
    },
    settings(segment) {
      const entry = servedOrThrow(segment);
      return { policies: { ...entry.policies }, limits: { ...entry.limits } };
    },
    setFeature(name, value) {
      features[name] = value;
    },
    features() {
      return { ...features };
    },
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((done) => server.close(() => done()));
        server.closeAllConnections();
        await stopped;
        for (const store of stores.values()) await store.discardAll();
        if (!options.dataDir) await rm(root, { recursive: true, force: true, maxRetries: 3 });
      })();
      return closing;
    },
  };
}

/** The client closed its connection before the request body ended. */
class ClientGone extends Error {
  constructor() {
    super("the request body ended early");
    this.name = "ClientGone";
  }
}

/** How long an early answer waits for the rest of the upload before cutting the connection. */
const DRAIN_MS = 30_000;

/**
 * For an answer given before the request body ended (401, 413): reads and
 * drops the rest of the body so the connection can carry the answer to
 * clients that send the whole body before reading (urllib3, Maven's wagon).
 * No `Connection: close` here: Node answers one by tearing the socket down as
 * soon as it is written, and the unread upload turns that into a reset those
 * clients report instead of our status. A client that never finishes its
 * upload loses the connection after {@link DRAIN_MS}.
 */
function drainBody(req: IncomingMessage): void {
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  timer.unref();
  const stop = (): void => clearTimeout(timer);
  req.once("end", stop);
  req.once("close", stop);
  req.resume();
}

function findProject(rawId: string): ReferenceProject | undefined {
  const id = (safeDecode(rawId) ?? rawId).toLowerCase();
  return PROJECTS.find((p) => String(p.id) === id || p.path === id);
}

function findGroup(rawId: string): typeof GROUP | undefined {
  const id = (safeDecode(rawId) ?? rawId).toLowerCase();
  return String(GROUP.id) === id || GROUP.path === id ? GROUP : undefined;
}

/** Where a route is served: writes at the project only, reads everywhere, unless the route says. */
function levelsOf(route: ReferenceRoute): readonly ReferenceLevel[] {
  return route.levels ?? (route.access === "write" || route.access === "destroy" ? ["project"] : ["project", "group", "instance"]);
}

/** Formats GitLab has a group duplicates setting for. */
const GROUP_DUPLICATE_SETTINGS: readonly string[] = GITLAB_FACTS.groupSettings.value;

function notFound(): ReferenceReply {
  return messageReply(404, "404 Not Found");
}

function isReferenceHttpError(error: unknown): error is ReferenceHttpError {
  // A second copy of @regkit/core (two versions installed) breaks instanceof.
  return (
    error instanceof Error &&
    (error.name === "ReferenceHttpError" || error.name === "ReferenceError413") &&
    typeof (error as { status?: unknown }).status === "number"
  );
}

function storeKey(project: number, segment: string): string {
  return `${project}/${segment}`;
}

/** Splits a request target into its raw path (never normalized) and query. */
function splitTarget(target: string): { rawPath: string; query: URLSearchParams } {
  let rest = target;
  // Absolute-form targets (sent to proxies) carry the origin first.
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(rest);
  if (origin) rest = rest.slice(origin[0].length) || "/";
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  return q < 0
    ? { rawPath: rest, query: new URLSearchParams() }
    : { rawPath: rest.slice(0, q), query: new URLSearchParams(rest.slice(q + 1)) };
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}

/** Query parameters plus, for PUT and POST, a small JSON or form body (GitLab's API takes both). */
async function settingsParams(call: Call): Promise<URLSearchParams> {
  const params = new URLSearchParams(call.query);
  if (call.method !== "PUT" && call.method !== "POST") return params;
  const type = (call.headers["content-type"] ?? "").toLowerCase();
  const json = type.includes("json");
  if (!json && !type.includes("x-www-form-urlencoded")) return params;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of call.body.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_SETTINGS_BODY) throw new ReferenceHttpError(413, "413 Request Entity Too Large");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return params;
  if (json) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new ReferenceHttpError(400, "400 Bad request - the body is not JSON");
    }
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ReferenceHttpError(400, "400 Bad request - the body must be a JSON object");
    }
    for (const [key, value] of Object.entries(parsed)) params.set(key, String(value));
  } else {
    for (const [key, value] of new URLSearchParams(text)) params.set(key, value);
  }
  return params;
}

/** A small JSON request body (GraphQL), or undefined when it is not a JSON object. */
async function readSmallJson(call: Call, limit: number): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of call.body.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new ReferenceHttpError(413, "413 Request Entity Too Large");
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** One request on its way through the dispatcher. */
/** A package version as GitLab's Packages API shows it, and where it is stored. */
interface ListedPackage {
  readonly id: number;
  readonly name: string;
  readonly version: string | null;
  readonly package_type: string;
  readonly status: string;
  readonly created_at: string;
  readonly store: { readonly segment: string; readonly name: string; readonly version: string };
}

/** A stable id for a stored version (the same after a restart with --data-dir): 48 bits of a hash. */
function packageId(project: number, segment: string, name: string, version: string): number {
  const key = `${project}\u0000${segment}\u0000${name}\u0000${version}`;
  let id = packageIds.get(key);
  if (id === undefined) {
    id = Number.parseInt(createHash("sha256").update(key).digest("hex").slice(0, 12), 16);
    packageIds.set(key, id);
  }
  return id;
}

// Listing is frequent (cleanup lists before each delete): each id is hashed once.
const packageIds = new Map<string, number>();

interface Call {
  readonly req: IncomingMessage;
  readonly method: string;
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: PassThrough;
  /** Run once the route has answered, before the reply is written. */
  readonly cleanups: (() => Promise<void>)[];
}
