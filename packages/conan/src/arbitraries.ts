import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

/**
 * Names and versions both GitLab (`conan_recipe_component_regex`, 2 to 50
 * characters) and Conan 2 (lowercase names) take; invalid names GitLab's
 * regex refuses; payload files of the binary package.
 */
export const nameArbitrary = (): fc.Arbitrary<string> => fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/);
export const invalidNameArbitrary = (): fc.Arbitrary<string> => fc.constantFrom("a", "-x", ".hidden", "a b", `x${"y".repeat(50)}`);
export const versionArbitrary = (): fc.Arbitrary<string> => fc.tuple(fc.nat(20), fc.nat(20), fc.nat(20)).map(([a, b, c]) => `${a}.${b}.${c}`);

export const conanArbitraries: KitArbitraries = {
  name: nameArbitrary,
  invalidName: invalidNameArbitrary,
  version: versionArbitrary,
  files: () => fc.dictionary(fc.stringMatching(/^[a-z]{1,6}\.txt$/), fc.uint8Array({ maxLength: 64 }), { maxKeys: 3 }),
};
