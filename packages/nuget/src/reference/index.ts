import {
  ReferenceError413,
  refuse,
  stageMultipart,
  type ReferenceFormat,
  type ReferenceReply,
  type ReferenceRequest,
  type ReferenceRoute,
  type StagedFile,
  type StoredPackage,
  type StoredVersion,
} from "@regkit/registry/contract";
import { gitlabNuGetName, gitlabNuGetVersion, nugetGitLabFacts as facts, type GitLabServiceEntry } from "../gitlab.js";
import { nuspecIdentity, readNuspec } from "../package.js";
import { compareNuGetVersions, normalizeNuGetVersion } from "../version.js";

const fail = refuse;
const HEAD = 1024 * 1024;
const FIELD = facts.pushField.value;
const VERSION_CAP = facts.versionCap.value;

/**
 * What the reference keeps per version. The store keys a version by GitLab's
 * `normalized_version` (normalized, lowercased), which is what duplicates and
 * lookups compare; `version` is the spelling the .nuspec had, which is what
 * GitLab stores and lists (nuget.storedVersion).
 */
interface Meta {
  readonly id: string;
  readonly version: string;
  /** The project the version was pushed to: GitLab's URLs always name it (nuget.packageUrls). */
  readonly project: number;
  readonly filename: string;
  readonly nuspec: string;
  readonly description: string;
  readonly authors: string;
}

const meta = (v: StoredVersion): Meta => v.metadata as Meta;
/** GitLab's `normalized_version`: the store's key of a version. */
const normalizedKey = (version: string): string | undefined => normalizeNuGetVersion(version)?.toLowerCase();

/** A pushed package: staged in the store, and its first bytes, where the nuspec is read from. */
interface Pushed {
  readonly staged: StagedFile & { readonly id: string };
  readonly head: Uint8Array;
}

/**
 * Streams the `package` field into the store, keeping its first bytes to read
 * the nuspec; GitLab's size limit answers as GitLab does (nuget.overLimit).
 */
async function stagePush(req: ReferenceRequest): Promise<Pushed> {
  const missing = `400 Bad request - ${FIELD} is missing`;
  try {
    const { file, head } = await stageMultipart(req, { field: FIELD, headBytes: HEAD, notMultipart: missing, malformed: "400 Bad request - malformed multipart body" });
    return file ? { staged: file.staged, head } : fail(400, missing);
  } catch (error) {
    if (error instanceof ReferenceError413) fail(facts.overLimit.value.status, facts.overLimit.value.message);
    throw error;
  }
}

/** The identity a pushed package declares, checked with GitLab's rules (nuget.nameRule, nuget.versionRule). */
function declared(head: Uint8Array): { id: string; version: string; nuspec: string; description: string; authors: string } {
  const nuspec = readNuspec(head) ?? fail(400, "400 Bad request - the package has no readable .nuspec at its root");
  const identity = nuspecIdentity(nuspec) ?? fail(400, "400 Bad request - the .nuspec has no id or version");
  if (!gitlabNuGetName.test(identity.id)) fail(400, "Validation failed: Name is invalid");
  if (!gitlabNuGetVersion.test(identity.version)) fail(400, "Validation failed: Version is invalid");
  const field = (tag: string): string => new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(nuspec)?.[1]?.trim() ?? "";
  return { ...identity, nuspec, description: field("description"), authors: field("authors") };
}

/** GitLab's push (V3 and V2): synchronous when the .nuspec is readable, 201 `{"message":"201 Created"}`. */
async function push(req: ReferenceRequest): Promise<ReferenceReply> {
  const pushed = await stagePush(req);
  try {
    const pkg = declared(pushed.head);
    const key = normalizedKey(pkg.version)!;
    const name = pkg.id.toLowerCase();
    // A duplicate GitLab allows reuses the existing package: its id and version spelling stay (nuget.duplicatesAllowed).
    const existing = (await req.store.get(name))?.versions.find((v) => v.version === key);
    const kept = existing ? meta(existing) : undefined;
    const id = kept?.id ?? pkg.id;
    const version = kept?.version ?? pkg.version;
    const filename = `${id.toLowerCase()}.${version.toLowerCase()}.nupkg`;
    const outcome = await req.store.commit({
      name,
      version: key,
      files: [{ filename, staged: pushed.staged }],
      metadata: { id, version, project: kept?.project ?? req.project.id, filename, nuspec: pkg.nuspec, description: pkg.description, authors: pkg.authors } satisfies Meta,
      duplicates: req.policies.duplicates,
    });
    if (outcome.kind === "duplicate") fail(facts.duplicateRefused.value.status, facts.duplicateRefused.value.message);
    return { status: facts.pushCreated.value.status, body: { message: facts.pushCreated.value.message } };
  } catch (error) {
    await req.store.discard(pushed.staged).catch(() => {});
    throw error;
  }
}

