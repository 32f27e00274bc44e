/**
 * The parts of GitLab's own API the reference registry models, beside the
 * formats' routes: the project-level Packages API (list, show, delete), and the
 * admin settings kits change between runs: instance plan limits (REST), group
 * duplicate settings (GraphQL only, as in GitLab) and feature flags.
 */
import { GITLAB_FACTS, type Policies } from "@regkit/core";
import type { Access } from "./auth.js";
import { ReferenceHttpError, type ReferenceReply } from "./contract.js";
import { type Call, readSmallBody } from "./exchange.js";
import { messageReply } from "./reply.js";
import { safeDecode } from "./router.js";
import { adminRefusal, restApiAccess } from "./scope.js";
import { type IndexedVersion, fileId } from "./package-index.js";
import { GROUP, type ReferenceProject, type RegistryState, type Served, packageIndexOf, storeOf } from "./state.js";

/** GraphQL request bodies are small; anything bigger is not one. */
const MAX_GRAPHQL_BODY = 64 * 1024;
/** Settings bodies are a few parameters; anything bigger is not a settings request. */
const MAX_SETTINGS_BODY = 64 * 1024;
/** What a feature flag name looks like (`pypi_pep_691_json`). */
const FEATURE_NAME = /^[a-z][a-z0-9_]*$/;
/** Formats GitLab has a group duplicates setting for. */
const GROUP_DUPLICATE_SETTINGS: readonly string[] = GITLAB_FACTS.groupSettings.value;

/**
 * GitLab's package statuses (the `status` enum of app/models/packages/package.rb,
 * GitLab 18.x source, commit 017a6c1): the only values `?status=` takes
 * (lib/api/project_packages.rb, `optional :status, values: Packages::Package.statuses.keys`;
 * anything else is Grape's 400).
 */
const PACKAGE_STATUSES: readonly string[] = ["default", "hidden", "processing", "error", "pending_destruction", "deprecated"];
/**
 * What the list shows without `?status=` (`DISPLAYABLE_STATUSES`, package.rb
 * commit 017a6c1; app/finders/packages/finder_helper.rb #filter_by_status:
 * `packages.displayable` unless `params[:status].present?`, else `with_status`).
 * One package by id (`Packages::PackageFinder#execute`, commit 0c4afb9) is
 * looked up in `.displayable` too: a hidden one is 404 there, in its delete and
 * in its package files.
 */
const DISPLAYABLE_STATUSES: readonly string[] = ["default", "error", "deprecated"];
/**
 * What `GET /projects/:id/packages/:package_id` shows (lib/api/project_packages.rb,
 * commit 00c41e9 of its spec / the route's `render_api_error!('Package not found', 404)
 * unless package.detailed_info?`; DETAILED_INFO_STATUSES in package.rb): an
 * `error` package is listed but 404 by id (spec 'when package has no default status').
 */
const DETAILED_INFO_STATUSES: readonly string[] = ["default", "deprecated"];

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

/**
 * GitLab's Packages API, project level: `GET /projects/:id/packages` (filters
 * package_type, package_name (fuzzy), package_version, include_versionless;
 * paginated) and `GET|DELETE /projects/:id/packages/:package_id`.
 */
export async function packagesApi(
  state: RegistryState,
  call: Call,
  rawProject: string,
  rawId: string | undefined,
  files?: { readonly rawFileId: string | undefined },
): Promise<ReferenceReply> {
  const granted = restApiAccess(state, call.headers, rawProject);
  if ("refused" in granted) return granted.refused;
  if (rawId !== undefined && files) return packageFiles(state, call, granted, rawId, files.rawFileId);
  if (rawId !== undefined) return onePackage(state, call, granted, rawId);
  if (call.method !== "GET" && call.method !== "HEAD") return messageReply(405, "405 Method Not Allowed", { allow: "GET" });
  return listPackages(state, call.query, granted.project);
}

/**
 * Versions of a project as GitLab's Packages API lists them, oldest first,
 * from the registry's index (no store is walked). The filters are GitLab's:
 * `package_type` exact, `package_name` a case-insensitive substring of the
 * listed name (formats that list another name than they store, Maven, say how).
 */
