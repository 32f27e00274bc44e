// A PyPI registry nobody here wrote: devpi-server 6 (pinned, from PyPI through
// packages/pypi/ci/install-tools.sh), started per run on 127.0.0.1 with
// devpi-init (no pypi.org mirror), one user and one non-volatile index,
// checked with the devpi profile. Every client driver takes part (twine and
// pip from Debian and from PyPI, uv); a client that is not installed is a
// skip of that client, with the reason.
import { afterAll, describe, expect, test } from "vitest";
import { runConformance, type ScenarioResult } from "@regkit/core";
import { describeConformance } from "@regkit/core/vitest";
import { pypiKit } from "@regkit/pypi";
import { HTML_MEDIA_TYPE_DEVIATION, devpi as devpiProfile } from "../src/profiles.js";
import { devpiUnavailable, startDevpi } from "../../../tooling/testing/pypi-servers.mjs";

const MiB = 1024 * 1024;
const why = devpiUnavailable();
// push.many's latency-growth check stays on, with a floor that a shared CI
// machine's noise does not cross (devpi renders a page of 60 files in tens of
// ms, and a busy core doubles that): latency is measured by the benchmarks
// (tooling/bench), not here.
const options = { manyVersions: 30, manyPackages: 30, largeSize: 6 * MiB, numRuns: 3, maxCommands: 8, latencyGrowthFloorMs: 1_000 };

describe.skipIf(why !== undefined)(`devpi${why ? ` (skipped: ${why})` : ""}`, async () => {
  const devpi = why ? undefined : await startDevpi();
  afterAll(async () => {
    await devpi?.close();
  });
  if (!devpi) return;
  const target = {
    registry: devpi.registry,
    profile: "devpi",
    credentials: { personal: devpi.password, personalUsername: devpi.username },
    options,
  };

  const results: ScenarioResult[] = [];
  describeConformance(pypiKit, target, { onResult: (r) => results.push(r), label: "devpi" });

  test("devpi's recorded deviation is seen as one, with its record, and nothing else deviates", () => {
    const negotiation = results.find((r) => r.scenario === "pypi.content-negotiation" && r.tokenKind === "personal");
    expect(negotiation?.status).toBe("deviation");
    expect(negotiation?.deviations?.map((d) => [d.id, d.observed, d.source])).toEqual([[HTML_MEDIA_TYPE_DEVIATION, true, devpiProfile.deviations![HTML_MEDIA_TYPE_DEVIATION]!.source]]);
    expect(negotiation?.deviations?.[0]?.expectation?.actual).toBe("content-type text_html");
    expect(results.filter((r) => r.status === "deviation").map((r) => r.scenario)).toEqual(["pypi.content-negotiation"]);
  });

  test("the pypi profile's layout is wrong for devpi: its upload path /legacy/ is refused", async () => {
    const report = await runConformance({ kit: pypiKit, target: { ...target, profile: "pypi" }, scenarios: ["push.small"], tokenKinds: ["personal"] });
    expect(report.results[0]!.status).toBe("fail");
  });
});
