// A store without a data directory (the demo's and `regkit serve`'s default):
// small uploads are held in memory until committed and written once, into
// their content address; larger ones go through a staging file. Both must end
// byte for byte in the same place, and neither may leave anything behind.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReferenceError413 } from "../src/contract.js";
import { RenderCache } from "../src/render-cache.js";
import { FilePackageStore } from "../src/store.js";
import { chunks, filesUnder, sha256, tempDir } from "./helpers.js";

const MiB = 1024 * 1024;

let dir: Awaited<ReturnType<typeof tempDir>>;
let store: FilePackageStore;
const staging = () => join(dir.path, "staging");
const blobs = () => join(dir.path, "blobs");

beforeEach(async () => {
  dir = await tempDir();
  store = await FilePackageStore.open({ blobDir: blobs(), stagingDir: staging(), renderCache: new RenderCache(0) });
});

afterEach(async () => {
  await dir.remove();
});

async function* pieces(...parts: string[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield Buffer.from(part);
}

async function stored(name: string, version: string, filename: string): Promise<Buffer> {
  const file = await store.open(name, version, filename);
  if (!file) throw new Error(`${name}@${version} ${filename} is not stored`);
  const parts: Buffer[] = [];
  for await (const part of file.stream()) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe("a store without a data directory", () => {
  it("holds a small upload in memory, then writes it once to its content address", async () => {
    const staged = await store.stage(pieces("small ", "upload"), 0);
    expect(staged).toMatchObject({ size: 12, digests: { sha256: sha256("small upload") } });
    expect(await filesUnder(staging())).toEqual([]);
    expect(await filesUnder(blobs())).toEqual([]);
    await store.commit({ name: "a", version: "1.0.0", files: [{ filename: "a.txt", staged }], metadata: {}, duplicates: "allow" });
    const placed = await filesUnder(blobs());
    expect(placed).toEqual([expect.stringMatching(new RegExp(`${sha256("small upload")}$`))]);
    expect(await readFile(join(blobs(), placed[0]!), "utf8")).toBe("small upload");
    expect((await stored("a", "1.0.0", "a.txt")).toString()).toBe("small upload");
  });

  it("stages an upload over 1 MiB to a file, and commits it byte for byte", async () => {
    const body = chunks(MiB + 1, 0x62);
    const staged = await store.stage(body.stream(), 0);
    expect(staged).toMatchObject({ size: MiB + 1, digests: { sha256: body.sha256 } });
    expect(await filesUnder(staging())).toHaveLength(1);
    await store.commit({ name: "big", version: "1.0.0", files: [{ filename: "big.bin", staged }], metadata: {}, duplicates: "allow" });
    expect(await filesUnder(staging())).toEqual([]);
    const bytes = await stored("big", "1.0.0", "big.bin");
    expect(bytes.byteLength).toBe(MiB + 1);
    expect(sha256(bytes)).toBe(body.sha256);
  });

  it("refuses an upload past the limit, small or large, keeping nothing", async () => {
    await expect(store.stage(pieces("0123456789", "0123456789"), 15)).rejects.toBeInstanceOf(ReferenceError413);
    await expect(store.stage(chunks(3 * MiB, 0x63).stream(), 2 * MiB)).rejects.toBeInstanceOf(ReferenceError413);
    expect(await filesUnder(staging())).toEqual([]);
    expect(await filesUnder(blobs())).toEqual([]);
  });

  it("drops a discarded small upload, and a duplicate refused under the reject policy", async () => {
    const dropped = await store.stage(pieces("never kept"), 0);
    await store.discard(dropped);
    const first = await store.stage(pieces("first"), 0);
    await store.commit({ name: "d", version: "1.0.0", files: [{ filename: "d.txt", staged: first }], metadata: {}, duplicates: "reject" });
    const second = await store.stage(pieces("second"), 0);
    const outcome = await store.commit({ name: "d", version: "1.0.0", files: [{ filename: "d.txt", staged: second }], metadata: {}, duplicates: "reject" });
    expect(outcome).toEqual({ kind: "duplicate" });
    const placed = await filesUnder(blobs());
    expect(placed).toEqual([expect.stringContaining(sha256("first"))]);
    expect((await stored("d", "1.0.0", "d.txt")).toString()).toBe("first");
  });

  it("keeps one blob for the same bytes in two packages, until neither names it", async () => {
    for (const name of ["x", "y"]) {
      const staged = await store.stage(pieces("shared"), 0);
      await store.commit({ name, version: "1.0.0", files: [{ filename: "s.txt", staged }], metadata: {}, duplicates: "allow" });
    }
    expect(await filesUnder(blobs())).toHaveLength(1);
    await store.remove("x");
    expect((await stored("y", "1.0.0", "s.txt")).toString()).toBe("shared");
    await store.remove("y");
    expect(await filesUnder(blobs())).toEqual([]);
  });
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
