/**
 * Generic routes of the embedded reference registry, answering as GitLab does
 * (every status, message and rule comes from the facts in `../gitlab.ts`):
 * `PUT` and `GET /:package_name/:package_version/(*path/):file_name` at
 * project level.
 *
 * - Name, version and file name are checked against GitLab's regexes (400
 *   `{"error": "<param> is invalid"}`, as Grape's validation answers), and so
 *   are `select` (only `package_file`) and `status` (`default`, `hidden`).
 * - Uploads stream into the store under the format's size limit, never held
 *   in memory; past the limit the answer is Rails' 400 `File is too large`.
 * - A version holds any number of files; a file name it already has is a
 *   duplicate, refused with 400 where the group forbids duplicates, and
 *   `duplicateExceptionRegex` (GitLab's `generic_duplicate_exception_regex`)
 *   inverts the setting for packages whose name or version it matches.
 * - `status=hidden` is kept per version; hidden versions are still served,
 *   and `listed` hands the status to the registry's Packages API, which
 *   leaves them out of its list unless asked for with `?status=hidden`.
 * - The `select=package_file` answer's `id` is the registry's package file id,
 *   the one `/packages/:id/package_files` lists the file under.
 * - A file under a directory path is stored as one file named by the
 *   URL-encoded path, as GitLab stores it.
 *
 * @module
 */
import { type ReferenceFormat, type ReferenceReply, type ReferenceRequest, ReferenceHttpError } from "@regkit/registry/contract";
import { genericGitLabFacts as facts } from "../gitlab.js";

/** How the reference's Generic format is configured beyond the registry's own settings. */
export interface GenericReferenceOptions {
  /**
   * The group's `generic_duplicate_exception_regex` (JavaScript syntax):
   * packages whose name or version it matches get the opposite of the
   * duplicates policy. Empty or absent: none.
   */
  readonly duplicateExceptionRegex?: string | undefined;
}

type Fields = Readonly<Record<string, string>>;

/** Grape's answer to a parameter outside its rule. */
function invalid(param: string): ReferenceReply {
  return { status: facts.invalidParam.value, body: { error: `${param} is invalid` } };
}

function notValid(param: string): ReferenceReply {
  return { status: facts.invalidParam.value, body: { error: `${param} does not have a valid value` } };
}

/** The stored file name of a `(*path/):file_name`: the URL-encoded path when there is one (GitLab's #encoded_file_name). */
function storedName(rest: string): { readonly fileName: string; readonly stored: string } {
  const parts = rest.split("/");
  const fileName = parts.pop() ?? "";
  return { fileName, stored: parts.length > 0 ? encodeURIComponent([...parts, fileName].join("/")) : fileName };
}

/** The parameters' problem in Grape's order (name, version, file name), or undefined. */
function checkParams(params: Fields, fileName: string): ReferenceReply | undefined {
  if (!facts.nameRule.value.test(params.name ?? "")) return invalid("package_name");
  if (!facts.versionRule.value.test(params.version ?? "")) return invalid("package_version");
  if (!facts.fileNameRule.value.test(fileName)) return invalid("file_name");
  return undefined;
}

function isTooLarge(error: unknown): boolean {
  return error instanceof ReferenceHttpError && error.status === 413;
}

type Statuses = Record<string, string>;

function statusesOf(metadata: Readonly<Record<string, unknown>>): Statuses {
  const value = metadata.statuses;
  return value !== null && typeof value === "object" && !Array.isArray(value) ? { ...(value as Statuses) } : {};
}

function exceptionMatcher(pattern: string | undefined): (name: string, version: string) => boolean {
  if (!pattern) return () => false;
  const regex = new RegExp(pattern);
  return (name, version) => regex.test(name) || regex.test(version);
}

/** A job token that came as Basic `gitlab-ci-token:…` rather than in the JOB-TOKEN header. */
function jobTokenByBasic(req: ReferenceRequest): boolean {
  return req.principal.kind === "job" && /^basic\s/i.test(req.headers.authorization ?? "") && req.headers["job-token"] === undefined;
}

