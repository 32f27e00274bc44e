// The helm driver against the reference registry, each part on its own: what
// it installs is the bytes published, under each token kind; a registry that
// refuses it fails with helm's own words and no token in them.
import type { Credential, DriverContext } from "@regkit/core";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { resolveTarget } from "@regkit/core";
import { type HelmProfile, basicCredentials, buildChart, helmDriver, helmKit } from "@regkit/helm";
import { helmReference } from "@regkit/helm/reference";

const why = await helmDriver.unavailable();
const registry = await createReferenceRegistry({ formats: [helmReference] });
const work = await mkdtemp(join(tmpdir(), "regkit-helm-drivers-"));
afterAll(async () => {
  await registry.close();
  await rm(work, { recursive: true, force: true });
});

const target = resolveTarget(helmKit, referenceTarget(registry, "helm"));
const { tokens } = registry;
const credentials: Record<string, Credential> = {
  personal: { kind: "personal", token: tokens.personal },
  deploy: { kind: "deploy", token: tokens.deploy, username: tokens.deployUsername },
  job: { kind: "job", token: tokens.job },
  anonymous: { kind: "anonymous" },
};

let n = 0;
async function context(credential: Credential): Promise<DriverContext<HelmProfile>> {
  const dir = join(work, `ctx-${n++}`);
  return { registry: registry.registries.helm!, target, credential, secrets: registry.secrets, workdir: await mkdtemp(`${dir}-`), signal: new AbortController().signal };
}

async function publish(name: string) {
  const artifact = await buildChart({ name, version: "1.0.0" });
  const form = new FormData();
  form.set("chart", new Blob([artifact.content.bytes!]), artifact.filename);
  const res = await fetch(`${registry.registries.helm}/api/stable/charts`, { method: "POST", body: form, headers: target.profile.authHeaders(credentials.personal!) });
  expect(res.status).toBe(201);
  return artifact;
}

test("basicCredentials reads the profile's Basic header back", () => {
  expect(basicCredentials(target.profile.authHeaders(credentials.job!))).toEqual({ username: "gitlab-ci-token", password: tokens.job });
  expect(basicCredentials(target.profile.authHeaders(credentials.anonymous!))).toBeUndefined();
});

describe.skipIf(why !== undefined)(`helm against the reference registry${why ? ` (skipped: ${why})` : ""}`, () => {
  for (const kind of ["personal", "deploy", "job"]) {
    test(`helm repo add + pull as ${kind}: the bytes published`, async () => {
      const artifact = await publish(helmKit.packageName("drv", `pull-${kind}`));
      const got = await helmDriver.install!(artifact.name, "1.0.0", await context(credentials[kind]!));
      expect(got.digests.sha256).toBe(artifact.content.digests.sha256);
      for (const secret of registry.secrets) expect(got.output).not.toContain(secret);
    }, 60_000);
  }

  test("without credentials on a private project helm repo add fails with helm's words (401)", async () => {
    const { error } = await helmDriver.install!("whatever", "1.0.0", await context(credentials.anonymous!)).then(
      () => ({ error: undefined }),
      (e: unknown) => ({ error: e as Error & { expectation?: { actual: string } } }),
    );
    expect(error?.message).toMatch(/^helm repo add could not add /);
    expect(error?.expectation?.actual).toMatch(/401/);
  }, 60_000);

  test("a version the index does not list: helm pull fails and says so", async () => {
    const artifact = await publish(helmKit.packageName("drv", "missing"));
    const { error } = await helmDriver.install!(artifact.name, "9.9.9", await context(credentials.personal!)).then(
      () => ({ error: undefined }),
      (e: unknown) => ({ error: e as Error & { expectation?: { actual: string } } }),
    );
    expect(error?.message).toBe(`helm pull could not fetch ${artifact.name}@9.9.9`);
    expect(error?.expectation?.actual).toMatch(/9\.9\.9/);
  }, 60_000);
});
