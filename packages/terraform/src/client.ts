/**
 * The Terraform modules adapter: the module registry protocol as Terraform
 * and OpenTofu speak it, every request through the session's recording HTTP
 * client.
 *
 * - Service discovery: `GET <origin>/.well-known/terraform.json`, whose
 *   `modules.v1` is the base of the protocol (GitLab's is
 *   `/api/v4/packages/terraform/modules/v1/`).
 * - Versions: `GET <base><namespace>/<name>/<system>/versions`, the shape
 *   `{"modules":[{"versions":[{"version":…}]}]}`.
 * - Download: `GET <base>…/<version>/download` answers 204 with
 *   `X-Terraform-Get`, the archive's URL (relative to the request), which is
 *   then fetched without the registry credentials, as Terraform fetches it.
 * - Publishing is not in the protocol: GitLab's `PUT <endpoint>/modules/<name>/<system>/<version>/file`
 *   with the archive as the body and GitLab's token headers.
 * - Reads send `Authorization: Bearer <token>`, what Terraform's
 *   `credentials` block sends; cleanup goes through GitLab's Packages API.
 *
 * A regkit package name is `<module name>/<system>`, GitLab's stored name.
 *
 * @module
 */
import {
  type Artifact,
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
  expectStatus,
  gitlabApiHeaders,
  gitlabProjectApi,
} from "@regkit/core";
import { terraformGitLabFacts as facts } from "./gitlab.js";
import { splitModuleName } from "./package.js";
import { STATIC_FILES, type TerraformProfile, namespaceSetting } from "./profiles.js";

/** The discovery document's path at the host root. */
export const DISCOVERY_PATH: string = facts.discovery.value.path;

/**
 * The `modules.v1` base each registry origin announced to an adapter in this
 * process (origin -> absolute path), so `endpoints.audit` counts the
 * protocol's requests under that base as standard (kit.ts, announcedRoutes).
 */
const announced = new Map<string, string>();
const ANNOUNCED_LIMIT = 64;

/** The `modules.v1` path an origin announced, if an adapter read its discovery document. */
export function announcedModulesBase(origin: string): string | undefined {
  return announced.get(origin);
}

