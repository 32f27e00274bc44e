/**
 * Terraform module routes of the embedded reference registry, answering as
 * GitLab does (every status, message and rule from the facts in `../gitlab.ts`):
 *
 * - `/.well-known/terraform.json` at the host root (discovery, no credentials).
 * - `PUT /projects/:id/packages/terraform/modules/:name/:system/:version/file`:
 *   the archive as the body, GitLab's token headers; SemVer versions (400),
 *   `[-a-z0-9]+/[-a-z0-9]+` names (422), a version the project has is 403,
 *   over the limit Rails' 400 `File is too large`.
 * - `GET /projects/:id/packages/terraform/modules/:name/:system[/:version]`
 *   (GitLab 16.7+): Basic auth with checked usernames; the archive, or with
 *   `?terraform-get=1` 204 and `X-Terraform-Get`.
 * - The module registry protocol at instance level,
 *   `/packages/terraform/modules/v1/:namespace/:name/:system/…` with
 *   `Authorization: Bearer`: versions, latest, download (204 with
 *   `X-Terraform-Get: …/file?token=<JWT>&archive=tgz`) and the file, which
 *   reads its credential from `?token=` only.
 *
 * The JWT is HS256 with a key drawn at start, valid 5 minutes as GitLab's
 * (Gitlab::JWTToken): it names the packages its caller could read when it was
 * issued, which is what the file route serves from (GitLab re-reads the
 * token's user; the answer is the same while the token lives).
 *
 * Where the reference stops short of GitLab (anonymous reads of a public
 * project through the namespace API, the cross-project namespace duplicate
 * rule, group ids as namespaces) the docs page says so.
 *
 * @module
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from "node:crypto";
import type { PackageStore, ReferenceFormat, ReferenceReply, ReferenceRequest, ReferenceRoute, StoredPackage } from "@regkit/registry/contract";
import { ReferenceHttpError } from "@regkit/registry/contract";
import { terraformGitLabFacts as facts } from "../gitlab.js";
import { archiveFileName } from "../package.js";
import { compareTerraformVersions, isSemver } from "../version.js";

const MODULES_V1 = facts.discovery.value.modulesV1;

// ---------------------------------------------------------------------------
// The download token (GitLab's Gitlab::TerraformRegistryToken)

interface Grant {
  readonly store: PackageStore;
  readonly expires: number;
}

/** Tokens issued and not yet expired, by `jti`; bounded (the oldest go first). */
const grants = new Map<string, Grant>();
const GRANT_LIMIT = 10_000;
const KEY = randomBytes(32);

function base64url(data: string | Buffer): string {
  return Buffer.from(data).toString("base64url");
}

function sign(input: string): Buffer {
  return createHmac("sha256", KEY).update(input).digest();
}

/** A JWT (HS256, `facts.fileToken.value.expiresInSeconds`) that lets its bearer read from `store` until it expires. */
export function issueDownloadToken(store: PackageStore, now = Date.now()): string {
  for (const [jti, grant] of grants) {
    if (grant.expires > now && grants.size < GRANT_LIMIT) break;
    grants.delete(jti);
  }
  const iat = Math.floor(now / 1000);
  const exp = iat + facts.fileToken.value.expiresInSeconds;
  const jti = randomUUID();
  grants.set(jti, { store, expires: exp * 1000 });
  const input = `${base64url(JSON.stringify({ typ: "JWT", alg: "HS256" }))}.${base64url(JSON.stringify({ jti, iat, nbf: iat, exp }))}`;
  return `${input}.${base64url(sign(input))}`;
}

/** The store a download token grants, or undefined for a token that is missing, forged, expired or unknown. */
export function redeemDownloadToken(token: string | null, now = Date.now()): PackageStore | undefined {
  const parts = (token ?? "").split(".");
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  const expected = sign(`${header}.${payload}`);
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  const { jti, exp } = (claims ?? {}) as { jti?: unknown; exp?: unknown };
  if (typeof jti !== "string" || typeof exp !== "number" || exp * 1000 <= now) return undefined;
  const grant = grants.get(jti);
  return grant && grant.expires > now ? grant.store : undefined;
}

// ---------------------------------------------------------------------------
// Answers

function message(status: number, text: string): ReferenceReply {
  return { status, body: { message: text } };
}

const NOT_FOUND = (): ReferenceReply => message(404, "404 Not Found");

/** The stored name of a module: `<name>/<system>`. */
function storedName(params: Readonly<Record<string, string>>): string {
  return `${params.name ?? ""}/${params.system ?? ""}`;
}

/** The project's web URL as GitLab's presenters give it (`source`). */
function webUrl(req: ReferenceRequest): string {
  return `${new URL(req.baseUrl).origin}/${req.project.path}`;
}

/** Whether the URL's namespace is the group the caller's packages live in (GitLab's find_namespace; the reference knows its top-level group by path). */
function sameNamespace(req: ReferenceRequest): boolean {
  const group = req.project.path.split("/")[0];
  return req.params.namespace === group;
}

