// Streams over 8 MiB are digested in a worker thread, and a worker that
// finished a stream cleanly is kept for the next: each stream must still get
// its own digests, whatever ran on that worker before (a clean stream, a
// failed one) and however many run at once.
import { createHash } from "node:crypto";
import { digestOf, generatedChunks } from "@regkit/core";
import { describe, expect, it } from "vitest";

const MiB = 1024 * 1024;

async function expected(size: number, seed: string): Promise<Record<string, string>> {
  const hashes = ["md5", "sha1", "sha256", "sha512"].map((name) => [name, createHash(name)] as const);
  for await (const chunk of generatedChunks(size, seed)()) for (const [, hash] of hashes) hash.update(chunk);
  return Object.fromEntries(hashes.map(([name, hash]) => [name, hash.digest("hex")]));
}

async function* failing(after: number): AsyncGenerator<Uint8Array> {
  let sent = 0;
  for await (const chunk of generatedChunks(64 * MiB, "failing")()) {
    yield chunk;
    sent += chunk.byteLength;
    if (sent >= after) throw new Error("connection reset by the test");
  }
}

describe("digests of large streams, workers reused", () => {
  it("one stream after another: each its own digests", async () => {
    for (const [size, seed] of [[9 * MiB, "a"], [12 * MiB + 5, "b"], [9 * MiB, "a"]] as const) {
      const got = await digestOf(generatedChunks(size, seed)());
      expect(got.size).toBe(size);
      expect(got.digests).toEqual(await expected(size, seed));
    }
  });

  it("a stream that failed midway leaves nothing behind for the next", async () => {
    await expect(digestOf(failing(20 * MiB))).rejects.toThrow(/connection reset by the test/);
    const got = await digestOf(generatedChunks(10 * MiB, "after-failure")());
    expect(got.digests).toEqual(await expected(10 * MiB, "after-failure"));
  });

  it("several at once, more than the pool keeps", async () => {
    const seeds = ["p1", "p2", "p3", "p4"];
    const all = await Promise.all(seeds.map((seed) => digestOf(generatedChunks(9 * MiB + seed.length, seed)())));
    for (const [i, seed] of seeds.entries()) expect(all[i]!.digests).toEqual(await expected(9 * MiB + seed.length, seed));
    // And again, from the workers those left.
    const again = await Promise.all(seeds.map((seed) => digestOf(generatedChunks(9 * MiB, `${seed}-again`)())));
    for (const [i, seed] of seeds.entries()) expect(again[i]!.digests).toEqual(await expected(9 * MiB, `${seed}-again`));
  });
});
