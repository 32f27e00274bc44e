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
} from "@regkit/registry/contract";
import { npmGitLabFacts as facts, type GitLabErrorBody } from "../gitlab.js";
import { tarballName } from "../names.js";
import { scanPublishDocument, ScanError, type AttachmentSink } from "./scanner.js";

/*
 * The npm endpoint of the embedded reference registry answers as GitLab's
 * does, fact by fact (../gitlab.ts): what GitLab checks, it checks; where
 * GitLab is lenient (names, checksums, extra versions and attachments), so is
 * the reference; routes GitLab lacks (unpublish, ping, whoami, search, one
 * version's manifest) answer 404.
 */

type Manifest = Record<string, unknown> & { name?: unknown; version?: unknown; dist?: { shasum?: unknown } };
type Meta = Record<string, unknown> & { "dist-tags"?: Record<string, string> };

const fail = refuse;
const NAME_RULE = new RegExp(facts.nameRule.value);
const SEMVER = new RegExp(facts.versionRule.value.pattern);
/** Fields GitLab drops from the stored package.json (`PACKAGE_JSON_NOT_ALLOWED_FIELDS`). */
const NOT_STORED = ["readme", "readmeFilename", "licenseText", "contributors", "exports"];
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"];

/** A GitLab answer with a structured body (`render_structured_api_error!`), thrown out of a route. */
class Answer extends Error {
  readonly reply: ReferenceReply;
  constructor(body: GitLabErrorBody) {
    super(body.message);
    this.reply = { status: body.status, body: { message: body.message, error: body.error } };
  }
}

function answer(body: GitLabErrorBody): never {
  throw new Answer(body);
}

/** `{message, error}` with the same text, as GitLab's npm endpoints render most errors. */
function plainError(status: number, message: string): GitLabErrorBody {
  return { status, message, error: message };
}

/** Routes answer GitLab's structured errors through {@link Answer}. */
function structured(handle: ReferenceRoute["handle"]): ReferenceRoute["handle"] {
  return async (req) => {
    try {
      return await handle(req);
    } catch (error) {
      if (error instanceof Answer) return error.reply;
      throw error;
    }
  };
}

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

/** The project endpoint GitLab's tarball URLs point to, whatever level the packument was read at. */
function projectEndpoint(req: ReferenceRequest): string {
  const api = req.baseUrl.indexOf("/api/v4/");
  return `${req.baseUrl.slice(0, api)}/api/v4/projects/${req.project.id}/packages/npm`;
}

/** The dist-tags GitLab shows: tags of versions that exist, `latest` filled in with the highest version. */
function distTagsOf(pkg: StoredPackage): Record<string, string> {
  const present = new Set(pkg.versions.map((v) => v.version));
  const tags = Object.fromEntries(Object.entries((pkg.metadata as Meta)["dist-tags"] ?? {}).filter(([, v]) => present.has(v)));
  if (!tags.latest) {
    const highest = [...present].filter((v) => semver.valid(v)).sort(semver.rcompare)[0];
    if (highest) tags.latest = highest;
  }
  return tags;
}

/** One version as GitLab's packument shows it (`build_package_version`). */
function versionOf(req: ReferenceRequest, pkg: StoredPackage, version: StoredPackage["versions"][number]): Record<string, unknown> {
  const manifest = version.metadata as Manifest;
  const file = version.files[0]!;
  const { dependencies, fields } = facts.packumentFields.value;
  const out: Record<string, unknown> = { name: pkg.name, version: version.version };
  for (const key of [...dependencies, ...fields]) if (manifest[key] !== undefined) out[key] = manifest[key];
  // The client's shasum, stored unchecked (npm.checksums); no integrity.
  out.dist = { shasum: manifest.dist?.shasum, tarball: `${projectEndpoint(req)}/${pkg.name}/-/${file.filename}` };
  return out;
}

function packumentOf(req: ReferenceRequest, pkg: StoredPackage): unknown {
  const versions: Record<string, unknown> = {};
  for (const v of pkg.versions) versions[v.version] = versionOf(req, pkg, v);
  return { name: pkg.name, versions, "dist-tags": distTagsOf(pkg) };
}

async function mustGet(req: ReferenceRequest, name: string, missing: GitLabErrorBody): Promise<StoredPackage> {
  return (await req.store.get(name)) ?? answer(missing);
}

const PACKAGE_NOT_FOUND = facts.unknownTarball.value;

