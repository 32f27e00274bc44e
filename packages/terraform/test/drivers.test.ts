// The tofu driver against the reference registry directly (no runner): a
// pre-release installs byte for byte through the TLS front, a wrong token
// fails with tofu's own words, and a version nobody published is tofu's
// "no available releases" failure.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConformanceFailure, type Credential, collect, type DriverContext, resolveTarget, targetSecrets } from "@regkit/core";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { type TerraformProfile, createTofuDriver, terraformKit } from "@regkit/terraform";
import { terraformReference } from "@regkit/terraform/reference";

const driver = createTofuDriver({ totalMs: 60_000 });
const why = await driver.unavailable();

let registry: ReferenceRegistry;
let scratch: string;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [terraformReference] });
  scratch = await mkdtemp(join(tmpdir(), "regkit-tofu-driver-"));
});
afterAll(async () => {
  await registry?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

let n = 0;
async function context(credential: Credential): Promise<DriverContext<TerraformProfile>> {
  const target = resolveTarget(terraformKit, referenceTarget(registry, "terraform"));
  n += 1;
  const workdir = join(scratch, `ctx-${n}`);
  await mkdir(workdir, { recursive: true });
  return { registry: target.registry, target, credential, secrets: targetSecrets(target, credential), workdir, signal: AbortSignal.timeout(120_000) };
}

async function publish(name: string, version: string) {
  const artifact = await terraformKit.build({ name, version });
  const res = await fetch(`${registry.registries.terraform}/modules/${name.split("/")[0]}/local/${encodeURIComponent(version)}/file`, {
    method: "PUT",
    headers: { "private-token": registry.tokens.personal },
    body: Buffer.from(await collect(artifact.content.stream())),
  });
  expect(res.status).toBe(201);
  return artifact;
}

describe.skipIf(why !== undefined)(`tofu init against the reference registry${why ? ` (${why})` : ""}`, () => {
  it("installs a pre-release with build metadata byte for byte, with a deploy token", async () => {
    const artifact = await publish("driver-pre/local", "2.0.0-rc.1+b7");
    const ctx = await context({ kind: "deploy", username: registry.tokens.deployUsername, token: registry.tokens.deploy });
    const { digests, output } = await driver.install!("driver-pre/local", "2.0.0-rc.1+b7", ctx);
    expect(digests.sha256).toBe(artifact.content.digests.sha256);
    expect(output).toMatch(/OpenTofu has been successfully initialized/);
  }, 120_000);

  it("fails with tofu's words when the registry refuses the token", async () => {
    await publish("driver-denied/local", "1.0.0");
    const ctx = await context({ kind: "personal", token: "glpat-not-a-token-regkit" });
    const error = await driver.install!("driver-denied/local", "1.0.0", ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConformanceFailure);
    expect((error as ConformanceFailure).expectation.actual).toMatch(/exit code 1: .*401/s);
    expect((error as ConformanceFailure).expectation.actual).not.toContain("glpat-not-a-token-regkit");
  }, 120_000);

  it("fails when the version was never published", async () => {
    await publish("driver-missing/local", "1.0.0");
    const ctx = await context({ kind: "personal", token: registry.tokens.personal });
    const error = await driver.install!("driver-missing/local", "3.0.0", ctx).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConformanceFailure);
    expect((error as ConformanceFailure).expectation.actual).toMatch(/exit code 1/);
  }, 120_000);
});

