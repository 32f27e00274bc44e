/**
 * From a Node request to a reply: the path guard, the URL read into what it
 * addresses (GitLab's own API, or a format at project, group or instance
 * level), the format's route for the path and method, the route called with
 * what scope.ts granted, and any error turned into GitLab's answer.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Readable } from "node:stream";
import {
  type HostRoute,
  type ReferenceLevel,
  type ReferenceReply,
  type ReferenceRequest,
  type ReferenceRoute,
  ReferenceHttpError,
} from "./contract.js";
import { type Call, ClientGone, openCall } from "./exchange.js";
import { featureFlag, graphql, packagesApi, planLimits } from "./gitlab-api.js";
import { messageReply, sendReply } from "./reply.js";
import { type Template, decodeSegments, matchDecoded, matchPath, pathProblem, rawSegments, safeDecode } from "./router.js";
import { type Grant, type Place, type Refusal, grantRoute, unknownPlaceChallenge } from "./scope.js";
import { fileId } from "./package-index.js";
import { type RegistryState, type Served, findGroup, findProject, packageId } from "./state.js";

/** A reply, and whether to send its headers only (a HEAD that a GET route answered). */
interface Answer {
  readonly reply: ReferenceReply;
  readonly head: boolean;
}

/** A format's endpoint as the URL names it, still encoded. */
interface FormatTarget {
  readonly kind: "format";
  readonly level: ReferenceLevel;
  /** The project or group as written (`1`, `regkit%2Fdemo`); empty at instance level. */
  readonly rawId: string;
  readonly rawSegment: string;
  readonly rest: readonly string[];
}

/** What a request path addresses. */
type Target =
  | { readonly kind: "graphql" }
  | { readonly kind: "planLimits" }
  | { readonly kind: "feature"; readonly rawName: string }
  | { readonly kind: "packagesApi"; readonly rawProject: string; readonly rawId: string | undefined; readonly files?: { readonly rawFileId: string | undefined } | undefined }
  | FormatTarget
  | { readonly kind: "unknown" };

/** A route chosen for a path and method, with its decoded params. */
interface ChosenRoute {
  readonly route: ReferenceRoute;
  readonly params: Record<string, string>;
  readonly head: boolean;
}

/** A format's route served at the host root (`/v2/...`, `/jwt/auth`), compiled. */
export interface MountedHostRoute {
  readonly route: HostRoute;
  readonly template: Template;
}

/** Answers one request, then logs it. Never rejects for a route's failure: that becomes the reply. */
export async function handleRequest(
  state: RegistryState,
  req: IncomingMessage,
  res: ServerResponse,
  hostRoutes: readonly MountedHostRoute[] = [],
): Promise<void> {
  const started = performance.now();
  const call = openCall(req);
  const { reply, head } = await answer(state, call, hostRoutes);
  call.settle();
  try {
    await sendReply(res, reply, { head: head || call.method === "HEAD" });
  } catch (error) {
    // A client that hangs up mid-download is not the registry's fault.
    if ((error as { code?: string }).code !== "ERR_STREAM_PREMATURE_CLOSE") {
      state.warn(`${call.method} ${call.rawPath}: the response body failed: ${(error as Error).message}`);
    }
    res.destroy();
  }
  // Logged once the route and its clean-up are done, so a line means the request is over.
  state.log?.(`${call.method} ${call.rawPath} ${reply.status} ${Math.round(performance.now() - started)}ms`);
}

/** The reply to a call, whatever goes wrong on the way; what the call left staged is dropped before it returns. */
async function answer(state: RegistryState, call: Call, hostRoutes: readonly MountedHostRoute[]): Promise<Answer> {
  try {
    const problem = pathProblem(call.rawPath) ?? hostProblem(call.headers.host);
    if (problem) return plain(messageReply(400, `400 Bad request - ${problem}`));
    return await dispatch(state, call, hostRoutes);
  } catch (error) {
    return plain(errorReply(state, error, call));
  } finally {
    for (const cleanup of call.cleanups) await cleanup().catch((error: unknown) => state.warn(String(error)));
  }
}

