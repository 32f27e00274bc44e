import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

/** Names, invalid names, versions and file trees of the format (replace with the format's own rules). */
export const conanArbitraries: KitArbitraries = {
  name: () => fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/),
  invalidName: () => fc.constant("../x"),
  version: () => fc.tuple(fc.nat(9), fc.nat(9), fc.nat(9)).map(([a, b, c]) => `${a}.${b}.${c}`),
  files: () => fc.dictionary(fc.stringMatching(/^[a-z]{1,6}$/), fc.uint8Array({ maxLength: 64 }), { maxKeys: 3 }),
};
