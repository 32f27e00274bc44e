// The whole catalog against the embedded reference registry, every token kind
// (personal, deploy, job, and the negatives), under both gitlab profiles:
// GitLab's token headers and HTTP Basic, the real curl included.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { genericKit } from "@regkit/generic";
import { createGenericReference, genericReference } from "@regkit/generic/reference";

// A small file limit keeps push.over-limit cheap (GitLab's default is 5 GiB).
const registry = await createReferenceRegistry({ formats: [genericReference], limits: { generic: { maxFileSize: 4 * 1024 * 1024 } } });
afterAll(async () => {
  await registry.close();
});

// The profiles' defaults otherwise: the reference's Packages API leaves hidden
// versions out of its list and serves /packages/:id/package_files, so
// generic.hidden and generic.package-file run in full.
const settings = { manyVersions: 15, manyPackages: 5, largeSize: "3MiB", numRuns: 3, maxCommands: 8 };

describeConformance(genericKit, referenceTarget(registry, "generic", { settings }), { label: "reference" });
describeConformance(genericKit, referenceTarget(registry, "generic", { profile: "gitlab-basic", settings }), { label: "reference" });

// A group that forbids duplicates, with an exception pattern (GitLab's
// generic_duplicate_exception_regex): the duplicate scenarios under both,
// every token kind.
const strict = await createReferenceRegistry({
  formats: [createGenericReference({ duplicateExceptionRegex: "-keep$" })],
  policies: { generic: { duplicates: "reject" } },
});
afterAll(async () => {
  await strict.close();
});
describeConformance(
  genericKit,
  referenceTarget(strict, "generic", { settings: { ...settings, duplicates: "reject", duplicateExceptionRegex: "-keep$" } }),
  { scenarios: ["push.duplicate", "pull.duplicate", "generic.duplicate-exception", "model.random-ops"], label: "reference-strict" },
);
