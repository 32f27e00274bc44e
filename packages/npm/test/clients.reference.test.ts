// pnpm, yarn (berry) and bun, the real processes, against the reference
// registry (GitLab-shaped: a token under the project's npm endpoint, a
// packument with dist.shasum only): each publishes where it can and installs
// what every client published, byte for byte. A client that is not installed
// (bash tooling/ci/install-tools.sh npm) is a skip with the reason, never a pass.
import { describe, expect, test } from "vitest";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveTarget, runConformance, type Credential } from "@regkit/core";
import { bun, npmKit, pnpm, publishWithYarn, yarn, type NpmClientDriver } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
import { resultOf, useFaultHarness } from "@regkit/testkit";

const harness = useFaultHarness(npmKit, npmReference);

for (const driver of [pnpm, yarn, bun] satisfies NpmClientDriver[]) {
  const why = await driver.unavailable();
  describe.skipIf(why !== undefined)(`${driver.name}${why ? ` (${why})` : ""} against the reference registry`, () => {
    test("says its version", async () => {
      expect(await driver.version()).toMatch(/^\d+\.\d+\.\d+/);
    });

    test("clients.roundtrip with personal, deploy and job tokens: its part passes, installs checked file by file", async () => {
      const kit = { ...npmKit, drivers: [driver] };
      const report = await runConformance({ kit, target: harness().target(), scenarios: ["clients.roundtrip"], tokenKinds: ["personal", "deploy", "job"] });
      for (const kind of ["personal", "deploy", "job"] as const) {
        const r = resultOf(report, "clients.roundtrip", kind);
        expect(r.status, `${kind}: ${r.message} ${JSON.stringify(r.expectation)}`).toBe("pass");
        expect(r.notes.join("\n")).toMatch(new RegExp(driver.publish ? `${driver.name}: published and installed byte for byte` : `the adapter published .*; ${driver.name} installed it byte for byte`));
      }
    }, 600_000);
  });
}

const yarnWhy = await yarn.unavailable();
describe.skipIf(yarnWhy !== undefined)(`yarn npm publish to the reference registry${yarnWhy ? ` (${yarnWhy})` : ""}`, () => {
  test("a deploy token in .yarnrc.yml publishes under the project's npm endpoint; yarn installs what it packed", async () => {
    const workdir = await mkdtemp(join(tmpdir(), "regkit-yarn-publish-"));
    try {
      const { registry } = harness();
      const target = resolveTarget(npmKit, harness().target());
      const credential: Credential = { kind: "deploy", token: registry.tokens.deploy, username: registry.tokens.deployUsername };
      const ctx = { registry: target.registry, target, credential, secrets: [registry.tokens.deploy], workdir, signal: AbortSignal.timeout(300_000) };
      const artifact = await npmKit.build({ name: "@regkit-yarn/reference", version: "1.0.0" });
      const published = await publishWithYarn(artifact, ctx);
      expect(published.accepted, published.output).toBe(true);
      const installed = await yarn.install!(artifact.name, artifact.version, ctx);
      expect(installed.digests.sha512).toBe(published.digests?.sha512);
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  }, 300_000);
});
