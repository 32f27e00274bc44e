import type { Artifact, Exchange, Scenario } from "../contract.js";
import { ConformanceFailure } from "../errors.js";
import { checkLatency, latencySeries, listed, marker, mustAccept, mustHoldFiles, mustList, mustMatch, mustRefuse, publishNew } from "./helpers.js";

const MiB = 1024 * 1024;

export const pushSmall: Scenario = {
  id: "push.small",
  title: "Push a small package",
  checklist: 1,
  description:
    "Publishes a small package with the adapter: the registry must accept it, list its version and serve the same bytes back. The first thing every client does.",
  audience: "write",
  async run(ctx) {
    const artifact = await publishNew(ctx, ctx.client, { name: ctx.name("small"), version: "1.0.0", description: "regkit push.small" }, "publishing a small package");
    await mustList(ctx, ctx.client, artifact.name, artifact.version, true, "after publishing");
    mustMatch(artifact, await ctx.client.download(artifact.name, artifact.version), "pulling it back");
  },
};

export const pushDuplicate: Scenario = {
  id: "push.duplicate",
  title: "Push the same version again",
  checklist: 1,
  description:
    "Publishes a version, then the same version again with other bytes. Under a reject policy the second publish must be refused (with the documented status) and the original bytes stay; under an allow policy it is accepted and the version is still listed once.",
  audience: "write",
  async run(ctx) {
    const name = ctx.name("dup");
    const first = await publishNew(ctx, ctx.client, { name, version: "1.0.0", files: marker("first") }, "publishing the first copy");
    const second = await ctx.build({ name, version: "1.0.0", files: marker("second") });
    const outcome = await ctx.client.publish(second);
    const { duplicates, duplicateStatus } = ctx.target.policies;
    if (duplicates === "reject") {
      mustRefuse(outcome, `publishing ${name}@1.0.0 a second time under a reject policy`, duplicateStatus);
      mustMatch(first, await ctx.client.download(name, "1.0.0"), "after the refused duplicate, the original");
    } else {
      mustAccept(outcome, `publishing ${name}@1.0.0 a second time under an allow policy`);
      const versions = await ctx.client.versions(name);
      if (listed(ctx, versions, "1.0.0") !== 1) {
        throw new ConformanceFailure(`after a duplicate publish, 1.0.0 should be listed once`, { expected: "1.0.0 listed once", actual: `[${versions.join(", ")}]` });
      }
    }
  },
};

export const pushLarge: Scenario = {
  id: "push.large",
  title: "Push a large package near the limit",
  checklist: 2,
  description:
    "Publishes a package of options.largeSize bytes (default 64 MiB, up to the instance limit) streamed from generated content, pulls it back byte for byte and records upload and download throughput. Runs once per run, under the first write token kind the target has, as push.over-limit does: how the registry takes and serves a file near its size limit belongs to the instance (the credential is checked before the body, as for any upload), and every write kind publishes and pulls byte for byte in push.small, push.duplicate and pull.package. Run with one token kind (--token-kind deploy) for its large push.",
  audience: "write",
  timeoutMs: 900_000,
  oncePerRun: true,
  oncePerRunReason: "how the registry takes a file near its size limit belongs to the instance, not to the token; every write kind publishes and pulls byte for byte in push.small, push.duplicate and pull.package",
  async run(ctx) {
    const limit = ctx.target.limits.maxFileSize;
    let size = ctx.options.largeSize;
    if (limit > 0 && size > limit - MiB) {
      size = Math.max(MiB, limit - 2 * MiB);
      ctx.note(`largeSize ${ctx.options.largeSize} is over the ${limit}-byte limit; using ${size} bytes`);
    }
    const name = ctx.name("large");
    const artifact = await ctx.build({ name, version: "1.0.0", size });
    ctx.track(name, "1.0.0");
    const t0 = performance.now();
    mustAccept(await ctx.client.publish(artifact), `publishing a ${artifact.content.size}-byte package`);
    const t1 = performance.now();
    const downloaded = await ctx.client.download(name, "1.0.0");
    const t2 = performance.now();
    mustMatch(artifact, downloaded, "pulling the large package");
    ctx.throughput("upload", artifact.content.size / ((t1 - t0) / 1000));
    ctx.throughput("download", artifact.content.size / ((t2 - t1) / 1000));
    ctx.note(`${artifact.content.size} bytes`);
  },
};

export const pushOverLimit: Scenario = {
  id: "push.over-limit",
  title: "Push a package over the limit",
  checklist: 2,
  description:
    "Publishes a package 1 MiB over the declared maximum file size: the registry must refuse it with a 4xx (not a 5xx or a dropped connection) and nothing of it may become visible. Runs once per run, under the first write token kind the target has: the limit belongs to the instance. The upload stops as soon as the registry answers.",
  audience: "write",
  timeoutMs: 900_000,
  oncePerRun: true,
  oncePerRunReason: "the limit belongs to the instance",
  async run(ctx) {
    const limit = ctx.target.limits.maxFileSize;
    if (limit <= 0) ctx.skip(`the ${ctx.target.profile.name} profile declares no file size limit (0 = unlimited); set limits.maxFileSize (--max-file-size) to the instance limit`);
    const name = ctx.name("over");
    const artifact = await ctx.build({ name, version: "1.0.0", size: limit + MiB });
    ctx.track(name, "1.0.0");
    const outcome = await ctx.client.publish(artifact);
    mustRefuse(outcome, `publishing a ${artifact.content.size}-byte package over the ${limit}-byte limit`, []);
    await mustList(ctx, ctx.client, name, "1.0.0", false, "after the refused oversize publish");
  },
};

