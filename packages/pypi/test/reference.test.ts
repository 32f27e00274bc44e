// The PyPI routes of the reference registry under concurrent uploads: the
// duplicate rule is per file, and of racing uploads of one file exactly one wins.
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request } from "undici";
import { buildWheel, uploadForm } from "@regkit/pypi";
import { pypiReference } from "@regkit/pypi/reference";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";

let registry: ReferenceRegistry;
let url: string;

beforeAll(async () => {
  // PEP 691 JSON on, so the listing reads back as JSON.
  registry = await createReferenceRegistry({ formats: [pypiReference], features: { pypi_pep_691_json: true } });
  url = registry.registries.pypi!;
});

afterAll(async () => {
  await registry.close();
});

async function upload(name: string, marker: string): Promise<{ status: number; sha256: string }> {
  const wheel = await buildWheel({ name, version: "1.0.0", files: { "marker.txt": Buffer.from(marker) } });
  const form = await uploadForm({ name, version: "1.0.0", filename: wheel.filename, content: wheel.content }, wheel);
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": form.contentType, "content-length": String(form.length), "private-token": registry.tokens.personal },
    body: Readable.from(form.body),
  });
  await res.body.dump();
  return { status: res.statusCode, sha256: wheel.content.digests.sha256 };
}

async function listed(name: string): Promise<{ filename: string; hashes: { sha256: string } }[]> {
  const res = await request(`${url}/simple/${name}/`, { headers: { accept: "application/vnd.pypi.simple.v1+json", "private-token": registry.tokens.personal } });
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { files: { filename: string; hashes: { sha256: string } }[] }).files;
}

describe("PyPI reference: duplicates per file, decided under the lock", () => {
  test("of eight concurrent uploads of one new file exactly one is accepted, and its bytes are served", async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => upload("race-one", `contender ${i}`)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(7);
    const winner = results[statuses.indexOf(201)]!;
    const files = await listed("race-one");
    expect(files).toHaveLength(1);
    expect(files[0]!.hashes.sha256).toBe(winner.sha256);
  });

  test("under an allow policy the last upload replaces the file, still listed once", async () => {
    registry.setPolicies("pypi", { duplicates: "allow" });
    try {
      expect((await upload("race-allow", "first")).status).toBe(201);
      const second = await upload("race-allow", "second");
      expect(second.status).toBe(201);
      const files = await listed("race-allow");
      expect(files).toHaveLength(1);
      expect(files[0]!.hashes.sha256).toBe(second.sha256);
    } finally {
      registry.setPolicies("pypi", { duplicates: "reject" });
    }
  });
});
