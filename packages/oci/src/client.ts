import {
  ConformanceFailure,
  ProtocolError,
  createDigester,
  describeExchange,
  expectStatus,
  type Artifact,
  type Content,
  type Downloaded,
  type Exchange,
  type HttpRequest,
  type HttpResponse,
  type ListedFile,
  type PublishOutcome,
  type RegistryClient,
  type Session,
} from "@regkit/core";
import { bearerChallenge, parseChallenges, repositoryScope, type Challenge } from "./auth.js";
import {
  CLIENT_ACCEPT,
  MANIFEST_FILE,
  errorCodes,
  manifestFiles,
  nextLink,
  parseManifest,
  sha256Digest,
  MEDIA,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from "./manifest.js";
import type { OciProfile } from "./profiles.js";

/** What the registry answered, read: status, headers, body (bounded) and its error codes. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The distribution spec's error codes of the body (`MANIFEST_BLOB_UNKNOWN`, ...). */
  readonly codes: readonly string[];
  readonly exchange: Exchange;
}

/** A manifest as pulled: bytes, type and the digest the registry announced. */
export interface PulledManifest {
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly contentType: string;
  /** `Docker-Content-Digest`, when the registry sent one. */
  readonly announced: string | undefined;
  readonly manifest?: ImageManifest | undefined;
  readonly index?: ImageIndex | undefined;
  readonly exchange: Exchange;
}

/** The result of the token flow for one scope. */
export interface TokenGrant {
  readonly challenge: Challenge;
  readonly token: string | undefined;
  /** The realm's answer (or the registry's, when no challenge came). */
  readonly exchange: Exchange;
}

/** How a blob goes up. */
export interface UploadOptions {
  /** PATCH chunks of this many bytes (chunked upload); absent: one monolithic PUT. */
  readonly chunkSize?: number | undefined;
}

