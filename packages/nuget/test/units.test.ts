import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { collect } from "@regkit/core";
import { createHash } from "node:crypto";
import { buildNupkg, compareNuGetVersions, listedPackageFile, normalizeNuGetVersion, nupkgFileName, nuspecIdentity, packageHashDigests, readNuspec, versionSpellings } from "@regkit/nuget";

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

describe("the files a registration lists", () => {
  test("a version's one file is its .nupkg, named as the flat container names it", async () => {
    const artifact = await buildNupkg({ name: "Regkit.Test", version: "1.02.3.0-Beta" });
    expect(artifact.filename).toBe("regkit.test.1.2.3-beta.nupkg");
    expect(artifact.filename).toBe(nupkgFileName("Regkit.Test", "1.2.3-beta"));
    expect(artifact.extra ?? []).toEqual([]);
  });

  test("packageContent of the leaf's own version: the flat container name, whatever the feed's spelling", () => {
    const id = "Regkit.Test";
    const at = (packageContent: string | undefined, version = "1.0.0.0") => listedPackageFile(id, { id, version, packageContent });
    // GitLab: the id and version as written in the URL; nuget.org: lowercase and normalized; relative links too.
    expect(at("https://gitlab.example/api/v4/projects/1/packages/nuget/download/Regkit.Test/1.0.0.0/regkit.test.1.0.0.0.nupkg")).toBe("regkit.test.1.0.0.nupkg");
    expect(at("https://api.nuget.org/v3-flatcontainer/regkit.test/1.0.0/regkit.test.1.0.0.nupkg")).toBe("regkit.test.1.0.0.nupkg");
    expect(at("/feed/download/regkit.test/1.0.0/Regkit.Test.1.0.0.nupkg")).toBe("regkit.test.1.0.0.nupkg");
    expect(at("https://proget.example/nuget/Feed/package/Regkit.Test/1.0.0")).toBe("regkit.test.1.0.0.nupkg");
    expect(at("https://proget.example/nuget/Feed/package/Regkit.Test/2.0.0")).toBe("2.0.0");
    // Another version's package, in the file name or in the folder: listed as such, so it matches no published file.
    expect(at("https://f.example/download/regkit.test/2.0.0/regkit.test.2.0.0.nupkg")).toBe("regkit.test.2.0.0.nupkg");
    expect(at("https://f.example/download/regkit.test/2.0.0/regkit.test.1.0.0.nupkg")).toBe("2.0.0/regkit.test.1.0.0.nupkg");
    expect(at("https://f.example/download/other.pkg/1.0.0/other.pkg.1.0.0.nupkg")).toBe("other.pkg.1.0.0.nupkg");
    expect(at(undefined)).toBeUndefined();
  });

  test("packageHash (base64, SHA512 unless said otherwise) becomes a hex digest; no hash, no digest", async () => {
    const artifact = await buildNupkg({ name: "Regkit.Test", version: "1.0.0" });
    const bytes = await collect(artifact.content.stream());
    const leaf = { id: "Regkit.Test", version: "1.0.0" };
    expect(packageHashDigests({ ...leaf, packageHash: createHash("sha512").update(bytes).digest("base64") })).toEqual({ sha512: artifact.content.digests.sha512 });
    expect(packageHashDigests({ ...leaf, packageHash: createHash("sha256").update(bytes).digest("base64"), packageHashAlgorithm: "SHA256" })).toEqual({ sha256: artifact.content.digests.sha256 });
    expect(packageHashDigests({ ...leaf, packageHash: "not base64 of 64 bytes" })).toEqual({ sha512: "not base64 of 64 bytes" });
    expect(packageHashDigests({ ...leaf, packageHash: "x", packageHashAlgorithm: "CRC32" })).toEqual({});
    expect(packageHashDigests(leaf)).toEqual({});
  });
});
