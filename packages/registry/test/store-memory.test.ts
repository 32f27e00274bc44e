// A store without a data directory (the demo's and `regkit serve`'s default):
// uploads up to 1 MiB are read into memory, larger ones through a staging
// file; once committed, files up to 64 KiB stay in memory within the byte
// budget the registry's stores share, larger ones (and small ones past the
// budget) are written once to their content address. Every path must serve
// the bytes that were uploaded, keep identical content once, and leave
// nothing behind: no staged file, no blob, no budget taken.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BlobMemory } from "../src/blob-memory.js";
import { ReferenceError413 } from "../src/contract.js";
import { RenderCache } from "../src/render-cache.js";
import { FilePackageStore } from "../src/store.js";
import { chunks, filesUnder, sha256, tempDir } from "./helpers.js";

const KiB = 1024;
const MiB = 1024 * KiB;

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: FilePackageStore;
let memory: BlobMemory;
const staging = () => join(dir.path, "staging");
const blobs = () => join(dir.path, "blobs");

async function open(budget: number): Promise<void> {
  memory = new BlobMemory(budget);
  store = await FilePackageStore.open({ blobDir: blobs(), stagingDir: staging(), renderCache: new RenderCache(0), blobMemory: memory });
}

beforeEach(async () => {
  dir = await tempDir();
  await open(MiB);
});

afterEach(async () => {
  await dir.remove();
});

