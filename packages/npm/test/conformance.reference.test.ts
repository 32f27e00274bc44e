// The whole npm catalog against the embedded reference registry with the
// gitlab profile, every token kind, the real npm CLI included. CI runs smaller
// numbers than the defaults (300 + 300 for push.many, 64 MiB for push.large);
// `pnpm bench` runs the defaults.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { npmKit, npmReference } from "@regkit/npm";
import { createReferenceRegistry } from "@regkit/registry";

const MiB = 1024 * 1024;
const registry = await createReferenceRegistry({ formats: [npmReference], limits: { npm: { maxFileSize: 24 * MiB } } });
const { tokens } = registry;

describeConformance(npmKit, {
  registry: registry.registries.npm!,
  profile: "gitlab",
  credentials: {
    personal: tokens.personal,
    deploy: { username: tokens.deployUsername, token: tokens.deploy },
    job: tokens.job,
    readonly: { username: tokens.readonlyDeployUsername, token: tokens.readonlyDeploy },
  },
  limits: { maxFileSize: 24 * MiB },
  options: { manyVersions: 60, manyPackages: 60, largeSize: 16 * MiB, numRuns: 5, maxCommands: 12 },
});

afterAll(async () => {
  await registry.close();
});