async function listedPackages(state: RegistryState, projectId: number, only: { type?: string | null; name?: string | undefined } = {}): Promise<ListedPackage[]> {
  const all: ListedPackage[] = [];
  for (const entry of packageIndexOf(state).list(projectId)) {
    if (only.type && only.type !== (state.served.get(entry.segment)?.format.packageType ?? entry.segment)) continue;
    // A format that lists its stored names is filtered before its store is read (cleanup filters by name).
    if (only.name && !state.served.get(entry.segment)?.format.listed && !entry.name.toLowerCase().includes(only.name)) continue;
    const shown = await listedOf(state, projectId, entry);
    if (!shown) continue;
    if (only.name && !shown.name.toLowerCase().includes(only.name)) continue;
    all.push(shown);
  }
  return all;
}

/** One indexed version as the Packages API shows it; undefined when the store no longer has it. */
async function listedOf(state: RegistryState, projectId: number, entry: IndexedVersion): Promise<ListedPackage | undefined> {
  const served = state.served.get(entry.segment);
  if (!served) return undefined;
  const pkg = await storeOf(state, projectId, entry.segment).get(entry.name);
  if (!pkg) return undefined;
  const shown = served.format.listed?.(pkg, entry.version) ?? { name: entry.name, version: entry.version };
  return {
    id: entry.id,
    name: shown.name,
    version: shown.version,
    package_type: served.format.packageType ?? entry.segment,
    status: shown.status ?? "default",
    created_at: entry.createdAt,
    store: { segment: entry.segment, name: entry.name, version: entry.version },
  };
}

/** One page of a project's packages, with GitLab's pagination headers. */
async function listPackages(state: RegistryState, q: URLSearchParams, project: ReferenceProject): Promise<ReferenceReply> {
  const version = q.get("package_version");
  const versionless = q.get("include_versionless") === "true";
  // An empty `status` is not `present?` in Rails: the displayable ones, as with none.
  const status = q.get("status") || null;
  if (status !== null && !PACKAGE_STATUSES.includes(status)) return { status: 400, body: { error: "status does not have a valid value" } };
  const shows = (s: string): boolean => (status === null ? DISPLAYABLE_STATUSES.includes(s) : s === status);
  const listed = await listedPackages(state, project.id, { type: q.get("package_type"), name: q.get("package_name")?.toLowerCase() });
  const chosen = listed.filter((p) => (version === null || p.version === version) && (versionless || p.version !== null) && shows(p.status));
  return paginated(q, chosen.map(({ store: _store, ...shown }) => shown));
}

/** One page of `items` with GitLab's pagination parameters (`page`, `per_page` up to 100) and headers. */
function paginated<T extends object>(q: URLSearchParams, items: readonly T[]): ReferenceReply {
  const perPage = Math.min(100, Math.max(1, Number(q.get("per_page") ?? 20) || 20));
  const page = Math.max(1, Number(q.get("page") ?? 1) || 1);
  const pages = Math.max(1, Math.ceil(items.length / perPage));
  const body = items.slice((page - 1) * perPage, page * perPage);
  return {
    status: 200,
    headers: {
      "x-page": String(page),
      "x-per-page": String(perPage),
      "x-total": String(items.length),
      "x-total-pages": String(pages),
      "x-next-page": page < pages ? String(page + 1) : "",
      "x-prev-page": page > 1 ? String(page - 1) : "",
    },
    body,
  };
}

