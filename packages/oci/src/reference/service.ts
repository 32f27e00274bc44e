/**
 * The reference registry's OCI side: the distribution API (spec v1.1) at
 * `/v2/` and GitLab's token realm at `/jwt/auth`, on the registry's own
 * origin. GitLab serves the realm on the GitLab host and the registry on a
 * separate one (ociGitLabFacts.imageNamespace); one origin here keeps the
 * reference a single process, and clients follow the realm URL in the
 * challenge either way.
 *
 * Requests to `/v2/` carry a Bearer token from the realm; each is checked for
 * the action it needs (GET/HEAD pull; POST/PATCH/PUT pull and push; DELETE
 * delete, as distribution's access records ask) and refused with 401 and a
 * challenge naming the scope to ask for.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import type { HostCaller, HostEnvironment, HostRequest, HostService, ReferenceReply } from "@regkit/registry/contract";
import { ociGitLabFacts } from "../gitlab.js";
import { API_VERSION_HEADER, OciError, errorReply } from "./errors.js";
import { DIGEST, OciStorage, type StoredManifest, TooLarge, type UploadSession } from "./storage.js";
import { type Access, type Claims, SERVICE, type TokenKeys, allows, isRecord, makeKeys, parseScope, signToken, verifyToken } from "./token.js";

/** Media types a manifest may be pushed as. */
export const MANIFEST_TYPES = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;
const INDEX_TYPES: readonly string[] = [MANIFEST_TYPES.ociIndex, MANIFEST_TYPES.dockerList];
const KNOWN_TYPES: readonly string[] = Object.values(MANIFEST_TYPES);

/** Manifests larger than this are refused: the spec asks registries to take at least 4 MiB, distribution's default limit. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;
/** `_catalog` and `tags/list` pages when the client names no `n`. */
const DEFAULT_PAGE = 1000;

const NON_DISTRIBUTABLE = /\.nondistributable\.|\.foreign\./;
const ANY_DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const TAG = new RegExp(ociGitLabFacts.tagName.value);
const NAME = new RegExp(ociGitLabFacts.repositoryPath.value.nameRegex);
/** GitLab's `Namespace::NUMBER_OF_ANCESTORS_ALLOWED`: a path may not be deeper. */
const MAX_COMPONENTS = 20;

interface Context {
  readonly env: HostEnvironment;
  readonly storage: OciStorage;
  readonly keys: TokenKeys;
}

/** Starts the OCI side of one reference registry (its own key pair and storage). */
export async function startOciService(env: HostEnvironment): Promise<HostService> {
  const ctx: Context = { env, storage: await OciStorage.open(env.dataDir, env.durable, env.blobMemory), keys: await makeKeys() };
  const v2 = (req: HostRequest): Promise<ReferenceReply> => distribution(ctx, req, req.params.path ?? "");
  return {
    routes: [
      { method: "GET", path: ociGitLabFacts.tokenRealm.value.path, handle: (req) => realm(ctx, req) },
      { method: "*", path: "/v2", handle: v2 },
      { method: "*", path: "/v2/*path", handle: v2 },
    ],
    close: () => ctx.storage.close(),
  };
}

// The token realm (GitLab's JwtController#auth and ContainerRegistryAuthenticationService).

async function realm(ctx: Context, req: HostRequest): Promise<ReferenceReply> {
  const basic = basicCredentials(req.headers.authorization);
  let caller: HostCaller | undefined;
  if (basic) {
    caller = ctx.env.identify(basic.username, basic.password);
    if (!caller) return realmError(401, "UNAUTHORIZED", "HTTP Basic: Access denied");
  }
  if (req.query.get("service") !== SERVICE) return { status: 404 };
  const requested = req.query.getAll("scope").flatMap((s) => s.split(" ")).filter((s) => s !== "");
  const granted = requested.flatMap((scope) => {
    const access = grantScope(ctx, caller, scope);
    return access ? [access] : [];
  });
  if (granted.length === 0 && !caller) return realmError(403, "DENIED", ociGitLabFacts.tokenDenied.value.message);
  // GitLab sets `sub` to the user; a deploy token is no user.
  const sub = caller && caller.kind !== "deploy" && caller.kind !== "readonly" ? caller.name : undefined;
  const token = signToken(ctx.keys, { aud: SERVICE, sub, access: granted });
  return { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body: { token } };
}

