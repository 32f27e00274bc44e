/**
 * Conan routes of the embedded reference registry, answering as GitLab's
 * Conan v2 API does (every status, rule and limit from the facts in
 * `../gitlab.ts`), at project level: `v1/ping`, `v2/users/authenticate`,
 * `v2/users/check_credentials`, `v2/conans/search`, and the recipe and package
 * revision routes under `v2/conans/:name/:version/:user/:channel`; and the v1
 * API GitLab still serves (conanGitLabFacts.v1Routes): `v1/users/*`,
 * `v1/conans/search`, the snapshots, `digest`, `download_urls`, `upload_urls`
 * and DELETE under `v1/conans/:name/:version/:user/:channel`, and the file
 * routes under `v1/files/…/0/export` and `…/0/package/:pkgid/:prev`. A v1
 * upload is recipe (and package) revision `0` of the same store, so v2 sees it.
 * The v1 reads (and `upload_urls`) are served at instance level too,
 * `/api/v4/packages/conan/v1/…` (conanGitLabFacts.instanceLevel): there a
 * recipe's user names the project (`regkit+demo` for `regkit/demo`); `_` and a
 * user naming any other project answer 404, the file URLs answered are the
 * instance ones, and search scopes to the project a query's user names
 * (conanGitLabFacts.instanceSearch). The v1 writes stay at project level: the
 * reference registry's instance level is read-only.
 *
 * - A recipe `name/version@user/channel` is a store package `name` whose
 *   version is `version` (`version@user/channel` when user and channel are
 *   not `_`). Its files are stored as `<rrev>/<file>` and
 *   `<rrev>/<pkgid>/<prev>/<file>`; the revisions, in creation order, are kept
 *   in the package's metadata, so `latest` is the first created of the newest,
 *   and re-uploading a revision neither duplicates nor reorders it (GitLab's
 *   upsert). Uploads are never refused as duplicates (conanGitLabFacts.duplicates).
 * - Deleting a revision hides it at once; the last one removes the version.
 * - `users/authenticate` answers a JWT (HS256, expiring after three months,
 *   as Gitlab::ConanToken), the only Bearer value these routes read
 *   (`bearerToken`): a raw token, a forged or an expired JWT is no credential. Where
 *   GitLab's payload carries a deploy or job token itself (a personal token by
 *   its id), the reference's carries every kind sealed (AES-GCM), so a JWT in a
 *   report never shows a token even before redaction.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { type ReferenceFormat, type ReferenceReply, type ReferenceRequest, type ReferenceRoute, ReferenceHttpError, type StoredPackage } from "@regkit/registry/contract";
import { conanGitLabFacts as facts } from "../gitlab.js";

const NONE = facts.userChannelRule.value.none;

interface Revision {
  readonly revision: string;
  readonly time: string;
}
interface VersionRevisions {
  readonly recipe: readonly Revision[];
  /** `<rrev>:<pkgid>` → package revisions, oldest first. */
  readonly packages: Readonly<Record<string, readonly Revision[]>>;
}
/** Version key → its revisions; the stored one is frozen, so a change copies what it touches. */
type RevisionIndex = Record<string, VersionRevisions>;

function message(status: number, text: string): ReferenceReply {
  return { status, body: { message: text } };
}

const notFound = (what: string): ReferenceReply => message(404, `404 ${what} Not Found`);

/** GitLab's time format for revisions: `2024-12-17T09:16:40.334+0000`. */
function conanTime(date = new Date()): string {
  return date.toISOString().replace("Z", "+0000");
}

/** The package's revision index, as a new object whose entries are the stored (frozen) ones: replace an entry to change it. */
function indexOf(metadata: Readonly<Record<string, unknown>>): RevisionIndex {
  const value = metadata.revisions;
  return value !== null && typeof value === "object" && !Array.isArray(value) ? { ...(value as RevisionIndex) } : {};
}

function versionKey(params: Readonly<Record<string, string>>): string {
  const { version, user, channel } = params as Record<string, string>;
  return user === NONE && channel === NONE ? version! : `${version}@${user}/${channel}`;
}

function reference(params: Readonly<Record<string, string>>): string {
  return `${params.name}/${params.version}@${params.user}/${params.channel}`;
}

