// The reference registry under load, for every format, through each kit's own
// adapter (what `runConformance` connects): 32 clients on 127.0.0.1 at once,
// publishers and readers, a fixed number of operations. What must hold:
// - no request gets a 5xx (or no answer);
// - no version is lost or doubled: a listing holds every version acknowledged
//   before it was asked for, nothing nobody published, nothing twice, and at
//   the end exactly what was acknowledged, each with the bytes published;
// - one winner per duplicate race: N clients publishing the same new version at
//   once (the reject policy) get exactly one 2xx, the others the format's
//   duplicate status, and the stored bytes are the winner's.
// Each of those checks is then run against a registry that gets it wrong (the
// reference behind a fault proxy) and must say so. Throughput and latency
// figures are the benchmark's (`pnpm bench`), not this test's.
import { ConformanceFailure, ProtocolError, createHttpClient, credentialFor, describeExchange, resolveTarget, targetSecrets } from "@regkit/core";
import type { Artifact, Exchange, FormatKit, RegistryClient, Target, TokenKind } from "@regkit/core";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { acceptDuplicates, mapJson, startFaultyProxy, type Fault } from "@regkit/registry/faults";
import { Agent } from "undici";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
// @regkit/cli is not a dependency of @regkit/registry (it depends on the
// registry): its built entry is imported by path, as tooling/bench does.
import { kits, referenceFormats } from "@regkit/cli";

/** How much load: 32 clients at once (24 publishers, 8 readers), then races of 16. */
interface LoadPlan {
  readonly publishers: number;
  readonly versionsPerPublisher: number;
  readonly packages: number;
  readonly readers: number;
  readonly readsPerReader: number;
  readonly racers: number;
  readonly races: number;
}

const PLAN: LoadPlan = { publishers: 24, versionsPerPublisher: 4, packages: 4, readers: 8, readsPerReader: 12, racers: 16, races: 3 };
/** A smaller plan for the runs against faulty registries: they only need to show the check failing. */
const SMALL: LoadPlan = { publishers: 6, versionsPerPublisher: 2, packages: 2, readers: 2, readsPerReader: 4, racers: 4, races: 1 };
const WRITERS: readonly TokenKind[] = ["personal", "deploy", "job"];
const READERS: readonly TokenKind[] = ["personal", "deploy", "job", "readonly"];

/** What one load run saw. Every problem says what was expected, what came back and which request. */
interface LoadVerdict {
  readonly problems: readonly string[];
  readonly acknowledged: number;
  readonly reads: number;
  readonly exchanges: number;
}

/** Where a load run goes: the registry (or a proxy in front of it) and the target that names its credentials. */
interface LoadTarget {
  readonly kit: FormatKit;
  /** The format endpoint of project 1, through whatever is in front of the registry. */
  readonly endpoint: string;
  readonly target: Target;
  /** The statuses the format answers a duplicate with. */
  readonly duplicateStatus: readonly number[];
  /** The format never refuses a duplicate (each upload a new revision): every racer wins, one racer's bytes are served. */
  readonly upserts?: boolean;
}

/**
 * Formats whose GitLab never refuses a duplicate, whatever the policy: a
 * re-upload is a new revision, and the newest is served. Their race expects
 * every publish accepted, the version listed once, and one racer's bytes whole.
 */
const UPSERTS: Readonly<Record<string, string>> = {
  conan: "GitLab upserts Conan recipe revisions (conanGitLabFacts.duplicates, upsert_recipe_revision_service.rb)",
};

/**
 * Spellings of project 1 (`regkit/demo`) in its URL: by id, then by path in
 * different cases (GitLab finds a project by path case-insensitively). Each
 * racer gets its own, as separate processes would: the Maven adapter
 * serializes deploys of one artifact per repository URL (what one `mvn` does),
 * which would otherwise turn the race into a queue.
 */
function projectSpelling(i: number): string {
  if (i === 0) return "1";
  const letters = [..."regkit"].map((c, bit) => ((i >> bit) & 1 ? c.toUpperCase() : c)).join("");
  const rest = [..."demo"].map((c, bit) => ((i >> (bit + 6)) & 1 ? c.toUpperCase() : c)).join("");
  return `${letters}${i & 1024 ? "%2F" : "%2f"}${rest}`;
}

