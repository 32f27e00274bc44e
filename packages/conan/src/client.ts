/**
 * The Conan v2 protocol adapter, spoken as the Conan 2 client speaks it, every
 * request through the session's recording HTTP client:
 *
 * - login: `GET v2/users/authenticate` with the profile's Basic credentials;
 *   the token it answers travels as `Authorization: Bearer` from then on
 *   (read as bytes, so it never lands in a response snippet);
 * - publish: the recipe files of the artifact's recipe revision, manifest
 *   last, then the binary package's files under its package id and revision;
 * - download: the `latest` recipe revision, its `conanmanifest.txt` (whose
 *   summary hash must be that revision) and its `conanfile.py` (whose MD5
 *   must be the manifest's);
 * - versions and search: `v2/conans/search?q=` with Conan's patterns;
 * - remove: `DELETE` of each recipe revision of a version.
 *
 * With the profile setting `api: v1` it speaks the v1 API GitLab still serves
 * (conanGitLabFacts.v1Routes): login and search under `v1/`; publish asks
 * `upload_urls` for the recipe's (then the package's) files and PUTs each file
 * to the URL answered; download asks `download_urls`, GETs the manifest and
 * `conanfile.py` from the URLs answered (each must name its file) and checks
 * the file against the manifest and the recipe snapshot's MD5; remove is the
 * recipe's DELETE. The revision scenarios skip (v2 only).
 *
 * A package of regkit's contract is a recipe `name/version` (user and channel
 * `_`), a version its recipe version; revisions live under it.
 *
 * At GitLab's instance level (a registry URL `…/api/v4/packages/conan`, v1
 * only: conanGitLabFacts.instanceLevel) the recipe is
 * `name/version@<project path, + for />/<channel>` (the `project` and
 * `channel` settings), as GitLab finds the project from the recipe's user; the
 * URLs `upload_urls` and `download_urls` answer must name that recipe, and
 * versions count only the references of that user and channel.
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
  ScenarioSkip,
  type RegistryClient,
  type ResolvedTarget,
  type Session,
  contentFromBytes,
  describeExchange,
} from "@regkit/core";
import { MANIFEST, NONE, RECIPE_FILE, layoutOf, manifestEntries, revisionOf } from "./package.js";
import { type ConanApi, type ConanProfile, PROJECT_SETTING, TOKEN_LOGIN, apiOf, channelSetting, isInstanceRegistry, projectSetting } from "./profiles.js";

/** One revision as `latest` and the revision lists give it. */
export interface ConanRevision {
  readonly revision: string;
  readonly time: string;
}

/** A list of revisions and the exchange that carried it (empty and `found: false` for a 404). */
export interface RevisionList {
  readonly found: boolean;
  readonly revisions: readonly ConanRevision[];
  readonly exchange: Exchange;
}