/** `Packages::Conan::Metadatum.full_path_from`: the project path a recipe's user names (`+` for `/`). */
export function fullPathFrom(user: string): string {
  return user.split(facts.instanceLevel.value.separator).join("/");
}

/**
 * Grape's parameter validation, then GitLab's user/channel rule: the first
 * problem, or undefined. At instance level (`project`: the registry's one
 * project) a user `_` is 404 first, and a user naming another project 404
 * (conanGitLabFacts.instanceLevel).
 */
function checkParams(params: Readonly<Record<string, string>>, project?: string): ReferenceReply | undefined {
  if (params.name === undefined) return undefined;
  const invalid: string[] = [];
  if (!facts.componentRule.value.test(params.name ?? "")) invalid.push("package_name");
  if (!facts.componentRule.value.test(params.version ?? "")) invalid.push("package_version");
  if (!facts.userChannelRule.value.rule.test(params.user ?? "")) invalid.push("package_username");
  if (!facts.userChannelRule.value.rule.test(params.channel ?? "")) invalid.push("package_channel");
  if (params.rrev !== undefined && !(facts.revisionRule.value.test(params.rrev) || params.rrev === "0")) invalid.push("recipe_revision");
  if (params.pkgid !== undefined && !facts.packageReferenceRule.value.test(params.pkgid)) invalid.push("conan_package_reference");
  if (params.prev !== undefined && !(facts.revisionRule.value.test(params.prev) || params.prev === "0")) invalid.push("package_revision");
  if (invalid.length > 0) return { status: 400, body: { error: invalid.map((p) => `${p} is invalid`).join(", ") } };
  if (params.file !== undefined) {
    const files: readonly string[] = [...facts.fileNames.value.recipe, ...facts.fileNames.value.package];
    if (!files.includes(params.file)) return { status: facts.fileNames.value.invalid, body: { error: "file_name does not have a valid value" } };
  }
  // check_username_channel: at instance level the user names the project, `_` is not found at once.
  if (project !== undefined && params.user === NONE) return message(facts.instanceLevel.value.noneUser, "404 Not Found");
  // Packages::Conan::Metadatum.validate_username_and_channel: both `_` or neither.
  if ((params.user === NONE) !== (params.channel === NONE)) {
    return message(facts.userChannelRule.value.mixedNone, `400 Bad request - ${params.user === NONE ? "username" : "channel"} can't be solely blank`);
  }
  // #project at instance level: find_project!(full_path_from(package_username)).
  if (project !== undefined && fullPathFrom(params.user!) !== project) return message(facts.instanceLevel.value.unknownProject, "404 Project Not Found");
  return undefined;
}

type Handler = (req: ReferenceRequest) => Promise<ReferenceReply>;

/** A project-level route whose params are checked first. */
function route(method: string, path: string, access: ReferenceRoute["access"], handle: Handler, anonymous: 401 | 404 = access === "read" ? 404 : 401): ReferenceRoute {
  return {
    method,
    path,
    access,
    // A private project is hidden from anonymous readers (conanGitLabFacts.anonymousRead); writes and users/* answer 401 (authenticate_non_get!, authenticate!).
    anonymous,
    levels: facts.routes.value.levels,
    async handle(req) {
      return checkParams(req.params) ?? handle(req);
    },
  };
}

/**
 * A v1 route, at project level and, for reads, at instance level
 * (conanGitLabFacts.v1Routes, instanceLevel): at instance level the recipe's
 * user must name the caller's project there (`regkit+demo`), else 404 as
 * GitLab's `find_project!`. GitLab takes the v1 writes (file PUTs, the
 * recipe's DELETE) at instance level too; the reference registry's instance
 * level is read-only (a read-only union of the projects' stores, no write
 * rights in its grant), so those are served at project level only here and
 * the instance level answers them 405 (the method of a read route).
 */
