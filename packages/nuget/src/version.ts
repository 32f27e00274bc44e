/** A NuGet version: up to four numeric parts, a prerelease label, build metadata. */
export interface NuGetVersion {
  readonly parts: readonly [number, number, number, number];
  readonly prerelease: readonly string[];
  readonly metadata: string;
}

const PATTERN = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

export function parseNuGetVersion(text: string): NuGetVersion | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m || text.trim().startsWith("v")) return undefined;
  const n = (s: string | undefined): number => (s === undefined ? 0 : Number(s));
  return { parts: [n(m[1]), n(m[2]), n(m[3]), n(m[4])], prerelease: m[5] ? m[5].split(".") : [], metadata: m[6] ?? "" };
}

/**
 * NuGet's normalized form: leading zeros dropped (1.01.1 -> 1.1.1), a zero
 * fourth part dropped (1.0.0.0 -> 1.0.0), build metadata dropped; the
 * prerelease label kept as written.
 */
export function normalizeNuGetVersion(text: string): string | undefined {
  const v = parseNuGetVersion(text);
  if (!v) return undefined;
  const [a, b, c, d] = v.parts;
  return `${a}.${b}.${c}${d ? `.${d}` : ""}${v.prerelease.length ? `-${v.prerelease.join(".")}` : ""}`;
}

function compareLabel(a: string, b: string): number {
  const an = /^\d+$/.test(a);
  const bn = /^\d+$/.test(b);
  if (an && bn) return Number(a) - Number(b);
  if (an) return -1;
  if (bn) return 1;
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** NuGet's SemVer 2.0 order (NuGet.Versioning's VersionComparer.Default; metadata ignored). */
export function compareNuGetVersions(left: string, right: string): number {
  const a = parseNuGetVersion(left);
  const b = parseNuGetVersion(right);
  if (!a || !b) return left.localeCompare(right);
  for (let i = 0; i < 4; i++) {
    const d = a.parts[i]! - b.parts[i]!;
    if (d !== 0) return Math.sign(d);
  }
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const d = compareLabel(a.prerelease[i]!, b.prerelease[i]!);
    if (d !== 0) return Math.sign(d);
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}
