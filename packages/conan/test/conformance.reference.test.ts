// The whole catalog (core scenarios and conan.*) against the embedded
// reference registry, every token kind; the real conan client in
// clients.roundtrip under every write kind, in endpoints.audit under one.
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

const target = referenceTarget(registry, "conan", { settings: { manyVersions: 15, manyPackages: 5, largeSize: "3MiB", numRuns: 3, maxCommands: 8 } });
const audit = "the real conan client runs in endpoints.audit under the personal token below (each conan command is a Python start, about a second)";

describeConformance(conanKit, target, { exclude: { "endpoints.audit": audit }, label: "reference" });
describeConformance(conanKit, target, { scenarios: ["endpoints.audit"], tokenKinds: ["personal"], label: "reference-audit" });
