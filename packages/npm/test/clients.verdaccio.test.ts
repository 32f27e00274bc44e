// Each real client of the npm kit (npm CLI, pnpm, yarn 4, bun), alone, against
// a Verdaccio 6 in its default configuration (no max_body_size line), then
// through a fault proxy in front of that Verdaccio, where the client itself
// must notice what is wrong: a corrupted tarball download, and a packument
// whose dist.integrity and dist.shasum do not match the tarball. The driver
// must report the client's own verdict (EINTEGRITY, ERR_PNPM_TARBALL_INTEGRITY,
// IntegrityCheckFailed, yarn's ZlibError), which a failure for another reason
// (a package that does not exist) does not carry: the driver reads what the
// client said, not only that it exited non-zero.
//
// A client that is not installed (bash tooling/ci/install-tools.sh npm) is a
// skip with the reason, never a pass.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ConformanceFailure, resolveTarget, runConformance, type Credential, type DriverContext } from "@regkit/core";
import { npmCli, npmDrivers, npmKit, publishWithYarn, yarn, type NpmClientDriver, type NpmProfile } from "@regkit/npm";
import { corruptBody, mapJson, startFaultyProxy, type Fault, type FaultyProxy } from "@regkit/testkit";
import { startVerdaccio } from "../../../tooling/testing/verdaccio.mjs";

const verdaccio = await startVerdaccio();
const target = { registry: verdaccio.url, profile: "verdaccio", credentials: { personal: verdaccio.token } };
const resolved = resolveTarget(npmKit, target);
const credential: Credential = { kind: "personal", token: verdaccio.token };
let root: string;
let contexts = 0;

/** A driver context pointing the client at `registry` (Verdaccio, or a fault proxy in front of it). */
async function contextFor(registry: string): Promise<DriverContext<NpmProfile>> {
  const workdir = await mkdtemp(join(root, `ctx${contexts++}-`));
  return { registry, target: resolved, credential, secrets: [verdaccio.token], workdir, signal: AbortSignal.timeout(300_000) };
}

const isTarball = (e: { method: string; path: string }): boolean => e.method === "GET" && e.path.endsWith(".tgz");
const isPackument = (e: { method: string; path: string }): boolean => e.method === "GET" && !e.path.includes("/-/") && !e.path.endsWith(".tgz");
const WRONG_INTEGRITY = `sha512-${Buffer.alloc(64, 7).toString("base64")}`;

/** The packument lies: every version's dist.integrity and dist.shasum name other bytes than its tarball. */
const lyingPackument: Fault = mapJson({
  when: isPackument,
  map: (doc) => {
    const versions = (doc as { versions?: Record<string, { dist?: Record<string, unknown> }> }).versions ?? {};
    for (const manifest of Object.values(versions)) {
      if (manifest.dist) {
        manifest.dist.integrity = WRONG_INTEGRITY;
        manifest.dist.shasum = "0".repeat(40);
      }
    }
    return doc;
  },
});

/**
 * What each client says when it refuses a download, as its driver reports it
 * (the driver's message names the client first, then the client's own words).
 * yarn 4 does not compare a tarball with the packument's dist.integrity or
 * shasum at all (its lockfile checksum is of the zip it converts the tarball
 * into): it installs from the lying packument, and notices a corrupted
 * download only when the archive fails to unpack.
 */
const VERDICTS: Record<string, { readonly corrupt: RegExp; readonly lying: RegExp | "installs" }> = {
  "npm-cli": {
    corrupt: /^npm-cli refused \S+: the tarball does not match the packument's integrity \(EINTEGRITY: "npm error code EINTEGRITY"\)$/,
    lying: /^npm-cli refused \S+: the tarball does not match the packument's integrity \(EINTEGRITY: "npm error code EINTEGRITY"\)$/,
  },
  pnpm: {
    corrupt: /^pnpm refused \S+: the tarball does not match the packument's integrity \(ERR_PNPM_TARBALL_INTEGRITY: /,
    lying: /^pnpm refused \S+: the tarball does not match the packument's integrity \(ERR_PNPM_TARBALL_INTEGRITY: /,
  },
  yarn: {
    corrupt: /^yarn refused \S+: the tarball is corrupt \(corrupt archive: ".*(ZlibError|zlib)/,
    lying: "installs",
  },
  bun: {
    corrupt: /^bun refused \S+: the tarball does not match the packument's integrity \(IntegrityCheckFailed: "error: Integrity check failed/,
    lying: /^bun refused \S+: the tarball does not match the packument's integrity \(IntegrityCheckFailed: "error: Integrity check failed/,
  },
};

/** The package the faults serve: published once, by the npm CLI, straight to Verdaccio. */
const probe = { name: `regkit-detect-${Date.now().toString(36)}`, version: "1.0.0" };
const proxies: FaultyProxy[] = [];

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "regkit-npm-clients-"));
  const published = await npmCli.publish!(await npmKit.build(probe), await contextFor(verdaccio.url));
  expect(published.accepted, published.output).toBe(true);
  proxies.push(await startFaultyProxy({ upstream: verdaccio.url, fault: corruptBody({ when: isTarball }) }));
  proxies.push(await startFaultyProxy({ upstream: verdaccio.url, fault: lyingPackument }));
}, 300_000);

afterAll(async () => {
  for (const proxy of proxies) await proxy.close();
  await verdaccio.close();
  if (root) await rm(root, { recursive: true, force: true });
});

