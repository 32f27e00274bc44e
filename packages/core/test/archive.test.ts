import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { crc32, deflateRawSync, gunzipSync } from "node:zlib";
import * as fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createHash } from "node:crypto";
import { collect, digestOf, findZipEntry, generatedChunks, gzipStream, readZip, tarStream, zipBytes, zipOverhead, type ZipEntry } from "@regkit/core";

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

// ---------------------------------------------------------------------------
// ZIP: core's one writer (zipStream) and its two readers (readZip through the
// central directory, findZipEntry through the local headers of an upload's head).

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

async function* chunksOf(parts: readonly Uint8Array[]): AsyncIterable<Uint8Array> {
  yield* parts;
}

/**
 * A zip with DEFLATE entries, laid out by hand from the APPNOTE (local header,
 * data, central directory, end record): core writes only STORED entries, but
 * reads the deflated ones jars, wheels and nupkgs made elsewhere carry. An
 * entry may carry an extra field in its local header only, as some writers do.
 */
function deflatedZip(entries: readonly { path: string; data: Uint8Array; localExtra?: Uint8Array }[]): Uint8Array {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.path, "utf8");
    const packed = deflateRawSync(entry.data);
    const crc = crc32(entry.data);
    const extra = Buffer.from(entry.localExtra ?? new Uint8Array(0));
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // DEFLATE
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(entry.data.byteLength, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    parts.push(local, name, extra, packed);
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0800, 8);
    header.writeUInt16LE(8, 10);
    header.writeUInt32LE(crc, 16);
    header.writeUInt32LE(packed.length, 20);
    header.writeUInt32LE(entry.data.byteLength, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += local.length + name.length + extra.length + packed.length;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, dir, end]);
}

const PYTHON = spawnSync("python3", ["--version"]).status === 0;

