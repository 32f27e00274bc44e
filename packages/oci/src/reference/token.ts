/**
 * GitLab's container-registry token, as the reference issues and checks it:
 * an RS256 JWT with `access: [{type, name, actions}]` (ociGitLabFacts.tokenClaims),
 * signed with a key pair made once per registry start, so a token of one
 * registry never opens another. Only what the registry side needs is here:
 * signing, verifying, and reading a `scope` parameter.
 */
import { type KeyObject, createHash, generateKeyPair, sign, verify } from "node:crypto";
import { promisify } from "node:util";
import { ociGitLabFacts } from "../gitlab.js";

/** The `service` GitLab's realm serves (Auth::ContainerRegistryAuthenticationService::AUDIENCE). */
export const SERVICE = ociGitLabFacts.tokenRealm.value.service;
export const ISSUER = ociGitLabFacts.tokenClaims.value.issuer;
/** How long a token lives: GitLab's default `container_registry_token_expire_delay`. */
export const TOKEN_LIFETIME_SECONDS = ociGitLabFacts.tokenClaims.value.expiresInMinutes * 60;

/** One `access` entry of a token: what it allows on one repository (or `registry:catalog`). */
export interface Access {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** The claims the registry reads back. */
export interface Claims {
  readonly iss: string;
  readonly aud: string;
  readonly sub?: string | undefined;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number;
  readonly jti: string;
  readonly access: readonly Access[];
}

/** A registry's signing key pair. */
export interface TokenKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The key id in the JWT header (a fingerprint of the public key). */
  readonly kid: string;
}

export async function makeKeys(): Promise<TokenKeys> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const der = publicKey.export({ type: "spki", format: "der" });
  const kid = createHash("sha256").update(der).digest("hex").slice(0, 32);
  return { privateKey, publicKey, kid };
}

const b64 = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

export function signToken(keys: TokenKeys, claims: Omit<Claims, "iss" | "exp" | "nbf" | "iat" | "jti">, now = Date.now()): string {
  const seconds = Math.floor(now / 1000);
  const header = { alg: "RS256", typ: "JWT", kid: keys.kid };
  const body: Claims = {
    ...claims,
    iss: ISSUER,
    iat: seconds,
    // GitLab's JSONWebToken::Token sets nbf a few seconds back for clock skew.
    nbf: seconds - 5,
    exp: seconds + TOKEN_LIFETIME_SECONDS,
    jti: createHash("sha256").update(`${now}:${Math.random()}`).digest("hex").slice(0, 32),
  };
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(body))}`;
  return `${input}.${sign("sha256", Buffer.from(input), keys.privateKey).toString("base64url")}`;
}

/**
 * Tokens whose signature and claims were checked, per key pair: a client
 * sends the same token with every request of a push, and an RSA verify per
 * request was a few percent of the registry's CPU. Only the signature check
 * is saved: the time checks run on every use. Bounded; the oldest goes first.
 */
const checked = new WeakMap<TokenKeys, Map<string, Claims>>();
const CHECKED_MAX = 1024;

/** The claims of a token this registry signed and that is still valid, or why not. */
export function verifyToken(keys: TokenKeys, token: string, now = Date.now()): Claims | { readonly invalid: string } {
  let known = checked.get(keys);
  if (!known) checked.set(keys, (known = new Map()));
  const claims = known.get(token) ?? checkToken(keys, token);
  if ("invalid" in claims) return claims;
  if (!known.has(token)) {
    if (known.size >= CHECKED_MAX) known.delete(known.keys().next().value!);
    known.set(token, claims);
  }
  const seconds = Math.floor(now / 1000);
  if (claims.exp <= seconds) return { invalid: "token expired" };
  if (claims.nbf > seconds + 5) return { invalid: "token not yet valid" };
  return claims;
}

/** A token's signature and claims, checked (not its times). */
function checkToken(keys: TokenKeys, token: string): Claims | { readonly invalid: string } {
  const parts = token.split(".");
  if (parts.length !== 3) return { invalid: "not a JWT" };
  const [head, payload, signature] = parts as [string, string, string];
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return { invalid: "malformed JWT" };
  }
  if (!isRecord(header) || header.alg !== "RS256") return { invalid: "unsupported signing algorithm" };
  if (!verify("sha256", Buffer.from(`${head}.${payload}`), keys.publicKey, Buffer.from(signature, "base64url"))) {
    return { invalid: "bad signature" };
  }
  if (!isClaims(claims)) return { invalid: "missing claims" };
  if (claims.iss !== ISSUER) return { invalid: "wrong issuer" };
  if (claims.aud !== SERVICE) return { invalid: "wrong audience" };
  return claims;
}

/** Whether a token allows `action` on `type:name` (`*` allows every action). */
export function allows(claims: Claims, type: string, name: string, action: string): boolean {
  return claims.access.some((a) => a.type === type && a.name === name && (a.actions.includes(action) || a.actions.includes("*")));
}

/** `repository:group/project/image:pull,push`, split as GitLab splits it (`scope.split(':', 3)`). */
export function parseScope(scope: string): Access | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first <= 0 || last === first) return undefined;
  const actions = scope
    .slice(last + 1)
    .split(",")
    .filter((a) => a !== "");
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions };
}

function isClaims(value: unknown): value is Claims {
  if (!isRecord(value)) return false;
  const numbers = ["exp", "nbf", "iat"].every((k) => typeof value[k] === "number");
  return numbers && typeof value.iss === "string" && typeof value.aud === "string" && Array.isArray(value.access) && value.access.every(isAccess);
}

function isAccess(value: unknown): value is Access {
  return isRecord(value) && typeof value.type === "string" && typeof value.name === "string" && Array.isArray(value.actions) && value.actions.every((a) => typeof a === "string");
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
