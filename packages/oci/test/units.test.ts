// The OCI kit's pure parts: challenge and scope parsing, the registry URL
// split, the spec's grammars in the arbitraries, the images package.ts
// builds, and the route table endpoints.audit reads.
import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import * as fc from "fast-check";
import { collect, matchRoute, standardRoutes, type Exchange } from "@regkit/core";
import { ociAnnouncedRoutes, ociKit } from "../src/kit.js";
import { gitlab } from "../src/profiles.js";
import { parseChallenges, bearerChallenge, parseScope, repositoryScope, tokenAccess } from "../src/auth.js";
import { challengeScopes, splitRegistry } from "../src/client.js";
import { index, invalidName, manifest, nameComponent, repositoryPath, tag } from "../src/arbitraries.js";
import { DIGEST_REGEX, MEDIA, NAME_REGEX, TAG_REGEX, errorCodes, manifestFiles, nextLink, parseManifest, referrersTag, sha256Digest } from "../src/manifest.js";
import { buildOciPackage } from "../src/package.js";

describe("WWW-Authenticate challenges", () => {
  test("a Bearer challenge with quoted params, commas inside quotes included", () => {
    const header = 'Bearer realm="https://gitlab.example.com/jwt/auth",service="container_registry",scope="repository:group/project/app:pull,push"';
    expect(parseChallenges(header)).toEqual([
      { scheme: "bearer", params: { realm: "https://gitlab.example.com/jwt/auth", service: "container_registry", scope: "repository:group/project/app:pull,push" } },
    ]);
    expect(bearerChallenge(header)?.params.scope).toBe("repository:group/project/app:pull,push");
  });
  test("an insufficient_scope error, and two challenges in one header", () => {
    const [basic, bearer] = parseChallenges('Basic realm="regkit", Bearer realm="http://127.0.0.1/jwt/auth",error="insufficient_scope",scope="repository:a:push"');
    expect(basic).toEqual({ scheme: "basic", params: { realm: "regkit" } });
    expect(bearer?.params).toEqual({ realm: "http://127.0.0.1/jwt/auth", error: "insufficient_scope", scope: "repository:a:push" });
  });
  test("no header, no challenge; a Basic challenge is not a Bearer one", () => {
    expect(parseChallenges(undefined)).toEqual([]);
    expect(bearerChallenge('Basic realm="x"')).toBeUndefined();
  });
});

describe("scopes and tokens", () => {
  test("repository scopes round-trip", () => {
    const scope = repositoryScope("group/project/app", ["pull", "push"]);
    expect(scope).toBe("repository:group/project/app:pull,push");
    expect(parseScope(scope)).toEqual({ type: "repository", name: "group/project/app", actions: ["pull", "push"] });
    expect(parseScope("registry:catalog:*")).toEqual({ type: "registry", name: "catalog", actions: ["*"] });
    expect(parseScope("nonsense")).toBeUndefined();
  });
  test("the access claim of a JWT, and none for an opaque token", () => {
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString("base64url");
    const jwt = `${part({ alg: "RS256" })}.${part({ access: [{ type: "repository", name: "g/p", actions: ["pull"] }] })}.sig`;
    expect(tokenAccess(jwt)).toEqual([{ type: "repository", name: "g/p", actions: ["pull"] }]);
    expect(tokenAccess("opaque-token")).toBeUndefined();
  });
});

describe("the registry URL", () => {
  test("origin and namespace, with or without /v2", () => {
    expect(splitRegistry("https://registry.example.com/group/project")).toEqual({ origin: "https://registry.example.com", namespace: "group/project" });
    expect(splitRegistry("https://registry.example.com/v2/group/project/")).toEqual({ origin: "https://registry.example.com", namespace: "group/project" });
    expect(splitRegistry("http://127.0.0.1:5000")).toEqual({ origin: "http://127.0.0.1:5000", namespace: "" });
    expect(splitRegistry("http://127.0.0.1:5000/v2/")).toEqual({ origin: "http://127.0.0.1:5000", namespace: "" });
  });
});

