// The real npm CLI against the reference registry with each token kind.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { resolveTarget, runConformance, type Credential } from "@regkit/core";
import { npmCli, npmKit } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
import { useFaultHarness } from "@regkit/testkit";

// The harness's reference registry, run straight (no fault).
const harness = useFaultHarness(npmKit, npmReference);
const why = await npmCli.unavailable();

describe.skipIf(why !== undefined)(`npm CLI${why ? ` (${why})` : ""}`, () => {
  test("publishes and installs byte for byte with personal, deploy and job tokens", async () => {
    // The npm CLI alone: pnpm, yarn and bun have their own tests (clients.reference.test.ts).
    const report = await runConformance({ kit: { ...npmKit, drivers: [npmCli] }, target: harness().target(), scenarios: ["clients.roundtrip"], tokenKinds: ["personal", "deploy", "job"] });
    expect(report.results.map((r) => `${r.tokenKind}:${r.status}`)).toEqual(["personal:pass", "deploy:pass", "job:pass"]);
    for (const r of report.results) expect(r.notes.join("\n")).toMatch(/npm-cli: published and installed byte for byte/);
  });

  test("a scoped package: npm's attachment key (@scope/pkg-1.0.0.tgz) is the one the reference looks up, and it installs", async () => {
    const workdir = await mkdtemp(join(tmpdir(), "regkit-npm-scoped-"));
    try {
      const { registry } = harness();
      const target = resolveTarget(npmKit, { registry: registry.registries.npm! });
      const credential: Credential = { kind: "personal", token: registry.tokens.personal };
      const ctx = { registry: registry.registries.npm!, target, credential, secrets: [registry.tokens.personal], workdir, signal: AbortSignal.timeout(180_000) };
      const artifact = await npmKit.build({ name: "@regkit-cli/scoped", version: "1.0.0" });
      const published = await npmCli.publish!(artifact, ctx);
      expect(published.accepted, published.output).toBe(true);
      const installed = await npmCli.install!("@regkit-cli/scoped", "1.0.0", ctx);
      expect(installed.digests.sha512).toBe(artifact.content.digests.sha512);
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  });

  test("a read-only deploy token cannot publish, and npm says so; the token is not in its output", async () => {
    const workdir = await mkdtemp(join(tmpdir(), "regkit-npm-ro-"));
    try {
      const { registry } = harness();
      const target = resolveTarget(npmKit, { registry: registry.registries.npm! });
      const credential: Credential = { kind: "readonly", token: registry.tokens.readonlyDeploy, username: registry.tokens.readonlyDeployUsername };
      const artifact = await npmKit.build({ name: "regkit-ro-probe", version: "1.0.0" });
      const secrets = [registry.tokens.readonlyDeploy];
      const result = await npmCli.publish!(artifact, { registry: registry.registries.npm!, target, credential, secrets, workdir, signal: AbortSignal.timeout(120_000) });
      expect(result.accepted).toBe(false);
      expect(result.output).toMatch(/E403|403 Forbidden/);
      expect(result.output).not.toContain(registry.tokens.readonlyDeploy);
    } finally {
      await rm(workdir, { recursive: true, force: true });
    }
  });
});
