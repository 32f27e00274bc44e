import { once } from "node:events";
import { readdir, stat } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import type { ReferenceRegistry } from "@regkit/registry";
import { request } from "undici";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { call, chunks, filesUnder, sha256, startRegistry, tempDir } from "./helpers.js";

const MiB = 1024 * 1024;

let registry: ReferenceRegistry;
let generic: string;
let dir: Awaited<ReturnType<typeof tempDir>>;
let headers: Record<string, string>;
const logLines: string[] = [];
const staging = () => join(dir.path, "blobs", ".staging");
const blobs = () => join(dir.path, "blobs", "1", "generic");

beforeAll(async () => {
  dir = await tempDir();
  registry = await startRegistry({ dataDir: dir.path, log: (line) => logLines.push(line) });
  generic = registry.registries.generic!;
  headers = { "private-token": registry.tokens.personal };
});

afterAll(async () => {
  await registry.close();
  await dir.remove();
});

describe("size limit", () => {
  it("answers 413 past the limit, keeps nothing, and the client sees the status", async () => {
    registry.setLimits("generic", { maxFileSize: MiB });
    try {
      const body = chunks(8 * MiB);
      const res = await call(`${generic}/big/1.0.0/big.bin`, {
        method: "PUT",
        headers: { ...headers, "content-length": String(8 * MiB) },
        body: body.stream(),
      });
      expect(res.status).toBe(413);
      expect(res.json()).toEqual({ message: `File is too large (limit ${MiB} bytes).` });
      expect(await filesUnder(staging())).toEqual([]);
      expect((await call(`${generic}/big`, { headers })).status).toBe(404);
      expect(await filesUnder(blobs())).not.toContainEqual(expect.stringContaining(body.sha256));

      // Exactly at the limit is fine, and the connection pool still works.
      const exact = chunks(MiB, 0x62);
      const ok = await call(`${generic}/big/1.0.0/big.bin`, { method: "PUT", headers, body: exact.stream() });
      expect(ok.status).toBe(201);
      const back = await call(`${generic}/big/1.0.0/big.bin`, { headers });
      expect(sha256(back.text)).toBe(exact.sha256);
    } finally {
      registry.setLimits("generic", { maxFileSize: 0 });
    }
  });
});

describe("early answers", () => {
  it("reach a client that sends the whole body before reading", async () => {
    registry.setLimits("generic", { maxFileSize: MiB });
    const url = new URL(`${generic}/sequential/1.0.0/f.bin`);
    const socket = connect(Number(url.port), url.hostname);
    try {
      await once(socket, "connect");
      let answer = "";
      socket.on("data", (data: Buffer) => {
        answer += data.toString("latin1");
      });
      const size = 32 * MiB;
      socket.write(
        `PUT ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nPRIVATE-TOKEN: ${registry.tokens.personal}\r\nContent-Length: ${size}\r\n\r\n`,
      );
      // Like urllib3: every byte goes out (honouring backpressure) before the answer is read.
      const chunk = Buffer.alloc(MiB, 0x63);
      for (let sent = 0; sent < size; sent += chunk.byteLength) {
        if (!socket.write(chunk)) await once(socket, "drain");
      }
      await vi.waitFor(() => expect(answer).toContain("}"));
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toContain(`File is too large (limit ${MiB} bytes).`);
    } finally {
      socket.destroy();
      registry.setLimits("generic", { maxFileSize: 0 });
    }
  });
});

describe("aborted uploads", () => {
  it("a client that hangs up mid-upload leaves nothing staged and nothing published", async () => {
    const controller = new AbortController();
    const chunk = Buffer.alloc(256 * 1024, 0x41);
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 64; i++) {
        if (i === 8) {
          controller.abort();
          // Keep the generator pending so undici tears the request down mid-body.
          await new Promise((done) => setTimeout(done, 50));
        }
        yield chunk;
      }
    }
    await expect(
      request(`${generic}/aborted/1.0.0/a.bin`, {
        method: "PUT",
        headers: { ...headers, "content-length": String(64 * chunk.byteLength) },
        body: Readable.from(body()),
        signal: controller.signal,
      }),
    ).rejects.toThrow();
    // The log line comes once the server is done with the request, clean-up included.
    await vi.waitFor(() => expect(logLines).toContainEqual(expect.stringMatching(/^PUT \S+\/aborted\/1\.0\.0\/a\.bin 400 /)));
    expect(await filesUnder(staging())).toEqual([]);
    expect((await call(`${generic}/aborted`, { headers })).status).toBe(404);
  });
});

