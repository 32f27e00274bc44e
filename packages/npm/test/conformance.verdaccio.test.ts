// A registry nobody here wrote: Verdaccio 6, installed from npm as a dev
// dependency and started per run on 127.0.0.1, checked with the verdaccio profile.
import { afterAll, describe, expect, test } from "vitest";
import { runConformance, type RunReport } from "@regkit/core";
import { describeConformance } from "@regkit/core/vitest";
import { npmKit } from "@regkit/npm";
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

describeConformance(npmKit, target);

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
