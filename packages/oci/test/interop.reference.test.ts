// The real clients against our reference registry's OCI routes and its GitLab
// token realm (/jwt/auth): every kit driver pushes with each write token kind
// and every driver pulls back byte for byte; the read-only deploy token pulls
// but cannot push; anonymous and a wrong token can do neither. Then
// endpoints.audit's question for real clients: through a recording proxy, what
// each client requested, each request matched against the spec's route table
// (the kit's routes, and the token endpoint the registry's challenges
// announced: the recording proxy points the reference's realm at itself, so
// the clients' token requests are recorded too), written to
// regkit-report/oci-client-requests.reference.json.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { matchRoute, resolveTarget, runTool, standardRoutes, startRecordingProxy, targetSecrets, type ClientDriver, type Credential, type DriverContext, type Exchange, type Target } from "@regkit/core";
import { createReferenceRegistry, referenceTarget, type ReferenceRegistry } from "@regkit/registry";
import { ociReference } from "@regkit/oci/reference";
import { craneDriver, imageName, ociReference as imageReference, orasDriver, skopeoDriver, writeAuthConfig } from "../src/drivers.js";
import { ociKit } from "../src/kit.js";
import { buildOciPackage } from "../src/package.js";
import type { OciProfile } from "../src/profiles.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const kitDrivers = [skopeoDriver, craneDriver, orasDriver] as const;
const why = new Map<string, string | undefined>();
for (const driver of kitDrivers) why.set(driver.name, await driver.unavailable());
const ready = kitDrivers.filter((d) => why.get(d.name) === undefined);
const skipped = kitDrivers.filter((d) => why.get(d.name) !== undefined).map((d) => `${d.name}: ${why.get(d.name) ?? ""}`);

