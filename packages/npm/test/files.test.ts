// What the npm adapter's `files` reads from a packument: per version, the
// tarball's file name (from dist.tarball) and the digests dist announces.
import { describe, expect, test } from "vitest";
import { integrityOf, listedFile, tarballFile, type NpmManifest } from "@regkit/npm";

const sha1 = "a".repeat(40);
const sha512 = "b".repeat(128);
const manifest = (tarball: unknown, dist: Record<string, unknown> = {}): NpmManifest =>
  ({ name: "x", version: "1.0.0", dist: { tarball, shasum: sha1, ...dist } }) as unknown as NpmManifest;

describe("the file a dist.tarball names", () => {
  test("GitLab repeats the scope, Verdaccio leaves it out: both name @scope/pkg-1.0.0.tgz", () => {
    expect(tarballFile("@s/pkg", "https://gitlab.example/api/v4/projects/7/packages/npm/@s/pkg/-/@s/pkg-1.0.0.tgz")).toBe("@s/pkg-1.0.0.tgz");
    expect(tarballFile("@s/pkg", "http://127.0.0.1:4873/@s%2fpkg/-/pkg-1.0.0.tgz")).toBe("@s/pkg-1.0.0.tgz");
    expect(tarballFile("pkg", "http://127.0.0.1:4873/pkg/-/pkg-1.0.0-rc.1.tgz")).toBe("pkg-1.0.0-rc.1.tgz");
  });
  test("another version's file is another file; a relative URL names none", () => {
    expect(tarballFile("pkg", "http://r/pkg/-/pkg-1.0.1.tgz")).not.toBe("pkg-1.0.0.tgz");
    expect(tarballFile("pkg", "/pkg/-/pkg-1.0.0.tgz")).toBeUndefined();
  });
});

describe("a version's listed file", () => {
  test("sha1 from dist.shasum; sha512 only when dist.integrity is there (GitLab serves none)", () => {
    expect(listedFile("pkg", "1.0.0", manifest("http://r/pkg/-/pkg-1.0.0.tgz"))).toEqual({ version: "1.0.0", filename: "pkg-1.0.0.tgz", digests: { sha1 } });
    expect(listedFile("pkg", "1.0.0", manifest("http://r/pkg/-/pkg-1.0.0.tgz", { integrity: integrityOf(sha512) }))?.digests).toEqual({ sha1, sha512 });
    expect(listedFile("pkg", "1.0.0", manifest("http://r/pkg/-/pkg-1.0.0.tgz", { shasum: sha1.toUpperCase() }))?.digests).toEqual({ sha1 });
  });
  test("a version without dist.tarball lists no file", () => {
    expect(listedFile("pkg", "1.0.0", manifest(undefined))).toBeUndefined();
    expect(listedFile("pkg", "1.0.0", { name: "pkg", version: "1.0.0" } as unknown as NpmManifest)).toBeUndefined();
  });
});
