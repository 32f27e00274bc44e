// The second mvn driver, `mvn-central`: Debian's mvn with the CURRENT
// maven-deploy-plugin and maven-dependency-plugin from Maven Central, which
// packages/maven/ci/install-tools.sh pre-fetches (pinned) into
// $REGKIT_TOOLS/maven-repo so mvn runs offline. Against the reference
// registry: it names its plugin versions (a separate client version in
// results), really runs those plugins, deploys and resolves releases and
// SNAPSHOTs byte for byte, and notices by itself a checksum that does not
// match and a corrupted jar (mvn's own verdict, in its own words).
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConformanceFailure, type Credential, type DriverContext, type Target, resolveTarget, targetSecrets } from "@regkit/core";
import type { ReferenceRegistry } from "@regkit/registry";
import { corruptBody, startFaultyProxy, useFaultHarness } from "@regkit/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type MavenProfile, mavenKit } from "@regkit/maven";
import { mavenReference } from "@regkit/maven/reference";
import { CENTRAL_PLUGINS, DEBIAN_PLUGINS, mvnCentralDriver, mvnDriver } from "../src/drivers.js";
import { adapter } from "./helpers.js";

const unavailable = await mvnCentralDriver.unavailable();
const harness = useFaultHarness(mavenKit, mavenReference);
let registry: ReferenceRegistry;
let workdir: string;
let n = 0;
const fresh = (base: string) => mavenKit.packageName(`central${++n}${Date.now().toString(36)}`, base);

beforeAll(async () => {
  registry = harness().registry;
  workdir = await mkdtemp(join(tmpdir(), "regkit-mvn-central-"));
});
afterAll(async () => {
  await rm(workdir, { recursive: true, force: true });
});

function context(target: Target, credential: Credential, dir = workdir): DriverContext<MavenProfile> {
  const resolved = resolveTarget(mavenKit, target);
  return { registry: target.registry, target: resolved, credential, workdir: dir, signal: AbortSignal.timeout(180_000), secrets: targetSecrets(resolved, credential) };
}

/** The versions of a plugin that mvn copied into the run's own local repository under `dir`: the plugin that really ran. */
async function pluginsRun(dir: string, plugin: string): Promise<string[]> {
  const found: string[] = [];
  for (const run of await readdir(dir)) {
    const versions = await readdir(join(dir, run, "repository/org/apache/maven/plugins", plugin)).catch(() => []);
    found.push(...versions);
  }
  return found;
}

describe("the kit drives mvn twice: Debian's plugins and Maven Central's", () => {
  it("lists both drivers, apart by name, and each names where its plugins come from", async () => {
    expect(mavenKit.drivers.map((d) => d.name)).toEqual(["mvn", "mvn-central"]);
    const central = CENTRAL_PLUGINS.versions();
    const debian = DEBIAN_PLUGINS.versions();
    if (!("missing" in central)) expect(await mvnCentralDriver.version?.()).toMatch(new RegExp(`^Apache Maven \\S+.*; maven-deploy-plugin ${central.deploy}, maven-dependency-plugin ${central.dependency} \\(Maven Central\\)$`));
    else expect(unavailable).toBe(central.missing);
    if (!("missing" in debian)) expect(await mvnDriver.version?.()).toMatch(/; maven-deploy-plugin \S+, maven-dependency-plugin \S+ \(Debian\)$/);
  });

  it("without the pre-fetched plugins, mvn-central is unavailable with the command that installs them (a skip, never a pass)", async () => {
    const before = process.env.REGKIT_TOOLS;
    process.env.REGKIT_TOOLS = join(workdir, "no-tools-here");
    try {
      const missing = CENTRAL_PLUGINS.versions();
      expect(missing).toEqual({ missing: `the current Maven plugins are not in ${join(workdir, "no-tools-here", "maven-repo")} (run: bash tooling/ci/install-tools.sh maven)` });
    } finally {
      process.env.REGKIT_TOOLS = before;
    }
  });
});

