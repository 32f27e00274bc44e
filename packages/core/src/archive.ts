import { Readable } from "node:stream";
import { createGzip, crc32, gzipSync } from "node:zlib";
import { collect } from "./content.js";

// Archive writers kits build real packages with (npm and sdist tarballs,
// wheels, jars, nupkgs): streamed, reproducible, nothing held in memory.

const BLOCK = 512;
const MTIME = 499162500; // npm's fixed mtime (1985-10-26T08:15:00Z): archives are reproducible.

function octal(value: number, length: number): string {
  return `${value.toString(8).padStart(length - 1, "0")}\0`;
}

/** A ustar header for a regular file. */
export function tarHeader(path: string, size: number): Uint8Array {
  const header = Buffer.alloc(BLOCK, 0);
  let name = path;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = path.lastIndexOf("/", 154);
    prefix = path.slice(0, cut);
    name = path.slice(cut + 1);
  }
  header.write(name, 0, 100, "utf8");
  header.write(octal(0o644, 8), 100, 8, "ascii");
  header.write(octal(0, 8), 108, 8, "ascii");
  header.write(octal(0, 8), 116, 8, "ascii");
  header.write(octal(size, 12), 124, 12, "ascii");
  header.write(octal(MTIME, 12), 136, 12, "ascii");
  header.write("        ", 148, 8, "ascii");
  header.write("0", 156, 1, "ascii");
  header.write("ustar\0", 257, 6, "ascii");
  header.write("00", 263, 2, "ascii");
  header.write(prefix, 345, 155, "utf8");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(octal(sum, 7), 148, 7, "ascii");
  header[155] = 0x20;
  return header;
}

function padding(size: number): Uint8Array {
  const rest = size % BLOCK;
  return rest === 0 ? new Uint8Array(0) : new Uint8Array(BLOCK - rest);
}

/** A file of a tarball: bytes, or a generator of `size` bytes. */
export type TarEntry =
  | { readonly path: string; readonly bytes: Uint8Array }
  | { readonly path: string; readonly size: number; readonly chunks: () => AsyncIterable<Uint8Array> };

/** The uncompressed tar stream of `entries`. */
export async function* tarStream(entries: readonly TarEntry[]): AsyncIterable<Uint8Array> {
  for (const entry of entries) {
    if ("bytes" in entry) {
      yield tarHeader(entry.path, entry.bytes.byteLength);
      yield entry.bytes;
      yield padding(entry.bytes.byteLength);
    } else {
      yield tarHeader(entry.path, entry.size);
      yield* entry.chunks();
      yield padding(entry.size);
    }
  }
  yield new Uint8Array(BLOCK * 2);
}


/** A zip entry: bytes, or a generator of bytes (streamed). */
export type ZipEntry =
  | { readonly path: string; readonly bytes: Uint8Array }
  | { readonly path: string; readonly chunks: () => AsyncIterable<Uint8Array> };

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1; // 1980-01-01: reproducible archives

/**
 * A stored (uncompressed) zip, streamed: each entry's CRC and sizes follow it
 * in a data descriptor, so nothing has to be held in memory. Python's zipfile
 * (pip, wheel installers) reads this form.
 */
export async function* zipStream(entries: readonly ZipEntry[]): AsyncIterable<Uint8Array> {
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.path, "utf8");
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0808, 6); // data descriptor + UTF-8 names
    local.writeUInt16LE(0, 8);
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt16LE(name.length, 26);
    yield local;
    yield name;
    let crc = 0;
    let size = 0;
    const chunks = "bytes" in entry ? [entry.bytes] : entry.chunks();
    for await (const chunk of chunks) {
      crc = crc32(chunk, crc);
      size += chunk.byteLength;
      yield chunk;
    }
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc >>> 0, 4);
    descriptor.writeUInt32LE(size, 8);
    descriptor.writeUInt32LE(size, 12);
    yield descriptor;
    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(20, 4);
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(0x0808, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc >>> 0, 16);
    header.writeUInt32LE(size, 20);
    header.writeUInt32LE(size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE((0o100644 * 0x10000) >>> 0, 38);
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += 30 + name.length + size + 16;
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  yield dir;
  yield end;
}

/** gzip of a stream, as a factory of fresh streams (level 0 for generated bytes: they do not compress). */
export function gzipStream(source: () => AsyncIterable<Uint8Array>, level: number): () => AsyncIterable<Uint8Array> {
  if (level === 0) return () => storedGzip(source());
  return () => Readable.from(source()).pipe(createGzip({ level, memLevel: 8, chunkSize: 256 * 1024 }));
}

/** gzip of bytes held in memory (small archives): no stream, no thread pool. */
export async function gzipBytes(source: AsyncIterable<Uint8Array>, level: number): Promise<Uint8Array> {
  return gzipSync(await collect(source), { level, memLevel: 8 });
}

const STORED_BLOCK = 0xffff;

/**
 * gzip with stored (uncompressed) deflate blocks (RFC 1951 §3.2.4), written
 * here rather than by zlib at level 0: no copy of the data (each block is a
 * 5-byte header and a view of the input) and a native CRC-32, which matters
 * when the stream is a 500 MB package built twice per upload.
 */
async function* storedGzip(source: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  // Magic, deflate, no flags, no mtime (reproducible), no extra flags, OS = Unix (as zlib writes).
  yield Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
  let crc = 0;
  let size = 0;
  for await (const chunk of source) {
    if (chunk.byteLength === 0) continue;
    crc = crc32(chunk, crc);
    size += chunk.byteLength;
    for (let from = 0; from < chunk.byteLength; from += STORED_BLOCK) {
      const length = Math.min(STORED_BLOCK, chunk.byteLength - from);
      const header = Buffer.alloc(5); // BFINAL 0, BTYPE 00 (stored); the rest of the first byte is padding
      header.writeUInt16LE(length, 1);
      header.writeUInt16LE(~length & 0xffff, 3);
      yield header;
      yield chunk.subarray(from, from + length);
    }
  }
  // An empty final block, then CRC-32 and ISIZE (size mod 2^32).
  const end = Buffer.alloc(13);
  end[0] = 1;
  end.writeUInt16LE(0, 1);
  end.writeUInt16LE(0xffff, 3);
  end.writeUInt32LE(crc >>> 0, 5);
  end.writeUInt32LE(size % 0x1_0000_0000, 9);
  yield end;
}
