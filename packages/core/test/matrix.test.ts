// The compatibility matrix: client (and version) × registry (and profile) ×
// scenario. Unit tests of each part (which client a result blames, every
// status, the reason shown, a client not installed is a skip and never a
// pass), then real runs: the testkit's example kit with a real client (a node
// process speaking HTTP) and one that is not on the machine, against the
// reference registry as is and behind a fault proxy that corrupts what the
// client downloads. The runner fills each result's clients with the version the
// client's own probe printed, the HTML report shows the section, and the run
// reports written to a directory read back into the same matrix.
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  type ClientDriver,
  type Exchange,
  type RunReport,
  type ScenarioResult,
  buildCompatibilityMatrix,
  clientRunsOf,
  compatibilityCells,
  probeTool,
  probedVersion,
  readRunReports,
  registryLabel,
  renderCompatibilityHtml,
  renderCompatibilityMarkdown,
  renderHtml,
  runConformance,
  runReportFile,
  writeRunReport,
} from "@regkit/core";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { corruptBody, startFaultyProxy } from "@regkit/registry/faults";
import { exampleKit, exampleReference } from "@regkit/testkit";
import { generateDocs } from "../../../tooling/docs/generate.mjs";
import { ABSENT, absentClient, nodeClient } from "./example-clients.js";


const result = (fields: Partial<ScenarioResult> & Pick<ScenarioResult, "status">): ScenarioResult => ({
  format: "example",
  scenario: "clients.roundtrip",
  title: "Real clients publish and install",
  tokenKind: "personal",
  exchanges: [],
  durationMs: 1,
  notes: [],
  latency: [],
  throughput: {},
  ...fields,
});

const exchange = (via: string): Exchange => ({ method: "GET", url: "http://127.0.0.1/x", path: "/x", status: 200, durationMs: 1, requestHeaders: {}, responseHeaders: {}, via });

/** A driver whose version is what it says, and that is always there. */
const fake = (name: string, version?: string): ClientDriver => ({
  name,
  async unavailable() {
    return undefined;
  },
  ...(version === undefined ? {} : { version: async () => version }),
});

const report = (fields: Partial<RunReport> & Pick<RunReport, "results">): RunReport => ({
  schemaVersion: 4,
  tool: { name: "regkit", version: "0.1.0" },
  runId: "r1",
  format: "example",
  registry: "http://127.0.0.1:1234/example",
  profile: "gitlab",
  seed: 1,
  startedAt: new Date(0).toISOString(),
  durationMs: 1,
  settings: {},
  summary: { pass: 0, fail: 0, skip: 0, error: 0, deviation: 0, disabled: 0, deviationsGone: 0 },
  cleanup: { removed: 0, left: [], errors: [] },
  ...fields,
});

