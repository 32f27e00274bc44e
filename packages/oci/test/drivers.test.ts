// The real OCI clients (skopeo and umoci from Debian; crane and oras built by
// ci/install-tools.sh) against Debian's docker-registry behind a token server:
// the token flow GitLab's container registry uses. Every kit driver pushes the
// kit's image and every other one pulls it back byte for byte; refusals
// (read-only, anonymous, a wrong password) are the clients' own verdicts; a
// corrupted layer download is refused by each client; no output carries the
// password.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { resolveTarget, targetSecrets, type ClientDriver, type Credential, type DriverContext } from "@regkit/core";
import { corruptBody, startFaultyProxy } from "@regkit/testkit";
import { distributionUnavailable, startDistribution, type StartedRegistry } from "../../../tooling/testing/oci-registries.mjs";
import { craneDriver, craneTags, ociReference, orasAttachAndDiscover, orasDriver, skopeoDriver, umociDriver } from "../src/drivers.js";
import { ociKit } from "../src/kit.js";
import { buildOciPackage } from "../src/package.js";
import type { OciProfile } from "../src/profiles.js";

const missing = await distributionUnavailable({ auth: "token" });
const kitDrivers = [skopeoDriver, craneDriver, orasDriver] as const;
const why = new Map<string, string | undefined>();
for (const driver of [...kitDrivers, umociDriver]) why.set(driver.name, await driver.unavailable());
const ready = (driver: ClientDriver<OciProfile>): boolean => why.get(driver.name) === undefined;
const skipNote = (driver: ClientDriver<OciProfile>): string => (ready(driver) ? "" : ` (skipped: ${why.get(driver.name) ?? ""})`);

let started: StartedRegistry;
/** The started registry's token-mode fields, present by construction (startDistribution with auth "token"). */
let registry: { url: string; username: string; password: string; readerUsername: string; readerPassword: string; tokens: NonNullable<StartedRegistry["tokens"]> };
let workdir: string;
let n = 0;
const fresh = (base: string): string => `regkit-drv${Date.now().toString(36)}-${++n}-${base}`;

beforeAll(async () => {
  if (missing) return;
  started = await startDistribution({ auth: "token" });
  const { url, username, password, readerUsername, readerPassword, tokens } = started;
  if (!username || !password || !readerUsername || !readerPassword || !tokens) throw new Error("startDistribution({ auth: \"token\" }) returned no users or token server");
  registry = { url, username, password, readerUsername, readerPassword, tokens };
  workdir = await mkdtemp(join(tmpdir(), "regkit-oci-drivers-"));
});
afterAll(async () => {
  await started?.close();
  if (workdir) await rm(workdir, { recursive: true, force: true });
});

function credentials(): Record<"writer" | "reader" | "anonymous" | "invalid", Credential> {
  return {
    writer: { kind: "personal", token: registry.password, username: registry.username },
    reader: { kind: "readonly", token: registry.readerPassword, username: registry.readerUsername },
    anonymous: { kind: "anonymous" },
    invalid: { kind: "invalid", token: "regkit-not-the-password", username: registry.username },
  };
}

async function context(credential: Credential, url = registry.url): Promise<DriverContext<OciProfile>> {
  const resolved = resolveTarget(ociKit, { registry: url, credentials: { personal: registry.password, personalUsername: registry.username } });
  return {
    registry: url,
    target: resolved,
    credential,
    secrets: targetSecrets(resolved, credential),
    workdir: await mkdtemp(join(workdir, "ctx-")),
    signal: AbortSignal.timeout(180_000),
  };
}

/** The manifest digest the registry serves for a tag, read with the writer's token (the test's own HTTP, not a client). */
async function servedDigest(name: string, tag: string): Promise<string | null> {
  const basic = `Basic ${Buffer.from(`${registry.username}:${registry.password}`).toString("base64")}`;
  const tokenRes = await fetch(`${registry.tokens.realm}?service=${registry.tokens.service}&scope=repository:${name}:pull`, { headers: { authorization: basic } });
  const { token } = (await tokenRes.json()) as { token: string };
  const res = await fetch(`${registry.url}/v2/${name}/manifests/${tag}`, {
    method: "HEAD",
    headers: { authorization: `Bearer ${token}`, accept: "application/vnd.oci.image.manifest.v1+json" },
  });
  return res.headers.get("docker-content-digest");
}

