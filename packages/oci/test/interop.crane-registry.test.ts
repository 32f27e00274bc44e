// The real clients against a second, independent registry: `crane registry
// serve` (go-containerregistry's pkg/registry, no auth), started per run on
// 127.0.0.1 from the crane that ci/install-tools.sh builds. Every kit driver
// pushes and every driver pulls back byte for byte, and, through a recording
// proxy, every request each client made is a route of the spec's table
// (regkit-report/oci-client-requests.crane-registry.json).
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { matchRoute, resolveTarget, startRecordingProxy, targetSecrets, type Credential, type DriverContext, type Exchange } from "@regkit/core";
import { craneRegistryUnavailable, startCraneRegistry, type StartedRegistry } from "../../../tooling/testing/oci-registries.mjs";
import { craneDriver, orasDriver, skopeoDriver } from "../src/drivers.js";
import { ociKit, ociRoutes } from "../src/kit.js";
import { buildOciPackage } from "../src/package.js";
import type { OciProfile } from "../src/profiles.js";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const missing = await craneRegistryUnavailable();
const kitDrivers = [skopeoDriver, craneDriver, orasDriver] as const;
const why = new Map<string, string | undefined>();
for (const driver of kitDrivers) why.set(driver.name, await driver.unavailable());
const ready = kitDrivers.filter((d) => why.get(d.name) === undefined);

let server: StartedRegistry;
let workdir: string;
let n = 0;
const fresh = (base: string): string => ociKit.packageName(`crn${Date.now().toString(36)}${++n}`, base);
// crane's registry has no auth: a credential is sent and ignored.
const credential: Credential = { kind: "personal", token: "crane-registry-ignores-this-0123", username: "regkit" };

beforeAll(async () => {
  if (missing) return;
  server = await startCraneRegistry();
  workdir = await mkdtemp(join(tmpdir(), "regkit-oci-interop-crane-"));
});
afterAll(async () => {
  await server?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

async function context(registry = server.url): Promise<DriverContext<OciProfile>> {
  const resolved = resolveTarget(ociKit, { registry, profile: "distribution", credentials: { personal: credential.token, personalUsername: credential.username } });
  return { registry, target: resolved, credential, secrets: targetSecrets(resolved, credential), workdir: await mkdtemp(join(workdir, "ctx-")), signal: AbortSignal.timeout(180_000) };
}

describe.skipIf(missing !== undefined || ready.length === 0)(`real clients against crane registry serve${missing ? ` (skipped: ${missing})` : ""}`, () => {
  const audit: Record<string, { routes: Record<string, number>; outside: string[] }> = {};
  afterAll(async () => {
    if (Object.keys(audit).length === 0) return;
    await mkdir(join(root, "regkit-report"), { recursive: true });
    await writeFile(join(root, "regkit-report", "oci-client-requests.crane-registry.json"), `${JSON.stringify(audit, null, 2)}\n`);
  });

  test("each client pushes the kit's image and every client pulls it back byte for byte", async () => {
    for (const publisher of ready) {
      const artifact = await buildOciPackage({ name: fresh(publisher.name), version: "1.0.0" });
      const pushed = await publisher.publish!(artifact, await context());
      expect(pushed.accepted, `${publisher.name}: ${pushed.output}`).toBe(true);
      for (const installer of ready) {
        const installed = await installer.install!(artifact.name, "1.0.0", await context());
        expect(installed.digests, `${installer.name} pulling what ${publisher.name} pushed`).toEqual(artifact.content.digests);
      }
    }
  });

  for (const driver of ready) {
    test(`${driver.name}: every request it made through a recording proxy is a route of the spec`, async () => {
      const exchanges: Exchange[] = [];
      const proxy = await startRecordingProxy({ registry: server.url, record: (e) => exchanges.push(e), secrets: [credential.token!], via: driver.name });
      try {
        const artifact = await buildOciPackage({ name: fresh(`audit-${driver.name}`), version: "1.0.0" });
        const pushed = await driver.publish!(artifact, await context(proxy.url));
        expect(pushed.accepted, pushed.output).toBe(true);
        expect((await driver.install!(artifact.name, "1.0.0", await context(proxy.url))).digests).toEqual(artifact.content.digests);
      } finally {
        await proxy.close();
      }
      const routes: Record<string, number> = {};
      const outside: string[] = [];
      for (const e of exchanges) {
        const route = matchRoute(ociRoutes, e.method, e.path);
        if (route) routes[`${route.method} ${route.summary}`] = (routes[`${route.method} ${route.summary}`] ?? 0) + 1;
        else outside.push(`${e.method} ${e.path} -> ${e.status}`);
      }
      audit[driver.name] = { routes, outside };
      expect(outside, `${driver.name} requested paths outside the spec's routes`).toEqual([]);
      expect(Object.keys(routes).some((r) => r.startsWith("PUT end-7"))).toBe(true);
      expect(Object.keys(routes).some((r) => r.startsWith("GET end-3") || r.startsWith("HEAD end-3"))).toBe(true);
    });
  }
});
