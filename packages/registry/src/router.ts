/**
 * Path handling: the traversal guard that runs before any routing, and the
 * matcher for route templates (`/:name/-/:file`, `/*path`).
 *
 * Paths are never handed to the URL parser: it would resolve `..` and `%2e%2e`
 * and turn backslashes into slashes, hiding exactly what the guard must see.
 */

/**
 * How many times a segment is decoded to look for traversal: a segment still
 * percent-encoded after that many rounds (`%2525...2e`) is refused outright, as
 * no client encodes a path that often.
 */
const DECODE_ROUNDS = 8;

/** Why a raw request path is refused, or undefined when it is acceptable. */
export function pathProblem(rawPath: string): string | undefined {
  if (!rawPath.startsWith("/")) return "the path must start with /";
  if (rawPath.includes("\\") || rawPath.includes("\0")) return "backslashes and NUL are not allowed in paths";
  for (const segment of rawPath.split("/")) {
    // A segment without `%` decodes to itself, and it holds no `/`, backslash
    // or NUL (refused above): only `.` and `..` can be wrong with it. Most
    // segments of most requests are like this, so they skip the decoding loop.
    if (!segment.includes("%")) {
      if (segment === "." || segment === "..") return "path traversal is not allowed";
      continue;
    }
    if (safeDecode(segment) === undefined) return "malformed percent-encoding in path";
    // Decoding until nothing changes catches %2e%2e, %252e%252e and %25252e%25252e alike.
    let decoded: string | undefined = segment;
    for (let round = 0; decoded !== undefined; round++) {
      if (/[\\\0]/.test(decoded)) return "backslashes and NUL are not allowed in paths";
      if (decoded.split("/").some((part) => part === ".." || part === ".")) return "path traversal is not allowed";
      const next: string | undefined = decoded.includes("%") ? safeDecode(decoded) : undefined;
      if (next === decoded) break;
      if (next !== undefined && round === DECODE_ROUNDS) return "the path is percent-encoded too many times";
      decoded = next;
    }
  }
  return undefined;
}

/** Splits a path that passed {@link pathProblem} into its raw (still encoded) segments. */
export function rawSegments(rawPath: string): string[] {
  return rawPath.slice(1).split("/");
}

type Part =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "param"; readonly name: string }
  | { readonly kind: "rest"; readonly name: string };

/** A compiled route template. */
export interface Template {
  readonly source: string;
  readonly parts: readonly Part[];
  /** Whether a part is `*rest`: without one, a path matches only with exactly as many segments as parts. */
  readonly hasRest: boolean;
}

/**
 * Compiles `/a/:b/*c`. `""` and `"/"` both mean the endpoint itself. A trailing
 * slash is significant (`/simple/` differs from `/simple`), but see {@link matchPath}.
 */
export function compileTemplate(source: string): Template {
  if (source !== "" && !source.startsWith("/")) throw new Error(`route path "${source}" must start with /`);
  const body = source === "" || source === "/" ? [] : source.slice(1).split("/");
  const names = new Set<string>();
  const parts = body.map((segment): Part => {
    const kind = segment.startsWith(":") ? "param" : segment.startsWith("*") ? "rest" : "literal";
    if (kind === "literal") return { kind, value: segment };
    const name = segment.slice(1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`route path "${source}": bad parameter "${segment}"`);
    if (names.has(name)) throw new Error(`route path "${source}": parameter "${name}" appears twice`);
    names.add(name);
    return { kind, name };
  });
  return { source, parts, hasRest: parts.some((part) => part.kind === "rest") };
}

/**
 * Matches raw segments against a template; params come back percent-decoded
 * (`@scope%2fname` -> `@scope/name`), a `*rest` as its decoded segments joined
 * by `/` (at least one segment). A path with a trailing slash that matches
 * nothing is tried again without it.
 */
export function matchPath(template: Template, segments: readonly string[]): Record<string, string> | undefined {
  return matchDecoded(template, decodeSegments(segments));
}

/**
 * Raw segments percent-decoded as {@link matchDecoded} takes them: once per
 * request, however many templates it is then tried against. A segment that
 * does not decode is kept as it is.
 */
export function decodeSegments(segments: readonly string[]): string[] {
  return segments.map((s) => (s.includes("%") ? (safeDecode(s) ?? s) : s));
}

/** {@link matchPath} for segments already decoded with {@link decodeSegments}. */
export function matchDecoded(template: Template, decoded: readonly string[]): Record<string, string> | undefined {
  const exact = matchFrom(template, decoded, decoded.length);
  if (exact || decoded.length === 0 || decoded.at(-1) !== "") return exact;
  return matchFrom(template, decoded, decoded.length - 1);
}

/** Matches the first `length` segments (all of them, or all but a trailing empty one). */
function matchFrom(template: Template, segments: readonly string[], length: number): Record<string, string> | undefined {
  if (template.hasRest) return matchRest(template.parts, 0, segments.slice(0, length), 0);
  const { parts } = template;
  if (parts.length !== length) return undefined;
  for (let i = 0; i < length; i++) {
    const part = parts[i]!;
    const segment = segments[i]!;
    if (part.kind === "literal" ? part.value !== segment : segment === "") return undefined;
  }
  // Keys in the order the backtracking matcher gives them (last part first), so
  // a route sees the same params object whichever matcher read its path.
  const params: Record<string, string> = {};
  for (let i = length - 1; i >= 0; i--) {
    const part = parts[i]!;
    if (part.kind === "param") params[part.name] = segments[i]!;
  }
  return params;
}

function matchRest(
  parts: readonly Part[],
  p: number,
  segments: readonly string[],
  s: number,
): Record<string, string> | undefined {
  if (p === parts.length) return s === segments.length ? {} : undefined;
  const part = parts[p];
  if (!part) return undefined;
  if (part.kind === "rest") {
    // Greedy, then backtracking: `/*path/:file` gives the last segment to :file.
    for (let end = segments.length; end > s; end--) {
      const tail = matchRest(parts, p + 1, segments, end);
      if (tail) return { ...tail, [part.name]: segments.slice(s, end).join("/") };
    }
    return undefined;
  }
  const segment = segments[s];
  if (segment === undefined) return undefined;
  if (part.kind === "literal" && part.value !== segment) return undefined;
  if (part.kind === "param" && segment === "") return undefined;
  const tail = matchRest(parts, p + 1, segments, s + 1);
  if (!tail) return undefined;
  return part.kind === "param" ? { ...tail, [part.name]: segment } : tail;
}

export function safeDecode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
