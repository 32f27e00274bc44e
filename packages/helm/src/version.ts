/**
 * SemVer 2 as Helm reads chart versions (Masterminds/semver: an optional
 * leading `v`, build metadata ignored for precedence), and the order the kit
 * compares versions in.
 *
 * @module
 */

/** SemVer 2.0.0's own expression, with the optional leading `v` GitLab's `helm_version_regex` and Helm allow. */
export const SEMVER =
  /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface Parsed {
  readonly core: readonly [bigint, bigint, bigint];
  readonly pre: readonly string[];
}

function parse(version: string): Parsed | undefined {
  const m = SEMVER.exec(version);
  if (!m) return undefined;
  return { core: [BigInt(m[1]!), BigInt(m[2]!), BigInt(m[3]!)], pre: m[4] ? m[4].split(".") : [] };
}

function compareIdentifiers(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
  if (an) return -1;
  if (bn) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** SemVer precedence (build metadata ignored); NaN when either is not SemVer. */
export function semverPrecedence(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  if (!pa || !pb) return Number.NaN;
  for (let i = 0; i < 3; i++) {
    if (pa.core[i]! !== pb.core[i]!) return pa.core[i]! < pb.core[i]! ? -1 : 1;
  }
  if (pa.pre.length === 0 || pb.pre.length === 0) return pa.pre.length === pb.pre.length ? 0 : pa.pre.length === 0 ? 1 : -1;
  for (let i = 0; i < Math.min(pa.pre.length, pb.pre.length); i++) {
    const c = compareIdentifiers(pa.pre[i]!, pb.pre[i]!);
    if (c !== 0) return c;
  }
  return pa.pre.length - pb.pre.length;
}

/**
 * The kit's version order: SemVer precedence, then the text, so that two
 * distinct versions (`1.0.0+a`, `1.0.0+b`: distinct charts on a registry)
 * never compare equal; non-SemVer text sorts by code point.
 */
export function compareHelmVersions(a: string, b: string): number {
  if (a === b) return 0;
  const p = semverPrecedence(a, b);
  if (Number.isFinite(p) && p !== 0) return p < 0 ? -1 : 1;
  return a < b ? -1 : 1;
}
