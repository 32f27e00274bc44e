import * as fc from "fast-check";
import type { Artifact, Downloaded, Exchange, LatencySeries, PublishOutcome, RegistryClient, ScenarioContext } from "../contract.js";
import { compareDigests } from "../content.js";
import { ConformanceFailure, ProtocolError, describeExchange } from "../errors.js";

/** The publish must be accepted; a 5xx is an error, any other refusal a failure. */
export function mustAccept(outcome: PublishOutcome, what: string): void {
  if (outcome.accepted) return;
  const where = describeExchange(outcome.exchange);
  const body = outcome.exchange.responseSnippet ? `: ${outcome.exchange.responseSnippet.slice(0, 200).replace(/\s+/g, " ")}` : "";
  if (outcome.status >= 500) {
    throw new ProtocolError(`${what} failed with a server error (${where})${body}`, [outcome.exchange]);
  }
  throw new ConformanceFailure(
    `${what} was refused (${where})${body}`,
    { expected: "a 2xx status (publish accepted)", actual: `status ${outcome.status}` },
    [outcome.exchange],
  );
}

/** The publish must be refused with a 4xx (in `statuses` when given). */
export function mustRefuse(outcome: PublishOutcome, what: string, statuses: readonly number[]): void {
  const ok = statuses.length > 0 ? statuses.includes(outcome.status) : outcome.status >= 400 && outcome.status < 500;
  if (ok) return;
  if (outcome.status >= 500) {
    throw new ProtocolError(`${what}: server error instead of a refusal (${describeExchange(outcome.exchange)})`, [outcome.exchange], {
      expected: expectedStatuses(statuses),
      actual: `status ${outcome.status}`,
    });
  }
  throw new ConformanceFailure(
    `${what}: ${outcome.accepted ? "accepted" : "refused with an unexpected status"} (${describeExchange(outcome.exchange)})`,
    { expected: expectedStatuses(statuses), actual: `status ${outcome.status}` },
    [outcome.exchange],
  );
}

function expectedStatuses(statuses: readonly number[]): string {
  return statuses.length > 0 ? `refused with status ${statuses.join(" or ")}` : "refused with a 4xx status";
}

/** The download must equal the artifact byte for byte (size and four digests). */
export function mustMatch(artifact: Artifact, downloaded: Downloaded, what: string): void {
  const differs = downloaded.size !== artifact.content.size ? "size" : compareDigests(artifact.content.digests, downloaded.digests);
  if (!differs) return;
  const pick = (d: { size: number; digests: { sha256: string } }): string => `${d.size} bytes, sha256 ${d.digests.sha256}`;
  throw new ConformanceFailure(
    `${what}: the downloaded ${artifact.filename} differs from what was published (${differs} differs; ${describeExchange(downloaded.exchange)})`,
    { expected: pick({ size: artifact.content.size, digests: artifact.content.digests }), actual: pick(downloaded) },
    [downloaded.exchange],
  );
}

/** Versions listed that equal `version` in the format's order. */
export function listed(ctx: ScenarioContext, versions: readonly string[], version: string): number {
  return versions.filter((v) => ctx.kit.compareVersions(v, version) === 0).length;
}

/** The listing must contain (or not contain) `version`. */
export async function mustList(
  ctx: ScenarioContext,
  client: RegistryClient,
  name: string,
  version: string,
  present: boolean,
  what: string,
): Promise<readonly string[]> {
  const versions = await client.versions(name);
  const count = listed(ctx, versions, version);
  if (present ? count === 0 : count > 0) {
    throw new ConformanceFailure(
      `${what}: ${name}@${version} is ${present ? "missing from" : "listed in"} the versions the registry lists`,
      { expected: present ? `${version} listed` : `${version} not listed`, actual: `versions [${versions.join(", ")}]` },
      lastExchanges(ctx, 2),
    );
  }
  return versions;
}