function v1Route(method: string, path: string, access: ReferenceRoute["access"], handle: Handler, anonymous: 401 | 404 = access === "read" ? 404 : 401, atInstance: Handler = handle): ReferenceRoute[] {
  const levels = facts.v1Routes.value.levels.filter((l) => l !== "instance");
  if (access === "write" || access === "destroy") return [{ ...route(method, path, access, handle, anonymous), levels }];
  return [
    { ...route(method, path, access, handle, anonymous), levels },
    {
      method,
      path,
      access,
      anonymous,
      levels: ["instance"],
      async handle(req) {
        return checkParams(req.params, req.project.path) ?? atInstance(req);
      },
    },
  ];
}

interface Found {
  readonly pkg: StoredPackage;
  readonly key: string;
  readonly revisions: VersionRevisions;
}

async function findRecipe(req: ReferenceRequest): Promise<Found | undefined> {
  const pkg = await req.store.get(req.params.name!);
  const key = versionKey(req.params);
  if (!pkg || !pkg.versions.some((v) => v.version === key)) return undefined;
  const revisions = indexOf(pkg.metadata)[key] ?? { recipe: [], packages: {} };
  return { pkg, key, revisions };
}

function newestFirst(list: readonly Revision[]): Revision[] {
  return [...list].reverse();
}

function hasRecipeRevision(found: Found, rrev: string): boolean {
  return found.revisions.recipe.some((r) => r.revision === rrev);
}

function packageRevisionsOf(found: Found, rrev: string, pkgid: string): readonly Revision[] {
  return hasRecipeRevision(found, rrev) ? (found.revisions.packages[`${rrev}:${pkgid}`] ?? []) : [];
}

/** The stored name of a file: `<rrev>/<file>` or `<rrev>/<pkgid>/<prev>/<file>`. */
function storedName(params: Readonly<Record<string, string>>): string {
  return params.pkgid === undefined ? `${params.rrev}/${params.file}` : `${params.rrev}/${params.pkgid}/${params.prev}/${params.file}`;
}

function isTooLarge(error: unknown): boolean {
  return error instanceof ReferenceHttpError && error.status === 413;
}

/** `PUT …/files/:file`: stores the raw body, creating the recipe and its revisions on the first file. */
async function upload(req: ReferenceRequest): Promise<ReferenceReply> {
  const { params } = req;
  let staged;
  try {
    staged = await req.store.stage(req.body, req.limits.maxFileSize);
  } catch (error) {
    if (isTooLarge(error)) return message(facts.maxFileSize.value.status, facts.maxFileSize.value.message);
    throw error;
  }
  // GitLab skips empty files: the Conan client's first, empty request of an upload (api_helpers.rb #create_package_file_with_type).
  if (staged.size === 0) {
    await req.store.discard(staged);
    return { status: facts.upload.value.status, body: "null", headers: { "content-type": "application/json" } };
  }
  const key = versionKey(params);
  const filename = storedName(params);
  const now = conanTime();
  await req.store.commit({
    name: params.name!,
    version: key,
    files: [{ filename, staged }],
    metadata: { reference: reference(params) },
    duplicates: "allow",
    fileDuplicates: "allow",
    update: (metadata) => {
      const index = indexOf(metadata);
      const entry = index[key] ?? { recipe: [], packages: {} };
      // Upserts: a revision already stored keeps its place and time.
      const recipe = entry.recipe.some((r) => r.revision === params.rrev) ? entry.recipe : [...entry.recipe, { revision: params.rrev!, time: now }];
      let packages = entry.packages;
      if (params.pkgid !== undefined) {
        const k = `${params.rrev}:${params.pkgid}`;
        const list = packages[k] ?? [];
        if (!list.some((r) => r.revision === params.prev)) packages = { ...packages, [k]: [...list, { revision: params.prev!, time: now }] };
      }
      index[key] = { recipe, packages };
      return { ...metadata, revisions: index };
    },
  });
  const file = await req.store.open(params.name!, key, filename);
  if (!file) return notFound("Package");
  return {
    status: facts.upload.value.status,
    body: {
      id: req.packageFileId(params.name!, key, file),
      package_id: req.packageId(params.name!, key),
      created_at: file.createdAt,
      updated_at: file.createdAt,
      size: file.size,
      file_store: 1,
      file_md5: file.digests.md5,
      file_sha1: file.digests.sha1,
      file_name: params.file,
      file_sha256: null,
      status: "default",
      project_id: req.project.id,
    },
  };
}

