// The real curl against the reference registry, as GitLab documents it: every
// token kind in GitLab's headers and as Basic (`--user`), the read-only deploy
// token and no credentials refused on upload with curl's own verdict, and no
// token in curl's output or on its command line.
import { mkdir, mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Credential, type Target, resolveTarget, targetSecrets } from "@regkit/core";
import { type ReferenceRegistry, createReferenceRegistry, referenceTarget } from "@regkit/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { curlDriver, genericKit } from "@regkit/generic";
import { genericReference } from "@regkit/generic/reference";

const why = await curlDriver.unavailable();
let registry: ReferenceRegistry;
let workdir: string;

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [genericReference] });
  workdir = await mkdtemp(join(tmpdir(), "regkit-curl-"));
});
afterAll(async () => {
  await registry?.close();
  await rm(workdir, { recursive: true, force: true });
});

let n = 0;
async function context(profile: string, credential: Credential) {
  const target: Target = referenceTarget(registry, "generic", { profile });
  const resolved = resolveTarget(genericKit, target);
  const dir = join(workdir, `ctx${n++}`);
  await mkdir(dir, { recursive: true });
  return { registry: resolved.registry, target: resolved, credential, secrets: targetSecrets(resolved, credential), workdir: dir, signal: AbortSignal.timeout(120_000) };
}

function credentialOf(kind: "personal" | "deploy" | "job" | "readonly" | "anonymous"): Credential {
  const t = registry.tokens;
  switch (kind) {
    case "personal":
      return { kind, token: t.personal };
    case "deploy":
      return { kind, token: t.deploy, username: t.deployUsername };
    case "job":
      return { kind, token: t.job };
    case "readonly":
      return { kind, token: t.readonlyDeploy, username: t.readonlyDeployUsername };
    case "anonymous":
      return { kind };
  }
}

describe.skipIf(why !== undefined)(`curl against the reference registry${why ? ` (${why})` : ""}`, () => {
  for (const profile of ["gitlab", "gitlab-basic"]) {
    for (const kind of ["personal", "deploy", "job"] as const) {
      it(`${profile}: ${kind} uploads every file and downloads the main one byte for byte`, async () => {
        const ctx = await context(profile, credentialOf(kind));
        const artifact = await genericKit.build({ name: genericKit.packageName("curl", `${profile}-${kind}`), version: "1.0.0", files: { "notes.txt": new TextEncoder().encode(`${kind}\n`) } });
        const published = await curlDriver.publish!(artifact, ctx);
        expect(published.accepted, published.output).toBe(true);
        expect(published.output).toMatch(/regkit-http-status:201/);
        const installed = await curlDriver.install!(artifact.name, "1.0.0", ctx);
        expect(installed.digests).toEqual(artifact.content.digests);
        for (const secret of ctx.secrets) {
          expect(published.output).not.toContain(secret);
          expect(installed.output).not.toContain(secret);
        }
        // The credential went through curl's config file (mode 0600), never the command line.
        const configs = (await readdir(ctx.workdir)).filter((f) => f.endsWith(".conf"));
        expect(configs.length).toBeGreaterThan(0);
        const config = await readFile(join(ctx.workdir, configs[0]!), "utf8");
        // gitlab-basic sends a job token in its header: GitLab reads none from Basic on uploads.
        expect(config).toMatch(profile === "gitlab" || kind === "job" ? /^header = "(PRIVATE|DEPLOY|JOB)-TOKEN: /m : /^user = "[^"]+:[^"]+"$/m);
      });
    }
  }

  it("a read-only deploy token is refused on upload (curl exits 22 on the 403) and downloads", async () => {
    const writer = await context("gitlab", credentialOf("personal"));
    const artifact = await genericKit.build({ name: genericKit.packageName("curl", "readonly"), version: "1.0.0" });
    expect((await curlDriver.publish!(artifact, writer)).accepted).toBe(true);
    const ctx = await context("gitlab", credentialOf("readonly"));
    const refused = await curlDriver.publish!(await genericKit.build({ name: artifact.name, version: "1.0.1" }), ctx);
    expect(refused.accepted).toBe(false);
    expect(refused.output).toMatch(/exit 22: [\s\S]*403/);
    expect((await curlDriver.install!(artifact.name, "1.0.0", ctx)).digests).toEqual(artifact.content.digests);
  });

  it("no credentials: the upload is refused with 401 and curl says so", async () => {
    const ctx = await context("gitlab", credentialOf("anonymous"));
    const refused = await curlDriver.publish!(await genericKit.build({ name: genericKit.packageName("curl", "anon"), version: "1.0.0" }), ctx);
    expect(refused.accepted).toBe(false);
    expect(refused.output).toMatch(/regkit-http-status:401/);
  });
});