async function dispatch(state: RegistryState, call: Call, hostRoutes: readonly MountedHostRoute[]): Promise<Answer> {
  const target = parseTarget(call.rawPath);
  switch (target.kind) {
    case "graphql":
      return plain(await graphql(state, call));
    case "planLimits":
      return plain(await planLimits(state, call));
    case "feature":
      return plain(await featureFlag(state, call, target.rawName));
    case "packagesApi":
      return plain(await packagesApi(state, call, target.rawProject, target.rawId, target.files));
    case "format":
      // Awaited, not returned: an async function that returns a promise settles two microtask turns later.
      return await serveFormat(state, call, target);
    case "unknown":
      return (await serveHost(state, call, hostRoutes)) ?? plain(notFound());
  }
}

/**
 * A route mounted at the host root, for a path GitLab's API does not own;
 * undefined when none matches. Method `*` takes every method (the route
 * answers 405 itself, in its own format's error body).
 */
async function serveHost(state: RegistryState, call: Call, hostRoutes: readonly MountedHostRoute[]): Promise<Answer | undefined> {
  const segments = decodeSegments(rawSegments(call.rawPath));
  const matches = hostRoutes.flatMap((r) => {
    const params = matchDecoded(r.template, segments);
    return params ? [{ route: r.route, params }] : [];
  });
  if (matches.length === 0) return undefined;
  const method = (m: { readonly route: HostRoute }): string => m.route.method.toUpperCase();
  const chosen =
    matches.find((m) => method(m) === call.method || method(m) === "*") ??
    (call.method === "HEAD" ? matches.find((m) => method(m) === "GET") : undefined);
  if (!chosen) {
    return plain(messageReply(405, "405 Method Not Allowed", { allow: [...new Set(matches.map(method))].join(", ") }));
  }
  const reply = await chosen.route.handle({
    method: call.method,
    params: chosen.params,
    query: call.query,
    headers: call.headers,
    body: call.body,
    origin: `http://${call.headers.host ?? state.hostPort}`,
  });
  return { reply, head: call.method === "HEAD" && method(chosen) === "GET" };
}

/** A host name, IPv4 or bracketed IPv6 address, with an optional port. */
const HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Why a Host header is refused: it becomes part of the links the formats
 * write into metadata (tarball URLs, simple pages, NuGet's XML service
 * document), so it must be a host and port and nothing that breaks out of a
 * URL or an attribute. No Host at all (HTTP/1.0) is fine: the listening address is used.
 */
function hostProblem(host: string | undefined): string | undefined {
  return host === undefined || HOST.test(host) ? undefined : "the Host header is not a host name and port";
}

/** Reads GitLab's URL layout from a path that passed the guard. Nothing is decoded yet. */
function parseTarget(rawPath: string): Target {
  const segments = rawSegments(rawPath);
  const [api, v4, area, id] = segments;
  const tail = segments.slice(4);
  if (api === "api" && v4 === "graphql" && area === undefined) return { kind: "graphql" };
  if (api !== "api" || v4 !== "v4" || id === undefined || id === "") return { kind: "unknown" };
  if (area === "application" && id === "plan_limits" && tail.length === 0) return { kind: "planLimits" };
  if (area === "features" && tail.length === 0) return { kind: "feature", rawName: id };
  // `/projects/:id/packages[/:package_id]` is the Packages API; anything longer is a format's.
  if (area === "projects" && tail[0] === "packages" && (tail.length === 1 || (tail.length === 2 && /^\d+$/.test(tail[1]!)))) {
    return { kind: "packagesApi", rawProject: id, rawId: tail[1] };
  }
  // `/projects/:id/packages/:package_id/package_files[/:package_file_id]` is the
  // Packages API's too (lib/api/package_files.rb): a numeric segment is never a format's.
  if (area === "projects" && tail[0] === "packages" && /^\d+$/.test(tail[1] ?? "") && tail[2] === "package_files" && (tail.length === 3 || (tail.length === 4 && /^\d+$/.test(tail[3]!)))) {
    return { kind: "packagesApi", rawProject: id, rawId: tail[1], files: { rawFileId: tail[3] } };
  }
  if (area === "projects" && tail[0] === "packages" && tail[1] !== undefined) {
    return { kind: "format", level: "project", rawId: id, rawSegment: tail[1], rest: tail.slice(2) };
  }
  if (area === "groups" && tail[0] === "-" && tail[1] === "packages" && tail[2] !== undefined) {
    return { kind: "format", level: "group", rawId: id, rawSegment: tail[2], rest: tail.slice(3) };
  }
  // Instance level (`/api/v4/packages/<format>/...`): read-only, over every project the caller may read.
  if (area === "packages") return { kind: "format", level: "instance", rawId: "", rawSegment: id, rest: tail };
  return { kind: "unknown" };
}