describe("the spec's grammars", () => {
  test("generated names, paths and tags match the spec's regexes; invalid names do not", () => {
    fc.assert(fc.property(nameComponent(), (n) => NAME_REGEX.test(n)));
    fc.assert(fc.property(repositoryPath(), (p) => NAME_REGEX.test(p)));
    fc.assert(fc.property(tag(), (t) => TAG_REGEX.test(t)));
    fc.assert(fc.property(invalidName(), (n) => !NAME_REGEX.test(n)));
  });
  test("run-prefixed names stay valid repository names", () => {
    fc.assert(fc.property(nameComponent(), (n) => NAME_REGEX.test(ociKit.packageName("0ac192j1", n))));
  });
  test("generated manifests and indexes parse as what they are, with sha256 descriptors", () => {
    fc.assert(
      fc.property(manifest(), (image) => {
        const parsed = parseManifest(new TextEncoder().encode(JSON.stringify(image.manifest)));
        expect(parsed.manifest).toBeDefined();
        for (const d of [image.manifest.config, ...image.manifest.layers]) expect(d.digest).toMatch(DIGEST_REGEX);
        // Every descriptor names one of the blobs pushed with it.
        const digests = new Set(image.blobs.map((b) => sha256Digest(b)));
        for (const d of [image.manifest.config, ...image.manifest.layers]) expect(digests.has(d.digest)).toBe(true);
        if (image.manifest.artifactType) expect(image.manifest.config.mediaType).toBe(MEDIA.empty);
      }),
    );
    fc.assert(fc.property(index(), ({ index: idx, images }) => idx.manifests.length === images.length && parseManifest(new TextEncoder().encode(JSON.stringify(idx))).index !== undefined));
  });
});

describe("protocol details", () => {
  test("the Link header's next page", () => {
    expect(nextLink('</v2/a/tags/list?n=2&last=b>; rel="next"')).toBe("/v2/a/tags/list?n=2&last=b");
    expect(nextLink('<https://x/v2/_catalog?last=c&n=1>; rel=next, <https://x/prev>; rel="prev"')).toBe("https://x/v2/_catalog?last=c&n=1");
    expect(nextLink(undefined)).toBeUndefined();
  });
  test("error codes of an error body; nothing from a body that is not one", () => {
    expect(errorCodes('{"errors":[{"code":"MANIFEST_BLOB_UNKNOWN","message":"blob unknown"},{"code":"DIGEST_INVALID"}]}')).toEqual(["MANIFEST_BLOB_UNKNOWN", "DIGEST_INVALID"]);
    expect(errorCodes("<html>")).toEqual([]);
    expect(errorCodes('{"message":"x"}')).toEqual([]);
  });
  test("the referrers tag schema", () => {
    expect(referrersTag(`sha256:${"a".repeat(64)}`)).toBe(`sha256-${"a".repeat(64)}`);
  });
  test("the route table recognises spec requests at any name depth, and nothing else", () => {
    const at = (method: string, path: string) => matchRoute(ociKit.routes, method, path)?.summary;
    expect(at("GET", "/v2/")).toMatch(/end-1/);
    expect(at("GET", "/v2/a/manifests/1.0")).toMatch(/end-3/);
    expect(at("PUT", "/v2/group/project/app/manifests/latest")).toMatch(/end-7/);
    expect(at("POST", "/v2/g/p/blobs/uploads/?mount=sha256:x&from=g/q")).toMatch(/end-4a/);
    expect(at("PATCH", "/v2/g/p/blobs/uploads/uuid?_state=x")).toMatch(/end-5/);
    expect(at("GET", "/v2/g/p/referrers/sha256:abc?artifactType=x")).toMatch(/end-12/);
    expect(at("GET", "/v2/g/p/tags/list?n=2")).toMatch(/end-8/);
    expect(at("GET", "/api/v4/projects/1/packages")).toBeUndefined();
    expect(at("POST", "/v2/g/p/manifests/x")).toBeUndefined();
  });
  test("the gitlab profile declares its realm, on the registry's origin or on the GitLab host's", () => {
    const extra = (path: string) => matchRoute(gitlab.extraRoutes ?? [], "GET", path)?.summary;
    expect(extra("/jwt/auth?service=container_registry&scope=repository:g/p/x:pull")).toMatch(/token realm/);
    expect(extra("https://gitlab.example.com/jwt/auth?service=container_registry")).toMatch(/GitLab host/);
    expect(extra("https://gitlab.example.com/api/v4/projects")).toBeUndefined();
  });
});