describe("which clients a result names, and how each did", () => {
  test("a pass passes every client used, with the version the driver says", async () => {
    const runs = await clientRunsOf(result({ status: "pass" }), new Map([["a", fake("a", "a 1.0")], ["b", fake("b", "b 2.0")]]));
    expect(runs).toEqual([
      { name: "a", version: "a 1.0", status: "pass" },
      { name: "b", version: "b 2.0", status: "pass" },
    ]);
  });

  test("a failure fails the client it names (message or last evidence), and not the others", async () => {
    const used = new Map([["pip", fake("pip", "pip 23")], ["twine", fake("twine", "twine 4")]]);
    const byMessage = await clientRunsOf(result({ status: "fail", message: "pip got other bytes for x@1 (published by twine)" }), used);
    expect(byMessage.map((r) => [r.name, r.status])).toEqual([["pip", "fail"], ["twine", "pass"]]);
    expect(byMessage[0]?.reason).toBe("pip got other bytes for x@1 (published by twine)");
    const byEvidence = await clientRunsOf(result({ status: "error", message: "timed out", exchanges: [exchange("adapter"), exchange("twine")] }), used);
    expect(byEvidence.map((r) => [r.name, r.status])).toEqual([["pip", "pass"], ["twine", "fail"]]);
  });

  test("a failure that names no client fails every client used: the round trip failed while they took part", async () => {
    const runs = await clientRunsOf(result({ status: "fail", message: "pulling back what the adapter published", exchanges: [exchange("adapter")] }), new Map([["a", fake("a")], ["b", fake("b")]]));
    expect(runs.map((r) => r.status)).toEqual(["fail", "fail"]);
  });

  test("a result that passed while noting a client's failure (endpoints.audit) fails that client, not the others", async () => {
    const notes = ["mvn publish was refused: [ERROR] ... 409 Conflict", "mvn-central install: mvn-central could not resolve x:1.0"];
    const runs = await clientRunsOf(result({ status: "pass", scenario: "endpoints.audit", notes }), new Map([["mvn", fake("mvn", "3.8.7")], ["mvn-central", fake("mvn-central", "3.8.7 (Central)")], ["other", fake("other", "1")]]));
    expect(runs).toEqual([
      { name: "mvn", version: "3.8.7", status: "fail", reason: notes[0] },
      { name: "mvn-central", version: "3.8.7 (Central)", status: "fail", reason: notes[1] },
      { name: "other", version: "1", status: "pass" },
    ]);
  });

  test("a recorded deviation is a deviation of the client, with the reason", async () => {
    const runs = await clientRunsOf(result({ status: "deviation", message: "known deviation x: y (source)" }), new Map([["a", fake("a", "1")]]));
    expect(runs).toEqual([{ name: "a", version: "1", status: "deviation", reason: "known deviation x: y (source)" }]);
  });

  test("a client not on the machine is a skip with the reason and no version, never a pass, even when the result passed", async () => {
    const notes = ["client skipped: nuget-exe: mono not found on PATH (Debian package mono-complete)"];
    const runs = await clientRunsOf(result({ status: "pass", notes }), new Map([["a", fake("a", "1")]]));
    expect(runs).toEqual([
      { name: "a", version: "1", status: "pass" },
      { name: "nuget-exe", status: "skip", reason: "mono not found on PATH (Debian package mono-complete)" },
    ]);
    // Skipped as a whole because no client was there: still each client's own reason.
    const whole = await clientRunsOf(result({ status: "skip", message: "no real client available (nuget-exe: ...)", notes }), new Map());
    expect(whole).toEqual([{ name: "nuget-exe", status: "skip", reason: "mono not found on PATH (Debian package mono-complete)" }]);
  });

  test("without version(), the version is the first line of the probe the driver's unavailable() ran", async () => {
    const probing: ClientDriver = {
      name: "probing",
      async unavailable() {
        return (await probeTool("bash", ["-c", "echo 'probing-tool 4.5.6'; echo more"])) ? undefined : "bash missing";
      },
    };
    const [run] = await clientRunsOf(result({ status: "pass" }), new Map([["probing", probing]]));
    expect(run).toEqual({ name: "probing", version: "probing-tool 4.5.6", status: "pass" });
    // Memoized probes count too: the second driver probing the same line still gets it.
    expect(await probedVersion(() => probeTool("bash", ["-c", "echo 'probing-tool 4.5.6'; echo more"]))).toBe("probing-tool 4.5.6");
    expect(await probedVersion(async () => undefined)).toBeUndefined();
  });
});