function realmError(status: number, code: "UNAUTHORIZED" | "DENIED", message: string): ReferenceReply {
  return { status, headers: { "content-type": "application/json; charset=utf-8" }, body: { errors: [{ code, message }] } };
}

/** The actions of one requested scope the caller gets; undefined when none (GitLab drops the scope). */
function grantScope(ctx: Context, caller: HostCaller | undefined, scope: string): Access | undefined {
  const access = parseScope(scope);
  if (!access) return undefined;
  if (access.type === "registry") {
    // Only an administrator gets the catalog, and only as `registry:catalog:*`.
    const whole = access.actions.length === 1 && access.actions[0] === "*";
    return caller?.admin && access.name === "catalog" && whole ? { type: "registry", name: "catalog", actions: ["*"] } : undefined;
  }
  if (access.type !== "repository") return undefined;
  const name = access.name.toLowerCase();
  const project = projectOf(ctx, name);
  if (!project) return undefined;
  const actions = access.actions.filter((action) => mayDo(ctx, caller, project.id, action));
  return actions.length > 0 ? { type: "repository", name, actions } : undefined;
}

/** Whether a caller may do `action` on a project's images (ociGitLabFacts.registryActions). */
function mayDo(ctx: Context, caller: HostCaller | undefined, project: number, action: string): boolean {
  const role = caller?.access(project);
  const kind = caller?.kind;
  switch (action) {
    case "pull":
      return role !== undefined || ctx.env.visibility(project) === "public";
    case "push":
      // A job token is a member of its own project only: that is "the project it originates from".
      return (kind === "personal" && (role === "write" || role === "maintain")) || (kind === "deploy" && role === "write") || (kind === "job" && role !== undefined);
    case "delete":
      // Deploy tokens never delete (no admin_container_image); a job deletes in its own project.
      return (kind === "personal" && role === "maintain") || (kind === "job" && role !== undefined);
    case "*":
      return kind === "personal" && role === "maintain";
    default:
      return false;
  }
}

/** The project an image path belongs to: the longest of its last three prefixes that is a project (ContainerRegistry::Path). */
function projectOf(ctx: Context, name: string): { readonly id: number; readonly path: string } | undefined {
  if (!validName(name)) return undefined;
  const components = name.split("/");
  const nodes: string[] = [];
  for (let length = components.length; length >= 2; length--) nodes.push(components.slice(0, length).join("/"));
  const candidates = nodes.slice(0, ociGitLabFacts.repositoryPath.value.levelsSupported);
  for (const node of candidates) {
    const project = ctx.env.projects.find((p) => p.path === node);
    if (project) return project;
  }
  return undefined;
}

function validName(name: string): boolean {
  const components = name.split("/");
  return NAME.test(name) && components.length > 1 && components.length < MAX_COMPONENTS;
}