/** Streams every attachment into a staged file while the document is scanned. */
async function stagePublish(req: ReferenceRequest): Promise<{ document: Record<string, unknown>; staged: Map<string, StagedFile & { id: string }> }> {
  const staged = new Map<string, StagedFile & { id: string }>();
  const pending: Promise<unknown>[] = [];
  const passes: PassThrough[] = [];
  let failure: unknown;
  const open = (file: string): AttachmentSink => {
    const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
    passes.push(pass);
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
    // An attachment still being written (the body broke off inside it) will
    // never end: its staging is told so, or it would wait for the rest forever.
    for (const pass of passes) if (!pass.writableEnded) pass.destroy(error instanceof Error ? error : new Error(String(error)));
    await Promise.allSettled(pending);
    for (const s of staged.values()) await req.store.discard(s);
    if (failure instanceof ReferenceError413 || error instanceof ReferenceError413) answer(facts.tooLarge.value);
    if (error instanceof ScanError) fail(400, error.message);
    throw failure ?? error;
  }
}


/** `Packages::Npm::CreatePackageService`: GitLab's checks, in GitLab's order, and nothing more. */
async function publish(req: ReferenceRequest): Promise<ReferenceReply> {
  const { document, staged } = await stagePublish(req);
  const keep = new Set<string>();
  try {
    // The document's name, not the URL's (npm.bodyName).
    const name = typeof document.name === "string" ? document.name : "";
    const versions = document.versions;
    if (!versions || typeof versions !== "object" || Array.isArray(versions)) answer(plainError(400, "versions is missing"));
    // Only the first version counts (npm.firstVersionOnly).
    const [version, manifest] = (Object.entries(versions as Record<string, Manifest>)[0] ?? []) as [string | undefined, Manifest | undefined];
    if (!version) answer(plainError(400, facts.versionRule.value.empty));
    // The tarball by its exact key, scope included (npm.attachment); other attachments are ignored.
    const file = tarballName(name, version);
    const tarball = staged.get(file);
    if (!tarball) {
      answer(plainError(400, `The publish document has no attachment named ${file}: GitLab looks the tarball up by this exact key (and fails with a 500 without it).`));
    }
    if (tarball.size === 0) answer(facts.attachment.value.empty);
    const problems: string[] = [];
    if (!NAME_RULE.test(name)) problems.push(facts.invalidName.value.message.replace(/^Validation failed: /, ""));
    if (!SEMVER.test(version)) problems.push(facts.versionRule.value.message.replace(/^Validation failed: /, ""));
    const exists = (await req.store.get(name))?.versions.some((v) => v.version === version);
    if (exists) answer(facts.duplicate.value);
    if (problems.length > 0) answer(plainError(400, `Validation failed: ${problems.join(", ")}`));

    const stored: Manifest = { ...(manifest && typeof manifest === "object" ? manifest : {}) };
    for (const field of NOT_STORED) delete stored[field];
    const scripts = stored.scripts as Record<string, unknown> | undefined;
    if (scripts && typeof scripts === "object" && INSTALL_SCRIPTS.some((k) => k in scripts)) stored.hasInstallScript = true;
    // The first dist-tag of the document tags the version; latest is not forced (npm.publishTags).
    const tag = Object.keys((document["dist-tags"] as Record<string, unknown> | undefined) ?? {})[0];
    keep.add(file);
    const outcome = await req.store.commit({
      name,
      version,
      files: [{ filename: file, staged: tarball }],
      metadata: stored,
      duplicates: req.policies.duplicates,
      update: (meta) => (tag ? { ...meta, "dist-tags": { ...(meta as Meta)["dist-tags"], [tag]: version } } : meta),
    });
    if (outcome.kind === "duplicate") {
      keep.delete(file);
      answer(facts.duplicate.value);
    }
    const now = new Date().toISOString();
    // The created package record, as GitLab renders it (npm.publish).
    return {
      status: facts.publish.value,
      body: { id: req.packageId(name, version), project_id: req.project.id, name, version, package_type: "npm", status: "processing", creator_id: null, created_at: now, updated_at: now },
    };
  } finally {
    for (const [file, s] of staged) if (!keep.has(file)) await req.store.discard(s).catch(() => {});
  }
}

/** npm names arrive as one segment (`@scope%2fname`) or, for scopes, as two (`@scope/name`). */
function nameOf(params: Readonly<Record<string, string>>): string {
  return params.scope ? `${params.scope}/${params.name}` : params.name!;
}

async function packumentReply(req: ReferenceRequest, name: string): Promise<ReferenceReply> {
  const pkg = await mustGet(req, name, facts.unknownPackage.value);
  // One document whatever Accept asks for (npm.packumentContentType).
  // Built once per revision and base URL: the store keeps the bytes within its
  // byte budget and drops them when the package changes (a 300-version packument is 130 KB).
  const body = req.store.rendered(pkg, `packument\u0000${req.project.id}\u0000${req.baseUrl}`, () => JSON.stringify(packumentOf(req, pkg)));
  return { status: 200, headers: { "content-type": facts.packumentContentType.value, "content-length": String(body.byteLength) }, body };
}

