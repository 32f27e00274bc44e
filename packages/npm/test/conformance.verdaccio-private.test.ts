// A private Verdaccio (packages readable by logged-in users only, `access:
// $authenticated`), told so with one setting: anonymousRead=false. Without the
// setting the verdaccio profile expects public reads and auth.matrix fails
// where it should: the setting is what makes the difference.
import { afterAll, describe, expect, test } from "vitest";
import { runConformance } from "@regkit/core";
import { npmKit } from "@regkit/npm";
import { startVerdaccio } from "../../../tooling/testing/verdaccio.mjs";

const verdaccio = await startVerdaccio({ access: "$authenticated" });
const target = { registry: verdaccio.url, profile: "verdaccio", credentials: { personal: verdaccio.token } };

afterAll(async () => {
  await verdaccio.close();
});

describe("a private Verdaccio", () => {
  test("with anonymousRead=false, auth.matrix passes: anonymous and invalid-token reads are refused", async () => {
    const report = await runConformance({ kit: npmKit, target: { ...target, settings: { anonymousRead: "false" } }, scenarios: ["auth.matrix"], seed: 3 });
    const byKind = Object.fromEntries(report.results.map((r) => [r.tokenKind, r]));
    expect(byKind.anonymous?.status, byKind.anonymous?.message).toBe("pass");
    expect(byKind.invalid?.status, byKind.invalid?.message).toBe("pass");
    expect(byKind.anonymous?.notes.join(" ")).toMatch(/read refused: GET .* -> 401/);
    // The verdaccio profile has no read-only tokens: a skip with the reason.
    expect(byKind.readonly?.status).toBe("skip");
    expect(report.settings.anonymousRead).toBe(false);
  });

  test("every real client installs with the token written its users' way (.npmrc _authToken, .yarnrc.yml npmAlwaysAuth, bunfig.toml): clients.roundtrip passes", async () => {
    const report = await runConformance({ kit: npmKit, target: { ...target, settings: { anonymousRead: "false" } }, scenarios: ["clients.roundtrip"], tokenKinds: ["personal"] });
    const [result] = report.results;
    expect(result?.status, `${result?.message} ${JSON.stringify(result?.expectation)}`).toBe("pass");
    // Each client either took part or is reported as skipped (not installed), never silently left out.
    for (const driver of npmKit.drivers) {
      const why = await driver.unavailable();
      if (why) expect(result?.notes).toContain(`client skipped: ${driver.name}: ${why}`);
      else expect(result?.notes.join("\n")).toMatch(new RegExp(`(^|; )${driver.name}(: published and)? installed`, "m"));
    }
  }, 600_000);

  test("without the setting the profile expects public reads, and auth.matrix fails with the 401 it got", async () => {
    const report = await runConformance({ kit: npmKit, target, scenarios: ["auth.matrix"], tokenKinds: ["anonymous"], seed: 3 });
    const [result] = report.results;
    expect(result?.status).toBe("fail");
    expect(result?.message).toMatch(/was refused, but the verdaccio profile says such reads are served \(anonymousRead=true; .*--set anonymousRead=false\)/);
    expect(result?.expectation).toEqual({ expected: "the package served", actual: "status 401" });
    expect(result?.exchanges.some((e) => e.status === 401)).toBe(true);
  });
});
