/**
 * Scenarios only Helm has: what the channel's index.yaml says of each chart
 * (digest, urls, Chart.yaml's fields), the order it lists versions in, what
 * becomes of an upload that is no chart, and the real helm reading the
 * repository (repo add, search, pull through dependency update).
 *
 * @module
 */
import { createReadStream } from "node:fs";
import * as fc from "fast-check";
import { type Artifact, ConformanceFailure, type Exchange, type KitScenario, contentFromBytes, digestOf, gzipBytes, scenarioHelpers, tarStream } from "@regkit/core";
import { chartExtrasArbitrary } from "./arbitraries.js";
import { chartYaml } from "./chart.js";
import type { HelmClient } from "./client.js";
import { HELM_REPO, dependencyUpdate, helmDriver, repoAdd, searchRepo } from "./drivers.js";
import { fileNameOf } from "./index-file.js";
import { buildChart } from "./package.js";
import { type HelmProfile, INDEX_ORDER_DEVIATION, INVALID_CHART_DEVIATION, UPLOAD_API, VALIDATES_CHARTS, processingWaitOf } from "./profiles.js";
import { compareHelmVersions } from "./version.js";

type HelmScenario = KitScenario<HelmClient, HelmProfile>;

/** The name GitLab gives an upload until its background job has read the chart (`Packages::Helm::TEMPORARY_PACKAGE_NAME`). */
const GITLAB_TEMPORARY_PACKAGE = "Helm.Temporary.Package";

function mustAccept(outcome: { readonly accepted: boolean; readonly status: number; readonly exchange: Exchange }, what: string): void {
  if (!outcome.accepted) throw new ConformanceFailure(`${what} was refused`, { expected: "2xx", actual: `status ${outcome.status}` }, [outcome.exchange]);
}

const sortedDescending = (versions: readonly string[]) => [...versions].sort((a, b) => -compareHelmVersions(a, b));

/** Each version's entry in the index: listed once, its digest the archive's SHA-256, its url the archive's file name, Chart.yaml's fields kept. */
export const helmIndexEntries: HelmScenario = {
  id: "helm.index",
  title: "index.yaml describes each chart as uploaded",
  checklist: 5,
  description:
    "Property: charts with generated versions, app versions, keywords and dependencies are published to a fresh chart; the channel's index.yaml (apiVersion v1) must list each version once with `digest` the archive's SHA-256, `urls` ending in `<name>-<version>.tgz` that serve those bytes, and Chart.yaml's apiVersion, description and appVersion as written.",
  audience: "write",
  async run(ctx) {
    let n = 0;
    const same = (a: string, b: string) => ctx.kit.compareVersions(a, b) === 0;
    const arb = fc.tuple(fc.uniqueArray(ctx.kit.arbitraries.version(), { minLength: 1, maxLength: 3, comparator: same }), chartExtrasArbitrary());
    await scenarioHelpers.property(ctx, arb, async ([versions, extras]) => {
        const name = ctx.name(`index${n++}`);
        const published: Artifact[] = [];
        for (const version of versions) {
          const artifact = await buildChart({ name, version }, extras);
          ctx.track(name, version);
          mustAccept(await ctx.client.publish(artifact), `publishing ${name}@${version}`);
          published.push(artifact);
        }
        const { entries, fetched } = await ctx.client.entries(name);
        const evidence = [fetched.exchange];
        if (fetched.index.apiVersion !== "v1") throw new ConformanceFailure("index.yaml's apiVersion is not v1", { expected: "apiVersion: v1", actual: `apiVersion: ${fetched.index.apiVersion}` }, evidence);
        for (const artifact of published) {
          const mine = entries.filter((e) => e.version === artifact.version);
          const where = `${name}@${artifact.version} in index.yaml`;
          if (mine.length !== 1) throw new ConformanceFailure(`${where} is listed ${mine.length} times`, { expected: "listed once", actual: `versions [${entries.map((e) => e.version).join(", ")}]` }, evidence);
          const entry = mine[0]!;
          if (entry.digest !== artifact.content.digests.sha256) throw new ConformanceFailure(`${where}: digest is not the archive's SHA-256`, { expected: artifact.content.digests.sha256, actual: entry.digest ?? "no digest" }, evidence);
          if (fileNameOf(entry.urls[0] ?? "") !== artifact.filename) throw new ConformanceFailure(`${where}: urls do not point at ${artifact.filename}`, { expected: `urls: [.../${artifact.filename}]`, actual: `urls: [${entry.urls.join(", ")}]` }, evidence);
          const expectedApp = extras.appVersion ?? artifact.version;
          if (entry.apiVersion !== "v2" || entry.appVersion !== expectedApp || entry.description !== `regkit conformance chart ${name}`) {
            throw new ConformanceFailure(`${where} does not carry Chart.yaml's fields`, { expected: `apiVersion v2, appVersion ${expectedApp}, description "regkit conformance chart ${name}"`, actual: `apiVersion ${entry.apiVersion}, appVersion ${entry.appVersion}, description ${JSON.stringify(entry.description)}` }, evidence);
          }
          const got = await ctx.client.download(name, artifact.version);
          if (got.digests.sha256 !== artifact.content.digests.sha256) {
            throw new ConformanceFailure(`${artifact.filename} is not served as uploaded`, { expected: `sha256 ${artifact.content.digests.sha256}`, actual: `sha256 ${got.digests.sha256}` }, [got.exchange]);
          }
        }
    });
  },
};

