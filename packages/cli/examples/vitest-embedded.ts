// The README's "Testing against the embedded registry from vitest": typechecked by packages/cli/test/docs.test.ts.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { npmKit } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";

// Started by the test file, on 127.0.0.1 and a free port. A small file limit
// keeps push.over-limit cheap: it sends just over the limit (GitLab's npm
// default is 500 MiB).
const registry = await createReferenceRegistry({
  formats: [npmReference],
  limits: { npm: { maxFileSize: 8 * 1024 * 1024 } },
});
afterAll(async () => {
  await registry.close();
});

// Every credential the registry issued (personal, deploy, CI job, read-only
// deploy) and its limit, with numbers small enough for a test run.
describeConformance(
  npmKit,
  referenceTarget(registry, "npm", {
    settings: { manyVersions: 20, manyPackages: 20, largeSize: "4MiB", numRuns: 3, maxCommands: 8 },
  }),
);
