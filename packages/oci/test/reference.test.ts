// The reference registry's OCI side, spoken to over real HTTP: GitLab's token
// realm (/jwt/auth) and the distribution API (/v2/) for push, pull, discovery
// and management, every bad input answered with the spec's error code, token
// scopes per credential kind; then skopeo pushing an umoci-built image and
// copying it back byte for byte.
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { runTool, type ToolResult } from "@regkit/core";
import { MANIFEST_TYPES, ociReference } from "@regkit/oci/reference";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { corruptBody, startFaultyProxy } from "@regkit/registry/faults";
import { bearer, descriptor, errorCode, ociHelpers, sha, type Catalog, type Claims, type Descriptor, type ErrorBody, type ImageIndex, type ImageManifest, type TagList } from "./helpers.js";

const MiB = 1024 * 1024;
let registry: ReferenceRegistry;
let open: ReferenceRegistry;

beforeAll(async () => {
  [registry, open] = await Promise.all([
    createReferenceRegistry({ formats: [ociReference] }),
    createReferenceRegistry({ formats: [ociReference], visibility: "public" }),
  ]);
});
afterAll(async () => {
  await Promise.all([registry.close(), open.close()]);
});

const { realm, tokenFor, pushBlob, putManifest, pushImage } = ociHelpers(() => registry);

// The GitLab facts of src/gitlab.ts, the registry-side ones included, are pinned in gitlab-facts.test.ts.

describe("token scopes at the registry", () => {
  test("each request needs its action: 401 with the scope to ask for, insufficient_scope or invalid_token", async () => {
    const name = "regkit/demo/scopes";
    const readonly = await tokenFor("readonly", name);
    const push = await fetch(`${registry.url}/v2/${name}/blobs/uploads/`, { method: "POST", headers: bearer(readonly) });
    expect(push.status).toBe(401);
    expect(push.headers.get("www-authenticate")).toBe(
      `Bearer realm="${registry.url}/jwt/auth",service="container_registry",scope="repository:${name}:pull,push",error="insufficient_scope"`,
    );
    const body = (await push.json()) as ErrorBody;
    expect(body.errors?.[0]).toMatchObject({ code: "UNAUTHORIZED", detail: [{ Type: "repository", Name: name, Action: "pull" }, { Type: "repository", Name: name, Action: "push" }] });
    // No token at all: the challenge without error=.
    const none = await fetch(`${registry.url}/v2/${name}/tags/list`);
    expect(none.headers.get("www-authenticate")).toBe(`Bearer realm="${registry.url}/jwt/auth",service="container_registry",scope="repository:${name}:pull"`);
    // A token for another repository does not open this one.
    const other = await tokenFor("personal", "regkit/demo/elsewhere");
    expect((await fetch(`${registry.url}/v2/${name}/tags/list`, { headers: bearer(other) })).headers.get("www-authenticate")).toContain('error="insufficient_scope"');
    // A token tampered with, or from another registry, is invalid.
    const personal = await tokenFor("personal", name);
    const [h, p, s] = personal.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString()) as Claims;
    claims.access[0]!.name = "regkit/demo/stolen";
    const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
    for (const bad of [forged, await tokenFor("personal", name, "pull", open), "not-a-jwt"]) {
      const res = await fetch(`${registry.url}/v2/${name}/tags/list`, { headers: bearer(bad) });
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toContain('error="invalid_token"');
    }
    // Delete needs delete: the developer's token lacks it.
    const developer = await tokenFor("developer", name);
    const del = await fetch(`${registry.url}/v2/${name}/manifests/latest`, { method: "DELETE", headers: bearer(developer) });
    expect(del.status).toBe(401);
    expect(del.headers.get("www-authenticate")).toContain(`scope="repository:${name}:delete",error="insufficient_scope"`);
  });

  test("anonymous pull on a public project, push refused; a private project needs credentials", async () => {
    const name = "regkit/demo/public";
    const writer = await tokenFor("personal", name, "pull,push", open);
    const { digest } = await pushImageOn(open, name, writer, "v1");
    const anonymous = (await realm("anonymous", [`repository:${name}:pull`], open)).token!;
    const pulled = await fetch(`${open.url}/v2/${name}/manifests/v1`, { headers: bearer(anonymous) });
    expect(pulled.status).toBe(200);
    expect(pulled.headers.get("docker-content-digest")).toBe(digest);
    const push = await fetch(`${open.url}/v2/${name}/blobs/uploads/`, { method: "POST", headers: bearer(anonymous) });
    expect(push.status).toBe(401);
    expect((await realm("anonymous", [`repository:${name}:pull`])).status).toBe(403);
  });

  test("push and pull with a deploy token and a job token; the read-only deploy token pulls only", async () => {
    const name = "regkit/demo/kinds";
    for (const who of ["deploy", "job"] as const) {
      const token = await tokenFor(who, name);
      const { digest } = await pushImage(name, token, who);
      const res = await fetch(`${registry.url}/v2/${name}/manifests/${who}`, { headers: bearer(token) });
      expect(res.headers.get("docker-content-digest")).toBe(digest);
    }
    const readonly = await tokenFor("readonly", name);
    expect((await fetch(`${registry.url}/v2/${name}/manifests/deploy`, { headers: bearer(readonly) })).status).toBe(200);
    expect((await putManifest(name, "ro", readonly, Buffer.from("{}"))).status).toBe(401);
    // The deploy token cannot delete (GitLab never grants it delete); the job can.
    const deploy = await tokenFor("deploy", name);
    expect((await fetch(`${registry.url}/v2/${name}/manifests/deploy`, { method: "DELETE", headers: bearer(deploy) })).status).toBe(401);
    const job = await tokenFor("job", name);
    expect((await fetch(`${registry.url}/v2/${name}/manifests/deploy`, { method: "DELETE", headers: bearer(job) })).status).toBe(202);
  });
});