describe("zipStream and readZip", () => {
  const big = 200_000;
  const entries = async (): Promise<ZipEntry[]> => {
    const generated = await collect(generatedChunks(big, 3)());
    return [
      { path: "META-INF/MANIFEST.MF", bytes: utf8("Manifest-Version: 1.0\r\n") },
      // Streamed, size and CRC known beforehand: sizes in the local header (what Java needs for STORED jars).
      { path: "lib/known.bin", chunks: generatedChunks(big, 3), size: big, crc: crc32(generated) },
      // Streamed, nothing known: a data descriptor after the data.
      { path: "lib/streamed.bin", chunks: () => chunksOf([utf8("part one, "), utf8("part two")]) },
      { path: "données/ünïcode-日本.txt", bytes: utf8("nom UTF-8") },
      { path: "empty", bytes: new Uint8Array(0) },
    ];
  };

  test("round trip: every entry comes back with its name, size, CRC and bytes", async () => {
    const zip = await zipBytes(await entries());
    const read = readZip(zip);
    const generated = await collect(generatedChunks(big, 3)());
    expect(read.map((e) => e.path)).toEqual(["META-INF/MANIFEST.MF", "lib/known.bin", "lib/streamed.bin", "données/ünïcode-日本.txt", "empty"]);
    const expected = [utf8("Manifest-Version: 1.0\r\n"), generated, utf8("part one, part two"), utf8("nom UTF-8"), new Uint8Array(0)];
    read.forEach((entry, i) => {
      expect(Buffer.from(entry.data).equals(Buffer.from(expected[i]!)), entry.path).toBe(true);
      expect(entry.size, entry.path).toBe(expected[i]!.byteLength);
      expect(entry.crc, entry.path).toBe(crc32(expected[i]!));
    });
    // Reproducible: the same entries give the same bytes.
    expect(Buffer.from(await zipBytes(await entries())).equals(Buffer.from(zip))).toBe(true);
  });

  test("known sizes go in the local header; unknown ones get a descriptor; the overhead is what zipOverhead says", async () => {
    const list = await entries();
    const zip = Buffer.from(await zipBytes(list));
    const local = (path: string): number => zip.indexOf(Buffer.from(path, "utf8")) - 30;
    const known = local("lib/known.bin");
    expect(zip.readUInt32LE(known)).toBe(0x04034b50);
    expect(zip.readUInt16LE(known + 6) & 0x0008).toBe(0);
    expect(zip.readUInt32LE(known + 22)).toBe(big);
    const streamed = local("lib/streamed.bin");
    expect(zip.readUInt16LE(streamed + 6) & 0x0008).toBe(0x0008);
    expect(zip.readUInt32LE(streamed + 22)).toBe(0);
    const contents = list.reduce((total, e) => total + ("bytes" in e ? e.bytes.byteLength : 0), 0) + big + Buffer.byteLength("part one, part two");
    expect(zip.length).toBe(contents + zipOverhead(list.map((e) => e.path)) + 16);
  });

  test("a duplicate path, or a streamed entry that gives another size than it announced, is refused", async () => {
    await expect(zipBytes([{ path: "a.txt", bytes: utf8("1") }, { path: "a.txt", bytes: utf8("2") }])).rejects.toThrow(/would hold a\.txt twice/);
    await expect(zipBytes([{ path: "short.bin", chunks: () => chunksOf([utf8("abc")]), size: 10, crc: 0 }])).rejects.toThrow(/short\.bin gave 3 bytes, not 10/);
  });

  test("deflated entries made with zlib (and an extra field in a local header) are inflated", () => {
    const text = utf8("a line that compresses well\n".repeat(500));
    const zip = deflatedZip([
      { path: "first.txt", data: utf8("hello deflate") },
      { path: "second.txt", data: text, localExtra: Uint8Array.from([0xfe, 0xca, 0x00, 0x00]) },
    ]);
    expect(zip.byteLength).toBeLessThan(text.byteLength);
    const read = readZip(zip);
    expect(read.map((e) => [e.path, Buffer.from(e.data).toString("utf8").slice(0, 13), e.size])).toEqual([
      ["first.txt", "hello deflate", 13],
      ["second.txt", "a line that c", text.byteLength],
    ]);
    expect(Buffer.from(read[1]!.data).equals(Buffer.from(text))).toBe(true);
    const found = findZipEntry(zip, (p) => p === "second.txt");
    expect(found && Buffer.from(found.data).equals(Buffer.from(text))).toBe(true);
  });

  test("not a zip, or an unknown compression method, is a clear error", () => {
    expect(() => readZip(utf8("just text, no end record"))).toThrow(/not a zip/);
    const zip = Buffer.from(deflatedZip([{ path: "x", data: utf8("x") }]));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt16LE(12, central + 10); // bzip2
    expect(() => readZip(zip)).toThrow(/compression method 12 is not supported/);
  });
});

describe("findZipEntry on the head of an upload", () => {
  test("finds an early entry in a prefix, and gives undefined when the prefix ends first", async () => {
    const zip = await zipBytes([
      { path: "first.nuspec", bytes: utf8("<package/>") },
      { path: "lib/big.bin", chunks: generatedChunks(100_000, 9) },
      { path: "last.txt", bytes: utf8("the end") },
    ]);
    const first = findZipEntry(zip.subarray(0, 200), (p) => p.endsWith(".nuspec"));
    expect(first?.path).toBe("first.nuspec");
    expect(first && Buffer.from(first.data).toString("utf8")).toBe("<package/>");
    expect(first?.crc).toBe(crc32(utf8("<package/>")));
    // The prefix ends inside the big entry: the last one is not there yet.
    expect(findZipEntry(zip.subarray(0, 1_000), (p) => p === "last.txt")).toBeUndefined();
    // The prefix ends inside the wanted entry's own data.
    expect(findZipEntry(zip.subarray(0, 45), (p) => p === "first.nuspec")).toBeUndefined();
    // The whole archive: walked past a streamed entry's descriptor.
    const last = findZipEntry(zip, (p) => p === "last.txt");
    expect(last && Buffer.from(last.data).toString("utf8")).toBe("the end");
    const big = findZipEntry(zip, (p) => p === "lib/big.bin");
    expect(big?.size).toBe(100_000);
    expect(big?.crc).toBe(crc32(await collect(generatedChunks(100_000, 9)())));
    expect(findZipEntry(zip, (p) => p === "absent")).toBeUndefined();
  });
});

