// The npm routes of the reference registry, spoken to directly and with the real npm CLI.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { contentFromChunks, generatedChunks } from "@regkit/core";
import { npmKit, npmReference, publishDocument, streamPublishBody } from "@regkit/npm";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";

const MiB = 1024 * 1024;
let registry: ReferenceRegistry;
let npm: string;
const auth = (): Record<string, string> => ({ authorization: `Bearer ${registry.tokens.personal}`, "content-type": "application/json" });

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [npmReference], limits: { npm: { maxFileSize: 300 * MiB } } });
  npm = registry.registries.npm!;
});
afterAll(async () => {
  await registry.close();
});

async function put(name: string, version: string, mutate?: (doc: Record<string, any>) => void, extra?: { files?: Record<string, Uint8Array> }) {
  const artifact = await npmKit.build({ name, version, ...extra });
  const { document } = publishDocument(npm, artifact);
  const bytes = Buffer.from(artifact.content.bytes!);
  (document._attachments as any)[Object.keys(document._attachments as object)[0]!].data = bytes.toString("base64");
  mutate?.(document);
  const encoded = name.startsWith("@") ? `@${encodeURIComponent(name.slice(1))}` : name;
  const res = await fetch(`${npm}/${encoded}`, { method: "PUT", headers: auth(), body: JSON.stringify(document) });
  return { res, artifact, body: (await res.json()) as { message?: string } };
}