let registry: ReferenceRegistry;
let target: Target;
let workdir: string;
let n = 0;
const fresh = (base: string): string => ociKit.packageName(`int${Date.now().toString(36)}${++n}`, base);

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [ociReference] });
  target = referenceTarget(registry, "oci");
  workdir = await mkdtemp(join(tmpdir(), "regkit-oci-interop-ref-"));
});
afterAll(async () => {
  await registry?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

function credentials(): Record<"personal" | "deploy" | "job" | "readonly" | "anonymous" | "invalid", Credential> {
  const t = registry.tokens;
  return {
    personal: { kind: "personal", token: t.personal, username: t.personalUsername },
    deploy: { kind: "deploy", token: t.deploy, username: t.deployUsername },
    job: { kind: "job", token: t.job },
    readonly: { kind: "readonly", token: t.readonlyDeploy, username: t.readonlyDeployUsername },
    anonymous: { kind: "anonymous" },
    invalid: { kind: "invalid", token: "glpat-regkitNotIssued0000000", username: t.personalUsername },
  };
}

async function context(credential: Credential, registryUrl = target.registry): Promise<DriverContext<OciProfile>> {
  const resolved = resolveTarget(ociKit, { ...target, registry: registryUrl });
  return { registry: registryUrl, target: resolved, credential, secrets: targetSecrets(resolved, credential), workdir: await mkdtemp(join(workdir, "ctx-")), signal: AbortSignal.timeout(180_000) };
}

const REFUSED = /denied|unauthori[sz]ed|authentication required|401|403|forbidden|insufficient/i;

describe.skipIf(ready.length === 0)(`real clients against the reference registry${skipped.length ? ` (not run: ${skipped.join("; ")})` : ""}`, () => {
  for (const kind of ["personal", "deploy", "job"] as const) {
    test(`with a ${kind} token each client pushes through the token realm and every client pulls back byte for byte`, async () => {
      const credential = credentials()[kind];
      for (const publisher of ready) {
        const artifact = await buildOciPackage({ name: fresh(`${kind}-${publisher.name}`), version: "1.0.0" });
        const pushed = await publisher.publish!(artifact, await context(credential));
        expect(pushed.accepted, `${publisher.name} push as ${kind}: ${pushed.output}`).toBe(true);
        expect(pushed.output).not.toContain(credential.token!);
        for (const installer of ready) {
          const installed = await installer.install!(artifact.name, "1.0.0", await context(credential));
          expect(installed.digests, `${installer.name} pulling what ${publisher.name} pushed as ${kind}`).toEqual(artifact.content.digests);
        }
      }
    });
  }

  test("the read-only deploy token pulls but no client can push with it, and anonymous or a wrong token can do neither", async () => {
    const { personal, readonly, anonymous, invalid } = credentials();
    const name = fresh("refusals");
    const artifact = await buildOciPackage({ name, version: "1.0.0" });
    expect((await ready[0]!.publish!(artifact, await context(personal))).accepted).toBe(true);
    const other = await buildOciPackage({ name, version: "2.0.0" });
    for (const driver of ready) {
      expect((await driver.install!(name, "1.0.0", await context(readonly))).digests).toEqual(artifact.content.digests);
      for (const credential of [readonly, anonymous, invalid]) {
        const refused = await driver.publish!(other, await context(credential));
        expect(refused.accepted, `${driver.name} push as ${credential.kind}: ${refused.output}`).toBe(false);
        expect(refused.output).toMatch(REFUSED);
        if (credential.token) expect(refused.output).not.toContain(credential.token);
      }
      for (const credential of [anonymous, invalid]) {
        const error = await driver.install!(name, "1.0.0", await context(credential)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${driver.name} pull as ${credential.kind}`).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(REFUSED);
      }
    }
  });
});

describe.skipIf(ready.length === 0)("what each real client requested, against the spec's route table", () => {
  const audit: Record<string, { routes: Record<string, number>; outside: string[] }> = {};
  afterAll(async () => {
    await mkdir(join(root, "regkit-report"), { recursive: true });
    await writeFile(join(root, "regkit-report", "oci-client-requests.reference.json"), `${JSON.stringify(audit, null, 2)}\n`);
  });

  test.skipIf(why.get("crane") !== undefined)("through the recording proxy crane takes the reference's realm: the proxy points it at itself, and the token request is recorded", async () => {
    // Unrewritten, the realm (127.0.0.1, the reference's own port) is a loopback literal on another
    // port than crane talks to, which crane refuses ("realm host ... is a private or link-local address").
    const credential = credentials().personal;
    const origin = new URL(target.registry).origin;
    const exchanges: Exchange[] = [];
    const proxy = await startRecordingProxy({ registry: origin, record: (e) => exchanges.push(e), secrets: [credential.token!], via: "crane" });
    try {
      const ctx = await context(credential, target.registry.replace(origin, proxy.url));
      const ref = imageReference(ctx.registry, fresh("realm"), "1.0.0");
      const auth = await writeAuthConfig(ctx, ref.host);
      const ran = await runTool({ command: "crane", args: ["digest", imageName(ref), "--insecure"], env: { DOCKER_CONFIG: auth.dir, HOME: ctx.workdir }, timeoutMs: 60_000, secrets: ctx.secrets });
      // No image there: crane got past the token flow and met the registry's MANIFEST_UNKNOWN.
      expect(ran.code).not.toBe(0);
      expect(ran.output).not.toMatch(/realm host/);
      expect(ran.output).toMatch(/MANIFEST_UNKNOWN/);
      expect(ran.output).not.toContain(credential.token!);
    } finally {
      await proxy.close();
    }
    expect(exchanges.map((e) => `${e.method} ${e.path.split("?")[0]} ${e.status}`)).toContain("GET /jwt/auth 200");
    expect(JSON.stringify(exchanges)).not.toContain(credential.token!);
  });

  for (const driver of kitDrivers) {
    test.skipIf(why.get(driver.name) !== undefined)(`${driver.name}: every request it made through a recording proxy is a route of the spec`, async () => {
      const credential = credentials().personal;
      const origin = new URL(target.registry).origin;
      const exchanges: Exchange[] = [];
      const proxy = await startRecordingProxy({ registry: origin, record: (e) => exchanges.push(e), secrets: [credential.token!], via: driver.name });
      try {
        // The same project path behind the proxy's origin.
        const proxied = target.registry.replace(origin, proxy.url);
        const artifact = await buildOciPackage({ name: fresh(`audit-${driver.name}`), version: "1.0.0" });
        const pushed = await driver.publish!(artifact, await context(credential, proxied));
        // The proxy points the reference's realm at itself: the clients' token requests pass it too.
        expect(pushed.accepted, pushed.output).toBe(true);
        expect((await driver.install!(artifact.name, "1.0.0", await context(credential, proxied))).digests).toEqual(artifact.content.digests);
      } finally {
        await proxy.close();
      }
      const routes: Record<string, number> = {};
      const outside: string[] = [];
      // The spec's routes and the token endpoint the reference's challenges announced, as endpoints.audit reads them.
      const table = standardRoutes(ociKit, exchanges);
      for (const e of exchanges) {
        const route = matchRoute(table, e.method, e.path);
        if (route) routes[`${route.method} ${route.summary}`] = (routes[`${route.method} ${route.summary}`] ?? 0) + 1;
        else outside.push(`${e.method} ${e.path} -> ${e.status}`);
      }
      audit[driver.name] = { routes, outside };
      expect(exchanges.length).toBeGreaterThan(2);
      expect(outside, `${driver.name} requested paths outside the spec's routes`).toEqual([]);
      // It pushed and pulled: a manifest went up and came down.
      expect(Object.keys(routes).some((r) => r.startsWith("PUT end-7"))).toBe(true);
      expect(Object.keys(routes).some((r) => r.startsWith("GET end-3"))).toBe(true);
      // Its token requests went through the proxy, to the realm the challenge named.
      expect(Object.keys(routes).some((r) => r.startsWith("GET the token endpoint"))).toBe(true);
      expect(JSON.stringify(exchanges)).not.toContain(credential.token!);
    });
  }
});