describe.skipIf(!PYTHON)(`Python's zipfile${PYTHON ? "" : " (skipped: python3 not found on PATH)"}`, () => {
  test("reads what zipStream wrote: testzip() finds no bad entry, names and sizes match", async () => {
    const dir = mkdtempSync(join(tmpdir(), "regkit-zip-"));
    try {
      const generated = await collect(generatedChunks(70_000, 5)());
      const file = join(dir, "a.zip");
      writeFileSync(
        file,
        await zipBytes([
          { path: "pkg/__init__.py", bytes: utf8("print('hi')\n") },
          { path: "pkg/data.bin", chunks: generatedChunks(70_000, 5), size: 70_000, crc: crc32(generated) },
          { path: "pkg/streamed.bin", chunks: generatedChunks(70_000, 5) },
          { path: "pkg/ünïcode.txt", bytes: utf8("x") },
        ]),
      );
      const script = [
        "import json, sys, zipfile",
        "z = zipfile.ZipFile(sys.argv[1])",
        "bad = z.testzip()",
        "print(json.dumps({'bad': bad, 'entries': [[i.filename, i.file_size, i.CRC] for i in z.infolist()]}))",
      ].join("\n");
      const out = JSON.parse(execFileSync("python3", ["-c", script, file], { encoding: "utf8" })) as { bad: string | null; entries: [string, number, number][] };
      expect(out.bad).toBeNull();
      expect(out.entries).toEqual([
        ["pkg/__init__.py", 12, crc32(utf8("print('hi')\n"))],
        ["pkg/data.bin", 70_000, crc32(generated)],
        ["pkg/streamed.bin", 70_000, crc32(generated)],
        ["pkg/ünïcode.txt", 1, crc32(utf8("x"))],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("its deflated archives, seekable and streamed (data descriptors), are read by readZip and findZipEntry", () => {
    const script = [
      "import sys, zipfile",
      "class Pipe:",
      "    def __init__(self, out): self.out = out",
      "    def write(self, b): return self.out.write(b)",
      "    def flush(self): self.out.flush()",
      // Not seekable (no tell): zipfile then writes data descriptors, as a streaming tool does.
      "target = Pipe(sys.stdout.buffer) if sys.argv[1] == 'stream' else open(sys.argv[2], 'wb')",
      "with zipfile.ZipFile(target, 'w', zipfile.ZIP_DEFLATED) as z:",
      "    z.writestr('first.txt', 'hello from python')",
      "    z.writestr('second.txt', 'deflate me ' * 1000)",
      "    z.writestr('third.txt', 'bye')",
      "target.flush()",
    ].join("\n");
    const dir = mkdtempSync(join(tmpdir(), "regkit-zip-"));
    try {
      for (const mode of ["file", "stream"]) {
        const file = join(dir, `${mode}.zip`);
        const piped = execFileSync("python3", ["-c", script, mode, file]);
        const zip = mode === "stream" ? piped : readFileSync(file);
        const read = readZip(zip);
        expect(read.map((e) => [e.path, e.size]), mode).toEqual([["first.txt", 17], ["second.txt", 11_000], ["third.txt", 3]]);
        expect(Buffer.from(read[1]!.data).toString("utf8"), mode).toBe("deflate me ".repeat(1000));
        const flags = zip.readUInt16LE(6);
        expect(flags & 0x0008, mode).toBe(mode === "stream" ? 0x0008 : 0);
        const third = findZipEntry(zip, (p) => p === "third.txt");
        expect(third && Buffer.from(third.data).toString("utf8"), mode).toBe("bye");
        expect(findZipEntry(zip.subarray(0, 80), (p) => p === "first.txt")?.size, mode).toBe(17);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
