// The whole NuGet catalog against the embedded reference registry (gitlab
// profile, every token kind), NuGet.exe under mono included where present.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { nugetKit } from "@regkit/nuget";
import { nugetReference } from "@regkit/nuget/reference";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";

const MiB = 1024 * 1024;
const registry = await createReferenceRegistry({ formats: [nugetReference], limits: { nuget: { maxFileSize: 12 * MiB } } });
describeConformance(nugetKit, referenceTarget(registry, "nuget", { options: { manyVersions: 40, manyPackages: 40, largeSize: 6 * MiB, numRuns: 3, maxCommands: 10 } }), { label: "reference" });

afterAll(async () => {
  await registry.close();
});
