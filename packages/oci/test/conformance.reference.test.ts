// The whole catalog and every oci.* scenario against the embedded reference
// registry with the gitlab profile, every token kind (personal, deploy, job;
// anonymous, invalid, read-only deploy for auth.matrix), through GitLab's
// token realm, with a 32 MiB blob limit so push.over-limit runs. CI runs
// smaller numbers than the defaults.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { ociKit } from "@regkit/oci";
import { ociReference } from "@regkit/oci/reference";

const MiB = 1024 * 1024;
// A blob limit (GitLab's registry has none by default) so that push.over-limit runs: 413 SIZE_INVALID past it.
const registry = await createReferenceRegistry({ formats: [ociReference], limits: { oci: { maxFileSize: 32 * MiB } } });
describeConformance(ociKit, referenceTarget(registry, "oci", { options: { manyVersions: 40, manyPackages: 20, largeSize: 24 * MiB, numRuns: 3, maxCommands: 10 } }), { label: "reference" });

afterAll(async () => {
  await registry.close();
});