function versionsOfPackage(pkg: StoredPackage | undefined): string[] {
  return pkg ? pkg.versions.filter((v) => v.files.length > 0).map((v) => v.version) : [];
}

function latestOf(pkg: StoredPackage | undefined): string | undefined {
  return versionsOfPackage(pkg).sort(compareTerraformVersions).at(-1);
}

/** ModuleVersionPresenter through the ModuleVersion entity. */
function moduleVersion(req: ReferenceRequest, version: string): Record<string, unknown> {
  const system = req.params.system!;
  return {
    name: storedName(req.params),
    provider: system,
    providers: [system],
    root: { dependencies: [] },
    source: webUrl(req),
    submodules: [],
    version,
    versions: [version],
  };
}

/** The namespace routes' common checks: the namespace (403, as `authorize_read_package!` of no namespace), then the package. */
async function lookup(req: ReferenceRequest): Promise<{ readonly pkg: StoredPackage | undefined } | { readonly refused: ReferenceReply }> {
  if (!sameNamespace(req)) return { refused: message(403, "403 Forbidden") };
  return { pkg: await req.store.get(storedName(req.params)) };
}

async function versions(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await lookup(req);
  if ("refused" in found) return found.refused;
  const listed = versionsOfPackage(found.pkg);
  const system = req.params.system!;
  const entries = listed.map((version) => ({ version, submodules: [], root: { dependencies: [], providers: [{ name: system, version: "" }] } }));
  // ModulesPresenter: `source` only when there is a package (`.compact`).
  return { status: facts.versions.value.status, body: { modules: [listed.length > 0 ? { versions: entries, source: webUrl(req) } : { versions: entries }] } };
}

function noVersion(req: ReferenceRequest): ReferenceReply {
  return { status: facts.latest.value.missing, body: { message: { error: `No version found for ${req.params.name} module` } } };
}

async function latest(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await lookup(req);
  if ("refused" in found) return found.refused;
  const version = latestOf(found.pkg);
  if (!version) return noVersion(req);
  return { status: 200, body: moduleVersion(req, version) };
}

/** The namespace path of a module, from the API root. */
function protocolPath(req: ReferenceRequest, version: string, tail: string): string {
  const { namespace = "", name = "", system = "" } = req.params;
  return `${MODULES_V1}${[namespace, name, system, version].map((part) => encodeURIComponent(part)).join("/")}/${tail}`;
}

async function latestDownload(req: ReferenceRequest): Promise<ReferenceReply> {
  const found = await lookup(req);
  if ("refused" in found) return found.refused;
  const version = latestOf(found.pkg);
  if (!version) return noVersion(req);
  return { status: facts.latest.value.redirect, headers: { location: `${new URL(req.baseUrl).origin}${protocolPath(req, version, "download")}` }, body: "" };
}

/** The version's one file, or undefined (`not_found! unless package && package_file`). */
async function versionFile(req: ReferenceRequest, store: PackageStore): Promise<{ readonly version: string; readonly filename: string } | undefined> {
  const version = req.params.version!;
  if (!isSemver(version)) return undefined;
  const pkg = await store.get(storedName(req.params));
  const stored = pkg?.versions.find((v) => v.version === version);
  const file = stored?.files[0];
  return file ? { version, filename: file.filename } : undefined;
}

async function versionDetails(req: ReferenceRequest): Promise<ReferenceReply> {
  if (!sameNamespace(req)) return message(403, "403 Forbidden");
  const file = await versionFile(req, req.store);
  return file ? { status: 200, body: moduleVersion(req, file.version) } : NOT_FOUND();
}

async function download(req: ReferenceRequest): Promise<ReferenceReply> {
  if (!sameNamespace(req)) return message(403, "403 Forbidden");
  const file = await versionFile(req, req.store);
  if (!file) return { status: facts.download.value.missing, body: { message: "404 Not Found" } };
  // GitLab wraps the caller's token; an anonymous caller (a public group) gets `token=`.
  const token = req.principal.kind === "anonymous" ? "" : issueDownloadToken(req.store);
  return {
    status: facts.download.value.status,
    headers: { "x-terraform-get": `${protocolPath(req, file.version, "file")}?token=${token}&archive=tgz` },
    body: "",
  };
}