export function lastExchanges(ctx: ScenarioContext, n: number): Exchange[] {
  return ctx.exchanges().slice(-n);
}

/** Builds, publishes (must be accepted) and tracks a package. */
export async function publishNew(
  ctx: ScenarioContext,
  client: RegistryClient,
  spec: Parameters<ScenarioContext["build"]>[0],
  what: string,
): Promise<Artifact> {
  const artifact = await ctx.build(spec);
  ctx.track(artifact.name, artifact.version);
  mustAccept(await client.publish(artifact), what);
  return artifact;
}

/** A tiny file tree that makes two builds of one version differ. */
export function marker(text: string): Record<string, Uint8Array> {
  return { "regkit-marker.txt": new TextEncoder().encode(`${text}\n`) };
}

/**
 * Runs a fast-check property against the registry without shrinking (every
 * run publishes), turning a counterexample into a failure that can be replayed.
 */
export async function property<T>(
  ctx: ScenarioContext,
  arbitrary: fc.Arbitrary<T>,
  predicate: (value: T) => Promise<void>,
): Promise<void> {
  const details = await fc.check(fc.asyncProperty(arbitrary, predicate), {
    seed: ctx.fc.seed,
    numRuns: ctx.fc.numRuns,
    endOnFailure: true,
  });
  if (!details.failed) return;
  const error = details.errorInstance;
  const replay = { seed: details.seed, path: details.counterexamplePath ?? undefined };
  const counterexample = details.counterexample ? fc.stringify(details.counterexample[0]) : "?";
  if (error instanceof ConformanceFailure) {
    throw new ConformanceFailure(`${error.message} [counterexample ${counterexample.slice(0, 200)}]`, error.expectation, error.exchanges, replay);
  }
  if (error instanceof ProtocolError) throw error;
  throw new ProtocolError(`property crashed: ${(error as Error | undefined)?.message ?? String(error)}`);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A latency series with its first- and last-tenth medians. */
export function latencySeries(label: string, points: readonly (readonly [number, number])[], budgetMs: number): LatencySeries {
  const tenth = Math.max(1, Math.floor(points.length / 10));
  const ms = points.map(([, v]) => v);
  return {
    label,
    points,
    budgetMs,
    firstTenthMedianMs: median(ms.slice(0, tenth)),
    lastTenthMedianMs: median(ms.slice(-tenth)),
    maxMs: Math.max(0, ...ms),
  };
}

/** Fails on a response over budget or on latency that grows with the count. */
export function checkLatency(ctx: ScenarioContext, series: LatencySeries, slowest: Exchange | undefined): void {
  const { latencyBudgetMs, latencyGrowthFactor, latencyGrowthFloorMs } = ctx.options;
  const over = series.points.find(([, ms]) => ms > latencyBudgetMs);
  if (over) {
    throw new ConformanceFailure(
      `${series.label}: a metadata response took ${over[1].toFixed(0)} ms at ${over[0]} packages, over the ${latencyBudgetMs} ms budget`,
      { expected: `every response under ${latencyBudgetMs} ms`, actual: `${over[1].toFixed(0)} ms at count ${over[0]}` },
      slowest ? [slowest] : [],
    );
  }
  const { firstTenthMedianMs: first, lastTenthMedianMs: last } = series;
  if (last - first > latencyGrowthFloorMs && last > first * latencyGrowthFactor) {
    throw new ConformanceFailure(
      `${series.label}: metadata latency grows with the package count (median of the last tenth ${last.toFixed(1)} ms vs the first tenth ${first.toFixed(1)} ms)`,
      {
        expected: `last-tenth median at most ${latencyGrowthFactor}x the first (${first.toFixed(1)} ms), or within ${latencyGrowthFloorMs} ms`,
        actual: `${last.toFixed(1)} ms (${(last / Math.max(first, 0.001)).toFixed(1)}x)`,
      },
      slowest ? [slowest] : [],
    );
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
