// The whole catalog against the embedded reference registry, every token kind.
// Until the adapter and the routes exist, every scenario skips and says what to write.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { helmKit } from "@regkit/helm";
import { helmReference } from "@regkit/helm/reference";

const registry = await createReferenceRegistry({ formats: [helmReference] });
describeConformance(helmKit, referenceTarget(registry, "helm", { options: { manyVersions: 20, manyPackages: 5, numRuns: 3 } }));

afterAll(async () => {
  await registry.close();
});
