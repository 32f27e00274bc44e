import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

const lower = "abcdefghijklmnopqrstuvwxyz";
const tail = `${lower}0123456789-`;

/** Short valid base names (the run-id prefix is added by packageName). */
export const npmName = (): fc.Arbitrary<string> =>
  fc
    .tuple(fc.constantFrom(...lower), fc.string({ unit: fc.constantFrom(...tail), maxLength: 12 }))
    .map(([a, b]) => `${a}${b}`.replace(/-+$/, "") || a);

/** Names the registry must refuse for a new package. */
export const invalidNpmName = (): fc.Arbitrary<string> =>
  fc.oneof(
    npmName().map((n) => `${n.slice(0, 1).toUpperCase()}${n.slice(1)}X`),
    npmName().map((n) => `.${n}`),
    npmName().map((n) => `_${n}`),
    npmName().map((n) => ` ${n}`),
    fc.tuple(npmName(), fc.constantFrom("~", "'", "!", "(", ")", "*")).map(([n, c]) => `${n}${c}`),
    fc.tuple(npmName(), fc.constantFrom(" ", "%", "^", "<", ">", "?", "#")).map(([n, c]) => `${n}${c}x`),
    fc.constant("node_modules"),
    fc.constant("favicon.ico"),
    fc.constant(`a${"b".repeat(214)}`),
  );

const numeric = fc.nat({ max: 40 });
const identifier = fc.oneof(
  fc.constantFrom("alpha", "beta", "rc", "next", "canary", "pre"),
  fc.nat({ max: 20 }).map(String),
);

/** SemVer 2 versions npm accepts, with prereleases; no build metadata (npm drops it). */
export const npmVersion = (): fc.Arbitrary<string> =>
  fc
    .tuple(numeric, numeric, numeric, fc.option(fc.array(identifier, { minLength: 1, maxLength: 2 }), { nil: undefined }))
    .map(([a, b, c, pre]) => `${a}.${b}.${c}${pre ? `-${pre.join(".")}` : ""}`);

const fileName = fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}\.(js|json|md|txt)$/);

/** Small file trees for tarballs (package.json and README are added by the builder). */
export const npmFiles = (): fc.Arbitrary<Record<string, Uint8Array>> =>
  fc.dictionary(
    fc.oneof(fileName, fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), fileName).map(([d, f]) => `${d}/${f}`)),
    fc.oneof(fc.uint8Array({ maxLength: 2048 }), fc.string({ maxLength: 500 }).map((s) => new TextEncoder().encode(s))),
    { maxKeys: 5 },
  ).map((files) => {
    delete files["package.json"];
    return files;
  });

export const npmArbitraries: KitArbitraries = {
  name: npmName,
  invalidName: invalidNpmName,
  version: npmVersion,
  files: npmFiles,
};
