import { randomBytes } from "node:crypto";
import { GITLAB_FACTS, type TokenKind } from "@regkit/core";
import type { AuthScheme } from "./contract.js";

/** The credentials the reference registry issues (fixed through options, else random per start). */
export interface ReferenceTokens {
  /** Personal access token of `regkit-user`: Maintainer of `regkit/demo`, instance admin. */
  readonly personal: string;
  /** The username of the personal token's owner (GitLab's NuGet Basic auth checks it). */
  readonly personalUsername: string;
  /** Personal access token of `regkit-developer`: Developer on `regkit/demo` (may publish, may not delete). */
  readonly developer: string;
  /** Deploy token of `regkit/demo` with read and write package scopes. */
  readonly deploy: string;
  readonly deployUsername: string;
  /** CI job token of a job in `regkit/demo`. */
  readonly job: string;
  /** Deploy token of `regkit/demo` with `read_package_registry` only. */
  readonly readonlyDeploy: string;
  readonly readonlyDeployUsername: string;
  /** The same kinds for `regkit/other` (project 2) and its user, for scoping checks. */
  readonly other: {
    readonly personal: string;
    readonly deploy: string;
    readonly deployUsername: string;
    readonly job: string;
  };
}

/** Fixed tokens for {@link ReferenceTokens}; anything left out is generated. */
export type ReferenceTokensOption = Partial<Omit<ReferenceTokens, "other" | "personalUsername">> & {
  readonly other?: Partial<ReferenceTokens["other"]> | undefined;
};

/**
 * What an identity may do in a project: `read` (Reporter, a read-only deploy
 * token), `write` (Developer, a deploy token with write scope), `maintain`
 * (Maintainer: may also delete packages and dist-tags).
 */
export type Access = "read" | "write" | "maintain";

/** Someone the registry knows, with their access per project id. */
export interface Identity {
  readonly kind: TokenKind;
  readonly name: string;
  readonly token: string;
  /** Deploy tokens: their own username. */
  readonly username?: string | undefined;
  readonly access: ReadonlyMap<number, Access>;
  /** May change instance limits and group package settings. */
  readonly admin: boolean;
}

/** The user who owns the reference registry's personal token. */
export const PERSONAL_TOKEN_OWNER = "regkit-user";
/** The Developer of `regkit/demo`. */
const DEVELOPER = "regkit-developer";

/** GitLab's username for job tokens in Basic auth. */
export const JOB_TOKEN_USERNAME = GITLAB_FACTS.jobTokenUsername.value;

export function issueTokens(fixed: ReferenceTokensOption = {}): ReferenceTokens {
  const tokens: ReferenceTokens = {
    personal: fixed.personal ?? secret("glpat-"),
    personalUsername: PERSONAL_TOKEN_OWNER,
    developer: fixed.developer ?? secret("glpat-"),
    deploy: fixed.deploy ?? secret("gldt-"),
    deployUsername: fixed.deployUsername ?? "gitlab+deploy-token-1",
    job: fixed.job ?? secret("glcbt-"),
    readonlyDeploy: fixed.readonlyDeploy ?? secret("gldt-"),
    readonlyDeployUsername: fixed.readonlyDeployUsername ?? "gitlab+deploy-token-2",
    other: {
      personal: fixed.other?.personal ?? secret("glpat-"),
      deploy: fixed.other?.deploy ?? secret("gldt-"),
      deployUsername: fixed.other?.deployUsername ?? "gitlab+deploy-token-3",
      job: fixed.other?.job ?? secret("glcbt-"),
    },
  };
  const secrets = secretsOf(tokens);
  if (secrets.some((s) => s.length === 0)) throw new Error("reference registry: tokens must not be empty");
  if (new Set(secrets).size !== secrets.length) throw new Error("reference registry: every token must be different");
  const usernames = [tokens.deployUsername, tokens.readonlyDeployUsername, tokens.other.deployUsername];
  if (usernames.some((u) => u.length === 0 || u.includes(":"))) {
    throw new Error("reference registry: deploy-token usernames must be non-empty and hold no ':'");
  }
  return tokens;
}

