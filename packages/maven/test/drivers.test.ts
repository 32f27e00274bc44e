// The real mvn against the reference registry: deploy-file and dependency:get
// with each write token kind, in GitLab's headers and as HTTP Basic, plus
// SNAPSHOTs, classifiers and the refusals mvn must report.
import { mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConformanceFailure, type Credential, type DriverContext, type Target, resolveTarget, targetSecrets } from "@regkit/core";
import type { ReferenceRegistry } from "@regkit/registry";
import { startFaultyProxy, useFaultHarness } from "@regkit/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MavenProfile, buildClassifierJar, mavenKit, mvnDriver, settingsXml } from "@regkit/maven";
import { mavenReference } from "@regkit/maven/reference";
import { adapter } from "./helpers.js";

const unavailable = await mvnDriver.unavailable();
const harness = useFaultHarness(mavenKit, mavenReference);
let registry: ReferenceRegistry;
let workdir: string;
let n = 0;
const fresh = (base: string) => mavenKit.packageName(`mvn${++n}${Date.now().toString(36)}`, base);

beforeAll(async () => {
  registry = harness().registry;
  workdir = await mkdtemp(join(tmpdir(), "regkit-mvn-test-"));
});
afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

function credentials(): Record<"personal" | "deploy" | "job" | "readonly", Credential> {
  const t = registry.tokens;
  return {
    personal: { kind: "personal", token: t.personal },
    deploy: { kind: "deploy", token: t.deploy, username: t.deployUsername },
    job: { kind: "job", token: t.job },
    readonly: { kind: "readonly", token: t.readonlyDeploy, username: t.readonlyDeployUsername },
  };
}

function context(target: Target, credential: Credential): DriverContext<MavenProfile> {
  const resolved = resolveTarget(mavenKit, target);
  return {
    registry: target.registry,
    target: resolved,
    credential,
    workdir,
    signal: AbortSignal.timeout(120_000),
    secrets: targetSecrets(resolved, credential),
  };
}

describe("settings.xml", () => {
  it("puts GitLab's headers in <httpHeaders> and Basic credentials in <username>/<password>", () => {
    const headers = settingsXml({ registry: "http://r/maven", headers: { "PRIVATE-TOKEN": "glpat-x<y" }, mirror: "file:///m" });
    expect(headers).toContain("<property><name>PRIVATE-TOKEN</name><value>glpat-x&lt;y</value></property>");
    expect(headers).toContain("<mirrorOf>central</mirrorOf><url>file:///m</url>");
    expect(headers).toContain("<checksumPolicy>fail</checksumPolicy>");
    const basic = settingsXml({
      registry: "http://r/maven",
      headers: { Authorization: `Basic ${Buffer.from("gitlab-ci-token:glcbt-1").toString("base64")}` },
    });
    expect(basic).toContain("<username>gitlab-ci-token</username>");
    expect(basic).toContain("<password>glcbt-1</password>");
    expect(basic).toContain("<usePreemptive>true</usePreemptive>");
  });
});

