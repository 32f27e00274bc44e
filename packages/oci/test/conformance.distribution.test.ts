// A registry nobody here wrote: Debian's docker-registry (the distribution
// project's server, 2.8) started per run on 127.0.0.1 with htpasswd auth and
// deletes enabled, checked with the distribution profile: the core catalog and
// every oci.* scenario, under every token kind the profile has (personal as
// Basic user:password, anonymous, invalid).
import { afterAll, describe, expect, test } from "vitest";
import { runConformance, type ScenarioResult } from "@regkit/core";
import { describeConformance } from "@regkit/core/vitest";
import { ociKit } from "@regkit/oci";
import { distributionUnavailable, startDistribution } from "../../../tooling/testing/oci-registries.mjs";

const MiB = 1024 * 1024;
const why = await distributionUnavailable({ auth: "htpasswd" });
const registry = why ? undefined : await startDistribution({ auth: "htpasswd" });

const target = registry && {
  registry: registry.url,
  profile: "distribution",
  credentials: { personal: registry.password, personalUsername: registry.username },
  options: { manyVersions: 40, manyPackages: 40, largeSize: 24 * MiB, numRuns: 4, maxCommands: 10 },
};

const results: ScenarioResult[] = [];
if (target) {
  describeConformance(ociKit, target, { onResult: (r) => results.push(r), label: "docker-registry" });

  describe("what docker-registry 2.8 lacks, as the distribution profile records it", () => {
    test("tags/list without pagination is the recorded deviation, observed", () => {
      const result = results.find((r) => r.scenario === "oci.tags-pagination" && r.tokenKind === "personal");
      expect(result?.status).toBe("deviation");
      expect(result?.deviations?.map((d) => [d.id, d.observed])).toEqual([["oci.tags-pagination", true]]);
    });
    test("an out-of-order chunk taken is the recorded deviation; the chunked upload in order passes", () => {
      const result = results.find((r) => r.scenario === "oci.chunked-upload" && r.tokenKind === "personal");
      expect(result?.status).toBe("deviation");
      expect(result?.deviations?.map((d) => [d.id, d.observed])).toEqual([["oci.chunk-order", true]]);
      expect(result?.deviations?.[0]?.expectation).toEqual({ expected: "status 416", actual: "status 202" });
    });
    test("without the referrers API, the referrers tag schema is what oci.referrers checked", () => {
      const result = results.find((r) => r.scenario === "oci.referrers" && r.tokenKind === "personal");
      expect(result?.status).toBe("pass");
    });
    test("the token flow is skipped with the reason: docker-registry challenges with Basic here", () => {
      const result = results.find((r) => r.scenario === "oci.token-flow" && r.tokenKind === "personal");
      expect(result?.status).toBe("skip");
      expect(result?.message).toMatch(/challenges with basic/);
    });
  });

  describe("the gitlab profile against docker-registry", () => {
    test("records no pagination deviation: oci.tags-pagination fails there, with what came back", async () => {
      const report = await runConformance({ kit: ociKit, target: { ...target, profile: "gitlab" }, scenarios: ["oci.tags-pagination"], tokenKinds: ["personal"] });
      const result = report.results[0]!;
      expect(result.status).toBe("fail");
      expect(result.expectation?.expected).toBe("at most 2 tags");
      expect(result.expectation?.actual).toMatch(/^5 tags \[/);
      expect(result.exchanges.at(-1)?.path).toMatch(/\/tags\/list\?n=2$/);
    });
  });
} else {
  test.skip(`docker-registry conformance: ${why}`, () => {});
}

afterAll(async () => {
  await registry?.close();
});
