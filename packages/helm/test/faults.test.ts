// Every Helm check must be able to fail: the reference registry behind a
// faulty proxy that gets one thing wrong, and the scenario that must catch it
// (status fail, with the request, the expectation and what came back). Each
// check first runs through a faithful proxy, where it must pass (or, for
// GitLab's recorded departures, be reported as the deviation it is).
import type { RunReport, ScenarioResult } from "@regkit/core";
import { type Fault, corruptBody, delayResponses, ignoreCredentials, resultOf, useFaultHarness } from "@regkit/testkit";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { INDEX_ORDER_DEVIATION, INVALID_CHART_DEVIATION, compareHelmVersions, gitlabProfile, helmDriver, helmKit } from "@regkit/helm";
import { helmReference } from "@regkit/helm/reference";

const harness = useFaultHarness(helmKit, helmReference);
// The gitlab profile with none of its recorded deviations: GitLab's departures, unrecorded, are failures.
const bareKit = { ...helmKit, profiles: { ...helmKit.profiles, "gitlab-bare": { ...gitlabProfile, name: "gitlab-bare", deviations: {} } } };
const bare = useFaultHarness(bareKit, helmReference);

const helmWhy = await helmDriver.unavailable();
// Charts are read at once by the reference: a short processing wait keeps the invalid-chart check quick.
const settings = { processingWaitMs: 300 };

async function runFaulty(fault: Fault | undefined, scenario: string, extra: { runId?: string; bare?: boolean } = {}): Promise<ScenarioResult> {
  const on = extra.bare ? bare : harness;
  const report: RunReport = await on().run(fault, { scenarios: [scenario], settings, seed: 42, runId: extra.runId, profile: extra.bare ? "gitlab-bare" : undefined });
  return resultOf(report, scenario);
}

const isIndex = (path: string, method: string) => method === "GET" && /\/packages\/helm\/[^/]+\/index\.yaml$/.test(path.replace(/\?.*$/, ""));
const isChart = (path: string, method: string) => method === "GET" && /\/packages\/helm\/[^/]+\/charts\/[^/]+\.tgz$/.test(path);

type Entries = Record<string, Record<string, unknown>[]>;

/** Rewrites the entries of every successful index.yaml answer. */
function mapIndex(map: (entries: Entries) => void): Fault {
  return (ex) =>
    isIndex(ex.path, ex.method)
      ? {
          response: (res) => {
            if (res.status !== 200) return undefined;
            const doc = parse(res.body.toString("utf8")) as { entries: Entries };
            map(doc.entries);
            return { body: `---\n${stringify(doc)}` };
          },
        }
      : undefined;
}

/** Fails with evidence that names the request, the expectation and what came back. */
function expectFailure(result: ScenarioResult, request: RegExp): void {
  expect(result.status, result.message).toBe("fail");
  expect(result.expectation?.expected).toBeTruthy();
  expect(result.expectation?.actual).toBeTruthy();
  expect(result.exchanges.some((e) => request.test(`${e.method} ${e.path} ${e.status}`)), JSON.stringify(result.exchanges.map((e) => `${e.method} ${e.path} ${e.status}`))).toBe(true);
}

describe("Helm checks pass through a faithful proxy (the baseline)", () => {
  for (const scenario of ["helm.index", "pull.package", "metadata.versions", "push.duplicate", "pull.duplicate"]) {
    it(scenario, async () => {
      const result = await runFaulty(undefined, scenario);
      expect(result.status, result.message).toBe("pass");
    });
  }
  it.skipIf(helmWhy !== undefined)(`helm.client and clients.roundtrip with the real helm${helmWhy ? ` (skipped: ${helmWhy})` : ""}`, async () => {
    for (const scenario of ["helm.client", "clients.roundtrip"]) {
      const result = await runFaulty(undefined, scenario);
      expect(result.status, result.message).toBe("pass");
    }
  });
  it("GitLab's departures are reported as deviations with their sources: index order, invalid charts accepted", async () => {
    const order = await runFaulty(undefined, "helm.index-order");
    expect(order.status, order.message).toBe("deviation");
    expect(order.deviations).toEqual([expect.objectContaining({ id: INDEX_ORDER_DEVIATION, observed: true })]);
    expect(order.deviations![0]!.source).toMatch(/package_file\.rb/);
    const invalid = await runFaulty(undefined, "helm.invalid-chart");
    expect(invalid.status, invalid.message).toBe("deviation");
    expect(invalid.deviations).toEqual([expect.objectContaining({ id: INVALID_CHART_DEVIATION, observed: true })]);
  });
});

