// The whole npm catalog against the embedded reference registry with the
// gitlab profile, every token kind, the real npm CLI included. CI runs smaller
// numbers than the defaults (300 + 300 for push.many, 64 MiB for push.large);
// `pnpm bench` runs the defaults.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { npmKit } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";

const MiB = 1024 * 1024;
const registry = await createReferenceRegistry({ formats: [npmReference], limits: { npm: { maxFileSize: 24 * MiB } } });
describeConformance(npmKit, referenceTarget(registry, "npm", { options: { manyVersions: 60, manyPackages: 60, largeSize: 16 * MiB, numRuns: 5, maxCommands: 12 } }), { label: "reference" });

afterAll(async () => {
  await registry.close();
});
