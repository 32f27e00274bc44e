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
    testTimeout: 120_000,
    hookTimeout: 180_000,
    reporters: process.env.CI ? ["default", "junit"] : ["default"],
    outputFile: { junit: "regkit-report/vitest-junit.xml" },
  },
});
