// Maven cannot delete: cleanup removes what the run deployed through GitLab's
// Packages API, where `io.regkit.x:app` is listed as `io/regkit/x/app` and the
// artifact-level maven-metadata.xml as a versionless package.
import { type Fault, useFaultHarness } from "@regkit/testkit";
import { describe, expect, test } from "vitest";
import { gitlabPackageName, mavenKit } from "@regkit/maven";
import { mavenReference } from "@regkit/maven/reference";

const harness = useFaultHarness(mavenKit, mavenReference);

type Listed = { name: string; version: string | null };

async function listed(): Promise<Listed[]> {
  const { registry } = harness();
  const res = await fetch(`${registry.url}/api/v4/projects/1/packages?package_type=maven&include_versionless=true&per_page=100`, { headers: { "private-token": registry.tokens.personal } });
  expect(res.status).toBe(200);
  return (await res.json()) as Listed[];
}

describe("Maven cleanup through GitLab's Packages API", () => {
  test("GitLab's names for Maven packages", () => {
    expect(gitlabPackageName("com.mycompany:my-app")).toBe("com/mycompany/my-app");
  });

  test("what the run deployed is listed as GitLab lists it, and removed by cleanup", async () => {
    // Watch what the Packages API lists when cleanup asks (a proxy that changes nothing).
    const seen: Listed[] = [];
    const watch: Fault = (ex) =>
      ex.method === "GET" && /\/projects\/1\/packages\?/.test(ex.path)
        ? { response: (res) => (seen.push(...(JSON.parse(res.body.toString("utf8")) as Listed[])), undefined) }
        : undefined;
    const report = await harness().run(watch, { scenarios: ["push.small"] });
    expect(report.summary).toMatchObject({ pass: 1, fail: 0, error: 0 });
    // Run ids are lowercase hex: safe in a pattern.
    expect(seen.some((p) => new RegExp(`^io/regkit/.*${report.runId}.*/`).test(p.name) && p.version === "1.0.0")).toBe(true);
    expect(seen.some((p) => p.version === null)).toBe(true);
    expect(report.cleanup).toMatchObject({ left: [], errors: [] });
    expect(report.cleanup.removed).toBeGreaterThan(0);
    expect(await listed()).toEqual([]);
  });
});
