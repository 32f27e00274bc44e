/**
 * The Generic protocol adapter: files PUT and GET at
 * `<endpoint>/:name/:version/:file`, every request through the session's
 * recording HTTP client (undici), as GitLab documents it with curl.
 *
 * GitLab's Generic endpoint has no listing and no delete: versions, files and
 * their checksums come from GitLab's Packages API
 * (`/projects/:id/packages?package_type=generic`, `/packages/:id/package_files`),
 * which reads PRIVATE-TOKEN and JOB-TOKEN but no deploy tokens
 * (`GITLAB_FACTS.restApiCredentials`): a deploy-token session lists with the
 * target's personal (else job) token and says so. A WebDAV server lists with
 * `PROPFIND` and deletes with `DELETE`.
 *
 * An upload asks for `select=package_file` where the registry has it, and the
 * stored file's size and SHA-256 it answers must equal what was sent; a
 * download's bytes must match the `X-Checksum-SHA256` header where the
 * registry sends one.
 *
 * @module
 */
import {
  type Artifact,
  type Content,
  ConformanceFailure,
  type Credential,
  type Downloaded,
  type Exchange,
  type HttpClient,
  type HttpResponse,
  ProtocolError,
  type PublishOutcome,
  type RegistryClient,
  type ResolvedTarget,
  ScenarioSkip,
  type Session,
  describeExchange,
  gitlabApiHeaders,
  gitlabProjectApi,
  removeThroughPackagesApi,
} from "@regkit/core";
import { genericGitLabFacts as facts } from "./gitlab.js";
import { mainFileName } from "./package.js";
import { CHECKSUM_HEADER, type GenericProfile, PACKAGE_FILES_API, SELECT_PACKAGE_FILE } from "./profiles.js";

/** What GitLab stores for a package status (`default` or `hidden`). */
export type GenericStatus = "default" | "hidden";

/** Options of one upload. */
export interface UploadOptions {
  /** `?status=`: GitLab's `default` or `hidden` (any other string is sent as given, for the negatives). */
  readonly status?: string | undefined;
  /** `?select=`: `package_file` asks for the stored file as JSON; default: `package_file` where the profile has it. */
  readonly select?: string | null | undefined;
}

/** The stored package file GitLab answers with `select=package_file` (the fields the kit reads). */
export interface PackageFileRecord {
  readonly id?: number | undefined;
  readonly package_id?: number | undefined;
  readonly file_name: string;
  readonly size: number;
  readonly file_sha256?: string | null | undefined;
}

/** The outcome of one upload, with the stored file when the registry answered with it. */
export interface UploadOutcome extends PublishOutcome {
  readonly packageFile?: PackageFileRecord | undefined;
}

/** One version as GitLab's Packages API lists it. */
export interface ListedPackage {
  readonly id: number;
  readonly name: string;
  readonly version: string | null;
  readonly status?: string | undefined;
}

const PER_PAGE = 100;
/** A run's packages fit in far fewer pages; more means the name filter matched something else. */
const MAX_PAGES = 50;

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

/** One URL path segment: GitLab decodes each, and a WebDAV server stores the decoded name. */
function segment(text: string): string {
  return encodeURIComponent(text);
}

/** `a/b/c.bin` → each directory and the file encoded apart, `/` kept (GitLab's `(*path/):file_name`). */
function filePath(filename: string): string {
  return filename.split("/").map(segment).join("/");
}

/** A refused or broken answer: 5xx and no answer are protocol errors, the rest is for the caller. */
function ensureUsable(res: HttpResponse, what: string): void {
  if (res.status === 0 || res.status >= 500) throw new ProtocolError(`${what}: ${describeExchange(res.exchange)}`, [res.exchange]);
}

