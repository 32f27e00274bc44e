// Every Maven check must be able to fail: the reference registry behind a
// faulty proxy that gets one thing wrong, and the scenario that must catch it.
import type { ScenarioResult } from "@regkit/core";
import { type Fault, resultOf, truncateBody, useFaultHarness } from "@regkit/testkit";
import { describe, expect, it } from "vitest";
import { mavenKit } from "@regkit/maven";
import { mavenReference } from "@regkit/maven/reference";

const harness = useFaultHarness(mavenKit, mavenReference);
/**
 * Longer runs than the harness's default: model.random-ops needs up to 20
 * commands to reach the downloads the "every file" cases below break.
 */
const options = { numRuns: 5, maxCommands: 20 };

/** Runs `scenario` as the personal token through a proxy applying `fault`. */
async function runFaulty(fault: Fault, scenario: string, settings: Record<string, unknown> = {}): Promise<ScenarioResult> {
  return resultOf(await harness().run(fault, { scenarios: [scenario], settings, options, seed: 42 }), scenario);
}

const artifactMetadata = (path: string) => /\/maven-metadata\.xml$/.test(path) && !/-SNAPSHOT\/maven-metadata\.xml$/.test(path);
const versionMetadata = (path: string) => /-SNAPSHOT\/maven-metadata\.xml$/.test(path);

/**
 * A registry that keeps the first maven-metadata.xml written at a path and
 * answers later writes (and their checksum files) with `status` without storing them.
 */
function dropRewrites(metadata: (path: string) => boolean, status: number): () => Fault {
  return () => {
    const kept = new Set<string>();
    const dropping = new Set<string>();
    return (ex) => {
      if (ex.method !== "PUT") return undefined;
      const base = ex.path.replace(/\.(sha1|md5|sha256|sha512)$/, "");
      if (!metadata(base)) return undefined;
      if (base === ex.path) {
        if (kept.has(base)) dropping.add(base);
        kept.add(base);
      }
      return dropping.has(base) ? { request: { answer: { status } } } : undefined;
    };
  };
}

/** Rewrites the XML text of matching GET answers. */
function rewriteXml(when: (path: string) => boolean, change: (xml: string) => string): Fault {
  return (ex) =>
    ex.method === "GET" && when(ex.path)
      ? { response: (res) => (res.status === 200 ? { body: change(res.body.toString("utf8")) } : undefined) }
      : undefined;
}

describe("Maven checks fail against a registry that gets Maven wrong", () => {
  it("the scenario passes through a faithful proxy (the baseline for the cases below)", async () => {
    const result = await runFaulty(() => undefined, "maven.version-order");
    expect(result.status, result.message).toBe("pass");
  });

  it("maven.version-order fails when maven-metadata.xml misses a version", async () => {
    const result = await runFaulty(rewriteXml(artifactMetadata, (xml) => xml.replace(/<version>[^<]*<\/version>\s*/, "")), "maven.version-order");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/does not list/);
    expect(result.exchanges.at(-1)?.path).toMatch(/maven-metadata\.xml$/);
  });

  it("maven.version-order fails when <latest> points at the wrong version", async () => {
    const fault = rewriteXml(artifactMetadata, (xml) => {
      const first = /<version>([^<]*)<\/version>/.exec(xml)?.[1] ?? "0";
      return xml.replace(/<latest>[^<]*<\/latest>/, `<latest>${first}</latest>`);
    });
    const result = await runFaulty(fault, "maven.version-order");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/<latest>/);
    expect(result.expectation?.expected).toMatch(/^<latest>/);
  });

  it("maven.version-order and metadata.versions fail when the metadata is not updated after a deploy", async () => {
    // The first write of each artifact's metadata goes through; later ones are answered 200 and dropped.
    const stale = dropRewrites(artifactMetadata, 200);
    const result = await runFaulty(stale(), "maven.version-order");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/does not list/);
    const listing = await runFaulty(stale(), "metadata.versions");
    expect(listing.status).toBe("fail");
  });

  it("maven.checksums and pulls fail when a checksum file does not match", async () => {
    const fault: Fault = (ex) =>
      ex.method === "GET" && /\.jar\.sha1$/.test(ex.path) ? { response: () => ({ body: "0123456789abcdef0123456789abcdef01234567" }) } : undefined;
    const result = await runFaulty(fault, "maven.checksums");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/\.jar\.sha1 does not match/);
    expect(result.expectation?.actual).toContain("0123456789abcdef0123456789abcdef01234567");
    expect(result.exchanges.at(-1)?.path).toMatch(/\.jar\.sha1$/);
    const pull = await runFaulty(fault, "push.small");
    expect(pull.status).toBe("fail");
  });

  it("maven.checksums fails when a registry that should verify checksums accepts a wrong one", async () => {
    const fault: Fault = (ex) => (ex.method === "PUT" && /\.sha1$/.test(ex.path) ? { request: { answer: { status: 204 } } } : undefined);
    const result = await runFaulty(fault, "maven.checksums");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/wrong .*\.sha1 was accepted/);
  });

  it("maven.checksums fails when a registry that should verify SHA-2 checksums accepts a wrong .sha256", async () => {
    // The reference stores .sha256 as given, as GitLab does: wrong for a registry declared to verify them.
    const result = await runFaulty(() => undefined, "maven.checksums", { verifiesSha2Checksums: true });
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/wrong .*\.sha256 was accepted/);
  });

  it("maven.checksums fails when an accepted .sha256 is served as neither the upload nor the digest", async () => {
    // The deploy PUTs the jar's .sha256 once; the second PUT is the scenario's wrong one, after which the proxy serves garbage.
    let puts = 0;
    const fault: Fault = (ex) => {
      if (ex.method === "PUT" && /\.jar\.sha256$/.test(ex.path)) puts += 1;
      return ex.method === "GET" && /\.jar\.sha256$/.test(ex.path) && puts >= 2 ? { response: () => ({ body: "f".repeat(64) }) } : undefined;
    };
    const result = await runFaulty(fault, "maven.checksums");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/\.sha256 is neither what was uploaded nor the file's digest/);
  });

  it("maven.checksums fails when a registry refuses a .sha256 it does not verify (duplicates allowed)", async () => {
    const deployed = new Set<string>();
    const fault: Fault = (ex) => {
      if (ex.method !== "PUT" || !/\.jar\.sha256$/.test(ex.path)) return undefined;
      if (!deployed.has(ex.path)) {
        deployed.add(ex.path);
        return undefined;
      }
      return { request: { answer: { status: 409 } } };
    };
    const result = await runFaulty(fault, "maven.checksums");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/\.sha256 was refused by a registry that does not verify/);
  });

  it("pulls fail on a truncated jar: cut off mid-body, or served short", async () => {
    const cut = await runFaulty(truncateBody({ when: (ex) => ex.method === "GET" && ex.path.endsWith(".jar") }), "maven.classifiers");
    expect(cut.status).toBe("error");
    expect(cut.message).toMatch(/truncated|broke off/);
    const short: Fault = (ex) =>
      ex.method === "GET" && ex.path.endsWith(".jar") ? { response: (res) => ({ body: res.body.subarray(0, res.body.byteLength - 100) }) } : undefined;
    const served = await runFaulty(short, "push.small");
    expect(served.status).toBe("fail");
    expect(served.message).toMatch(/does not match/);
  });

  it("maven.snapshots fails when the version-level metadata is not updated", async () => {
    const result = await runFaulty(dropRewrites(versionMetadata, 201)(), "maven.snapshots");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/buildNumber|newest/);
  });

  it("maven.classifiers fails when a classifier jar is served with other bytes", async () => {
    const fault: Fault = (ex) =>
      ex.method === "GET" && /-sources\.jar$/.test(ex.path) ? { request: { answer: { status: 200, body: "not the sources jar" } } } : undefined;
    const result = await runFaulty(fault, "maven.classifiers");
    expect(result.status).toBe("fail");
    expect(result.message).toMatch(/-sources\.jar/);
  });
});

