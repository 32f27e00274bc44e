import { once } from "node:events";
import { PassThrough, type Readable } from "node:stream";
import semver from "semver";
import {
  ReferenceError413,
  refuse,
  type ReferenceFormat,
  type ReferenceReply,
  type ReferenceRequest,
  type ReferenceRoute,
  type StagedFile,
  type StoredPackage,
} from "@regkit/core";
import { integrityOf, sha512OfIntegrity } from "../client.js";
import { invalidNameReason, tarballName } from "../names.js";
import { scanPublishDocument, ScanError, type AttachmentSink } from "./scanner.js";

const ABBREVIATED = "application/vnd.npm.install-v1+json";
const ABBREVIATED_FIELDS = [
  "name", "version", "deprecated", "dependencies", "optionalDependencies", "devDependencies", "bundleDependencies",
  "peerDependencies", "peerDependenciesMeta", "bin", "directories", "engines", "dist", "_hasShrinkwrap", "hasInstallScript",
  "cpu", "os", "libc", "funding", "license",
] as const;

type Manifest = Record<string, unknown> & { name: string; version: string; dist: Record<string, unknown> };
type Meta = Record<string, unknown> & { "dist-tags"?: Record<string, string> };

const fail = refuse;

async function readJson(body: Readable, limit = 16 * 1024 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) fail(413, "Request body too large.");
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch {
    return fail(400, "Request body is not valid JSON.");
  }
}

/** Rendered packuments, by package, revision, form and base URL: a 300-version packument is built once per change. */
const cache = new Map<string, Buffer>();
const CACHE_LIMIT = 1000;