async function pushImageOn(reg: ReferenceRegistry, name: string, token: string, tag: string) {
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", tag }));
  await pushBlob(name, token, config, reg);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociManifest, config: descriptor("application/vnd.oci.image.config.v1+json", config), layers: [] }));
  expect((await putManifest(name, tag, token, manifest, MANIFEST_TYPES.ociManifest, reg)).status).toBe(201);
  return { digest: sha(manifest) };
}

describe("push", () => {
  test("monolithic upload; HEAD and GET with Docker-Content-Digest; Range on blobs; the same blob twice", async () => {
    const name = "regkit/demo/mono";
    const token = await tokenFor("personal", name);
    const bytes = randomBytes(10_000);
    const digest = sha(bytes);
    const res = await fetch(`${registry.url}/v2/${name}/blobs/uploads/?digest=${digest}`, { method: "POST", headers: bearer(token), body: bytes });
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v2/${name}/blobs/${digest}`);
    expect(res.headers.get("docker-content-digest")).toBe(digest);
    expect(await pushBlob(name, token, bytes)).toBe(digest);
    const head = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { method: "HEAD", headers: bearer(token) });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("10000");
    expect(head.headers.get("docker-content-digest")).toBe(digest);
    const get = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { headers: bearer(token) });
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);
    const part = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { headers: bearer(token, { range: "bytes=100-199" }) });
    expect(part.status).toBe(206);
    expect(part.headers.get("content-range")).toBe("bytes 100-199/10000");
    expect(Buffer.from(await part.arrayBuffer()).equals(bytes.subarray(100, 200))).toBe(true);
    const tail = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { headers: bearer(token, { range: "bytes=-10" }) });
    expect(Buffer.from(await tail.arrayBuffer()).equals(bytes.subarray(9990))).toBe(true);
    const outside = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { headers: bearer(token, { range: "bytes=20000-" }) });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe("bytes */10000");
  });

  test("chunked upload: Location and Range, an out-of-order chunk refused with 416, a dropped chunk resumed from the reported range", async () => {
    const name = "regkit/demo/chunked";
    const token = await tokenFor("personal", name);
    const bytes = randomBytes(300_000);
    const start = await fetch(`${registry.url}/v2/${name}/blobs/uploads/`, { method: "POST", headers: bearer(token) });
    expect(start.status).toBe(202);
    expect(start.headers.get("range")).toBe("0-0");
    let location = start.headers.get("location")!;
    expect(location).toMatch(new RegExp(`^/v2/${name}/blobs/uploads/[0-9a-f-]{36}$`));
    const chunk = async (from: number, to: number) =>
      fetch(`${registry.url}${location}`, {
        method: "PATCH",
        headers: bearer(token, { "content-type": "application/octet-stream", "content-range": `${from}-${to - 1}` }),
        body: bytes.subarray(from, to),
      });
    const first = await chunk(0, 100_000);
    expect(first.status).toBe(202);
    expect(first.headers.get("range")).toBe("0-99999");
    location = first.headers.get("location")!;
    const skipped = await chunk(150_000, 200_000);
    expect(skipped.status).toBe(416);
    expect(await errorCode(skipped)).toBe("BLOB_UPLOAD_INVALID");
    expect(skipped.headers.get("range")).toBe("0-99999");
    // The next chunk is cut off after 50 000 of its 100 000 bytes.
    await dropMidway(`${registry.url}${location}`, bearer(token), bytes.subarray(100_000, 150_000), 100_000);
    const status = await fetch(`${registry.url}${location}`, { headers: bearer(token) });
    expect(status.status).toBe(204);
    const received = Number(status.headers.get("range")!.split("-")[1]) + 1;
    expect(received).toBeGreaterThanOrEqual(100_000);
    expect(received).toBeLessThanOrEqual(150_000);
    const rest = await chunk(received, 300_000);
    expect(rest.status).toBe(202);
    const close = await fetch(`${registry.url}${location}?digest=${sha(bytes)}`, { method: "PUT", headers: bearer(token) });
    expect(close.status).toBe(201);
    const back = await fetch(`${registry.url}/v2/${name}/blobs/${sha(bytes)}`, { headers: bearer(token) });
    expect(sha(Buffer.from(await back.arrayBuffer()))).toBe(sha(bytes));
  });

  test("a large blob streams through in chunks and back, digest checked", async () => {
    const name = "regkit/demo/large";
    const token = await tokenFor("personal", name);
    const piece = randomBytes(MiB);
    const hash = createHash("sha256");
    const start = await fetch(`${registry.url}/v2/${name}/blobs/uploads/`, { method: "POST", headers: bearer(token) });
    let location = start.headers.get("location")!;
    for (let i = 0; i < 24; i++) {
      const res = await fetch(`${registry.url}${location}`, { method: "PATCH", headers: bearer(token), body: piece });
      expect(res.status).toBe(202);
      location = res.headers.get("location")!;
      hash.update(piece);
    }
    const digest = `sha256:${hash.digest("hex")}`;
    expect((await fetch(`${registry.url}${location}?digest=${digest}`, { method: "PUT", headers: bearer(token) })).status).toBe(201);
    const back = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { headers: bearer(token) });
    expect(back.headers.get("content-length")).toBe(String(24 * MiB));
    const check = createHash("sha256");
    for await (const part of back.body!) check.update(part);
    expect(`sha256:${check.digest("hex")}`).toBe(digest);
  });

  test("manifests by tag and by digest, an image index, an artifact with artifactType and subject; Accept honoured", async () => {
    const name = "regkit/demo/manifests";
    const token = await tokenFor("personal", name);
    const image = await pushImage(name, token, "v1");
    const res = await putManifest(name, image.digest, token, image.manifest);
    expect(res.status).toBe(201);
    expect(res.headers.get("location")).toBe(`/v2/${name}/manifests/${image.digest}`);
    for (const ref of ["v1", image.digest]) {
      for (const method of ["GET", "HEAD"]) {
        const got = await fetch(`${registry.url}/v2/${name}/manifests/${ref}`, { method, headers: bearer(token, { accept: `${MANIFEST_TYPES.ociManifest}, ${MANIFEST_TYPES.dockerManifest}` }) });
        expect(got.status, `${method} ${ref}`).toBe(200);
        expect(got.headers.get("content-type")).toBe(MANIFEST_TYPES.ociManifest);
        expect(got.headers.get("docker-content-digest")).toBe(image.digest);
        expect(got.headers.get("content-length")).toBe(String(image.manifest.byteLength));
        if (method === "GET") expect(Buffer.from(await got.arrayBuffer()).equals(image.manifest)).toBe(true);
      }
    }
    const dockerOnly = await fetch(`${registry.url}/v2/${name}/manifests/v1`, { headers: bearer(token, { accept: MANIFEST_TYPES.dockerManifest }) });
    expect(dockerOnly.status).toBe(404);
    expect(await errorCode(dockerOnly)).toBe("MANIFEST_UNKNOWN");
    const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociIndex, manifests: [{ ...descriptor(MANIFEST_TYPES.ociManifest, image.manifest), platform: { architecture: "amd64", os: "linux" } }] }));
    expect((await putManifest(name, "multi", token, index, MANIFEST_TYPES.ociIndex)).status).toBe(201);
    const gotIndex = await fetch(`${registry.url}/v2/${name}/manifests/multi`, { headers: bearer(token, { accept: MANIFEST_TYPES.ociIndex }) });
    expect(gotIndex.headers.get("content-type")).toBe(MANIFEST_TYPES.ociIndex);
    // An artifact: the empty config, artifactType, and a subject pointing at the image.
    const empty = Buffer.from("{}");
    await pushBlob(name, token, empty);
    const sbom = Buffer.from('{"sbom":true}');
    await pushBlob(name, token, sbom);
    const artifact = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MANIFEST_TYPES.ociManifest,
        artifactType: "application/vnd.example.sbom",
        config: descriptor("application/vnd.oci.empty.v1+json", empty),
        layers: [descriptor("application/json", sbom)],
        subject: descriptor(MANIFEST_TYPES.ociManifest, image.manifest),
        annotations: { "org.example.kind": "sbom" },
      }),
    );
    const pushed = await putManifest(name, sha(artifact), token, artifact);
    expect(pushed.status).toBe(201);
    expect(pushed.headers.get("oci-subject")).toBe(image.digest);
  });

  test("push.duplicate: a tag pushed again with another manifest moves; immutable when the policy rejects duplicates", async () => {
    const name = "regkit/demo/duplicate";
    const token = await tokenFor("personal", name);
    const first = await pushImage(name, token, "latest", "one");
    const second = await pushImage(name, token, "latest", "two");
    const now = await fetch(`${registry.url}/v2/${name}/manifests/latest`, { method: "HEAD", headers: bearer(token) });
    expect(now.headers.get("docker-content-digest")).toBe(second.digest);
    // The old manifest stays reachable by digest.
    expect((await fetch(`${registry.url}/v2/${name}/manifests/${first.digest}`, { method: "HEAD", headers: bearer(token) })).status).toBe(200);
    registry.setPolicies("oci", { duplicates: "reject" });
    try {
      const refused = await putManifest(name, "latest", token, first.manifest);
      expect(refused.status).toBe(403);
      expect(await errorCode(refused)).toBe("DENIED");
      // The same manifest again is no move.
      expect((await putManifest(name, "latest", token, second.manifest)).status).toBe(201);
    } finally {
      registry.setPolicies("oci", { duplicates: "allow" });
    }
  });

  test("cross-repository mount: 201 with pull on the source, an upload session (202) without", async () => {
    const from = "regkit/demo/mount-from";
    const to = "regkit/demo/mount-to";
    const bytes = randomBytes(4096);
    const digest = await pushBlob(from, await tokenFor("personal", from), bytes);
    const both = (await realm("personal", [`repository:${to}:pull,push`, `repository:${from}:pull`])).token!;
    const mounted = await fetch(`${registry.url}/v2/${to}/blobs/uploads/?mount=${digest}&from=${from}`, { method: "POST", headers: bearer(both) });
    expect(mounted.status).toBe(201);
    expect(mounted.headers.get("location")).toBe(`/v2/${to}/blobs/${digest}`);
    expect((await fetch(`${registry.url}/v2/${to}/blobs/${digest}`, { method: "HEAD", headers: bearer(both) })).status).toBe(200);
    const target = "regkit/demo/mount-denied";
    const only = await tokenFor("personal", target, "pull,push");
    const fallback = await fetch(`${registry.url}/v2/${target}/blobs/uploads/?mount=${digest}&from=${from}`, { method: "POST", headers: bearer(only) });
    expect(fallback.status).toBe(202);
    expect(fallback.headers.get("location")).toMatch(/\/blobs\/uploads\//);
    expect((await fetch(`${registry.url}/v2/${target}/blobs/${digest}`, { method: "HEAD", headers: bearer(only) })).status).toBe(404);
  });

  test("push.over-limit: a blob past the configured limit is refused with 413 SIZE_INVALID, monolithic or chunked", async () => {
    const name = "regkit/demo/limit";
    const token = await tokenFor("personal", name);
    registry.setLimits("oci", { maxFileSize: 64 * 1024 });
    try {
      const small = randomBytes(64 * 1024);
      expect(await pushBlob(name, token, small)).toBe(sha(small));
      const big = randomBytes(64 * 1024 + 1);
      const mono = await fetch(`${registry.url}/v2/${name}/blobs/uploads/?digest=${sha(big)}`, { method: "POST", headers: bearer(token), body: big });
      expect(mono.status).toBe(413);
      expect(await errorCode(mono)).toBe("SIZE_INVALID");
      const start = await fetch(`${registry.url}/v2/${name}/blobs/uploads/`, { method: "POST", headers: bearer(token) });
      const location = start.headers.get("location")!;
      expect((await fetch(`${registry.url}${location}`, { method: "PATCH", headers: bearer(token), body: big.subarray(0, 40_000) })).status).toBe(202);
      const over = await fetch(`${registry.url}${location}`, { method: "PATCH", headers: bearer(token), body: big.subarray(40_000) });
      expect(over.status).toBe(413);
      // The session is gone with it.
      expect(await errorCode(await fetch(`${registry.url}${location}`, { headers: bearer(token) }))).toBe("BLOB_UPLOAD_UNKNOWN");
    } finally {
      registry.setLimits("oci", { maxFileSize: 0 });
    }
  });
});

describe("bad input answered with the spec's error codes", () => {
  test("DIGEST_INVALID: a blob or manifest whose bytes do not match, an upload cut off halfway, a malformed digest", async () => {
    const name = "regkit/demo/bad-digest";
    const token = await tokenFor("personal", name);
    const bytes = randomBytes(1000);
    const wrong = await fetch(`${registry.url}/v2/${name}/blobs/uploads/?digest=${sha(randomBytes(10))}`, { method: "POST", headers: bearer(token), body: bytes });
    expect(wrong.status).toBe(400);
    expect(await errorCode(wrong)).toBe("DIGEST_INVALID");
    expect((await fetch(`${registry.url}/v2/${name}/blobs/${sha(bytes)}`, { method: "HEAD", headers: bearer(token) })).status).toBe(404);
    // Half the bytes, then a close that names the whole blob's digest; the session ends with it.
    const start = await fetch(`${registry.url}/v2/${name}/blobs/uploads/`, { method: "POST", headers: bearer(token) });
    const location = start.headers.get("location")!;
    await fetch(`${registry.url}${location}`, { method: "PATCH", headers: bearer(token), body: bytes.subarray(0, 500) });
    const cut = await fetch(`${registry.url}${location}?digest=${sha(bytes)}`, { method: "PUT", headers: bearer(token) });
    expect(cut.status).toBe(400);
    const body = (await cut.json()) as ErrorBody;
    expect(body.errors?.[0]).toMatchObject({ code: "DIGEST_INVALID", detail: { expected: sha(bytes), actual: sha(bytes.subarray(0, 500)), size: 500 } });
    const after = await fetch(`${registry.url}${location}`, { headers: bearer(token) });
    expect(after.status).toBe(404);
    expect(await errorCode(after)).toBe("BLOB_UPLOAD_UNKNOWN");
    const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociIndex, manifests: [] }));
    const mismatch = await putManifest(name, sha(Buffer.from("other")), token, manifest, MANIFEST_TYPES.ociIndex);
    expect(mismatch.status).toBe(400);
    expect(await errorCode(mismatch)).toBe("DIGEST_INVALID");
    for (const digest of ["sha256:abc", "md5:0123", `sha384:${"a".repeat(96)}`]) {
      const res = await fetch(`${registry.url}/v2/${name}/blobs/${digest}`, { headers: bearer(token) });
      expect(res.status, digest).toBe(400);
      expect(await errorCode(res)).toBe("DIGEST_INVALID");
    }
  });

  test("MANIFEST_INVALID and MANIFEST_BLOB_UNKNOWN: unknown media type, not JSON, missing blobs, an index naming an unknown manifest", async () => {
    const name = "regkit/demo/bad-manifest";
    const token = await tokenFor("personal", name);
    const config = Buffer.from('{"os":"linux"}');
    await pushBlob(name, token, config);
    const manifest = (layers: Descriptor[]) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociManifest, config: descriptor("application/vnd.oci.image.config.v1+json", config), layers }));
    const unknownType = await putManifest(name, "t1", token, Buffer.from(JSON.stringify({ schemaVersion: 2 })), "application/vnd.example.unknown+json");
    expect(unknownType.status).toBe(400);
    expect(await errorCode(unknownType)).toBe("MANIFEST_INVALID");
    const notJson = await putManifest(name, "t2", token, Buffer.from("{not json"));
    expect(await errorCode(notJson)).toBe("MANIFEST_INVALID");
    const missing = randomBytes(100);
    const dangling = await putManifest(name, "t3", token, manifest([descriptor("application/vnd.oci.image.layer.v1.tar", missing)]));
    expect(dangling.status).toBe(400);
    const body = (await dangling.json()) as ErrorBody;
    expect(body.errors?.[0]).toMatchObject({ code: "MANIFEST_BLOB_UNKNOWN", detail: [{ digest: sha(missing) }] });
    const orphanIndex = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociIndex, manifests: [descriptor(MANIFEST_TYPES.ociManifest, randomBytes(50))] }));
    const index = await putManifest(name, "t4", token, orphanIndex, MANIFEST_TYPES.ociIndex);
    expect(await errorCode(index)).toBe("MANIFEST_BLOB_UNKNOWN");
    // None of them left a tag behind.
    const tags = await fetch(`${registry.url}/v2/${name}/tags/list`, { headers: bearer(token) });
    expect(((await tags.json()) as TagList).tags).toEqual([]);
    // Over the manifest size limit.
    const huge = await putManifest(name, "t5", token, Buffer.alloc(4 * MiB + 1, 0x20));
    expect(huge.status).toBe(413);
    expect(await errorCode(huge)).toBe("SIZE_INVALID");
  });

  test("NAME_INVALID, BLOB_UNKNOWN, MANIFEST_UNKNOWN, BLOB_UPLOAD_UNKNOWN, NAME_UNKNOWN", async () => {
    const token = await tokenFor("personal", "regkit/demo/unknowns");
    const cases: [string, string, number, string][] = [
      ["GET", "/v2/regkit/demo/UPPER/tags/list", 400, "NAME_INVALID"],
      ["GET", `/v2/regkit/demo/unknowns/blobs/${sha(Buffer.from("nothing"))}`, 404, "BLOB_UNKNOWN"],
      ["GET", "/v2/regkit/demo/unknowns/manifests/nope", 404, "MANIFEST_UNKNOWN"],
      ["GET", "/v2/regkit/demo/unknowns/blobs/uploads/00000000-0000-0000-0000-000000000000", 404, "BLOB_UPLOAD_UNKNOWN"],
      ["GET", "/v2/regkit/demo/unknowns/tags/list", 404, "NAME_UNKNOWN"],
    ];
    for (const [method, path, status, code] of cases) {
      const res = await fetch(`${registry.url}${path}`, { method, headers: bearer(token) });
      expect(res.status, `${method} ${path}`).toBe(status);
      expect(await errorCode(res), `${method} ${path}`).toBe(code);
    }
  });
});

describe("discovery", () => {
  test("push.many: hundreds of tags, tags/list paginated with n, last and Link", async () => {
    const name = "regkit/demo/many";
    const token = await tokenFor("personal", name);
    const { manifest } = await pushImage(name, token, "tag-000");
    const tags = Array.from({ length: 250 }, (_, i) => `tag-${String(i).padStart(3, "0")}`);
    for (let i = 1; i < tags.length; i += 25) {
      await Promise.all(tags.slice(i, i + 25).map(async (tag) => expect((await putManifest(name, tag, token, manifest)).status).toBe(201)));
    }
    const all = await fetch(`${registry.url}/v2/${name}/tags/list`, { headers: bearer(token) });
    expect(((await all.json()) as TagList).tags).toEqual(tags);
    expect(all.headers.get("link")).toBeNull();
    const seen: string[] = [];
    let next: string | undefined = `/v2/${name}/tags/list?n=100`;
    let pages = 0;
    while (next) {
      const res = await fetch(`${registry.url}${next}`, { headers: bearer(token) });
      const body = (await res.json()) as TagList;
      expect(body.name).toBe(name);
      seen.push(...body.tags);
      pages++;
      next = /^<([^>]+)>; rel="next"$/.exec(res.headers.get("link") ?? "")?.[1];
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(tags);
    const after = await fetch(`${registry.url}/v2/${name}/tags/list?n=2&last=tag-247`, { headers: bearer(token) });
    expect(((await after.json()) as TagList).tags).toEqual(["tag-248", "tag-249"]);
  });

  test("referrers API: artifacts naming a subject, filtered by artifactType; an empty index for none", async () => {
    const name = "regkit/demo/referrers";
    const token = await tokenFor("personal", name);
    const image = await pushImage(name, token, "v1");
    const empty = Buffer.from("{}");
    await pushBlob(name, token, empty);
    const pushArtifact = async (artifactType: string) => {
      const bytes = Buffer.from(
        JSON.stringify({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociManifest, artifactType, config: descriptor("application/vnd.oci.empty.v1+json", empty), layers: [], subject: descriptor(MANIFEST_TYPES.ociManifest, image.manifest) }),
      );
      expect((await putManifest(name, sha(bytes), token, bytes)).status).toBe(201);
      return sha(bytes);
    };
    const sig = await pushArtifact("application/vnd.example.signature");
    const sbom = await pushArtifact("application/vnd.example.sbom");
    const all = await fetch(`${registry.url}/v2/${name}/referrers/${image.digest}`, { headers: bearer(token) });
    expect(all.status).toBe(200);
    expect(all.headers.get("content-type")).toBe(MANIFEST_TYPES.ociIndex);
    const index = (await all.json()) as ImageIndex;
    expect(index).toMatchObject({ schemaVersion: 2, mediaType: MANIFEST_TYPES.ociIndex });
    expect(index.manifests.map((m) => m.digest).sort()).toEqual([sig, sbom].sort());
    const filtered = await fetch(`${registry.url}/v2/${name}/referrers/${image.digest}?artifactType=application/vnd.example.sbom`, { headers: bearer(token) });
    expect(filtered.headers.get("oci-filters-applied")).toBe("artifactType");
    expect(((await filtered.json()) as ImageIndex).manifests).toEqual([{ mediaType: MANIFEST_TYPES.ociManifest, digest: sbom, size: expect.any(Number), artifactType: "application/vnd.example.sbom" }]);
    const none = await fetch(`${registry.url}/v2/${name}/referrers/${sha(Buffer.from("none"))}`, { headers: bearer(token) });
    expect(((await none.json()) as ImageIndex).manifests).toEqual([]);
  });

  test("_catalog for an administrator's registry:catalog:* token only", async () => {
    const name = "regkit/demo/catalog";
    await pushImage(name, await tokenFor("personal", name), "v1");
    const admin = await realm("personal", ["registry:catalog:*"]);
    expect(admin.claims!.access).toEqual([{ type: "registry", name: "catalog", actions: ["*"] }]);
    const res = await fetch(`${registry.url}/v2/_catalog`, { headers: bearer(admin.token!) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as Catalog).repositories).toContain(name);
    const developer = await realm("developer", ["registry:catalog:*"]);
    expect(developer.claims!.access).toEqual([]);
    const refused = await fetch(`${registry.url}/v2/_catalog`, { headers: bearer(developer.token!) });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("www-authenticate")).toContain('scope="registry:catalog:*",error="insufficient_scope"');
  });
});

describe("management", () => {
  test("delete a tag, a manifest by digest, a blob: what is then pulled answers 404 with the spec's codes", async () => {
    const name = "regkit/demo/delete";
    const token = await tokenFor("personal", name);
    const image = await pushImage(name, token, "v1");
    await putManifest(name, "v2", token, image.manifest);
    const url = (path: string) => `${registry.url}/v2/${name}/${path}`;
    expect((await fetch(url("manifests/v2"), { method: "DELETE", headers: bearer(token) })).status).toBe(202);
    expect(((await (await fetch(url("tags/list"), { headers: bearer(token) })).json()) as TagList).tags).toEqual(["v1"]);
    expect((await fetch(url(`manifests/${image.digest}`), { headers: bearer(token) })).status).toBe(200);
    expect((await fetch(url(`manifests/${image.digest}`), { method: "DELETE", headers: bearer(token) })).status).toBe(202);
    for (const ref of ["v1", image.digest]) {
      const gone = await fetch(url(`manifests/${ref}`), { headers: bearer(token) });
      expect(gone.status).toBe(404);
      expect(await errorCode(gone)).toBe("MANIFEST_UNKNOWN");
    }
    const again = await fetch(url(`manifests/${image.digest}`), { method: "DELETE", headers: bearer(token) });
    expect(await errorCode(again)).toBe("MANIFEST_UNKNOWN");
    const layer = sha(image.layer);
    expect((await fetch(url(`blobs/${layer}`), { method: "DELETE", headers: bearer(token) })).status).toBe(202);
    const blob = await fetch(url(`blobs/${layer}`), { headers: bearer(token) });
    expect(blob.status).toBe(404);
    expect(await errorCode(blob)).toBe("BLOB_UNKNOWN");
  });

  test("content survives a restart with a data directory", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "regkit-oci-data-"));
    try {
      const first = await createReferenceRegistry({ formats: [ociReference], dataDir, tokens: { personal: "glpat-oci-persist" } });
      const name = "regkit/demo/persist";
      const token = await tokenFor("personal", name, "pull,push", first);
      const { digest } = await pushImageOn(first, name, token, "kept");
      await first.close();
      const second = await createReferenceRegistry({ formats: [ociReference], dataDir, tokens: { personal: "glpat-oci-persist" } });
      try {
        const again = await tokenFor("personal", name, "pull", second);
        const res = await fetch(`${second.url}/v2/${name}/manifests/kept`, { headers: bearer(again) });
        expect(res.headers.get("docker-content-digest")).toBe(digest);
        // The first registry's token does not open the second: each start signs with its own key.
        expect((await fetch(`${second.url}/v2/${name}/manifests/kept`, { headers: bearer(token) })).status).toBe(401);
      } finally {
        await second.close();
      }
      // A damaged record stops the start with a one-line data directory error.
      const records = join(dataDir, "hosted", "oci", "repositories");
      const [record] = await readdir(records);
      await writeFile(join(records, record!), "{not json");
      await expect(createReferenceRegistry({ formats: [ociReference], dataDir })).rejects.toThrow(/^data directory check failed: .*not valid JSON/);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe("hostile input at the OCI routes", () => {
  test("malformed requests at every route: a 4xx with an error body, never a 5xx; the registry keeps answering (fast-check)", async () => {
    const name = "regkit/demo/hostile";
    const token = await tokenFor("personal", name);
    const image = await pushImage(name, token, "v1");
    const printable = fc.stringMatching(/^[ -~]{0,40}$/);
    const segment = fc.oneof(
      fc.constantFrom("", "..", "%2e%2e", "%00", "a".repeat(300), "sha256:", image.digest, sha(image.layer), "v1", "uploads", "UPPER", "-x", "_catalog", "list"),
      printable.map(encodeURIComponent),
    );
    const prefix = fc.constantFrom(
      `/v2/${name}/blobs/`,
      `/v2/${name}/manifests/`,
      `/v2/${name}/blobs/uploads/`,
      `/v2/${name}/blobs/uploads/?digest=`,
      `/v2/${name}/blobs/uploads/?mount=${sha(image.layer)}&from=`,
      `/v2/${name}/referrers/`,
      `/v2/${name}/tags/list?n=`,
      `/v2/${name}/tags/list?last=`,
      "/v2/_catalog?n=",
      "/v2/",
      "/v2/regkit/",
      "/jwt/auth?service=container_registry&scope=",
      "/jwt/auth?service=",
    );
    const method = fc.constantFrom("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    const headers = fc.record(
      {
        range: printable,
        "content-range": printable,
        "content-type": fc.constantFrom(MANIFEST_TYPES.ociManifest, MANIFEST_TYPES.ociIndex, "text/plain", "application/json"),
        accept: printable,
        authorization: fc.constantFrom(`Bearer ${token}`, "Bearer x.y.z", "Basic Og==", `Basic ${Buffer.from("gitlab-ci-token:").toString("base64")}`, "Bearer"),
      },
      { requiredKeys: ["authorization"] },
    );
    const body = fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.constant(image.manifest), fc.constant(Buffer.from('{"schemaVersion":2,"layers":[{}]}')));
    // The token may delete: a DELETE of the image's digest or of its tag v1 is a request the registry rightly
    // takes (v1 is gone then), and a PUT of the image's manifest as v1 puts it back.
    let removedBy: string | undefined;
    await fc.assert(
      fc.asyncProperty(method, prefix, segment, headers, body, async (m, p, seg, h, b) => {
        const path = `${p}${seg}`;
        const res = await fetch(`${registry.url}${path}`, { method: m, headers: h, body: m === "GET" || m === "HEAD" ? undefined : b });
        const text = await res.text();
        expect(res.status, `${m} ${path} -> ${res.status} ${text.slice(0, 300)}`).toBeLessThan(500);
        if (p === `/v2/${name}/manifests/` && m === "DELETE" && res.status === 202 && (seg === "v1" || seg === image.digest)) removedBy = `${m} ${path}`;
        if (p === `/v2/${name}/manifests/` && m === "PUT" && res.status === 201 && seg === "v1") removedBy = undefined;
        if (res.status >= 400 && m !== "HEAD" && text !== "") {
          const parsed = JSON.parse(text) as ErrorBody;
          // The spec's body from the OCI routes and the realm; GitLab's {"message"} from the registry's own guards.
          expect(Array.isArray(parsed.errors) || typeof parsed.message === "string", `${m} ${path}: ${text.slice(0, 300)}`).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
    // Still answering, and what was there is intact, unless a DELETE the registry accepted removed it.
    const after = await fetch(`${registry.url}/v2/${name}/manifests/v1`, { headers: bearer(token) });
    if (removedBy) expect(after.status, `after ${removedBy}`).toBe(404);
    else expect(after.headers.get("docker-content-digest")).toBe(image.digest);
  });
});

/** Sends the first part of a chunk of `declared` bytes, then cuts the connection. */
async function dropMidway(url: string, headers: Record<string, string>, part: Uint8Array, declared: number): Promise<void> {
  await new Promise<void>((resolve) => {
    const req = httpRequest(url, { method: "PATCH", headers: { ...headers, "content-type": "application/octet-stream", "content-length": String(declared) } });
    req.on("error", () => resolve());
    req.on("response", () => resolve());
    req.write(part, () => {
      // Give the registry a moment to write what arrived, then cut.
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 300);
    });
  });
}

const skopeo = existsSync("/usr/bin/skopeo") ? undefined : "skopeo is not installed (Debian package skopeo)";
const umoci = existsSync("/usr/bin/umoci") ? undefined : "umoci is not installed (Debian package umoci)";
const toolsMissing = skopeo ?? umoci;

describe.skipIf(toolsMissing !== undefined)(`skopeo and umoci against the reference${toolsMissing ? ` (skipped: ${toolsMissing})` : ""}`, () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), "regkit-oci-skopeo-"));
    const umociRun = async (...args: string[]) => {
      const result = await runTool({ command: "umoci", args, cwd: work, secrets: [], timeoutMs: 60_000 });
      expect(result.code, `umoci ${args.join(" ")}: ${result.output}`).toBe(0);
    };
    await umociRun("init", "--layout", "layout");
    await umociRun("new", "--image", "layout:v1");
    await umociRun("unpack", "--rootless", "--image", "layout:v1", "bundle");
    await writeFile(join(work, "bundle", "rootfs", "hello.txt"), "hello from regkit\n");
    await writeFile(join(work, "bundle", "rootfs", "random.bin"), randomBytes(2 * MiB));
    await umociRun("repack", "--image", "layout:v1", "bundle");
  });
  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true });
  });

  const copy = (args: string[]) => runTool({ command: "skopeo", args: ["copy", "--retry-times", "0", ...args], cwd: work, secrets: [...registry.secrets], timeoutMs: 120_000 });
  const host = (): string => registry.url.replace(/^http:\/\//, "");

  async function blobsOf(layout: string): Promise<Map<string, Buffer>> {
    const dir = join(work, layout, "blobs", "sha256");
    const out = new Map<string, Buffer>();
    for (const file of await readdir(dir)) out.set(file, await readFile(join(dir, file)));
    return out;
  }

  test("pushes an umoci image with each write credential and copies it back byte-identical", async () => {
    const credentials: [string, string][] = [
      ["personal", `${registry.tokens.personalUsername}:${registry.tokens.personal}`],
      ["deploy", `${registry.tokens.deployUsername}:${registry.tokens.deploy}`],
      ["job", `gitlab-ci-token:${registry.tokens.job}`],
    ];
    const original = await blobsOf("layout");
    const index = JSON.parse(await readFile(join(work, "layout", "index.json"), "utf8")) as ImageIndex;
    for (const [kind, creds] of credentials) {
      const ref = `docker://${host()}/regkit/demo/skopeo-${kind}:v1`;
      const push = await copy(["--dest-tls-verify=false", "--dest-creds", creds, "oci:layout:v1", ref]);
      expect(push.code, `skopeo copy to ${ref} (${kind}): ${push.output}`).toBe(0);
      const back = `back-${kind}`;
      const pull = await copy(["--src-tls-verify=false", "--src-creds", creds, ref, `oci:${back}:v1`]);
      expect(pull.code, `skopeo copy from ${ref} (${kind}): ${pull.output}`).toBe(0);
      const copied = JSON.parse(await readFile(join(work, back, "index.json"), "utf8")) as ImageIndex;
      expect(copied.manifests[0]?.digest).toBe(index.manifests[0]?.digest);
      // Every blob the image names came back, each identical to the original.
      const manifestDigest = index.manifests[0]!.digest.slice("sha256:".length);
      const manifest = JSON.parse(original.get(manifestDigest)!.toString("utf8")) as ImageManifest;
      const named = [manifestDigest, ...[manifest.config, ...manifest.layers].map((d) => d.digest.slice("sha256:".length))];
      const blobs = await blobsOf(back);
      expect([...blobs.keys()].sort()).toEqual([...named].sort());
      for (const [digest, bytes] of blobs) expect(bytes.equals(original.get(digest)!), digest).toBe(true);
      expect(push.output + pull.output).not.toContain(creds.split(":")[1]!);
    }
  });

  test("the roundtrip check catches a registry that corrupts a layer on the way out", async () => {
    const proxy = await startFaultyProxy({ upstream: registry.url, fault: corruptBody({ when: (ex) => ex.method === "GET" && /\/blobs\/sha256:/.test(ex.path) }) });
    try {
      const creds = `${registry.tokens.personalUsername}:${registry.tokens.personal}`;
      const push = await copy(["--dest-tls-verify=false", "--dest-creds", creds, "oci:layout:v1", `docker://${host()}/regkit/demo/skopeo-corrupt:v1`]);
      expect(push.code, push.output).toBe(0);
      const ref = `docker://${proxy.url.replace(/^http:\/\//, "")}/regkit/demo/skopeo-corrupt:v1`;
      const pull = await copy(["--src-tls-verify=false", "--src-creds", creds, ref, "oci:back-corrupt:v1"]);
      expect(pull.code).not.toBe(0);
      expect(pull.output).toMatch(/digest/i);
    } finally {
      await proxy.close();
    }
  });

  test("the read-only deploy token pulls but cannot push", async () => {
    const readonly = `${registry.tokens.readonlyDeployUsername}:${registry.tokens.readonlyDeploy}`;
    const push = await copy(["--dest-tls-verify=false", "--dest-creds", readonly, "oci:layout:v1", `docker://${host()}/regkit/demo/skopeo-readonly:v1`]);
    expect(push.code).not.toBe(0);
    expect(push.output).toMatch(/unauthorized|denied|401/i);
    const personal = `${registry.tokens.personalUsername}:${registry.tokens.personal}`;
    const source = `docker://${host()}/regkit/demo/skopeo-readonly-source:v1`;
    expect((await copy(["--dest-tls-verify=false", "--dest-creds", personal, "oci:layout:v1", source])).code).toBe(0);
    const pull = await copy(["--src-tls-verify=false", "--src-creds", readonly, source, "oci:back-readonly:v1"]);
    expect(pull.code, pull.output).toBe(0);
  });
});

