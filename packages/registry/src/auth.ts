import { randomBytes } from "node:crypto";
import type { AuthScheme, TokenKind } from "@regkit/core";

/** The credentials the reference registry issues (fixed through options, else random per start). */
export interface ReferenceTokens {
  /** Personal access token of `regkit-user`: Developer on `regkit/demo`, instance admin. */
  readonly personal: string;
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
export type ReferenceTokensOption = Partial<Omit<ReferenceTokens, "other">> & {
  readonly other?: Partial<ReferenceTokens["other"]> | undefined;
};

/** Someone the registry knows, with their access per project id. */
export interface Identity {
  readonly kind: TokenKind;
  readonly name: string;
  readonly token: string;
  /** Deploy tokens: the username Basic auth must carry. */
  readonly username?: string | undefined;
  readonly access: ReadonlyMap<number, "read" | "write">;
  /** May change instance limits and group package settings. */
  readonly admin: boolean;
}

/** GitLab's username for job tokens in Basic auth. */
export const JOB_TOKEN_USERNAME = "gitlab-ci-token";

export function issueTokens(fixed: ReferenceTokensOption = {}): ReferenceTokens {
  const tokens: ReferenceTokens = {
    personal: fixed.personal ?? secret("glpat-"),
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
  const only = (project: number, access: "read" | "write") => new Map([[project, access]]);
  return [
    { kind: "personal", name: "regkit-user", token: tokens.personal, access: only(demo, "write"), admin: true },
    {
      kind: "deploy",
      name: tokens.deployUsername,
      token: tokens.deploy,
      username: tokens.deployUsername,
      access: only(demo, "write"),
      admin: false,
    },
    { kind: "job", name: "regkit-user", token: tokens.job, access: only(demo, "write"), admin: false },
    {
      kind: "readonly",
      name: tokens.readonlyDeployUsername,
      token: tokens.readonlyDeploy,
      username: tokens.readonlyDeployUsername,
      access: only(demo, "read"),
      admin: false,
    },
    { kind: "personal", name: "regkit-other", token: tokens.other.personal, access: only(other, "write"), admin: false },
    {
      kind: "deploy",
      name: tokens.other.deployUsername,
      token: tokens.other.deploy,
      username: tokens.other.deployUsername,
      access: only(other, "write"),
      admin: false,
    },
    { kind: "job", name: "regkit-other", token: tokens.other.job, access: only(other, "write"), admin: false },
  ];
}

/** What the credentials of a request came to. */
export type Authentication =
  | { readonly kind: "anonymous" }
  | { readonly kind: "identified"; readonly identity: Identity }
  /** Something was presented and matched nobody (or broke the Basic username rules). */
  | { readonly kind: "invalid" };

/**
 * Reads the credentials a request presents in the ways `schemes` allow;
 * credentials in other forms are ignored, as GitLab ignores them. Any presented
 * credential that matches nobody makes the whole request unauthenticated.
 */
export function authenticate(
  headers: Readonly<Record<string, string | undefined>>,
  schemes: readonly AuthScheme[],
  identities: readonly Identity[],
): Authentication {
  const found: (Identity | undefined)[] = [];
  if (schemes.includes("headers")) {
    const byHeader = [
      ["private-token", (i: Identity) => i.kind === "personal"],
      ["deploy-token", (i: Identity) => i.kind === "deploy" || i.kind === "readonly"],
      ["job-token", (i: Identity) => i.kind === "job"],
    ] as const;
    for (const [header, fits] of byHeader) {
      const token = headers[header];
      if (token !== undefined) found.push(identities.find((i) => i.token === token && fits(i)));
    }
  }
  const authorization = headers.authorization;
  if (authorization !== undefined) {
    const space = authorization.indexOf(" ");
    const scheme = (space < 0 ? authorization : authorization.slice(0, space)).toLowerCase();
    const value = space < 0 ? "" : authorization.slice(space + 1).trim();
    if (scheme === "bearer" && schemes.includes("bearer")) {
      found.push(identities.find((i) => i.token === value));
    } else if (scheme === "basic" && schemes.includes("basic")) {
      found.push(basic(value, identities));
    }
  }
  if (found.length === 0) return { kind: "anonymous" };
  const [first] = found;
  if (!first || found.some((identity) => identity === undefined)) return { kind: "invalid" };
  return { kind: "identified", identity: first };
}

function basic(value: string, identities: readonly Identity[]): Identity | undefined {
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  const identity = identities.find((i) => i.token === password);
  if (!identity) return undefined;
  switch (identity.kind) {
    case "deploy":
    case "readonly":
      return username === identity.username ? identity : undefined;
    case "job":
      return username === JOB_TOKEN_USERNAME ? identity : undefined;
    default:
      // GitLab ignores the username of a personal token, but there must be one.
      return username.length > 0 ? identity : undefined;
  }
}

function secret(prefix: string): string {
  return prefix + randomBytes(15).toString("base64url");
}

/** Every secret the registry issued: what its own logs must never show. */
export function secretsOf(tokens: ReferenceTokens): string[] {
  return [
    tokens.personal,
    tokens.deploy,
    tokens.job,
    tokens.readonlyDeploy,
    tokens.other.personal,
    tokens.other.deploy,
    tokens.other.job,
  ];
}