async function download(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  const { params } = req;
  const live = params.pkgid === undefined ? hasRecipeRevision(found, params.rrev!) : packageRevisionsOf(found, params.rrev!, params.pkgid).some((r) => r.revision === params.prev);
  const file = live ? await req.store.open(params.name!, found.key, storedName(params)) : undefined;
  if (!file) return notFound("Package file");
  return {
    status: 200,
    headers: { "content-type": "application/octet-stream", "content-length": String(file.size), "content-disposition": `attachment; filename="${params.file}"` },
    body: file.stream(),
  };
}

async function listFiles(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  const { params } = req;
  const version = found.pkg.versions.find((v) => v.version === found.key)!;
  const live = params.pkgid === undefined ? hasRecipeRevision(found, params.rrev!) : packageRevisionsOf(found, params.rrev!, params.pkgid).some((r) => r.revision === params.prev);
  const prefix = params.pkgid === undefined ? `${params.rrev}/` : `${params.rrev}/${params.pkgid}/${params.prev}/`;
  const files: Record<string, Record<string, never>> = {};
  if (live) {
    for (const f of version.files) {
      const rest = f.filename.startsWith(prefix) ? f.filename.slice(prefix.length) : undefined;
      if (rest !== undefined && !rest.includes("/")) files[rest] = {};
    }
  }
  if (Object.keys(files).length === 0) return notFound(params.pkgid === undefined ? "Recipe files" : "Package files");
  return { status: facts.files.value.status, body: { files } };
}

async function latestRecipe(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  const last = found.revisions.recipe.at(-1);
  if (!last) return notFound("Revision");
  return { status: facts.latest.value.status, body: last };
}

async function recipeRevisions(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  return { status: facts.revisionsList.value.status, body: { reference: reference(req.params), revisions: newestFirst(found.revisions.recipe) } };
}

async function latestPackage(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  const last = packageRevisionsOf(found, req.params.rrev!, req.params.pkgid!).at(-1);
  if (!last) return notFound("Revision");
  return { status: facts.latest.value.status, body: last };
}

async function packageRevisions(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  const { params } = req;
  const list = newestFirst(packageRevisionsOf(found, params.rrev!, params.pkgid!)).slice(0, facts.revisionsList.value.max);
  return { status: facts.revisionsList.value.status, body: { reference: `${reference(params)}#${params.rrev}:${params.pkgid}`, revisions: list } };
}

/** The package references of a recipe (or of one of its revisions), as GitLab answers `…/search`. */
async function packageSearch(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  const rrevs = req.params.rrev === undefined ? found.revisions.recipe.map((r) => r.revision) : found.revisions.recipe.some((r) => r.revision === req.params.rrev) ? [req.params.rrev] : undefined;
  if (!rrevs) return notFound("Revision");
  const body: Record<string, unknown> = {};
  for (const key of Object.keys(found.revisions.packages)) {
    const [rrev, pkgid] = key.split(":");
    if (rrevs.includes(rrev!) && (found.revisions.packages[key]?.length ?? 0) > 0) body[pkgid!] = { settings: {}, options: {}, requires: {}, recipe_hash: rrev };
  }
  return { status: 200, body };
}

/** Removes a recipe revision (the last one removes the version), or a package revision. */
async function remove(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  const { params } = req;
  const key = found.key;
  if (params.pkgid === undefined) {
    if (!hasRecipeRevision(found, params.rrev!)) return notFound("Revision");
    if (found.revisions.recipe.length === 1) {
      await req.store.updateMetadata(params.name!, (metadata) => {
        const index = indexOf(metadata);
        delete index[key];
        return { ...metadata, revisions: index };
      });
      await req.store.remove(params.name!, key);
      return { status: facts.deleteRevision.value.status, body: "" };
    }
  } else if (!packageRevisionsOf(found, params.rrev!, params.pkgid).some((r) => r.revision === params.prev)) {
    return notFound("Package Revision");
  }
  await req.store.updateMetadata(params.name!, (metadata) => {
    const index = indexOf(metadata);
    const entry = index[key];
    if (!entry) return metadata;
    if (params.pkgid === undefined) {
      index[key] = {
        recipe: entry.recipe.filter((r) => r.revision !== params.rrev),
        packages: Object.fromEntries(Object.entries(entry.packages).filter(([k]) => !k.startsWith(`${params.rrev}:`))),
      };
    } else {
      const k = `${params.rrev}:${params.pkgid}`;
      index[key] = { ...entry, packages: { ...entry.packages, [k]: (entry.packages[k] ?? []).filter((r) => r.revision !== params.prev) } };
    }
    return { ...metadata, revisions: index };
  });
  return { status: facts.deleteRevision.value.status, body: "" };
}