/** Versions published out of order; the index should list them newest SemVer first, as `helm repo index` and ChartMuseum write it. */
export const helmIndexOrder: HelmScenario = {
  id: "helm.index-order",
  title: "index.yaml lists a chart's versions in SemVer order",
  checklist: 5,
  description:
    "Publishes 1.0.0, 2.0.0, 1.10.0, 1.2.0-rc.1 and 1.2.0 of a chart in that order; the index must list all five, and (as `helm repo index` and ChartMuseum write it) newest SemVer first: 2.0.0, 1.10.0, 1.2.0, 1.2.0-rc.1, 1.0.0. Helm sorts entries itself when it loads an index, so a registry that does not is recorded as a deviation where its profile knows it.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("order");
    const versions = ["1.0.0", "2.0.0", "1.10.0", "1.2.0-rc.1", "1.2.0"];
    for (const version of versions) {
      ctx.track(name, version);
      mustAccept(await ctx.client.publish(await ctx.build({ name, version })), `publishing ${name}@${version}`);
    }
    const { entries, fetched } = await ctx.client.entries(name);
    const listed = entries.map((e) => e.version);
    const missing = versions.filter((v) => !listed.includes(v));
    if (missing.length > 0 || listed.length !== versions.length) {
      throw new ConformanceFailure(`index.yaml does not list the ${versions.length} versions of ${name}`, { expected: `[${versions.join(", ")}]`, actual: `[${listed.join(", ")}]` }, [fetched.exchange]);
    }
    await ctx.deviates(INDEX_ORDER_DEVIATION, async () => {
      const expected = sortedDescending(versions);
      if (listed.join(",") !== expected.join(",")) {
        throw new ConformanceFailure(`index.yaml lists ${name}'s versions out of SemVer order`, { expected: `[${expected.join(", ")}]`, actual: `[${listed.join(", ")}]` }, [fetched.exchange]);
      }
    });
  },
};

