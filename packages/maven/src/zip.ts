/**
 * A small ZIP writer for jars: every entry STORED (jars need no compression),
 * CRC-32 and sizes in the local headers (Java's `ZipInputStream` refuses
 * STORED entries with data descriptors), UTF-8 names, a fixed timestamp so the
 * same spec always gives the same bytes. Entries are streamed, so a jar
 * padded to hundreds of megabytes is never held in memory.
 *
 * No ZIP64: a jar stays below 4 GiB.
 *
 * @module
 */
import { crc32 } from "node:zlib";

export interface ZipEntry {
  readonly name: string;
  readonly size: number;
  /** CRC-32 of the bytes, computed beforehand for streamed entries. */
  readonly crc: number;
  /** The bytes, once per call. */
  chunks(): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

const LOCAL_HEADER = 30;
const CENTRAL_HEADER = 46;
const END_OF_CENTRAL_DIRECTORY = 22;
/** 1980-01-01 00:00 is DOS time's epoch; any fixed value keeps builds reproducible. */
const DOS_TIME = 0;
const DOS_DATE = ((2024 - 1980) << 9) | (1 << 5) | 1;
const UTF8_NAMES = 1 << 11;
export const MAX_ZIP_SIZE = 0xffff_ffff;

export function entryFromBytes(name: string, bytes: Uint8Array): ZipEntry {
  return { name, size: bytes.byteLength, crc: crc32(bytes), chunks: () => [bytes] };
}

/** Bytes a ZIP of these entries takes besides the entries' contents. */
export function zipOverhead(names: readonly string[]): number {
  let total = END_OF_CENTRAL_DIRECTORY;
  for (const name of names) total += LOCAL_HEADER + CENTRAL_HEADER + 2 * Buffer.byteLength(name, "utf8");
  return total;
}

export function zipSize(entries: readonly ZipEntry[]): number {
  return zipOverhead(entries.map((e) => e.name)) + entries.reduce((sum, e) => sum + e.size, 0);
}

function localHeader(entry: ZipEntry, name: Buffer): Buffer {
  const header = Buffer.alloc(LOCAL_HEADER);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(10, 4); // version needed: 1.0, STORED
  header.writeUInt16LE(UTF8_NAMES, 6);
  header.writeUInt16LE(0, 8); // STORED
  header.writeUInt16LE(DOS_TIME, 10);
  header.writeUInt16LE(DOS_DATE, 12);
  header.writeUInt32LE(entry.crc >>> 0, 14);
  header.writeUInt32LE(entry.size, 18);
  header.writeUInt32LE(entry.size, 22);
  header.writeUInt16LE(name.byteLength, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, name]);
}

function centralHeader(entry: ZipEntry, name: Buffer, offset: number): Buffer {
  const header = Buffer.alloc(CENTRAL_HEADER);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE((3 << 8) | 20, 4); // made by: Unix, 2.0
  header.writeUInt16LE(10, 6);
  header.writeUInt16LE(UTF8_NAMES, 8);
  header.writeUInt16LE(0, 10);
  header.writeUInt16LE(DOS_TIME, 12);
  header.writeUInt16LE(DOS_DATE, 14);
  header.writeUInt32LE(entry.crc >>> 0, 16);
  header.writeUInt32LE(entry.size, 20);
  header.writeUInt32LE(entry.size, 24);
  header.writeUInt16LE(name.byteLength, 28);
  // extra length, comment length, disk number, internal attributes: 0
  header.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
  header.writeUInt32LE(offset, 42);
  return Buffer.concat([header, name]);
}

/** Streams a ZIP archive of `entries`, in order. */
export async function* zipStream(entries: readonly ZipEntry[]): AsyncGenerator<Uint8Array> {
  if (zipSize(entries) > MAX_ZIP_SIZE) throw new Error("a jar of 4 GiB or more needs ZIP64, which regkit does not write");
  const names = new Set<string>();
  const central: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (names.has(entry.name)) throw new Error(`the jar would hold ${entry.name} twice`);
    names.add(entry.name);
    const name = Buffer.from(entry.name, "utf8");
    if (name.byteLength > 0xffff) throw new Error(`entry name too long: ${entry.name.slice(0, 60)}...`);
    central.push(centralHeader(entry, name, offset));
    const header = localHeader(entry, name);
    yield header;
    offset += header.byteLength;
    let written = 0;
    for await (const chunk of entry.chunks()) {
      written += chunk.byteLength;
      yield chunk;
    }
    if (written !== entry.size) throw new Error(`entry ${entry.name} gave ${written} bytes, not ${entry.size}`);
    offset += written;
  }
  const directory = Buffer.concat(central);
  yield directory;
  const end = Buffer.alloc(END_OF_CENTRAL_DIRECTORY);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.byteLength, 12);
  end.writeUInt32LE(offset, 16);
  yield end;
}

/** The whole archive in memory (small jars). */
export async function zipBytes(entries: readonly ZipEntry[]): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const part of zipStream(entries)) parts.push(part);
  return Buffer.concat(parts);
}

/** Lists the entries of a ZIP held in memory (central directory), for tests and checks. */
export function readZipEntries(bytes: Uint8Array): { name: string; size: number; crc: number; data: Uint8Array }[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = buf.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error("no end of central directory: not a ZIP");
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const out: { name: string; size: number; crc: number; data: Uint8Array }[] = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory header at ${at}`);
    const crc = buf.readUInt32LE(at + 16);
    const size = buf.readUInt32LE(at + 24);
    const nameLength = buf.readUInt16LE(at + 28);
    const extra = buf.readUInt16LE(at + 30);
    const comment = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const name = buf.toString("utf8", at + 46, at + 46 + nameLength);
    const localName = buf.readUInt16LE(local + 26);
    const localExtra = buf.readUInt16LE(local + 28);
    const start = local + LOCAL_HEADER + localName + localExtra;
    out.push({ name, size, crc, data: buf.subarray(start, start + size) });
    at += CENTRAL_HEADER + nameLength + extra + comment;
  }
  return out;
}
