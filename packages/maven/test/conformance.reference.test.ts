// The whole catalog (core scenarios and maven.*) against the embedded
// reference registry, under every token kind: GitLab's headers, GitLab's
// Basic rules, and a group that forbids duplicates.
import { createReferenceRegistry } from "@regkit/registry";
import { describeConformance } from "@regkit/core/vitest";
import { scenariosOf } from "@regkit/core";
import { afterAll, describe, it } from "vitest";
import { mavenKit, mavenReference } from "@regkit/maven";
import { catalogFor, referenceTarget } from "./helpers.js";

const MiB = 1024 * 1024;
/** Small enough to keep the run short, above the kit's in-memory jar limit so large jars stream. */
const LIMIT = 12 * MiB;
const options = { manyVersions: 12, manyPackages: 12, largeSize: 9 * MiB, numRuns: 3, maxCommands: 8 };

const registry = await createReferenceRegistry({ formats: [mavenReference], limits: { maven: { maxFileSize: LIMIT } } });
const rejecting = await createReferenceRegistry({ formats: [mavenReference], policies: { maven: { duplicates: "reject" } } });
// The over-limit case also through the registry's own setting, as an admin would change it.
registry.setLimits("maven", { maxFileSize: LIMIT });

afterAll(async () => {
  await registry.close();
  await rejecting.close();
});

const { scenarios, left } = await catalogFor(registry.url, scenariosOf(mavenKit).map((s) => s.id));
if (left) describe("left out", () => it.skip(left, () => {}));

describeConformance(mavenKit, referenceTarget(registry, { limits: { maxFileSize: LIMIT }, options }), { scenarios });

describeConformance(mavenKit, referenceTarget(registry, { profile: "gitlab-basic", options }), {
  scenarios: ["push.small", "pull.package", "auth.matrix", "clients.roundtrip", "maven.snapshots"].filter((id) => scenarios.includes(id)),
});

describeConformance(mavenKit, referenceTarget(rejecting, { policies: { duplicates: "reject" }, options }), {
  scenarios: ["push.duplicate", "pull.duplicate", "model.random-ops", "maven.snapshots", "maven.checksums"],
  tokenKinds: ["personal"],
});
