import { inflateRawSync } from "node:zlib";
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

/**
 * GitLab's limit on a .nuspec (`Packages::Nuget::ExtractMetadataFileService`
 * MAX_FILE_SIZE, 4 MiB, "nuspec file too big"). Inflating is bounded by it:
 * a pushed head of 1 MiB of deflated spaces would otherwise inflate to a
 * gigabyte, taking ten seconds of the event loop and the memory with it.
 */
const MAX_NUSPEC = 4 * 1024 * 1024;
const ZIP_LOCAL_HEADER = 30;
const ZIP_LOCAL_SIGNATURE = 0x04034b50;
const ZIP_DESCRIPTOR_SIGNATURE = Buffer.from([0x50, 0x4b, 0x07, 0x08]);
const ZIP_DESCRIPTOR = 16;
const ZIP_HAS_DESCRIPTOR = 0x0008;

/**
 * The root .nuspec of a push, from the first bytes of the package (the zip's
 * local headers, as core's `findZipEntry` walks them), inflated with a bound;
 * a 400 for anything that is not one, never an exception out of zlib.
 * (core's `findZipEntry` inflates without a bound: with a maximum there, this
 * walk can go.)
 */
function pushedNuspec(head: Uint8Array): string {
  const unreadable = (why: string): never => fail(400, `400 Bad request - the package has no readable .nuspec at its root (${why})`);
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  let at = 0;
  while (at + ZIP_LOCAL_HEADER <= buf.length && buf.readUInt32LE(at) === ZIP_LOCAL_SIGNATURE) {
    const flags = buf.readUInt16LE(at + 6);
    const method = buf.readUInt16LE(at + 8);
    let stored = buf.readUInt32LE(at + 18);
    const nameLength = buf.readUInt16LE(at + 26);
    const start = at + ZIP_LOCAL_HEADER + nameLength + buf.readUInt16LE(at + 28);
    const path = buf.toString("utf8", at + ZIP_LOCAL_HEADER, Math.min(buf.length, at + ZIP_LOCAL_HEADER + nameLength));
    if (flags & ZIP_HAS_DESCRIPTOR && stored === 0) {
      const descriptor = buf.indexOf(ZIP_DESCRIPTOR_SIGNATURE, start);
      if (descriptor < 0) return unreadable("it is not within the first bytes of the package");
      stored = descriptor - start;
    }
    if (start + stored > buf.length) return unreadable("it is not within the first bytes of the package");
    if (!path.includes("/") && path.toLowerCase().endsWith(".nuspec")) {
      const raw = buf.subarray(start, start + stored);
      if (method === 0) return raw.byteLength > MAX_NUSPEC ? fail(400, "400 Bad request - nuspec file too big") : raw.toString("utf8");
      if (method !== 8) return unreadable(`compression method ${method}`);
      let inflated: Buffer;
      try {
        inflated = inflateRawSync(raw, { maxOutputLength: MAX_NUSPEC });
      } catch (error) {
        if ((error as { code?: unknown }).code === "ERR_BUFFER_TOO_LARGE") fail(400, "400 Bad request - nuspec file too big");
        return unreadable("its compressed data is broken");
      }
      return inflated.toString("utf8");
    }
    at = start + stored + (flags & ZIP_HAS_DESCRIPTOR ? ZIP_DESCRIPTOR : 0);
  }
  return unreadable("no zip entry ends in .nuspec");
}

/**
 * The text of the first `<tag>...</tag>` of a nuspec, trimmed ("" when none).
 * With indexOf, linear: the kit's regexes for this (`/<id>\s*([^<]+?)\s*<\/id>/`)
 * backtrack cubically on a run of spaces (1000 of them took two seconds, and
 * a nuspec may be 4 MiB).
 */
function nuspecText(nuspec: string, tag: string): string {
  const open = nuspec.indexOf(`<${tag}>`);
  if (open < 0) return "";
  const from = open + tag.length + 2;
  const close = nuspec.indexOf(`</${tag}>`, from);
  return close < 0 ? "" : nuspec.slice(from, close).trim();
}

/** The id and version of a nuspec, when it has both; `<id>` holds no markup. */
function nuspecIdOf(nuspec: string): { id: string; version: string } | undefined {
  const id = nuspecText(nuspec, "id");
  const version = nuspecText(nuspec, "version");
  return id && version && !id.includes("<") && !version.includes("<") ? { id, version } : undefined;
}

/** The identity a pushed package declares, checked with GitLab's rules (nuget.nameRule, nuget.versionRule). */
function declared(head: Uint8Array): { id: string; version: string; nuspec: string; description: string; authors: string } {
  const nuspec = pushedNuspec(head);
  const identity = nuspecIdOf(nuspec) ?? fail(400, "400 Bad request - the .nuspec has no id or version");
  if (!gitlabNuGetName.test(identity.id)) fail(400, "Validation failed: Name is invalid");
  if (!gitlabNuGetVersion.test(identity.version)) fail(400, "Validation failed: Version is invalid");
  return { ...identity, nuspec, description: nuspecText(nuspec, "description"), authors: nuspecText(nuspec, "authors") };
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
    // A symbol package GitLab cannot read is still answered 201; nothing is attached.
    let identity: { id: string; version: string } | undefined;
    try {
      identity = nuspecIdOf(pushedNuspec(pushed.head));
    } catch {
      identity = undefined;
    }
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
  // Built once per revision and base URL (300 leaves at the version cap); the store keeps it within its byte budget.
  const body = req.store.rendered(pkg, `registration\u0000${req.baseUrl}`, () => JSON.stringify(registrationIndexOf(req, pkg)));
  return { status: 200, headers: { "content-type": "application/json" }, body };
}

function registrationIndexOf(req: ReferenceRequest, pkg: StoredPackage): unknown {
  const versions = inNuGetOrder(pkg);
  const items = versions.map((v) => leaf(req, v));
  const first = versions[0];
  const last = versions.at(-1);
  return {
    count: 1,
    items: [{ "@id": last ? leafUrl(req, meta(last)) : req.baseUrl, lower: first && meta(first).version, upper: last && meta(last).version, count: items.length, items }],
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