describe.skipIf(unavailable !== undefined)(`mvn-central against the reference registry${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  const versions = CENTRAL_PLUGINS.versions();
  const pins = "missing" in versions ? { deploy: "?", dependency: "?" } : versions;

  it("deploys and resolves a release and a SNAPSHOT byte for byte with the current plugins", { timeout: 600_000 }, async () => {
    const t = registry.tokens;
    // One credential: the conformance tests' clients.roundtrip runs this driver under every token kind and both GitLab profiles.
    const cases: [Target, Credential, string[]][] = [[harness().target(), { kind: "personal", token: t.personal }, ["1.0", "1.1-SNAPSHOT"]]];
    for (const [target, credential, versions] of cases) {
      const name = fresh(credential.kind);
      for (const version of versions) {
        const artifact = await mavenKit.build({ name, version, description: `${version} ${Math.random()}` });
        const dir = await mkdtemp(join(workdir, "case-"));
        const deployed = await mvnCentralDriver.publish!(artifact, context(target, credential, dir));
        expect(deployed.accepted, deployed.output).toBe(true);
        expect(deployed.output).not.toContain(credential.token!);
        expect((await adapter(target, credential).download(name, version)).digests).toEqual(artifact.content.digests);
        const installed = await mvnCentralDriver.install!(name, version, context(target, credential, dir));
        expect(installed.digests).toEqual(artifact.content.digests);
        // The plugins that ran are the ones named in results, not Debian's.
        expect(await pluginsRun(dir, "maven-deploy-plugin")).toEqual([pins.deploy]);
        expect(await pluginsRun(dir, "maven-dependency-plugin")).toEqual([pins.dependency]);
      }
    }
  });

  // Detection: faults only the client itself can notice. The driver's verdict
  // must be mvn's, in mvn's words, not a digest regkit computes afterwards.
  describe("notices by itself what the registry serves wrong", () => {
    async function published(): Promise<{ name: string; target: Target; credential: Credential }> {
      const target = harness().target();
      const credential: Credential = { kind: "personal", token: registry.tokens.personal };
      const name = fresh("detect");
      expect((await adapter(target, credential).publish(await mavenKit.build({ name, version: "1.0" }))).accepted).toBe(true);
      return { name, target, credential };
    }

    it("a .sha1 that does not match the jar: mvn refuses it (checksumPolicy fail)", { timeout: 300_000 }, async () => {
      const { name, target, credential } = await published();
      const proxy = await startFaultyProxy({
        upstream: registry.url,
        fault: (ex) => (ex.method === "GET" && ex.path.endsWith(".jar.sha1") ? { response: () => ({ body: "0".repeat(40) }) } : undefined),
      });
      try {
        const faulty = { ...target, registry: target.registry.replace(registry.url, proxy.url) };
        const error = await mvnCentralDriver.install!(name, "1.0", context(faulty, credential)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConformanceFailure);
        expect((error as ConformanceFailure).message).toBe(`mvn-central could not resolve ${name}:1.0`);
        expect((error as ConformanceFailure).expectation.actual).toMatch(/Checksum validation failed/);
      } finally {
        await proxy.close();
      }
    });

    it("a jar corrupted on the way (its checksums intact): mvn refuses it", { timeout: 300_000 }, async () => {
      const { name, target, credential } = await published();
      const proxy = await startFaultyProxy({ upstream: registry.url, fault: corruptBody({ when: (ex) => ex.method === "GET" && ex.path.endsWith(".jar") }) });
      try {
        const faulty = { ...target, registry: target.registry.replace(registry.url, proxy.url) };
        const error = await mvnCentralDriver.install!(name, "1.0", context(faulty, credential)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConformanceFailure);
        expect((error as ConformanceFailure).expectation.actual).toMatch(/Checksum validation failed/);
      } finally {
        await proxy.close();
      }
    });
  });
});