/** A stored file of a live revision: `<rrev>/<file>` (recipe) or `<rrev>/<pkgid>/<prev>/<file>` (package). */
interface LiveFile {
  readonly rrev: string;
  readonly pkgid?: string | undefined;
  readonly prev?: string | undefined;
  readonly file: string;
  readonly md5: string;
}

/** The live files of a recipe, in the order stored (GitLab's presenter maps every package file; a later one of a name wins). */
function liveFiles(found: Found): LiveFile[] {
  const version = found.pkg.versions.find((v) => v.version === found.key);
  const out: LiveFile[] = [];
  for (const f of version?.files ?? []) {
    const parts = f.filename.split("/");
    if (parts.length === 2 && hasRecipeRevision(found, parts[0]!)) out.push({ rrev: parts[0]!, file: parts[1]!, md5: f.digests.md5 });
    else if (parts.length === 4 && packageRevisionsOf(found, parts[0]!, parts[1]!).some((r) => r.revision === parts[2])) {
      out.push({ rrev: parts[0]!, pkgid: parts[1]!, prev: parts[2]!, file: parts[3]!, md5: f.digests.md5 });
    }
  }
  return out;
}

/** `<origin>/api/v4/projects/:id/packages/conan/v1/files/<name>/<version>/<user>/<channel>/<rrev>/`: GitLab's `expose_url` of the v1 file routes. */
function v1FilesBase(req: ReferenceRequest, rrev: string): string {
  const { name, version, user, channel } = req.params;
  return `${req.baseUrl}/v1/files/${name}/${version}/${user}/${channel}/${rrev}`;
}

function v1FileUrl(req: ReferenceRequest, file: LiveFile): string {
  const base = v1FilesBase(req, file.rrev);
  return file.pkgid === undefined ? `${base}/export/${file.file}` : `${base}/package/${file.pkgid}/${file.prev}/${file.file}`;
}

/** The files the v1 presenter maps: the recipe's, or those of the package id asked for. */
async function v1Files(req: ReferenceRequest): Promise<LiveFile[]> {
  const found = await findRecipe(req);
  if (!found) return [];
  const recipeFiles: readonly string[] = facts.fileNames.value.recipe;
  const packageFiles: readonly string[] = facts.fileNames.value.package;
  return liveFiles(found).filter((f) =>
    req.params.pkgid === undefined ? f.pkgid === undefined && recipeFiles.includes(f.file) : f.pkgid === req.params.pkgid && packageFiles.includes(f.file),
  );
}

/** `GET v1/conans/…` and `…/packages/:pkgid`: file name → MD5 (`{}` for a recipe GitLab does not have). */
async function v1Snapshot(req: ReferenceRequest): Promise<ReferenceReply> {
  const body: Record<string, string> = {};
  for (const f of await v1Files(req)) body[f.file] = f.md5;
  return { status: facts.v1Snapshot.value.status, body };
}

/** `GET v1/conans/…/download_urls` (and `digest`), recipe or package: file name → absolute URL; none 404. */
async function v1DownloadUrls(req: ReferenceRequest): Promise<ReferenceReply> {
  const body: Record<string, string> = {};
  for (const f of await v1Files(req)) body[f.file] = v1FileUrl(req, f);
  if (Object.keys(body).length === 0) return message(facts.v1DownloadUrls.value.missing, facts.v1DownloadUrls.value.message);
  return { status: facts.v1DownloadUrls.value.status, body };
}