describe("npm reference routes", () => {
  test("publish, full and abbreviated packuments, tarball, byte for byte", async () => {
    const { res, artifact } = await put("ref-basic", "1.2.3");
    expect(res.status).toBe(201);
    const full = await fetch(`${npm}/ref-basic`, { headers: auth() });
    expect(full.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = (await full.json()) as any;
    expect(doc["dist-tags"]).toEqual({ latest: "1.2.3" });
    expect(doc.versions["1.2.3"].dist.tarball).toBe(`${npm}/ref-basic/-/ref-basic-1.2.3.tgz`);
    expect(doc.time["1.2.3"]).toBeTypeOf("string");
    const short = await fetch(`${npm}/ref-basic`, { headers: { ...auth(), accept: "application/vnd.npm.install-v1+json" } });
    expect(short.headers.get("content-type")).toMatch(/^application\/vnd\.npm\.install-v1\+json/);
    const abbreviated = (await short.json()) as any;
    expect(abbreviated.time).toBeUndefined();
    expect(abbreviated.versions["1.2.3"].dist).toEqual(doc.versions["1.2.3"].dist);
    const tgz = Buffer.from(await (await fetch(doc.versions["1.2.3"].dist.tarball, { headers: auth() })).arrayBuffer());
    expect(createHash("sha512").update(tgz).digest("hex")).toBe(artifact.content.digests.sha512);
    const manifest = (await (await fetch(`${npm}/ref-basic/latest`, { headers: auth() })).json()) as any;
    expect(manifest.version).toBe("1.2.3");
  });

  test("scoped names in both encodings", async () => {
    expect((await put("@ref/scoped", "1.0.0")).res.status).toBe(201);
    for (const path of ["@ref%2fscoped", "@ref%2Fscoped", "@ref/scoped"]) {
      const res = await fetch(`${npm}/${path}`, { headers: auth() });
      expect(res.status, path).toBe(200);
      expect(((await res.json()) as any).name).toBe("@ref/scoped");
    }
    const tgz = await fetch(`${npm}/@ref/scoped/-/scoped-1.0.0.tgz`, { headers: auth() });
    expect(tgz.status).toBe(200);
  });

  test("refuses bad publishes with clear 400s and keeps nothing", async () => {
    const cases: [string, (d: Record<string, any>) => void, RegExp][] = [
      ["ref-integrity", (d) => (d.versions["1.0.0"].dist.integrity = `sha512-${Buffer.alloc(64).toString("base64")}`), /integrity/],
      ["ref-shasum", (d) => (d.versions["1.0.0"].dist.shasum = "0".repeat(40)), /shasum/],
      ["ref-mismatch", (d) => (d.name = "someone-else"), /does not match the URL/],
      ["ref-length", (d) => ((Object.values(d._attachments)[0] as any).length = 1), /length/],
      ["ref-version", (d) => (d.versions = { "not-semver": { ...d.versions["1.0.0"], version: "not-semver" } }), /Invalid version|attachment must be named/],
    ];
    for (const [name, mutate, message] of cases) {
      const { res, body } = await put(name, "1.0.0", mutate);
      expect(res.status, name).toBe(400);
      expect(body.message).toMatch(message);
      expect((await fetch(`${npm}/${name}`, { headers: auth() })).status, name).toBe(404);
    }
    for (const bad of ["UpperCase", "_under", ".dot", "node_modules"]) {
      const res = await fetch(`${npm}/${bad}`, { method: "PUT", headers: auth(), body: JSON.stringify({ name: bad, versions: {}, _attachments: {} }) });
      expect(res.status, bad).toBe(400);
    }
  });

  test("duplicates are refused with 403 and the original stays", async () => {
    const first = await put("ref-dup", "1.0.0", undefined, { files: { "a.txt": new TextEncoder().encode("one") } });
    const second = await put("ref-dup", "1.0.0", undefined, { files: { "a.txt": new TextEncoder().encode("two") } });
    expect(second.res.status).toBe(403);
    expect(second.body.message).toBe("Package already exists.");
    const doc = (await (await fetch(`${npm}/ref-dup`, { headers: auth() })).json()) as any;
    expect(doc.versions["1.0.0"].dist.shasum).toBe(first.artifact.content.digests.sha1);
  });

  test("dist-tags, search and unpublish", async () => {
    await put("ref-tags", "1.0.0");
    await put("ref-tags", "2.0.0");
    const tag = await fetch(`${npm}/-/package/ref-tags/dist-tags/beta`, { method: "PUT", headers: auth(), body: JSON.stringify("1.0.0") });
    expect(tag.status).toBe(204);
    expect(await (await fetch(`${npm}/-/package/ref-tags/dist-tags`, { headers: auth() })).json()).toEqual({ latest: "2.0.0", beta: "1.0.0" });
    expect((await fetch(`${npm}/-/package/ref-tags/dist-tags/latest`, { method: "DELETE", headers: auth() })).status).toBe(400);
    const found = (await (await fetch(`${npm}/-/v1/search?text=ref-tags`, { headers: auth() })).json()) as any;
    expect(found.objects.map((o: any) => o.package.name)).toContain("ref-tags");
    const doc = (await (await fetch(`${npm}/ref-tags?write=true`, { headers: auth() })).json()) as any;
    delete doc.versions["2.0.0"];
    const unpublish = await fetch(`${npm}/ref-tags/-rev/${doc._rev}`, { method: "PUT", headers: auth(), body: JSON.stringify(doc) });
    expect(unpublish.status).toBe(200);
    const after = (await (await fetch(`${npm}/ref-tags`, { headers: auth() })).json()) as any;
    expect(Object.keys(after.versions)).toEqual(["1.0.0"]);
    expect(after["dist-tags"].latest).toBe("1.0.0");
    expect((await fetch(`${npm}/ref-tags/-rev/${after._rev}`, { method: "DELETE", headers: auth() })).status).toBe(200);
    expect((await fetch(`${npm}/ref-tags`, { headers: auth() })).status).toBe(404);
  });

  test("a 64 MiB publish streams through byte for byte; oversize is refused with 400 and nothing is visible", async () => {
    const content = await contentFromChunks(generatedChunks(64 * MiB, 3));
    const artifact = { name: "ref-big", version: "1.0.0", filename: "ref-big-1.0.0.tgz", content };
    const { document } = publishDocument(npm, artifact);
    const { body, length } = streamPublishBody(document, content);
    const res = await fetch(`${npm}/ref-big`, { method: "PUT", headers: { ...auth(), "content-length": String(length) }, body: ReadableStream.from(body), duplex: "half" } as RequestInit);
    expect(res.status).toBe(201);
    // Memory stays flat while streaming: measured out of process by `pnpm bench` (peak RSS goal).
    const tgz = await fetch(`${npm}/ref-big/-/ref-big-1.0.0.tgz`, { headers: auth() });
    const hash = createHash("sha512");
    for await (const chunk of tgz.body!) hash.update(chunk);
    expect(hash.digest("hex")).toBe(content.digests.sha512);

    registry.setLimits("npm", { maxFileSize: 8 * MiB });
    try {
      const big = await contentFromChunks(generatedChunks(9 * MiB, 4));
      const over = { name: "ref-over", version: "1.0.0", filename: "ref-over-1.0.0.tgz", content: big };
      const stream = streamPublishBody(publishDocument(npm, over).document, big);
      const refused = await fetch(`${npm}/ref-over`, { method: "PUT", headers: { ...auth(), "content-length": String(stream.length) }, body: ReadableStream.from(stream.body), duplex: "half" } as RequestInit);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as any).message).toBe("File is too large.");
      expect((await fetch(`${npm}/ref-over`, { headers: auth() })).status).toBe(404);
    } finally {
      registry.setLimits("npm", { maxFileSize: 300 * MiB });
    }
  });
});