/**
 * GitLab's symbol push: 201, and a worker attaches the .snupkg to the package
 * of the same id and version (nothing happens when there is none).
 */
async function pushSymbols(req: ReferenceRequest): Promise<ReferenceReply> {
  const pushed = await stagePush(req);
  let committed = false;
  try {
    const nuspec = readNuspec(pushed.head);
    const identity = nuspec ? nuspecIdentity(nuspec) : undefined;
    const key = identity ? normalizedKey(identity.version) : undefined;
    const pkg = identity && key ? await req.store.get(identity.id.toLowerCase()) : undefined;
    const target = pkg?.versions.find((v) => v.version === key);
    if (pkg && target) {
      const m = meta(target);
      await req.store.commit({
        name: pkg.name,
        version: target.version,
        files: [{ filename: `${m.id.toLowerCase()}.${m.version.toLowerCase()}.snupkg`, staged: pushed.staged }],
        metadata: m,
        duplicates: "allow",
      });
      committed = true;
    }
    return { status: facts.symbolPush.value, body: { message: facts.pushCreated.value.message } };
  } finally {
    if (!committed) await req.store.discard(pushed.staged).catch(() => {});
  }
}

/** The 300 most recently created versions (nuget.versionCap): the store keeps publish order. */
function recent(pkg: StoredPackage): readonly StoredVersion[] {
  return pkg.versions.slice(-VERSION_CAP);
}

/** Registration order: NuGet's. */
function inNuGetOrder(pkg: StoredPackage): StoredVersion[] {
  return [...recent(pkg)].sort((a, b) => compareNuGetVersions(meta(a).version, meta(b).version));
}

/** A version as GitLab finds it: as written, case-insensitively, or by its normalized form (nuget.versionLookup). */
function findVersion(pkg: StoredPackage, requested: string): StoredVersion | undefined {
  const lower = requested.toLowerCase();
  return recent(pkg).find((v) => meta(v).version.toLowerCase() === lower) ?? recent(pkg).find((v) => v.version === lower);
}

async function mustGet(req: ReferenceRequest, id: string): Promise<StoredPackage> {
  return (await req.store.get(id.toLowerCase())) ?? fail(404, "404 Package Not Found");
}

const origin = (req: ReferenceRequest): string => req.baseUrl.replace(/\/api\/v4\/.*$/, "");
/** The owning project's feed prefix, as GitLab's presenters build every package URL (nuget.packageUrls). */
const projectPrefix = (req: ReferenceRequest, m: Meta): string => `${origin(req)}/api/v4/projects/${m.project}/packages/nuget`;
const leafUrl = (req: ReferenceRequest, m: Meta): string => `${projectPrefix(req, m)}/metadata/${m.id}/${m.version}.json`;

function leaf(req: ReferenceRequest, v: StoredVersion) {
  const m = meta(v);
  const packageContent = `${projectPrefix(req, m)}/download/${m.id}/${m.version}/${m.filename}`;
  return {
    "@id": leafUrl(req, m),
    packageContent,
    catalogEntry: {
      "@id": leafUrl(req, m),
      authors: m.authors,
      dependencyGroups: [],
      id: m.id,
      version: m.version,
      tags: "",
      packageContent,
      description: m.description,
      summary: "",
      published: v.createdAt,
    },
  };
}

/**
 * GitLab's service index: every URL names the project by its numeric id;
 * the group feed keeps the prefix it was asked through and lists only search
 * and metadata (nuget.groupFeed).
 */
function serviceIndex(req: ReferenceRequest, level: "project" | "group"): ReferenceReply {
  const base = level === "project" ? `${origin(req)}/api/v4/projects/${req.project.id}/packages/nuget` : req.baseUrl;
  const services: readonly GitLabServiceEntry["service"][] = facts.groupFeed.value.services;
  const listed = level === "project" ? facts.serviceIndexResources.value : facts.serviceIndexResources.value.filter((e) => services.includes(e.service));
  return {
    status: 200,
    body: { version: "3.0.0", resources: listed.map((e) => ({ "@id": `${base}${e.path}`, "@type": e.type, comment: e.comment })) },
  };
}

