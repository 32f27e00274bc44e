import {
  ReferenceError413,
  refuse,
  stageMultipart,
  type MultipartUpload,
  type ReferenceFormat,
  type ReferenceReply,
  type ReferenceRequest,
  type ReferenceRoute,
  type StoredFile,
  type StoredPackage,
  type StoredVersion,
} from "@regkit/registry/contract";
import { pypiGitLabFacts as facts } from "../gitlab.js";
import { normalizeName, parseDistFilename } from "../names.js";
import { escapeHtml } from "../simple.js";

/** Streams the multipart upload: fields kept, the `content` part staged as it arrives. */
function parseUpload(req: ReferenceRequest): Promise<MultipartUpload> {
  return stageMultipart(req, {
    field: "content",
    notMultipart: "400 Bad request - The upload must be multipart/form-data.",
    malformed: "400 Bad request - Malformed multipart body",
  });
}

/** A version's metadata as the reference keeps it (GitLab's pypi_metadatum: one per name and version, last upload wins). */
interface VersionMeta {
  /** The name as uploaded (GitLab keeps it as written). */
  readonly name: string;
  readonly requiresPython: string;
  readonly summary: string;
}

/** Package-level metadata: per version and file, the sha256 the client declared (null: none). */
type Declared = Record<string, Record<string, string | null>>;

const grapeError = (messages: readonly string[]): ReferenceReply => ({ status: 400, body: { error: messages.join(", ") } });

/** GitLab validates the record, then answers `400 Bad request - Validation failed: …`. */
function invalidRecord(name: string, version: string, requiresPython: string): string[] {
  const errors: string[] = [];
  if (!facts.nameRule.value.pattern.test(name)) errors.push("Name is invalid");
  if (!facts.versionRule.value.pattern.test(version)) errors.push("Version is invalid");
  if (requiresPython.length > facts.requiresPythonMax.value) errors.push(`Required python is too long (maximum is ${facts.requiresPythonMax.value} characters)`);
  return errors;
}

async function upload(req: ReferenceRequest): Promise<ReferenceReply> {
  let parsed: MultipartUpload;
  try {
    parsed = await parseUpload(req);
  } catch (error) {
    if (error instanceof ReferenceError413) refuse(facts.fileTooLarge.value.status, facts.fileTooLarge.value.message);
    throw error;
  }
  const { fields, file } = parsed;
  try {
    // Grape's parameter validation: required fields, and the digest's form (never its value).
    const missing = facts.uploadFields.value.required.filter((field) => (field === "content" ? !file : fields[field] === undefined));
    const problems = missing.map((field) => `${field} is missing`);
    if (fields.sha256_digest !== undefined && !/^[0-9a-f]{64}$/i.test(fields.sha256_digest)) problems.push("sha256_digest is invalid");
    if (problems.length > 0) {
      await discard(req, file);
      return grapeError(problems);
    }
    const name = fields.name!;
    const version = fields.version!;
    const requiresPython = fields.requires_python ?? "";
    // No md5, `:action`, file-name or digest-against-bytes checks: GitLab has none.
    const errors = invalidRecord(name, version, requiresPython);
    if (errors.length > 0) refuse(400, `400 Bad request - Validation failed: ${errors.join(", ")}`);
    const filename = file!.filename;
    const declared = fields.sha256_digest === undefined ? null : fields.sha256_digest;
    const metadata: VersionMeta = { name, requiresPython, summary: fields.summary ?? "" };
    const outcome = await req.store.commit({
      name: normalizeName(name),
      version,
      files: [{ filename, staged: file!.staged }],
      metadata,
      // Duplicates are per file (a wheel and an sdist of one version are two
      // files), decided under the store's lock so concurrent uploads of one
      // file cannot both win.
      duplicates: "allow",
      fileDuplicates: req.policies.duplicates,
      update: (meta) => {
        const sha256 = { ...(meta.sha256 as Declared | undefined) };
        sha256[version] = { ...sha256[version], [filename]: declared };
        return { ...meta, displayName: typeof meta.displayName === "string" ? meta.displayName : name, sha256 };
      },
    });
    if (outcome.kind === "duplicate") refuse(facts.duplicateFile.value.status, facts.duplicateFile.value.message);
    return { status: facts.uploadStatus.value, body: { message: "201 Created" } };
  } catch (error) {
    await discard(req, file).catch(() => {});
    throw error;
  }
}