export function identitiesOf(tokens: ReferenceTokens, demo: number, other: number): readonly Identity[] {
  const only = (project: number, access: Access) => new Map([[project, access]]);
  return [
    { kind: "personal", name: tokens.personalUsername, token: tokens.personal, access: only(demo, "maintain"), admin: true },
    { kind: "personal", name: DEVELOPER, token: tokens.developer, access: only(demo, "write"), admin: false },
    {
      kind: "deploy",
      name: tokens.deployUsername,
      token: tokens.deploy,
      username: tokens.deployUsername,
      access: only(demo, "write"),
      admin: false,
    },
    // A job token acts as the user who runs the job.
    { kind: "job", name: tokens.personalUsername, token: tokens.job, access: only(demo, "maintain"), admin: false },
    {
      kind: "readonly",
      name: tokens.readonlyDeployUsername,
      token: tokens.readonlyDeploy,
      username: tokens.readonlyDeployUsername,
      access: only(demo, "read"),
      admin: false,
    },
    { kind: "personal", name: "regkit-other", token: tokens.other.personal, access: only(other, "maintain"), admin: false },
    {
      kind: "deploy",
      name: tokens.other.deployUsername,
      token: tokens.other.deploy,
      username: tokens.other.deployUsername,
      access: only(other, "write"),
      admin: false,
    },
    { kind: "job", name: "regkit-other", token: tokens.other.job, access: only(other, "maintain"), admin: false },
  ];
}

/** What the credentials of a request came to. */
export type Authentication =
  | { readonly kind: "anonymous" }
  | { readonly kind: "identified"; readonly identity: Identity }
  /** A credential GitLab answers 401 to (a bad PRIVATE-TOKEN, JOB-TOKEN or Bearer, a bad `gitlab-ci-token` password). */
  | { readonly kind: "invalid" }
  /** Basic and an API key at once (GitLab's NuGet: 400 "Found more than one set of credentials"). */
  | { readonly kind: "ambiguous" };

/** How {@link authenticate} reads credentials. */
export interface AuthenticateOptions {
  /** `checked`: Basic usernames must name the deploy token or the personal token's owner (GitLab's NuGet). */
  readonly basicUsernames?: "ignored" | "checked" | "any" | undefined;
  /** Whether deploy tokens count at all (GitLab's REST API ignores them). Default true. */
  readonly deployTokens?: boolean | undefined;
  /** Reads a Bearer value the format issued itself (Conan's JWT) into the token it stands for; see ReferenceFormat.bearerToken. */
  readonly bearerToken?: ((value: string) => string | undefined) | undefined;
  /** Token kinds Basic auth may carry; default every kind (`readonly` counts with `deploy`). */
  readonly basicKinds?: readonly TokenKind[] | undefined;
}

/**
 * Reads the credentials a request presents in the ways `schemes` allow;
 * credentials in other forms are ignored, as GitLab ignores them. GitLab's
 * finders (`lib/gitlab/auth/auth_finders.rb`) answer 401 to a PRIVATE-TOKEN,
 * JOB-TOKEN, Bearer or `gitlab-ci-token` password nobody issued, but treat a
 * DEPLOY-TOKEN header or a Basic password nobody issued as no credential at
 * all; GITLAB_FACTS.invalidCredentials of @regkit/core.
 */
