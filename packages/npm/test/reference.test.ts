// The npm routes of the reference registry, spoken to directly and with the real npm CLI.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { contentFromChunks, generatedChunks } from "@regkit/core";
import { npmKit, publishDocument, streamPublishBody } from "@regkit/npm";
import { npmReference } from "@regkit/npm/reference";
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
  test("publish, one JSON packument whatever Accept asks, tarball, byte for byte", async () => {
    const { res, artifact, body } = await put("ref-basic", "1.2.3");
    expect(res.status).toBe(200);
    expect(body).toMatchObject({ name: "ref-basic", version: "1.2.3", package_type: "npm" });
    const full = await fetch(`${npm}/ref-basic`, { headers: auth() });
    expect(full.headers.get("content-type")).toMatch(/^application\/json/);
    const doc = (await full.json()) as any;
    expect(Object.keys(doc).sort()).toEqual(["dist-tags", "name", "versions"]);
    expect(doc["dist-tags"]).toEqual({ latest: "1.2.3" });
    expect(doc.versions["1.2.3"].dist).toEqual({ shasum: artifact.content.digests.sha1, tarball: `${npm}/ref-basic/-/ref-basic-1.2.3.tgz` });
    const short = await fetch(`${npm}/ref-basic`, { headers: { ...auth(), accept: "application/vnd.npm.install-v1+json" } });
    expect(short.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await short.json()).toEqual(doc);
    const tgz = Buffer.from(await (await fetch(doc.versions["1.2.3"].dist.tarball, { headers: auth() })).arrayBuffer());
    expect(createHash("sha512").update(tgz).digest("hex")).toBe(artifact.content.digests.sha512);
    expect((await fetch(`${npm}/ref-basic/latest`, { headers: auth() })).status).toBe(404);
  });

  test("scoped names in both encodings; the tarball named with the scope", async () => {
    expect((await put("@ref/scoped", "1.0.0")).res.status).toBe(200);
    for (const path of ["@ref%2fscoped", "@ref%2Fscoped", "@ref/scoped"]) {
      const res = await fetch(`${npm}/${path}`, { headers: auth() });
      expect(res.status, path).toBe(200);
      expect(((await res.json()) as any).name).toBe("@ref/scoped");
    }
    expect((await fetch(`${npm}/@ref/scoped/-/@ref/scoped-1.0.0.tgz`, { headers: auth() })).status).toBe(200);
    expect((await fetch(`${npm}/@ref/scoped/-/scoped-1.0.0.tgz`, { headers: auth() })).status).toBe(404);
  });

  test("refuses what GitLab refuses with its messages, and keeps nothing", async () => {
    const cases: [string, (d: Record<string, any>) => void, string][] = [
      ["ref-version", (d) => ((d.versions = { "1.0": d.versions["1.0.0"] }), (d._attachments = { "ref-version-1.0.tgz": Object.values(d._attachments)[0] })), "Validation failed: Version should follow SemVer: https://semver.org"],
      ["ref-empty", (d) => (d.versions = {}), "Version is empty."],
      ["ref-noattach", (d) => (d._attachments = { "other-1.0.0.tgz": Object.values(d._attachments)[0] }), "The publish document has no attachment named ref-noattach-1.0.0.tgz"],
    ];
    for (const [name, mutate, message] of cases) {
      const { res, body } = await put(name, "1.0.0", mutate);
      expect(res.status, name).toBe(400);
      expect(body.message, name).toContain(message);
      expect((await fetch(`${npm}/${name}`, { headers: auth() })).status, name).toBe(404);
    }
    for (const bad of ["bad name", "tilde~", "@bad scope/x"]) {
      const { res } = await put(bad, "1.0.0");
      expect(res.status, bad).toBe(400);
    }
  });

  test("takes what GitLab takes: wrong checksums and lengths, extra versions and attachments, another URL name", async () => {
    const cases: [string, (d: Record<string, any>) => void][] = [
      ["ref-integrity", (d) => (d.versions["1.0.0"].dist.integrity = `sha512-${Buffer.alloc(64).toString("base64")}`)],
      ["ref-length", (d) => ((Object.values(d._attachments)[0] as any).length = 1)],
      ["ref-extra", (d) => (d._attachments["ref-extra-1.0.0.sigstore"] = { content_type: "application/json", data: Buffer.from("{}").toString("base64"), length: 2 })],
      ["ref-two", (d) => (d.versions["9.9.9"] = { ...d.versions["1.0.0"], version: "9.9.9" })],
    ];
    for (const [name, mutate] of cases) {
      const { res } = await put(name, "1.0.0", mutate);
      expect(res.status, name).toBe(200);
      expect(Object.keys(((await (await fetch(`${npm}/${name}`, { headers: auth() })).json()) as any).versions), name).toEqual(["1.0.0"]);
    }
    const wrong = "0".repeat(40);
    expect((await put("ref-shasum", "1.0.0", (d) => (d.versions["1.0.0"].dist.shasum = wrong))).res.status).toBe(200);
    expect(((await (await fetch(`${npm}/ref-shasum`, { headers: auth() })).json()) as any).versions["1.0.0"].dist.shasum).toBe(wrong);
    for (const lenient of ["UpperCase", "_under", ".dot", "node_modules"]) {
      expect((await put(lenient, "1.0.0")).res.status, lenient).toBe(200);
    }
  });

  test("duplicates are refused with 403 and the original stays", async () => {
    const first = await put("ref-dup", "1.0.0", undefined, { files: { "a.txt": new TextEncoder().encode("one") } });
    const second = await put("ref-dup", "1.0.0", undefined, { files: { "a.txt": new TextEncoder().encode("two") } });
    expect(second.res.status).toBe(403);
    expect(second.body).toEqual({ message: "Package already exists.", error: "Package already exists." });
    const doc = (await (await fetch(`${npm}/ref-dup`, { headers: auth() })).json()) as any;
    expect(doc.versions["1.0.0"].dist.shasum).toBe(first.artifact.content.digests.sha1);
  });

  test("dist-tags; no search, no unpublish", async () => {
    await put("ref-tags", "1.0.0");
    await put("ref-tags", "2.0.0");
    const tag = await fetch(`${npm}/-/package/ref-tags/dist-tags/beta`, { method: "PUT", headers: auth(), body: JSON.stringify("1.0.0") });
    expect(tag.status).toBe(204);
    expect(await (await fetch(`${npm}/-/package/ref-tags/dist-tags`, { headers: auth() })).json()).toEqual({ latest: "2.0.0", beta: "1.0.0" });
    expect((await fetch(`${npm}/-/package/ref-tags/dist-tags/latest`, { method: "DELETE", headers: auth() })).status).toBe(204);
    expect((await fetch(`${npm}/-/v1/search?text=ref-tags`, { headers: auth() })).status).toBe(404);
    expect((await fetch(`${npm}/ref-tags/-rev/1`, { method: "DELETE", headers: auth() })).status).toBe(404);
    expect((await fetch(`${npm}/ref-tags/-rev/1`, { method: "PUT", headers: auth(), body: "{}" })).status).toBe(404);
    expect(Object.keys(((await (await fetch(`${npm}/ref-tags`, { headers: auth() })).json()) as any).versions)).toEqual(["1.0.0", "2.0.0"]);
  });

  test("a 64 MiB publish streams through byte for byte; oversize is refused with 400 and nothing is visible", async () => {
    const content = await contentFromChunks(generatedChunks(64 * MiB, 3));
    const artifact = { name: "ref-big", version: "1.0.0", filename: "ref-big-1.0.0.tgz", content };
    const { document } = publishDocument(npm, artifact);
    const { body, length } = streamPublishBody(document, content);
    const res = await fetch(`${npm}/ref-big`, { method: "PUT", headers: { ...auth(), "content-length": String(length) }, body: ReadableStream.from(body), duplex: "half" } as RequestInit);
    expect(res.status).toBe(200);
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