/** `POST v1/conans/…/upload_urls` (recipe or package): the requested names that are recipe (package) files → their revision-`0` upload URL. */
async function v1UploadUrls(req: ReferenceRequest): Promise<ReferenceReply> {
  const chunks: Buffer[] = [];
  for await (const chunk of req.body) chunks.push(Buffer.from(chunk as Uint8Array));
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    payload = undefined;
  }
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return message(facts.v1UploadUrls.value.notAnObject, "400 Bad request");
  const rev = facts.v1UploadUrls.value.revision;
  const allowed: readonly string[] = req.params.pkgid === undefined ? facts.fileNames.value.recipe : facts.fileNames.value.package;
  const body: Record<string, string> = {};
  for (const file of Object.keys(payload)) {
    if (!allowed.includes(file)) continue;
    body[file] = v1FileUrl(req, req.params.pkgid === undefined ? { rrev: rev, file, md5: "" } : { rrev: rev, pkgid: req.params.pkgid, prev: rev, file, md5: "" });
  }
  return { status: facts.v1UploadUrls.value.status, body };
}

/** `DELETE v1/conans/…`: the whole recipe, every revision and package. */
async function v1Remove(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await findRecipe(req);
  if (!found) return notFound("Package");
  await req.store.updateMetadata(req.params.name!, (metadata) => {
    const index = indexOf(metadata);
    delete index[found.key];
    return { ...metadata, revisions: index };
  });
  await req.store.remove(req.params.name!, found.key);
  return { status: facts.v1Delete.value.status, body: "" };
}

/** The v1 file routes take recipe revision `0` only (`conan_revision_regex`). */
function v1File(handle: (req: ReferenceRequest) => Promise<ReferenceReply>): (req: ReferenceRequest) => Promise<ReferenceReply> {
  return async (req) => (req.params.rrev === facts.v1Routes.value.revision ? handle(req) : { status: facts.v1Routes.value.badRevision, body: { error: "recipe_revision is invalid" } });
}

/** SQL LIKE (GitLab's `with_name_like`, ILIKE) of a Conan pattern whose `*` is the wildcard. */
function like(pattern: string): RegExp {
  const body = pattern
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "i");
}