describe("the matrix built from reports", () => {
  const reports = [
    report({
      label: "reference",
      results: [
        result({ status: "pass", clients: [{ name: "mvn", version: "Apache Maven 3.8.7", status: "pass" }] }),
        result({ status: "pass", tokenKind: "deploy", clients: [{ name: "mvn", version: "Apache Maven 3.8.7", status: "pass" }] }),
        result({ status: "fail", tokenKind: "job", message: "mvn could not resolve", clients: [{ name: "mvn", version: "Apache Maven 3.8.7", status: "fail", reason: "mvn could not resolve" }] }),
        result({ status: "deviation", scenario: "endpoints.audit", clients: [{ name: "mvn", version: "Apache Maven 3.8.7", status: "deviation", reason: "known deviation d" }] }),
      ],
    }),
    report({
      profile: "dav",
      registry: "https://repo.example.com:8443/maven",
      results: [result({ status: "skip", message: "no real client", clients: [{ name: "mvn-central", status: "skip", reason: "plugins not in $REGKIT_TOOLS/maven-repo" }] })],
    }),
  ];
  const matrix = buildCompatibilityMatrix(reports);

  test("rows are client and version, columns registry and profile (a label, else the URL's host)", () => {
    expect(matrix.rows.map((r) => [r.client, r.version])).toEqual([["mvn", "Apache Maven 3.8.7"], ["mvn-central", undefined]]);
    expect(matrix.columns.map((c) => [c.registry, c.profile])).toEqual([["reference", "gitlab"], ["repo.example.com:8443", "dav"]]);
    // On the loopback the port (random in tests) is no part of the name.
    expect(registryLabel({ registry: "http://127.0.0.1:41234/maven" })).toBe("127.0.0.1");
  });

  test("a cell is the worst status over the token kinds, with the reason of that status", () => {
    const [mvn, central] = matrix.rows;
    const [reference, dav] = matrix.columns;
    const cells = compatibilityCells(matrix, mvn!, reference!);
    expect(cells.map((c) => [c.scenario, c.status, c.reason])).toEqual([
      ["clients.roundtrip", "fail", "mvn could not resolve"],
      ["endpoints.audit", "deviation", "known deviation d"],
    ]);
    expect(cells[0]!.kinds.map((k) => [k.tokenKind, k.status])).toEqual([["personal", "pass"], ["deploy", "pass"], ["job", "fail"]]);
    expect(compatibilityCells(matrix, mvn!, dav!)).toEqual([]);
    expect(compatibilityCells(matrix, central!, dav!).map((c) => [c.status, c.reason])).toEqual([["skip", "plugins not in $REGKIT_TOOLS/maven-repo"]]);
  });

  test("HTML and Markdown show every status and reason; a client not installed says so, never pass", () => {
    const html = renderCompatibilityHtml(matrix);
    expect(html).toContain('data-format="example"');
    expect(html).toMatch(/<li class="compat fail" data-scenario="clients\.roundtrip" data-status="fail"[^>]*><code>clients\.roundtrip<\/code> <strong>FAIL<\/strong><br><small class="reason">mvn could not resolve<\/small>/);
    expect(html).toMatch(/data-status="deviation"/);
    const central = /<tr data-client="mvn-central">.*?<\/tr>/s.exec(html)?.[0] ?? "";
    expect(central).toContain("version unknown: not installed");
    expect(central).toContain('data-status="skip"');
    expect(central).toContain("plugins not in $REGKIT_TOOLS/maven-repo");
    expect(central).not.toContain('data-status="pass"');
    expect(central).toContain("did not run");
    const md = renderCompatibilityMarkdown(matrix);
    expect(md).toContain("| client and version | reference (gitlab) | repo.example.com:8443 (dav) |");
    expect(md).toContain("`clients.roundtrip` fail: mvn could not resolve");
    expect(renderCompatibilityHtml(buildCompatibilityMatrix([report({ results: [result({ status: "pass" })] })]))).toContain("No real client took part");
  });
});