/** Uploads that are no chart Helm or the registry can read. */
async function notACharts(name: string, invalidName: string): Promise<{ readonly what: string; readonly name: string; readonly version: string; readonly artifact: Artifact }[]> {
  const enc = new TextEncoder();
  const noChartYaml = contentFromBytes(await gzipBytes(tarStream([{ path: `${name}-nochart/values.yaml`, bytes: enc.encode("a: 1\n") }]), 9));
  const notGzip = contentFromBytes(enc.encode("this is not a chart archive\n"));
  const badName = await buildChart({ name: invalidName, version: "1.0.0" });
  const badVersion = contentFromBytes(await gzipBytes(tarStream([{ path: `${name}-badver/Chart.yaml`, bytes: enc.encode(chartYaml({ apiVersion: "v2", name: `${name}-badver`, version: "1.0" })) }]), 9));
  return [
    { what: "a gzip tar without Chart.yaml", name: `${name}-nochart`, version: "1.0.0", artifact: { name: `${name}-nochart`, version: "1.0.0", filename: `${name}-nochart-1.0.0.tgz`, content: noChartYaml } },
    { what: "a file that is not gzip", name: `${name}-notgz`, version: "1.0.0", artifact: { name: `${name}-notgz`, version: "1.0.0", filename: `${name}-notgz-1.0.0.tgz`, content: notGzip } },
    { what: `a chart named ${JSON.stringify(invalidName)} (outside the name rule)`, name: invalidName, version: "1.0.0", artifact: badName },
    { what: "a chart whose version 1.0 is not SemVer", name: `${name}-badver`, version: "1.0", artifact: { name: `${name}-badver`, version: "1.0", filename: `${name}-badver-1.0.tgz`, content: badVersion } },
  ];
}

export const helmInvalidChart: HelmScenario = {
  id: "helm.invalid-chart",
  title: "An upload that is no valid chart is refused and never listed",
  checklist: 1,
  description:
    "Uploads a gzip tar without Chart.yaml, a file that is not gzip, a chart whose name breaks the registry's rule and one whose version is not SemVer. Each should be refused with a 4xx (ChartMuseum answers 400); a registry that accepts it first (GitLab reads charts in a background job and answers 201) is recorded as a deviation where its profile knows it. Either way none of them may ever appear in the index (checked after the processing wait).",
  audience: "write",
  requires: [UPLOAD_API, VALIDATES_CHARTS],
  // What a registry does with an upload that is no chart does not depend on the token; on GitLab each accepted one stays behind (below).
  oncePerRun: true,
  oncePerRunReason: "what the registry does with an upload that is no chart belongs to the registry, not to the token",
  async run(ctx) {
    const base = ctx.name("invalid");
    const invalidName = fc.sample(ctx.kit.arbitraries.invalidName(), { seed: ctx.fc.seed, numRuns: 1 })[0] ?? "bad--name";
    const cases = await notACharts(base, ctx.name(invalidName));
    const accepted: string[] = [];
    for (const c of cases) {
      ctx.track(c.name, c.version);
      const outcome = await ctx.client.upload(c.artifact.filename, c.artifact.content);
      if (outcome.accepted) accepted.push(c.what);
      else if (outcome.status < 400 || outcome.status >= 500) {
        throw new ConformanceFailure(`uploading ${c.what} was answered ${outcome.status}`, { expected: "a 4xx refusal (or a 2xx, then never listed)", actual: `status ${outcome.status}` }, [outcome.exchange]);
      }
    }
    if (accepted.length > 0) {
      // A registry that reads charts after answering: give it the processing wait to (not) list them.
      const wait = processingWaitOf(ctx.target.settings);
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, 2_000)));
    }
    const { fetched } = await ctx.client.entries(base);
    for (const c of cases) {
      const listed = fetched.index.entries.get(c.name) ?? [];
      if (listed.length > 0) {
        throw new ConformanceFailure(`${c.what} is listed in index.yaml`, { expected: `no entry ${c.name}`, actual: `versions [${listed.map((e) => e.version).join(", ")}]` }, [fetched.exchange]);
      }
    }
    ctx.note(accepted.length ? `accepted then never listed: ${accepted.join("; ")}` : "every invalid upload refused with a 4xx");
    if (accepted.length > 0 && ctx.target.profile.packagesApi) {
      ctx.note(
        `GitLab keeps each accepted upload it could not read as a package named ${GITLAB_TEMPORARY_PACKAGE} in status error; nothing ties it to this run, so cleanup does not remove it (Project > Deploy > Package Registry, or the Packages API)`,
      );
    }
    await ctx.deviates(INVALID_CHART_DEVIATION, async () => {
      if (accepted.length > 0) throw new ConformanceFailure(`the registry accepted ${accepted.length} uploads that are no valid chart`, { expected: "a 4xx for each", actual: `2xx for: ${accepted.join("; ")}` }, ctx.exchanges().slice(-cases.length - 1));
    });
  },
};