describe("each Helm check fails against a registry that gets it wrong", () => {
  it("helm.index: a digest that is not the archive's SHA-256", async () => {
    const fault = mapIndex((entries) => {
      for (const list of Object.values(entries)) for (const e of list) e.digest = "0".repeat(64);
    });
    const result = await runFaulty(fault, "helm.index");
    expectFailure(result, /^GET .*\/index\.yaml 200$/);
    expect(result.expectation?.actual).toContain("0".repeat(64));
  });

  it("helm.index: urls that point at another chart's file", async () => {
    const fault = mapIndex((entries) => {
      for (const list of Object.values(entries)) for (const e of list) e.urls = ["charts/someone-else-1.0.0.tgz"];
    });
    const result = await runFaulty(fault, "helm.index");
    expectFailure(result, /^GET .*\/index\.yaml 200$/);
    expect(result.expectation?.actual).toContain("someone-else-1.0.0.tgz");
  });

  it("helm.index: Chart.yaml's appVersion and description not carried over", async () => {
    const fault = mapIndex((entries) => {
      for (const list of Object.values(entries)) for (const e of list) delete e.appVersion;
    });
    expectFailure(await runFaulty(fault, "helm.index"), /^GET .*\/index\.yaml 200$/);
  });

  it("pull.package: a chart download whose bytes are not the index's digest", async () => {
    const result = await runFaulty(corruptBody({ when: (ex) => isChart(ex.path, ex.method) }), "pull.package");
    expectFailure(result, /^GET .*\/charts\/.*\.tgz 200$/);
    expect(result.expectation?.expected).toMatch(/index\.yaml/);
  });

  it("metadata.versions: an index that leaves out a version", async () => {
    const fault = mapIndex((entries) => {
      for (const list of Object.values(entries)) if (list.length > 1) list.pop();
    });
    const result = await runFaulty(fault, "metadata.versions");
    expect(result.status, result.message).toBe("fail");
  });

  it("pull.duplicate: a registry that answers 201 to the second upload of a version and keeps the first", async () => {
    let uploads = 0;
    const fault: Fault = (ex) => {
      if (ex.method !== "POST") return undefined;
      uploads += 1;
      return uploads === 2 ? { request: { answer: { status: 201, headers: { "content-type": "application/json" }, body: '{"message":"201 Created"}' } } } : undefined;
    };
    const result = await runFaulty(fault, "pull.duplicate");
    expectFailure(result, /^GET .*\/charts\/.*\.tgz 200$/);
  });

  it("helm.index-order: unrecorded, the newest-first index fails with both orders named", async () => {
    const result = await runFaulty(undefined, "helm.index-order", { bare: true });
    expectFailure(result, /^GET .*\/index\.yaml 200$/);
    expect(result.expectation).toEqual({ expected: "[2.0.0, 1.10.0, 1.2.0, 1.2.0-rc.1, 1.0.0]", actual: "[1.2.0, 1.2.0-rc.1, 1.10.0, 2.0.0, 1.0.0]" });
  });

  it("helm.index-order: a registry that sorts by SemVer makes the recorded deviation go (reported as gone)", async () => {
    const fault = mapIndex((entries) => {
      for (const list of Object.values(entries)) list.sort((a, b) => -compareHelmVersions(String(a.version), String(b.version)));
    });
    const result = await runFaulty(fault, "helm.index-order");
    expect(result.status, result.message).toBe("pass");
    expect(result.deviations).toEqual([expect.objectContaining({ id: INDEX_ORDER_DEVIATION, observed: false })]);
  });

  it("helm.invalid-chart: unrecorded, accepting an upload that is no chart fails", async () => {
    const result = await runFaulty(undefined, "helm.invalid-chart", { bare: true });
    expectFailure(result, /^POST .*\/api\/stable\/charts 201$/);
  });

  it("helm.invalid-chart: an index that lists an upload that is no chart fails, recorded deviation or not", async () => {
    const runId = "faultinv1";
    const fault = mapIndex((entries) => {
      entries[`regkit-${runId}-invalid-pat-nochart`] = [{ apiVersion: "v2", name: `regkit-${runId}-invalid-pat-nochart`, version: "1.0.0", digest: "0".repeat(64), urls: ["charts/x.tgz"] }];
    });
    const result = await runFaulty(fault, "helm.invalid-chart", { runId });
    expectFailure(result, /^GET .*\/index\.yaml 200$/);
    expect(result.message).toMatch(/without Chart\.yaml is listed/);
  });

  it("helm.invalid-chart: a 5xx for an invalid upload is neither a refusal nor an acceptance", async () => {
    const fault: Fault = (ex) => (ex.method === "POST" ? { response: () => ({ status: 502, body: "bad gateway" }) } : undefined);
    const result = await runFaulty(fault, "helm.invalid-chart");
    expect(["fail", "error"]).toContain(result.status);
    expect(result.message).toMatch(/502/);
  });

  it("search: an index that leaves the chart out finds nothing", async () => {
    const fault = mapIndex((entries) => {
      for (const name of Object.keys(entries)) if (/-search-/.test(name)) delete entries[name];
    });
    const result = await runFaulty(fault, "search");
    expectFailure(result, /^GET .*\/index\.yaml 200$/);
  });

  it("push.many: an index that slows down as charts land", async () => {
    const report = await harness().run(delayResponses({ when: (ex) => isIndex(ex.path, ex.method), stepMs: 4, maxMs: 400 }), {
      scenarios: ["push.many"],
      settings: { ...settings, latencyBudgetMs: 150, latencyStopAfter: 3 },
      options: { manyVersions: 12, manyPackages: 2 },
      seed: 42,
    });
    const result = resultOf(report, "push.many");
    expect(result.status, result.message).toBe("fail");
    expect(result.message).toMatch(/over the 150 ms budget|median/);
  });

  it("auth.matrix: a registry that lets anyone upload", async () => {
    const report = await harness().run(ignoreCredentials({ validTokens: [] }), { scenarios: ["auth.matrix"], tokenKinds: ["anonymous"], settings });
    expect(resultOf(report, "auth.matrix", "anonymous").status).toBe("fail");
  });

  describe.skipIf(helmWhy !== undefined)(`with the real helm${helmWhy ? ` (skipped: ${helmWhy})` : ""}`, () => {
    it("helm.client: an index helm cannot read fails with helm's own words", async () => {
      const fault: Fault = (ex) => (isIndex(ex.path, ex.method) && /helm/i.test(ex.headers["user-agent"] ?? "") ? { response: () => ({ body: "apiVersion: [unterminated" }) } : undefined);
      const result = await runFaulty(fault, "helm.client");
      expect(result.status, result.message).toBe("fail");
      expect(result.expectation?.actual).toMatch(/exit code [1-9]/);
    });

    it("clients.roundtrip: helm pull gets other bytes than were published", async () => {
      const fault = corruptBody({ when: (ex) => isChart(ex.path, ex.method) && /helm/i.test(ex.headers["user-agent"] ?? "") });
      const result = await runFaulty(fault, "clients.roundtrip");
      expect(result.status, result.message).toBe("fail");
    });
  });
});