function cached(key: string, render: () => unknown): Buffer {
  const hit = cache.get(key);
  if (hit) {
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const rendered = Buffer.from(JSON.stringify(render()));
  cache.set(key, rendered);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  return rendered;
}

function rev(pkg: StoredPackage): string {
  return `${pkg.revision}-${Buffer.from(`${pkg.name}:${pkg.updatedAt}`).toString("hex").slice(-16)}`;
}

function manifestOf(req: ReferenceRequest, pkg: StoredPackage, version: StoredPackage["versions"][number]): Manifest {
  const manifest = version.metadata as Manifest;
  const file = version.files[0]!;
  return {
    ...manifest,
    _id: `${pkg.name}@${version.version}`,
    dist: {
      ...manifest.dist,
      shasum: file.digests.sha1,
      integrity: integrityOf(file.digests.sha512),
      tarball: `${req.baseUrl}/${pkg.name}/-/${file.filename}`,
    },
  };
}

function fullPackument(req: ReferenceRequest, pkg: StoredPackage): unknown {
  const versions: Record<string, Manifest> = {};
  const time: Record<string, string> = { created: pkg.createdAt, modified: pkg.updatedAt };
  for (const v of pkg.versions) {
    versions[v.version] = manifestOf(req, pkg, v);
    time[v.version] = v.createdAt;
  }
  const meta = pkg.metadata as Meta;
  const latest = meta["dist-tags"]?.latest;
  const description = (latest && (versions[latest]?.description as string | undefined)) ?? "";
  return { _id: pkg.name, _rev: rev(pkg), name: pkg.name, description, "dist-tags": meta["dist-tags"] ?? {}, versions, time, readme: "" };
}

function abbreviatedPackument(req: ReferenceRequest, pkg: StoredPackage): unknown {
  const versions: Record<string, Record<string, unknown>> = {};
  for (const v of pkg.versions) {
    const full = manifestOf(req, pkg, v);
    const short: Record<string, unknown> = {};
    for (const field of ABBREVIATED_FIELDS) if (full[field] !== undefined) short[field] = full[field];
    versions[v.version] = short;
  }
  return { name: pkg.name, modified: pkg.updatedAt, "dist-tags": (pkg.metadata as Meta)["dist-tags"] ?? {}, versions };
}

async function mustGet(req: ReferenceRequest, name: string): Promise<StoredPackage> {
  return (await req.store.get(name)) ?? fail(404, "404 Not Found");
}

/** Highest remaining version, for `latest` after an unpublish. */
function highest(pkg: StoredPackage, without: ReadonlySet<string>): string | undefined {
  const left = pkg.versions.map((v) => v.version).filter((v) => !without.has(v) && semver.valid(v));
  return left.sort(semver.rcompare)[0];
}

/** Streams attachments into staged files while the document is scanned. */
async function stagePublish(req: ReferenceRequest): Promise<{ document: Record<string, unknown>; staged: Map<string, StagedFile & { id: string }> }> {
  const staged = new Map<string, StagedFile & { id: string }>();
  const pending: Promise<unknown>[] = [];
  let failure: unknown;
  const open = (file: string): AttachmentSink => {
    if (staged.size > 0 || pending.length > 0) fail(400, "Only one attachment (the tarball) may be published at a time.");
    const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
    const staging = req.store.stage(pass, req.limits.maxFileSize).then(
      (s) => {
        staged.set(file, s);
      },
      (error: unknown) => {
        failure = error;
        pass.destroy();
      },
    );
    pending.push(staging);
    return {
      async write(bytes) {
        if (failure) throw failure;
        if (!pass.write(bytes)) await Promise.race([once(pass, "drain"), staging]);
        if (failure) throw failure;
      },
      async end() {
        pass.end();
        await staging;
        if (failure) throw failure;
      },
    };
  };
  try {
    const document = await scanPublishDocument(req.body, open);
    if (!document || typeof document !== "object" || Array.isArray(document)) fail(400, "The publish document must be a JSON object.");
    return { document: document as Record<string, unknown>, staged };
  } catch (error) {
    await Promise.allSettled(pending);
    for (const s of staged.values()) await req.store.discard(s);
    if (failure instanceof ReferenceError413 || error instanceof ReferenceError413) fail(400, "File is too large.");
    if (error instanceof ScanError) fail(400, error.message);
    throw failure ?? error;
  }
}

async function publish(req: ReferenceRequest, name: string): Promise<ReferenceReply> {
  const { document, staged } = await stagePublish(req);
  const discardAll = async (): Promise<void> => {
    for (const s of staged.values()) await req.store.discard(s);
  };
  try {
    if (document.name !== name) fail(400, `Package name in the body (${String(document.name)}) does not match the URL (${name}).`);
    const reason = invalidNameReason(name);
    if (reason) fail(400, `Invalid package name: ${reason}.`);
    const versions = document.versions as Record<string, Manifest> | undefined;
    const entries = Object.entries(versions ?? {});
    if (entries.length !== 1) fail(400, "Exactly one version must be published at a time.");
    const [version, manifest] = entries[0]!;
    if (!semver.valid(version) || manifest?.version !== version) fail(400, `Invalid version: ${version}.`);
    if (manifest.name !== name) fail(400, "The version's name does not match the package name.");
    const attachments = document._attachments as Record<string, { length?: number }> | undefined;
    const [file, attachment] = Object.entries(attachments ?? {})[0] ?? [];
    const stagedFile = file ? staged.get(file) : undefined;
    if (!file || !stagedFile) fail(400, "The publish document has no tarball attachment.");
    if (file !== tarballName(name, version)) fail(400, `The attachment must be named ${tarballName(name, version)}.`);
    if (attachment?.length !== undefined && attachment.length !== stagedFile!.size) {
      fail(400, `The attachment length ${attachment.length} does not match the ${stagedFile!.size} bytes sent.`);
    }
    const dist = (manifest.dist ?? {}) as { shasum?: string; integrity?: string };
    if (dist.shasum !== undefined && dist.shasum !== stagedFile!.digests.sha1) fail(400, "dist.shasum does not match the tarball (integrity mismatch).");
    if (dist.integrity !== undefined && sha512OfIntegrity(dist.integrity) !== stagedFile!.digests.sha512) {
      fail(400, "dist.integrity does not match the tarball (integrity mismatch).");
    }
    const tags = { latest: version, ...(document["dist-tags"] as Record<string, string> | undefined) };
    const outcome = await req.store.commit({
      name,
      version,
      files: [{ filename: file!, staged: stagedFile! }],
      metadata: { ...manifest, _npmUser: { name: req.principal.name } },
      duplicates: req.policies.duplicates,
      update: (meta) => ({ ...meta, "dist-tags": { ...(meta as Meta)["dist-tags"], ...tags } }),
    });
    if (outcome.kind === "duplicate") {
      await discardAll();
      fail(403, "Package already exists.");
    }
    return { status: 201, body: { ok: true, id: name, rev: "1" } };
  } catch (error) {
    await discardAll().catch(() => {});
    throw error;
  }
}

/** npm names arrive as one segment (`@scope%2fname`) or, for scopes, as two (`@scope/name`). */
function nameOf(params: Readonly<Record<string, string>>): string {
  return params.scope ? `${params.scope}/${params.name}` : params.name!;
}

async function packumentReply(req: ReferenceRequest, name: string): Promise<ReferenceReply> {
  const pkg = await mustGet(req, name);
  const abbreviated = (req.headers.accept ?? "").includes(ABBREVIATED) && req.query.get("write") !== "true";
  const key = `${req.project.id}|${name}|${pkg.revision}|${pkg.createdAt}|${pkg.updatedAt}|${abbreviated ? "a" : "f"}|${req.baseUrl}`;
  const body = cached(key, () => (abbreviated ? abbreviatedPackument(req, pkg) : fullPackument(req, pkg)));
  return {
    status: 200,
    headers: { "content-type": abbreviated ? `${ABBREVIATED}; charset=utf-8` : "application/json; charset=utf-8", vary: "accept", "content-length": String(body.byteLength) },
    body,
  };
}

async function versionReply(req: ReferenceRequest, name: string, wanted: string): Promise<ReferenceReply> {
  const pkg = await mustGet(req, name);
  const version = (pkg.metadata as Meta)["dist-tags"]?.[wanted] ?? wanted;
  const stored = pkg.versions.find((v) => v.version === version) ?? fail(404, "404 Not Found");
  return { status: 200, body: manifestOf(req, pkg, stored) };
}

async function tarballReply(req: ReferenceRequest, name: string, file: string): Promise<ReferenceReply> {
  const pkg = await mustGet(req, name);
  const version = pkg.versions.find((v) => v.files.some((f) => f.filename === file)) ?? fail(404, "404 Not Found");
  const opened = (await req.store.open(name, version.version, file)) ?? fail(404, "404 Not Found");
  return { status: 200, headers: { "content-type": "application/octet-stream", "content-length": String(opened.size) }, body: opened.stream() };
}

async function unpublishVersions(req: ReferenceRequest, name: string): Promise<ReferenceReply> {
  const pkg = await mustGet(req, name);
  const doc = (await readJson(req.body)) as { versions?: Record<string, unknown>; "dist-tags"?: Record<string, string> };
  if (!doc || typeof doc.versions !== "object" || doc.versions === null) fail(400, "The packument must carry versions.");
  const keep = new Set(Object.keys(doc.versions!));
  const gone = new Set(pkg.versions.map((v) => v.version).filter((v) => !keep.has(v)));
  for (const version of gone) await req.store.remove(name, version);
  const latest = highest(pkg, gone);
  await req.store.updateMetadata(name, (meta) => {
    const tags = Object.fromEntries(Object.entries({ ...(meta as Meta)["dist-tags"], ...doc["dist-tags"] }).filter(([, v]) => !gone.has(v)));
    if (!tags.latest && latest) tags.latest = latest;
    return { ...meta, "dist-tags": tags };
  });
  return { status: 200, body: { ok: true } };
}

const routes: ReferenceRoute[] = [
  { method: "GET", path: "/-/ping", access: "public", handle: async () => ({ status: 200, body: {} }) },
  { method: "GET", path: "/-/whoami", access: "read", handle: async (req) => ({ status: 200, body: { username: req.principal.name } }) },
  {
    method: "POST",
    path: "/-/npm/v1/security/advisories/bulk",
    access: "read",
    handle: async (req) => {
      await readJson(req.body).catch(() => undefined);
      return { status: 200, body: {} };
    },
  },
  {
    method: "POST",
    path: "/-/npm/v1/security/audits/quick",
    access: "read",
    handle: async (req) => {
      await readJson(req.body).catch(() => undefined);
      return { status: 200, body: { actions: [], advisories: {}, muted: [], metadata: { vulnerabilities: {} } } };
    },
  },
  {
    method: "GET",
    path: "/-/v1/search",
    access: "read",
    async handle(req) {
      const words = (req.query.get("text") ?? "").toLowerCase().split(/\s+/).filter(Boolean);
      const size = Math.min(250, Math.max(1, Number(req.query.get("size") ?? 20) || 20));
      const from = Math.max(0, Number(req.query.get("from") ?? 0) || 0);
      const objects = [];
      for (const name of await req.store.names()) {
        const pkg = await req.store.get(name);
        if (!pkg) continue;
        const latest = (pkg.metadata as Meta)["dist-tags"]?.latest ?? pkg.versions.at(-1)?.version;
        const manifest = (pkg.versions.find((v) => v.version === latest) ?? pkg.versions.at(-1))?.metadata as Manifest | undefined;
        const keywords = Array.isArray(manifest?.keywords) ? (manifest.keywords as string[]) : [];
        const haystack = `${name} ${String(manifest?.description ?? "")} ${keywords.join(" ")}`.toLowerCase();
        if (!words.every((w) => haystack.includes(w))) continue;
        objects.push({
          package: { name, version: latest, description: manifest?.description ?? "", keywords, date: pkg.updatedAt, links: {}, publisher: manifest?._npmUser ?? {} },
          score: { final: 1, detail: { quality: 1, popularity: 1, maintenance: 1 } },
          searchScore: name.toLowerCase() === words.join(" ") ? 100 : 1,
        });
      }
      objects.sort((a, b) => b.searchScore - a.searchScore || a.package.name.localeCompare(b.package.name));
      return { status: 200, body: { objects: objects.slice(from, from + size), total: objects.length, time: new Date().toUTCString() } };
    },
  },
  {
    method: "GET",
    path: "/-/package/:name/dist-tags",
    access: "read",
    handle: async (req) => ({ status: 200, body: ((await mustGet(req, req.params.name!)).metadata as Meta)["dist-tags"] ?? {} }),
  },
  {
    method: "PUT",
    path: "/-/package/:name/dist-tags/:tag",
    access: "write",
    async handle(req) {
      const name = req.params.name!;
      const version = await readJson(req.body);
      if (typeof version !== "string") fail(400, "The body must be a JSON string: the version.");
      const pkg = await mustGet(req, name);
      if (!pkg.versions.some((v) => v.version === version)) fail(404, `Version ${String(version)} of ${name} does not exist.`);
      await req.store.updateMetadata(name, (meta) => ({ ...meta, "dist-tags": { ...(meta as Meta)["dist-tags"], [req.params.tag!]: version as string } }));
      return { status: 204 };
    },
  },
  {
    method: "DELETE",
    path: "/-/package/:name/dist-tags/:tag",
    access: "write",
    async handle(req) {
      const tag = req.params.tag!;
      if (tag === "latest") fail(400, "The latest tag cannot be removed.");
      const pkg = await mustGet(req, req.params.name!);
      if (!(pkg.metadata as Meta)["dist-tags"]?.[tag]) fail(404, `No dist-tag ${tag}.`);
      await req.store.updateMetadata(req.params.name!, (meta) => {
        const tags = { ...(meta as Meta)["dist-tags"] };
        delete tags[tag];
        return { ...meta, "dist-tags": tags };
      });
      return { status: 204 };
    },
  },
  {
    method: "DELETE",
    path: "/:name/-/:file/-rev/:rev",
    access: "write",
    async handle(req) {
      const pkg = await req.store.get(req.params.name!);
      const version = pkg?.versions.find((v) => v.files.some((f) => f.filename === req.params.file));
      if (version) await req.store.remove(req.params.name!, version.version);
      return { status: 200, body: { ok: true } };
    },
  },
  { method: "PUT", path: "/:name/-rev/:rev", access: "write", handle: (req) => unpublishVersions(req, req.params.name!) },
  {
    method: "DELETE",
    path: "/:name/-rev/:rev",
    access: "write",
    async handle(req) {
      if (!(await req.store.remove(req.params.name!))) fail(404, "404 Not Found");
      return { status: 200, body: { ok: true } };
    },
  },
  { method: "GET", path: "/:scope/:name/-/:file", access: "read", handle: (req) => tarballReply(req, nameOf(req.params), req.params.file!) },
  { method: "GET", path: "/:name/-/:file", access: "read", handle: (req) => tarballReply(req, req.params.name!, req.params.file!) },
  {
    method: "GET",
    path: "/:name/:version",
    access: "read",
    // `/@scope/name` is a scoped packument, not a version.
    handle: (req) => (req.params.name!.startsWith("@") && !req.params.name!.includes("/") ? packumentReply(req, `${req.params.name}/${req.params.version}`) : versionReply(req, req.params.name!, req.params.version!)),
  },
  { method: "PUT", path: "/:scope/:name", access: "write", handle: (req) => (req.params.scope!.startsWith("@") ? publish(req, nameOf(req.params)) : fail(404, "404 Not Found")) },
  { method: "GET", path: "/:name", access: "read", handle: (req) => packumentReply(req, req.params.name!) },
  { method: "PUT", path: "/:name", access: "write", handle: (req) => publish(req, req.params.name!) },
];

/** The npm routes of the embedded, GitLab-shaped reference registry. */
export const npmReference: ReferenceFormat = {
  segment: "npm",
  auth: ["bearer", "headers"],
  policies: { duplicates: "reject", duplicateStatus: [403] },
  limits: { maxFileSize: 500 * 1024 * 1024 },
  routes,
};

export { scanPublishDocument, Base64Decoder, ScanError } from "./scanner.js";
export type { AttachmentSink } from "./scanner.js";
