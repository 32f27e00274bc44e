// The whole catalog against the embedded reference registry, every token kind.
// Until the adapter and the routes exist, every scenario skips and says what to write.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { genericKit } from "@regkit/generic";
import { genericReference } from "@regkit/generic/reference";

const registry = await createReferenceRegistry({ formats: [genericReference] });
describeConformance(genericKit, referenceTarget(registry, "generic", { options: { manyVersions: 20, manyPackages: 5, numRuns: 3 } }));

afterAll(async () => {
  await registry.close();
});
