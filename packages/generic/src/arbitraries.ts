/**
 * fast-check arbitraries for Generic packages, from GitLab's rules
 * (`genericGitLabFacts.nameRule`, `versionRule`, `fileNameRule`): valid names,
 * versions and file names in their many shapes, and their invalid
 * counterparts, each one character or one rule away from valid.
 *
 * @module
 */
import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

/** Characters outside every Generic rule. `/`, `\`, `?`, `#` and `%` are left out: they change the URL's shape instead of the name. */
const FORBIDDEN = [" ", "@", "!", "$", "&", "'", "(", ")", "*", ",", ";", "=", "[", "]", "^", "{", "}", "|", "<", ">", '"', ":", "é", "ü"] as const;

/** Base names GitLab accepts (`[A-Za-z0-9._+-]+`); the kit prefixes the run id. */
export function nameArbitrary(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z0-9][A-Za-z0-9_+-]{0,6}(\.[A-Za-z0-9_+-]{1,6}){0,2}$/);
}

/** Names GitLab must refuse: a character outside `[A-Za-z0-9._+-]`, `~` included (allowed in file names only). */
export function invalidNameArbitrary(): fc.Arbitrary<string> {
  return fc
    .tuple(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), fc.constantFrom(...FORBIDDEN, "~"), fc.stringMatching(/^[a-z0-9]{0,6}$/))
    .map(([head, char, tail]) => `${head}${char}${tail}`);
}

/**
 * Versions GitLab accepts (`\A(?!.*\.\.)[\w+.-]+\z`): semantic versions,
 * `v`-prefixed builds, words joined by dots (`1.2.bananas`), timestamps and
 * 40-hex commit ids, as GitLab's request spec lists them.
 */
export function versionArbitrary(): fc.Arbitrary<string> {
  const n = fc.nat(40);
  return fc.oneof(
    fc.tuple(n, n, n).map(([a, b, c]) => `${a}.${b}.${c}`),
    fc.tuple(n, n, fc.stringMatching(/^[a-z]{1,8}$/)).map(([a, b, word]) => `${a}.${b}.${word}`),
    fc.tuple(n, n, n, fc.stringMatching(/^[a-z]{1,6}$/)).map(([a, b, c, build]) => `v${a}.${b}.${c}-${build}`),
    fc.tuple(n, n, fc.integer({ min: 10_000_000, max: 99_999_999 })).map(([a, b, stamp]) => `${a}.${b}.350-${stamp}123456`),
    fc.stringMatching(/^[0-9a-f]{40}$/),
    fc.stringMatching(/^[A-Za-z0-9_+-]{1,6}(\.[A-Za-z0-9_+-]{1,6}){0,3}$/),
  );
}

/** Versions GitLab must refuse: `..` somewhere, or a character outside `[\w+.-]`. */
export function invalidVersionArbitrary(): fc.Arbitrary<string> {
  const word = fc.stringMatching(/^[0-9a-z]{1,4}$/);
  return fc.oneof(
    fc.tuple(word, word).map(([a, b]) => `${a}..${b}`),
    word.map((a) => `..${a}`),
    fc.tuple(word, fc.constantFrom(...FORBIDDEN, "~"), word).map(([a, char, b]) => `${a}${char}${b}`),
  );
}

/** File names GitLab accepts: the name characters plus `~` inside (never first or last). */
export function fileNameArbitrary(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-z0-9][A-Za-z0-9._+~-]{0,10}[a-z0-9]$/).filter((f) => !f.includes(".."));
}

/** File names GitLab must refuse: `~` first or last, `@` or another character outside the rule. */
export function invalidFileNameArbitrary(): fc.Arbitrary<string> {
  const word = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  return fc.oneof(
    word.map((w) => `~${w}.bin`),
    word.map((w) => `${w}.bin~`),
    fc.tuple(word, fc.constantFrom(...FORBIDDEN), word).map(([a, char, b]) => `${a}${char}${b}.bin`),
  );
}

export const genericArbitraries: KitArbitraries = {
  name: nameArbitrary,
  invalidName: invalidNameArbitrary,
  version: versionArbitrary,
  // Each entry becomes one more file of the version (a Generic version holds any number of files).
  files: () => fc.dictionary(fileNameArbitrary(), fc.uint8Array({ maxLength: 64 }), { maxKeys: 3 }),
};