describe.skipIf(unavailable !== undefined)(`mvn against the reference registry${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  for (const profile of ["gitlab", "gitlab-basic"] as const) {
    for (const kind of ["personal", "deploy", "job"] as const) {
      it(`deploys and resolves with a ${kind} token (${profile})`, async () => {
        const target = harness().target({ profile });
        const credential = credentials()[kind];
        const name = fresh(`${kind}-${profile}`);
        const artifact = await mavenKit.build({ name, version: "1.0.0" });
        const deployed = await mvnDriver.publish!(artifact, context(target, credential));
        expect(deployed.accepted, deployed.output).toBe(true);
        expect(deployed.output).not.toContain(credential.token!);

        // What mvn wrote is what the adapter reads, checksums included.
        const client = adapter(target, credential);
        expect((await client.download(name, "1.0.0")).digests).toEqual(artifact.content.digests);
        expect(await client.versions(name)).toEqual(["1.0.0"]);

        const installed = await mvnDriver.install!(name, "1.0.0", context(target, credential));
        expect(installed.digests).toEqual(artifact.content.digests);
      });
    }
  }

  it("reports a refused deploy (read-only token) without leaking the token", async () => {
    const target = harness().target();
    const credential = credentials().readonly;
    const artifact = await mavenKit.build({ name: fresh("readonly"), version: "1.0" });
    const result = await mvnDriver.publish!(artifact, context(target, credential));
    expect(result.accepted).toBe(false);
    expect(result.output).toMatch(/403|Forbidden/);
    expect(result.output).not.toContain(credential.token!);
  });

  it("deploys SNAPSHOTs with timestamps and resolves the newest build", async () => {
    const target = harness().target();
    const credential = credentials().personal;
    const name = fresh("snapshot");
    const first = await mavenKit.build({ name, version: "2.0-SNAPSHOT", description: "first" });
    const second = await mavenKit.build({ name, version: "2.0-SNAPSHOT", description: "second" });
    expect((await mvnDriver.publish!(first, context(target, credential))).accepted).toBe(true);
    expect((await mvnDriver.publish!(second, context(target, credential))).accepted).toBe(true);
    const client = adapter(target, credential);
    const { metadata } = await client.snapshotMetadata(name, "2.0-SNAPSHOT");
    expect(metadata?.versioning.snapshot?.buildNumber).toBe(2);
    expect((await client.download(name, "2.0-SNAPSHOT")).digests).toEqual(second.content.digests);
    expect((await mvnDriver.install!(name, "2.0-SNAPSHOT", context(target, credential))).digests).toEqual(second.content.digests);
  });

  it("deploys classifier jars with -Dfiles and the adapter reads them", async () => {
    const target = harness().target();
    const credential = credentials().deploy;
    const name = fresh("classifiers");
    const artifact = await mavenKit.build({ name, version: "3.0" });
    const sources = await buildClassifierJar({ name, version: "3.0" }, "sources");
    const result = await mvnDriver.publish!({ ...artifact, extra: [...(artifact.extra ?? []), sources] }, context(target, credential));
    expect(result.accepted, result.output).toBe(true);
    const client = adapter(target, credential);
    const got = await client.downloadFile(name, "3.0", sources.filename);
    expect(got.digests).toEqual(sources.content.digests);
  });

  it("fails when the registry serves a checksum that does not match", async () => {
    const target = harness().target();
    const credential = credentials().personal;
    const name = fresh("badsum");
    const artifact = await mavenKit.build({ name, version: "1.0" });
    expect((await adapter(target, credential).publish(artifact)).accepted).toBe(true);
    const proxy = await startFaultyProxy({
      upstream: registry.url,
      fault: (ex) =>
        ex.method === "GET" && ex.path.endsWith(".jar.sha1")
          ? { response: () => ({ body: "0".repeat(40) }) }
          : undefined,
    });
    try {
      const faulty = { ...target, registry: target.registry.replace(registry.url, proxy.url) };
      const error = await mvnDriver.install!(name, "1.0", context(faulty, credential)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConformanceFailure);
      expect((error as ConformanceFailure).expectation.actual).toMatch(/Checksum validation failed/);
    } finally {
      await proxy.close();
    }
  });

  it("starts later runs of a run from the plugins the first resolved, never from what the registry served", async () => {
    const target = harness().target();
    const credential = credentials().personal;
    const runDir = await mkdtemp(join(tmpdir(), "regkit-mvn-run-"));
    const inRun = (t: Target) => ({ ...context(t, credential), runDir });
    try {
      const name = fresh("seeded");
      const artifact = await mavenKit.build({ name, version: "1.0" });
      expect((await mvnDriver.publish!(artifact, inRun(target))).accepted).toBe(true);
      expect((await mvnDriver.install!(name, "1.0", inRun(target))).digests).toEqual(artifact.content.digests);
      // The seeds hold the plugins, not the package nor the registry's metadata.
      const seeded = await readdir(runDir, { recursive: true });
      expect(seeded.some((f) => f.endsWith("maven-dependency-plugin"))).toBe(true);
      expect(seeded.filter((f) => f.includes(join(...name.split(":")[0]!.split("."))) || /maven-metadata-regkit\.xml/.test(f))).toEqual([]);
      // A second install in the run must still ask the registry: one that no longer serves the jar fails it.
      const proxy = await startFaultyProxy({
        upstream: registry.url,
        fault: (ex) => (ex.method === "GET" && ex.path.endsWith(".jar") ? { response: () => ({ status: 404, body: "gone" }) } : undefined),
      });
      try {
        const faulty = { ...target, registry: target.registry.replace(registry.url, proxy.url) };
        await expect(mvnDriver.install!(name, "1.0", inRun(faulty))).rejects.toBeInstanceOf(ConformanceFailure);
      } finally {
        await proxy.close();
      }
      const other = await mavenKit.build({ name: fresh("seeded-other"), version: "2.0" });
      expect((await mvnDriver.publish!(other, inRun(target))).accepted).toBe(true);
      expect((await mvnDriver.install!(other.name, "2.0", inRun(target))).digests).toEqual(other.content.digests);
      // A seed's jars and poms are shared with the runs' repositories by hard links; the
      // files Maven rewrites in place (_remote.repositories) are copies of their own.
      const seed = join(runDir, "mvn-seed-mvn-get");
      const files = (await readdir(seed, { recursive: true })).map((f) => join(seed, f));
      const jars = files.filter((f) => f.endsWith(".jar"));
      const tracking = files.filter((f) => f.endsWith("_remote.repositories"));
      expect(jars.length).toBeGreaterThan(10);
      expect(tracking.length).toBeGreaterThan(10);
      for (const jar of jars) expect((await stat(jar)).nlink, jar).toBeGreaterThan(1);
      for (const file of tracking) expect((await stat(file)).nlink, file).toBe(1);
    } finally {
      await rm(runDir, { recursive: true, force: true });
    }
  });

  it("is refused a duplicate under a reject policy", async () => {
    const target = harness().target();
    const credential = credentials().personal;
    const artifact = await mavenKit.build({ name: fresh("dup"), version: "1.0" });
    expect((await mvnDriver.publish!(artifact, context(target, credential))).accepted).toBe(true);
    registry.setPolicies("maven", { duplicates: "reject" });
    try {
      const again = await mvnDriver.publish!(artifact, context(target, credential));
      expect(again.accepted).toBe(false);
      expect(again.output).toMatch(/400|Bad Request/i);
    } finally {
      registry.setPolicies("maven", { duplicates: "allow" });
    }
  });
});