async function discard(req: ReferenceRequest, file: MultipartUpload["file"]): Promise<void> {
  if (file) await req.store.discard(file.staged);
}

/** GitLab's test with `pypi_pep_691_json` on: any Accept entry starting with a PEP 691 JSON type; q-values are not read. */
export function pep691Requested(accept: string | undefined): boolean {
  return (accept ?? "").split(",").some((entry) => facts.pep691Negotiation.value.jsonTypes.some((type) => entry.trim().startsWith(type)));
}

/** Which form a simple page takes, and its headers, as GitLab decides. */
function form(req: ReferenceRequest): { json: boolean; headers: Record<string, string> } {
  const neg = facts.pep691Negotiation.value;
  if (!req.features[facts.pep691Flag.value.flag]) return { json: false, headers: { "content-type": facts.simpleHtml.value.contentType } };
  const json = pep691Requested(req.headers.accept);
  return { json, headers: { "content-type": json ? neg.jsonContentType : neg.htmlContentType, vary: neg.vary } };
}

function html(title: string, links: readonly string[]): string {
  return `<!DOCTYPE html>\n<html>\n<head>\n<title>Links for ${escapeHtml(title)}</title>\n</head>\n<body>\n<h1>Links for ${escapeHtml(title)}</h1>\n${links.join("")}\n</body>\n</html>\n`;
}

const anchor = (href: string, requiresPython: string, text: string): string =>
  `<a href="${escapeHtml(href)}" data-requires-python="${escapeHtml(requiresPython)}">${escapeHtml(text)}</a>`;

const metaOf = (pkg: StoredPackage, version: StoredVersion): VersionMeta => {
  const meta = version.metadata as Partial<VersionMeta> | undefined;
  return { name: meta?.name ?? (typeof pkg.metadata.displayName === "string" ? pkg.metadata.displayName : pkg.name), requiresPython: meta?.requiresPython ?? "", summary: meta?.summary ?? "" };
};

/** The sha256 GitLab stored for a file: the declared one ("" when none was sent). */
function storedSha256(pkg: StoredPackage, version: string, file: StoredFile): string {
  const declared = (pkg.metadata.sha256 as Declared | undefined)?.[version]?.[file.filename];
  return declared === undefined ? file.digests.sha256 : (declared ?? "");
}

async function projectPage(req: ReferenceRequest): Promise<ReferenceReply> {
  // GitLab normalizes the stored names and only lower-cases the requested one: no redirect.
  const pkg = await req.store.get(req.params.name!.toLowerCase());
  if (!pkg || pkg.versions.length === 0) refuse(facts.unknownPackage.value.status, facts.unknownPackage.value.message);
  const { json, headers } = form(req);
  // Built once per revision, form and base URL; the store keeps it within its byte budget.
  const body = req.store.rendered(pkg, `simple\u0000${json ? "json" : "html"}\u0000${req.baseUrl}`, () => projectPageOf(req, pkg, json));
  return { status: 200, headers, body };
}

/** The simple page of one project, in the form `json` chooses. */
function projectPageOf(req: ReferenceRequest, pkg: StoredPackage, json: boolean): string {
  const files = pkg.versions.flatMap((v) => {
    const meta = metaOf(pkg, v);
    return v.files.map((f) => {
      const sha256 = storedSha256(pkg, v.version, f);
      return { filename: f.filename, url: `${req.baseUrl}/files/${sha256}/${encodeURIComponent(f.filename)}#sha256=${sha256}`, sha256, requiresPython: meta.requiresPython };
    });
  });
  if (json) {
    const entries = files.map((f) => ({ filename: f.filename, url: f.url, hashes: { sha256: f.sha256 }, ...(f.requiresPython ? { "requires-python": f.requiresPython } : {}) }));
    return JSON.stringify({ meta: { "api-version": "1.0" }, name: pkg.name, files: entries });
  }
  return html(metaOf(pkg, pkg.versions[0]!).name, files.map((f) => anchor(f.url, f.requiresPython, f.filename)));
}