async function serveFile(store: PackageStore, name: string, version: string, filename: string): Promise<ReferenceReply> {
  const file = await store.open(name, version, filename);
  if (!file) return NOT_FOUND();
  return {
    status: facts.fileToken.value.status,
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(file.size),
      "content-disposition": `attachment; filename="${filename}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
    },
    body: file.stream(),
  };
}

async function fileByToken(req: ReferenceRequest): Promise<ReferenceReply> {
  const store = redeemDownloadToken(req.query.get(facts.fileToken.value.param));
  if (!store) return message(facts.fileToken.value.invalid, "401 Unauthorized");
  if (!sameNamespace(req)) return message(403, "403 Forbidden");
  const file = await versionFile(req, store);
  if (!file) return NOT_FOUND();
  return serveFile(store, storedName(req.params), file.version, file.filename);
}

// ---------------------------------------------------------------------------
// Project level

async function upload(req: ReferenceRequest): Promise<ReferenceReply> {
  const version = req.params.version ?? "";
  if (!isSemver(version)) return { status: facts.versionRule.value.status, body: { error: "module_version is invalid" } };
  let staged;
  try {
    staged = await req.store.stage(req.body, req.limits.maxFileSize);
  } catch (error) {
    if (error instanceof ReferenceHttpError && error.status === 413) return message(facts.overLimit.value.status, facts.overLimit.value.message);
    throw error;
  }
  const name = storedName(req.params);
  if (!facts.nameRule.value.rule.test(name)) {
    await req.store.discard(staged);
    return message(facts.nameRule.value.status, facts.nameRule.value.message);
  }
  const outcome = await req.store.commit({
    name,
    version,
    files: [{ filename: archiveFileName(name, version), staged }],
    metadata: {},
    // The same version in the same project is refused whatever the group's settings.
    duplicates: "reject",
  });
  if (outcome.kind === "duplicate") return message(facts.duplicateVersion.value.status, facts.duplicateVersion.value.message);
  return message(facts.uploadStatus.value.status, facts.uploadStatus.value.message);
}

/** `GET /projects/:id/packages/terraform/modules/:name/:system[/*version]` (GitLab 16.7+). */
async function projectDownload(req: ReferenceRequest): Promise<ReferenceReply> {
  const flag = req.query.get("terraform-get");
  if (flag !== null && flag !== "1") return { status: 400, body: { error: "terraform-get does not have a valid value" } };
  const name = storedName(req.params);
  const pkg = await req.store.get(name);
  const wanted = req.params.version;
  if (wanted !== undefined && !isSemver(wanted)) return { status: 400, body: { error: "module_version is invalid" } };
  if (flag === "1") {
    const url = `${req.baseUrl}/modules/${encodeURIComponent(req.params.name!)}/${encodeURIComponent(req.params.system!)}${wanted === undefined ? "" : `/${encodeURIComponent(wanted)}`}`;
    return { status: facts.projectDownload.value.terraformGet, headers: { "x-terraform-get": `${url}?archive=tgz` }, body: "" };
  }
  const version = wanted ?? latestOf(pkg);
  const file = pkg?.versions.find((v) => v.version === version)?.files[0];
  if (!version || !file) return NOT_FOUND();
  return serveFile(req.store, name, version, file.filename);
}

// ---------------------------------------------------------------------------

const PROTOCOL = "/modules/v1/:namespace/:name/:system";
const instance = { levels: ["instance" as const], auth: ["bearer" as const] };

const routes: readonly ReferenceRoute[] = [
  { method: "PUT", path: "/modules/:name/:system/*version/file", access: "write", levels: ["project"], auth: ["headers"], handle: upload },
  { method: "GET", path: `${PROTOCOL}/versions`, access: "read", ...instance, handle: versions },
  { method: "GET", path: `${PROTOCOL}/download`, access: "read", ...instance, handle: latestDownload },
  { method: "GET", path: `${PROTOCOL}/:version/download`, access: "read", ...instance, handle: download },
  // Reads its credential from `?token=` itself (the route reads no headers).
  { method: "GET", path: `${PROTOCOL}/:version/file`, access: "public", levels: ["instance"], handle: fileByToken },
  { method: "GET", path: `${PROTOCOL}/:version`, access: "read", ...instance, handle: versionDetails },
  { method: "GET", path: PROTOCOL, access: "read", ...instance, handle: latest },
  { method: "GET", path: "/modules/:name/:system", access: "read", levels: ["project"], auth: ["basic"], handle: projectDownload },
  { method: "GET", path: "/modules/:name/:system/*version", access: "read", levels: ["project"], auth: ["basic"], handle: projectDownload },
];

/** The Terraform modules format as the reference registry serves it. */
export const terraformReference: ReferenceFormat = {
  segment: "terraform",
  // GitLab's Packages API type of these packages (app/models/packages/package.rb, enum package_type).
  packageType: "terraform_module",
  auth: ["headers"],
  // The project-level downloads check Basic usernames (`*_with_username` token types).
  basicUsernames: "checked",
  policies: { duplicates: "reject", duplicateStatus: [facts.duplicateVersion.value.status] },
  limits: { maxFileSize: facts.maxFileSize.value },
  routes,
  // The endpoint names the project by path, so the module namespace (its top-level group) can be read from it.
  endpoint: (origin, project) => `${origin}/api/v4/projects/${encodeURIComponent(project.path)}/packages/terraform`,
  host: async () => ({
    routes: [
      {
        method: "GET",
        path: facts.discovery.value.path,
        handle: async () => ({ status: 200, body: { "modules.v1": facts.discovery.value.modulesV1 } }),
      },
    ],
  }),
};