async function serveFormat(state: RegistryState, call: Call, target: FormatTarget): Promise<Answer> {
  const entry = state.served.get(safeDecode(target.rawSegment) ?? target.rawSegment);
  const place = locate(state, call, target, entry);
  if ("refused" in place) return plain(place.refused);
  if (!entry) return plain(notFound());
  const chosen = chooseRoute(entry, target, call.method);
  if ("refused" in chosen) return plain(chosen.refused);
  const granted = grantRoute(state, call, entry.format, chosen.route, place);
  if ("refused" in granted) return plain(granted.refused);
  const request = new FormatRequest(state, call, { entry, target, params: chosen.params, grant: granted });
  return { reply: await chosen.route.handle(request), head: chosen.head };
}

/**
 * The project or group the URL names. One that does not exist is a 404, but a
 * format that checks credentials first (`authenticateFirst`) answers a caller
 * without valid ones 401 instead, except on its public routes.
 */
function locate(state: RegistryState, call: Call, target: FormatTarget, entry: Served | undefined): Place | Refusal {
  if (target.level === "instance") return { level: "instance" };
  const project = target.level === "project" ? findProject(target.rawId) : undefined;
  if (project) return { level: "project", project };
  if (target.level === "group" && findGroup(target.rawId)) return { level: "group" };
  const publicRoute = entry?.routes.some((r) => r.route.access === "public" && matchPath(r.template, target.rest) !== undefined) ?? false;
  if (entry?.format.authenticateFirst && !publicRoute) {
    const challenge = unknownPlaceChallenge(state, call.headers, entry.format);
    if (challenge) return { refused: challenge };
  }
  return { refused: messageReply(404, target.level === "project" ? "404 Project Not Found" : "404 Group Not Found") };
}

/** A format's route, compiled, with its method in upper case. */
interface LevelRoute {
  readonly route: ReferenceRoute;
  readonly template: Template;
  readonly method: string;
}

/** Per served format, its routes at each level, in the format's order: worked out on its first request, not on every one. */
const routesByLevel = new WeakMap<Served, ReadonlyMap<ReferenceLevel, readonly LevelRoute[]>>();

function routesAt(entry: Served, level: ReferenceLevel): readonly LevelRoute[] {
  let levels = routesByLevel.get(entry);
  if (!levels) {
    const byLevel = new Map<ReferenceLevel, LevelRoute[]>();
    for (const { route, template } of entry.routes) {
      for (const at of new Set(levelsOf(route))) {
        let list = byLevel.get(at);
        if (!list) byLevel.set(at, (list = []));
        list.push({ route, template, method: route.method.toUpperCase() });
      }
    }
    routesByLevel.set(entry, (levels = byLevel));
  }
  return levels.get(level) ?? [];
}

/**
 * The route for the path and method among those served at the target's
 * level: 404 when none matches the path, 405 with `Allow` when only the method
 * is wrong; `HEAD` falls back to the `GET` route. The path is decoded once and
 * only routes of the right method are matched against it; the others are
 * matched only to tell a 405 from a 404.
 */
function chooseRoute(entry: Served, target: FormatTarget, method: string): ChosenRoute | Refusal {
  const routes = routesAt(entry, target.level);
  const rest = decodeSegments(target.rest);
  const exact = firstMatch(routes, method, rest);
  if (exact) return { ...exact, head: false };
  const get = method === "HEAD" ? firstMatch(routes, "GET", rest) : undefined;
  if (get) return { ...get, head: true };
  const allow = new Set<string>();
  for (const r of routes) if (matchDecoded(r.template, rest)) allow.add(r.method);
  if (allow.size === 0) return { refused: notFound() };
  return { refused: messageReply(405, "405 Method Not Allowed", { allow: [...allow].join(", ") }) };
}

