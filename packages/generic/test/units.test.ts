// The kit's pure parts: arbitraries against GitLab's rules (as properties),
// version order, WebDAV multistatus parsing, curl's config and output, the
// package builder, URL paths, and the profiles' settings.
import * as fc from "fast-check";
import { resolveTarget } from "@regkit/core";
import { describe, expect, it } from "vitest";
import {
  GenericClient,
  buildGenericPackage,
  compareGenericVersions,
  curlAuthConfig,
  curlVersion,
  davChildren,
  dumpedHeader,
  duplicateExceptionOf,
  fileNameArbitrary,
  genericGitLabFacts as facts,
  genericKit,
  invalidFileNameArbitrary,
  invalidNameArbitrary,
  invalidVersionArbitrary,
  nameArbitrary,
  reportedStatus,
  versionArbitrary,
} from "@regkit/generic";

const runs = { numRuns: 300 };

describe("arbitraries follow GitLab's regexes", () => {
  it("valid names, versions and file names match their rules", () => {
    fc.assert(fc.property(nameArbitrary(), (n) => facts.nameRule.value.test(genericKit.packageName("run1", n))), runs);
    fc.assert(fc.property(versionArbitrary(), (v) => facts.versionRule.value.test(v)), runs);
    fc.assert(fc.property(fileNameArbitrary(), (f) => facts.fileNameRule.value.test(f)), runs);
  });

  it("invalid ones do not", () => {
    fc.assert(fc.property(invalidNameArbitrary(), (n) => !facts.nameRule.value.test(n)), runs);
    fc.assert(fc.property(invalidVersionArbitrary(), (v) => !facts.versionRule.value.test(v)), runs);
    fc.assert(fc.property(invalidFileNameArbitrary(), (f) => !facts.fileNameRule.value.test(f)), runs);
  });

  it("the rules take GitLab's own examples and refuse its counterexamples", () => {
    for (const v of ["1.3.350-20201230123456", "1.2.bananas", "v1.2.4-build", "d50d836eb3de6177ce6c7a5482f27f9c2c84b672"]) expect(facts.versionRule.value.test(v)).toBe(true);
    for (const v of ["..1.2.3", "1.2.3-4/../../", "%2e%2e%2f1.2.3"]) expect(facts.versionRule.value.test(v)).toBe(false);
    for (const f of ["my+file.tar.gz", "my~file.tar.gz"]) expect(facts.fileNameRule.value.test(f)).toBe(true);
    for (const f of ["myfile.tar.gz~", "~myfile.tar.gz", "@myfile1.1.tar.gz", "myfile@1.1.tar.gz"]) expect(facts.fileNameRule.value.test(f)).toBe(false);
  });
});

describe("version order", () => {
  it("equal only when identical, antisymmetric, numeric where numbers", () => {
    expect(compareGenericVersions("1.0", "1.00")).not.toBe(0);
    expect(compareGenericVersions("1.2.10", "1.2.9")).toBeGreaterThan(0);
    fc.assert(
      fc.property(versionArbitrary(), versionArbitrary(), (a, b) => {
        const ab = compareGenericVersions(a, b);
        expect(ab === 0).toBe(a === b);
        expect(Math.sign(ab)).toBe(-Math.sign(compareGenericVersions(b, a)));
      }),
      runs,
    );
  });
});

describe("WebDAV multistatus", () => {
  it("lists the child collections of a package, decoded, whatever the namespace prefix", () => {
    const xml = `<?xml version="1.0"?><D:multistatus xmlns:D="DAV:">
      <D:response><D:href>/generic/pkg/</D:href></D:response>
      <D:response><D:href>/generic/pkg/1.0.0/</D:href></D:response>
      <D:response><D:href>http://127.0.0.1:8080/generic/pkg/v1.2%2Bbuild/</D:href></D:response>
      <D:response><D:href>/generic/pkg/notes.txt</D:href></D:response>
      <D:response><D:href>/generic/pkg/1.0.0/deeper/</D:href></D:response>
    </D:multistatus>`;
    expect(davChildren(xml, "/generic/pkg")).toEqual(["1.0.0", "v1.2+build"]);
    expect(davChildren(xml.replaceAll("D:", "lp1:"), "/generic/pkg/")).toEqual(["1.0.0", "v1.2+build"]);
  });
});