const flatVersions = async (req: ReferenceRequest): Promise<ReferenceReply> => {
  const pkg = await mustGet(req, req.params.id!);
  // As written, in plain string order (nuget.flatContainerVersions).
  const versions = recent(pkg).map((v) => meta(v).version).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { status: 200, body: { versions } };
};

async function download(req: ReferenceRequest): Promise<ReferenceReply> {
  const file = req.params.file!;
  // Only .nupkg and .snupkg: no .nuspec (nuget.noFlatNuspec).
  if (!/\.(nupkg|snupkg)$/i.test(file)) fail(404, "404 Not Found");
  const pkg = await mustGet(req, req.params.id!);
  const requested = req.params.version!;
  const v = findVersion(pkg, requested) ?? fail(404, "404 Package Not Found");
  const m = meta(v);
  // Asked by the normalized version: GitLab swaps it for the stored one inside the file name.
  const wanted = (m.version.toLowerCase() === requested.toLowerCase() ? file : file.replace(requested, m.version)).toLowerCase();
  const stored = v.files.find((f) => f.filename.toLowerCase() === wanted) ?? fail(404, "404 Package File Not Found");
  const opened = (await req.store.open(pkg.name, v.version, stored.filename)) ?? fail(404, "404 Package File Not Found");
  return { status: 200, headers: { "content-type": facts.download.value, "content-length": String(opened.size) }, body: opened.stream() };
}

async function registrationIndex(req: ReferenceRequest): Promise<ReferenceReply> {
  const pkg = await mustGet(req, req.params.id!);
  const versions = inNuGetOrder(pkg);
  const items = versions.map((v) => leaf(req, v));
  const first = versions[0];
  const last = versions.at(-1);
  return {
    status: 200,
    body: {
      count: 1,
      items: [{ "@id": last ? leafUrl(req, meta(last)) : req.baseUrl, lower: first && meta(first).version, upper: last && meta(last).version, count: items.length, items }],
    },
  };
}

async function registrationLeaf(req: ReferenceRequest): Promise<ReferenceReply> {
  const pkg = await mustGet(req, req.params.id!);
  const v = findVersion(pkg, req.params.version!.replace(/\.json$/i, "")) ?? fail(404, "404 Package Not Found");
  return { status: 200, body: leaf(req, v) };
}

const NON_NEGATIVE = /^(0|[1-9]\d*)$/;
const POSITIVE = /^[1-9]\d*$/;

/** GitLab's search (nuget.searchTake, .searchBadPaging, .searchPrerelease, .searchMatchesId, .searchVersionsPerHit). */
async function search(req: ReferenceRequest): Promise<ReferenceReply> {
  const skipParam = req.query.get("skip") ?? "0";
  const takeParam = req.query.get("take") ?? "20";
  if (!NON_NEGATIVE.test(skipParam)) fail(facts.searchBadPaging.value, "400 Bad request - skip is invalid");
  if (!POSITIVE.test(takeParam)) fail(facts.searchBadPaging.value, "400 Bad request - take is invalid");
  const skip = Number(skipParam);
  const take = Math.min(Number(takeParam), facts.searchTake.value);
  // Grape's Boolean: absent takes GitLab's default, true.
  const flag = req.query.get("prerelease")?.toLowerCase();
  const prerelease = flag === undefined || flag === "" ? facts.searchPrerelease.value : !["false", "0", "f", "no", "n", "off"].includes(flag);
  const q = (req.query.get("q") ?? "").toLowerCase();
  const hits = [];
  for (const name of await req.store.names()) {
    if (q && !name.includes(q)) continue;
    const pkg = await req.store.get(name);
    if (!pkg || pkg.versions.length === 0) continue;
    const stable = (v: StoredVersion): boolean => !meta(v).version.includes("-");
    if (!prerelease && !pkg.versions.some(stable)) continue;
    hits.push(pkg);
  }
  const page = hits.slice(skip, skip + take).map((pkg) => {
    const newest = [...pkg.versions].reverse().slice(0, facts.searchVersionsPerHit.value);
    const versions = newest.filter((v) => prerelease || !meta(v).version.includes("-"));
    const latest = [...versions].sort((a, b) => compareNuGetVersions(meta(a).version, meta(b).version)).at(-1) ?? pkg.versions.at(-1)!;
    const m = meta(latest);
    return {
      "@type": "Package",
      authors: m.authors,
      id: m.id,
      title: m.id,
      description: m.description,
      summary: m.description,
      totalDownloads: 0,
      verified: true,
      version: m.version,
      versions: versions.map((v) => ({ "@id": leafUrl(req, meta(v)), version: meta(v).version, downloads: 0 })),
      tags: "",
    };
  });
  return { status: 200, body: { totalHits: hits.length, data: page } };
}