function putRoute(matchesException: (name: string, version: string) => boolean) {
  return async function put(req: ReferenceRequest): Promise<ReferenceReply> {
    // GitLab reads a job token on uploads from the header only (genericGitLabFacts.jobTokenBasic).
    if (jobTokenByBasic(req)) return { status: facts.jobTokenBasic.value.upload, body: { message: "401 Unauthorized" } };
    const { fileName, stored } = storedName(req.params.file ?? "");
    const problem = checkParams(req.params, fileName);
    if (problem) return problem;
    const status = req.query.get("status");
    if (status !== null && !facts.statusValues.value.values.some((v) => v === status)) return notValid("status");
    const select = req.query.get("select");
    if (select !== null && !facts.selectValues.value.values.some((v) => v === select)) return notValid("select");
    const name = req.params.name!;
    const version = req.params.version!;

    let staged;
    try {
      staged = await req.store.stage(req.body, req.limits.maxFileSize);
    } catch (error) {
      // Rails' answer (genericGitLabFacts.overLimit); the bytes past the limit were never kept.
      if (isTooLarge(error)) return { status: facts.overLimit.value.status, body: { message: facts.overLimit.value.message } };
      throw error;
    }
    // The exception pattern turns the group setting around for the packages it matches.
    const policy = req.policies.duplicates;
    const effective = matchesException(name, version) ? (policy === "allow" ? "reject" : "allow") : policy;
    const outcome = await req.store.commit({
      name,
      version,
      files: [{ filename: stored, staged }],
      metadata: {},
      // A version takes files one upload at a time: the duplicate rule is per file name.
      duplicates: "allow",
      fileDuplicates: effective,
      // A status given with the upload becomes the version's; none keeps what it was.
      update: (metadata) => (status === null ? metadata : { ...metadata, statuses: { ...statusesOf(metadata), [version]: status } }),
    });
    if (outcome.kind === "duplicate") {
      const refusal = facts.duplicateRefusal.value;
      return { status: refusal.status, body: { message: refusal.message } };
    }
    if (select !== "package_file") return { status: facts.uploadStatus.value.created, body: { message: facts.uploadStatus.value.message } };
    const file = await req.store.open(name, version, stored);
    // Only a delete that ran between the commit and this lookup leaves no file to describe.
    if (!file) return { status: facts.download.value.missing, body: { message: "404 Not found" } };
    return {
      status: facts.uploadStatus.value.selected,
      body: {
        // The registry's id for the stored file, as its package files endpoint lists it.
        id: req.packageFileId(name, version, file),
        package_id: req.packageId(name, version),
        created_at: file.createdAt,
        updated_at: file.createdAt,
        size: file.size,
        file_store: 1,
        file_md5: null,
        file_sha1: null,
        file_name: stored,
        file: { url: `/${file.digests.sha256.slice(0, 2)}/${stored}` },
        file_sha256: file.digests.sha256,
        status: "default",
      },
    };
  };
}

async function get(req: ReferenceRequest): Promise<ReferenceReply> {
  const { fileName, stored } = storedName(req.params.file ?? "");
  const problem = checkParams(req.params, fileName);
  if (problem) return problem;
  const file = await req.store.open(req.params.name!, req.params.version!, stored);
  if (!file) return { status: facts.download.value.missing, body: { message: "404 Not found" } };
  return {
    status: facts.download.value.status,
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(file.size),
      "content-disposition": `attachment; filename="${fileName}"; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      [facts.download.value.checksumHeader]: file.digests.sha256,
    },
    body: file.stream(),
  };
}

/** The Generic format of the reference registry, with the group's exception pattern when given. */
export function createGenericReference(options: GenericReferenceOptions = {}): ReferenceFormat {
  const levels = facts.routes.value;
  return {
    segment: "generic",
    auth: ["headers", "basic"],
    basicUsernames: "ignored",
    policies: { duplicates: facts.duplicatesDefault.value, duplicateStatus: [facts.duplicateRefusal.value.status] },
    limits: { maxFileSize: facts.maxFileSize.value },
    // The version's status, as GitLab's Packages API shows and filters it.
    listed: (pkg, v) => ({ name: pkg.name, version: v, status: statusOf(pkg.metadata, v) }),
    // GitLab's Generic upload fills only `file_sha256` (Packages::Generic::CreatePackageFileService#create_package_file).
    packageFileChecksums: ["sha256"],
    routes: [
      { method: "PUT", path: "/:name/:version/*file", access: "write", levels: levels.put, handle: putRoute(exceptionMatcher(options.duplicateExceptionRegex)) },
      { method: "GET", path: "/:name/:version/*file", access: "read", levels: levels.get, handle: get },
    ],
  };
}

/** The Generic format as the reference registry serves it at /api/v4/projects/:id/packages/generic. */
export const genericReference: ReferenceFormat = createGenericReference();

/** The stored hidden status of a version (tests and the docs read it). */
export function statusOf(metadata: Readonly<Record<string, unknown>>, version: string): string {
  return statusesOf(metadata)[version] ?? "default";
}
