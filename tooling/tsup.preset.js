// Shared tsup settings: ESM + .d.ts for Node 22, one entry list per package.
import { defineConfig } from "tsup";

/** @param {string[]} entry @param {import("tsup").Options} [extra] */
export function preset(entry, extra = {}) {
  return defineConfig({
    entry,
    format: ["esm"],
    target: "node22",
    platform: "node",
    dts: true,
    sourcemap: true,
    clean: true,
    splitting: true,
    treeshake: true,
    ...extra,
  });
}
