// A PyPI registry nobody here wrote: pypiserver 2 (pinned, from PyPI through
// packages/pypi/ci/install-tools.sh), started per run on 127.0.0.1 with an
// htpasswd file, checked with the pypiserver profile: once with reads open
// (the default: only uploads need the password) and once with reads closed
// (`-a update,list,download`, the profile told with anonymousRead=false).
// Every client driver takes part (twine and pip from Debian and from PyPI,
// uv); a client that is not installed is a skip of that client, with the reason.
import { afterAll, describe, expect, test } from "vitest";
import { runConformance, type ScenarioResult } from "@regkit/core";
import { describeConformance } from "@regkit/core/vitest";
import { pypiKit } from "@regkit/pypi";
import { pypiserverUnavailable, startPypiserver } from "../../../tooling/testing/pypi-servers.mjs";

const MiB = 1024 * 1024;
const why = pypiserverUnavailable();
// push.many's latency-growth check stays on, with a floor that a shared CI
// machine's noise does not cross: latency is measured by the benchmarks
// (tooling/bench), not here.
const options = { manyVersions: 30, manyPackages: 30, largeSize: 6 * MiB, numRuns: 3, maxCommands: 8, latencyGrowthFloorMs: 1_000 };

describe.skipIf(why !== undefined)(`pypiserver${why ? ` (skipped: ${why})` : ""}`, async () => {
  const open = why ? undefined : await startPypiserver({ reads: "open" });
  const closed = why ? undefined : await startPypiserver({ reads: "closed" });
  afterAll(async () => {
    await open?.close();
    await closed?.close();
  });
  if (!open || !closed) return;

  const target = (server: typeof open, settings: Record<string, unknown> = {}) => ({
    registry: server.url,
    profile: "pypiserver",
    credentials: { personal: server.password, personalUsername: server.username },
    options,
    settings,
  });

  const results: ScenarioResult[] = [];
  describe("reads open", () => {
    describeConformance(pypiKit, target(open), { onResult: (r) => results.push(r), label: "pypiserver" });
  });
  describe("reads closed", () => {
    describeConformance(pypiKit, target(closed, { anonymousRead: false, invalidTokenRead: false }), { scenarios: ["auth.matrix", "clients.roundtrip", "pull"], label: "pypiserver-closed" });
  });

  test("pypiserver shows no deviation: nothing is recorded and nothing ended as one", () => {
    expect(results.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.status === "deviation").map((r) => r.scenario)).toEqual([]);
  });

  test("the pypiserver profile is wrong for a closed server unless told: anonymous reads are refused", async () => {
    const report = await runConformance({ kit: pypiKit, target: target(closed), scenarios: ["auth.matrix"], tokenKinds: ["anonymous"] });
    const result = report.results[0]!;
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/anonymousRead=false/);
  });
});
