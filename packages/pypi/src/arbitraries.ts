import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";

const alnum = "abcdefghijklmnopqrstuvwxyz0123456789";

/** Valid base names mixing case and separators (normalization has work to do). */
export const pypiName = (): fc.Arbitrary<string> =>
  fc
    .array(fc.string({ unit: fc.constantFrom(...alnum), minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 3 })
    .chain((words) => fc.array(fc.constantFrom("-", "_", "."), { minLength: words.length - 1, maxLength: words.length - 1 }).map((seps) => words.map((w, i) => `${w}${seps[i] ?? ""}`).join("")));

/** Names PEP 508 refuses. */
export const invalidPypiName = (): fc.Arbitrary<string> =>
  fc.oneof(pypiName().map((n) => `-${n}`), pypiName().map((n) => `${n}_`), pypiName().map((n) => `${n} x`), pypiName().map((n) => `${n}!`), fc.constant(""));

const n = fc.nat({ max: 30 });

/** PEP 440 public versions: epochs, pre, post and dev releases (no local versions: indexes refuse them on upload). */
export const pep440Version = (): fc.Arbitrary<string> =>
  fc
    .record({
      epoch: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      release: fc.array(n, { minLength: 1, maxLength: 4 }),
      pre: fc.option(fc.tuple(fc.constantFrom("a", "b", "rc"), n), { nil: undefined }),
      post: fc.option(n, { nil: undefined }),
      dev: fc.option(n, { nil: undefined }),
    })
    .map(({ epoch, release, pre, post, dev }) => `${epoch ? `${epoch}!` : ""}${release.join(".")}${pre ? `${pre[0]}${pre[1]}` : ""}${post !== undefined ? `.post${post}` : ""}${dev !== undefined ? `.dev${dev}` : ""}`);

export const pypiFiles = (): fc.Arbitrary<Record<string, Uint8Array>> =>
  fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,10}\.(txt|json|cfg)$/), fc.uint8Array({ maxLength: 2048 }), { maxKeys: 4 });

export const pypiArbitraries: KitArbitraries = { name: pypiName, invalidName: invalidPypiName, version: pep440Version, files: pypiFiles };