/** The OCI adapter: the distribution protocol spoken with one credential. */
export interface OciClient extends RegistryClient {
  /** `<namespace>/<name>`: the repository path the registry sees. */
  repository(name: string): string;
  /** The URL path of a repository route (`/v2/<namespace>/<name>/<rest>`). */
  path(name: string, rest: string): string;
  /**
   * One request with the token flow: the profile's credential first, a Bearer
   * token from the challenge's realm when the registry asks for one (cached
   * per scope), retried once. `actions` is the scope the request needs.
   */
  send(req: HttpRequest, repository: string | undefined, actions: readonly string[]): Promise<HttpResponse>;
  /** {@link send}, the body read (bounded) and its error codes parsed. */
  ask(req: HttpRequest, repository: string | undefined, actions: readonly string[]): Promise<Answer>;
  /** Uploads a blob (POST, then PUT or PATCH chunks and PUT); the final answer. */
  uploadBlob(name: string, content: Content, options?: UploadOptions): Promise<Answer>;
  /** Pushes manifest bytes under a tag or a digest. */
  putManifest(name: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<Answer>;
  /** GET (or HEAD) of a manifest; undefined on 404. Checks `Docker-Content-Digest` against the bytes. */
  getManifest(name: string, reference: string, accept?: string): Promise<PulledManifest | undefined>;
  /** Streams a blob and checks it against its descriptor (digest and size). */
  getBlob(name: string, descriptor: Descriptor): Promise<Downloaded>;
  /** One page of `tags/list`. */
  tagsPage(name: string, query?: { n?: number; last?: string } | string): Promise<{ tags: string[]; next: string | undefined; answer: Answer }>;
  /** The token flow for a scope, done explicitly (oci.token-flow). */
  grant(repository: string, actions: readonly string[]): Promise<TokenGrant>;
  /** The first challenge seen, with its scheme (undefined until a 401 came, to this client or, for a Bearer challenge, to another of the same registry). */
  challenge(): Challenge | undefined;
}

const TOKEN_SCOPE_KEY = (repository: string | undefined, actions: readonly string[]): string => `${repository ?? "registry"}:${[...actions].sort().join(",")}`;

/**
 * The Bearer challenge each registry origin announced, shared by every client
 * of the process: the realm and service are the registry's, not a
 * credential's, so a client connected later (cleanup's, a second token kind's)
 * goes to the realm first as docker clients do once they know a registry,
 * instead of meeting the 401 again, which the runner's cleanup would read as
 * a refused credential. Bounded: the oldest origin goes first.
 */
const KNOWN_CHALLENGES = new Map<string, Challenge>();
const MAX_KNOWN_CHALLENGES = 64;

function rememberChallenge(origin: string, challenge: Challenge): void {
  KNOWN_CHALLENGES.delete(origin);
  KNOWN_CHALLENGES.set(origin, challenge);
  if (KNOWN_CHALLENGES.size > MAX_KNOWN_CHALLENGES) KNOWN_CHALLENGES.delete(KNOWN_CHALLENGES.keys().next().value!);
}

/**
 * The scopes of a challenge's `scope` parameter: distribution names several
 * separated by spaces (a mount's challenge names the destination and the
 * source: `repository:dst:pull,push repository:src:pull`).
 */
export function challengeScopes(challenge: Challenge): string[] {
  return (challenge.params.scope ?? "").split(" ").filter(Boolean);
}

/**
 * Splits a target's registry URL into the registry's origin and the namespace
 * images live under: `https://registry.example.com/v2/group/project` (or
 * without `/v2`) is origin `https://registry.example.com` and namespace
 * `group/project`.
 */
export function splitRegistry(registry: string): { origin: string; namespace: string } {
  const url = new URL(registry);
  const path = url.pathname.replace(/^\/+|\/+$/g, "");
  const namespace = path === "v2" ? "" : path.startsWith("v2/") ? path.slice(3) : path;
  return { origin: url.origin, namespace };
}

/** Reads a response into an {@link Answer}. */
async function answer(res: HttpResponse): Promise<Answer> {
  const body = res.status === 204 || res.exchange.method === "HEAD" ? (await res.dump(), "") : await res.text().catch(() => "");
  return { status: res.status, headers: res.headers, body, codes: errorCodes(body), exchange: res.exchange };
}

function withQuery(location: string, key: string, value: string): string {
  return `${location}${location.includes("?") ? "&" : "?"}${key}=${encodeURIComponent(value)}`;
}

/** Re-chunks a stream into pieces of exactly `size` bytes (the last one shorter). */
async function* pieces(source: AsyncIterable<Uint8Array>, size: number): AsyncIterable<Uint8Array> {
  let pending: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of source) {
    let rest = chunk;
    while (length + rest.byteLength >= size) {
      const take = size - length;
      pending.push(rest.subarray(0, take));
      yield Buffer.concat(pending, size);
      pending = [];
      length = 0;
      rest = rest.subarray(take);
    }
    if (rest.byteLength) {
      pending.push(rest);
      length += rest.byteLength;
    }
  }
  if (length) yield Buffer.concat(pending, length);
}

