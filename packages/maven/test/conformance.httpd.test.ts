// The Maven kit's second independent server besides nginx: Apache httpd with
// mod_dav (Debian's apache2), profile apache-dav. The whole catalog against
// it (clients.roundtrip and endpoints.audit drive both real mvn drivers,
// Debian's plugins and Maven Central's, through deploy and resolve), and, for
// each driver, faults only the client itself can notice (a .sha1 that does not
// match, a jar corrupted on the way), through a fault proxy in front of httpd:
// the driver's verdict is mvn's own.
// Last, the finding that made the profile need its parent-collection hook:
// plain mod_dav answers 409 to mvn's deploy.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConformanceFailure, type ClientDriver, type Credential, type Target, resolveTarget, targetSecrets } from "@regkit/core";
import { corruptBody, describeConformance, startFaultyProxy } from "@regkit/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { type MavenProfile, mavenKit } from "@regkit/maven";
import { mvnCentralDriver, mvnDriver } from "../src/drivers.js";
import { adapter, exclusionsFor } from "./helpers.js";
import { type HttpdRepository, httpdUnavailable, startHttpd } from "./httpd.js";

const reason = httpdUnavailable();
const httpd: HttpdRepository | undefined = reason ? undefined : await startHttpd();

afterAll(async () => {
  await httpd?.close();
});

if (!httpd) {
  describe("maven conformance against Apache httpd (mod_dav)", () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
} else {
  const target: Target = {
    registry: httpd.url,
    profile: "apache-dav",
    credentials: {
      deploy: httpd.writer,
      // A user httpd does not know: reads are anonymous, so only the write is refused.
      readonly: { username: "reader", token: "not-a-writer" },
    },
    options: { manyVersions: 12, manyPackages: 12, largeSize: 9 * 1024 * 1024, numRuns: 3, maxCommands: 8 },
  };

  describeConformance(mavenKit, target, { exclude: await exclusionsFor(httpd.url), label: `apache-httpd` });

  const contextFor = (registry: string, credential: Credential, workdir: string) => {
    const resolved = resolveTarget(mavenKit, { ...target, registry });
    return { registry, target: resolved, credential, workdir, signal: AbortSignal.timeout(180_000), secrets: targetSecrets(resolved, credential) };
  };

  for (const driver of [mvnDriver, mvnCentralDriver] as const satisfies readonly ClientDriver<MavenProfile>[]) {
    const why = await driver.unavailable();
    describe.skipIf(why !== undefined)(`${driver.name} against Apache httpd${why ? ` (skipped: ${why})` : ""}`, () => {
      const credential: Credential = { kind: "deploy", ...httpd.writer };
      let workdir: string;
      afterAll(async () => {
        if (workdir) await rm(workdir, { recursive: true, force: true });
      });

      it("resolves what was deployed, then notices by itself a .sha1 that does not match the jar, and a jar corrupted on the way (mvn's own verdict)", { timeout: 600_000 }, async () => {
        workdir = await mkdtemp(join(tmpdir(), `regkit-${driver.name}-httpd-`));
        // Deployed by the adapter: mvn's own deploys to httpd run in clients.roundtrip above.
        const name = mavenKit.packageName(`httpd${Date.now().toString(36)}`, `${driver.name}-detect`);
        const artifact = await mavenKit.build({ name, version: "1.0", description: Math.random().toString() });
        expect((await adapter(target, credential).publish(artifact)).accepted).toBe(true);
        // Untouched, mvn resolves it: the failures below are the faults', not the set-up's.
        expect((await driver.install!(name, "1.0", contextFor(httpd.url, credential, workdir))).digests).toEqual(artifact.content.digests);
        const faults = {
          "wrong .sha1": (ex: { method: string; path: string }) => (ex.method === "GET" && ex.path.endsWith(".jar.sha1") ? { response: () => ({ body: "0".repeat(40) }) } : undefined),
          "corrupted jar": corruptBody({ when: (ex) => ex.method === "GET" && ex.path.endsWith(".jar") }),
        };
        for (const [label, fault] of Object.entries(faults)) {
          const proxy = await startFaultyProxy({ upstream: new URL(httpd.url).origin, fault });
          try {
            const error = await driver.install!(name, "1.0", contextFor(httpd.url.replace(new URL(httpd.url).origin, proxy.url), credential, workdir)).catch((e: unknown) => e);
            expect(error, label).toBeInstanceOf(ConformanceFailure);
            expect((error as ConformanceFailure).message, label).toBe(`${driver.name} could not resolve ${name}:1.0`);
            // mvn's own words: its checksum policy refused the file, not a digest regkit computed.
            expect((error as ConformanceFailure).expectation.actual, label).toMatch(/Checksum validation failed/);
          } finally {
            await proxy.close();
          }
        }
      });
    });
  }

  const mvnWhy = await mvnDriver.unavailable();
  describe.skipIf(mvnWhy !== undefined)("plain mod_dav, without the parent-collection hook", () => {
    it("answers 409 Conflict to mvn's deploy: mvn's http transport sends no MKCOL (the finding docs/maven.md records)", { timeout: 300_000 }, async () => {
      const plain = await startHttpd({ plain: true });
      const workdir = await mkdtemp(join(tmpdir(), "regkit-mvn-plain-dav-"));
      try {
        const credential: Credential = { kind: "deploy", ...plain.writer };
        const artifact = await mavenKit.build({ name: mavenKit.packageName(`plain${Date.now().toString(36)}`, "dav"), version: "1.0" });
        const deployed = await mvnDriver.publish!(artifact, contextFor(plain.url, credential, workdir));
        expect(deployed.accepted).toBe(false);
        expect(deployed.output).toMatch(/409 Conflict/);
        // The protocol adapter's plain PUT meets the same answer.
        const outcome = await adapter({ ...target, registry: plain.url }, credential).publish(artifact);
        expect(outcome.accepted).toBe(false);
        expect(outcome.status).toBe(409);
      } finally {
        await rm(workdir, { recursive: true, force: true });
        await plain.close();
      }
    });
  });
}
