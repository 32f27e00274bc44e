// The whole catalog against the embedded reference registry, every token kind
// (personal, deploy, job, and the negatives), the real helm included where it
// is installed (packages/helm/ci/install-tools.sh).
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { helmKit } from "@regkit/helm";
import { helmReference } from "@regkit/helm/reference";

// GitLab's own 5 MiB chart limit is small already: push.large sends 3 MiB, push.over-limit 6 MiB.
const registry = await createReferenceRegistry({ formats: [helmReference] });
afterAll(async () => {
  await registry.close();
});

// The reference reads charts before it answers: a short processing wait keeps helm.invalid-chart quick.
const settings = { manyVersions: 15, manyPackages: 5, largeSize: "3MiB", numRuns: 3, maxCommands: 8, processingWaitMs: 300 };
describeConformance(helmKit, referenceTarget(registry, "helm", { settings }), { label: "reference" });