/** Connects the OCI adapter to a session. */
export function connectOci({ http, target, credential }: Session<OciProfile>): OciClient {
  const { origin, namespace } = splitRegistry(target.registry);
  const repository = (name: string): string => (namespace ? `${namespace}/${name}` : name);
  const path = (name: string, rest: string): string => `${origin}/v2/${repository(name)}/${rest}`;
  const tokens = new Map<string, string>();
  /** The scopes each cached token was asked for: a challenge naming no other scope means the token is refused, not short. */
  const asked = new Map<string, readonly string[]>();
  /**
   * Once a Bearer challenge came (to this client or, for a credential, to
   * another of the same registry), its realm and service serve every later
   * scope without a 401 first. No credential and a wrong one start at the
   * registry itself: a registry that ignores credentials must meet the
   * request, not the realm's refusal.
   */
  let bearer: Challenge | undefined = credential.kind === "anonymous" || credential.kind === "invalid" ? undefined : KNOWN_CHALLENGES.get(origin);
  let seen: Challenge | undefined = bearer;

  const fetchToken = async (challenge: Challenge, scope: string | readonly string[] | undefined): Promise<{ token: string | undefined; res: HttpResponse }> => {
    const realm = new URL(challenge.params.realm!);
    if (challenge.params.service) realm.searchParams.set("service", challenge.params.service);
    // One `scope` parameter per scope, as the token specification and docker clients send several.
    for (const one of typeof scope === "string" ? [scope] : (scope ?? [])) realm.searchParams.append("scope", one);
    // The realm takes the credential as Basic (profile.authHeaders); anonymous sends none.
    const res = await http.request({ method: "GET", path: realm.toString(), headers: { accept: "application/json" } });
    if (res.status !== 200) return { token: undefined, res };
    const body = await res.json<{ token?: unknown; access_token?: unknown }>();
    const token = typeof body.token === "string" ? body.token : typeof body.access_token === "string" ? body.access_token : undefined;
    if (!token) throw new ProtocolError(`the token realm answered 200 without a token or access_token (${describeExchange(res.exchange)})`, [res.exchange]);
    return { token, res };
  };

  const send: OciClient["send"] = async (req, repo, actions) => {
    // A request that sets its own credentials (the token flow's checks) goes as it is.
    if (req.noAuth) return http.request(req);
    const key = TOKEN_SCOPE_KEY(repo, actions);
    const scope = repo ? repositoryScope(repo, actions) : undefined;
    const cached = tokens.get(key);
    if (!cached && bearer && scope) {
      // A registry known to want tokens: fetch one for this scope first, as docker clients do.
      const { token, res } = await fetchToken(bearer, scope);
      if (!token) return res;
      tokens.set(key, token);
      asked.set(key, [scope]);
    }
    const token = tokens.get(key);
    const first = await http.request(token ? { ...req, noAuth: true, headers: { ...req.headers, authorization: `Bearer ${token}` } } : req);
    if (first.status !== 401) return first;
    const challenge = bearerChallenge(first.headers["www-authenticate"]);
    seen ??= parseChallenges(first.headers["www-authenticate"])[0];
    if (!challenge) return first;
    // Every scope the challenge names, and ours: a mount's challenge names the source repository too.
    const wanted = [...new Set([...(scope ? [scope] : []), ...challengeScopes(challenge)])];
    // A token refused for the scopes it was asked for stays refused; one the
    // challenge asks more of gets them in a fresh token; one refused otherwise
    // has expired (GitLab's live minutes): one fresh try.
    const before = asked.get(key) ?? [];
    if (token && challenge.params.error === "insufficient_scope" && wanted.every((w) => before.includes(w))) return first;
    tokens.delete(key);
    seen = challenge;
    bearer = challenge;
    rememberChallenge(origin, challenge);
    // The body of a request that is retried must be sent again: only bodies that can be (bytes, Content) are retried.
    const body = req.body;
    const replayable = body === undefined || typeof body === "string" || body instanceof Uint8Array || (typeof body === "object" && "digests" in body);
    if (!replayable) return first;
    await first.dump();
    const { token: fresh, res } = await fetchToken(challenge, wanted);
    if (!fresh) return res;
    tokens.set(key, fresh);
    asked.set(key, wanted);
    return http.request({ ...req, noAuth: true, headers: { ...req.headers, authorization: `Bearer ${fresh}` } });
  };

  const ask: OciClient["ask"] = async (req, repo, actions) => answer(await send(req, repo, actions));

  const PULL = ["pull"] as const;
  const PUSH = ["pull", "push"] as const;

  const uploadBlob: OciClient["uploadBlob"] = async (name, content, options = {}) => {
    const repo = repository(name);
    const digest = `sha256:${content.digests.sha256}`;
    const start = await ask({ method: "POST", path: path(name, "blobs/uploads/"), headers: { "content-length": "0" } }, repo, PUSH);
    if (start.status !== 202) return start;
    let location = start.headers.location;
    if (!location) throw new ProtocolError(`starting a blob upload answered 202 without a Location (${describeExchange(start.exchange)})`, [start.exchange]);
    location = new URL(location, origin).toString();
    if (options.chunkSize === undefined) {
      return ask(
        { method: "PUT", path: withQuery(location, "digest", digest), headers: { "content-type": "application/octet-stream", "content-length": String(content.size) }, body: content },
        repo,
        PUSH,
      );
    }
    let offset = 0;
    for await (const chunk of pieces(content.stream(), options.chunkSize)) {
      const end = offset + chunk.byteLength - 1;
      const patched = await ask(
        {
          method: "PATCH",
          path: location,
          headers: { "content-type": "application/octet-stream", "content-length": String(chunk.byteLength), "content-range": `${offset}-${end}` },
          body: chunk,
        },
        repo,
        PUSH,
      );
      if (patched.status !== 202) return patched;
      if (patched.headers.location) location = new URL(patched.headers.location, origin).toString();
      offset = end + 1;
    }
    return ask({ method: "PUT", path: withQuery(location, "digest", digest), headers: { "content-length": "0" } }, repo, PUSH);
  };

  const putManifest: OciClient["putManifest"] = (name, reference, bytes, mediaType) =>
    ask({ method: "PUT", path: path(name, `manifests/${reference}`), headers: { "content-type": mediaType }, body: bytes }, repository(name), PUSH);

  const getManifest: OciClient["getManifest"] = async (name, reference, accept = CLIENT_ACCEPT) => {
    const res = await send({ method: "GET", path: path(name, `manifests/${reference}`), headers: { accept } }, repository(name), PULL);
    if (res.status === 404) {
      await res.dump();
      return undefined;
    }
    await expectStatus(res, [200], `pulling the manifest ${repository(name)}:${reference}`);
    const bytes = await res.bytes();
    const digest = sha256Digest(bytes);
    const announced = res.headers["docker-content-digest"];
    if (announced !== undefined && announced !== digest) {
      throw new ConformanceFailure(
        `the Docker-Content-Digest of ${repository(name)}:${reference} does not match the manifest bytes (${describeExchange(res.exchange)})`,
        { expected: `Docker-Content-Digest: ${digest}`, actual: `Docker-Content-Digest: ${announced}` },
        [res.exchange],
      );
    }
    if (reference.startsWith("sha256:") && digest !== reference) {
      throw new ConformanceFailure(
        `the manifest pulled by digest ${reference} has other bytes (${describeExchange(res.exchange)})`,
        { expected: `bytes with sha256 ${reference}`, actual: `bytes with ${digest}` },
        [res.exchange],
      );
    }
    const parsed = parseManifest(bytes);
    if (parsed.problem) {
      throw new ConformanceFailure(`${repository(name)}:${reference} is not a manifest: ${parsed.problem}`, { expected: "an OCI image manifest or index", actual: parsed.problem }, [res.exchange]);
    }
    return { bytes, digest, contentType: res.headers["content-type"] ?? "", announced, manifest: parsed.manifest, index: parsed.index, exchange: res.exchange };
  };

  const getBlob: OciClient["getBlob"] = async (name, descriptor) => {
    const res = await send({ method: "GET", path: path(name, `blobs/${descriptor.digest}`) }, repository(name), PULL);
    if (res.status === 404) {
      const got = await answer(res);
      throw new ConformanceFailure(
        `the blob ${descriptor.digest} the manifest names is not served (${describeExchange(got.exchange)})`,
        { expected: "status 200 with the blob", actual: `status 404${got.codes.length ? ` ${got.codes.join(", ")}` : ""}` },
        [got.exchange],
      );
    }
    await expectStatus(res, [200], `pulling the blob ${descriptor.digest} of ${repository(name)}`);
    const { size, digests } = await res.digest();
    if (`sha256:${digests.sha256}` !== descriptor.digest || size !== descriptor.size) {
      throw new ConformanceFailure(
        `the blob served for ${descriptor.digest} does not match its descriptor (${describeExchange(res.exchange)})`,
        { expected: `${descriptor.size} bytes, ${descriptor.digest}`, actual: `${size} bytes, sha256:${digests.sha256}` },
        [res.exchange],
      );
    }
    return { size, digests, exchange: res.exchange };
  };

  const tagsPage: OciClient["tagsPage"] = async (name, query) => {
    let url = path(name, "tags/list");
    if (typeof query === "string") url = new URL(query, origin).toString();
    else if (query && (query.n !== undefined || query.last !== undefined)) {
      const q = new URLSearchParams();
      if (query.n !== undefined) q.set("n", String(query.n));
      if (query.last !== undefined) q.set("last", query.last);
      url = `${url}?${q}`;
    }
    const got = await ask({ method: "GET", path: url, headers: { accept: "application/json" } }, repository(name), PULL);
    if (got.status === 404) return { tags: [], next: undefined, answer: got };
    if (got.status !== 200) {
      throw new ProtocolError(`listing the tags of ${repository(name)}: ${describeExchange(got.exchange)}, expected 200: ${got.body.slice(0, 200)}`, [got.exchange], {
        expected: "status 200",
        actual: `status ${got.status}`,
      });
    }
    let doc: { name?: unknown; tags?: unknown };
    try {
      doc = JSON.parse(got.body) as typeof doc;
    } catch {
      throw new ProtocolError(`${describeExchange(got.exchange)}: the tag list is not JSON`, [got.exchange]);
    }
    // A repository without tags may answer `"tags": null` (distribution does).
    if (doc.tags !== null && doc.tags !== undefined && !Array.isArray(doc.tags)) throw new ProtocolError(`${describeExchange(got.exchange)}: "tags" is not a list`, [got.exchange]);
    const tags = (Array.isArray(doc.tags) ? doc.tags : []).filter((t): t is string => typeof t === "string");
    return { tags, next: nextLink(got.headers.link), answer: got };
  };

  const allTags = async (name: string): Promise<string[]> => {
    const out: string[] = [];
    let page = await tagsPage(name);
    out.push(...page.tags);
    // Bounded: a Link that never ends is a registry bug, not a reason to loop forever.
    for (let i = 0; page.next && i < 1000; i++) {
      page = await tagsPage(name, page.next);
      out.push(...page.tags);
    }
    return out;
  };

  const pulled = async (name: string, version: string): Promise<PulledManifest & { manifest: ImageManifest }> => {
    const got = await getManifest(name, version);
    if (!got) {
      throw new ConformanceFailure(`${repository(name)}:${version} is not served (GET manifests/${version} -> 404)`, { expected: `the manifest tagged ${version}`, actual: "404" });
    }
    if (!got.manifest) {
      throw new ConformanceFailure(`${repository(name)}:${version} is an index, where an image manifest was pushed`, { expected: MEDIA.manifest, actual: got.contentType }, [got.exchange]);
    }
    return { ...got, manifest: got.manifest };
  };

  const manifestDownload = (got: PulledManifest): Downloaded => {
    const digester = createDigester();
    digester.update(got.bytes);
    return { size: got.bytes.byteLength, digests: digester.digests(), exchange: got.exchange, bytes: got.bytes };
  };

  return {
    repository,
    path,
    send,
    ask,
    uploadBlob,
    putManifest,
    getManifest,
    getBlob,
    tagsPage,
    challenge: () => seen,

    async grant(repo, actions) {
      const scope = repositoryScope(repo, actions);
      const probe = await http.request({ method: "GET", path: `${origin}/v2/`, noAuth: true });
      await probe.dump();
      const challenge = bearerChallenge(probe.headers["www-authenticate"]) ?? parseChallenges(probe.headers["www-authenticate"])[0] ?? { scheme: "none", params: {} };
      if (challenge.scheme !== "bearer") return { challenge, token: undefined, exchange: probe.exchange };
      const { token, res } = await fetchToken(challenge, scope);
      if (!token) await res.dump();
      return { challenge, token, exchange: res.exchange };
    },

    async publish(artifact: Artifact): Promise<PublishOutcome> {
      const manifestFile = artifact.extra?.find((f) => f.filename === MANIFEST_FILE);
      if (!manifestFile?.content.bytes) throw new ProtocolError(`${artifact.name}:${artifact.version} was not built by the OCI kit (no ${MANIFEST_FILE})`);
      const blobs = [...(artifact.extra ?? []).filter((f) => f.filename !== MANIFEST_FILE), { filename: artifact.filename, content: artifact.content }];
      for (const blob of blobs) {
        // Large layers go up in chunks, as docker and skopeo do; small ones in one PUT.
        const chunked = blob.content.size > 16 * 1024 * 1024 ? { chunkSize: 8 * 1024 * 1024 } : {};
        const up = await uploadBlob(artifact.name, blob.content, chunked);
        if (up.status !== 201) return { accepted: false, status: up.status, exchange: up.exchange };
      }
      const parsed = parseManifest(manifestFile.content.bytes);
      const mediaType = parsed.manifest?.mediaType ?? parsed.index?.mediaType ?? MEDIA.manifest;
      const put = await putManifest(artifact.name, artifact.version, manifestFile.content.bytes, mediaType);
      return { accepted: put.status >= 200 && put.status < 300, status: put.status, exchange: put.exchange };
    },

    async download(name, version) {
      const got = await pulled(name, version);
      const layer = got.manifest.layers[0];
      if (!layer) throw new ConformanceFailure(`${repository(name)}:${version} has no layers`, { expected: "one layer at least", actual: "layers: []" }, [got.exchange]);
      return getBlob(name, layer);
    },

    async downloadFile(name, version, filename) {
      const got = await pulled(name, version);
      if (filename === MANIFEST_FILE) return manifestDownload(got);
      const part = manifestFiles(got.manifest).find((f) => f.filename === filename);
      if (!part) {
        throw new ConformanceFailure(
          `${repository(name)}:${version} has no ${filename}`,
          { expected: `${filename} among the manifest's blobs`, actual: manifestFiles(got.manifest).map((f) => f.filename).join(", ") },
          [got.exchange],
        );
      }
      return getBlob(name, part.descriptor);
    },

    async files(name) {
      const out: ListedFile[] = [];
      for (const tag of await allTags(name)) {
        const got = await getManifest(name, tag);
        if (!got?.manifest) continue;
        out.push({ version: tag, filename: MANIFEST_FILE, digests: { sha256: got.digest.slice(7) } });
        for (const part of manifestFiles(got.manifest)) out.push({ version: tag, filename: part.filename, digests: part.descriptor.digest.startsWith("sha256:") ? { sha256: part.descriptor.digest.slice(7) } : {} });
      }
      return out;
    },

    versions: allTags,

    async metadata(name) {
      return (await tagsPage(name)).answer.exchange;
    },

    async search(text) {
      // `_catalog` (distribution's extension, not in the OCI spec) is the only way to list repositories.
      const names: string[] = [];
      let url: string | undefined = `${origin}/v2/_catalog?n=1000`;
      for (let i = 0; url && i < 100; i++) {
        const got = await ask({ method: "GET", path: url, headers: { accept: "application/json" } }, undefined, ["*"]);
        if (got.status !== 200) throw new ProtocolError(`listing the catalog: ${describeExchange(got.exchange)}, expected 200`, [got.exchange], { expected: "status 200", actual: `status ${got.status}` });
        const doc = JSON.parse(got.body || "{}") as { repositories?: unknown };
        if (Array.isArray(doc.repositories)) names.push(...doc.repositories.filter((r): r is string => typeof r === "string"));
        const next = nextLink(got.headers.link);
        url = next ? new URL(next, origin).toString() : undefined;
      }
      const prefix = namespace ? `${namespace}/` : "";
      const found = names.filter((n) => n.startsWith(prefix) && n.includes(text)).map((n) => n.slice(prefix.length));
      // A repository whose tags were all deleted stays in the catalog (the protocol cannot remove a repository):
      // only those still holding a tag are found, so cleanup does not list emptied ones again.
      const held: string[] = [];
      for (const name of found) if ((await tagsPage(name)).tags.length > 0) held.push(name);
      return held;
    },

    async remove(name, version) {
      const repo = repository(name);
      const tags = version === undefined ? await allTags(name) : [version];
      for (const tag of tags) {
        const head = await ask({ method: "HEAD", path: path(name, `manifests/${tag}`), headers: { accept: CLIENT_ACCEPT } }, repo, PULL);
        if (head.status === 404) continue;
        const digest = head.headers["docker-content-digest"] ?? (await getManifest(name, tag))?.digest;
        if (!digest) continue;
        const del = await ask({ method: "DELETE", path: path(name, `manifests/${digest}`) }, repo, ["delete"]);
        if (![202, 200, 204, 404].includes(del.status)) {
          throw new ProtocolError(`deleting ${repo}@${digest}: ${describeExchange(del.exchange)}, expected 202: ${del.body.slice(0, 200)}`, [del.exchange], {
            expected: "status 202",
            actual: `status ${del.status}`,
          });
        }
      }
    },
  };
}
