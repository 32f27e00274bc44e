/**
 * fast-check arbitraries for Maven: artifactIds, versions in Maven's many
 * shapes (numbers, qualifiers, mixed `.`/`-`/no separators), and jar contents.
 *
 * @module
 */
import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";
import { canonicalMavenVersion } from "./version.js";

/** An artifactId GitLab and Maven accept: lowercase words joined by `-`, `.` or `_`. */
export function artifactIdArbitrary(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z][a-z0-9]{0,10}([-._][a-z0-9]{1,8}){0,2}$/);
}

/**
 * artifactIds a GitLab-shaped registry must refuse: a character outside
 * `[A-Za-z0-9._-]` somewhere. (`/` and `:` are left out: they change the path or
 * the name's own shape instead of making it invalid.)
 */
export function invalidArtifactIdArbitrary(): fc.Arbitrary<string> {
  const bad = fc.constantFrom(" ", "@", "!", "~", "#", "$", "&", "'", "(", ")", "*", ",", ";", "=", "[", "]", "^", "{", "}", "|", "<", ">", '"', "%");
  return fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), bad, fc.stringMatching(/^[a-z0-9]{0,6}$/))
    .map(([head, char, tail]) => `${head}${char}${tail}`);
}

/** Qualifiers Maven knows (and aliases, in both cases) plus unknown ones that sort after them. */
const QUALIFIERS = [
  "alpha", "beta", "milestone", "rc", "cr", "ga", "final", "release", "sp",
  "Alpha", "BETA", "RC", "CR", "GA", "Final", "RELEASE", "SP",
  "a", "b", "m",
  "dev", "preview", "jre", "android", "incubating", "foo",
] as const;

/**
 * Release versions: one to four numbers joined by `.` (sometimes `-`), then
 * maybe a qualifier after `-`, `.` or nothing, maybe followed by a number.
 * Never a SNAPSHOT (see {@link snapshotVersionArbitrary}).
 */
export function versionArbitrary(): fc.Arbitrary<string> {
  const number = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 20 }).map(String) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2_000_000_000 }).map(String) },
    { weight: 1, arbitrary: fc.constantFrom("0", "00", "01", "010", "12345678901", "123456789012345678901") },
  );
  const numbers = fc
    .tuple(number, fc.array(fc.tuple(fc.constantFrom(".", ".", ".", "-"), number), { maxLength: 3 }))
    .map(([head, rest]) => head + rest.map(([sep, n]) => sep + n).join(""));
  const qualifier = fc.tuple(
    fc.constantFrom("-", ".", ""),
    fc.constantFrom(...QUALIFIERS),
    fc.option(fc.tuple(fc.constantFrom("", "-", "."), fc.integer({ min: 0, max: 12 }).map(String)), { nil: undefined }),
  );
  return fc
    .tuple(numbers, fc.option(qualifier, { nil: undefined }))
    .map(([head, q]) => (q ? `${head}${q[0]}${q[1]}${q[2] ? q[2][0] + q[2][1] : ""}` : head));
}

/** A SNAPSHOT version: a release version with `-SNAPSHOT`. */
export function snapshotVersionArbitrary(): fc.Arbitrary<string> {
  return versionArbitrary().map((v) => `${v}-SNAPSHOT`);
}

/** Versions that are all different for Maven (`1.0` and `1.0.0` are the same version). */
export function distinctVersionsArbitrary(options: { minLength: number; maxLength: number }): fc.Arbitrary<string[]> {
  return fc.uniqueArray(versionArbitrary(), { ...options, selector: canonicalMavenVersion });
}

/** Extra files for a jar: a few small resources under lowercase folders. */
export function filesArbitrary(): fc.Arbitrary<Record<string, Uint8Array>> {
  const path = fc.stringMatching(/^[a-z][a-z0-9]{0,7}(\/[a-z0-9_-]{1,8}){0,2}\.(txt|properties|bin)$/);
  return fc.dictionary(path, fc.uint8Array({ maxLength: 512 }), { maxKeys: 4 });
}

export const mavenArbitraries: KitArbitraries = {
  name: artifactIdArbitrary,
  invalidName: invalidArtifactIdArbitrary,
  version: versionArbitrary,
  files: filesArbitrary,
};
