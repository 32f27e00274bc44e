// mustHoldFiles: every file a version was published with must be listed once,
// with the hash it was uploaded with, and serve the same bytes. The adapters
// here are plain objects: the scenarios that use the check run against real
// registries in each kit's tests, with faults that drop or break one file.
import { describe, expect, test } from "vitest";
import { ConformanceFailure, contentFromBytes, scenarioHelpers, type Artifact, type Downloaded, type Exchange, type ListedFile, type RegistryClient, type ScenarioContext } from "@regkit/core";

const exchange: Exchange = { method: "GET", url: "http://x/simple/pkg/", path: "/simple/pkg/", status: 200, durationMs: 1, requestHeaders: {}, responseHeaders: {}, via: "adapter" };
const ctx = { kit: { compareVersions: (a: string, b: string) => a.localeCompare(b) }, exchanges: () => [exchange] } as unknown as ScenarioContext;
const bytes = (text: string) => new TextEncoder().encode(text);

function artifact(version: string): Artifact {
  return {
    name: "pkg",
    version,
    filename: `pkg-${version}-py3-none-any.whl`,
    content: contentFromBytes(bytes(`wheel ${version}`)),
    extra: [{ filename: `pkg-${version}.tar.gz`, content: contentFromBytes(bytes(`sdist ${version}`)) }],
  };
}

function client(listing: (ListedFile & { bytes?: Uint8Array })[], serve: (filename: string) => Uint8Array | undefined): RegistryClient {
  return {
    publish: async () => ({ accepted: true, status: 201, exchange }),
    download: async () => ({ size: 0, digests: { md5: "", sha1: "", sha256: "", sha512: "" }, exchange }),
    versions: async () => [],
    metadata: async () => exchange,
    files: async () => listing,
    async downloadFile(_name, _version, filename): Promise<Downloaded> {
      const body = serve(filename);
      if (!body) throw new ConformanceFailure(`${filename} is not served`, { expected: "200", actual: "404" }, [{ ...exchange, status: 404 }]);
      const c = contentFromBytes(body);
      return { size: c.size, digests: c.digests, exchange };
    },
  };
}

const a1 = artifact("1.0.0");
const a2 = artifact("2.0.0");
const all = [a1, a2].flatMap((a) => scenarioHelpers.filesOf(a).map((f) => ({ version: a.version, filename: f.filename, digests: { sha256: f.content.digests.sha256 }, body: f.content.bytes! })));
const serveAll = (filename: string) => all.find((f) => f.filename === filename)?.body;

describe("mustHoldFiles", () => {
  test("passes when every file is listed once with its hash and serves its bytes", async () => {
    await expect(scenarioHelpers.mustHoldFiles(ctx, client(all, serveAll), [a1, a2], "checking")).resolves.toBeUndefined();
  });

  test("fails when one file of a version is not listed, naming it and what was listed", async () => {
    const listing = all.filter((f) => f.filename !== "pkg-2.0.0.tar.gz");
    const error = await scenarioHelpers.mustHoldFiles(ctx, client(listing, serveAll), [a1, a2], "checking").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConformanceFailure);
    expect((error as ConformanceFailure).message).toBe("checking: pkg-2.0.0.tar.gz of pkg@2.0.0 is not listed");
    expect((error as ConformanceFailure).expectation.actual).toBe("files listed for 2.0.0: [pkg-2.0.0-py3-none-any.whl]");
  });

  test("fails when a file is listed twice, or with another hash than it was uploaded with", async () => {
    const twice = await scenarioHelpers.mustHoldFiles(ctx, client([...all, all[0]!], serveAll), [a1], "checking").catch((e: Error) => e.message);
    expect(twice).toMatch(/pkg-1\.0\.0-py3-none-any\.whl of pkg@1\.0\.0 is listed 2 times/);
    const lying = all.map((f, i) => (i === 1 ? { ...f, digests: { sha256: "0".repeat(64) } } : f));
    const error = (await scenarioHelpers.mustHoldFiles(ctx, client(lying, serveAll), [a1], "checking").catch((e: unknown) => e)) as ConformanceFailure;
    expect(error.message).toMatch(/pkg-1\.0\.0\.tar\.gz of pkg@1\.0\.0 is listed with another sha256/);
    expect(error.expectation).toEqual({ expected: `pkg-1.0.0.tar.gz listed with sha256 ${a1.extra![0]!.content.digests.sha256}`, actual: `pkg-1.0.0.tar.gz listed with sha256 ${"0".repeat(64)}` });
  });

  test("fails when a listed file answers 404 or other bytes; download can be limited", async () => {
    const missing = (filename: string) => (filename === "pkg-1.0.0.tar.gz" ? undefined : serveAll(filename));
    await expect(scenarioHelpers.mustHoldFiles(ctx, client(all, missing), [a1, a2], "checking")).rejects.toThrow(/pkg-1\.0\.0\.tar\.gz is not served/);
    await expect(scenarioHelpers.mustHoldFiles(ctx, client(all, missing), [a1, a2], "checking", { download: (a) => a === a2 })).resolves.toBeUndefined();
    const other = (filename: string) => (filename === "pkg-2.0.0.tar.gz" ? bytes("something else") : serveAll(filename));
    await expect(scenarioHelpers.mustHoldFiles(ctx, client(all, other), [a2], "checking")).rejects.toThrow(/differs from what was published/);
  });
});
