// Test helpers shared by the OCI kit's tests that speak to the reference
// registry over plain HTTP (reference.test.ts, gitlab-facts.test.ts): asking
// GitLab's token realm for a token as each kind of credential, and pushing
// blobs, images and manifests with it. The bodies are typed as the spec and
// GitLab's realm write them, so a test reads fields without casts.
import { createHash, randomBytes } from "node:crypto";
import { expect } from "vitest";
import { MANIFEST_TYPES } from "@regkit/oci/reference";
import type { ReferenceRegistry } from "@regkit/registry";

/** One entry of the distribution spec's error body. */
export interface ErrorEntry {
  code: string;
  message?: string;
  detail?: unknown;
}

/** An error answer: the spec's `{errors}` or GitLab's own `{message}` from its guards. */
export interface ErrorBody {
  errors?: ErrorEntry[];
  message?: string;
}

/** The realm's answer: a token, or an error body. */
export interface RealmBody extends ErrorBody {
  token?: string;
}

/** One grant in a registry token's `access` claim. */
export interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** The claims of a registry token as GitLab's realm signs them. */
export interface Claims {
  iss: string;
  aud: string;
  sub?: string;
  iat: number;
  nbf?: number;
  exp: number;
  jti?: string;
  access: Access[];
}

/** The JOSE header of a registry token. */
export interface JwtHeader {
  alg: string;
  typ: string;
  kid?: string;
}

/** A content descriptor (OCI image spec). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** An image manifest (OCI image spec). */
export interface ImageManifest {
  schemaVersion: number;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

/** An image index, as pushed, as the referrers API answers, and as an OCI layout's index.json. */
export interface ImageIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

/** The answer of GET /v2/<name>/tags/list. */
export interface TagList {
  name: string;
  tags: string[];
}

/** The answer of GET /v2/_catalog. */
export interface Catalog {
  repositories: string[];
}

/** The kinds of credential the reference registry hands out, and none. */
export type Who = "personal" | "developer" | "deploy" | "readonly" | "job" | "otherJob" | "anonymous";

export const bearer = (token: string, extra: Record<string, string> = {}): Record<string, string> => ({ authorization: `Bearer ${token}`, ...extra });
export const sha = (bytes: Uint8Array): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;

/** The spec's error body: its first code. */
export async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as ErrorBody;
  return body.errors?.[0]?.code;
}

export function descriptor(mediaType: string, bytes: Uint8Array): Descriptor {
  return { mediaType, digest: sha(bytes), size: bytes.byteLength };
}

/** A JWT's part (0: header, 1: claims), decoded. */
function jwtPart<T>(token: string, part: 0 | 1): T {
  return JSON.parse(Buffer.from(token.split(".")[part]!, "base64url").toString()) as T;
}

/**
 * The realm and push helpers bound to a test file's registry. `current` is
 * read at each call because the registry is only created in beforeAll; every
 * helper that takes `reg` defaults to it.
 */
export function ociHelpers(current: () => ReferenceRegistry) {
  /** Basic credentials as a registry client sends them to the realm. */
  function basic(who: Who, reg: ReferenceRegistry = current()): string | undefined {
    const t = reg.tokens;
    const pairs: Record<Who, string | undefined> = {
      personal: `${t.personalUsername}:${t.personal}`,
      developer: `regkit-developer:${t.developer}`,
      deploy: `${t.deployUsername}:${t.deploy}`,
      readonly: `${t.readonlyDeployUsername}:${t.readonlyDeploy}`,
      job: `gitlab-ci-token:${t.job}`,
      otherJob: `gitlab-ci-token:${t.other.job}`,
      anonymous: undefined,
    };
    const pair = pairs[who];
    return pair === undefined ? undefined : `Basic ${Buffer.from(pair).toString("base64")}`;
  }

  /** Asks the realm for a token; returns the status, body and decoded claims. */
  async function realm(who: Who | { authorization: string }, scopes: readonly string[], reg: ReferenceRegistry = current(), service = "container_registry") {
    const query = new URLSearchParams({ service });
    for (const scope of scopes) query.append("scope", scope);
    const authorization = typeof who === "string" ? basic(who, reg) : who.authorization;
    const res = await fetch(`${reg.url}/jwt/auth?${query}`, { headers: authorization ? { authorization } : {} });
    const text = await res.text();
    const body = (text === "" ? {} : JSON.parse(text)) as RealmBody;
    const token = typeof body.token === "string" ? body.token : undefined;
    const claims = token === undefined ? undefined : jwtPart<Claims>(token, 1);
    const header = token === undefined ? undefined : jwtPart<JwtHeader>(token, 0);
    return { status: res.status, body, claims, header, token };
  }

  /** A token for `name` with `actions`, from `who`. */
  async function tokenFor(who: Who, name: string, actions = "pull,push,delete", reg: ReferenceRegistry = current()): Promise<string> {
    const answer = await realm(who, [`repository:${name}:${actions}`], reg);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.token!;
  }

  async function pushBlob(name: string, token: string, bytes: Uint8Array, reg: ReferenceRegistry = current()): Promise<string> {
    const digest = sha(bytes);
    const res = await fetch(`${reg.url}/v2/${name}/blobs/uploads/?digest=${digest}`, {
      method: "POST",
      headers: bearer(token, { "content-type": "application/octet-stream" }),
      body: bytes,
    });
    expect(res.status, `POST /v2/${name}/blobs/uploads/?digest=: ${await res.clone().text()}`).toBe(201);
    return digest;
  }

  function putManifest(name: string, reference: string, token: string, bytes: Uint8Array, mediaType: string = MANIFEST_TYPES.ociManifest, reg: ReferenceRegistry = current()) {
    return fetch(`${reg.url}/v2/${name}/manifests/${reference}`, { method: "PUT", headers: bearer(token, { "content-type": mediaType }), body: bytes });
  }

  /** Pushes a config and one layer, and an image manifest naming them; returns the manifest and its digest. */
  async function pushImage(name: string, token: string, tag: string, seed = tag, extra: Partial<ImageManifest> = {}) {
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", seed }));
    const layer = randomBytes(2048);
    await pushBlob(name, token, config);
    await pushBlob(name, token, layer);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPES.ociManifest,
        config: descriptor("application/vnd.oci.image.config.v1+json", config),
        layers: [descriptor("application/vnd.oci.image.layer.v1.tar", layer)],
        ...extra,
      }),
    );
    const res = await putManifest(name, tag, token, manifest);
    expect(res.status, `PUT /v2/${name}/manifests/${tag}: ${await res.clone().text()}`).toBe(201);
    return { manifest, digest: sha(manifest), layer, config };
  }

  return { basic, realm, tokenFor, pushBlob, putManifest, pushImage };
}