async function remove(req: ReferenceRequest): Promise<ReferenceReply> {
  const id = req.params.id!;
  const version = req.params.version!;
  if (!gitlabNuGetName.test(id) || !gitlabNuGetVersion.test(version)) fail(facts.deleteInvalidPath.value, "400 Bad request - package_name or package_version is invalid");
  const pkg = await mustGet(req, id);
  const v = findVersion(pkg, version) ?? fail(facts.deleteUnknown.value, "404 Package Not Found");
  await req.store.remove(pkg.name, v.version);
  return { status: facts.deleteAccess.value.status };
}

const V2_SERVICE = (base: string): string =>
  `<?xml version="1.0" encoding="utf-8"?>\n<service xmlns="http://www.w3.org/2007/app" xmlns:atom="http://www.w3.org/2005/Atom" xml:base="${base}/v2">\n  <workspace>\n    <atom:title type="text">Default</atom:title>\n    <collection href="Packages">\n      <atom:title type="text">Packages</atom:title>\n    </collection>\n  </workspace>\n</service>\n`;

const WRITE_AUTH = facts.writeCredentials.value;
const PROJECT = ["project"] as const;
const PROJECT_AND_GROUP = ["project", "group"] as const;

const read = (path: string, handle: (req: ReferenceRequest) => Promise<ReferenceReply>, levels: readonly ("project" | "group")[] = PROJECT_AND_GROUP): ReferenceRoute => ({
  method: "GET",
  path,
  access: "read",
  levels,
  handle,
});

const write = (method: string, path: string, handle: (req: ReferenceRequest) => Promise<ReferenceReply>, access: "write" | "destroy" = "write"): ReferenceRoute => ({
  method,
  path,
  access,
  auth: WRITE_AUTH,
  levels: PROJECT,
  handle,
});

const routes: ReferenceRoute[] = [
  // The project's service index is public; the group's needs a reader (nuget.serviceIndexPublic, nuget.groupFeed).
  ...facts.serviceIndexPaths.value.flatMap((path): ReferenceRoute[] => [
    { method: "GET", path, access: "public", levels: PROJECT, handle: async (req) => serviceIndex(req, "project") },
    read(path, async (req) => serviceIndex(req, "group"), ["group"]),
  ]),
  { method: "GET", path: "/v2", access: "public", levels: PROJECT, handle: async (req) => ({ status: 200, headers: { "content-type": `${facts.v2ServiceIndex.value}; charset=utf-8` }, body: V2_SERVICE(req.baseUrl) }) },
  write("PUT", "/", push),
  write("PUT", "/v2", push),
  write("PUT", "/symbolpackage", pushSymbols),
  ...facts.flatContainerIndexPaths.value.map((suffix) => read(`/download/:id${suffix}`, flatVersions, PROJECT)),
  read("/download/:id/:version/:file", download, PROJECT),
  ...facts.flatContainerIndexPaths.value.map((suffix) => read(`/metadata/:id${suffix}`, registrationIndex)),
  read("/metadata/:id/:version", registrationLeaf),
  read("/query", search),
  write("DELETE", "/:id/:version", remove, "destroy"),
];

/** The NuGet routes of the embedded, GitLab-shaped reference registry: GitLab's answers, fact by fact. */
export const nugetReference: ReferenceFormat = {
  segment: "nuget",
  auth: facts.readCredentials.value,
  basicUsernames: facts.basicUsernames.value,
  authenticateFirst: true,
  policies: { duplicates: facts.duplicatesAllowed.value ? "allow" : "reject", duplicateStatus: [facts.duplicateRefused.value.status] },
  limits: { maxFileSize: facts.maxFileSize.value },
  routes,
  listed: (pkg, version) => {
    const v = pkg.versions.find((x) => x.version === version);
    return v ? { name: meta(v).id, version: meta(v).version } : { name: pkg.name, version };
  },
};
