// Unit tests of what the npm kit's client drivers read: the clients' verdicts
// in their own words, the tarball a client installed from, the integrity it
// recorded; and of the verdaccio profile's body limit (max_body_size limits
// the JSON publish body, in which the tarball travels base64).
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { collect, resolveTarget } from "@regkit/core";
import { largestTarballUnder, matchesIntegrity, npmKit, tarFiles, verdictOf, VERDACCIO_DEFAULT_MAX_BODY } from "@regkit/npm";

const MiB = 1024 * 1024;

describe("a client's verdict, read from its output", () => {
  // Lines the clients printed against a fault proxy in front of Verdaccio (packages/npm/test/clients.verdaccio.test.ts).
  test.each([
    ["npm", "npm error code EINTEGRITY\nnpm error sha512-abc integrity checksum failed when using sha512", "integrity", "EINTEGRITY"],
    ["pnpm", " ERR_PNPM_TARBALL_INTEGRITY  Got unexpected checksum for \"http://127.0.0.1/x/-/x-1.0.0.tgz\"", "integrity", "ERR_PNPM_TARBALL_INTEGRITY"],
    ["bun", "Resolving dependencies\nerror: Integrity check failed for tarball: x\nerror: IntegrityCheckFailed extracting tarball from x", "integrity", "IntegrityCheckFailed"],
    ["yarn", "➤ YN0000: ┌ Fetch step\n➤ YN0001: │ ZlibError: zlib: invalid distance too far back\n    at parseTar", "corrupt", "corrupt archive"],
  ])("%s: %s", (_client, output, kind, code) => {
    const verdict = verdictOf(output);
    expect(verdict).toMatchObject({ kind, code });
    // The line quoted is the client's own, not the whole output.
    expect(output.split("\n").map((l) => l.trim())).toContain(verdict?.line);
  });

  test("a failure for another reason carries no verdict, whatever the exit code was", () => {
    expect(verdictOf("npm error code E404\nnpm error 404 Not Found - GET http://127.0.0.1/x - no such package available")).toBeUndefined();
    expect(verdictOf(" ERR_PNPM_FETCH_404  GET http://127.0.0.1/x: Not Found - 404")).toBeUndefined();
    expect(verdictOf("➤ YN0035: │ x@npm:1.0.0: Package not found")).toBeUndefined();
    expect(verdictOf("error: GET http://127.0.0.1/x - 404")).toBeUndefined();
    expect(verdictOf("network timeout at: http://127.0.0.1/x")).toBeUndefined();
  });
});

describe("the tarball a client installed from", () => {
  test("tarFiles lists every file of a package as npm packs it, under the package root", async () => {
    const artifact = await npmKit.build({ name: "@s/units", version: "1.2.3", files: { "lib/deep/a.txt": new TextEncoder().encode("a") } });
    const files = tarFiles(await collect(artifact.content.stream()));
    expect(files.map((f) => f.path).sort()).toEqual(["README.md", "index.js", "lib/deep/a.txt", "package.json"]);
    expect(JSON.parse(files.find((f) => f.path === "package.json")!.bytes.toString("utf8"))).toMatchObject({ name: "@s/units", version: "1.2.3" });
  });

  test("matchesIntegrity: the recorded SRI against the bytes; unknown algorithms say nothing", () => {
    const bytes = new TextEncoder().encode("regkit");
    const sha512 = `sha512-${createHash("sha512").update(bytes).digest("base64")}`;
    const sha1 = `sha1-${createHash("sha1").update(bytes).digest("base64")}`;
    expect(matchesIntegrity(bytes, sha512)).toBe(true);
    expect(matchesIntegrity(bytes, sha1)).toBe(true);
    expect(matchesIntegrity(new TextEncoder().encode("other"), sha512)).toBe(false);
    expect(matchesIntegrity(bytes, "md5-abc")).toBeUndefined();
  });
});

describe("the verdaccio profile's limit is on the JSON publish body", () => {
  test("its default: the largest tarball whose base64 body, packument included, fits in 10 MiB", () => {
    const limit = resolveTarget(npmKit, { registry: "http://127.0.0.1:4873", profile: "verdaccio" }).limits.maxFileSize;
    expect(limit).toBe(largestTarballUnder(VERDACCIO_DEFAULT_MAX_BODY));
    // base64 of the largest tarball, plus a publish document, fits; 1 MiB more (push.over-limit) does not.
    expect(Math.ceil(limit / 3) * 4 + 16 * 1024).toBeLessThanOrEqual(10 * MiB);
    expect(Math.ceil((limit + MiB) / 3) * 4).toBeGreaterThan(10 * MiB);
    // The package that got 413 from a default Verdaccio (8,391,921 bytes) is over it.
    expect(limit).toBeLessThan(8_391_921);
  });

  test("maxBodySize sets it from the config's max_body_size; an explicit maxFileSize still wins", () => {
    const at = (settings: Record<string, unknown>) => resolveTarget(npmKit, { registry: "http://127.0.0.1:4873", profile: "verdaccio", settings }).limits.maxFileSize;
    expect(at({ maxBodySize: "20MiB" })).toBe(largestTarballUnder(20 * MiB));
    expect(at({ maxBodySize: "20MiB", maxFileSize: "5MiB" })).toBe(5 * MiB);
    expect(at({ maxBodySize: "0" })).toBe(0);
  });
});
