// Maven cannot delete: cleanup removes what the run deployed through GitLab's
// Packages API, where `io.regkit.x:app` is listed as `io/regkit/x/app` and the
// artifact-level maven-metadata.xml as a versionless package.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runConformance } from "@regkit/core";
import { gitlabPackageName, mavenKit, mavenReference } from "@regkit/maven";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { startFaultyProxy } from "@regkit/registry/faults";

let registry: ReferenceRegistry;

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [mavenReference] });
});

afterAll(async () => {
  await registry.close();
});

async function listed(): Promise<{ name: string; version: string | null }[]> {
  const res = await fetch(`${registry.url}/api/v4/projects/1/packages?package_type=maven&include_versionless=true&per_page=100`, { headers: { "private-token": registry.tokens.personal } });
  expect(res.status).toBe(200);
  return (await res.json()) as { name: string; version: string | null }[];
}

describe("Maven cleanup through GitLab's Packages API", () => {
  test("GitLab's names for Maven packages", () => {
    expect(gitlabPackageName("com.mycompany:my-app")).toBe("com/mycompany/my-app");
  });

  test("what the run deployed is listed as GitLab lists it, and removed by cleanup", async () => {
    // Watch what the Packages API lists when cleanup asks (through a faithful proxy).
    const seen: { name: string; version: string | null }[] = [];
    const proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: (ex) =>
        ex.method === "GET" && /\/projects\/1\/packages\?/.test(ex.path)
          ? { response: (res) => (seen.push(...(JSON.parse(res.body.toString("utf8")) as typeof seen)), undefined) }
          : undefined,
    });
    try {
      const target = referenceTarget(registry, "maven");
      const report = await runConformance({
        kit: mavenKit,
        target: { ...target, registry: target.registry.replace(registry.url, proxy.url) },
        scenarios: ["push.small"],
        tokenKinds: ["personal"],
        runId: "mvnclean",
      });
      expect(report.summary).toMatchObject({ pass: 1, fail: 0, error: 0 });
      expect(seen.some((p) => /^io\/regkit\/.*mvnclean.*\//.test(p.name) && p.version === "1.0.0")).toBe(true);
      expect(seen.some((p) => p.version === null)).toBe(true);
      expect(report.cleanup).toMatchObject({ left: [], errors: [] });
      expect(report.cleanup.removed).toBeGreaterThan(0);
      expect(await listed()).toEqual([]);
    } finally {
      await proxy.close();
    }
  });
});
