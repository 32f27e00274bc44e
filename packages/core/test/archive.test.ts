import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createHash } from "node:crypto";
import { collect, digestOf, generatedChunks, gzipStream, tarStream } from "@regkit/core";

async function* from(chunks: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* chunks;
}

describe("generated content", () => {
  test("exactly `size` bytes, the same for a seed, different across seeds", async () => {
    const size = 3 * 1024 * 1024 + 17;
    const a = await collect(generatedChunks(size, 7)());
    const again = await collect(generatedChunks(size, 7)());
    const other = await collect(generatedChunks(size, 8)());
    const named = await collect(generatedChunks(size, "7")());
    expect(a.byteLength).toBe(size);
    expect(Buffer.compare(a, again)).toBe(0);
    expect(Buffer.compare(a, other)).not.toBe(0);
    expect(Buffer.compare(a, named)).not.toBe(0);
    // A prefix of a longer stream: sizes only cut, never reshuffle.
    expect(Buffer.compare((await collect(generatedChunks(1000, 7)())), a.subarray(0, 1000))).toBe(0);
    // Pseudo-random, not a pattern: it does not compress.
    expect(new Set(a.subarray(0, 4096)).size).toBeGreaterThan(200);
  });
});

describe("stored gzip (level 0)", () => {
  test("zlib inflates it to the same bytes, whatever the chunking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 200_000 }).map((n) => new Uint8Array(n).fill(n & 0xff))), { maxLength: 6 }), async (chunks) => {
        const gz = await collect(gzipStream(() => from(chunks), 0)());
        expect(gunzipSync(gz).equals(Buffer.concat(chunks))).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  test("tar and gzip (the Debian tools) read a stored .tgz with a generated pad", async () => {
    const dir = mkdtempSync(join(tmpdir(), "regkit-archive-"));
    try {
      const pad = 300 * 1024 + 3;
      const tgz = await collect(gzipStream(() => tarStream([
        { path: "package/package.json", bytes: Buffer.from('{"name":"a","version":"1.0.0"}\n') },
        { path: "package/pad.bin", size: pad, chunks: generatedChunks(pad, 1) },
      ]), 0)());
      writeFileSync(join(dir, "a.tgz"), tgz);
      execFileSync("gzip", ["-t", join(dir, "a.tgz")]);
      const listing = execFileSync("tar", ["-tvzf", join(dir, "a.tgz")], { encoding: "utf8" });
      expect(listing).toMatch(/package\/package\.json/);
      expect(listing).toMatch(new RegExp(`\\s${pad}\\s.*package/pad\\.bin`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("digests of streams", () => {
  test("a large stream (hashed in a worker) gets the digests node:crypto gives its bytes", async () => {
    for (const size of [5, 8 * 1024 * 1024, 20 * 1024 * 1024 + 3]) {
      const bytes = await collect(generatedChunks(size, size)());
      const { size: counted, digests } = await digestOf(generatedChunks(size, size)());
      expect(counted).toBe(size);
      for (const name of ["md5", "sha1", "sha256", "sha512"] as const) {
        expect(digests[name], `${name} of ${size} bytes`).toBe(createHash(name).update(bytes).digest("hex"));
      }
    }
  });

  test("a stream that breaks off rejects, also once a worker has started", async () => {
    async function* broken(): AsyncIterable<Uint8Array> {
      yield* generatedChunks(12 * 1024 * 1024, 1)();
      throw new Error("connection reset");
    }
    await expect(digestOf(broken())).rejects.toThrow(/connection reset/);
  });
});