// A version is its jar and its pom, each with the .sha1 and .md5 Maven's layout keeps next to it. Maven lists
// no files per version, so the core scenarios that hold a version to every file it was published with
// (metadata.versions, model.random-ops, pull.duplicate) download each one and check its checksum files.
describe("a version is every file it was deployed with: the core scenarios fail when one is lost", () => {
  const holding = ["metadata.versions", "model.random-ops", "pull.duplicate"];
  /** GETs of a version's pom (not its checksum files). */
  const pom = (path: string) => /\/[^/]+\.pom$/.test(path);

  it.each(holding)("%s passes through a faithful proxy (no false alarm)", async (scenario) => {
    const result = await runFaulty(() => undefined, scenario);
    expect(result.status, result.message).toBe("pass");
  });

  it.each(holding)("%s fails when the pom of a version answers 404 while its jar is served", async (scenario) => {
    const fault: Fault = (ex) => (ex.method === "GET" && pom(ex.path) ? { request: { answer: { status: 404, body: "Package Not Found" } } } : undefined);
    const result = await runFaulty(fault, scenario);
    expect(result.status, result.message).toBe("fail");
    expect(result.message).toMatch(/-[^ /]+\.pom is not served: GET .*-> 404/);
    expect(result.exchanges.at(-1)?.path).toMatch(/\.pom$/);
  });

  it.each(holding)("%s fails when the .sha1 of a version's pom lies", async (scenario) => {
    const lie = "0123456789abcdef0123456789abcdef01234567";
    const fault: Fault = (ex) => (ex.method === "GET" && /\.pom\.sha1$/.test(ex.path) ? { response: () => ({ body: lie }) } : undefined);
    const result = await runFaulty(fault, scenario);
    expect(result.status, result.message).toBe("fail");
    expect(result.message).toMatch(/\.pom\.sha1 does not match [^ ]+\.pom/);
    expect(result.expectation?.actual).toContain(lie);
    expect(result.exchanges.at(-1)?.path).toMatch(/\.pom\.sha1$/);
  });

  const noPomMd5: Fault = (ex) => (ex.method === "GET" && /\.pom\.md5$/.test(ex.path) ? { request: { answer: { status: 404 } } } : undefined);

  it.each(holding)("%s fails when the .md5 of a version's pom is missing", async (scenario) => {
    const result = await runFaulty(noPomMd5, scenario);
    expect(result.status, result.message).toBe("fail");
    expect(result.message).toMatch(/\.pom\.md5 is not served: GET .*-> 404/);
    expect(result.exchanges.at(-1)?.path).toMatch(/\.pom\.md5$/);
  });

  it("a missing .md5 is no failure where the target records that none is served (GitLab in FIPS mode)", async () => {
    const result = await runFaulty(noPomMd5, "metadata.versions", { fips: true });
    expect(result.status, result.message).toBe("pass");
  });
});