/** The first route (in the format's order) for `method` that matches the decoded path. */
function firstMatch(
  routes: readonly LevelRoute[],
  method: string,
  decoded: readonly string[],
): { readonly route: ReferenceRoute; readonly params: Record<string, string> } | undefined {
  for (const r of routes) {
    if (r.method !== method) continue;
    const params = matchDecoded(r.template, decoded);
    if (params) return { route: r.route, params };
  }
  return undefined;
}

/**
 * What the route is called with: the call, its grant, and copies of the
 * format's current settings. A class so that the body can stay on demand (a
 * getter on the prototype): a getter in an object literal makes V8 build the
 * object the slow way, on every request.
 */
class FormatRequest implements ReferenceRequest {
  readonly method: string;
  readonly params: Record<string, string>;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly baseUrl: string;
  readonly project: Grant["project"];
  readonly principal: Grant["principal"];
  readonly store: Grant["store"];
  readonly limits: ReferenceRequest["limits"];
  readonly policies: ReferenceRequest["policies"];
  readonly features: Record<string, boolean>;
  readonly visibility: Grant["visibility"];
  // Own functions rather than methods: a route may call them detached from the request.
  readonly packageId: ReferenceRequest["packageId"];
  readonly packageFileId: ReferenceRequest["packageFileId"];
  readonly #call: Call;

  constructor(
    state: RegistryState,
    call: Call,
    served: { readonly entry: Served; readonly target: FormatTarget; readonly params: Record<string, string>; readonly grant: Grant },
  ) {
    const { entry, target, grant } = served;
    const segment = entry.format.segment;
    const host = call.headers.host ?? state.hostPort;
    const prefix = target.level === "project" ? `projects/${target.rawId}` : target.level === "group" ? `groups/${target.rawId}/-` : "";
    this.method = call.method;
    this.params = served.params;
    this.query = call.query;
    this.headers = call.headers;
    this.baseUrl = `http://${host}/api/v4/${prefix ? `${prefix}/` : ""}packages/${target.rawSegment}`;
    this.project = grant.project;
    this.principal = grant.principal;
    this.store = grant.store;
    this.limits = { ...entry.limits };
    this.policies = { ...entry.policies };
    this.features = { ...state.features };
    this.visibility = grant.visibility;
    this.packageId = (name, version) => packageId(state, grant.project.id, segment, name, version);
    this.packageFileId = (name, version, file) => fileId(grant.project.id, segment, name, version, file);
    this.#call = call;
  }

  /** Read on demand: asking for the body is what starts passing it on (exchange.ts). */
  get body(): Readable {
    return this.#call.body;
  }
}

/** Where a route is served: writes at the project only, reads everywhere, unless the route says. */
function levelsOf(route: ReferenceRoute): readonly ReferenceLevel[] {
  return route.levels ?? (route.access === "write" || route.access === "destroy" ? ["project"] : ["project", "group", "instance"]);
}

/** A route's `ReferenceHttpError` is its answer; anything else is a bare 500 and a line on stderr. */
function errorReply(state: RegistryState, error: unknown, call: Call): ReferenceReply {
  if (error instanceof ReferenceHttpError || isReferenceHttpError(error)) {
    return messageReply(error.status, error.message);
  }
  // Nobody is left to read this answer; nothing worth a log line either.
  if (error instanceof ClientGone) return messageReply(400, `400 Bad request - ${error.message}`);
  state.warn(`${call.method} ${call.rawPath} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  return messageReply(500, "500 Internal Server Error");
}

function isReferenceHttpError(error: unknown): error is ReferenceHttpError {
  // A second copy of @regkit/registry (two versions installed) breaks instanceof.
  return (
    error instanceof Error &&
    (error.name === "ReferenceHttpError" || error.name === "ReferenceError413") &&
    typeof (error as { status?: unknown }).status === "number"
  );
}

function plain(reply: ReferenceReply): Answer {
  return { reply, head: false };
}

function notFound(): ReferenceReply {
  return messageReply(404, "404 Not Found");
}