async function* pieces(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function publish(name: string, version: string, body: string, duplicates: "allow" | "reject" = "allow") {
  const staged = await store.stage(pieces(body), 0);
  return store.commit({ name, version, files: [{ filename: "f.bin", staged }], metadata: {}, duplicates });
}

async function stored(name: string, version: string, filename = "f.bin"): Promise<Buffer> {
  const file = await store.open(name, version, filename);
  if (!file) throw new Error(`${name}@${version} ${filename} is not stored`);
  const parts: Buffer[] = [];
  for await (const part of file.stream()) parts.push(Buffer.from(part as Uint8Array));
  return Buffer.concat(parts);
}

describe("a store without a data directory", () => {
  it("keeps a small file in memory: nothing staged or written, served byte for byte, its room given back on removal", async () => {
    const staged = await store.stage(pieces("small ", "upload"), 0);
    expect(staged).toMatchObject({ size: 12, digests: { sha256: sha256("small upload") } });
    expect(await filesUnder(staging())).toEqual([]);
    await store.commit({ name: "a", version: "1.0.0", files: [{ filename: "f.bin", staged }], metadata: {}, duplicates: "allow" });
    expect(await filesUnder(blobs())).toEqual([]);
    expect(memory.bytes).toBeGreaterThan(12);
    expect((await stored("a", "1.0.0")).toString()).toBe("small upload");
    await store.remove("a");
    expect(memory.bytes).toBe(0);
  });

  it("writes a file over 64 KiB once to its content address, without a staging file", async () => {
    const body = "x".repeat(100 * KiB);
    await publish("mid", "1.0.0", body);
    expect(await filesUnder(staging())).toEqual([]);
    const placed = await filesUnder(blobs());
    expect(placed).toEqual([expect.stringMatching(new RegExp(`${sha256(body)}$`))]);
    expect(await readFile(join(blobs(), placed[0]!), "utf8")).toBe(body);
    expect(memory.bytes).toBe(0);
    await store.remove("mid");
    expect(await filesUnder(blobs())).toEqual([]);
  });

  it("writes small files to disk once the memory budget is spent", async () => {
    await open(1000);
    await publish("p", "1.0.0", "a".repeat(600));
    await publish("p", "2.0.0", "b".repeat(600));
    expect(await filesUnder(blobs())).toEqual([expect.stringContaining(sha256("b".repeat(600)))]);
    expect((await stored("p", "1.0.0")).toString()).toBe("a".repeat(600));
    expect((await stored("p", "2.0.0")).toString()).toBe("b".repeat(600));
    await store.remove("p");
    expect(await filesUnder(blobs())).toEqual([]);
    expect(memory.bytes).toBe(0);
  });

  it("stages an upload over 1 MiB to a file, and commits it byte for byte", async () => {
    const body = chunks(MiB + 1, 0x62);
    const staged = await store.stage(body.stream(), 0);
    expect(staged).toMatchObject({ size: MiB + 1, digests: { sha256: body.sha256 } });
    expect(await filesUnder(staging())).toHaveLength(1);
    await store.commit({ name: "big", version: "1.0.0", files: [{ filename: "f.bin", staged }], metadata: {}, duplicates: "allow" });
    expect(await filesUnder(staging())).toEqual([]);
    const bytes = await stored("big", "1.0.0");
    expect(bytes.byteLength).toBe(MiB + 1);
    expect(sha256(bytes)).toBe(body.sha256);
  });

  it("refuses an upload past the limit, small or large, keeping nothing", async () => {
    await expect(store.stage(pieces("0123456789", "0123456789"), 15)).rejects.toBeInstanceOf(ReferenceError413);
    await expect(store.stage(chunks(3 * MiB, 0x63).stream(), 2 * MiB)).rejects.toBeInstanceOf(ReferenceError413);
    expect(await filesUnder(staging())).toEqual([]);
    expect(await filesUnder(blobs())).toEqual([]);
    expect(memory.bytes).toBe(0);
  });

  it("drops a discarded upload, and a duplicate refused under the reject policy", async () => {
    await store.discard(await store.stage(pieces("never kept"), 0));
    await publish("d", "1.0.0", "first", "reject");
    const held = memory.bytes;
    expect(await publish("d", "1.0.0", "second", "reject")).toEqual({ kind: "duplicate" });
    expect(memory.bytes).toBe(held);
    expect((await stored("d", "1.0.0")).toString()).toBe("first");
    expect(await filesUnder(staging())).toEqual([]);
  });

  for (const [where, budget] of [
    ["in memory", MiB],
    ["on disk", 0],
  ] as const) {
    it(`keeps the same bytes of two packages once ${where}, until neither names them`, async () => {
      await open(budget);
      await publish("x", "1.0.0", "shared");
      const held = memory.bytes;
      await publish("y", "1.0.0", "shared");
      expect(memory.bytes).toBe(held);
      expect(await filesUnder(blobs())).toHaveLength(budget === 0 ? 1 : 0);
      await store.remove("x");
      expect((await stored("y", "1.0.0")).toString()).toBe("shared");
      await store.remove("y");
      expect(await filesUnder(blobs())).toEqual([]);
      expect(memory.bytes).toBe(0);
    });
  }
});

describe("package metadata updates", () => {
  it("get the stored metadata frozen: an update that changes its argument fails and changes nothing", async () => {
    const staged = await store.stage(pieces("1"), 0);
    await store.commit({ name: "m", version: "1.0.0", files: [{ filename: "m.txt", staged }], metadata: {}, duplicates: "allow", update: () => ({ tags: { a: "1.0.0" } }) });
    const before = await store.get("m");
    const mutating = (metadata: Record<string, unknown>) => {
      (metadata.tags as Record<string, string>).b = "1.0.0";
      return metadata;
    };
    await expect(store.updateMetadata("m", mutating)).rejects.toThrow(TypeError);
    const next = await store.stage(pieces("2"), 0);
    await expect(
      store.commit({ name: "m", version: "2.0.0", files: [{ filename: "m.txt", staged: next }], metadata: {}, duplicates: "allow", update: mutating }),
    ).rejects.toThrow(TypeError);
    expect(await store.get("m")).toBe(before);
    expect(await filesUnder(staging())).toEqual([]);
  });

  it("keep what an update did not replace: the same objects, so renderings of them can be reused", async () => {
    const commit = async (version: string, tag: string) => {
      const staged = await store.stage(pieces(version), 0);
      await store.commit({
        name: "k",
        version,
        files: [{ filename: "k.txt", staged }],
        metadata: {},
        duplicates: "allow",
        update: (metadata) => ({ ...metadata, [tag]: { version } }),
      });
      return (await store.get("k"))!;
    };
    const first = await commit("1.0.0", "one");
    const second = await commit("2.0.0", "two");
    expect(second.metadata).not.toBe(first.metadata);
    expect(second.metadata).toEqual({ one: { version: "1.0.0" }, two: { version: "2.0.0" } });
    expect(second.metadata.one).toBe(first.metadata.one);
    expect(second.versions[0]).toBe(first.versions[0]);
  });
});
