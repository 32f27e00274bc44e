import { Readable } from "node:stream";
import { createGzip, crc32, gzipSync, inflateRawSync } from "node:zlib";
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


/**
 * A zip entry: bytes, or a generator of bytes (streamed). A streamed entry
 * whose `size` and `crc` are known beforehand is written as one with bytes
 * (sizes in the local header); one without them gets a data descriptor.
 */
export type ZipEntry =
  | { readonly path: string; readonly bytes: Uint8Array }
  | { readonly path: string; readonly chunks: () => AsyncIterable<Uint8Array> | Iterable<Uint8Array>; readonly size?: number | undefined; readonly crc?: number | undefined };

const DOS_TIME = 0; // 00:00:00
const DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1; // 1980-01-01: reproducible archives
const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const DESCRIPTOR = 16;
const END_OF_CENTRAL_DIRECTORY = 22;
const UTF8_NAMES = 0x0800;
const HAS_DESCRIPTOR = 0x0008;
/** The most an entry read by {@link readZip} or {@link findZipEntry} may inflate to (manifests, nuspecs, poms: small). */
const MAX_INFLATED = 64 * 1024 * 1024;

/** No ZIP64: an archive stays below 4 GiB. */
export const MAX_ZIP_SIZE = 0xffff_ffff;

/** Size and CRC of an entry when known before it is written. */
function known(entry: ZipEntry): { size: number; crc: number } | undefined {
  if ("bytes" in entry) return { size: entry.bytes.byteLength, crc: crc32(entry.bytes) };
  return entry.size !== undefined && entry.crc !== undefined ? { size: entry.size, crc: entry.crc } : undefined;
}

/**
 * Bytes a zip of entries with these names takes besides their contents
 * (entries with known sizes; add 16 per streamed entry without them).
 */
export function zipOverhead(paths: readonly string[]): number {
  let total = END_OF_CENTRAL_DIRECTORY;
  for (const path of paths) total += LOCAL_HEADER + CENTRAL_HEADER + 2 * Buffer.byteLength(path, "utf8");
  return total;
}

/**
 * A stored (uncompressed) zip, streamed and reproducible (fixed timestamps,
 * UTF-8 names). Entries with known sizes carry them in the local header,
 * which Java's `ZipInputStream` needs for STORED entries (jars); others are
 * followed by a data descriptor, so nothing is held in memory. Python's
 * zipfile, NuGet and the JDK read both forms.
 */
