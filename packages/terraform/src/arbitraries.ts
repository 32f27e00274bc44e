/**
 * fast-check arbitraries for Terraform modules, from GitLab's rules
 * (`terraformGitLabFacts.nameRule`, `versionRule`): base names the kit turns
 * into `regkit-<run>-<base>/local`, names GitLab refuses, SemVer 2.0.0
 * versions in their shapes (pre-releases, build metadata), and file trees.
 *
 * @module
 */
import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

/** Base module names: lowercase letters, digits and `-` (what GitLab and Terraform's address syntax both take). */
export function nameArbitrary(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,4}){0,2}$/);
}

/** Module names GitLab must refuse (`[-a-z0-9]+` only): an uppercase letter, `_` or `.`. */
export function invalidNameArbitrary(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/), fc.constantFrom("A", "Z", "_", ".", "+"), fc.stringMatching(/^[a-z0-9]{0,5}$/))
    .map(([head, char, tail]) => `${head}${char}${tail}`);
}

const numeric = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 }));

/** SemVer 2.0.0 versions: releases, pre-releases (`-rc.1`, `-alpha`), build metadata (`+build.5`). */
export function versionArbitrary(): fc.Arbitrary<string> {
  const core = fc.tuple(numeric, numeric, numeric).map(([a, b, c]) => `${a}.${b}.${c}`);
  const pre = fc.oneof(fc.stringMatching(/^[a-z]{1,6}$/), fc.tuple(fc.stringMatching(/^[a-z]{1,5}$/), fc.integer({ min: 1, max: 9 })).map(([w, n]) => `${w}.${n}`));
  const build = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  return fc.oneof(
    { weight: 4, arbitrary: core },
    { weight: 2, arbitrary: fc.tuple(core, pre).map(([c, p]) => `${c}-${p}`) },
    { weight: 1, arbitrary: fc.tuple(core, build).map(([c, b]) => `${c}+${b}`) },
  );
}

/** Versions GitLab must refuse: not SemVer (`v1.2.3`, `1.2`, `01.2.3`, `1.2.3.4`). */
export function invalidVersionArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    fc.tuple(numeric, numeric, numeric).map(([a, b, c]) => `v${a}.${b}.${c}`),
    fc.tuple(numeric, numeric).map(([a, b]) => `${a}.${b}`),
    fc.tuple(fc.integer({ min: 1, max: 9 }), numeric, numeric).map(([a, b, c]) => `0${a}.${b}.${c}`),
    fc.tuple(numeric, numeric, numeric, numeric).map(([a, b, c, d]) => `${a}.${b}.${c}.${d}`),
  );
}

export const terraformArbitraries: KitArbitraries = {
  name: nameArbitrary,
  invalidName: invalidNameArbitrary,
  version: versionArbitrary,
  // Extra files of the module (under files/ in the archive).
  files: () => fc.dictionary(fc.stringMatching(/^[a-z]{1,6}\.txt$/), fc.uint8Array({ maxLength: 64 }), { maxKeys: 3 }),
};
