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
    // Source maps map stack traces back to src/ lines, but without the
    // sources embedded in them: those made up about two thirds of each
    // published package, and the sources are in the repository.
    sourcemap: true,
    esbuildOptions(options) {
      options.sourcesContent = false;
    },
    clean: true,
    splitting: true,
    treeshake: true,
    ...extra,
  });
}
