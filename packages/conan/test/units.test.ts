// Unit tests of the Conan kit's own parsing and hashing: manifests and
// revisions as Conan computes them (values taken from a real `conan create`
// of Conan 2.34), references, the package layout, and the driver's credentials.
import { describe, expect, it } from "vitest";
import { CONANINFO, MANIFEST, PACKAGE_PREFIX, basicCredentials, buildConanPackage, layoutOf, manifestEntries, manifestText, md5Hex, parseReference, revisionOf } from "@regkit/conan";
import { createHash } from "node:crypto";

describe("manifests and revisions", () => {
  it("a revision is Conan's summary hash of the manifest (a real conan create's recipe manifest)", () => {
    // hello/1.1 created by Conan 2.34: revision d47b2104fa89ac7bdfd1c742eb5ea5cf.
    const manifest = "1796167013\nconanfile.py: 0b83bf32394a7ebdf4da2b66bc7a3666\n";
    expect(revisionOf(manifest)).toBe("d47b2104fa89ac7bdfd1c742eb5ea5cf");
    // The timestamp is not part of it.
    expect(revisionOf(manifest.replace("1796167013", "1"))).toBe("d47b2104fa89ac7bdfd1c742eb5ea5cf");
  });

  it("writes and reads manifests in Conan's layout, sorted by path", () => {
    const text = manifestText({ "b.txt": "2".repeat(32), "a.txt": "1".repeat(32) }, 42);
    expect(text).toBe(`42\na.txt: ${"1".repeat(32)}\nb.txt: ${"2".repeat(32)}\n`);
    expect(manifestEntries(text)).toEqual({ "a.txt": "1".repeat(32), "b.txt": "2".repeat(32) });
  });
});

describe("references", () => {
  it("parses name/version and name/version@user/channel", () => {
    expect(parseReference("zlib/1.3")).toEqual({ name: "zlib", version: "1.3", user: "_", channel: "_" });
    expect(parseReference("zlib/1.3@_/_")).toEqual({ name: "zlib", version: "1.3", user: "_", channel: "_" });
    expect(parseReference("hello/0.1@foo+conan_test_prod/beta#abc")).toEqual({ name: "hello", version: "0.1", user: "foo+conan_test_prod", channel: "beta" });
    expect(parseReference("not a reference")).toBeUndefined();
  });
});

describe("packages", () => {
  it("builds a recipe revision and a package whose id and revisions follow from their files", async () => {
    const artifact = await buildConanPackage({ name: "regkit-x-units", version: "1.0.0", files: { "a.txt": new TextEncoder().encode("a") } });
    const layout = layoutOf(artifact);
    const find = (name: string) => artifact.extra!.find((f) => f.filename === name)!.content.bytes!;
    expect(layout.recipe.map((f) => f.filename)).toEqual(["conanfile.py", MANIFEST]);
    expect(layout.package.map((f) => f.filename)).toEqual([CONANINFO, "conan_package.tgz", MANIFEST]);
    expect(layout.packageId).toBe(createHash("sha1").update(find(`${PACKAGE_PREFIX}${CONANINFO}`)).digest("hex"));
    // The id Conan 2.34 gives a recipe with this one option (conan create of the same recipe).
    expect(layout.packageId).toBe("0843122603abe396748ba2c36ca6448d826c6fb9");
    const manifest = new TextDecoder().decode(find(MANIFEST));
    expect(manifestEntries(manifest)).toEqual({ "conanfile.py": artifact.content.digests.md5 });
    expect(layout.recipeRevision).toBe(revisionOf(manifest));
    expect(manifestEntries(new TextDecoder().decode(find(`${PACKAGE_PREFIX}${MANIFEST}`)))).toEqual({ [CONANINFO]: md5Hex(find(`${PACKAGE_PREFIX}${CONANINFO}`)), "payload/a.txt": md5Hex("a") });
  });

  it("a large recipe has the size asked for, in comment lines, and is reproducible", async () => {
    const spec = { name: "regkit-x-large", version: "1.0.0", size: 200_003 };
    const [a, b] = [await buildConanPackage(spec), await buildConanPackage(spec)];
    expect(a.content.size).toBe(200_003);
    expect(a.content.digests).toEqual(b.content.digests);
    let text = "";
    for await (const chunk of a.content.stream()) text += new TextDecoder().decode(chunk);
    const tail = text.split("\n").slice(20).filter((line) => line !== "");
    expect(tail.every((line) => line.startsWith("#"))).toBe(true);
  });

  it("different descriptions are different recipe revisions of one version", async () => {
    const [a, b] = [await buildConanPackage({ name: "regkit-x-revs", version: "1.0.0", description: "a" }), await buildConanPackage({ name: "regkit-x-revs", version: "1.0.0", description: "b" })];
    expect(layoutOf(a).recipeRevision).not.toBe(layoutOf(b).recipeRevision);
  });
});

describe("the driver's credentials", () => {
  it("reads the user and password of the profile's Basic header", () => {
    expect(basicCredentials({ authorization: `Basic ${Buffer.from("gitlab-ci-token:se:cret").toString("base64")}` })).toEqual({ username: "gitlab-ci-token", password: "se:cret" });
    expect(basicCredentials({})).toBeUndefined();
    expect(basicCredentials({ authorization: "Bearer x" })).toBeUndefined();
  });
});