/** The error a driver's install ends with, or undefined when it installed. */
async function installError(driver: NpmClientDriver, registry: string, name = probe.name): Promise<Error | undefined> {
  return await driver.install!(name, probe.version, await contextFor(registry)).then(
    () => undefined,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
}

for (const driver of npmDrivers) {
  const why = await driver.unavailable();
  const verdicts = VERDICTS[driver.name]!;
  describe.skipIf(why !== undefined)(`${driver.name}${why ? ` (${why})` : ""} against Verdaccio 6 (default configuration)`, () => {
    test("clients.roundtrip and endpoints.audit pass with this client alone, and the result names its version", async () => {
      const version = await driver.version();
      expect(version).toMatch(/^\d+\.\d+\.\d+/);
      const report = await runConformance({ kit: { ...npmKit, drivers: [driver] }, target, scenarios: ["clients.roundtrip", "endpoints.audit"], tokenKinds: ["personal"] });
      const byId = Object.fromEntries(report.results.map((r) => [r.scenario, r]));
      const roundtrip = byId["clients.roundtrip"]!;
      expect(roundtrip.status, `${roundtrip.message} ${JSON.stringify(roundtrip.expectation)}`).toBe("pass");
      expect(roundtrip.notes.join("\n")).toMatch(driver.publish ? `${driver.name}: published and installed byte for byte` : `; ${driver.name} installed it byte for byte`);
      expect(roundtrip.clients?.find((c) => c.name === driver.name)).toMatchObject({ status: "pass", version });
      const audit = byId["endpoints.audit"]!;
      expect(audit.status, `${audit.message} ${JSON.stringify(audit.expectation)}`).toBe("pass");
      expect(audit.notes.join("\n")).not.toMatch(new RegExp(`${driver.name} (not exercised|install:|publish was refused)`));
    }, 600_000);

    test("a scoped package (@scope/name): published (by the npm CLI where this client does not publish) and installed byte for byte", async () => {
      const artifact = await npmKit.build({ name: `@regkit-scoped/${driver.name}-${Date.now().toString(36)}`, version: "1.0.0" });
      const publisher = driver.publish ? driver : npmCli;
      const published = await publisher.publish!(artifact, await contextFor(verdaccio.url));
      expect(published.accepted, published.output).toBe(true);
      const installed = await driver.install!(artifact.name, artifact.version, await contextFor(verdaccio.url));
      expect(installed.digests.sha512).toBe(artifact.content.digests.sha512);
      // The token sits in the client's own config file, never in what the driver reports.
      expect(`${published.output}${installed.output}`).not.toContain(verdaccio.token);
    }, 300_000);

    test("a corrupted tarball download: the client refuses it, and the round trip fails with the client's own verdict", async () => {
      const [corrupting] = proxies;
      const report = await runConformance({ kit: { ...npmKit, drivers: [driver] }, target: { ...target, registry: corrupting!.url }, scenarios: ["clients.roundtrip"], tokenKinds: ["personal"] });
      const result = report.results[0]!;
      // A failure of the registry, in the client's words, with what the client printed as what came back.
      expect(result.status).toBe("fail");
      expect(result.message).toMatch(verdicts.corrupt);
      expect(result.expectation?.expected).toMatch(new RegExp(`^${driver.name} installs `));
    }, 600_000);

    test(
      verdicts.lying === "installs"
        ? "a packument whose dist.integrity and shasum lie: this client does not check them, and installs the intact tarball"
        : "a packument whose dist.integrity and shasum lie: the client refuses the tarball, and the driver says so in the client's words",
      async () => {
        const error = await installError(driver, proxies[1]!.url);
        if (verdicts.lying === "installs") expect(error?.message).toBeUndefined();
        else expect(error?.message).toMatch(verdicts.lying);
        if (error instanceof ConformanceFailure) expect(JSON.stringify(error.expectation)).not.toContain(verdaccio.token);
      },
      300_000,
    );

    test("a package that does not exist: the install fails without a verdict on the bytes (the verdict comes from the client's words, not its exit code)", async () => {
      const error = await installError(driver, verdaccio.url, `${probe.name}-missing`);
      // The same non-zero exit as a refusal, but no verdict: "could not install", not "refused".
      expect(error?.message).toMatch(driver === npmCli ? /^npm pack \S+ failed \(exit \d+\): / : new RegExp(`^${driver.name} could not install \\S+ \\(exit \\d+\\): `));
    }, 300_000);
  });
}

// yarn 4 publishes the way its users do, `yarn npm publish` from a workspace it
// packs itself (its bytes, not the artifact's: see publishWithYarn), and every
// client installs exactly what yarn packed.
const yarnWhy = await yarn.unavailable();
describe.skipIf(yarnWhy !== undefined)(`yarn npm publish to Verdaccio${yarnWhy ? ` (${yarnWhy})` : ""}`, () => {
  test("yarn publishes with npmAuthToken, and every client installs the bytes yarn packed", async () => {
    const artifact = await npmKit.build({ name: `@regkit-yarn/published-${Date.now().toString(36)}`, version: "1.0.0" });
    const published = await publishWithYarn(artifact, await contextFor(verdaccio.url));
    expect(published.accepted, published.output).toBe(true);
    expect(published.output).not.toContain(verdaccio.token);
    // yarn packed its own tarball: other bytes than the artifact's, the same files.
    expect(published.digests?.sha512).not.toBe(artifact.content.digests.sha512);
    for (const driver of npmDrivers) {
      if (await driver.unavailable()) continue;
      const installed = await driver.install!(artifact.name, artifact.version, await contextFor(verdaccio.url));
      expect(installed.digests.sha512, driver.name).toBe(published.digests?.sha512);
    }
  }, 600_000);
});