/** The first executable `name` on PATH (the vitest setup puts $REGKIT_TOOLS/bin first). */
function onPath(name: string): string | undefined {
  return (process.env.PATH ?? "").split(delimiter).map((dir) => join(dir, name)).find((path) => existsSync(path));
}

const conformance = onPath("oci-conformance");

/**
 * Runs the conformance suite in a fresh working folder (it writes its report
 * to results/junit.xml there) as the personal token's user, hands the outcome
 * and the folder to `check`, then removes the folder.
 */
async function runSuite(prefix: string, env: Record<string, string>, check: (result: ToolResult, work: string) => Promise<void>): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), prefix));
  try {
    const result = await runTool({
      command: conformance!,
      args: [],
      cwd: work,
      secrets: [...registry.secrets],
      timeoutMs: 180_000,
      env: { OCI_USERNAME: registry.tokens.personalUsername, OCI_PASSWORD: registry.tokens.personal, ...env },
    });
    await check(result, work);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

describe.skipIf(conformance === undefined)(
  `the distribution spec's conformance suite against the reference${conformance ? "" : " (skipped: oci-conformance is not installed; bash tooling/ci/install-tools.sh oci builds it)"}`,
  () => {
    test("pull, push, content discovery and content management all pass, sha256 and sha512", async () => {
      await runSuite(
        "regkit-oci-conformance-",
        {
          OCI_ROOT_URL: registry.url,
          OCI_NAMESPACE: "regkit/demo/conformance",
          OCI_CROSSMOUNT_NAMESPACE: "regkit/demo/conformance-mount",
          OCI_TEST_PULL: "1",
          OCI_TEST_PUSH: "1",
          OCI_TEST_CONTENT_DISCOVERY: "1",
          OCI_TEST_CONTENT_MANAGEMENT: "1",
        },
        async (result, work) => {
          const junit = await readFile(join(work, "results", "junit.xml"), "utf8").catch(() => "");
          const failed = [...junit.matchAll(/<testcase name="([^"]*)"[^>]*status="failure">/g)].map((m) => m[1]);
          expect(failed, `failing conformance cases:\n${failed.join("\n")}\n${result.output.slice(-4000)}`).toEqual([]);
          expect(result.code, result.output.slice(-4000)).toBe(0);
          // It ran the workflows rather than skipping them.
          expect(/<testsuites[^>]*tests="(\d+)"/.exec(junit)?.[1]).toMatch(/^[1-9]\d{2,}$/);
        },
      );
    });

    test("the suite fails a registry that answers a finished blob upload with 200 instead of 201", async () => {
      const proxy = await startFaultyProxy({
        upstream: registry.url,
        fault: (ex) => (ex.method === "PUT" && ex.path.includes("/blobs/uploads/") ? { response: (res) => (res.status === 201 ? { status: 200 } : undefined) } : undefined),
      });
      try {
        await runSuite("regkit-oci-conformance-fault-", { OCI_ROOT_URL: proxy.url, OCI_NAMESPACE: "regkit/demo/conformance-fault", OCI_TEST_PUSH: "1" }, async (result, work) => {
          expect(result.code, result.output.slice(-2000)).not.toBe(0);
          const junit = await readFile(join(work, "results", "junit.xml"), "utf8");
          expect(junit).toMatch(/status="failure"/);
          expect(junit).toContain("expected one of [201], received 200");
        });
      } finally {
        await proxy.close();
      }
    });
  },
);
