import * as fc from "fast-check";
import type { Artifact, Content, Downloaded, Exchange, LatencySeries, ListedFile, PublishOutcome, RegistryClient, ScenarioContext } from "../contract.js";
import { compareDigests } from "../content.js";
import { ConformanceFailure, ProtocolError, ScenarioSkip, describeExchange } from "../errors.js";

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

/** Every file an artifact was published with, the main one first. */
export function filesOf(artifact: Artifact): readonly { readonly filename: string; readonly content: Content }[] {
  return [{ filename: artifact.filename, content: artifact.content }, ...(artifact.extra ?? [])];
}

/**
 * Every file of every artifact (versions of one package) must be listed once
 * for its version, with the digests it was uploaded with, and, with
 * `download` (the default) or for the artifacts it names, serve the same
 * bytes. One listing request for all of them; kits without a file listing
 * (Maven) are checked by download alone.
 */
export async function mustHoldFiles(
  ctx: ScenarioContext,
  client: RegistryClient,
  artifacts: readonly Artifact[],
  what: string,
  options: { readonly download?: boolean | ((artifact: Artifact) => boolean) } = {},
): Promise<void> {
  const [first] = artifacts;
  if (!first) return;
  if (client.files) {
    const all = await client.files(first.name);
    const evidence = lastExchanges(ctx, 1);
    for (const artifact of artifacts) {
      const mine = all.filter((f) => ctx.kit.compareVersions(f.version, artifact.version) === 0);
      for (const file of filesOf(artifact)) checkListed(artifact, file, mine, what, evidence);
    }
  }
  if (!client.downloadFile) return;
  const download = options.download ?? true;
  for (const artifact of artifacts) {
    if (typeof download === "function" ? !download(artifact) : !download) continue;
    for (const file of filesOf(artifact)) {
      const got = await client.downloadFile(artifact.name, artifact.version, file.filename).catch((error: unknown) => {
        // Say which check found it: the adapter's message names the file and the request.
        if (error instanceof ConformanceFailure) throw new ConformanceFailure(`${what}: ${error.message}`, error.expectation, error.exchanges, error.replay);
        throw error;
      });
      mustMatch({ ...artifact, filename: file.filename, content: file.content }, got, `${what}: ${artifact.name}@${artifact.version}`);
    }
  }
}

function checkListed(
  artifact: Artifact,
  file: { readonly filename: string; readonly content: Content },
  listedFiles: readonly ListedFile[],
  what: string,
  evidence: readonly Exchange[],
): void {
  const where = `${artifact.name}@${artifact.version}`;
  const names = `[${listedFiles.map((f) => f.filename).join(", ")}]`;
  const matches = listedFiles.filter((f) => f.filename === file.filename);
  if (matches.length !== 1) {
    throw new ConformanceFailure(
      `${what}: ${file.filename} of ${where} is ${matches.length === 0 ? "not listed" : `listed ${matches.length} times`}`,
      { expected: `${file.filename} listed once among the files of ${where}`, actual: `files listed for ${artifact.version}: ${names}` },
      evidence,
    );
  }
  for (const [algorithm, value] of Object.entries(matches[0]!.digests)) {
    const uploaded = file.content.digests[algorithm as keyof Content["digests"]];
    if (value !== undefined && value.toLowerCase() !== uploaded) {
      throw new ConformanceFailure(
        `${what}: ${file.filename} of ${where} is listed with another ${algorithm} than it was uploaded with`,
        { expected: `${file.filename} listed with ${algorithm} ${uploaded}`, actual: `${file.filename} listed with ${algorithm} ${value}` },
        evidence,
      );
    }
  }
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
  // A skip inside a property (an adapter that lacks what it needs) is a skip, not a crash.
  if (error instanceof ScenarioSkip) throw error;
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