function remember(origin: string, base: string): void {
  if (announced.size >= ANNOUNCED_LIMIT && !announced.has(origin)) announced.delete(announced.keys().next().value!);
  announced.set(origin, base);
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Reads an answer's body: refusals keep a snippet of it as evidence, the rest is discarded. */
async function drain(res: HttpResponse): Promise<void> {
  if (isSuccess(res.status)) await res.dump();
  else await res.text().catch(() => undefined);
}

/** The namespace an endpoint that names its project by path implies: the top-level group (`/projects/group%2Fsub%2Fproject/…` -> `group`). */
export function namespaceFromEndpoint(registry: string): string | undefined {
  const match = /\/api\/v4\/projects\/([^/]+)\/packages\/[^/]+\/?$/i.exec(registry.trim());
  if (!match) return undefined;
  let project: string;
  try {
    project = decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
  const slash = project.indexOf("/");
  return slash > 0 ? project.slice(0, slash) : undefined;
}

/** The module namespace of a target: the `namespace` setting, else the top-level group of an endpoint that names its project by path; else a skip saying what to set. */
export function moduleNamespace(target: Pick<ResolvedTarget, "registry" | "settings">): string {
  const given = namespaceSetting(target.settings);
  if (given) return given;
  const derived = namespaceFromEndpoint(target.registry);
  if (derived) return derived;
  throw new ScenarioSkip(
    `the module namespace is unknown: ${target.registry} names its project by id; name it by path (…/projects/group%2Fproject/packages/terraform) or --set namespace=GROUP (GitLab's top-level group path)`,
  );
}

/** `Authorization: Bearer <token>`, as Terraform's `credentials` block sends it; nothing for no token. */
export function bearerHeaders(credential: Credential): Record<string, string> {
  return credential.token === undefined ? {} : { authorization: `Bearer ${credential.token}` };
}

/** The versions a `versions` answer lists, or a ConformanceFailure naming what is wrong with its shape. */
export function versionsOf(body: unknown, exchange: Exchange): string[] {
  const modules = isRecord(body) ? body.modules : undefined;
  const first: unknown = Array.isArray(modules) ? modules[0] : undefined;
  const versions = isRecord(first) ? first.versions : undefined;
  if (!Array.isArray(modules) || (modules.length > 0 && !Array.isArray(versions))) {
    throw new ConformanceFailure(
      `the versions answer is not the module registry protocol's shape (${describeExchange(exchange)})`,
      { expected: '{"modules":[{"versions":[{"version":"…"}]}]}', actual: JSON.stringify(body)?.slice(0, 200) ?? "nothing" },
      [exchange],
    );
  }
  const found: string[] = [];
  for (const item of (versions as unknown[] | undefined) ?? []) {
    if (!isRecord(item) || typeof item.version !== "string") {
      throw new ConformanceFailure(
        `a version in the versions answer has no "version" string (${describeExchange(exchange)})`,
        { expected: '{"version":"1.0.0",…}', actual: JSON.stringify(item)?.slice(0, 200) ?? "nothing" },
        [exchange],
      );
    }
    found.push(item.version);
  }
  return found;
}

/** One listed package of GitLab's Packages API (what cleanup reads). */
interface Listed {
  readonly id: number;
  readonly name: string;
  readonly version: string | null;
}

const PER_PAGE = 100;
const MAX_PAGES = 50;

export class TerraformClient implements RegistryClient {
  readonly #http: HttpClient;
  readonly #target: ResolvedTarget<TerraformProfile>;
  readonly #credential: Credential;
  #base: Promise<string> | undefined;

  constructor(session: Pick<Session<TerraformProfile>, "http" | "target" | "credential">) {
    this.#http = session.http;
    this.#target = session.target;
    this.#credential = session.credential;
  }

  /** The module namespace: the `namespace` setting, else the top-level group of an endpoint that names its project by path. */
  namespace(): string {
    return moduleNamespace(this.#target);
  }

  /** The registry's origin (where discovery lives). */
  origin(): string {
    return new URL(this.#target.registry).origin;
  }

  /** `modules.v1` of the discovery document as an absolute URL ending in `/`, read once per adapter. */
  async modulesBase(): Promise<string> {
    this.#base ??= this.#discover();
    try {
      return await this.#base;
    } catch (error) {
      this.#base = undefined;
      throw error;
    }
  }

  async #discover(): Promise<string> {
    const origin = this.origin();
    const res = await this.#http.request({ method: "GET", path: `${origin}${DISCOVERY_PATH}`, noAuth: true });
    if (res.status !== 200) {
      await drain(res);
      if (res.status === 0 || res.status >= 500) throw new ProtocolError(`service discovery: ${describeExchange(res.exchange)}`, [res.exchange]);
      throw new ConformanceFailure(
        `the registry serves no Terraform service discovery document (${describeExchange(res.exchange)})`,
        { expected: `200 with {"modules.v1": "<base>"} at ${DISCOVERY_PATH}`, actual: `status ${res.status}` },
        [res.exchange],
      );
    }
    const body = await res.json<unknown>();
    const base = isRecord(body) ? body["modules.v1"] : undefined;
    if (typeof base !== "string" || base === "") {
      throw new ConformanceFailure(
        `the discovery document announces no modules.v1 service (${describeExchange(res.exchange)})`,
        { expected: '{"modules.v1": "/…/"}', actual: JSON.stringify(body)?.slice(0, 200) ?? "nothing" },
        [res.exchange],
      );
    }
    const url = new URL(base, `${origin}${DISCOVERY_PATH}`);
    const absolute = url.href.endsWith("/") ? url.href : `${url.href}/`;
    if (url.origin === origin) remember(origin, new URL(absolute).pathname);
    return absolute;
  }

  /** `<base><namespace>/<name>/<system>` of a regkit package name. */
  async modulePath(name: string): Promise<string> {
    const { module, system } = splitModuleName(name);
    return `${await this.modulesBase()}${[this.namespace(), module, system].map(encodeURIComponent).join("/")}`;
  }

  /** The upload path of GitLab's route, relative to the endpoint. */
  static uploadPath(name: string, version: string): string {
    const { module, system } = splitModuleName(name);
    return `/modules/${encodeURIComponent(module)}/${encodeURIComponent(system)}/${encodeURIComponent(version)}/file`;
  }

  /** The credentials the protocol's reads carry. */
  #readHeaders(): Record<string, string> {
    return bearerHeaders(this.#credential);
  }

  /** PUTs the archive to GitLab's upload route with the profile's headers; a refusal is an outcome, never an exception. */
  async publish(artifact: Artifact): Promise<PublishOutcome> {
    if (this.#static) return this.#publishStatic(artifact);
    const res = await this.#http.request({
      method: "PUT",
      path: TerraformClient.uploadPath(artifact.name, artifact.version),
      headers: { "content-type": "application/octet-stream" },
      body: artifact.content,
    });
    await drain(res);
    if (res.status === 0 || res.status >= 500) throw new ProtocolError(`uploading ${artifact.filename}: ${describeExchange(res.exchange)}`, [res.exchange]);
    return { accepted: isSuccess(res.status), status: res.status, exchange: res.exchange };
  }

  /** Whether the target is a static file server (publish and remove with WebDAV). */
  get #static(): boolean {
    return this.#target.capabilities[STATIC_FILES] === true;
  }

  /**
   * A static registry: the archive PUT to `<module>/<version>/archive.tgz`,
   * then the versions document PUT with the version added (read, changed,
   * written: one publisher at a time). The archive's answer is the outcome.
   */
  async #publishStatic(artifact: Artifact): Promise<PublishOutcome> {
    const module = await this.modulePath(artifact.name);
    const res = await this.#http.request({
      method: "PUT",
      path: `${module}/${encodeURIComponent(artifact.version)}/archive.tgz`,
      headers: { "content-type": "application/gzip" },
      body: artifact.content,
    });
    await drain(res);
    if (res.status === 0 || res.status >= 500) throw new ProtocolError(`uploading ${artifact.filename}: ${describeExchange(res.exchange)}`, [res.exchange]);
    if (!isSuccess(res.status)) return { accepted: false, status: res.status, exchange: res.exchange };
    const known = (await this.#versions(artifact.name)).versions;
    if (!known.includes(artifact.version)) {
      const written = await this.#writeVersions(artifact.name, [...known, artifact.version]);
      if (!isSuccess(written.status)) return { accepted: false, status: written.status, exchange: written.exchange };
    }
    return { accepted: true, status: res.status, exchange: res.exchange };
  }

  /** PUTs a static registry's versions document. */
  async #writeVersions(name: string, versions: readonly string[]): Promise<HttpResponse> {
    const { system } = splitModuleName(name);
    const document = { modules: [{ versions: versions.map((version) => ({ version, submodules: [], root: { dependencies: [], providers: [{ name: system, version: "" }] } })) }] };
    const res = await this.#http.request({ method: "PUT", path: `${await this.modulePath(name)}/versions`, headers: { "content-type": "application/json" }, body: JSON.stringify(document) });
    await drain(res);
    if (res.status === 0 || res.status >= 500) throw new ProtocolError(`writing the versions of ${name}: ${describeExchange(res.exchange)}`, [res.exchange]);
    return res;
  }

  /** `GET …/versions`: the answer, read. */
  async #versions(name: string): Promise<{ readonly versions: readonly string[]; readonly exchange: Exchange }> {
    const res = await this.#http.request({ method: "GET", path: `${await this.modulePath(name)}/versions`, headers: this.#readHeaders(), noAuth: true });
    // A static registry has no versions document for a module nobody published.
    if (res.status === 404 && this.#static) {
      await drain(res);
      return { versions: [], exchange: res.exchange };
    }
    if (res.status !== 200) {
      await drain(res);
      throw new ProtocolError(`listing the versions of ${name}: ${describeExchange(res.exchange)}`, [res.exchange], { expected: "200 with the versions", actual: `status ${res.status}` });
    }
    return { versions: versionsOf(await res.json<unknown>(), res.exchange), exchange: res.exchange };
  }

  async versions(name: string): Promise<readonly string[]> {
    return (await this.#versions(name)).versions;
  }

  /** The request `push.many` times: the versions list. */
  async metadata(name: string): Promise<Exchange> {
    return (await this.#versions(name)).exchange;
  }

  /**
   * `GET …/<version>/download`: 204 (any 2xx) with `X-Terraform-Get`, whose URL
   * is resolved against the request's and returned with the exchange.
   */
  async downloadLocation(name: string, version: string): Promise<{ readonly url: string; readonly exchange: Exchange }> {
    const path = `${await this.modulePath(name)}/${encodeURIComponent(version)}/download`;
    const res = await this.#http.request({ method: "GET", path, headers: this.#readHeaders(), noAuth: true });
    await drain(res);
    if (!isSuccess(res.status)) {
      throw new ProtocolError(`asking where ${name}@${version} is: ${describeExchange(res.exchange)}`, [res.exchange], { expected: `${facts.download.value.status} with X-Terraform-Get`, actual: `status ${res.status}` });
    }
    const header = res.headers[facts.download.value.header];
    if (header === undefined || header.trim() === "") {
      throw new ConformanceFailure(
        `the download answer for ${name}@${version} has no X-Terraform-Get (${describeExchange(res.exchange)})`,
        { expected: `${facts.download.value.status} with X-Terraform-Get: <archive URL>`, actual: `status ${res.status} without the header` },
        [res.exchange],
      );
    }
    let url: URL;
    try {
      url = new URL(header.trim(), path);
    } catch {
      throw new ConformanceFailure(`the X-Terraform-Get of ${name}@${version} is not a URL (${describeExchange(res.exchange)})`, { expected: "an absolute or relative http(s) URL", actual: "unparsable" }, [res.exchange]);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new ConformanceFailure(
        `the X-Terraform-Get of ${name}@${version} is not an HTTP URL (${describeExchange(res.exchange)})`,
        { expected: "an http(s) URL the kit can fetch", actual: `a ${url.protocol} source` },
        [res.exchange],
      );
    }
    return { url: url.href, exchange: res.exchange };
  }

  /**
   * The archive of `name@version` through the protocol: `download`, then the
   * `X-Terraform-Get` URL without the registry's credentials (Terraform sends
   * none there: GitLab's URL carries its own token), digested as it streams.
   */
  async download(name: string, version: string): Promise<Downloaded> {
    const { url } = await this.downloadLocation(name, version);
    const res = await this.#http.request({ method: "GET", path: url, noAuth: true });
    if (!isSuccess(res.status)) {
      await drain(res);
      throw new ProtocolError(`fetching the archive of ${name}@${version} from its X-Terraform-Get URL: ${describeExchange(res.exchange)}`, [res.exchange], { expected: "200 with the archive", actual: `status ${res.status}` });
    }
    const { size, digests } = await res.digest();
    return { size, digests, exchange: res.exchange };
  }

  /** The credential the Packages API takes for this session: its own, or the target's personal (else job) one for a deploy token. */
  #apiCredential(): Credential {
    const kind = this.#credential.kind;
    if (kind !== "deploy" && kind !== "readonly") return this.#credential;
    const { personal, job } = this.#target.credentials;
    if (personal) return { kind: "personal", token: personal };
    if (job) return { kind: "job", token: job };
    throw new ScenarioSkip("GitLab's Packages API, where Terraform modules are removed, reads no deploy tokens (GITLAB_FACTS.restApiCredentials): give a personal or job token as well");
  }

  /**
   * Removes `name` (or one version) through GitLab's Packages API: the list
   * filtered by name, then `DELETE /packages/:id` of each record with exactly
   * that name, of type `terraform_module` (GitLab's `package_type` enum,
   * app/models/packages/package.rb): a Generic package of the same name is not touched.
   */
  async remove(name: string, version?: string): Promise<void> {
    if (this.#static) return this.#removeStatic(name, version);
    const project = gitlabProjectApi(this.#target.registry);
    if (!project) throw new ProtocolError(`${this.#target.registry} is not a GitLab project package endpoint: no Packages API to remove ${name} with`);
    const headers = gitlabApiHeaders(this.#apiCredential());
    const doomed: Listed[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = new URLSearchParams({ package_type: "terraform_module", package_name: name, per_page: String(PER_PAGE), page: String(page) });
      if (version !== undefined) query.set("package_version", version);
      const res = await this.#http.request({ method: "GET", path: `${project}/packages?${query}`, headers, noAuth: true });
      await expectStatus(res, [200], `listing the packages named ${name} through the Packages API`);
      const items = await res.json<unknown>();
      if (!Array.isArray(items)) throw new ProtocolError(`GET ${res.exchange.path} -> 200: not a list of packages`, [res.exchange]);
      for (const item of items as Listed[]) {
        if (typeof item?.id !== "number" || item.name !== name) continue;
        if (version !== undefined && item.version !== version) continue;
        doomed.push(item);
      }
      const next = res.headers["x-next-page"];
      if (next === undefined ? items.length < PER_PAGE : next === "") break;
    }
    for (const item of doomed) {
      const res = await this.#http.request({ method: "DELETE", path: `${project}/packages/${item.id}`, headers, noAuth: true });
      await expectStatus(res, [200, 202, 204, 404], `deleting package ${item.id} (${item.name} ${item.version ?? ""}) through the Packages API`);
      await res.dump();
    }
  }

  /** A static registry: `DELETE` of the version's directory (and the version out of the document), or of the module's. */
  async #removeStatic(name: string, version?: string): Promise<void> {
    const module = await this.modulePath(name);
    const del = async (path: string): Promise<void> => {
      const res = await this.#http.request({ method: "DELETE", path });
      await drain(res);
      if (res.status !== 404 && !isSuccess(res.status)) throw new ProtocolError(`removing ${path}: ${describeExchange(res.exchange)}`, [res.exchange]);
    };
    if (version === undefined) return del(`${module}/`);
    const rest = (await this.#versions(name)).versions.filter((v) => v !== version);
    await del(`${module}/${encodeURIComponent(version)}/`);
    if (rest.length === 0) return del(`${module}/`);
    const written = await this.#writeVersions(name, rest);
    if (!isSuccess(written.status)) throw new ProtocolError(`rewriting the versions of ${name}: ${describeExchange(written.exchange)}`, [written.exchange]);
  }

  /** A raw request through the recording client (scenarios that look at single answers). */
  request(method: string, path: string, headers: Record<string, string> = {}, noAuth = false): Promise<HttpResponse> {
    return this.#http.request({ method, path, headers, noAuth });
  }

  /** The headers this session's reads carry (scenarios that make their own requests). */
  readHeaders(): Record<string, string> {
    return this.#readHeaders();
  }
}

/** The kit's `connect`. */
export function connectTerraform(session: Session<TerraformProfile>): TerraformClient {
  return new TerraformClient(session);
}