/** The real helm reads the repository: repo add, search (SemVer order), dependency update. */
export const helmClient: HelmScenario = {
  id: "helm.client",
  title: "helm adds, searches and resolves from the repository",
  checklist: 5,
  description:
    "Publishes 1.0.0, 1.10.0 and 1.2.0 of a chart (with a description naming the run), then drives the real helm 3: `helm repo add` of the channel with the token kind's credentials, `helm search repo` by name (all three versions, newest SemVer first) and by the description's words, and `helm dependency update` of a chart depending on 1.2.0, whose archive must be the bytes published.",
  audience: "write",
  async run(ctx) {
    const why = await helmDriver.unavailable();
    if (why) ctx.skip(`helm: ${why}`);
    const name = ctx.name("client-search");
    const keyword = `probe${ctx.runId}`;
    const versions = ["1.0.0", "1.10.0", "1.2.0"];
    const artifacts = new Map<string, Artifact>();
    for (const version of versions) {
      const artifact = await ctx.build({ name, version, description: `regkit ${keyword} chart` });
      ctx.track(name, version);
      mustAccept(await ctx.client.publish(artifact), `publishing ${name}@${version}`);
      artifacts.set(version, artifact);
    }
    const dctx = await ctx.driverContext(helmDriver);
    await repoAdd(dctx);
    const byName = await searchRepo(`${HELM_REPO}/${name}`, dctx);
    const found = byName.rows.filter((r) => r.name === `${HELM_REPO}/${name}`).map((r) => r.version);
    const expected = sortedDescending(versions);
    if (found.join(",") !== expected.join(",")) {
      throw new ConformanceFailure(`helm search repo ${HELM_REPO}/${name} --versions does not list the published versions newest first`, { expected: `[${expected.join(", ")}]`, actual: `[${found.join(", ")}]` }, ctx.exchanges().filter((e) => e.via === helmDriver.name).slice(-2));
    }
    const byWord = await searchRepo(keyword, dctx);
    if (!byWord.rows.some((r) => r.name === `${HELM_REPO}/${name}`)) {
      throw new ConformanceFailure(`helm search repo ${keyword} does not find ${name} by its description`, { expected: `${HELM_REPO}/${name} among the results`, actual: byWord.rows.map((r) => r.name).join(", ") || "no results" });
    }
    const { path } = await dependencyUpdate(name, "1.2.0", dctx);
    const { digests } = await digestOf(createReadStream(path));
    const published = artifacts.get("1.2.0")!;
    if (digests.sha256 !== published.content.digests.sha256) {
      throw new ConformanceFailure(`helm dependency update fetched other bytes for ${name}@1.2.0`, { expected: `sha256 ${published.content.digests.sha256}`, actual: `sha256 ${digests.sha256}` }, ctx.exchanges().filter((e) => e.via === helmDriver.name).slice(-2));
    }
    ctx.note(`helm listed [${found.join(", ")}], found the chart by ${keyword}, and dependency update fetched 1.2.0 byte for byte`);
  },
};

export const helmScenarios: readonly HelmScenario[] = [helmIndexEntries, helmIndexOrder, helmInvalidChart, helmClient];
