import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const root = fileURLToPath(new URL("..", import.meta.url));

/**
 * Files that take minutes (the cross-kit secrets search, the whole catalog
 * through the real clients, third-party registries): started first, so that
 * a fresh clone (no timings cached, where vitest goes by file size and these
 * small files would come last) does not end on one of them running alone.
 */
const LONG = [
  /\/cli\/test\/secrets\.\d+\.test\.ts$/,
  /\/conformance\.reference\.test\.ts$/,
  /\/conformance\.(httpd|nginx|devpi|pypiserver|verdaccio|conan-server|static|v1|instance)\.test\.ts$/,
  /\/(maven|npm|pypi)\/test\/(drivers|drivers\.central|clients\.verdaccio)\.test\.ts$/,
];

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification): number => {
      const at = LONG.findIndex((pattern) => pattern.test(file.moduleId));
      return at < 0 ? LONG.length : at;
    };
    return sorted.map((file, at) => ({ file, at })).sort((a, b) => rank(a.file) - rank(b.file) || a.at - b.at).map(({ file }) => file);
  }
}

export default defineConfig({
  test: {
    root,
    include: ["packages/*/test/**/*.test.ts", "packages/*/src/**/*.test.ts", "apps/*/test/**/*.test.ts"],
    setupFiles: [fileURLToPath(new URL("./vitest.setup.ts", import.meta.url))],
    globalSetup: [fileURLToPath(new URL("./vitest.global-setup.ts", import.meta.url))],
    pool: "forks",
    // Most test time is spent waiting on real clients and servers (a JVM
    // starting, a registry answering), not in the test process, so two files
    // at a time even on 2 cores (vitest's default there is one).
    // REGKIT_TEST_WORKERS overrides.
    maxWorkers: Number(process.env.REGKIT_TEST_WORKERS) || Math.max(2, availableParallelism() - 1),
    sequence: { sequencer: LongFirst },
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: process.env.CI ? ["default", "junit"] : ["default"],
    outputFile: { junit: "regkit-report/vitest-junit.xml" },
  },
});