describe.skipIf(missing !== undefined)(`kit drivers against docker-registry with token auth${missing ? ` (skipped: ${missing})` : ""}`, () => {
  for (const publisher of kitDrivers) {
    test.skipIf(!ready(publisher))(`${publisher.name} pushes the kit's image and every client pulls it back byte for byte${skipNote(publisher)}`, async () => {
      const credential = credentials().writer;
      const artifact = await buildOciPackage({ name: fresh(publisher.name), version: "1.0.0", description: `pushed by ${publisher.name}` });
      registry.tokens.requests.length = 0;
      const pushed = await publisher.publish!(artifact, await context(credential));
      expect(pushed.accepted, pushed.output).toBe(true);
      expect(pushed.output).not.toContain(registry.password);
      // The client went through the token flow, as the writer.
      expect(registry.tokens.requests.some((r) => r.user === registry.username && decodeURIComponent(r.path).includes(`repository:${artifact.name}:`))).toBe(true);
      if (publisher !== orasDriver) {
        // skopeo and crane push the kit's manifest as it is; oras writes its own (the layer titled).
        const manifest = artifact.extra?.find((f) => f.filename === "manifest.json");
        expect(await servedDigest(artifact.name, "1.0.0")).toBe(`sha256:${manifest?.content.digests.sha256 ?? ""}`);
      }
      for (const installer of kitDrivers.filter(ready)) {
        const installed = await installer.install!(artifact.name, "1.0.0", await context(credential));
        expect(installed.digests, `${installer.name} pulling what ${publisher.name} pushed`).toEqual(artifact.content.digests);
        expect(installed.output).not.toContain(registry.password);
      }
    });
  }

  test.skipIf(!ready(craneDriver))("crane ls lists the tags pushed", async () => {
    const name = fresh("tags");
    for (const version of ["1.0.0", "1.1.0", "2.0.0-rc.1"]) {
      const pushed = await skopeoDriver.publish!(await buildOciPackage({ name, version }), await context(credentials().writer));
      expect(pushed.accepted, pushed.output).toBe(true);
    }
    expect([...(await craneTags(name, await context(credentials().writer)))].sort()).toEqual(["1.0.0", "1.1.0", "2.0.0-rc.1"]);
  });

  for (const driver of kitDrivers) {
    test.skipIf(!ready(driver))(`${driver.name}: a read-only user pulls but cannot push, anonymous and a wrong password can do neither${skipNote(driver)}`, async () => {
      const { writer, reader, anonymous, invalid } = credentials();
      const name = fresh(`refuse-${driver.name}`);
      const artifact = await buildOciPackage({ name, version: "1.0.0" });
      expect((await driver.publish!(artifact, await context(writer))).accepted).toBe(true);

      const readerInstall = await driver.install!(name, "1.0.0", await context(reader));
      expect(readerInstall.digests).toEqual(artifact.content.digests);
      const other = await buildOciPackage({ name, version: "2.0.0" });
      for (const credential of [reader, anonymous, invalid]) {
        const refused = await driver.publish!(other, await context(credential));
        expect(refused.accepted, `${driver.name} push as ${credential.kind}: ${refused.output}`).toBe(false);
        // The client's own words for a refusal (the registry's 401 or the token server's).
        expect(refused.output).toMatch(/denied|unauthori[sz]ed|authentication required|401|403|insufficient/i);
        expect(refused.output).not.toContain(registry.password);
        expect(refused.output).not.toContain(registry.readerPassword);
      }
      for (const credential of [anonymous, invalid]) {
        const error = await driver.install!(name, "1.0.0", await context(credential)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${driver.name} pull as ${credential.kind}`).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/denied|unauthori[sz]ed|authentication required|401|403|insufficient/i);
      }
      // Nothing was pushed by the refused clients.
      expect(await servedDigest(name, "2.0.0")).toBeNull();
    });
  }

  test.skipIf(!ready(umociDriver))(`umoci builds an image from a file, skopeo carries it, umoci unpacks it byte for byte${skipNote(umociDriver)}`, async () => {
    const credential = credentials().writer;
    const artifact = await buildOciPackage({ name: fresh("umoci"), version: "1.0.0" });
    const pushed = await umociDriver.publish!(artifact, await context(credential));
    expect(pushed.accepted, pushed.output).toBe(true);
    const installed = await umociDriver.install!(artifact.name, "1.0.0", await context(credential));
    expect(installed.digests).toEqual(artifact.content.digests);
    // umoci made its own layer around the file: the other clients see a different first layer.
    expect((await skopeoDriver.install!(artifact.name, "1.0.0", await context(credential))).digests).not.toEqual(artifact.content.digests);
  });

  test.skipIf(!ready(orasDriver))("oras attach links an artifact to an image and oras discover finds it", async () => {
    const credential = credentials().writer;
    const name = fresh("referrers");
    expect((await skopeoDriver.publish!(await buildOciPackage({ name, version: "1.0.0" }), await context(credential))).accepted).toBe(true);
    const found = await orasAttachAndDiscover(name, "1.0.0", await context(credential));
    expect(found.referrers).toContain(found.attached);
    expect(found.output).not.toContain(registry.password);
  });
});

describe.skipIf(missing !== undefined)(`clients refuse a corrupted layer download${missing ? ` (skipped: ${missing})` : ""}`, () => {
  for (const driver of [...kitDrivers, umociDriver]) {
    test.skipIf(!ready(driver))(`${driver.name} fails when the registry serves a layer whose bytes do not match its digest${skipNote(driver)}`, async () => {
      const credential = credentials().writer;
      const artifact = await buildOciPackage({ name: fresh(`corrupt-${driver.name}`), version: "1.0.0" });
      expect((await (driver === umociDriver ? umociDriver : skopeoDriver).publish!(artifact, await context(credential))).accepted).toBe(true);
      const proxy = await startFaultyProxy({ upstream: registry.url, fault: corruptBody({ when: (ex) => ex.method === "GET" && /\/blobs\/sha256:/.test(ex.path) && !ex.path.includes("/uploads/") }) });
      try {
        // As localhost, like the registry and its realm (oras sends credentials only to a realm on the registry's own host name).
        const error = await driver.install!(artifact.name, "1.0.0", await context(credential, proxy.url.replace("127.0.0.1", "localhost"))).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error, `${driver.name} must refuse a corrupted blob`).toBeInstanceOf(Error);
        // The client's own words after the command that failed (not the driver's, which names the command).
        const said = (error as Error).message.slice((error as Error).message.indexOf("): ") + 3);
        expect(said).toMatch(/digest|checksum|verif|mismatch/i);
        expect((error as Error).message).not.toContain(registry.password);
      } finally {
        await proxy.close();
      }
      // Through no proxy the same image pulls intact: the refusal was the corruption's.
      expect((await driver.install!(artifact.name, "1.0.0", await context(credential))).digests).toEqual(artifact.content.digests);
    });
  }
});

test("image references: the registry URL's path is the namespace, the version the tag", () => {
  expect(ociReference("http://127.0.0.1:5000", "regkit-x", "1.0.0")).toEqual({ host: "127.0.0.1:5000", repository: "regkit-x", tag: "1.0.0", plainHttp: true });
  expect(ociReference("https://registry.example.com/group/project/", "img", "v1")).toEqual({ host: "registry.example.com", repository: "group/project/img", tag: "v1", plainHttp: false });
  expect(ociReference("http://127.0.0.1:5000/v2/", "a", "b").repository).toBe("a");
});
