// The whole catalog against the embedded reference registry, every token kind
// (personal, deploy, job, and the negatives), OpenTofu included where it is
// installed (its install skips with the reason otherwise).
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { terraformKit } from "@regkit/terraform";
import { terraformReference } from "@regkit/terraform/reference";

// A small archive limit keeps push.over-limit cheap (GitLab's default is 1 GiB).
const registry = await createReferenceRegistry({ formats: [terraformReference], limits: { terraform: { maxFileSize: 4 * 1024 * 1024 } } });
afterAll(async () => {
  await registry.close();
});

const settings = { manyVersions: 15, manyPackages: 5, largeSize: "3MiB", numRuns: 3, maxCommands: 8 };

describeConformance(terraformKit, referenceTarget(registry, "terraform", { settings }), { label: "reference" });
