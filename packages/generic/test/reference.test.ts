// The reference registry's Generic routes beyond the facts: large uploads
// streamed through, concurrent duplicates, HEAD, and the Packages API seeing
// (and removing) what the routes store, with the ids select=package_file gives.
import { createHash } from "node:crypto";
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { genericReference } from "@regkit/generic/reference";

let registry: ReferenceRegistry;
let strict: ReferenceRegistry;

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [genericReference], limits: { generic: { maxFileSize: 32 * 1024 * 1024 } } });
  strict = await createReferenceRegistry({ formats: [genericReference], policies: { generic: { duplicates: "reject" } } });
});
afterAll(async () => {
  await Promise.all([registry?.close(), strict?.close()]);
});

const auth = (on: ReferenceRegistry) => ({ "private-token": on.tokens.personal });

/** `size` bytes in 1 MiB chunks, sent as a stream (never one buffer). */
function chunks(size: number): ReadableStream<Uint8Array> {
  let left = size;
  return new ReadableStream({
    pull(controller) {
      if (left <= 0) return controller.close();
      const n = Math.min(left, 1024 * 1024);
      left -= n;
      controller.enqueue(new Uint8Array(n).fill(n % 251));
    },
  });
}

describe("generic reference routes", () => {
  it("streams a 20 MiB upload into the store and serves it back with its SHA-256", async () => {
    const size = 20 * 1024 * 1024;
    const put = await fetch(`${registry.registries.generic}/big/1.0.0/big.bin?select=package_file`, {
      method: "PUT",
      headers: { ...auth(registry), "content-length": String(size) },
      body: chunks(size),
      duplex: "half",
    } as RequestInit);
    expect(put.status).toBe(200);
    const record = (await put.json()) as { size: number; file_sha256: string };
    expect(record.size).toBe(size);
    const res = await fetch(`${registry.registries.generic}/big/1.0.0/big.bin`, { headers: auth(registry) });
    const hash = createHash("sha256");
    let got = 0;
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      hash.update(chunk);
      got += chunk.byteLength;
    }
    expect(got).toBe(size);
    expect(hash.digest("hex")).toBe(record.file_sha256);
    expect(res.headers.get("x-checksum-sha256")).toBe(record.file_sha256);
  });

  it("refuses an upload over the limit without storing any of it", async () => {
    const size = 33 * 1024 * 1024;
    const put = await fetch(`${registry.registries.generic}/toobig/1.0.0/big.bin`, {
      method: "PUT",
      headers: { ...auth(registry), "content-length": String(size) },
      body: chunks(size),
      duplex: "half",
    } as RequestInit).catch((error: unknown) => error);
    // The registry answers as soon as the limit is passed; the client may see the answer or a reset.
    if (put instanceof Response) expect(put.status).toBe(400);
    expect((await fetch(`${registry.registries.generic}/toobig/1.0.0/big.bin`, { headers: auth(registry) })).status).toBe(404);
  });

  it("of concurrent uploads of one file name where duplicates are refused, exactly one is stored", async () => {
    const url = `${strict.registries.generic}/race/1.0.0/same.bin`;
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => fetch(url, { method: "PUT", headers: auth(strict), body: `copy ${i}` })));
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 400, 400, 400, 400, 400]);
    const winner = answers.findIndex((r) => r.status === 201);
    expect(await (await fetch(url, { headers: auth(strict) })).text()).toBe(`copy ${winner}`);
  });

  it("takes the group's duplicates setting as GitLab changes it (GraphQL genericDuplicatesAllowed)", async () => {
    const own = await createReferenceRegistry({ formats: [genericReference] });
    try {
      const mutate = async (allowed: boolean) =>
        fetch(`${own.url}/api/graphql`, {
          method: "POST",
          headers: { ...auth(own), "content-type": "application/json" },
          body: JSON.stringify({ query: `mutation { updateNamespacePackageSettings(input: { namespacePath: "regkit", genericDuplicatesAllowed: ${allowed} }) { errors } }` }),
        });
      expect((await mutate(false)).status).toBe(200);
      const url = `${own.registries.generic}/graphql/1.0.0/a.bin`;
      expect((await fetch(url, { method: "PUT", headers: auth(own), body: "one" })).status).toBe(201);
      expect((await fetch(url, { method: "PUT", headers: auth(own), body: "two" })).status).toBe(400);
      await mutate(true);
      expect((await fetch(url, { method: "PUT", headers: auth(own), body: "three" })).status).toBe(201);
      expect(await (await fetch(url, { headers: auth(own) })).text()).toBe("three");
    } finally {
      await own.close();
    }
  });

  it("answers HEAD like GET, without a body", async () => {
    await fetch(`${registry.registries.generic}/head/1.0.0/h.bin`, { method: "PUT", headers: auth(registry), body: "head" });
    const head = await fetch(`${registry.registries.generic}/head/1.0.0/h.bin`, { method: "HEAD", headers: auth(registry) });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("4");
    expect(await head.text()).toBe("");
  });

  it("the Packages API lists what the routes stored under the id select=package_file gave, and deletes it", async () => {
    const put = await fetch(`${registry.registries.generic}/listed/2.0.0/a.bin?select=package_file`, { method: "PUT", headers: auth(registry), body: "a" });
    const { package_id } = (await put.json()) as { package_id: number };
    const project = registry.registries.generic!.replace(/\/packages\/generic$/, "");
    const list = (await (await fetch(`${project}/packages?package_type=generic&package_name=listed`, { headers: auth(registry) })).json()) as { id: number; name: string; version: string }[];
    expect(list).toEqual([expect.objectContaining({ id: package_id, name: "listed", version: "2.0.0", package_type: "generic" })]);
    expect((await fetch(`${project}/packages/${package_id}`, { method: "DELETE", headers: auth(registry) })).status).toBe(204);
    expect((await fetch(`${registry.registries.generic}/listed/2.0.0/a.bin`, { headers: auth(registry) })).status).toBe(404);
  });
});