describe("curl", () => {
  it("reads its version; --fail-with-body needs 7.76", () => {
    expect(curlVersion("curl 7.88.1 (x86_64-pc-linux-gnu) libcurl/7.88.1")).toEqual([7, 88, 1]);
    expect(curlVersion("not curl")).toBeUndefined();
  });

  it("gets GitLab's token headers as header lines and Basic as user, quoted for curl's config", () => {
    expect(curlAuthConfig({ "PRIVATE-TOKEN": 'a"b\\c' })).toEqual(['header = "PRIVATE-TOKEN: a\\"b\\\\c"']);
    const basic = `Basic ${Buffer.from("gitlab-ci-token:secret").toString("base64")}`;
    expect(curlAuthConfig({ authorization: basic })).toEqual(['user = "gitlab-ci-token:secret"']);
    expect(curlAuthConfig({})).toEqual([]);
  });

  it("reads the status it wrote and the last response's headers", () => {
    expect(reportedStatus("body\nregkit-http-status:403\n")).toBe(403);
    expect(reportedStatus("curl: (7) Failed to connect")).toBe(0);
    const dump = "HTTP/1.1 302 Found\r\nX-Checksum-SHA256: old\r\n\r\nHTTP/1.1 200 OK\r\nx-checksum-sha256: abc\r\n\r\n";
    expect(dumpedHeader(dump, "x-checksum-sha256")).toBe("abc");
    expect(dumpedHeader("HTTP/1.1 200 OK\r\n\r\n", "x-checksum-sha256")).toBeUndefined();
  });
});

describe("packages and paths", () => {
  it("builds a main file that differs with the file tree, and one extra file per entry", async () => {
    const one = await buildGenericPackage({ name: "regkit-x-a", version: "1.0.0", files: { "b.txt": new Uint8Array([1]) } });
    const two = await buildGenericPackage({ name: "regkit-x-a", version: "1.0.0", files: { "b.txt": new Uint8Array([2]) } });
    expect(one.filename).toBe("regkit-x-a-1.0.0.bin");
    expect(one.content.digests.sha256).not.toBe(two.content.digests.sha256);
    expect(one.extra?.map((f) => f.filename)).toEqual(["b.txt"]);
    expect(facts.fileNameRule.value.test(one.filename)).toBe(true);
    const large = await buildGenericPackage({ name: "regkit-x-a", version: "1.0.0", size: 3 * 1024 * 1024 });
    expect(large.content.size).toBe(3 * 1024 * 1024);
    expect(large.content.bytes).toBeUndefined();
  });

  it("encodes each path segment and keeps a file's directories", () => {
    expect(GenericClient.path("a+b", "1.0.0", "dir/sub/f~1.bin")).toBe("/a%2Bb/1.0.0/dir/sub/f~1.bin");
    expect(GenericClient.path("a", "v1", "x y.bin")).toBe("/a/v1/x%20y.bin");
  });
});

describe("profiles", () => {
  it("the gitlab profiles take the group's exception pattern as a setting; webdav lists by PROPFIND", () => {
    const target = resolveTarget(genericKit, { registry: "https://gitlab.example.com/api/v4/projects/1/packages/generic", settings: { duplicateExceptionRegex: "-rc$", duplicates: "reject" } });
    expect(duplicateExceptionOf(target.settings)).toBe("-rc$");
    expect(target.policies.duplicates).toBe("reject");
    expect(target.limits.maxFileSize).toBe(facts.maxFileSize.value);
    expect(target.profile.packagesApi?.type).toBe("generic");
    const dav = resolveTarget(genericKit, { registry: "http://127.0.0.1:1/generic", profile: "webdav" });
    expect(dav.capabilities.delete).toBe(true);
    expect(dav.profile.packagesApi).toBeUndefined();
    expect(() => resolveTarget(genericKit, { registry: "http://127.0.0.1:1/generic", profile: "webdav", settings: { duplicateExceptionRegex: "x" } })).toThrow(/unknown setting/);
  });

  it("credentials travel as GitLab documents them: token headers, or Basic with any username", () => {
    const [headers, basic] = [genericKit.profiles.gitlab!, genericKit.profiles["gitlab-basic"]!];
    expect(headers.authHeaders({ kind: "deploy", token: "d", username: "u" })).toEqual({ "DEPLOY-TOKEN": "d" });
    expect(headers.authHeaders({ kind: "job", token: "j" })).toEqual({ "JOB-TOKEN": "j" });
    const auth = basic.authHeaders({ kind: "deploy", token: "d", username: "gitlab+deploy-token-1" }).authorization ?? "";
    expect(Buffer.from(auth.replace(/^Basic /, ""), "base64").toString()).toBe("gitlab+deploy-token-1:d");
    // GitLab reads no job token from Basic on uploads: the header, as its docs show for CI.
    expect(basic.authHeaders({ kind: "job", token: "j" })).toEqual({ "JOB-TOKEN": "j" });
  });
});
