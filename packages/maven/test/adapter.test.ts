// The protocol adapter against the reference registry: what a deploy PUTs,
// what it reads back, and how refusals come out.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ConformanceFailure, type Exchange, ProtocolError } from "@regkit/core";
import type { ReferenceRegistry } from "@regkit/registry";
import { type Fault, startFaultyProxy, useFaultHarness } from "@regkit/testkit";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildClassifierJar, mavenKit, parseMavenMetadata } from "@regkit/maven";
import { mavenReference } from "@regkit/maven/reference";
import { adapter } from "./helpers.js";

const harness = useFaultHarness(mavenKit, mavenReference);
let registry: ReferenceRegistry;
let n = 0;
const fresh = (base: string) => mavenKit.packageName(`adapter${++n}`, base);

beforeAll(() => {
  registry = harness().registry;
});
beforeEach(() => {
  registry.setPolicies("maven", { duplicates: "allow" });
  registry.setLimits("maven", { maxFileSize: 3 * 1024 ** 3 });
});

function personal(exchanges?: Exchange[]) {
  return adapter(harness().target(), { kind: "personal", token: registry.tokens.personal }, exchanges);
}

describe("the Maven adapter against the reference registry", () => {
  it("deploys as Maven does: files, four checksum files each, then maven-metadata.xml", async () => {
    const exchanges: Exchange[] = [];
    const client = personal(exchanges);
    const name = fresh("deploy");
    const artifact = await mavenKit.build({ name, version: "1.0" });
    const outcome = await client.publish(artifact);
    expect(outcome.accepted).toBe(true);
    const puts = exchanges.filter((e) => e.method === "PUT").map((e) => `${e.path.split("/").slice(-2).join("/")} ${e.status}`);
    const id = name.split(":")[1]!;
    expect(puts).toEqual([
      `1.0/${id}-1.0.jar 200`,
      `1.0/${id}-1.0.jar.sha1 204`,
      `1.0/${id}-1.0.jar.md5 200`,
      `1.0/${id}-1.0.jar.sha256 200`,
      `1.0/${id}-1.0.jar.sha512 200`,
      `1.0/${id}-1.0.pom 200`,
      `1.0/${id}-1.0.pom.sha1 204`,
      `1.0/${id}-1.0.pom.md5 200`,
      `1.0/${id}-1.0.pom.sha256 200`,
      `1.0/${id}-1.0.pom.sha512 200`,
      `${id}/maven-metadata.xml 200`,
      `${id}/maven-metadata.xml.sha1 204`,
      `${id}/maven-metadata.xml.md5 200`,
      `${id}/maven-metadata.xml.sha256 200`,
      `${id}/maven-metadata.xml.sha512 200`,
    ]);
    expect(JSON.stringify(exchanges)).not.toContain(registry.tokens.personal);
    expect(await client.versions(name)).toEqual(["1.0"]);
    expect(await client.latest(name)).toBe("1.0");
    const downloaded = await client.download(name, "1.0");
    expect(downloaded.digests).toEqual(artifact.content.digests);
    expect((await client.metadata(name)).status).toBe(200);
  });

  it("keeps versions in Maven's order with latest and release the highest", async () => {
    const client = personal();
    const name = fresh("order");
    for (const version of ["1.0", "1.0.1", "1.0-rc2", "2.0-SNAPSHOT", "1.0-alpha-1", "1.1-sp"]) {
      expect((await client.publish(await mavenKit.build({ name, version }))).accepted).toBe(true);
    }
    const { metadata } = await client.mavenMetadata(name);
    expect(metadata?.versioning.versions).toEqual(["1.0-alpha-1", "1.0-rc2", "1.0", "1.0.1", "1.1-sp", "2.0-SNAPSHOT"]);
    expect(metadata?.versioning.latest).toBe("2.0-SNAPSHOT");
    expect(metadata?.versioning.release).toBe("1.1-sp");
    expect(metadata?.versioning.lastUpdated).toMatch(/^\d{14}$/);
  });

  it("loses no version when one artifact is deployed from many places at once", async () => {
    const client = personal();
    const name = fresh("parallel");
    const versions = Array.from({ length: 8 }, (_, i) => `3.${i}`);
    const outcomes = await Promise.all(versions.map(async (version) => client.publish(await mavenKit.build({ name, version }))));
    expect(outcomes.every((o) => o.accepted)).toBe(true);
    expect([...(await client.versions(name))].sort()).toEqual(versions);
  });

  it("deploys SNAPSHOTs with timestamped names and resolves the newest build", async () => {
    const client = personal();
    const name = fresh("snap");
    const first = await mavenKit.build({ name, version: "1.0-SNAPSHOT", description: "one" });
    const second = await mavenKit.build({ name, version: "1.0-SNAPSHOT", description: "two" });
    expect((await client.publish(first)).accepted).toBe(true);
    expect((await client.publish(second)).accepted).toBe(true);
    const { metadata } = await client.snapshotMetadata(name, "1.0-SNAPSHOT");
    expect(metadata?.versioning.snapshot?.buildNumber).toBe(2);
    expect(metadata?.versioning.snapshotVersions.find((v) => v.extension === "jar")?.value).toMatch(/^1\.0-\d{8}\.\d{6}-2$/);
    expect((await client.download(name, "1.0-SNAPSHOT")).digests).toEqual(second.content.digests);
    expect(await client.versions(name)).toEqual(["1.0-SNAPSHOT"]);
    expect((await client.mavenMetadata(name)).metadata?.versioning.release).toBeUndefined();
  });

  it("deploys classifier jars next to the main jar", async () => {
    const client = personal();
    const name = fresh("classified");
    const artifact = await mavenKit.build({ name, version: "1.0" });
    const sources = await buildClassifierJar({ name, version: "1.0" }, "sources");
    expect((await client.publish({ ...artifact, extra: [...(artifact.extra ?? []), sources] })).accepted).toBe(true);
    const got = await client.downloadFile(name, "1.0", sources.filename);
    expect(got.digests).toEqual(sources.content.digests);
  });

  it("downloads every file of a version by the name it was built with, a SNAPSHOT's resolved to the newest build", async () => {
    const client = personal();
    const name = fresh("files");
    const release = await mavenKit.build({ name, version: "1.0" });
    const first = await mavenKit.build({ name, version: "2.0-SNAPSHOT", description: "one" });
    const second = await mavenKit.build({ name, version: "2.0-SNAPSHOT", description: "two" });
    for (const artifact of [release, first, second]) expect((await client.publish(artifact)).accepted).toBe(true);
    for (const artifact of [release, second]) {
      const pom = artifact.extra?.[0];
      expect(pom?.filename).toMatch(/\.pom$/);
      expect((await client.downloadFile(name, artifact.version, pom!.filename)).digests).toEqual(pom!.content.digests);
      expect((await client.downloadFile(name, artifact.version, artifact.filename)).digests).toEqual(artifact.content.digests);
    }
    expect(first.extra?.[0]?.content.digests).not.toEqual(second.extra?.[0]?.content.digests);
  });

  it("fails naming the file when a file of a version is not served, or its .sha1/.md5 is missing or wrong", async () => {
    const name = fresh("notserved");
    const artifact = await mavenKit.build({ name, version: "1.0" });
    expect((await personal().publish(artifact)).accepted).toBe(true);
    const pom = artifact.extra![0]!.filename;
    const missing = await personal().downloadFile(name, "1.0", pom.replace(/\.pom$/, "-sources.jar")).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConformanceFailure);
    expect((missing as ConformanceFailure).message).toMatch(/-1\.0-sources\.jar is not served: .*-> 404/);
    expect((missing as ConformanceFailure).exchanges.at(-1)?.status).toBe(404);

    const through = async (fault: Fault, settings: Record<string, unknown> = {}) => {
      const proxy = await startFaultyProxy({ upstream: registry.url, fault });
      try {
        const target = harness().target({ settings });
        const client = adapter({ ...target, registry: target.registry.replace(registry.url, proxy.url) }, { kind: "personal", token: registry.tokens.personal });
        return await client.downloadFile(name, "1.0", pom).catch((e: unknown) => e);
      } finally {
        await proxy.close();
      }
    };
    const noMd5 = (ex: { method: string; path: string }) => (ex.method === "GET" && ex.path.endsWith(".pom.md5") ? { request: { answer: { status: 404 } } } : undefined);
    const md5 = await through(noMd5);
    expect(md5).toBeInstanceOf(ConformanceFailure);
    expect((md5 as ConformanceFailure).message).toContain(`${pom}.md5 is not served`);
    // Where the target records that no .md5 is served (GitLab in FIPS mode), it is not asked for.
    expect(await through(noMd5, { fips: true })).toMatchObject({ digests: artifact.extra![0]!.content.digests });
    const lie = await through((ex) => (ex.method === "GET" && ex.path.endsWith(".pom.sha1") ? { response: () => ({ body: "f".repeat(40) }) } : undefined));
    expect(lie).toBeInstanceOf(ConformanceFailure);
    expect((lie as ConformanceFailure).message).toContain(`${pom}.sha1 does not match ${pom}`);
  });

  it("reports refusals with their status: duplicates (reject), read-only, anonymous, too large", async () => {
    const name = fresh("refusals");
    const artifact = await mavenKit.build({ name, version: "1.0" });
    expect((await personal().publish(artifact)).accepted).toBe(true);

    registry.setPolicies("maven", { duplicates: "reject" });
    const duplicate = await personal().publish(artifact);
    expect(duplicate).toMatchObject({ accepted: false, status: 400 });
    expect(duplicate.exchange.responseSnippet).toContain("Duplicate package is not allowed");
    registry.setPolicies("maven", { duplicates: "allow" });

    const t = registry.tokens;
    const readonly = adapter(harness().target(), { kind: "readonly", token: t.readonlyDeploy, username: t.readonlyDeployUsername });
    expect(await readonly.publish(await mavenKit.build({ name, version: "2.0" }))).toMatchObject({ accepted: false, status: 403 });
    expect((await readonly.download(name, "1.0")).digests).toEqual(artifact.content.digests);
    const anonymous = adapter(harness().target(), { kind: "anonymous" });
    expect(await anonymous.publish(await mavenKit.build({ name, version: "2.0" }))).toMatchObject({ accepted: false, status: 401 });
    await expect(anonymous.download(name, "1.0")).rejects.toBeInstanceOf(ProtocolError);

    registry.setLimits("maven", { maxFileSize: 1000 });
    // GitLab's Rails answer (a real instance may answer 413 from Workhorse first).
    expect(await personal().publish(await mavenKit.build({ name, version: "3.0", size: 5000 }))).toMatchObject({ accepted: false, status: 400 });
    expect(await personal().versions(name)).toEqual(["1.0"]);
  });

  it("answers [] for an unknown artifact and a ProtocolError naming the request for a missing version", async () => {
    const client = personal();
    const name = fresh("unknown");
    expect(await client.versions(name)).toEqual([]);
    expect(await client.latest(name)).toBeUndefined();
    const error = await client.download(name, "9.9").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).message).toContain("-> 404");
    expect((error as ProtocolError).exchanges.at(-1)?.status).toBe(404);
  });

  it("writes metadata Maven can read back", async () => {
    const client = personal();
    const name = fresh("roundtrip");
    await client.publish(await mavenKit.build({ name, version: "1.2.3" }));
    const res = await client.request("GET", [...name.replace(":", ".").split("."), "maven-metadata.xml"]);
    const xml = await res.text();
    expect(xml).toContain('<metadata modelVersion="1.1.0">');
    expect(parseMavenMetadata(xml).versioning.versions).toEqual(["1.2.3"]);
  });

  it("follows a redirect for a missing file as Maven does (GitLab forwarding to Maven Central), without credentials to another origin", async () => {
    // "Maven Central": another origin that has nothing, and records what it was sent.
    const seen: Record<string, string | string[] | undefined>[] = [];
    const central = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(404, { "content-type": "text/plain" }).end("Not Found");
    });
    await new Promise<void>((done) => central.listen(0, "127.0.0.1", done));
    const centralUrl = `http://127.0.0.1:${(central.address() as AddressInfo).port}`;
    const proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: (ex) =>
        ex.method === "GET"
          ? { response: (res) => (res.status === 404 ? { status: 302, headers: { location: `${centralUrl}/maven2${ex.path.replace(/^.*\/packages\/maven/, "")}` }, body: "" } : undefined) }
          : undefined,
    });
    try {
      const target = harness().target();
      const exchanges: Exchange[] = [];
      const client = adapter({ ...target, registry: target.registry.replace(registry.url, proxy.url) }, { kind: "personal", token: registry.tokens.personal }, exchanges);
      const name = fresh("forwarded");
      const artifact = await mavenKit.build({ name, version: "1.0" });
      expect((await client.publish(artifact)).accepted).toBe(true);
      expect(await client.versions(name)).toEqual(["1.0"]);
      expect((await client.download(name, "1.0")).digests).toEqual(artifact.content.digests);
      expect(exchanges.some((e) => e.status === 302)).toBe(true);
      expect(seen.length).toBeGreaterThan(0);
      for (const headers of seen) {
        expect(headers["private-token"]).toBeUndefined();
        expect(headers.authorization).toBeUndefined();
      }
    } finally {
      await proxy.close();
      await new Promise((done) => central.close(done));
    }
  });
});
