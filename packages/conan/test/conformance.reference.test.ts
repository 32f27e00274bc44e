// The whole catalog against the embedded reference registry, every token kind.
// Until the adapter and the routes exist, every scenario skips and says what to write.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { conanKit } from "@regkit/conan";
import { conanReference } from "@regkit/conan/reference";

const registry = await createReferenceRegistry({ formats: [conanReference] });
describeConformance(conanKit, referenceTarget(registry, "conan", { options: { manyVersions: 20, manyPackages: 5, numRuns: 3 } }));

afterAll(async () => {
  await registry.close();
});
