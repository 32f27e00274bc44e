import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { collect } from "@regkit/core";
import { buildNupkg, compareNuGetVersions, normalizeNuGetVersion, nuspecIdentity, readNuspec, versionSpellings } from "@regkit/nuget";

describe("NuGet versions", () => {
  test("normalization as NuGet.Versioning does it", () => {
    expect(normalizeNuGetVersion("1.01.1")).toBe("1.1.1");
    expect(normalizeNuGetVersion("1.0.0.0")).toBe("1.0.0");
    expect(normalizeNuGetVersion("1.0.0.4")).toBe("1.0.0.4");
    expect(normalizeNuGetVersion("1.0.7+r3456")).toBe("1.0.7");
    expect(normalizeNuGetVersion("1.0-Beta.2")).toBe("1.0.0-Beta.2");
    expect(normalizeNuGetVersion("not.a.version")).toBeUndefined();
  });

  test("SemVer 2.0 order: numeric parts, prerelease below release, identifiers compared per dot", () => {
    const ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.0.1", "1.0.1", "1.10.0", "2.0.0"];
    for (let i = 1; i < ordered.length; i++) expect(compareNuGetVersions(ordered[i - 1]!, ordered[i]!), `${ordered[i - 1]} < ${ordered[i]}`).toBeLessThan(0);
    expect(compareNuGetVersions("1.0.0-BETA", "1.0.0-beta")).toBe(0);
    expect(compareNuGetVersions("1.0.0+a", "1.0.0+b")).toBe(0);
  });

  test("every spelling of a version is equal to it and normalizes the same", () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(99), fc.nat(99), fc.nat(99), fc.option(fc.constantFrom("alpha", "rc.1"), { nil: undefined })), ([a, b, c, pre]) => {
        const v = `${a}.${b}.${c}${pre ? `-${pre}` : ""}`;
        for (const s of versionSpellings(v)) {
          expect(compareNuGetVersions(s, v)).toBe(0);
          expect(normalizeNuGetVersion(s)).toBe(normalizeNuGetVersion(v));
        }
      }),
    );
  });
});

describe("nupkg", () => {
  test("the nuspec is read back from the start of the package", async () => {
    const artifact = await buildNupkg({ name: "Regkit.Test", version: "1.2.3-beta", files: { "a.txt": new Uint8Array([1, 2, 3]) } });
    const bytes = await collect(artifact.content.stream());
    expect(Buffer.from(bytes.subarray(0, 4)).readUInt32LE(0)).toBe(0x04034b50);
    expect(nuspecIdentity(readNuspec(bytes.subarray(0, 4096))!)).toEqual({ id: "Regkit.Test", version: "1.2.3-beta" });
    expect(readNuspec(new Uint8Array(10))).toBeUndefined();
  });
});
