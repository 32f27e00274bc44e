// The whole catalog over Conan's v1 API at GitLab's instance level
// (`/api/v4/packages/conan`, conanGitLabFacts.instanceLevel) against the
// embedded reference registry, every token kind: recipes are
// `name/version@regkit+demo/stable` (the `project` setting names the registry's
// one project, `regkit/demo`; `channel` is the default), published through the
// instance-level upload_urls, pulled through its download_urls, listed and
// searched through its v1/conans/search, removed with the recipe's DELETE. The
// revision scenarios skip (v2 only); the real conan client (Conan 2, v2 only)
// and the route audit run in conformance.reference.test.ts. The reference
// registry's instance level is read-only, so the file PUTs and the DELETE go
// through a shim to the project level (./instance-writes.ts); every read,
// upload_urls and search is the instance level's own.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { conanKit } from "@regkit/conan";
import { conanReference } from "@regkit/conan/reference";
import { startInstanceWrites } from "./instance-writes.js";

// A small file limit keeps push.over-limit cheap (GitLab's default is 3 GiB).
const registry = await createReferenceRegistry({ formats: [conanReference], limits: { conan: { maxFileSize: 4 * 1024 * 1024 } } });
const shim = await startInstanceWrites(registry.url);
afterAll(async () => {
  await shim.close();
  await registry.close();
});

const instance = registry.instanceRegistries.conan!.replace(registry.url, shim.url);
const target = referenceTarget(registry, "conan", {
  registry: instance,
  settings: { api: "v1", project: "regkit/demo", manyVersions: 15, manyPackages: 5, largeSize: "3MiB", numRuns: 3, maxCommands: 8 },
});
const v2Client = "the conan 2 client speaks v2 only, which GitLab serves at project level: it runs in conformance.reference.test.ts";

describeConformance(conanKit, target, { exclude: { "endpoints.audit": v2Client, "clients.roundtrip": v2Client }, label: "reference-v1-instance" });
