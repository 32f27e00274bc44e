/**
 * The registry token flow (the distribution project's token authentication
 * specification, which GitLab's container registry follows): a `401` with
 * `WWW-Authenticate: Bearer realm="...",service="...",scope="..."`, then a GET
 * of the realm with `service` and `scope` and the client's Basic credentials,
 * which answers `{"token": ...}` (or `access_token`); the token then goes as
 * `Authorization: Bearer` to the registry.
 *
 * @module
 */

/** One parsed `WWW-Authenticate` challenge. */
export interface Challenge {
  /** `basic` or `bearer`, lower case. */
  readonly scheme: string;
  readonly params: Readonly<Record<string, string>>;
}

/**
 * The challenges of a `WWW-Authenticate` header (RFC 7235): a scheme then
 * `key=value` or `key="quoted, value"` pairs; several challenges may share the
 * header, separated by commas before a new scheme.
 */
export function parseChallenges(header: string | undefined): Challenge[] {
  if (!header) return [];
  const out: { scheme: string; params: Record<string, string> }[] = [];
  let i = 0;
  const skip = (): void => {
    while (i < header.length && /[\s,]/.test(header[i]!)) i++;
  };
  const token = (): string => {
    const at = i;
    while (i < header.length && /[^\s,="]/.test(header[i]!)) i++;
    return header.slice(at, i);
  };
  while (i < header.length) {
    skip();
    const word = token();
    if (!word) {
      i++;
      continue;
    }
    let j = i;
    while (j < header.length && header[j] === " ") j++;
    if (header[j] !== "=") {
      // A word not followed by `=` starts a new challenge.
      out.push({ scheme: word.toLowerCase(), params: {} });
      continue;
    }
    i = j + 1;
    while (i < header.length && header[i] === " ") i++;
    let value = "";
    if (header[i] === '"') {
      i++;
      while (i < header.length && header[i] !== '"') {
        if (header[i] === "\\" && i + 1 < header.length) i++;
        value += header[i];
        i++;
      }
      i++;
    } else {
      value = token();
    }
    const current = out.at(-1);
    if (current) current.params[word.toLowerCase()] = value;
  }
  return out;
}

/** The Bearer challenge of a header, if any. */
export function bearerChallenge(header: string | undefined): Challenge | undefined {
  return parseChallenges(header).find((c) => c.scheme === "bearer" && c.params.realm);
}

/** `repository:<name>:<actions>` (distribution's scope grammar; GitLab's `Auth::ContainerRegistryAuthenticationService` reads it). */
export function repositoryScope(repository: string, actions: readonly string[]): string {
  return `repository:${repository}:${actions.join(",")}`;
}

/** One parsed scope: `repository:group/project/image:pull,push`. */
export interface Scope {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** Parses `type:name:actions`: repository names hold no colon, so the first and last colons split it. */
export function parseScope(scope: string): Scope | undefined {
  const first = scope.indexOf(":");
  const last = scope.lastIndexOf(":");
  if (first < 0 || last <= first) return undefined;
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(",").filter(Boolean) };
}

/** The `access` claim of a JWT registry token, when the token is a JWT (GitLab's and distribution's are). */
export function tokenAccess(token: string): { type: string; name: string; actions: string[] }[] | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8")) as { access?: unknown };
    if (!Array.isArray(payload.access)) return undefined;
    return payload.access.filter(
      (a: unknown): a is { type: string; name: string; actions: string[] } =>
        !!a && typeof a === "object" && typeof (a as { type?: unknown }).type === "string" && typeof (a as { name?: unknown }).name === "string" && Array.isArray((a as { actions?: unknown }).actions),
    );
  } catch {
    return undefined;
  }
}