/** `GET` or `DELETE /projects/:id/packages/:package_id`: one version. */
async function onePackage(
  state: RegistryState,
  call: Call,
  granted: { readonly project: ReferenceProject; readonly access: Access | "guest" },
  rawId: string,
): Promise<ReferenceReply> {
  const { project, access } = granted;
  // One index lookup: a cleanup deletes hundreds of versions, each by id.
  const indexed = packageIndexOf(state).find(project.id, Number(rawId));
  const found = indexed && String(indexed.id) === rawId ? await listedOf(state, project.id, indexed) : undefined;
  // PackageFinder looks in `.displayable`: a hidden version is not found by id.
  const target = found && DISPLAYABLE_STATUSES.includes(found.status) ? found : undefined;
  if (call.method === "GET" || call.method === "HEAD") {
    if (!target || !DETAILED_INFO_STATUSES.includes(target.status)) return messageReply(404, "404 Package Not Found");
    const { store: _store, ...shown } = target;
    return { status: 200, body: shown };
  }
  if (call.method !== "DELETE") return messageReply(405, "405 Method Not Allowed", { allow: "GET, DELETE" });
  // destroy_package is Maintainer's (GITLAB_FACTS.destroyNeedsMaintainer), checked before the lookup.
  if (access !== "maintain") return messageReply(403, "403 Forbidden");
  if (!target) return messageReply(404, "404 Package Not Found");
  await storeOf(state, project.id, target.store.segment).remove(target.store.name, target.store.version);
  return { status: 204 };
}

/**
 * GitLab's package files endpoint (lib/api/package_files.rb, GitLab 18.x source;
 * commit e8a31d8 and the current one read): `GET /projects/:id/packages/:package_id/package_files`
 * (`paginate(package.installable_package_files...order_id_asc)`: oldest file
 * first, which is the order a version keeps its files in here) and
 * `DELETE .../package_files/:package_file_id` (`authorize_destroy_package!`,
 * then the package, then the file in it, each `not_found!` when absent; 204;
 * the file is marked `pending_destruction` and so leaves the list: here it is removed).
 * A file shows lib/api/entities/package_file.rb's fields: id, package_id,
 * created_at, file_name, size, file_md5, file_sha1, file_sha256 (`pipelines`
 * only when a CI build made it, which the reference has none of).
 */
async function packageFiles(
  state: RegistryState,
  call: Call,
  granted: { readonly project: ReferenceProject; readonly access: Access | "guest" },
  rawId: string,
  rawFileId: string | undefined,
): Promise<ReferenceReply> {
  const { project, access } = granted;
  const listing = rawFileId === undefined;
  if (listing && call.method !== "GET" && call.method !== "HEAD") return messageReply(405, "405 Method Not Allowed", { allow: "GET" });
  if (!listing && call.method !== "DELETE") return messageReply(405, "405 Method Not Allowed", { allow: "DELETE" });
  // The delete checks who may destroy before it looks anything up, as the package delete does.
  if (!listing && access !== "maintain") return messageReply(403, "403 Forbidden");
  const indexed = packageIndexOf(state).find(project.id, Number(rawId));
  const found = indexed && String(indexed.id) === rawId ? await listedOf(state, project.id, indexed) : undefined;
  // Packages::PackageFinder looks in `.displayable` (see DISPLAYABLE_STATUSES).
  if (!indexed || !found || !DISPLAYABLE_STATUSES.includes(found.status)) return messageReply(404, "404 Package Not Found");
  const store = storeOf(state, project.id, indexed.segment);
  const version = (await store.get(indexed.name))?.versions.find((v) => v.version === indexed.version);
  if (!version) return messageReply(404, "404 Package Not Found");
  const checksums = state.served.get(indexed.segment)?.format.packageFileChecksums ?? ["md5", "sha1", "sha256"];
  const shown = version.files.map((file) => ({
    id: fileId(project.id, indexed.segment, indexed.name, indexed.version, file),
    package_id: indexed.id,
    created_at: file.createdAt,
    file_name: file.filename,
    size: file.size,
    file_md5: checksums.includes("md5") ? file.digests.md5 : null,
    file_sha1: checksums.includes("sha1") ? file.digests.sha1 : null,
    file_sha256: checksums.includes("sha256") ? file.digests.sha256 : null,
  }));
  if (listing) return paginated(call.query, shown);
  const doomed = shown.find((f) => String(f.id) === rawFileId);
  if (!doomed) return messageReply(404, "404 Not found");
  if (!(await store.removeFile(indexed.name, indexed.version, doomed.file_name))) return messageReply(404, "404 Not found");
  return { status: 204 };
}