describe("real runs fill the matrix", () => {
  const kit = { ...exampleKit, drivers: [nodeClient(), absentClient] };
  let registry: ReferenceRegistry;
  let dir: string;
  let good: RunReport;
  let bad: RunReport;

  beforeAll(async () => {
    registry = await createReferenceRegistry({ formats: [exampleReference] });
    dir = await mkdtemp(join(tmpdir(), "regkit-matrix-"));
    const credentials = { personal: registry.tokens.personal };
    good = { ...(await runConformance({ kit, target: { registry: registry.registries.example!, credentials }, scenarios: ["clients.roundtrip"], tokenKinds: ["personal"] })), label: "reference" };
    // The client's download corrupted on the way: the client's own digest check must notice it.
    const proxy = await startFaultyProxy({ upstream: registry.url, fault: corruptBody({ when: (e) => e.method === "GET" && e.path.endsWith(".bin") }) });
    try {
      const target = { registry: registry.registries.example!.replace(registry.url, proxy.url), credentials };
      bad = { ...(await runConformance({ kit, target, scenarios: ["clients.roundtrip"], tokenKinds: ["personal"] })), label: "corrupting-proxy" };
    } finally {
      await proxy.close();
    }
  }, 120_000);

  afterAll(async () => {
    await registry?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test("each result carries its clients: the one that ran with node's version, the absent one skipped with the reason", () => {
    const clients = good.results[0]?.clients ?? [];
    expect(clients).toEqual([
      { name: "node-fetch", version: process.version, status: "pass" },
      { name: ABSENT, status: "skip", reason: `${ABSENT} not found on PATH` },
    ]);
    const failed = bad.results[0];
    expect(failed?.status).toBe("fail");
    expect(failed?.clients?.[0]).toMatchObject({ name: "node-fetch", version: process.version, status: "fail" });
    expect(failed?.clients?.[0]?.reason).toMatch(/^node-fetch got other bytes/);
  });

  test("the HTML report has the compatibility section with both registries", () => {
    const html = renderHtml([good, bad]);
    const section = /<section class="compatibility">.*?<\/section>/s.exec(html)?.[0] ?? "";
    expect(section).toContain("<h2>Compatibility</h2>");
    expect(section).toContain(`<th scope="row"><code>node-fetch</code><br><small class="version">${process.version}</small></th>`);
    // Columns in name order: corrupting-proxy, then reference.
    expect(section).toMatch(/<tr data-client="node-fetch"[^>]*>.*data-status="fail".*data-status="pass"/s);
    expect(section).toMatch(new RegExp(`<tr data-client="${ABSENT}">.*${ABSENT} not found on PATH`, "s"));
    // Failures come first, then the matrix, then each run.
    expect(html.indexOf('class="failures"')).toBeLessThan(html.indexOf('class="compatibility"'));
    expect(html.indexOf('class="compatibility"')).toBeLessThan(html.indexOf('class="report"'));
  });

  test("run reports written to a directory read back into the same matrix", async () => {
    expect(runReportFile(good)).toBe(`example-gitlab-reference-${good.runId}.json`);
    await writeRunReport(dir, good);
    await writeRunReport(dir, bad);
    await writeFile(join(dir, "not-a-report.json"), "{}");
    expect((await readdir(dir)).sort()).toEqual([`example-gitlab-corrupting-proxy-${bad.runId}.json`, `example-gitlab-reference-${good.runId}.json`, "not-a-report.json"]);
    const read = await readRunReports(dir);
    expect(read.map((r) => r.label)).toEqual(["corrupting-proxy", "reference"]);
    expect(buildCompatibilityMatrix(read)).toEqual(buildCompatibilityMatrix([bad, good]));
    expect(await readRunReports(join(dir, "missing"))).toEqual([]);
  });

  test("the generated docs' compatibility page is built from those run reports", async () => {
    await writeRunReport(dir, good);
    await writeRunReport(dir, bad);
    const out = join(dir, "site");
    await generateDocs(out, { typedoc: false, runs: dir });
    const page = await readFile(join(out, "compatibility.html"), "utf8");
    expect(page).toContain('<table class="compatibility" data-format="example">');
    expect(page).toContain(`<code>node-fetch</code><br><small class="version">${process.version}</small>`);
    expect(page).toMatch(new RegExp(`<tr data-client="${ABSENT}">.*${ABSENT} not found on PATH`, "s"));
    expect(page).toContain(`run <code>${good.runId}</code>`);
    await generateDocs(out, { typedoc: false, runs: join(dir, "missing") });
    expect(await readFile(join(out, "compatibility.html"), "utf8")).toContain("No run reports in");
  });
});
