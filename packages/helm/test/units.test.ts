// Unit tests of the Helm kit's parts: SemVer order, the chart archives the
// kit builds (helm lint accepts them, with the real helm, over generated
// specs), Chart.yaml read back from an archive, and index.yaml parsing.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as fc from "fast-check";
import { gzipBytes, runTool, tarStream } from "@regkit/core";
import { afterAll, describe, expect, test } from "vitest";
import { SEMVER, buildChart, chartExtrasArbitrary, chartNameArbitrary, compareHelmVersions, helmDriver, helmGitLabFacts, helmKit, parseChartYaml, parseIndex, readChartYaml, semverArbitrary, semverPrecedence } from "@regkit/helm";

const seed = Number(process.env.REGKIT_SEED ?? 42);
const helmWhy = await helmDriver.unavailable();
const work = await mkdtemp(join(tmpdir(), "regkit-helm-units-"));
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe("SemVer order", () => {
  test("precedence follows SemVer 2 §11", () => {
    const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0"];
    for (let i = 0; i + 1 < ordered.length; i++) expect(semverPrecedence(ordered[i]!, ordered[i + 1]!), `${ordered[i]} < ${ordered[i + 1]}`).toBeLessThan(0);
    expect(semverPrecedence("1.0.0+a", "1.0.0+b")).toBe(0);
    expect(semverPrecedence("v1.0.0", "1.0.0")).toBe(0);
    expect(semverPrecedence("1.0", "1.0.0")).toBeNaN();
  });
  test("the kit's order never calls two distinct versions equal, and is antisymmetric", () => {
    fc.assert(
      fc.property(semverArbitrary(), semverArbitrary(), (a, b) => {
        expect(SEMVER.test(a)).toBe(true);
        expect(helmGitLabFacts.nameVersionRule.value.version.test(a)).toBe(true);
        const ab = compareHelmVersions(a, b);
        expect(Math.sign(ab)).toBe(-Math.sign(compareHelmVersions(b, a)));
        if (a !== b) expect(ab).not.toBe(0);
      }),
      { seed, numRuns: 200 },
    );
  });
});

describe("chart archives", () => {
  test("Chart.yaml is read back from the archive (and from a streamed, padded one)", async () => {
    const artifact = await buildChart({ name: "regkit-x-a", version: "1.2.3-rc.1", description: "d" }, { appVersion: "1.16", keywords: ["k"], dependencies: [{ name: "dep", version: "^1.0.0", repository: "@regkit" }] });
    const chart = parseChartYaml((await readChartYaml(artifact.content.bytes!))!);
    expect(chart).toEqual({ apiVersion: "v2", name: "regkit-x-a", version: "1.2.3-rc.1", description: "d", type: "application", keywords: ["k"], appVersion: "1.16", dependencies: [{ name: "dep", version: "^1.0.0", repository: "@regkit" }] });
    const large = await buildChart({ name: "regkit-x-b", version: "1.0.0", size: 3 * 1024 * 1024 });
    expect(large.content.size).toBeGreaterThan(3 * 1024 * 1024 - 8192);
    expect(parseChartYaml((await readChartYaml(large.content.stream()))!)?.name).toBe("regkit-x-b");
  });
  test("an archive without Chart.yaml, a non-gzip file and a bare Chart.yaml (no directory) give none", async () => {
    const enc = new TextEncoder();
    expect(await readChartYaml(await gzipBytes(tarStream([{ path: "x/values.yaml", bytes: enc.encode("a: 1") }]), 6))).toBeUndefined();
    expect(await readChartYaml(enc.encode("not gzip"))).toBeUndefined();
    expect(await readChartYaml(await gzipBytes(tarStream([{ path: "Chart.yaml", bytes: enc.encode("name: x") }]), 6))).toBeUndefined();
  });
  test("the same spec gives the same bytes; a marker file changes them", async () => {
    const a = await helmKit.build({ name: "regkit-x-c", version: "1.0.0" });
    const b = await helmKit.build({ name: "regkit-x-c", version: "1.0.0" });
    const c = await helmKit.build({ name: "regkit-x-c", version: "1.0.0", files: { "m.txt": new Uint8Array([1]) } });
    expect(a.content.digests.sha256).toBe(b.content.digests.sha256);
    expect(c.content.digests.sha256).not.toBe(a.content.digests.sha256);
    expect(a.filename).toBe("regkit-x-c-1.0.0.tgz");
  });

  test.skipIf(helmWhy !== undefined)(`helm lint accepts the charts the kit builds from generated specs${helmWhy ? ` (skipped: ${helmWhy})` : ""}`, async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(chartNameArbitrary(), semverArbitrary(), chartExtrasArbitrary(), fc.dictionary(fc.stringMatching(/^[a-z]{1,6}\.txt$/), fc.uint8Array({ maxLength: 32 }), { maxKeys: 2 }), async (base, version, extras, files) => {
        const artifact = await buildChart({ name: helmKit.packageName("lint", base), version, files }, extras);
        const file = join(work, `${n++}-${artifact.filename}`);
        await writeFile(file, artifact.content.bytes!);
        const result = await runTool({ command: "helm", args: ["lint", file], secrets: [], timeoutMs: 60_000, env: { HELM_CACHE_HOME: join(work, "cache"), HELM_CONFIG_HOME: join(work, "config"), HELM_DATA_HOME: join(work, "data") } });
        expect(result.code, result.output).toBe(0);
        expect(result.output).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      }),
      { seed, numRuns: 4 },
    );
  }, 120_000);
});

describe("index.yaml", () => {
  test("parses Helm's document: entries, digests, urls", () => {
    const index = parseIndex("apiVersion: v1\nentries:\n  a:\n  - name: a\n    version: 1.0.0\n    digest: ABC\n    urls: [charts/a-1.0.0.tgz]\n    appVersion: 1.16\ngenerated: x\n");
    expect(index.apiVersion).toBe("v1");
    expect(index.entries.get("a")).toEqual([expect.objectContaining({ name: "a", version: "1.0.0", digest: "abc", urls: ["charts/a-1.0.0.tgz"], appVersion: "1.16" })]);
  });
  test("says what is wrong with a document that is no index", () => {
    expect(() => parseIndex("entries: {}\n")).toThrow(/no apiVersion/);
    expect(() => parseIndex("apiVersion: v1\nentries: [1]\n")).toThrow(/not a mapping/);
    expect(() => parseIndex("apiVersion: v1\nentries:\n  a: 3\n")).toThrow(/entries\.a is not a list/);
    expect(() => parseIndex("apiVersion: [")).toThrow(/not YAML/);
  });
});