describe("the images package.ts builds", () => {
  test("a small image: gzip'd tar layer with the files, config naming its diff id, manifest naming both", async () => {
    const artifact = await buildOciPackage({ name: "regkit-x-img", version: "1.0", files: { "hello.txt": new TextEncoder().encode("hi\n") }, description: "d" });
    expect(artifact.filename).toBe("layer.tar.gz");
    const manifestBytes = artifact.extra!.find((f) => f.filename === "manifest.json")!.content.bytes!;
    const config = artifact.extra!.find((f) => f.filename === "config.json")!.content;
    const parsed = parseManifest(manifestBytes).manifest!;
    expect(parsed.mediaType).toBe(MEDIA.manifest);
    expect(parsed.config).toMatchObject({ mediaType: MEDIA.config, digest: `sha256:${config.digests.sha256}`, size: config.size });
    expect(parsed.layers[0]).toMatchObject({ mediaType: MEDIA.layerGzip, digest: `sha256:${artifact.content.digests.sha256}`, size: artifact.content.size });
    const tar = gunzipSync(artifact.content.bytes!);
    expect(tar.toString("latin1")).toContain("regkit/hello.txt");
    const diffIds = (JSON.parse(Buffer.from(config.bytes!).toString()) as { rootfs: { diff_ids: string[] } }).rootfs.diff_ids;
    expect(diffIds).toEqual([sha256Digest(tar)]);
    expect(manifestFiles(parsed).map((f) => f.filename)).toEqual(["config.json", "layer.tar.gz"]);
  });
  test("a sized image: an uncompressed tar layer, streamed, its digest the diff id", async () => {
    const artifact = await buildOciPackage({ name: "regkit-x-big", version: "1.0", size: 3 * 1024 * 1024 });
    expect(artifact.content.bytes).toBeUndefined();
    expect(artifact.content.size).toBeGreaterThan(3 * 1024 * 1024);
    const streamed = await collect(artifact.content.stream());
    expect(sha256Digest(streamed)).toBe(`sha256:${artifact.content.digests.sha256}`);
    const parsed = parseManifest(artifact.extra!.find((f) => f.filename === "manifest.json")!.content.bytes!).manifest!;
    expect(parsed.layers[0]?.mediaType).toBe(MEDIA.layerTar);
  });
  test("two builds of one tag with other files differ (push.duplicate needs that)", async () => {
    const a = await buildOciPackage({ name: "n", version: "1", files: { m: new Uint8Array([1]) } });
    const b = await buildOciPackage({ name: "n", version: "1", files: { m: new Uint8Array([2]) } });
    expect(a.content.digests.sha256).not.toBe(b.content.digests.sha256);
  });
});

describe("the token endpoint the registry announces (endpoints.audit)", () => {
  const exchange = (url: string, path: string, challenge?: string): Exchange => ({
    method: "GET",
    url,
    path,
    status: challenge ? 401 : 200,
    durationMs: 1,
    requestHeaders: {},
    responseHeaders: challenge ? { "www-authenticate": challenge } : {},
    via: "adapter",
  });

  test("a realm on another host is standard at its exact URL, nothing else on that host is", () => {
    const run = [
      exchange("http://localhost:5000/v2/a/tags/list", "/v2/a/tags/list", 'Bearer realm="http://localhost:6000/token",service="s",scope="repository:a:pull"'),
      exchange("http://localhost:6000/token?service=s&scope=repository%3Aa%3Apull", "http://localhost:6000/token?service=s&scope=repository%3Aa%3Apull"),
    ];
    const table = standardRoutes(ociKit, run);
    expect(matchRoute(table, "GET", run[1]!.path)?.summary).toMatch(/token endpoint/);
    expect(matchRoute(table, "GET", "http://localhost:6000/other")).toBeUndefined();
    expect(matchRoute(table, "POST", run[1]!.path)).toBeUndefined();
    // No challenge seen: the realm's URL is not standard.
    expect(matchRoute(standardRoutes(ociKit, [run[1]!]), "GET", run[1]!.path)).toBeUndefined();
  });

  test("a realm on the registry's origin is standard at its path (GitLab's /jwt/auth behind a namespace)", () => {
    const run = [exchange("https://registry.example.com/regkit/demo/v2/", "/v2/", 'Bearer realm="https://registry.example.com/jwt/auth",service="container_registry"')];
    const routes = ociAnnouncedRoutes(run);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(["GET /jwt/auth"]);
    expect(matchRoute(standardRoutes(ociKit, run), "GET", "/jwt/auth?service=container_registry&scope=repository%3Aregkit%2Fdemo%2Fa%3Apull")).toBeDefined();
    expect(matchRoute(standardRoutes(ociKit, run), "GET", "/jwt/other")).toBeUndefined();
  });
});

describe("challenge scopes", () => {
  test("a mount's challenge names both repositories: each becomes its own scope", () => {
    const challenge = bearerChallenge('Bearer realm="http://t/token",service="s",scope="repository:dst:pull,push repository:src:pull",error="insufficient_scope"')!;
    expect(challengeScopes(challenge)).toEqual(["repository:dst:pull,push", "repository:src:pull"]);
    expect(challengeScopes(bearerChallenge('Bearer realm="http://t/token"')!)).toEqual([]);
  });
});
