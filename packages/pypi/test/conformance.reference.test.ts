// The whole PyPI catalog against the embedded reference registry (gitlab
// profile with GitLab's defaults: a private project, pypi_pep_691_json off;
// every token kind), twine and pip included. Smaller numbers than the defaults
// keep CI short. The other settings: gitlab-facts.test.ts.
import { afterAll } from "vitest";
import { describeConformance } from "@regkit/core/vitest";
import { pypiKit } from "@regkit/pypi";
import { pypiReference } from "@regkit/pypi/reference";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";

const MiB = 1024 * 1024;
const registry = await createReferenceRegistry({ formats: [pypiReference], limits: { pypi: { maxFileSize: 12 * MiB } } });
describeConformance(pypiKit, referenceTarget(registry, "pypi", { options: { manyVersions: 40, manyPackages: 40, largeSize: 6 * MiB, numRuns: 3, maxCommands: 10 } }), { label: "reference" });

afterAll(async () => {
  await registry.close();
});
