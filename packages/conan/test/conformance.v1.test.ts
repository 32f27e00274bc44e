// The whole catalog over Conan's v1 API (the gitlab profile's `api: v1`)
// against the embedded reference registry, every token kind: publish through
// upload_urls, pull through download_urls and the snapshot, versions and
// search through v1/conans/search, cleanup with the recipe's DELETE. The
// revision scenarios skip (v2 only); the real conan client (Conan 2, v2 only)
// and the route audit run in conformance.reference.test.ts.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { conanKit } from "@regkit/conan";
import { conanReference } from "@regkit/conan/reference";

// A small file limit keeps push.over-limit cheap (GitLab's default is 3 GiB).
const registry = await createReferenceRegistry({ formats: [conanReference], limits: { conan: { maxFileSize: 4 * 1024 * 1024 } } });
afterAll(async () => {
  await registry.close();
});

const target = referenceTarget(registry, "conan", { settings: { api: "v1", manyVersions: 15, manyPackages: 5, largeSize: "3MiB", numRuns: 3, maxCommands: 8 } });
const v2Client = "the conan 2 client speaks v2 only: it runs in conformance.reference.test.ts";

describeConformance(conanKit, target, { exclude: { "endpoints.audit": v2Client, "clients.roundtrip": v2Client }, label: "reference-v1" });
