// Unit tests of the kit's parsers and rules: SemVer order, names, the
// namespace an endpoint implies, the versions document, reproducible archives.
import { describe, expect, it } from "vitest";
import { collect, type Exchange } from "@regkit/core";
import {
  archiveFileName,
  bearerHeaders,
  buildTerraformPackage,
  compareTerraformVersions,
  isSemver,
  moduleArchive,
  namespaceFromEndpoint,
  splitModuleName,
  terraformAnnouncedRoutes,
  terraformKit,
  terraformPackageName,
  tofuVersion,
  versionsOf,
} from "@regkit/terraform";

const exchange: Exchange = { method: "GET", url: "http://x/versions", path: "/versions", status: 200, durationMs: 1, requestHeaders: {}, responseHeaders: {}, via: "adapter" };

describe("SemVer", () => {
  it("takes SemVer 2.0.0 only, as GitLab's semver_regex", () => {
    for (const ok of ["0.0.0", "1.2.3", "1.2.3-rc.1", "1.2.3-0.a.b", "1.2.3+build.5", "10.20.30-alpha-1+x.y"]) expect(isSemver(ok), ok).toBe(true);
    for (const bad of ["v1.2.3", "1.2", "01.2.3", "1.2.3.4", "1.2.3-", "1.2.3-01", "1.2.3+", ""]) expect(isSemver(bad), bad).toBe(false);
  });
  it("orders by precedence: numbers numerically, pre-releases before their release", () => {
    const sorted = ["1.10.0", "1.2.0", "1.10.0-rc.1", "1.10.0-rc.10", "1.10.0-rc.2", "1.10.0-beta", "0.9.9", "1.10.0+b"].sort(compareTerraformVersions);
    expect(sorted).toEqual(["0.9.9", "1.2.0", "1.10.0-beta", "1.10.0-rc.1", "1.10.0-rc.2", "1.10.0-rc.10", "1.10.0", "1.10.0+b"]);
    expect(compareTerraformVersions("1.0.0", "1.0.0")).toBe(0);
    expect(compareTerraformVersions("1.0.0+a", "1.0.0+b")).not.toBe(0);
  });
});

describe("names", () => {
  it("packageName makes GitLab- and Terraform-valid module names with the run id", () => {
    expect(terraformPackageName("0ac6abcd", "Small-PAT")).toBe("regkit-0ac6abcd-small-pat/local");
    expect(terraformPackageName("0ac6abcd", "a.b_c")).toBe("regkit-0ac6abcd-a-b-c/local");
    expect(terraformKit.ownsName("0ac6abcd", "regkit-0ac6abcd-x/local")).toBe(true);
    expect(terraformKit.ownsName("0ac6abcd", "regkit-0ac6abcx-x/local")).toBe(false);
  });
  it("splits <module>/<system> and names the archive as GitLab stores it", () => {
    expect(splitModuleName("mod/aws")).toEqual({ module: "mod", system: "aws" });
    expect(splitModuleName("mod")).toEqual({ module: "mod", system: "local" });
    expect(archiveFileName("mod/aws", "1.0.0")).toBe("mod-aws-1.0.0.tgz");
  });
  it("reads the namespace from an endpoint that names its project by path", () => {
    expect(namespaceFromEndpoint("https://gitlab.example.com/api/v4/projects/group%2Fsub%2Fproject/packages/terraform")).toBe("group");
    expect(namespaceFromEndpoint("https://gitlab.example.com/api/v4/projects/42/packages/terraform")).toBeUndefined();
    expect(namespaceFromEndpoint("https://example.com/static")).toBeUndefined();
  });
  it("sends Bearer, as Terraform's credentials block does", () => {
    expect(bearerHeaders({ kind: "personal", token: "t" })).toEqual({ authorization: "Bearer t" });
    expect(bearerHeaders({ kind: "anonymous" })).toEqual({});
  });
  it("reads tofu's version line", () => {
    expect(tofuVersion("OpenTofu v1.10.6")).toBe("1.10.6");
    expect(tofuVersion("Terraform v1.5.7")).toBeUndefined();
  });
});

describe("the versions document", () => {
  it("lists the versions of the protocol's shape", () => {
    expect(versionsOf({ modules: [{ versions: [{ version: "1.0.0" }, { version: "2.0.0", submodules: [] }] }] }, exchange)).toEqual(["1.0.0", "2.0.0"]);
    expect(versionsOf({ modules: [] }, exchange)).toEqual([]);
  });
  it("refuses other shapes with what was expected", () => {
    expect(() => versionsOf({ versions: ["1.0.0"] }, exchange)).toThrow(/not the module registry protocol's shape/);
    expect(() => versionsOf({ modules: [{ versions: ["1.0.0"] }] }, exchange)).toThrow(/has no "version" string/);
  });
});

describe("archives", () => {
  it("are reproducible, so a tree tofu extracted packs to the published bytes", async () => {
    const a = await buildTerraformPackage({ name: "m/local", version: "1.0.0", files: { "b.txt": new Uint8Array([1]), "a.txt": new Uint8Array([2]) } });
    const b = await buildTerraformPackage({ name: "m/local", version: "1.0.0", files: { "a.txt": new Uint8Array([2]), "b.txt": new Uint8Array([1]) } });
    expect(a.content.digests.sha256).toBe(b.content.digests.sha256);
    const entries = [
      { path: "main.tf", bytes: new TextEncoder().encode("x") },
      { path: "files/a.txt", bytes: new Uint8Array([1, 2]) },
    ];
    const once = await collect(moduleArchive(entries)());
    const twice = await collect(moduleArchive([...entries].reverse())());
    expect(Buffer.from(once).equals(Buffer.from(twice))).toBe(true);
    expect(once[0]).toBe(0x1f);
  });
});

describe("announced routes", () => {
  it("are only those under a base an adapter read from that origin's discovery", () => {
    const discovery: Exchange = { ...exchange, url: "http://127.0.0.1:1/.well-known/terraform.json", path: "/.well-known/terraform.json" };
    expect(terraformAnnouncedRoutes([discovery])).toEqual([]);
  });
});