/** GitLab's instance plan limits (admin): `GET|PUT /application/plan_limits`, one `<segment>_max_file_size` per format. */
export async function planLimits(state: RegistryState, call: Call): Promise<ReferenceReply> {
  const denied = adminRefusal(state, call.headers);
  if (denied) return denied;
  if (call.method !== "GET" && call.method !== "PUT") return messageReply(405, "405 Method Not Allowed", { allow: "GET, PUT" });
  const params = await settingsParams(call);
  const plan = params.get("plan_name") ?? (call.method === "GET" ? "default" : undefined);
  if (plan !== "default") return messageReply(400, '400 Bad request - plan_name must be "default"');
  if (call.method === "PUT") {
    // Every value is checked before any is applied: a bad request changes nothing.
    const changes = new Map<Served, number>();
    for (const [segment, entry] of state.served) {
      const value = params.get(`${segment}_max_file_size`);
      if (value === null) continue;
      if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
        return messageReply(400, `400 Bad request - ${segment}_max_file_size is invalid`);
      }
      changes.set(entry, Number(value));
    }
    for (const [entry, maxFileSize] of changes) entry.limits = { ...entry.limits, maxFileSize };
  }
  return { status: 200, body: Object.fromEntries([...state.served].map(([s, e]) => [`${s}_max_file_size`, e.limits.maxFileSize])) };
}

/**
 * GitLab changes group package settings only through GraphQL: the mutation
 * `updateNamespacePackageSettings(input: {namespacePath, <format>DuplicatesAllowed})`,
 * for the formats GitLab has a duplicates setting for (GITLAB_FACTS.groupSettings).
 * Inline arguments and `variables.input` are both read; nothing else of GraphQL is served.
 */
export async function graphql(state: RegistryState, call: Call): Promise<ReferenceReply> {
  if (call.method !== "POST") return messageReply(405, "405 Method Not Allowed", { allow: "POST" });
  const denied = adminRefusal(state, call.headers);
  if (denied) return denied;
  const body = await readSmallJson(call, MAX_GRAPHQL_BODY);
  const query = typeof body.query === "string" ? body.query : "";
  if (!namesMutation(query)) {
    return { status: 200, body: { errors: [{ message: "the reference registry serves only the updateNamespacePackageSettings mutation" }] } };
  }
  const input = mutationInput(body, query);
  // Errors in the query itself are GraphQL's to report: 200 with `errors`, as GraphQL servers answer them.
  if (input === undefined) return { status: 200, body: { errors: [{ message: "Parse error: a string argument in the query is not a valid string" }] } };
  if (input.namespacePath !== GROUP.path) {
    return { status: 200, body: { data: { updateNamespacePackageSettings: null }, errors: [{ message: `The resource that you are attempting to access does not exist or you don't have permission to perform this action` }] } };
  }
  return updateDuplicateSettings(state, input);
}

/**
 * Whether the query is the `updateNamespacePackageSettings` mutation. Two
 * linear searches: one regex spanning both words backtracks over the whole
 * query from every `mutation` in it (a 64 KiB query of them takes a second).
 */
function namesMutation(query: string): boolean {
  const mutation = /\bmutation\b/.exec(query);
  return mutation !== null && /\bupdateNamespacePackageSettings\b/.test(query.slice(mutation.index + mutation[0].length));
}

/**
 * The mutation's input: `variables.input` (when it is an object), overridden
 * by arguments written inline in the query; undefined when an inline string is
 * not a valid string. A key starts only where a word starts (the lookbehind):
 * otherwise every position inside a long word is tried again, quadratic in the
 * query's length (64 KiB of letters took ten seconds).
 */
