import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const root = fileURLToPath(new URL("..", import.meta.url));

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
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: process.env.CI ? ["default", "junit"] : ["default"],
    outputFile: { junit: "regkit-report/vitest-junit.xml" },
  },
});