/** `GET v2/conans/search?q=` as Packages::Conan::SearchService and PackageFinder answer it. */
async function search(req: ReferenceRequest): Promise<ReferenceReply> {
  const rule = facts.search.value;
  const q = req.query.get("q");
  if (q === null) return { status: 400, body: { error: "q is missing" } };
  if (q.length > rule.maxLength) return message(rule.tooMany, `400 Bad request - Search term length must be less than ${rule.maxLength} characters.`);
  if (q.split(rule.wildcard).length - 1 > rule.maxWildcards) return message(rule.tooMany, `400 Bad request - Too many wildcards in search term. Maximum is ${rule.maxWildcards}.`);
  if (q === rule.wildcard) return { status: rule.status, body: { results: [] } };
  const [name, version] = q.split(/[@/]/);
  if (!name || (name === "*" && version === "*")) return { status: rule.status, body: { results: [] } };
  const nameLike = like(name);
  const versionMatch = version === undefined || version === "" ? undefined : version.includes("*") ? like(version) : new RegExp(`^${version.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
  const found: { ref: string; at: string }[] = [];
  for (const packageName of await req.store.names()) {
    if (!nameLike.test(packageName)) continue;
    const pkg = await req.store.get(packageName);
    for (const v of pkg?.versions ?? []) {
      const recipeVersion = v.version.split("@")[0]!;
      if (versionMatch && !versionMatch.test(recipeVersion)) continue;
      const userChannel = v.version.includes("@") ? v.version.slice(v.version.indexOf("@") + 1) : `${NONE}/${NONE}`;
      found.push({ ref: `${packageName}/${recipeVersion}@${userChannel}`, at: v.createdAt });
    }
  }
  // The most recent MAX_PACKAGES_COUNT (PackageFinder#limit_recent).
  found.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
  return { status: rule.status, body: { results: found.slice(0, rule.max).map((f) => f.ref) } };
}

/**
 * `GET v1/conans/search?q=` at instance level (conanGitLabFacts.instanceSearch):
 * the project-level answer, but a query whose user (its third part) names
 * another project finds nothing.
 */
async function instanceSearch(req: ReferenceRequest): Promise<ReferenceReply> {
  const reply = await search(req);
  const user = (req.query.get("q") ?? "").split(/[@/]/)[2];
  if (reply.status !== facts.search.value.status || user === undefined || user === "" || fullPathFrom(user) === req.project.path) return reply;
  return { status: facts.instanceSearch.value.status, body: { results: [...facts.instanceSearch.value.otherProject] } };
}

/** The keys this process signs and seals Conan tokens with (each process its own, as each GitLab its db_key_base). */
const TOKEN_KEYS = { sign: randomBytes(32), seal: randomBytes(32) };

/**
 * A Conan JWT for `token` (Gitlab::ConanToken#to_jwt, lib/gitlab/conan_token.rb
 * commit 094a8a9: HS256, `access_token`, `user_id`, expiring at the token's own
 * expiry or in MAX_CONAN_TOKEN_EXPIRE_TIME, three months, whichever is first).
 * Exported for tests (an expired one).
 */
export function issueConanToken(token: string, user: string, expiresAt = Date.now() + 90 * 24 * 3600 * 1000): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", TOKEN_KEYS.seal, iv);
  const sealed = Buffer.concat([iv, cipher.update(token, "utf8"), cipher.final(), cipher.getAuthTag()]).toString("base64url");
  const part = (doc: object): string => Buffer.from(JSON.stringify(doc)).toString("base64url");
  const head = `${part({ typ: "JWT", alg: "HS256" })}.${part({ access_token: sealed, user_id: user, exp: Math.floor(expiresAt / 1000) })}`;
  return `${head}.${createHmac("sha256", TOKEN_KEYS.sign).update(head).digest("base64url")}`;
}

/** The token a Conan JWT of this process carries; undefined for anything else, forged or expired (ConanToken.decode rescues those to nil). */
export function readConanToken(jwt: string): string | undefined {
  const [head, body, signature, extra] = jwt.split(".");
  if (!head || !body || !signature || extra !== undefined) return undefined;
  const expected = createHmac("sha256", TOKEN_KEYS.sign).update(`${head}.${body}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8")) as { access_token?: unknown; exp?: unknown };
    if (typeof payload.exp !== "number" || payload.exp * 1000 <= Date.now() || typeof payload.access_token !== "string") return undefined;
    const sealed = Buffer.from(payload.access_token, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", TOKEN_KEYS.seal, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    return Buffer.concat([decipher.update(sealed.subarray(12, sealed.length - 16)), decipher.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

/** The token presented: a Basic password, or the one a Conan JWT carries (the registry has checked it already). */
function presentedToken(req: ReferenceRequest): string | undefined {
  const header = req.headers.authorization ?? "";
  const bearer = /^bearer\s+(.+)$/i.exec(header);
  if (bearer) return readConanToken(bearer[1]!.trim());
  const basic = /^basic\s+(\S+)$/i.exec(header);
  if (!basic) return undefined;
  const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1);
}

/** `users/authenticate` (v1 and v2): a Conan JWT for the credentials presented. */
async function authenticate(req: ReferenceRequest): Promise<ReferenceReply> {
  const token = presentedToken(req);
  if (!token || req.principal.kind === "anonymous") return message(facts.authenticate.value.unauthenticated, "401 Unauthorized");
  return { status: facts.authenticate.value.status, headers: { "content-type": facts.authenticate.value.contentType }, body: issueConanToken(token, req.principal.name) };
}

/** `users/check_credentials` (v1 and v2). */
async function checkCredentials(req: ReferenceRequest): Promise<ReferenceReply> {
  if (req.principal.kind === "anonymous") return message(facts.checkCredentials.value.unauthenticated, "401 Unauthorized");
  return { status: facts.checkCredentials.value.status, headers: { "content-type": "text/plain" }, body: facts.checkCredentials.value.body };
}

const RECIPE = "/v2/conans/:name/:version/:user/:channel";
const RREV = `${RECIPE}/revisions/:rrev`;
const PKG = `${RREV}/packages/:pkgid`;
const PREV = `${PKG}/revisions/:prev`;
const V1_RECIPE = "/v1/conans/:name/:version/:user/:channel";
const V1_FILES = "/v1/files/:name/:version/:user/:channel/:rrev";

/** The Conan format as the reference registry serves it at /api/v4/projects/:id/packages/conan. */
export const conanReference: ReferenceFormat = {
  segment: "conan",
  // Basic and the token users/authenticate issued; GitLab's token headers are not read here (conanGitLabFacts.credentials).
  auth: ["basic", "bearer"],
  bearerToken: readConanToken,
  policies: { duplicates: facts.duplicates.value, duplicateStatus: [] },
  limits: { maxFileSize: facts.maxFileSize.value.bytes },
  listed: (pkg, version) => ({ name: pkg.name, version: version.split("@")[0]! }),
  packageFileChecksums: ["md5", "sha1"],
  routes: [
    {
      method: "GET",
      path: "/v1/ping",
      access: "public",
      async handle() {
        return { status: facts.ping.value.status, headers: { [facts.ping.value.header]: facts.ping.value.capabilities }, body: "" };
      },
    },
    route("GET", "/v2/users/authenticate", "read", authenticate, facts.authenticate.value.unauthenticated),
    route("GET", "/v2/users/check_credentials", "read", checkCredentials, facts.checkCredentials.value.unauthenticated),
    route("GET", "/v2/conans/search", "read", search),
    // v1, as GitLab still serves it (conanGitLabFacts.v1Routes), at project and instance level: v1 uploads are revision 0 of the same store.
    ...v1Route("GET", "/v1/users/authenticate", "read", authenticate, facts.authenticate.value.unauthenticated),
    ...v1Route("GET", "/v1/users/check_credentials", "read", checkCredentials, facts.checkCredentials.value.unauthenticated),
    ...v1Route("GET", "/v1/conans/search", "read", search, 404, instanceSearch),
    ...v1Route("GET", V1_RECIPE, "read", v1Snapshot),
    ...v1Route("GET", `${V1_RECIPE}/digest`, "read", v1DownloadUrls),
    ...v1Route("GET", `${V1_RECIPE}/download_urls`, "read", v1DownloadUrls),
    ...v1Route("POST", `${V1_RECIPE}/upload_urls`, "read", v1UploadUrls, facts.v1UploadUrls.value.unauthenticated),
    ...v1Route("DELETE", V1_RECIPE, "destroy", v1Remove),
    ...v1Route("GET", `${V1_RECIPE}/packages/:pkgid`, "read", v1Snapshot),
    ...v1Route("GET", `${V1_RECIPE}/packages/:pkgid/digest`, "read", v1DownloadUrls),
    ...v1Route("GET", `${V1_RECIPE}/packages/:pkgid/download_urls`, "read", v1DownloadUrls),
    ...v1Route("POST", `${V1_RECIPE}/packages/:pkgid/upload_urls`, "read", v1UploadUrls, facts.v1UploadUrls.value.unauthenticated),
    ...v1Route("GET", `${V1_FILES}/export/:file`, "read", v1File(download)),
    ...v1Route("PUT", `${V1_FILES}/export/:file`, "write", v1File(upload)),
    ...v1Route("GET", `${V1_FILES}/package/:pkgid/:prev/:file`, "read", v1File(download)),
    ...v1Route("PUT", `${V1_FILES}/package/:pkgid/:prev/:file`, "write", v1File(upload)),
    route("GET", `${RECIPE}/latest`, "read", latestRecipe),
    route("GET", `${RECIPE}/revisions`, "read", recipeRevisions),
    route("GET", `${RECIPE}/search`, "read", packageSearch),
    route("DELETE", RREV, "destroy", remove),
    route("GET", `${RREV}/search`, "read", packageSearch),
    route("GET", `${RREV}/files`, "read", listFiles),
    route("GET", `${RREV}/files/:file`, "read", download),
    route("PUT", `${RREV}/files/:file`, "write", upload),
    route("GET", `${PKG}/latest`, "read", latestPackage),
    route("GET", `${PKG}/revisions`, "read", packageRevisions),
    route("DELETE", PREV, "destroy", remove),
    route("GET", `${PREV}/files`, "read", listFiles),
    route("GET", `${PREV}/files/:file`, "read", download),
    route("PUT", `${PREV}/files/:file`, "write", upload),
  ],
};