export async function* zipStream(entries: readonly ZipEntry[]): AsyncIterable<Uint8Array> {
  const central: Buffer[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const entry of entries) {
    if (seen.has(entry.path)) throw new Error(`the archive would hold ${entry.path} twice`);
    seen.add(entry.path);
    const name = Buffer.from(entry.path, "utf8");
    if (name.byteLength > 0xffff) throw new Error(`entry name too long: ${entry.path.slice(0, 60)}...`);
    const sizes = known(entry);
    const flags = UTF8_NAMES | (sizes ? 0 : HAS_DESCRIPTOR);
    const local = Buffer.alloc(LOCAL_HEADER);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(0, 8); // STORED
    local.writeUInt16LE(DOS_TIME, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    if (sizes) {
      local.writeUInt32LE(sizes.crc >>> 0, 14);
      local.writeUInt32LE(sizes.size, 18);
      local.writeUInt32LE(sizes.size, 22);
    }
    local.writeUInt16LE(name.length, 26);
    yield local;
    yield name;
    let crc = 0;
    let size = 0;
    const chunks = "bytes" in entry ? [entry.bytes] : entry.chunks();
    for await (const chunk of chunks) {
      if (!sizes) crc = crc32(chunk, crc);
      size += chunk.byteLength;
      yield chunk;
    }
    if (sizes && size !== sizes.size) throw new Error(`entry ${entry.path} gave ${size} bytes, not ${sizes.size}`);
    if (sizes) crc = sizes.crc;
    else {
      const descriptor = Buffer.alloc(DESCRIPTOR);
      descriptor.writeUInt32LE(0x08074b50, 0);
      descriptor.writeUInt32LE(crc >>> 0, 4);
      descriptor.writeUInt32LE(size, 8);
      descriptor.writeUInt32LE(size, 12);
      yield descriptor;
    }
    const header = Buffer.alloc(CENTRAL_HEADER);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
    header.writeUInt16LE(20, 6);
    header.writeUInt16LE(flags, 8);
    header.writeUInt16LE(0, 10);
    header.writeUInt16LE(DOS_TIME, 12);
    header.writeUInt16LE(DOS_DATE, 14);
    header.writeUInt32LE(crc >>> 0, 16);
    header.writeUInt32LE(size, 20);
    header.writeUInt32LE(size, 24);
    header.writeUInt16LE(name.length, 28);
    header.writeUInt32LE((0o100644 * 0x10000) >>> 0, 38); // a regular file, rw-r--r--
    header.writeUInt32LE(offset, 42);
    central.push(header, name);
    offset += LOCAL_HEADER + name.length + size + (sizes ? 0 : DESCRIPTOR);
    if (offset > MAX_ZIP_SIZE) throw new Error("an archive of 4 GiB or more needs ZIP64, which regkit does not write");
  }
  const dir = Buffer.concat(central);
  const end = Buffer.alloc(END_OF_CENTRAL_DIRECTORY);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(dir.length, 12);
  end.writeUInt32LE(offset, 16);
  yield dir;
  yield end;
}

/** The whole zip in memory (small archives). */
export async function zipBytes(entries: readonly ZipEntry[]): Promise<Uint8Array> {
  return collect(zipStream(entries));
}

/** One entry read from a zip. */
export interface ZipRead {
  readonly path: string;
  readonly size: number;
  readonly crc: number;
  /** The entry's bytes, inflated when it was deflated. */
  readonly data: Uint8Array;
}

function entryData(buf: Buffer, start: number, stored: number, method: number): Uint8Array {
  const raw = buf.subarray(start, start + stored);
  if (method === 0) return raw;
  // Bounded: a few KiB of deflate can expand to gigabytes (a zip bomb from a hostile registry or upload).
  if (method === 8) return inflateRawSync(raw, { maxOutputLength: MAX_INFLATED });
  throw new Error(`compression method ${method} is not supported (only STORED and DEFLATE)`);
}

/** Every entry of a zip held in memory, through its central directory (jars, wheels, nupkgs). */
export function readZip(bytes: Uint8Array): ZipRead[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("no end of central directory: not a zip");
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out: ZipRead[] = [];
  for (let i = 0; i < count; i++) {
    if (at + CENTRAL_HEADER > buf.length || buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory header at ${at}`);
    const method = buf.readUInt16LE(at + 10);
    const crc = buf.readUInt32LE(at + 16);
    const stored = buf.readUInt32LE(at + 20);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const path = buf.toString("utf8", at + 46, at + 46 + nameLength);
    const start = local + LOCAL_HEADER + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    out.push({ path, size, crc, data: entryData(buf, start, stored, method) });
    at += CENTRAL_HEADER + nameLength + extra + comment;
  }
  return out;
}

/**
 * The first entry `wanted` picks, read from the start of a zip by walking its
 * local headers (STORED or DEFLATE, with or without data descriptors): for
 * the head of an upload, before the rest has arrived. Undefined when `head`
 * ends first.
 */
export function findZipEntry(head: Uint8Array, wanted: (path: string) => boolean): ZipRead | undefined {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  let at = 0;
  while (at + LOCAL_HEADER <= buf.length && buf.readUInt32LE(at) === 0x04034b50) {
    const flags = buf.readUInt16LE(at + 6);
    const method = buf.readUInt16LE(at + 8);
    let crc = buf.readUInt32LE(at + 14);
    let stored = buf.readUInt32LE(at + 18);
    const nameLength = buf.readUInt16LE(at + 26);
    const extra = buf.readUInt16LE(at + 28);
    const path = buf.toString("utf8", at + LOCAL_HEADER, at + LOCAL_HEADER + nameLength);
    const start = at + LOCAL_HEADER + nameLength + extra;
    if (flags & HAS_DESCRIPTOR && stored === 0) {
      // Sizes follow the data: find the descriptor after it.
      const descriptor = buf.indexOf(Buffer.from([0x50, 0x4b, 0x07, 0x08]), start);
      if (descriptor < 0) return undefined;
      stored = descriptor - start;
      crc = buf.readUInt32LE(descriptor + 4);
    }
    if (start + stored > buf.length) return undefined;
    if (wanted(path)) {
      const data = entryData(buf, start, stored, method);
      return { path, size: data.byteLength, crc, data };
    }
    at = start + stored + (flags & HAS_DESCRIPTOR ? DESCRIPTOR : 0);
  }
  return undefined;
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