export const pushMany: Scenario = {
  id: "push.many",
  title: "Push hundreds of packages, watch metadata latency",
  checklist: 3,
  description:
    "Publishes options.manyVersions versions of one package, then options.manyPackages packages, timing the metadata endpoint after each publish. Fails on any response over the latency budget (after options.latencyStopAfter such responses in a row it stops publishing there, the series so far kept), or when the median of the last tenth exceeds the first tenth's by the growth factor (latency that grows with the package count); then every file of every version must be listed with its hash (a sample downloaded). Runs alone so timings are not skewed, and once per run, under the first write token kind the target has: how metadata latency grows with the package count belongs to the registry, not to the token (every write kind publishes in push.small and push.duplicate).",
  audience: "write",
  exclusive: true,
  oncePerRun: true,
  oncePerRunReason: "metadata latency as the package count grows belongs to the registry, not to the token; every write kind publishes in push.small and push.duplicate",
  timeoutMs: 1_800_000,
  async run(ctx) {
    const { manyVersions, manyPackages, latencyBudgetMs, latencyStopAfter } = ctx.options;
    const measure = async (label: string, count: number, publish: (i: number) => Promise<string>, probe: () => string): Promise<void> => {
      const points: [number, number][] = [];
      let slowest: Exchange | undefined;
      let overInARow = 0;
      for (let i = 0; i < count; i++) {
        ctx.signal.throwIfAborted();
        await publish(i);
        const exchange = await ctx.client.metadata(probe());
        if (exchange.status >= 400) {
          throw new ConformanceFailure(`${label}: the metadata endpoint answered ${exchange.status} after ${i + 1} publishes`, { expected: "status 200", actual: `status ${exchange.status}` }, [exchange]);
        }
        points.push([i + 1, exchange.durationMs]);
        if (!slowest || exchange.durationMs > slowest.durationMs) slowest = exchange;
        overInARow = exchange.durationMs > latencyBudgetMs ? overInARow + 1 : 0;
        // A response over the budget already fails the scenario; once several in a row
        // show it is no accident, publishing hundreds more would only cost time.
        if (latencyStopAfter > 0 && overInARow >= latencyStopAfter && i + 1 < count) {
          ctx.latency(latencySeries(label, points, latencyBudgetMs));
          throw new ConformanceFailure(
            `${label}: stopped after ${i + 1} of ${count} publishes: ${overInARow} consecutive metadata responses over the ${latencyBudgetMs} ms budget (the slowest ${slowest.durationMs.toFixed(0)} ms)`,
            { expected: `every metadata response under ${latencyBudgetMs} ms`, actual: `${overInARow} in a row over it, the last ${exchange.durationMs.toFixed(0)} ms at count ${i + 1}` },
            [slowest],
          );
        }
      }
      const series = latencySeries(label, points, latencyBudgetMs);
      ctx.latency(series);
      checkLatency(ctx, series, slowest);
    };

    const many = ctx.name("many");
    const published: string[] = [];
    const artifacts: Artifact[] = [];
    await measure(`${manyVersions} versions of one package`, manyVersions, async (i) => {
      const version = `1.0.${i}`;
      artifacts.push(await publishNew(ctx, ctx.client, { name: many, version }, `publishing ${many}@${version}`));
      published.push(version);
      return version;
    }, () => many);
    const versions = await ctx.client.versions(many);
    const missing = published.filter((v) => listed(ctx, versions, v) === 0);
    if (missing.length > 0 || versions.length !== published.length) {
      throw new ConformanceFailure(
        `after ${published.length} publishes the registry lists ${versions.length} versions of ${many}`,
        { expected: `${published.length} versions`, actual: `${versions.length} listed${missing.length ? `, missing ${missing.slice(0, 5).join(", ")}` : ""}` },
      );
    }
    // Every file of every version listed with its hash; the first, middle and last version downloaded file by file.
    const sampled = new Set([artifacts[0], artifacts[Math.floor(artifacts.length / 2)], artifacts.at(-1)]);
    await mustHoldFiles(ctx, ctx.client, artifacts, `after ${published.length} publishes`, { download: (a) => sampled.has(a) });

    let first = "";
    await measure(`${manyPackages} packages`, manyPackages, async (i) => {
      const name = ctx.name(`pkg${i}`);
      if (i === 0) first = name;
      await publishNew(ctx, ctx.client, { name, version: "1.0.0" }, `publishing ${name}`);
      return name;
    }, () => first);
  },
};