function mutationInput(body: Record<string, unknown>, query: string): Record<string, unknown> | undefined {
  const variables = isObject(body.variables) ? body.variables : {};
  const input: Record<string, unknown> = isObject(variables.input) ? { ...variables.input } : {};
  for (const [, key, value] of query.matchAll(/(?<!\w)(\w+)\s*:\s*("(?:[^"\\]|\\.)*"|true|false)/g)) {
    if (value === "true" || value === "false") {
      input[key!] = value === "true";
      continue;
    }
    try {
      input[key!] = JSON.parse(value!);
    } catch {
      return undefined;
    }
  }
  return input;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Applies every `<format>DuplicatesAllowed` of the input, or none when one is not a setting GitLab has. */
function updateDuplicateSettings(state: RegistryState, input: Record<string, unknown>): ReferenceReply {
  const changes = new Map<Served, Policies["duplicates"]>();
  for (const [key, value] of Object.entries(input)) {
    const match = /^(\w+)DuplicatesAllowed$/.exec(key);
    if (!match) continue;
    const entry = state.served.get(match[1]!);
    if (!entry || !GROUP_DUPLICATE_SETTINGS.includes(match[1]!) || typeof value !== "boolean") {
      return { status: 200, body: { errors: [{ message: `Argument '${key}' on InputObject 'UpdateNamespacePackageSettingsInput' is not accepted` }] } };
    }
    changes.set(entry, value ? "allow" : "reject");
  }
  for (const [entry, duplicates] of changes) entry.policies = { ...entry.policies, duplicates };
  const settings = Object.fromEntries(
    [...state.served].filter(([segment]) => GROUP_DUPLICATE_SETTINGS.includes(segment)).map(([segment, entry]) => [`${segment}DuplicatesAllowed`, entry.policies.duplicates === "allow"]),
  );
  return { status: 200, body: { data: { updateNamespacePackageSettings: { packageSettings: settings, errors: [] } } } };
}

/** GitLab's Features API (admin): `POST /api/v4/features/:name` with `value=true|false`. */
export async function featureFlag(state: RegistryState, call: Call, rawName: string): Promise<ReferenceReply> {
  const denied = adminRefusal(state, call.headers);
  if (denied) return denied;
  const name = safeDecode(rawName) ?? rawName;
  if (call.method !== "POST") return messageReply(405, "405 Method Not Allowed", { allow: "POST" });
  // Flag names are snake_case words; anything else (`__proto__`, `constructor`)
  // would write into the flags object's prototype chain instead of setting a flag.
  if (!FEATURE_NAME.test(name) || name in Object.prototype) return messageReply(400, "400 Bad request - name is invalid");
  const value = (await settingsParams(call)).get("value");
  if (value !== "true" && value !== "false") return messageReply(400, "400 Bad request - value is missing");
  state.features[name] = value === "true";
  return { status: 201, body: { name, state: state.features[name] ? "on" : "off", gates: [{ key: "boolean", value: state.features[name] }] } };
}

/** Query parameters plus, for PUT and POST, a small JSON or form body (GitLab's API takes both). */
async function settingsParams(call: Call): Promise<URLSearchParams> {
  const params = new URLSearchParams(call.query);
  if (call.method !== "PUT" && call.method !== "POST") return params;
  const type = (call.headers["content-type"] ?? "").toLowerCase();
  const json = type.includes("json");
  if (!json && !type.includes("x-www-form-urlencoded")) return params;
  const text = (await readSmallBody(call, MAX_SETTINGS_BODY)).toString("utf8");
  if (text.trim() === "") return params;
  if (!json) {
    for (const [key, value] of new URLSearchParams(text)) params.set(key, value);
    return params;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReferenceHttpError(400, "400 Bad request - the body is not JSON");
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ReferenceHttpError(400, "400 Bad request - the body must be a JSON object");
  }
  for (const [key, value] of Object.entries(parsed)) {
    // Settings are scalars; String() of a nested array recurses as deep as it nests.
    if (value !== null && typeof value === "object") throw new ReferenceHttpError(400, `400 Bad request - ${key} is invalid`);
    params.set(key, String(value));
  }
  return params;
}

/** A small JSON object request body (GraphQL); 400 when the body is not one (as Rails answers a body it cannot parse). */
async function readSmallJson(call: Call, limit: number): Promise<Record<string, unknown>> {
  const bytes = await readSmallBody(call, limit);
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString("utf8"));
  } catch {
    throw new ReferenceHttpError(400, "400 Bad request - the body is not JSON");
  }
  if (!isObject(parsed)) throw new ReferenceHttpError(400, "400 Bad request - the body must be a JSON object");
  return parsed;
}