async function projectList(req: ReferenceRequest): Promise<ReferenceReply> {
  const packages = (await Promise.all((await req.store.names()).map((name) => req.store.get(name)))).filter((p): p is StoredPackage => p !== undefined && p.versions.length > 0);
  const { json, headers } = form(req);
  if (json) {
    const projects = [...new Set(packages.map((p) => p.name))].sort().map((name) => ({ name }));
    return { status: 200, headers, body: Buffer.from(JSON.stringify({ meta: { "api-version": "1.0" }, projects })) };
  }
  // One anchor per version (GitLab lists package records), under the name as uploaded.
  const links = packages.flatMap((p) => p.versions.map((v) => {
    const meta = metaOf(p, v);
    return anchor(`${req.baseUrl}/simple/${p.name}`, meta.requiresPython, meta.name);
  }));
  // Titled with the project's (or group's) name.
  const owner = /\/groups\/([^/]+)\/-\//.exec(req.baseUrl)?.[1] ?? req.project.path;
  return { status: 200, headers, body: html(decodeURIComponent(owner).split("/").at(-1) ?? owner, links) };
}

async function download(req: ReferenceRequest): Promise<ReferenceReply> {
  const filename = req.params.file!;
  const sha256 = req.params.sha256!;
  const holds = async (name: string): Promise<{ name: string; version: string } | undefined> => {
    const pkg = await req.store.get(name);
    const version = pkg?.versions.find((v) => v.files.some((f) => f.filename === filename && storedSha256(pkg, v.version, f) === sha256));
    return version && { name, version: version.version };
  };
  // GitLab finds the file by name and sha256 whatever the project name; the usual case first.
  const guess = parseDistFilename(filename);
  let found = guess ? await holds(normalizeName(guess.name)) : undefined;
  for (const name of found ? [] : await req.store.names()) {
    found = await holds(name);
    if (found) break;
  }
  if (!found) refuse(facts.download.value.status, facts.download.value.message);
  const opened = (await req.store.open(found.name, found.version, filename)) ?? refuse(facts.download.value.status, facts.download.value.message);
  return { status: 200, headers: { "content-type": "application/octet-stream", "content-length": String(opened.size) }, body: opened.stream() };
}

const read = facts.levels.value.read;
const routes: ReferenceRoute[] = [
  { method: "POST", path: "/", access: "write", levels: facts.levels.value.upload, handle: upload },
  { method: "GET", path: "/simple", access: "read", levels: read, handle: projectList },
  { method: "GET", path: "/simple/:name", access: "read", levels: read, handle: projectPage },
  { method: "GET", path: "/files/:sha256/:file", access: "read", levels: read, handle: download },
];

/** The PyPI routes of the embedded, GitLab-shaped reference registry (pypiGitLabFacts). */
export const pypiReference: ReferenceFormat = {
  segment: "pypi",
  // A job token only as Basic gitlab-ci-token (or Bearer): GitLab's PyPI routes read no JOB-TOKEN header.
  auth: ["basic", "bearer", "privateToken", "deployToken"],
  basicUsernames: "ignored",
  policies: { duplicates: facts.duplicateFile.value.policy, duplicateStatus: [facts.duplicateFile.value.status] },
  // Listed under the name it was uploaded as (the store keys the normalized one).
  listed: (pkg, version) => {
    const v = pkg.versions.find((x) => x.version === version);
    return { name: v ? metaOf(pkg, v).name : pkg.name, version };
  },
  limits: { maxFileSize: facts.maxFileSize.value },
  routes,
};