function isSuccess(status: number): boolean {
  return status >= 200 && status < 300;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** 5xx and no answer are protocol errors; the rest is for the caller. */
function ensureUsable(res: HttpResponse, what: string): void {
  if (res.status === 0 || res.status >= 500) throw new ProtocolError(`${what}: ${describeExchange(res.exchange)}`, [res.exchange]);
}

async function drain(res: HttpResponse): Promise<void> {
  if (isSuccess(res.status)) await res.dump();
  else await res.text().catch(() => undefined);
}

/** `name/version@user/channel` (or `name/version`) → its parts. */
export function parseReference(ref: string): { readonly name: string; readonly version: string; readonly user: string; readonly channel: string } | undefined {
  const match = /^([^/@#]+)\/([^/@#]+)(?:@([^/@#]+)\/([^/@#]+))?(?:#.*)?$/.exec(ref.trim());
  if (!match) return undefined;
  return { name: match[1]!, version: match[2]!, user: match[3] ?? NONE, channel: match[4] ?? NONE };
}

/** A path segment: percent-encoded, but `+` (a recipe user's `/`) as the Conan client sends it and GitLab's URLs carry it. */
function segment(value: string): string {
  return encodeURIComponent(value).replace(/%2B/gi, "+");
}

function revisionsOf(body: unknown): ConanRevision[] | undefined {
  if (!isRecord(body) || !Array.isArray(body.revisions)) return undefined;
  const out: ConanRevision[] = [];
  for (const item of body.revisions) {
    if (!isRecord(item) || typeof item.revision !== "string") return undefined;
    out.push({ revision: item.revision, time: typeof item.time === "string" ? item.time : "" });
  }
  return out;
}

export class ConanClient implements RegistryClient {
  readonly #http: HttpClient;
  readonly #target: ResolvedTarget<ConanProfile>;
  readonly #credential: Credential;
  /** The Bearer token of the login; null when the login was refused or not possible. */
  #token: string | null | undefined;
  #login: Exchange | undefined;
  /** The API spoken (the `api` setting). */
  readonly api: ConanApi;
  /** Whether the registry URL is GitLab's instance-level endpoint (`…/api/v4/packages/conan`). */
  readonly instance: boolean;

  constructor(session: Pick<Session<ConanProfile>, "http" | "target" | "credential">) {
    this.#http = session.http;
    this.#target = session.target;
    this.#credential = session.credential;
    this.api = apiOf(session.target.settings ?? {});
    this.instance = isInstanceRegistry(session.target.registry);
  }

  /**
   * The user and channel of the recipes: `_`/`_` at project level; at instance
   * level the project's path with `+` for `/` and the `channel` setting
   * (a skip saying what to set when no project is named).
   */
  get userChannel(): { readonly user: string; readonly channel: string } {
    if (!this.instance) return { user: NONE, channel: NONE };
    const settings = this.#target.settings ?? {};
    const project = projectSetting(settings);
    if (!project) {
      throw new ScenarioSkip(`${this.#target.registry} is GitLab's instance-level Conan endpoint, where a recipe's user names its project: --set ${PROJECT_SETTING}=GROUP/PROJECT (the project's full path)`);
    }
    return { user: project.split("/").join("+"), channel: channelSetting(settings) };
  }

  /** `name/version@user/channel` of a recipe this client publishes. */
  reference(name: string, version: string): string {
    const { user, channel } = this.userChannel;
    return `${name}/${version}@${user}/${channel}`;
  }

  /** The recipe's v1 URL path: `/v1/conans/<name>/<version>/<user>/<channel>` (`_/_` at project level). */
  v1Recipe(name: string, version: string): string {
    const { user, channel } = this.userChannel;
    return `/v1/conans/${segment(name)}/${segment(version)}/${segment(user)}/${segment(channel)}`;
  }

  /** `/v1/files/<name>/<version>/<user>/<channel>/`: where the file URLs of the recipe lead. */
  #v1Files(name: string, version: string): string {
    const { user, channel } = this.userChannel;
    return `/v1/files/${segment(name)}/${segment(version)}/${segment(user)}/${segment(channel)}/`;
  }

  /** `/v1/conans/<name>/<version>/_/_`: the recipe's v1 URL path. */
  static v1RecipePath(name: string, version: string): string {
    return `/v1/conans/${encodeURIComponent(name)}/${encodeURIComponent(version)}/${NONE}/${NONE}`;
  }

  /** `/v2/conans/<name>/<version>/_/_`: the recipe's URL path. */
  static recipePath(name: string, version: string): string {
    return `/v2/conans/${encodeURIComponent(name)}/${encodeURIComponent(version)}/${NONE}/${NONE}`;
  }

  /** `GET v1/ping`: the server's capabilities (Conan 2 needs `revisions`). */
  async ping(): Promise<{ readonly capabilities: readonly string[]; readonly exchange: Exchange }> {
    const res = await this.#http.request({ method: "GET", path: "/v1/ping", noAuth: true });
    await drain(res);
    ensureUsable(res, "ping");
    const header = res.headers["x-conan-server-capabilities"] ?? "";
    return { capabilities: header.split(",").map((c) => c.trim()).filter(Boolean), exchange: res.exchange };
  }

  /**
   * `GET v2/users/authenticate` with the profile's credentials, as `conan
   * remote login` does: the token it answers, or null when refused. Done once;
   * every later request of the session carries it as Bearer.
   */
  async login(): Promise<{ readonly token: string | null; readonly exchange: Exchange | undefined }> {
    if (this.#token !== undefined) return { token: this.#token, exchange: this.#login };
    if (this.#credential.token === undefined || !this.#target.capabilities[TOKEN_LOGIN]) {
      this.#token = null;
      return { token: null, exchange: undefined };
    }
    const { token, exchange } = await this.authenticate();
    this.#login = exchange;
    this.#token = token;
    return { token, exchange };
  }

  /** One `GET v2/users/authenticate` with the profile's credentials (none for anonymous): the token, or null when refused. */
  async authenticate(): Promise<{ readonly token: string | null; readonly exchange: Exchange }> {
    const res = await this.#http.request({ method: "GET", path: `/${this.api}/users/authenticate` });
    if (!isSuccess(res.status)) {
      await res.text().catch(() => undefined);
      ensureUsable(res, "logging in (users/authenticate)");
      return { token: null, exchange: res.exchange };
    }
    // Bytes, not text: the token must not become the exchange's snippet.
    const token = new TextDecoder().decode(await res.bytes()).trim();
    return { token: token === "" ? null : token, exchange: res.exchange };
  }

  /** The session's token, once logged in (the secrets test reads it to be sure it stays out of reports). */
  get token(): string | null | undefined {
    return this.#token;
  }

  /** A request with the login's Bearer token, or the profile's credentials when there is none. */
  async request(method: string, path: string, body?: Content | string, extra: Record<string, string> = {}): Promise<HttpResponse> {
    if (this.instance && path.startsWith("/v2/")) {
      throw new ScenarioSkip(`GitLab serves Conan's v2 API at project level only (conanGitLabFacts.routes); ${this.#target.registry} is the instance level: set api: v1`);
    }
    const { token } = await this.login();
    const headers: Record<string, string> = { ...extra };
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined && typeof body !== "string") {
      headers["content-type"] ??= "application/octet-stream";
      headers["content-length"] = String(body.size);
    }
    return this.#http.request({ method, path, headers, noAuth: token ? true : undefined, body: body === undefined ? undefined : typeof body === "string" ? body : (body.bytes ?? body) });
  }

  /** `GET v2/users/check_credentials`: whether the registry takes the session's credentials. */
  async checkCredentials(): Promise<{ readonly ok: boolean; readonly exchange: Exchange }> {
    const res = await this.request("GET", `/${this.api}/users/check_credentials`);
    await res.text().catch(() => undefined);
    ensureUsable(res, "checking credentials");
    return { ok: isSuccess(res.status), exchange: res.exchange };
  }

  async publish(artifact: Artifact): Promise<PublishOutcome> {
    if (this.api === "v1") return this.#publishV1(artifact);
    const layout = layoutOf(artifact);
    const recipe = `${ConanClient.recipePath(artifact.name, artifact.version)}/revisions/${layout.recipeRevision}`;
    let first: PublishOutcome | undefined;
    const put = async (path: string, filename: string, content: Content): Promise<PublishOutcome> => {
      const res = await this.request("PUT", `${path}/files/${filename}`, content);
      await drain(res);
      if (!isSuccess(res.status)) ensureUsable(res, `uploading ${filename}`);
      return { accepted: isSuccess(res.status), status: res.status, exchange: res.exchange };
    };
    for (const file of layout.recipe) {
      const outcome = await put(recipe, file.filename, file.content);
      if (!outcome.accepted) return outcome;
      first ??= outcome;
    }
    const pkg = `${recipe}/packages/${layout.packageId}/revisions/${layout.packageRevision}`;
    for (const file of layout.package) {
      const outcome = await put(pkg, file.filename, file.content);
      if (!outcome.accepted) return outcome;
    }
    return first!;
  }

  /** Whether `url` lies under the registry the target names (the file URLs GitLab's v1 answers are absolute). */
  #underRegistry(url: string): boolean {
    const base = this.#target.registry.replace(/\/+$/, "");
    return url.startsWith(`${base}/`);
  }

  /**
   * `POST <path>/upload_urls` with `{file: size}`: the URL answered for each
   * file (a ConformanceFailure when one is missing, outside the registry, or
   * names another file), or the refusal.
   */
  async #uploadUrls(path: string, files: readonly { readonly filename: string; readonly content: Content }[], fileSegment: string): Promise<{ readonly urls?: Record<string, string>; readonly refused?: PublishOutcome }> {
    // `fileSegment` names the recipe (its user and channel) and revision `0`: a URL under another project's user is not this recipe's.
    const body = JSON.stringify(Object.fromEntries(files.map((f) => [f.filename, f.content.size])));
    const res = await this.request("POST", `${path}/upload_urls`, body, { "content-type": "application/json" });
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, "asking for upload URLs");
      return { refused: { accepted: false, status: res.status, exchange: res.exchange } };
    }
    const answer = await res.json<unknown>();
    const urls: Record<string, string> = {};
    for (const f of files) {
      const url = isRecord(answer) ? answer[f.filename] : undefined;
      const expected = `a URL under ${this.#target.registry} ending ${fileSegment}${f.filename}`;
      if (typeof url !== "string" || !this.#underRegistry(url) || !url.split("?")[0]!.endsWith(`${fileSegment}${f.filename}`)) {
        throw new ConformanceFailure(
          `the upload URL ${describeExchange(res.exchange)} answers for ${f.filename} is not that file's`,
          { expected, actual: typeof url === "string" ? url : JSON.stringify(answer)?.slice(0, 200) ?? "nothing" },
          [res.exchange],
        );
      }
      urls[f.filename] = url;
    }
    return { urls };
  }

  /** v1 publish: `upload_urls` for the recipe files, a PUT of each, then the same for the package's files. */
  async #publishV1(artifact: Artifact): Promise<PublishOutcome> {
    const layout = layoutOf(artifact);
    const recipe = this.v1Recipe(artifact.name, artifact.version);
    const files = this.#v1Files(artifact.name, artifact.version);
    let first: PublishOutcome | undefined;
    const steps = [
      { path: recipe, files: layout.recipe, segment: `${files}0/export/` },
      { path: `${recipe}/packages/${layout.packageId}`, files: layout.package, segment: `${files}0/package/${layout.packageId}/0/` },
    ];
    for (const step of steps) {
      const { urls, refused } = await this.#uploadUrls(step.path, step.files, step.segment);
      if (refused) return refused;
      for (const file of step.files) {
        const res = await this.request("PUT", urls![file.filename]!, file.content);
        await drain(res);
        if (!isSuccess(res.status)) ensureUsable(res, `uploading ${file.filename}`);
        const outcome: PublishOutcome = { accepted: isSuccess(res.status), status: res.status, exchange: res.exchange };
        if (!outcome.accepted) return outcome;
        first ??= outcome;
      }
    }
    return first!;
  }

  /** `GET …/latest` (recipe) or `…/revisions/:rrev/packages/:pkgid/latest`: undefined for a 404. */
  async latestRevision(path: string): Promise<{ readonly revision: ConanRevision | undefined; readonly exchange: Exchange }> {
    const res = await this.request("GET", `${path}/latest`);
    if (res.status === 404) {
      await res.text();
      return { revision: undefined, exchange: res.exchange };
    }
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, "reading the latest revision");
      throw new ProtocolError(`reading the latest revision: ${describeExchange(res.exchange)}`, [res.exchange], { expected: "status 200", actual: `status ${res.status}` });
    }
    const body = await res.json<unknown>();
    if (!isRecord(body) || typeof body.revision !== "string") {
      throw new ConformanceFailure(`${describeExchange(res.exchange)} is not a revision`, { expected: '{"revision": "…", "time": "…"}', actual: JSON.stringify(body)?.slice(0, 200) ?? "nothing" }, [res.exchange]);
    }
    return { revision: { revision: body.revision, time: typeof body.time === "string" ? body.time : "" }, exchange: res.exchange };
  }

  /** `GET …/revisions` (recipe) or `…/packages/:pkgid/revisions`, newest first as the registry lists them. */
  async revisions(path: string): Promise<RevisionList> {
    const res = await this.request("GET", `${path}/revisions`);
    if (res.status === 404) {
      await res.text();
      return { found: false, revisions: [], exchange: res.exchange };
    }
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, "listing revisions");
      throw new ProtocolError(`listing revisions: ${describeExchange(res.exchange)}`, [res.exchange], { expected: "status 200", actual: `status ${res.status}` });
    }
    const body = await res.json<unknown>();
    const revisions = revisionsOf(body);
    if (!revisions) {
      throw new ConformanceFailure(`${describeExchange(res.exchange)} is not a revision list`, { expected: '{"reference": "…", "revisions": [{"revision", "time"}]}', actual: JSON.stringify(body)?.slice(0, 200) ?? "nothing" }, [res.exchange]);
    }
    return { found: true, revisions, exchange: res.exchange };
  }

  /** `GET <revision path>/files`: the file names a recipe or package revision lists (none for a 404). */
  async listFiles(path: string): Promise<{ readonly names: readonly string[]; readonly exchange: Exchange }> {
    const res = await this.request("GET", `${path}/files`);
    if (res.status === 404) {
      await res.text();
      return { names: [], exchange: res.exchange };
    }
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, "listing files");
      throw new ProtocolError(`listing files: ${describeExchange(res.exchange)}`, [res.exchange], { expected: "status 200", actual: `status ${res.status}` });
    }
    const body = await res.json<unknown>();
    if (!isRecord(body) || !isRecord(body.files)) {
      throw new ConformanceFailure(`${describeExchange(res.exchange)} is not a file list`, { expected: '{"files": {"<name>": {}, …}}', actual: JSON.stringify(body)?.slice(0, 200) ?? "nothing" }, [res.exchange]);
    }
    return { names: Object.keys(body.files), exchange: res.exchange };
  }

  /** One file at `<revision path>/files/<name>`, digested as it streams; a ConformanceFailure when not served. */
  async fetchFile(path: string, filename: string, what: string): Promise<Downloaded> {
    return this.#fetchAt(`${path}/files/${filename}`, filename, what);
  }

  /** One file at a path or URL, digested as it streams. */
  async #fetchAt(at: string, filename: string, what: string): Promise<Downloaded> {
    const res = await this.request("GET", at);
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `downloading ${filename}`);
      throw new ConformanceFailure(`${filename} of ${what} is not served: ${describeExchange(res.exchange)}`, { expected: `200 with ${filename}`, actual: `status ${res.status}` }, [res.exchange]);
    }
    if (filename === MANIFEST || filename === "conaninfo.txt") {
      const bytes = await res.bytes();
      return { size: bytes.byteLength, digests: contentFromBytes(bytes).digests, exchange: res.exchange, bytes };
    }
    const { size, digests } = await res.digest();
    return { size, digests, exchange: res.exchange };
  }

  /**
   * The latest recipe revision's `conanfile.py`. Its manifest must hash to the
   * revision (Conan's summary hash) and list the recipe's MD5: what `conan
   * install` relies on to trust the files.
   */
  async download(name: string, version: string): Promise<Downloaded> {
    if (this.api === "v1") return this.#downloadV1(name, version);
    const recipe = ConanClient.recipePath(name, version);
    const { revision, exchange } = await this.latestRevision(recipe);
    if (!revision) throw new ProtocolError(`${name}/${version} has no latest revision: ${describeExchange(exchange)}`, [exchange], { expected: "status 200", actual: `status ${exchange.status}` });
    return this.downloadRevision(name, version, revision.revision, [exchange]);
  }

  /**
   * v1 download: `download_urls` of the recipe, its `conanmanifest.txt` and
   * `conanfile.py` from the URLs answered (each must name its own file), the
   * file's MD5 checked against the manifest and the recipe snapshot.
   */
  async #downloadV1(name: string, version: string): Promise<Downloaded> {
    const recipe = this.v1Recipe(name, version);
    const files = this.#v1Files(name, version);
    const what = this.instance ? this.reference(name, version) : `${name}/${version}`;
    const res = await this.request("GET", `${recipe}/download_urls`);
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `asking for the download URLs of ${what}`);
      throw new ProtocolError(`${what} has no download URLs: ${describeExchange(res.exchange)}`, [res.exchange], { expected: "status 200", actual: `status ${res.status}` });
    }
    const urls = await res.json<unknown>();
    const urlOf = (filename: string): string => {
      const url = isRecord(urls) ? urls[filename] : undefined;
      // The recipe's own file route (its user and channel), any revision, this file.
      const path = typeof url === "string" ? url.split("?")[0]! : "";
      const rest = path.includes(files) ? path.slice(path.lastIndexOf(files) + files.length) : undefined;
      if (typeof url !== "string" || !this.#underRegistry(url) || rest === undefined || !/^[^/]+\/export\/[^/]+$/.test(rest) || !rest.endsWith(`/export/${filename}`)) {
        throw new ConformanceFailure(
          `the download URL ${describeExchange(res.exchange)} answers for ${filename} of ${what} is not that file's`,
          { expected: `a URL under ${this.#target.registry} ${files}<revision>/export/${filename}, ending /export/${filename}`, actual: typeof url === "string" ? url : JSON.stringify(urls)?.slice(0, 200) ?? "nothing" },
          [res.exchange],
        );
      }
      return url;
    };
    const manifest = await this.#fetchAt(urlOf(MANIFEST), MANIFEST, what);
    const text = new TextDecoder().decode(manifest.bytes);
    const recipeFile = await this.#fetchAt(urlOf(RECIPE_FILE), RECIPE_FILE, what);
    const listed = manifestEntries(text)[RECIPE_FILE];
    if (listed !== recipeFile.digests.md5) {
      throw new ConformanceFailure(
        `the conanfile.py served for ${what} does not match its manifest (${describeExchange(recipeFile.exchange)})`,
        { expected: `md5 ${listed ?? "(not in the manifest)"}`, actual: `md5 ${recipeFile.digests.md5} (the ${recipeFile.size} bytes served)` },
        [res.exchange, manifest.exchange, recipeFile.exchange],
      );
    }
    const snap = await this.request("GET", recipe);
    if (!isSuccess(snap.status)) {
      await drain(snap);
      ensureUsable(snap, `reading the snapshot of ${what}`);
      throw new ProtocolError(`reading the snapshot of ${what}: ${describeExchange(snap.exchange)}`, [snap.exchange], { expected: "status 200", actual: `status ${snap.status}` });
    }
    const snapshot = await snap.json<unknown>();
    const md5 = isRecord(snapshot) ? snapshot[RECIPE_FILE] : undefined;
    if (md5 !== recipeFile.digests.md5) {
      throw new ConformanceFailure(
        `the snapshot of ${what} (${describeExchange(snap.exchange)}) does not give the MD5 of the conanfile.py served`,
        { expected: `"conanfile.py": "${recipeFile.digests.md5}"`, actual: `"conanfile.py": ${JSON.stringify(md5) ?? "(missing)"}` },
        [res.exchange, recipeFile.exchange, snap.exchange],
      );
    }
    return recipeFile;
  }

  /** `conanfile.py` of one recipe revision, checked against its manifest. */
  async downloadRevision(name: string, version: string, revision: string, before: readonly Exchange[] = []): Promise<Downloaded> {
    const path = `${ConanClient.recipePath(name, version)}/revisions/${revision}`;
    const what = `${name}/${version}#${revision}`;
    const manifest = await this.fetchFile(path, MANIFEST, what);
    const text = new TextDecoder().decode(manifest.bytes);
    const summary = revisionOf(text);
    if (summary !== revision) {
      throw new ConformanceFailure(
        `the conanmanifest.txt served for ${what} is not that revision's (${describeExchange(manifest.exchange)})`,
        { expected: `a manifest whose summary hash is ${revision}`, actual: `summary hash ${summary}` },
        [...before, manifest.exchange],
      );
    }
    const recipe = await this.fetchFile(path, RECIPE_FILE, what);
    const listed = manifestEntries(text)[RECIPE_FILE];
    if (listed !== recipe.digests.md5) {
      throw new ConformanceFailure(
        `the conanfile.py served for ${what} does not match its manifest (${describeExchange(recipe.exchange)})`,
        { expected: `md5 ${listed ?? "(not in the manifest)"}`, actual: `md5 ${recipe.digests.md5} (the ${recipe.size} bytes served)` },
        [...before, manifest.exchange, recipe.exchange],
      );
    }
    return recipe;
  }

  /** `GET v2/conans/search?q=` (`v1/…` under v1): the references the registry answers. */
  async searchReferences(query: string): Promise<{ readonly references: readonly string[]; readonly exchange: Exchange; readonly status: number }> {
    const res = await this.request("GET", `/${this.api}/conans/search?q=${encodeURIComponent(query)}`);
    if (res.status === 404) {
      await res.text();
      return { references: [], exchange: res.exchange, status: 404 };
    }
    if (!isSuccess(res.status)) {
      await drain(res);
      ensureUsable(res, `searching for ${query}`);
      return { references: [], exchange: res.exchange, status: res.status };
    }
    const body = await res.json<unknown>();
    if (!isRecord(body) || !Array.isArray(body.results) || body.results.some((r) => typeof r !== "string")) {
      throw new ConformanceFailure(`${describeExchange(res.exchange)} is not a search answer`, { expected: '{"results": ["name/version@user/channel", …]}', actual: JSON.stringify(body)?.slice(0, 200) ?? "nothing" }, [res.exchange]);
    }
    return { references: body.results as string[], exchange: res.exchange, status: res.status };
  }

  async #listed(name: string): Promise<{ readonly versions: readonly string[]; readonly exchange: Exchange }> {
    const { references, exchange, status } = await this.searchReferences(`${name}/*`);
    if (!isSuccess(status) && status !== 404) {
      throw new ProtocolError(`searching for ${name}/*: ${describeExchange(exchange)}`, [exchange], { expected: "status 200", actual: `status ${status}` });
    }
    const versions = new Set<string>();
    const { user, channel } = this.userChannel;
    for (const ref of references) {
      const parsed = parseReference(ref);
      if (parsed && parsed.name === name && parsed.user === user && parsed.channel === channel) versions.add(parsed.version);
    }
    return { versions: [...versions], exchange };
  }

  /** The recipe versions of `name`: `search?q=<name>/*`, the references of that name without user and channel. */
  async versions(name: string): Promise<readonly string[]> {
    return (await this.#listed(name)).versions;
  }

  /** The request `push.many` times: the search for `<name>/*`. */
  async metadata(name: string): Promise<Exchange> {
    return (await this.#listed(name)).exchange;
  }

  /** Names the search answers for `*<text>*`. */
  async search(text: string): Promise<readonly string[]> {
    const { references, exchange, status } = await this.searchReferences(`*${text}*`);
    if (!isSuccess(status)) throw new ProtocolError(`searching for *${text}*: ${describeExchange(exchange)}`, [exchange], { expected: "status 200", actual: `status ${status}` });
    return [...new Set(references.map((r) => parseReference(r)?.name).filter((n): n is string => n !== undefined))];
  }

  /** Deletes every recipe revision of a version (or of every version): the last one removes the recipe. */
  async remove(name: string, version?: string): Promise<void> {
    const versions = version === undefined ? await this.versions(name) : [version];
    if (this.api === "v1") {
      for (const v of versions) {
        const res = await this.request("DELETE", this.v1Recipe(name, v));
        await drain(res);
        if (res.status === 404) continue;
        if (!isSuccess(res.status)) throw new ProtocolError(`removing ${name}/${v}: ${describeExchange(res.exchange)}`, [res.exchange]);
      }
      return;
    }
    for (const v of versions) {
      const recipe = ConanClient.recipePath(name, v);
      const { revisions } = await this.revisions(recipe);
      for (const { revision } of revisions) {
        const res = await this.request("DELETE", `${recipe}/revisions/${revision}`);
        await drain(res);
        if (res.status === 404) continue;
        if (!isSuccess(res.status)) throw new ProtocolError(`removing ${name}/${v}#${revision}: ${describeExchange(res.exchange)}`, [res.exchange]);
      }
    }
  }
}

/** The kit's `connect`. */
export function connectConan(session: Session<ConanProfile>): ConanClient {
  return new ConanClient(session);
}
