/**
 * fast-check arbitraries of charts: names GitLab and Helm both take, names
 * they refuse, SemVer 2 versions (pre-releases and build metadata), app
 * versions and dependencies for Chart.yaml.
 *
 * @module
 */
import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";
import type { ChartDependency } from "./chart.js";
import type { ChartExtras } from "./package.js";

const numeric = fc.oneof(fc.constant(0), fc.nat(20), fc.integer({ min: 21, max: 100_000 }));
/** A pre-release identifier: numeric without a leading zero, or alphanumeric with a letter or hyphen. */
const identifier = fc.oneof(fc.nat(99).map(String), fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), fc.constantFrom("alpha", "beta", "rc"));
const build = fc.stringMatching(/^[a-zA-Z0-9]{1,6}$/);

/** SemVer 2 versions: core, an optional pre-release, rarely build metadata. */
export function semverArbitrary(): fc.Arbitrary<string> {
  return fc
    .tuple(numeric, numeric, numeric, fc.option(fc.array(identifier, { minLength: 1, maxLength: 3 }), { freq: 3 }), fc.option(build, { freq: 8 }))
    .map(([a, b, c, pre, meta]) => `${a}.${b}.${c}${pre ? `-${pre.join(".")}` : ""}${meta ? `+${meta}` : ""}`);
}

/** Chart base names: lowercase letters and digits, single hyphens inside (Helm's convention, inside GitLab's rule). */
export function chartNameArbitrary(): fc.Arbitrary<string> {
  return fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { minLength: 1, maxLength: 3 }).map((parts) => `c${parts.join("-")}`);
}

/** App versions as charts carry them: SemVer, `v`-prefixed, a commit, a word. */
export function appVersionArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(semverArbitrary(), semverArbitrary().map((v) => `v${v}`), fc.stringMatching(/^[0-9a-f]{8}$/), fc.constantFrom("latest", "master", "1.16"));
}

/** Dependencies a Chart.yaml may list (not resolved: helm lint does not fetch them). */
export function dependenciesArbitrary(): fc.Arbitrary<ChartDependency[]> {
  return fc.uniqueArray(
    fc.record({ name: chartNameArbitrary(), version: fc.oneof(semverArbitrary(), fc.constantFrom("^1.0.0", "~2.1", ">=1.0.0 <2.0.0")), repository: fc.constantFrom("https://charts.example.com", "oci://registry.example.com/charts", "file://../common") }),
    { maxLength: 2, selector: (d) => d.name },
  );
}

/** What a chart may carry beyond its name and version. */
export function chartExtrasArbitrary(): fc.Arbitrary<ChartExtras> {
  return fc.record({
    appVersion: fc.option(appVersionArbitrary(), { nil: undefined }),
    keywords: fc.option(fc.uniqueArray(fc.stringMatching(/^[a-z]{2,8}$/), { maxLength: 3 }), { nil: undefined }),
    dependencies: fc.option(dependenciesArbitrary(), { nil: undefined }),
    type: fc.constantFrom<"application" | "library">("application", "application", "library"),
  });
}

export const helmArbitraries: KitArbitraries = {
  name: chartNameArbitrary,
  // Names outside GitLab's helm_package_regex: a double separator, a trailing one, a character outside it.
  invalidName: () => fc.constantFrom("bad--name", "bad-", "bad..x", "bad name", "bad/x", "-bad"),
  version: semverArbitrary,
  files: () => fc.dictionary(fc.stringMatching(/^[a-z]{1,6}\.txt$/), fc.uint8Array({ maxLength: 64 }), { maxKeys: 3 }),
};
