// The whole catalog (core scenarios and maven.*) against the embedded
// reference registry, under every token kind: GitLab's headers, GitLab's
// Basic rules, and a group that forbids duplicates.
import { describeConformance, startFaultHarness } from "@regkit/testkit";
import { afterAll } from "vitest";
import { mavenKit } from "@regkit/maven";
import { mavenReference } from "@regkit/maven/reference";
import { exclusionsFor } from "./helpers.js";

const MiB = 1024 * 1024;
/** Small enough to keep the run short, above the kit's in-memory jar limit so large jars stream. */
const LIMIT = 12 * MiB;
const options = { manyVersions: 12, manyPackages: 12, largeSize: 9 * MiB, numRuns: 3, maxCommands: 8 };

const main = await startFaultHarness(mavenKit, mavenReference, { registry: { limits: { maven: { maxFileSize: LIMIT } } } });
const rejecting = await startFaultHarness(mavenKit, mavenReference, { registry: { policies: { maven: { duplicates: "reject" } } } });
// The over-limit case also through the registry's own setting, as an admin would change it.
main.registry.setLimits("maven", { maxFileSize: LIMIT });

afterAll(async () => {
  await main.close();
  await rejecting.close();
});

const exclude = await exclusionsFor(main.registry.url);

describeConformance(mavenKit, main.target({ limits: { maxFileSize: LIMIT }, options }), { exclude, label: "reference" });

describeConformance(mavenKit, main.target({ profile: "gitlab-basic", options }), {
  scenarios: ["push.small", "pull.package", "auth.matrix", "clients.roundtrip", "maven.snapshots"],
  exclude,
  label: "reference",
});

describeConformance(mavenKit, rejecting.target({ policies: { duplicates: "reject" }, options }), {
  scenarios: ["push.duplicate", "pull.duplicate", "model.random-ops", "maven.snapshots", "maven.checksums"],
  tokenKinds: ["personal"],
  label: "reference-reject",
});