/** Reads an answer's body: refusals keep a snippet of it as evidence, the rest is discarded. */
async function drain(res: HttpResponse): Promise<void> {
  if (isSuccess(res.status)) await res.dump();
  else await res.text().catch(() => undefined);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** The package file an upload answered with, or a ConformanceFailure naming what is missing. */
function packageFileOf(body: unknown, exchange: Exchange): PackageFileRecord {
  if (!isRecord(body) || typeof body.file_name !== "string" || typeof body.size !== "number") {
    throw new ConformanceFailure(
      `the upload with select=package_file did not answer with the stored package file (${describeExchange(exchange)})`,
      { expected: "a JSON object with file_name, size and file_sha256", actual: JSON.stringify(body)?.slice(0, 200) ?? "nothing" },
      [exchange],
    );
  }
  return {
    id: typeof body.id === "number" ? body.id : undefined,
    package_id: typeof body.package_id === "number" ? body.package_id : undefined,
    file_name: body.file_name,
    size: body.size,
    file_sha256: typeof body.file_sha256 === "string" ? body.file_sha256 : null,
  };
}

/** The hrefs of a WebDAV multistatus answer, decoded. */
export function davHrefs(xml: string): string[] {
  const hrefs: string[] = [];
  for (const match of xml.matchAll(/<(?:[A-Za-z][\w.-]*:)?href>([^<]*)<\/(?:[A-Za-z][\w.-]*:)?href>/g)) {
    const raw = (match[1] ?? "").replaceAll("&amp;", "&").trim();
    let path = raw;
    try {
      path = new URL(raw, "http://dav.invalid").pathname;
    } catch {
      // A relative href that is not a URL: keep it as written.
    }
    try {
      hrefs.push(decodeURIComponent(path));
    } catch {
      hrefs.push(path);
    }
  }
  return hrefs;
}

/** The child collections (`…/<child>/`) of `parent` among a multistatus answer's hrefs. */
export function davChildren(xml: string, parent: string): string[] {
  const base = parent.endsWith("/") ? parent : `${parent}/`;
  const children: string[] = [];
  for (const href of davHrefs(xml)) {
    if (!href.startsWith(base) || !href.endsWith("/")) continue;
    const rest = href.slice(base.length, -1);
    if (rest && !rest.includes("/")) children.push(rest);
  }
  return children;
}

export class GenericClient implements RegistryClient {
  readonly #http: HttpClient;
  readonly #target: ResolvedTarget<GenericProfile>;
  readonly #credential: Credential;
  /** The last Packages API list request, as evidence for a version it did not list. */
  #lastList: readonly Exchange[] = [];

  constructor(session: Pick<Session<GenericProfile>, "http" | "target" | "credential">) {
    this.#http = session.http;
    this.#target = session.target;
    this.#credential = session.credential;
  }

  /** Whether the target speaks GitLab's Packages API (a gitlab profile) rather than WebDAV. */
  get #gitlab(): boolean {
    return this.#target.profile.packagesApi !== undefined;
  }

  /** The path of one file of `name@version`, relative to the endpoint. */
  static path(name: string, version: string, filename: string): string {
    return `/${segment(name)}/${segment(version)}/${filePath(filename)}`;
  }

  async publish(artifact: Artifact): Promise<UploadOutcome> {
    return this.publishWith(artifact, {});
  }

  /** Uploads every file of the artifact with `options` (a status); the first refusal ends it. */
  async publishWith(artifact: Artifact, options: UploadOptions): Promise<UploadOutcome> {
    let first: UploadOutcome | undefined;
    for (const file of [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])]) {
      const outcome = await this.upload(artifact.name, artifact.version, file.filename, file.content, options);
      if (!outcome.accepted) return outcome;
      first ??= outcome;
    }
    return first!;
  }

  /**
   * PUTs one file. With `select=package_file` (the default where the profile
   * has it) the stored file GitLab answers with must have the size and the
   * SHA-256 of the bytes sent, else a ConformanceFailure; a refusal is an
   * outcome, never an exception.
   */
  async upload(name: string, version: string, filename: string, content: Content, options: UploadOptions = {}): Promise<UploadOutcome> {
    const query = new URLSearchParams();
    if (options.status !== undefined) query.set("status", options.status);
    const select = options.select === undefined ? (this.#target.capabilities[SELECT_PACKAGE_FILE] ? "package_file" : null) : options.select;
    if (select !== null) query.set("select", select);
    const path = `${GenericClient.path(name, version, filename)}${query.size > 0 ? `?${query}` : ""}`;
    const res = await this.#http.request({
      method: "PUT",
      path,
      headers: { "content-type": "application/octet-stream", "content-length": String(content.size) },
      body: content.bytes ?? content.stream(),
    });
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `uploading ${filename}`);
      return { accepted: false, status: res.status, exchange: res.exchange };
    }
    if (select !== "package_file" || res.status === 201 || res.status === 204) {
      await drain(res);
      return { accepted: true, status: res.status, exchange: res.exchange };
    }
    const packageFile = packageFileOf(await res.json<unknown>(), res.exchange);
    const sha256 = packageFile.file_sha256?.toLowerCase();
    if (packageFile.size !== content.size || sha256 !== content.digests.sha256) {
      throw new ConformanceFailure(
        `the stored ${filename} GitLab reports differs from the bytes uploaded (${describeExchange(res.exchange)})`,
        { expected: `size ${content.size}, file_sha256 ${content.digests.sha256}`, actual: `size ${packageFile.size}, file_sha256 ${packageFile.file_sha256 ?? "(none)"}` },
        [res.exchange],
      );
    }
    return { accepted: true, status: res.status, exchange: res.exchange, packageFile };
  }

  async download(name: string, version: string): Promise<Downloaded> {
    return this.#fetch(name, version, mainFileName(name, version), false);
  }

  /** One named file of `name@version`; a file that is not served is a ConformanceFailure naming it. */
  async downloadFile(name: string, version: string, filename: string): Promise<Downloaded> {
    return this.#fetch(name, version, filename, true);
  }

  /**
   * GETs a file and digests it as it streams (Content-Length checked); its
   * SHA-256 must equal `X-Checksum-SHA256` where the registry sends one, and
   * where the profile says it does, the header must be there.
   */
  async #fetch(name: string, version: string, filename: string, strict: boolean): Promise<Downloaded> {
    const res = await this.#http.request({ method: "GET", path: GenericClient.path(name, version, filename) });
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `downloading ${filename}`);
      if (strict) {
        throw new ConformanceFailure(`${filename} of ${name}@${version} is not served: ${describeExchange(res.exchange)}`, { expected: `200 with ${filename}`, actual: `status ${res.status}` }, [res.exchange]);
      }
      throw new ProtocolError(`downloading ${filename}: ${describeExchange(res.exchange)}`, [res.exchange]);
    }
    const { size, digests } = await res.digest();
    const header = facts.download.value.checksumHeader;
    const stated = res.headers[header]?.trim().toLowerCase();
    if (stated === undefined && this.#target.capabilities[CHECKSUM_HEADER]) {
      throw new ConformanceFailure(
        `${filename} was served without ${header} (${describeExchange(res.exchange)})`,
        { expected: `${header}: ${digests.sha256}`, actual: "no such header" },
        [res.exchange],
      );
    }
    if (stated !== undefined && stated !== digests.sha256) {
      throw new ConformanceFailure(
        `${filename} does not match its ${header} (${describeExchange(res.exchange)})`,
        { expected: `sha256 ${stated} (the header)`, actual: `sha256 ${digests.sha256} (the ${size} bytes served)` },
        [res.exchange],
      );
    }
    return { size, digests, exchange: res.exchange };
  }

  /** The credential the Packages API takes for this session: its own, or the target's personal (else job) one for a deploy token. */
  #apiCredential(): Credential {
    const kind = this.#credential.kind;
    if (kind !== "deploy" && kind !== "readonly") return this.#credential;
    const { personal, job } = this.#target.credentials;
    if (personal) return { kind: "personal", token: personal };
    if (job) return { kind: "job", token: job };
    throw new ScenarioSkip(
      "GitLab's Packages API, where Generic versions are listed, reads no deploy tokens (GITLAB_FACTS.restApiCredentials): give a personal or job token as well",
    );
  }

  #projectApi(): string {
    const project = gitlabProjectApi(this.#target.registry);
    if (!project) throw new ProtocolError(`${this.#target.registry} is not a GitLab project package endpoint (…/api/v4/projects/:id/packages/generic): no Packages API to list versions with`);
    return project;
  }

  /** One page of the Packages API's generic packages named like `name` (its filter is fuzzy). */
  async #listPage(name: string, page: number, extra: Record<string, string>): Promise<{ readonly items: readonly ListedPackage[]; readonly res: HttpResponse; readonly next: boolean }> {
    const query = new URLSearchParams({ package_type: "generic", package_name: name, per_page: String(PER_PAGE), page: String(page), ...extra });
    const res = await this.#http.request({ method: "GET", path: `${this.#projectApi()}/packages?${query}`, headers: gitlabApiHeaders(this.#apiCredential()), noAuth: true });
    this.#lastList = [res.exchange];
    if (res.status === 404) {
      await res.text();
      return { items: [], res, next: false };
    }
    if (!isSuccess(res.status)) {
      await drain(res);
      throw new ProtocolError(`listing generic packages named ${name} through the Packages API: ${describeExchange(res.exchange)}`, [res.exchange], {
        expected: "status 200",
        actual: `status ${res.status}`,
      });
    }
    const body = await res.json<unknown>();
    if (!Array.isArray(body)) throw new ProtocolError(`${describeExchange(res.exchange)}: not a list of packages`, [res.exchange]);
    const items = body.filter(
      (item): item is ListedPackage => isRecord(item) && typeof item.id === "number" && item.name === name && (typeof item.version === "string" || item.version === null),
    );
    const header = res.headers["x-next-page"];
    return { items, res, next: header === undefined ? body.length >= PER_PAGE : header !== "" };
  }

  /** Every version record of `name` the Packages API lists (`status` as GitLab filters it: default, only the displayable). */
  async listed(name: string, status?: GenericStatus): Promise<readonly ListedPackage[]> {
    const all: ListedPackage[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const { items, next } = await this.#listPage(name, page, status ? { status } : {});
      all.push(...items);
      if (!next) break;
    }
    return all;
  }

  async versions(name: string): Promise<readonly string[]> {
    if (!this.#gitlab) return this.#davVersions(name);
    const seen = new Set<string>();
    for (const item of await this.listed(name)) if (item.version !== null) seen.add(item.version);
    return [...seen];
  }

  /** The request `push.many` times: the Packages API's list (GitLab), or PROPFIND of the package (WebDAV). */
  async metadata(name: string): Promise<Exchange> {
    if (!this.#gitlab) return (await this.#propfind(name)).exchange;
    const { res } = await this.#listPage(name, 1, {});
    return res.exchange;
  }

  /** The files of one version as `/packages/:id/package_files` lists them (GitLab). */
  async packageFiles(name: string, version: string): Promise<readonly PackageFileRecord[]> {
    if (!this.#target.capabilities[PACKAGE_FILES_API]) throw new ScenarioSkip(`the ${this.#target.profile.name} profile has no /packages/:id/package_files (${PACKAGE_FILES_API}=false)`);
    const record = (await this.listed(name)).find((p) => p.version === version) ?? (await this.listed(name, "hidden")).find((p) => p.version === version);
    if (!record) {
      throw new ConformanceFailure(`${name}@${version} is not in the Packages API's list`, { expected: `a generic package ${name} ${version}`, actual: "none" }, this.#lastList);
    }
    const files: PackageFileRecord[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = new URLSearchParams({ per_page: String(PER_PAGE), page: String(page) });
      const res = await this.#http.request({
        method: "GET",
        path: `${this.#projectApi()}/packages/${record.id}/package_files?${query}`,
        headers: gitlabApiHeaders(this.#apiCredential()),
        noAuth: true,
      });
      if (!isSuccess(res.status)) {
        await drain(res);
        throw new ProtocolError(`listing the files of ${name}@${version} (package ${record.id}): ${describeExchange(res.exchange)}`, [res.exchange]);
      }
      const body = await res.json<unknown>();
      if (!Array.isArray(body)) throw new ProtocolError(`${describeExchange(res.exchange)}: not a list of package files`, [res.exchange]);
      for (const item of body) files.push(packageFileOf(item, res.exchange));
      const next = res.headers["x-next-page"];
      if (next === undefined ? body.length < PER_PAGE : next === "") break;
    }
    return files;
  }

  /** PROPFIND `Depth: 1` of a package's collection: its versions are the child collections. */
  async #propfind(name: string): Promise<{ readonly exchange: Exchange; readonly xml: string | undefined }> {
    const res = await this.#http.request({ method: "PROPFIND", path: `/${segment(name)}/`, headers: { depth: "1", "content-type": "application/xml" }, body: '<?xml version="1.0"?><propfind xmlns="DAV:"><prop><resourcetype/></prop></propfind>' });
    if (res.status === 404) {
      await res.text();
      return { exchange: res.exchange, xml: undefined };
    }
    if (res.status === 405 || res.status === 501) {
      await res.text();
      throw new ScenarioSkip(`the server does not answer WebDAV PROPFIND (${describeExchange(res.exchange)}), so it cannot list versions: load nginx's dav_ext module with dav_ext_methods PROPFIND`);
    }
    if (res.status !== 207 && !isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `listing ${name} with PROPFIND`);
      throw new ProtocolError(`listing ${name} with PROPFIND: ${describeExchange(res.exchange)}`, [res.exchange], { expected: "207 Multi-Status", actual: `status ${res.status}` });
    }
    return { exchange: res.exchange, xml: await res.text() };
  }

  async #davVersions(name: string): Promise<readonly string[]> {
    const { xml } = await this.#propfind(name);
    if (xml === undefined) return [];
    const parent = new URL(`${this.#http.baseUrl.replace(/\/+$/, "")}/${segment(name)}/`).pathname;
    return davChildren(xml, decodeURIComponent(parent));
  }

  /** Removes `name` (or one version): GitLab's Packages API, or WebDAV `DELETE` of the collection. */
  async remove(name: string, version?: string): Promise<void> {
    const api = this.#target.profile.packagesApi;
    if (api) {
      await removeThroughPackagesApi(this.#http, this.#target.registry, this.#apiCredential(), api, name, version);
      return;
    }
    const res = await this.#http.request({ method: "DELETE", path: version === undefined ? `/${segment(name)}/` : `/${segment(name)}/${segment(version)}/` });
    await drain(res);
    if (res.status === 404) return;
    if (!isSuccess(res.status)) throw new ProtocolError(`removing ${name}${version ? `@${version}` : ""}: ${describeExchange(res.exchange)}`, [res.exchange]);
  }

  /** A raw request through the recording client (scenarios that look at single answers). */
  request(method: string, path: string, body?: string | Uint8Array): Promise<HttpResponse> {
    return this.#http.request({ method, path, body });
  }
}

/** The kit's `connect`. */
export function connectGeneric(session: Session<GenericProfile>): GenericClient {
  return new GenericClient(session);
}