export function authenticate(
  headers: Readonly<Record<string, string | undefined>>,
  schemes: readonly AuthScheme[],
  identities: readonly Identity[],
  options: AuthenticateOptions = {},
): Authentication {
  const deployOk = options.deployTokens !== false;
  const isDeploy = (i: Identity): boolean => i.kind === "deploy" || i.kind === "readonly";
  const usable = deployOk ? identities : identities.filter((i) => !isDeploy(i));
  // undefined: something was presented that GitLab answers 401 to.
  const found: (Identity | undefined)[] = [];
  let basicSent = false;
  const allHeaders = schemes.includes("headers");
  const privateToken = allHeaders || schemes.includes("privateToken") ? headers["private-token"] : undefined;
  if (privateToken !== undefined) found.push(usable.find((i) => i.token === privateToken && i.kind === "personal"));
  const jobToken = allHeaders || schemes.includes("jobToken") ? headers["job-token"] : undefined;
  if (jobToken !== undefined) found.push(usable.find((i) => i.token === jobToken && i.kind === "job"));
  const deployToken = deployOk && (allHeaders || schemes.includes("deployToken")) ? headers["deploy-token"] : undefined;
  const deploy = deployToken === undefined ? undefined : usable.find((i) => i.token === deployToken && isDeploy(i));
  if (deploy) found.push(deploy);
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const space = authorization.indexOf(" ");
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? "" : authorization.slice(space + 1).trim();
    if (scheme === "bearer" && schemes.includes("bearer")) {
      // A format that issues its own Bearer tokens reads only those: one it cannot
      // read counts as no credential at all (GitLab's Conan: ConanToken.decode gives nil).
      const token = options.bearerToken ? options.bearerToken(value) : value;
      if (token !== undefined) found.push(usable.find((i) => i.token === token));
    } else if (scheme === "basic" && schemes.includes("basic")) {
      const kinds = options.basicKinds;
      const basicUsable = kinds ? usable.filter((i) => kinds.includes(i.kind) || (i.kind === "readonly" && kinds.includes("deploy"))) : usable;
      const outcome = basic(value, basicUsable, options.basicUsernames ?? "ignored");
      if (outcome !== "anonymous") {
        basicSent = true;
        found.push(outcome === "invalid" ? undefined : outcome);
      }
    }
  }
  const apiKey = headers["x-nuget-apikey"];
  if (apiKey !== undefined && schemes.includes("apiKey")) {
    // GitLab refuses two credentials before it looks either up.
    if (basicSent || presentsBasic(authorization)) return { kind: "ambiguous" };
    found.push(usable.find((i) => i.token === apiKey));
  }
  if (found.length === 0) return { kind: "anonymous" };
  const [first] = found;
  if (!first || found.some((identity) => identity === undefined)) return { kind: "invalid" };
  return { kind: "identified", identity: first };
}

/** Whether an Authorization header carries Basic credentials with both parts (what GitLab's token locator takes). */
function presentsBasic(authorization: string | undefined): boolean {
  const match = /^basic\s+(\S+)/i.exec(authorization ?? "");
  if (!match) return false;
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon > 0 && colon < decoded.length - 1;
}

function basic(value: string, identities: readonly Identity[], usernames: "ignored" | "checked" | "any"): Identity | "invalid" | "anonymous" {
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return "anonymous";
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (username === "" || password === "") return "anonymous";
  // `authenticate_with` with plain token types (GitLab's Helm): TokenResolver
  // reads the password alone, any kind under any username, and one it cannot
  // resolve is a 401 (lib/gitlab/api_authentication/token_resolver.rb, commit 41946e6).
  if (usernames === "any") return identities.find((i) => i.token === password) ?? "invalid";
  // A job token travels only as gitlab-ci-token; a wrong one there is refused outright.
  if (username === JOB_TOKEN_USERNAME) return identities.find((i) => i.kind === "job" && i.token === password) ?? "invalid";
  const identity = identities.find((i) => i.kind !== "job" && i.token === password);
  // Where usernames are checked (GitLab's NuGet, `authenticate_with`), a Basic credential that resolves to nobody is a 401.
  if (!identity) return usernames === "checked" ? "invalid" : "anonymous";
  if (usernames === "ignored") return identity;
  if (identity.kind === "deploy" || identity.kind === "readonly") return username === identity.username ? identity : "invalid";
  return username.toLowerCase() === identity.name.toLowerCase() ? identity : "invalid";
}

function secret(prefix: string): string {
  return prefix + randomBytes(15).toString("base64url");
}

/** Every secret the registry issued: what its own logs must never show. */
export function secretsOf(tokens: ReferenceTokens): string[] {
  return [
    tokens.personal,
    tokens.developer,
    tokens.deploy,
    tokens.job,
    tokens.readonlyDeploy,
    tokens.other.personal,
    tokens.other.deploy,
    tokens.other.job,
  ];
}