async function tarballReply(req: ReferenceRequest, name: string, file: string): Promise<ReferenceReply> {
  const pkg = await mustGet(req, name, PACKAGE_NOT_FOUND);
  const version = pkg.versions.find((v) => v.files.some((f) => f.filename === file)) ?? answer(PACKAGE_NOT_FOUND);
  const opened = (await req.store.open(name, version.version, file)) ?? answer(PACKAGE_NOT_FOUND);
  return { status: 200, headers: { "content-type": "application/octet-stream", "content-length": String(opened.size) }, body: opened.stream() };
}

async function audit(req: ReferenceRequest): Promise<ReferenceReply> {
  await readJson(req.body).catch(() => undefined);
  // Request forwarding off: an empty report (npm.audit).
  return { status: facts.audit.value.status, body: [...facts.audit.value.body] };
}

const notStandard = (): never => fail(404, "404 Not Found");

const routes: ReferenceRoute[] = [
  { method: "POST", path: "/-/npm/v1/security/advisories/bulk", access: "read", handle: audit },
  { method: "POST", path: "/-/npm/v1/security/audits/quick", access: "read", handle: audit },
  {
    method: "GET",
    path: "/-/package/*name/dist-tags",
    access: "read",
    handle: async (req) => ({ status: 200, body: distTagsOf(await mustGet(req, req.params.name!, PACKAGE_NOT_FOUND)) }),
  },
  {
    method: "PUT",
    path: "/-/package/*name/dist-tags/:tag",
    access: "write",
    async handle(req) {
      const name = req.params.name!;
      const version = await readJson(req.body).catch(() => undefined);
      if (typeof version !== "string" || version === "") {
        answer({ status: 400, message: '400 Bad request - "Version" not given', error: '"Version" not given' });
      }
      const pkg = await mustGet(req, name, PACKAGE_NOT_FOUND);
      if (!pkg.versions.some((v) => v.version === version)) answer(PACKAGE_NOT_FOUND);
      await req.store.updateMetadata(name, (meta) => ({ ...meta, "dist-tags": { ...(meta as Meta)["dist-tags"], [req.params.tag!]: version } }));
      return { status: facts.distTagPut.value.status };
    },
  },
  {
    method: "DELETE",
    path: "/-/package/*name/dist-tags/:tag",
    // destroy_package: a Maintainer, or a deploy token with write scope (npm.distTagDelete).
    access: "destroy",
    async handle(req) {
      const name = req.params.name!;
      const tag = req.params.tag!;
      const pkg = await req.store.get(name);
      const target = (pkg?.metadata as Meta | undefined)?.["dist-tags"]?.[tag];
      // `latest` is an ordinary tag to GitLab; only a tag stored for a version that exists can go.
      if (!pkg || !target || !pkg.versions.some((v) => v.version === target)) answer(facts.distTagDelete.value.unknownTag);
      await req.store.updateMetadata(name, (meta) => {
        const left = { ...(meta as Meta)["dist-tags"] };
        delete left[tag];
        return { ...meta, "dist-tags": left };
      });
      return { status: facts.distTagDelete.value.status };
    },
  },
  // GitLab's tarball route: `*package_name/-/*file_name`; anonymous callers of a
  // private project get 404, and only the project level serves it (npm.anonymousPrivate, npm.tarballUrl).
  { method: "GET", path: "/*name/-/*file", access: "read", anonymous: facts.anonymousPrivate.value.tarball, levels: ["project"], handle: (req) => tarballReply(req, req.params.name!, req.params.file!) },
  // `/@scope/name` is a scoped packument; any other two-segment GET (`/:name/:version`) is a route GitLab lacks.
  { method: "GET", path: "/:scope/:name", access: "read", handle: (req) => (req.params.scope!.startsWith("@") ? packumentReply(req, nameOf(req.params)) : notStandard()) },
  { method: "GET", path: "/:name", access: "read", handle: (req) => packumentReply(req, req.params.name!) },
  { method: "PUT", path: "/:scope/:name", access: "write", handle: (req) => (req.params.scope!.startsWith("@") ? publish(req) : notStandard()) },
  { method: "PUT", path: "/:name", access: "write", handle: publish },
];

/** The npm routes of the embedded, GitLab-shaped reference registry. */
export const npmReference: ReferenceFormat = {
  segment: "npm",
  // Bearer and the token headers (npm.credentials); Basic for deploy tokens (npm.basicDeployToken).
  auth: [...facts.credentials.value, "basic"],
  // GitLab's npm routes read only a deploy token from Basic auth.
  basicKinds: ["deploy"],
  policies: { duplicates: "reject", duplicateStatus: [facts.duplicate.value.status] },
  limits: { maxFileSize: facts.maxFileSize.value },
  routes: routes.map((route) => ({ ...route, handle: structured(route.handle) })),
};

export { scanPublishDocument, Base64Decoder, ScanError } from "./scanner.js";
export type { AttachmentSink } from "./scanner.js";