describe("duplicates", () => {
  it("rejects a second publish of a version under the reject policy, changing nothing", async () => {
    registry.setPolicies("generic", { duplicates: "reject" });
    try {
      expect((await call(`${generic}/once/1.0.0/f.txt`, { method: "PUT", headers, body: "first" })).status).toBe(201);
      const revision = ((await call(`${generic}/once`, { headers })).json() as { revision: number }).revision;
      const again = await call(`${generic}/once/1.0.0/f.txt`, { method: "PUT", headers, body: "second" });
      expect(again.status).toBe(400);
      expect(again.json()).toEqual({ message: "Duplicate package is not allowed" });
      expect((await call(`${generic}/once/1.0.0/f.txt`, { headers })).text).toBe("first");
      expect(((await call(`${generic}/once`, { headers })).json() as { revision: number }).revision).toBe(revision);
      expect(await filesUnder(staging())).toEqual([]);
      expect(await filesUnder(blobs())).not.toContainEqual(expect.stringContaining(sha256("second")));
    } finally {
      registry.setPolicies("generic", { duplicates: "allow" });
    }
  });

  it("replaces the file under the allow policy, bumps the revision and drops the old blob", async () => {
    expect((await call(`${generic}/twice/1.0.0/f.txt`, { method: "PUT", headers, body: "old bytes" })).status).toBe(201);
    const before = (await call(`${generic}/twice`, { headers })).json() as { revision: number };
    const again = await call(`${generic}/twice/1.0.0/f.txt`, { method: "PUT", headers, body: "new bytes" });
    expect(again.status).toBe(201);
    expect(again.json()).toMatchObject({ outcome: "updated" });
    expect((await call(`${generic}/twice/1.0.0/f.txt`, { headers })).text).toBe("new bytes");
    const after = (await call(`${generic}/twice`, { headers })).json() as { revision: number; versions: unknown[] };
    expect(after.revision).toBeGreaterThan(before.revision);
    expect(after.versions).toHaveLength(1);
    const files = await filesUnder(blobs());
    expect(files).toContainEqual(expect.stringContaining(sha256("new bytes")));
    expect(files).not.toContainEqual(expect.stringContaining(sha256("old bytes")));
  });

  it("lets exactly one of concurrent publishes of a new version win", async () => {
    registry.setPolicies("generic", { duplicates: "reject" });
    try {
      const bodies = Array.from({ length: 8 }, (_, i) => `contender ${i} `.repeat(50_000));
      const results = await Promise.all(
        bodies.map((body) => call(`${generic}/race/1.0.0/race.bin`, { method: "PUT", headers, body })),
      );
      const statuses = results.map((r) => r.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(7);
      const winner = bodies[statuses.indexOf(201)]!;
      const stored = await call(`${generic}/race/1.0.0/race.bin`, { headers });
      expect(stored.headers["x-checksum-sha256"]).toBe(sha256(winner));
      expect(sha256(stored.text)).toBe(sha256(winner));
      expect(await filesUnder(staging())).toEqual([]);
      const files = await filesUnder(blobs());
      for (const loser of bodies.filter((b) => b !== winner)) {
        expect(files).not.toContainEqual(expect.stringContaining(sha256(loser)));
      }
    } finally {
      registry.setPolicies("generic", { duplicates: "allow" });
    }
  });
});

describe("package metadata", () => {
  it("changes with commits and updates, each bumping the revision", async () => {
    const revisionOf = async () => ((await call(`${generic}/meta`, { headers })).json() as { revision: number }).revision;
    await call(`${generic}/meta/1.0.0/f.txt`, { method: "PUT", headers, body: "1" });
    const first = await revisionOf();
    await call(`${generic}/meta/2.0.0/f.txt`, { method: "PUT", headers, body: "2" });
    const second = await revisionOf();
    expect(second).toBeGreaterThan(first);
    expect((await call(`${generic}/meta/-/tags/stable`, { method: "PUT", headers, body: "1.0.0" })).status).toBe(204);
    const listing = (await call(`${generic}/meta`, { headers })).json() as { revision: number; metadata: unknown };
    expect(listing.metadata).toEqual({ latest: "2.0.0", tags: { stable: "1.0.0" } });
    expect(listing.revision).toBeGreaterThan(second);
    expect((await call(`${generic}/nothing/-/tags/stable`, { method: "PUT", headers, body: "1.0.0" })).status).toBe(404);
  });
});

describe("removal", () => {
  it("deletes blobs no other version references, and keeps shared ones", async () => {
    for (const [pkg, body] of [
      ["gc-a", "shared bytes"],
      ["gc-b", "shared bytes"],
      ["gc-a2", "own bytes"],
    ] as const) {
      expect((await call(`${generic}/${pkg}/1.0.0/f.txt`, { method: "PUT", headers, body })).status).toBe(201);
    }
    expect((await call(`${generic}/gc-a/1.0.0`, { method: "DELETE", headers })).status).toBe(204);
    expect((await call(`${generic}/gc-a2/1.0.0`, { method: "DELETE", headers })).status).toBe(204);
    const files = await filesUnder(blobs());
    expect(files).toContainEqual(expect.stringContaining(sha256("shared bytes")));
    expect(files).not.toContainEqual(expect.stringContaining(sha256("own bytes")));
    expect((await call(`${generic}/gc-b/1.0.0/f.txt`, { headers })).text).toBe("shared bytes");
    expect((await call(`${generic}/gc-a`, { headers })).status).toBe(404);
  });
});

describe("data directory", () => {
  it("serves the same packages after a restart", async () => {
    const own = await tempDir();
    try {
      const first = await startRegistry({ dataDir: own.path, tokens: { personal: "glpat-fixed-for-restart" } });
      const auth = { "private-token": "glpat-fixed-for-restart" };
      const url = first.registries.generic!;
      await call(`${url}/kept/1.0.0/a.txt`, { method: "PUT", headers: auth, body: "persisted" });
      await call(`${url}/kept/1.1.0/a.txt`, { method: "PUT", headers: auth, body: "persisted too" });
      const before = (await call(`${url}/kept`, { headers: auth })).json() as { revision: number; versions: unknown[] };
      await first.close();

      const second = await startRegistry({ dataDir: own.path, tokens: { personal: "glpat-fixed-for-restart" } });
      try {
        const again = second.registries.generic!;
        expect((await call(`${again}/kept/1.0.0/a.txt`, { headers: auth })).text).toBe("persisted");
        const listing = (await call(`${again}/kept`, { headers: auth })).json() as { revision: number; versions: unknown[] };
        expect(listing).toEqual(before);
        await call(`${again}/kept/1.2.0/a.txt`, { method: "PUT", headers: auth, body: "after restart" });
        const grown = (await call(`${again}/kept`, { headers: auth })).json() as { revision: number };
        expect(grown.revision).toBeGreaterThan(before.revision);
      } finally {
        await second.close();
      }
      // A data directory survives close().
      expect(await filesUnder(join(own.path, "metadata"))).toHaveLength(1);
    } finally {
      await own.remove();
    }
  });

  it("removes its temporary directory on close when it has no data directory", async () => {
    const ours = async () => (await readdir(tmpdir())).filter((name) => name.startsWith("regkit-registry-"));
    const existing = new Set(await ours());
    const temporary = await startRegistry();
    // Over 64 KiB: written to disk (smaller files stay in memory).
    const body = "temporary ".repeat(10_000);
    await call(`${temporary.registries.generic}/t/1.0.0/a.txt`, {
      method: "PUT",
      headers: { "private-token": temporary.tokens.personal },
      body,
    });
    // Other test files may start registries meanwhile: ours is the new one holding the blob.
    let root: string | undefined;
    for (const name of (await ours()).filter((n) => !existing.has(n))) {
      const files = await filesUnder(join(tmpdir(), name));
      if (files.some((f) => f.endsWith(sha256(body)))) root = join(tmpdir(), name);
    }
    expect(root).toBeDefined();
    await temporary.close();
    await expect(stat(root!)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("streaming", () => {
  it("streams a 300 MB upload to disk without holding it in memory", async () => {
    const size = 300 * MiB;
    const body = chunks(size, 0x5a);
    const baseline = process.memoryUsage.rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 20);
    try {
      const res = await request(`${generic}/large/1.0.0/large.bin`, {
        method: "PUT",
        headers: { ...headers, "content-length": String(size) },
        body: Readable.from(body.stream()),
      });
      expect(res.statusCode).toBe(201);
      await res.body.dump();
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage.rss());
    // Loose on purpose: a server that buffered the body would grow by 300 MB or more.
    expect(peak - baseline).toBeLessThan(100 * MiB);
    const listing = (await call(`${generic}/large`, { headers })).json() as {
      versions: { files: { size: number; digests: { sha256: string } }[] }[];
    };
    expect(listing.versions[0]?.files[0]).toMatchObject({ size, digests: { sha256: body.sha256 } });
  });
});
