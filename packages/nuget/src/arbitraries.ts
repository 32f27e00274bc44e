import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

/** One dotted part of an id: mixed case on purpose, since ids are case-insensitive. */
const segment = fc.stringMatching(/^[A-Z][a-zA-Z0-9]{0,7}$/);

/** The NuGet kit's generators: dotted ids, SemVer versions with optional prerelease labels, small content files. */
export const nugetArbitraries: KitArbitraries = {
  name: () => fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join(".")),
  invalidName: () => fc.oneof(fc.constant(".Leading"), fc.constant("has space"), fc.constant("bad/slash")),
  version: () =>
    fc.tuple(fc.nat(30), fc.nat(30), fc.nat(30), fc.option(fc.constantFrom("alpha", "beta.1", "rc.2"), { nil: undefined })).map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre}` : ""}`),
  files: () => fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9]{0,8}\.txt$/), fc.uint8Array({ maxLength: 1024 }), { maxKeys: 3 }),
};