function basicCredentials(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^basic\s+(\S+)\s*$/i.exec(header ?? "");
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// The distribution API.

/** What a `/v2/` path addresses. */
type Endpoint =
  | { readonly kind: "base" }
  | { readonly kind: "catalog" }
  | { readonly kind: "tags"; readonly name: string }
  | { readonly kind: "manifest"; readonly name: string; readonly reference: string }
  | { readonly kind: "blob"; readonly name: string; readonly digest: string }
  | { readonly kind: "uploads"; readonly name: string }
  | { readonly kind: "upload"; readonly name: string; readonly id: string }
  | { readonly kind: "referrers"; readonly name: string; readonly digest: string };

function parseEndpoint(path: string): Endpoint | undefined {
  if (path === "") return { kind: "base" };
  if (path === "_catalog") return { kind: "catalog" };
  const s = path.split("/");
  const at = (i: number): string | undefined => s[s.length + i];
  const name = (drop: number): string => s.slice(0, s.length - drop).join("/");
  if (at(-2) === "tags" && at(-1) === "list") return { kind: "tags", name: name(2) };
  if (at(-3) === "blobs" && at(-2) === "uploads") return at(-1) === "" ? { kind: "uploads", name: name(3) } : { kind: "upload", name: name(3), id: at(-1)! };
  if (at(-2) === "blobs" && at(-1) === "uploads") return { kind: "uploads", name: name(2) };
  if (at(-2) === "manifests" && at(-1) !== "") return { kind: "manifest", name: name(2), reference: at(-1)! };
  if (at(-2) === "blobs" && at(-1) !== "") return { kind: "blob", name: name(2), digest: at(-1)! };
  if (at(-2) === "referrers" && at(-1) !== "") return { kind: "referrers", name: name(2), digest: at(-1)! };
  return undefined;
}

async function distribution(ctx: Context, req: HostRequest, path: string): Promise<ReferenceReply> {
  try {
    const endpoint = parseEndpoint(path);
    if (!endpoint) throw new OciError(404, "NAME_UNKNOWN", `no distribution API route for /v2/${path}`);
    if (endpoint.kind === "base") {
      authorize(ctx, req, undefined, []);
      return { status: 200, headers: { ...API_VERSION_HEADER, "content-type": "application/json" }, body: {} };
    }
    if (endpoint.kind === "catalog") {
      onlyMethods(req, ["GET", "HEAD"]);
      authorize(ctx, req, { type: "registry", name: "catalog", actions: ["*"] }, ["*"]);
      return page(req, "/v2/_catalog", ctx.storage.repositories(), (items) => ({ repositories: items }));
    }
    const { name } = endpoint;
    if (!validName(name)) throw new OciError(400, "NAME_INVALID", `invalid repository name ${JSON.stringify(name)}`, { detail: { name } });
    const claims = authorize(ctx, req, { type: "repository", name, actions: [] }, actionsFor(req.method));
    switch (endpoint.kind) {
      case "tags":
        onlyMethods(req, ["GET", "HEAD"]);
        return tagsList(ctx, req, name);
      case "manifest":
        return await manifestRoute(ctx, req, name, endpoint.reference);
      case "blob":
        return await blobRoute(ctx, req, name, endpoint.digest);
      case "uploads":
        onlyMethods(req, ["POST"]);
        return await startUpload(ctx, req, name, claims);
      case "upload":
        return await uploadRoute(ctx, req, name, endpoint.id);
      case "referrers":
        onlyMethods(req, ["GET", "HEAD"]);
        return referrers(ctx, req, name, endpoint.digest);
    }
  } catch (error) {
    if (error instanceof OciError) return error.reply();
    if (error instanceof TooLarge) return errorReply(413, "SIZE_INVALID", error.message, { limit: error.limit });
    throw error;
  }
}

/** distribution's access records: reads pull, writes pull and push, DELETE delete. */
function actionsFor(method: string): readonly string[] {
  if (method === "GET" || method === "HEAD") return ["pull"];
  if (method === "DELETE") return ["delete"];
  return ["pull", "push"];
}

function onlyMethods(req: HostRequest, methods: readonly string[]): void {
  if (!methods.includes(req.method)) throw new OciError(405, "UNSUPPORTED", `${req.method} is not supported here`, { headers: { allow: methods.join(", ") } });
}

/**
 * The token's claims when it allows `actions` on `resource`; otherwise a 401
 * with the challenge a client follows to the realm (`error="invalid_token"`
 * or `error="insufficient_scope"` when a token came but does not do).
 */
function authorize(ctx: Context, req: HostRequest, resource: Access | undefined, actions: readonly string[]): Claims {
  const scope = resource ? `${resource.type}:${resource.name}:${actions.join(",")}` : undefined;
  const challenge = (error?: string): Record<string, string> => ({
    "www-authenticate": [
      `Bearer realm="${req.origin}${ociGitLabFacts.tokenRealm.value.path}"`,
      `service="${SERVICE}"`,
      ...(scope ? [`scope="${scope}"`] : []),
      ...(error ? [`error="${error}"`] : []),
    ].join(","),
  });
  const detail = resource ? actions.map((action) => ({ Type: resource.type, Name: resource.name, Action: action })) : undefined;
  const match = /^bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
  if (!match) throw new OciError(401, "UNAUTHORIZED", "authentication required", { detail, headers: challenge() });
  const claims = verifyToken(ctx.keys, match[1]!);
  if ("invalid" in claims) throw new OciError(401, "UNAUTHORIZED", `authentication required: ${claims.invalid}`, { detail, headers: challenge("invalid_token") });
  if (resource && !actions.every((action) => allows(claims, resource.type, resource.name, action))) {
    throw new OciError(401, "UNAUTHORIZED", "insufficient scope: the token does not grant what this request needs", {
      detail,
      headers: challenge("insufficient_scope"),
    });
  }
  return claims;
}

function checkDigest(digest: string): string {
  if (DIGEST.test(digest)) return digest;
  const message = ANY_DIGEST.test(digest) ? `unsupported digest ${JSON.stringify(digest)}: this registry takes sha256 and sha512` : `invalid digest ${JSON.stringify(digest)}`;
  throw new OciError(400, "DIGEST_INVALID", message, { detail: { digest } });
}

// Blobs.

async function blobRoute(ctx: Context, req: HostRequest, name: string, rawDigest: string): Promise<ReferenceReply> {
  onlyMethods(req, ["GET", "HEAD", "DELETE"]);
  const digest = checkDigest(rawDigest);
  if (!ctx.storage.hasBlob(name, digest)) throw new OciError(404, "BLOB_UNKNOWN", `blob ${digest} is unknown to repository ${name}`, { detail: { digest } });
  if (req.method === "DELETE") {
    if (!(await ctx.storage.deleteBlob(name, digest))) throw new OciError(404, "BLOB_UNKNOWN", `blob ${digest} is unknown to repository ${name}`, { detail: { digest } });
    return { status: 202, headers: { ...API_VERSION_HEADER } };
  }
  const size = await ctx.storage.blobSize(digest);
  const headers = { ...API_VERSION_HEADER, "docker-content-digest": digest, "content-type": "application/octet-stream", "accept-ranges": "bytes", etag: `"${digest}"` };
  const range = req.method === "GET" ? parseRange(req.headers.range, size) : undefined;
  if (range === "unsatisfiable") {
    return { ...errorReply(416, "BLOB_UNKNOWN", `range ${req.headers.range} is outside the blob's ${size} bytes`), headers: { ...headers, "content-range": `bytes */${size}`, "content-type": "application/json" } };
  }
  if (range) {
    return {
      status: 206,
      headers: { ...headers, "content-length": String(range.end - range.start + 1), "content-range": `bytes ${range.start}-${range.end}/${size}` },
      body: ctx.storage.openBlob(digest, range),
    };
  }
  // HEAD: a stream the reply writer drops unread, so the route's Content-Length stands.
  const body = req.method === "HEAD" ? Readable.from([]) : ctx.storage.openBlob(digest);
  return { status: 200, headers: { ...headers, "content-length": String(size) }, body };
}

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range); undefined: no usable Range header, serve it all. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!match || (match[1] === "" && match[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (match[1] === "") {
    const suffix = Number(match[2]);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

// Uploads.

function uploadHeaders(session: UploadSession, name: string): Record<string, string> {
  return {
    ...API_VERSION_HEADER,
    location: `/v2/${name}/blobs/uploads/${session.id}`,
    // distribution reports `0-0` for an empty upload too.
    range: `0-${Math.max(session.size - 1, 0)}`,
    "docker-upload-uuid": session.id,
  };
}

function blobCreated(name: string, digest: string): ReferenceReply {
  return { status: 201, headers: { ...API_VERSION_HEADER, location: `/v2/${name}/blobs/${digest}`, "docker-content-digest": digest } };
}

async function startUpload(ctx: Context, req: HostRequest, name: string, claims: Claims): Promise<ReferenceReply> {
  const limit = ctx.env.settings().limits.maxFileSize;
  const mount = req.query.get("mount");
  const from = req.query.get("from");
  if (mount !== null && from !== null) {
    const digest = checkDigest(mount);
    const source = from.toLowerCase();
    // A mount needs pull on the source too; without it (or without the blob) the spec falls back to an upload.
    if (validName(source) && allows(claims, "repository", source, "pull") && ctx.storage.hasBlob(source, digest)) {
      await ctx.storage.mount(name, digest);
      return blobCreated(name, digest);
    }
  }
  const monolithic = req.query.get("digest");
  const session = await ctx.storage.startUpload(name);
  if (monolithic === null) return { status: 202, headers: uploadHeaders(session, name) };
  return finishUpload(ctx, req, name, session, monolithic, limit);
}

async function uploadRoute(ctx: Context, req: HostRequest, name: string, id: string): Promise<ReferenceReply> {
  onlyMethods(req, ["GET", "HEAD", "PATCH", "PUT", "DELETE"]);
  const session = ctx.storage.upload(id);
  if (!session || session.repository !== name) throw new OciError(404, "BLOB_UPLOAD_UNKNOWN", `no blob upload ${id} in repository ${name}`, { detail: { id } });
  const limit = ctx.env.settings().limits.maxFileSize;
  return ctx.storage.inSession(session, async () => {
    // The session may have ended (cancelled, over the limit) while this request waited.
    if (ctx.storage.upload(id) !== session) throw new OciError(404, "BLOB_UPLOAD_UNKNOWN", `no blob upload ${id} in repository ${name}`, { detail: { id } });
    switch (req.method) {
      case "GET":
      case "HEAD":
        return { status: 204, headers: uploadHeaders(session, name) };
      case "DELETE":
        await ctx.storage.cancelUpload(session);
        return { status: 204, headers: { ...API_VERSION_HEADER } };
      case "PATCH":
        checkContentRange(req, session, name);
        await ctx.storage.append(session, req.body, limit);
        return { status: 202, headers: uploadHeaders(session, name) };
      default: {
        const digest = req.query.get("digest");
        if (digest === null) throw new OciError(400, "DIGEST_INVALID", "closing an upload needs ?digest=", { detail: { id } });
        checkContentRange(req, session, name);
        return finishUpload(ctx, req, name, session, digest, limit);
      }
    }
  });
}

/** A chunk must start where the upload stands; one that does not gets 416 and the range to resume from. */
function checkContentRange(req: HostRequest, session: UploadSession, name: string): void {
  const header = req.headers["content-range"];
  if (header === undefined) return;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/\d+|\/\*)?$/.exec(header.trim());
  if (!match) throw new OciError(400, "BLOB_UPLOAD_INVALID", `malformed Content-Range ${JSON.stringify(header)}`, { headers: uploadHeaders(session, name) });
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (start !== session.size || end < start) {
    throw new OciError(416, "BLOB_UPLOAD_INVALID", `chunk ${header} does not continue the upload, which holds ${session.size} bytes`, {
      detail: { received: session.size },
      headers: uploadHeaders(session, name),
    });
  }
}

/** Takes the last bytes, checks the digest, makes the blob visible; a mismatch drops the upload (distribution does). */
async function finishUpload(ctx: Context, req: HostRequest, name: string, session: UploadSession, rawDigest: string, limit: number): Promise<ReferenceReply> {
  let digest: string;
  try {
    digest = checkDigest(rawDigest);
  } catch (error) {
    await ctx.storage.cancelUpload(session);
    throw error;
  }
  await ctx.storage.append(session, req.body, limit);
  const actual = await ctx.storage.uploadDigest(session, digest.startsWith("sha512:") ? "sha512" : "sha256");
  if (actual !== digest) {
    await ctx.storage.cancelUpload(session);
    throw new OciError(400, "DIGEST_INVALID", `the uploaded ${session.size} bytes have digest ${actual}, not ${digest}`, { detail: { expected: digest, actual, size: session.size } });
  }
  await ctx.storage.commitUpload(session, digest);
  return blobCreated(name, digest);
}

// Manifests.

async function manifestRoute(ctx: Context, req: HostRequest, name: string, reference: string): Promise<ReferenceReply> {
  onlyMethods(req, ["GET", "HEAD", "PUT", "DELETE"]);
  const byDigest = reference.includes(":");
  if (byDigest) checkDigest(reference);
  else if (!TAG.test(reference)) throw new OciError(400, "MANIFEST_INVALID", `invalid tag ${JSON.stringify(reference)}`, { detail: { tag: reference } });
  if (req.method === "PUT") return putManifest(ctx, req, name, reference, byDigest);
  const unknown = (): OciError => new OciError(404, "MANIFEST_UNKNOWN", `manifest ${reference} is unknown to repository ${name}`, { detail: { name, reference } });
  if (req.method === "DELETE") {
    const deleted = byDigest ? await ctx.storage.deleteManifest(name, reference) : await ctx.storage.deleteTag(name, reference);
    if (!deleted) throw unknown();
    return { status: 202, headers: { ...API_VERSION_HEADER } };
  }
  const manifest = ctx.storage.manifest(name, reference);
  if (!manifest) throw unknown();
  if (!accepts(req.headers.accept, manifest.mediaType)) {
    // distribution's answer when the client's Accept leaves the stored type out.
    throw new OciError(404, "MANIFEST_UNKNOWN", `manifest ${reference} is a ${manifest.mediaType}, which the request's Accept does not list`, {
      detail: { mediaType: manifest.mediaType, accept: req.headers.accept },
    });
  }
  const bytes = await ctx.storage.readBlob(manifest.digest);
  return {
    status: 200,
    headers: { ...API_VERSION_HEADER, "content-type": manifest.mediaType, "docker-content-digest": manifest.digest, etag: `"${manifest.digest}"` },
    body: bytes,
  };
}

/** No Accept, or one listing the type or a wildcard, takes the stored type. */
function accepts(header: string | undefined, mediaType: string): boolean {
  if (header === undefined || header.trim() === "") return true;
  const types = header.split(",").map((part) => part.split(";")[0]!.trim().toLowerCase());
  return types.some((t) => t === mediaType || t === "*/*" || t === "application/*");
}

async function putManifest(ctx: Context, req: HostRequest, name: string, reference: string, byDigest: boolean): Promise<ReferenceReply> {
  const bytes = await readLimited(req.body, MAX_MANIFEST_BYTES);
  // Pushed by digest, the manifest is known by that digest's algorithm; by tag, by sha256.
  const algorithm = byDigest && reference.startsWith("sha512:") ? "sha512" : "sha256";
  const digest = `${algorithm}:${createHash(algorithm).update(bytes).digest("hex")}`;
  if (byDigest && digest !== reference) {
    throw new OciError(400, "DIGEST_INVALID", `the manifest's digest is ${digest}, not ${reference}`, { detail: { expected: reference, actual: digest } });
  }
  const contentType = req.headers["content-type"]?.split(";")[0]?.trim().toLowerCase();
  const parsed = parseManifest(bytes, contentType);
  const manifest: StoredManifest = { ...parsed, digest, size: bytes.byteLength };
  const tag = byDigest ? undefined : reference;
  const policies = ctx.env.settings().policies;
  await ctx.storage.putManifest(name, bytes, manifest, tag, (has, current) => {
    const missing = parsed.references.filter((d) => !has(d));
    if (missing.length > 0) {
      throw new OciError(400, "MANIFEST_BLOB_UNKNOWN", `the manifest names ${missing.length === 1 ? "a blob" : "blobs"} repository ${name} does not hold: ${missing.join(", ")}`, {
        detail: missing.map((d) => ({ digest: d })),
      });
    }
    // Tags move by default (GitLab); a profile that declares them immutable refuses the move.
    if (tag !== undefined && current !== undefined && current !== digest && policies.duplicates === "reject") {
      throw new OciError(403, "DENIED", `tag ${tag} is immutable here: it already names ${current}`, { detail: { tag, current } });
    }
  });
  const headers: Record<string, string> = { ...API_VERSION_HEADER, location: `/v2/${name}/manifests/${digest}`, "docker-content-digest": digest };
  if (manifest.subject !== undefined) headers["oci-subject"] = manifest.subject;
  return { status: 201, headers };
}

/** Reads a manifest's media type, references and referrer fields, or says why it is not one. */
function parseManifest(bytes: Buffer, contentType: string | undefined): Omit<StoredManifest, "digest" | "size"> {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    throw new OciError(400, "MANIFEST_INVALID", `the manifest is not JSON: ${(error as Error).message}`);
  }
  if (!isRecord(doc)) throw new OciError(400, "MANIFEST_INVALID", "the manifest is not a JSON object");
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  const mediaType = contentType ?? declared;
  if (mediaType === undefined) throw new OciError(400, "MANIFEST_INVALID", "the manifest has no media type (no Content-Type, no mediaType field)");
  if (!KNOWN_TYPES.includes(mediaType)) {
    throw new OciError(400, "MANIFEST_INVALID", `unknown manifest media type ${JSON.stringify(mediaType)}`, { detail: { mediaType, known: KNOWN_TYPES } });
  }
  if (declared !== undefined && declared !== mediaType) {
    throw new OciError(400, "MANIFEST_INVALID", `Content-Type ${mediaType} does not match the manifest's mediaType ${declared}`, { detail: { contentType: mediaType, mediaType: declared } });
  }
  if (doc.schemaVersion !== 2) throw new OciError(400, "MANIFEST_INVALID", `schemaVersion must be 2, not ${JSON.stringify(doc.schemaVersion)}`);
  const subject = doc.subject === undefined ? undefined : descriptor(doc.subject, "subject").digest;
  const annotations = stringRecord(doc.annotations);
  const artifactType = typeof doc.artifactType === "string" ? doc.artifactType : undefined;
  if (INDEX_TYPES.includes(mediaType)) {
    if (!Array.isArray(doc.manifests)) throw new OciError(400, "MANIFEST_INVALID", "an index needs a manifests array");
    const references = doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`).digest);
    return { mediaType, references, subject, annotations, artifactType };
  }
  const config = descriptor(doc.config, "config");
  if (!Array.isArray(doc.layers)) throw new OciError(400, "MANIFEST_INVALID", "an image manifest needs a layers array");
  // Non-distributable (foreign) layers live elsewhere by definition: the registry need not hold them.
  const layers = doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)).filter((l) => !NON_DISTRIBUTABLE.test(l.mediaType));
  return { mediaType, references: [config.digest, ...layers.map((l) => l.digest)], subject, annotations, artifactType: artifactType ?? config.mediaType };
}

function descriptor(value: unknown, where: string): { readonly digest: string; readonly mediaType: string } {
  if (!isRecord(value) || typeof value.digest !== "string" || typeof value.mediaType !== "string" || typeof value.size !== "number") {
    throw new OciError(400, "MANIFEST_INVALID", `${where} is not a descriptor (mediaType, digest, size)`);
  }
  if (!DIGEST.test(value.digest)) throw new OciError(400, "MANIFEST_INVALID", `${where} has an invalid or unsupported digest ${JSON.stringify(value.digest)}`);
  return { digest: value.digest, mediaType: value.mediaType };
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === "string"));
}

async function readLimited(body: Readable, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const piece of body.iterator({ destroyOnReturn: false })) {
    const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece as Uint8Array);
    size += chunk.byteLength;
    if (size > limit) throw new OciError(413, "SIZE_INVALID", `manifests are limited to ${limit} bytes`, { detail: { limit } });
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

// Discovery.

function tagsList(ctx: Context, req: HostRequest, name: string): ReferenceReply {
  const tags = ctx.storage.tags(name);
  if (!tags || !ctx.storage.exists(name)) throw new OciError(404, "NAME_UNKNOWN", `repository ${name} is unknown`, { detail: { name } });
  return page(req, `/v2/${name}/tags/list`, tags, (items) => ({ name, tags: items }));
}

/** One page of a sorted list (`n`, `last`), with `Link: <...>; rel="next"` when more follow. */
function page(req: HostRequest, path: string, all: readonly string[], shape: (items: string[]) => object): ReferenceReply {
  const rawN = req.query.get("n");
  const last = req.query.get("last");
  let n = DEFAULT_PAGE;
  if (rawN !== null) {
    if (!/^\d+$/.test(rawN)) throw new OciError(400, "UNSUPPORTED", `n must be a number, not ${JSON.stringify(rawN)}`);
    n = Number(rawN);
  }
  const after = last === null ? all : all.filter((item) => item > last);
  const items = after.slice(0, n);
  const headers: Record<string, string> = { ...API_VERSION_HEADER, "content-type": "application/json; charset=utf-8" };
  if (after.length > items.length && items.length > 0) {
    headers.link = `<${path}?n=${n}&last=${encodeURIComponent(items.at(-1)!)}>; rel="next"`;
  }
  return { status: 200, headers, body: shape(items) };
}

function referrers(ctx: Context, req: HostRequest, name: string, rawDigest: string): ReferenceReply {
  const digest = checkDigest(rawDigest);
  const filter = req.query.get("artifactType");
  const found = ctx.storage.referrers(name, digest).filter((m) => filter === null || m.artifactType === filter);
  const headers: Record<string, string> = { ...API_VERSION_HEADER, "content-type": MANIFEST_TYPES.ociIndex };
  if (filter !== null) headers["oci-filters-applied"] = "artifactType";
  return {
    status: 200,
    headers,
    body: {
      schemaVersion: 2,
      mediaType: MANIFEST_TYPES.ociIndex,
      manifests: found.map((m) => ({
        mediaType: m.mediaType,
        digest: m.digest,
        size: m.size,
        ...(m.artifactType === undefined ? {} : { artifactType: m.artifactType }),
        ...(m.annotations === undefined ? {} : { annotations: m.annotations }),
      })),
    },
  };
}
