// A registry nobody here wrote: Verdaccio 6, installed from npm as a dev
// dependency and started per run on 127.0.0.1, checked with the verdaccio profile.
import { afterAll, describe, expect, test } from "vitest";
import { runConformance, type RunReport, type ScenarioResult } from "@regkit/core";
import { describeConformance } from "@regkit/core/vitest";
import { npmKit, verdaccio as verdaccioProfile } from "@regkit/npm";
import { startVerdaccio } from "../../../tooling/testing/verdaccio.mjs";

const MiB = 1024 * 1024;
// max_body_size limits the JSON body, where the tarball is base64 (4/3 larger).
const verdaccio = await startVerdaccio({ maxBodySize: "20mb" });
const target = {
  registry: verdaccio.url,
  profile: "verdaccio",
  credentials: { personal: verdaccio.token },
  limits: { maxFileSize: 14 * MiB },
  options: { manyVersions: 40, manyPackages: 40, largeSize: 8 * MiB, numRuns: 4, maxCommands: 10 },
};

const results: ScenarioResult[] = [];
describeConformance(npmKit, target, { onResult: (r) => results.push(r) });

describe("Verdaccio's recorded deviations", () => {
  test("the JSON-only packument and the lenient names are deviations with their record, not passes", () => {
    const status = (id: string) => results.find((r) => r.scenario === id && r.tokenKind === "personal");
    const abbreviated = status("npm.abbreviated");
    expect(abbreviated?.status).toBe("deviation");
    expect(abbreviated?.deviations?.map((d) => [d.id, d.observed])).toEqual([["npm.abbreviated-content-type", true]]);
    // Which rules the generated names break depends on the seed; those Verdaccio is lenient about are deviations.
    const names = status("npm.invalid-names");
    expect(["pass", "deviation"]).toContain(names?.status);
    for (const d of names?.deviations ?? []) expect(d.id in verdaccioProfile.deviations!, d.id).toBe(true);
    if (names?.status === "deviation") expect(names.deviations?.some((d) => d.observed)).toBe(true);
  });
});

describe("the gitlab profile against Verdaccio", () => {
  test("fails where Verdaccio differs from GitLab: duplicates answer 409, not 403", async () => {
    const report: RunReport = await runConformance({ kit: npmKit, target: { ...target, profile: "gitlab" }, scenarios: ["push.duplicate"], tokenKinds: ["personal"] });
    const result = report.results[0]!;
    expect(result.status).toBe("fail");
    expect(result.expectation).toEqual({ expected: "refused with status 403", actual: "status 409" });
  });
});

afterAll(async () => {
  await verdaccio.close();
});