function respell(endpoint: string, i: number): string {
  return endpoint.replace(/\/api\/v4\/projects\/1\//, `/api/v4/projects/${projectSpelling(i)}/`);
}

/** Different bytes for each (client, package, version): whose bytes were stored shows in the download. */
async function buildFor(kit: FormatKit, name: string, version: string, author: string): Promise<Artifact> {
  return kit.build({ name, version, description: `load test, ${author}`, files: { "author.txt": new TextEncoder().encode(`${author} ${name} ${version}\n`) } });
}

/** A problem found while calling the registry: the adapter's error names the request. */
function failureOf(action: string, error: unknown): string {
  if (error instanceof ProtocolError || error instanceof ConformanceFailure) return `${action}: ${error.message}`;
  return `${action}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Runs publishers and readers at once, then the duplicate races, and judges what came back. */
async function loadRun(to: LoadTarget, plan: LoadPlan, runId: string): Promise<LoadVerdict> {
  const { kit } = to;
  const problems: string[] = [];
  const exchanges: Exchange[] = [];
  // One connection per client and then some: 32 clients really are concurrent.
  const dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  const connect = (kind: TokenKind, endpoint: string, via: string): RegistryClient => {
    const target = resolveTarget(kit, { ...to.target, registry: endpoint });
    const credential = credentialFor(target, kind);
    if (!credential) throw new Error(`the target has no ${kind} credential`);
    const secrets = targetSecrets(target, credential);
    const http = createHttpClient({ baseUrl: endpoint, authHeaders: target.profile.authHeaders(credential), via, record: (e) => exchanges.push(e), secrets, dispatcher, timeoutMs: 60_000 });
    return kit.connect({ target, credential, http, runId, secrets });
  };
  try {
    const names = Array.from({ length: plan.packages }, (_, p) => kit.packageName(runId, `load-${p}`));
    // Built before the clock starts: the load is the registry's, not the builder's.
    const work = await Promise.all(
      Array.from({ length: plan.publishers }, async (_, w) =>
        Promise.all(Array.from({ length: plan.versionsPerPublisher }, (_, j) => buildFor(kit, names[(w + j) % plan.packages]!, `1.${w}.${j}`, `publisher ${w}`))),
      ),
    );
    const attempted = new Map<string, Set<string>>(names.map((n) => [n, new Set()]));
    const acknowledged = new Map<string, Map<string, Artifact>>(names.map((n) => [n, new Map()]));
    let reads = 0;
    let publishing = plan.publishers;

    const publisher = async (w: number): Promise<void> => {
      const client = connect(WRITERS[w % WRITERS.length]!, to.endpoint, `publisher-${w}`);
      try {
        for (const artifact of work[w]!) {
          attempted.get(artifact.name)!.add(artifact.version);
          try {
            const outcome = await client.publish(artifact);
            if (outcome.accepted) acknowledged.get(artifact.name)!.set(artifact.version, artifact);
            else problems.push(`publish ${artifact.name}@${artifact.version}: expected a 2xx, got ${describeExchange(outcome.exchange)}`);
          } catch (error) {
            problems.push(failureOf(`publish ${artifact.name}@${artifact.version}`, error));
          }
        }
      } finally {
        publishing -= 1;
      }
    };

    const reader = async (r: number): Promise<void> => {
      const client = connect(READERS[r % READERS.length]!, to.endpoint, `reader-${r}`);
      // A fixed number of reads, spread over the time the publishers run.
      for (let i = 0; i < plan.readsPerReader; i++) {
        const name = names[(r + i) % plan.packages]!;
        // What was acknowledged before the listing is asked for must be in it.
        const before = new Map(acknowledged.get(name)!);
        try {
          const listed = await client.versions(name);
          reads += 1;
          problems.push(...listingProblems(name, listed, { atLeast: [...before.keys()], atMost: attempted.get(name)! }));
          const [version, artifact] = [...before].at(i % Math.max(1, before.size)) ?? [];
          if (version && artifact) {
            const got = await client.download(name, version);
            reads += 1;
            if (got.digests.sha256 !== artifact.content.digests.sha256) {
              problems.push(`download ${name}@${version}: expected the published bytes (sha256 ${artifact.content.digests.sha256}), got sha256 ${got.digests.sha256} from ${describeExchange(got.exchange)}`);
            }
          }
        } catch (error) {
          problems.push(failureOf(`read ${name}`, error));
        }
        // Readers that run out of work early keep pace with the publishers instead of finishing first.
        if (publishing > 0) await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };

    await Promise.all([...Array.from({ length: plan.publishers }, (_, w) => publisher(w)), ...Array.from({ length: plan.readers }, (_, r) => reader(r))]);

    // Once it is quiet: every package lists exactly what was acknowledged, each with its bytes.
    const auditor = connect("personal", to.endpoint, "auditor");
    for (const name of names) {
      const acked = acknowledged.get(name)!;
      try {
        const listed = await auditor.versions(name);
        problems.push(...listingProblems(name, listed, { atLeast: [...acked.keys()], atMost: new Set(acked.keys()) }));
        for (const [version, artifact] of acked) {
          const got = await auditor.download(name, version);
          if (got.digests.sha256 !== artifact.content.digests.sha256) {
            problems.push(`download ${name}@${version} at the end: expected the published bytes (sha256 ${artifact.content.digests.sha256}), got sha256 ${got.digests.sha256} from ${describeExchange(got.exchange)}`);
          }
        }
      } catch (error) {
        problems.push(failureOf(`final read of ${name}`, error));
      }
    }

    for (let race = 0; race < plan.races; race++) problems.push(...(await duplicateRace(to, plan.racers, kit.packageName(runId, `race-${race}`), connect)));

    const broken = exchanges.filter((e) => e.status === 0 || e.status >= 500);
    problems.push(...broken.map((e) => `expected no 5xx and an answer to every request, got ${describeExchange(e)} (via ${e.via})`));
    const total = [...acknowledged.values()].reduce((n, m) => n + m.size, 0);
    return { problems, acknowledged: total, reads, exchanges: exchanges.length };
  } finally {
    await dispatcher.close();
  }
}

/** What is wrong with one listing: versions twice, versions missing, versions nobody published. */
function listingProblems(name: string, listed: readonly string[], expected: { readonly atLeast: readonly string[]; readonly atMost: ReadonlySet<string> }): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const version of listed) {
    if (seen.has(version)) problems.push(`listing of ${name}: expected each version once, got ${version} twice in [${listed.join(", ")}]`);
    seen.add(version);
  }
  const lost = expected.atLeast.filter((v) => !seen.has(v));
  if (lost.length > 0) problems.push(`listing of ${name}: expected every acknowledged version, missing [${lost.join(", ")}] in [${listed.join(", ")}]`);
  const unknown = listed.filter((v) => !expected.atMost.has(v));
  if (unknown.length > 0) problems.push(`listing of ${name}: expected only published versions, got [${unknown.join(", ")}] nobody published`);
  return problems;
}

/** N clients publish the same new version at once; exactly one may win, and its bytes are what is stored. */
async function duplicateRace(
  to: LoadTarget,
  racers: number,
  name: string,
  connect: (kind: TokenKind, endpoint: string, via: string) => RegistryClient,
): Promise<string[]> {
  const version = "2.0.0";
  const artifacts = await Promise.all(Array.from({ length: racers }, (_, i) => buildFor(to.kit, name, version, `racer ${i}`)));
  const clients = artifacts.map((_, i) => connect(WRITERS[i % WRITERS.length]!, respell(to.endpoint, i), `racer-${i}`));
  const outcomes = await Promise.all(
    clients.map(async (client, i) => {
      try {
        return { i, outcome: await client.publish(artifacts[i]!) };
      } catch (error) {
        return { i, error: failureOf(`racer ${i} publishing ${name}@${version}`, error) };
      }
    }),
  );
  const problems = outcomes.flatMap((o) => (o.error ? [o.error] : []));
  const winners = outcomes.filter((o) => o.outcome?.accepted);
  const statuses = outcomes.map((o) => o.outcome?.status ?? 0).join(", ");
  /** The version listed once and read back; `judge` names what is wrong with the bytes served, if anything. */
  const audit = async (judge: (sha256: string, exchange: Exchange) => string | undefined): Promise<void> => {
    const auditor = connect("personal", to.endpoint, "race-auditor");
    try {
      problems.push(...listingProblems(name, await auditor.versions(name), { atLeast: [version], atMost: new Set([version]) }));
      const got = await auditor.download(name, version);
      const wrong = judge(got.digests.sha256, got.exchange);
      if (wrong) problems.push(wrong);
    } catch (error) {
      problems.push(failureOf(`reading ${name}@${version} after the race`, error));
    }
  };
  if (to.upserts) {
    if (winners.length !== racers) problems.push(`race for ${name}@${version}: expected all ${racers} concurrent publishes accepted (the format upserts), got ${winners.length} (statuses ${statuses})`);
    await audit((sha256, exchange) =>
      artifacts.some((a) => a.content.digests.sha256 === sha256) ? undefined : `race for ${name}@${version}: expected one racer's bytes whole, got nobody's (sha256 ${sha256}) from ${describeExchange(exchange)}`,
    );
    return problems;
  }
  if (winners.length !== 1) {
    problems.push(`race for ${name}@${version}: expected exactly one 2xx of ${racers} concurrent publishes, got ${winners.length} (statuses ${statuses})`);
  }
  for (const o of outcomes) {
    const { outcome } = o;
    if (!outcome || outcome.accepted) continue;
    if (to.duplicateStatus.length > 0 && !to.duplicateStatus.includes(outcome.status)) {
      problems.push(`race for ${name}@${version}: expected the losers to get ${to.duplicateStatus.join(" or ")}, got ${describeExchange(outcome.exchange)}`);
    }
  }
  const winner = winners.length === 1 ? winners[0]! : undefined;
  if (winner) {
    const expected = artifacts[winner.i]!.content.digests.sha256;
    await audit((sha256, exchange) => {
      if (sha256 === expected) return undefined;
      const whose = artifacts.findIndex((a) => a.content.digests.sha256 === sha256);
      return `race for ${name}@${version}: expected the stored bytes to be the winner's (racer ${winner.i}, sha256 ${expected}), got ${whose >= 0 ? `racer ${whose}'s` : "nobody's"} (sha256 ${sha256}) from ${describeExchange(exchange)}`;
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------

const FORMATS = kits.filter((kit) => referenceFormats[kit.format] !== undefined);

/** A reference registry serving one format under the reject policy. */
async function startReference(format: string): Promise<ReferenceRegistry> {
  const reference = referenceFormats[format]!;
  return createReferenceRegistry({ formats: [reference], policies: { [format]: { duplicates: "reject" } } });
}

function loadTarget(kit: FormatKit, registry: ReferenceRegistry, endpoint = registry.registries[kit.format]!): LoadTarget {
  const target = referenceTarget(registry, kit.format);
  return { kit, endpoint, target, duplicateStatus: registry.settings(kit.format).policies.duplicateStatus, upserts: UPSERTS[kit.format] !== undefined };
}

test("every format with reference routes is loaded", () => {
  expect(FORMATS.map((k) => k.format).sort()).toEqual(Object.keys(referenceFormats).sort());
});

describe.each(FORMATS.map((kit) => [kit.format, kit] as const))("%s under 32 concurrent clients", (format, kit) => {
  let registry: ReferenceRegistry;
  beforeAll(async () => {
    registry = await startReference(format);
  });
  afterAll(async () => {
    await registry?.close();
  });

  test("publishers and readers at once: no 5xx, no version lost or doubled, one winner per duplicate race with its bytes stored", async () => {
    const verdict = await loadRun(loadTarget(kit, registry), PLAN, "load");
    expect(verdict.problems).toEqual([]);
    // The load really happened: every publish acknowledged, every read made.
    expect(verdict.acknowledged).toBe(PLAN.publishers * PLAN.versionsPerPublisher);
    expect(verdict.reads).toBeGreaterThanOrEqual(PLAN.readers * PLAN.readsPerReader);
  });
});

// ---------------------------------------------------------------------------
// Each check against a registry that gets it wrong: the npm reference (and the
// NuGet one, whose listing can hold a version twice) behind a fault proxy.

describe("the load checks fail against a registry that gets it wrong", () => {
  const npm = kits.find((k) => k.format === "npm")!;
  const nuget = kits.find((k) => k.format === "nuget")!;

  async function runThrough(kit: FormatKit, fault: Fault, plan = SMALL): Promise<LoadVerdict> {
    const registry = await startReference(kit.format);
    const proxy = await startFaultyProxy({ upstream: registry.url, fault });
    try {
      return await loadRun(loadTarget(kit, registry, registry.registries[kit.format]!.replace(registry.url, proxy.url)), plan, "fault");
    } finally {
      await proxy.close();
      await registry.close();
    }
  }

  test("a registry that takes duplicates: the race has more than one winner", async () => {
    const verdict = await runThrough(npm, acceptDuplicates());
    expect(verdict.problems.join("\n")).toMatch(/race for \S+@2\.0\.0: expected exactly one 2xx of 4 concurrent publishes, got 4/);
  });

  test("a registry that stores one racer's bytes and tells another it won: the stored bytes are not the winner's", async () => {
    // The real winner is told it lost, and the first loser that it won.
    let swapped = false;
    const fault: Fault = (exchange) =>
      exchange.method === "PUT" && exchange.path.includes("-race-")
        ? {
            response: (res) => {
              if (res.status >= 200 && res.status < 300) return { status: 403, body: JSON.stringify({ message: "Package already exists.", error: "Package already exists." }) };
              if (res.status === 403 && !swapped) {
                swapped = true;
                return { status: 201, body: JSON.stringify({ message: "201 Created" }) };
              }
              return undefined;
            },
          }
        : undefined;
    const verdict = await runThrough(npm, fault);
    expect(verdict.problems.join("\n")).toMatch(/expected the stored bytes to be the winner's \(racer \d+, sha256 [0-9a-f]{64}\), got racer \d+'s/);
  });

  test("a registry whose listing loses a version it acknowledged: the listing check names it", async () => {
    // Every packument read drops version 1.0.0 (publisher 0's first).
    const fault = mapJson({
      when: (e) => e.method === "GET" && /-load-0$/.test(e.path),
      map: (doc) => {
        if (doc !== null && typeof doc === "object" && "versions" in doc && doc.versions !== null && typeof doc.versions === "object") Reflect.deleteProperty(doc.versions, "1.0.0");
        return doc;
      },
    });
    const verdict = await runThrough(npm, fault);
    expect(verdict.problems.join("\n")).toMatch(/listing of \S+-load-0: expected every acknowledged version, missing \[1\.0\.0\]/);
  });

  test("a registry whose listing holds a version twice: the listing check names it", async () => {
    const fault = mapJson({
      when: (e) => e.method === "GET" && /\/download\/[^/]*load[.-]0\/index\.json$/i.test(e.path),
      map: (doc) => {
        if (doc !== null && typeof doc === "object" && "versions" in doc && Array.isArray(doc.versions) && doc.versions.length > 0) return { ...doc, versions: [...doc.versions, doc.versions[0]] };
        return doc;
      },
    });
    const verdict = await runThrough(nuget, fault);
    expect(verdict.problems.join("\n")).toMatch(/listing of \S+: expected each version once, got \S+ twice/);
  });

  test("a registry that fails a request with a 5xx: the run reports the request", async () => {
    let failed = false;
    const fault: Fault = (exchange) => {
      if (failed || exchange.method !== "GET" || exchange.count < 20) return undefined;
      failed = true;
      return { request: { answer: { status: 503, headers: { "content-type": "application/json" }, body: '{"message":"503 Service Unavailable"}' } } };
    };
    const verdict = await runThrough(npm, fault);
    expect(verdict.problems.join("\n")).toMatch(/expected no 5xx and an answer to every request, got GET \S+ -> 503/);
  });
});
