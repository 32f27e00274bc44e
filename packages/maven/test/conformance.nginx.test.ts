// The whole catalog against nginx as a plain WebDAV/PUT Maven repository
// (profile dav: anonymous reads, Basic credentials to deploy), and the real
// mvn deploying to it and resolving from it.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Target, resolveTarget, targetSecrets } from "@regkit/core";
import { describeConformance } from "@regkit/testkit";
import { afterAll, describe, expect, it } from "vitest";
import { mavenKit, mvnDriver } from "@regkit/maven";
import { adapter, exclusionsFor } from "./helpers.js";
import { type NginxRepository, nginxUnavailable, startNginx } from "./nginx.js";

const reason = nginxUnavailable();
const nginx: NginxRepository | undefined = reason ? undefined : await startNginx();

afterAll(async () => {
  await nginx?.close();
});

if (!nginx) {
  describe("maven conformance against nginx", () => {
    it.skip(`skipped: ${reason}`, () => {});
  });
} else {
  const target: Target = {
    registry: nginx.url,
    profile: "dav",
    credentials: {
      deploy: nginx.writer,
      // A user nginx does not let write: reads are anonymous, so only the write is refused.
      readonly: { username: "reader", token: "not-a-writer" },
    },
    options: { manyVersions: 12, manyPackages: 12, largeSize: 9 * 1024 * 1024, numRuns: 3, maxCommands: 8 },
  };

  describeConformance(mavenKit, target, { exclude: await exclusionsFor(nginx.url), label: "nginx" });

  const mvnReason = await mvnDriver.unavailable();
  describe.skipIf(mvnReason !== undefined)(`mvn against nginx${mvnReason ? ` (skipped: ${mvnReason})` : ""}`, () => {
    it("deploys a release and a SNAPSHOT with deploy-file and resolves them with dependency:get", async () => {
      const workdir = await mkdtemp(join(tmpdir(), "regkit-mvn-nginx-"));
      try {
        const credential = { kind: "deploy" as const, ...nginx.writer };
        const resolved = resolveTarget(mavenKit, target);
        const ctx = { registry: nginx.url, target: resolved, credential, workdir, signal: AbortSignal.timeout(120_000), secrets: targetSecrets(resolved, credential) };
        const name = mavenKit.packageName(`nginx${Date.now().toString(36)}`, "mvn");
        const client = adapter(target, credential);
        for (const version of ["1.0", "1.1-SNAPSHOT", "1.1-SNAPSHOT"]) {
          const artifact = await mavenKit.build({ name, version, description: `${version} ${Math.random()}` });
          const deployed = await mvnDriver.publish!(artifact, ctx);
          expect(deployed.accepted, deployed.output).toBe(true);
          expect(deployed.output).not.toContain(nginx.writer.token);
          expect((await client.download(name, version)).digests).toEqual(artifact.content.digests);
          expect((await mvnDriver.install!(name, version, ctx)).digests).toEqual(artifact.content.digests);
        }
        expect(await client.versions(name)).toEqual(["1.0", "1.1-SNAPSHOT"]);
        expect((await client.snapshotMetadata(name, "1.1-SNAPSHOT")).metadata?.versioning.snapshot?.buildNumber).toBe(2);

        const anonymous = { ...ctx, credential: { kind: "anonymous" as const } };
        const refused = await mvnDriver.publish!(await mavenKit.build({ name, version: "2.0" }), anonymous);
        expect(refused.accepted).toBe(false);
        expect(refused.output).toMatch(/401|Unauthorized/);
      } finally {
        await rm(workdir, { recursive: true, force: true });
      }
    });
  });
}
