import { createHash, type Hash } from "node:crypto";
import type { Content, Digests } from "./contract.js";

const CHUNK = 1024 * 1024;

class Digester {
  private readonly hashes: Record<keyof Digests, Hash> = {
    md5: createHash("md5"),
    sha1: createHash("sha1"),
    sha256: createHash("sha256"),
    sha512: createHash("sha512"),
  };
  size = 0;
  update(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    for (const hash of Object.values(this.hashes)) hash.update(chunk);
  }
  digests(): Digests {
    return {
      md5: this.hashes.md5.digest("hex"),
      sha1: this.hashes.sha1.digest("hex"),
      sha256: this.hashes.sha256.digest("hex"),
      sha512: this.hashes.sha512.digest("hex"),
    };
  }
}

/** Size and the four digests of bytes or of a stream, read once. */
export async function digestOf(
  source: AsyncIterable<Uint8Array> | Uint8Array,
): Promise<{ size: number; digests: Digests }> {
  const digester = new Digester();
  if (source instanceof Uint8Array) digester.update(source);
  else for await (const chunk of source) digester.update(chunk);
  return { size: digester.size, digests: digester.digests() };
}

/** A digester to feed while streaming elsewhere. */
export function createDigester(): { update(chunk: Uint8Array): void; readonly size: number; digests(): Digests } {
  return new Digester();
}

/** Content held in memory. */
export function contentFromBytes(bytes: Uint8Array): Content {
  const digester = new Digester();
  digester.update(bytes);
  const digests = digester.digests();
  return {
    size: bytes.byteLength,
    digests,
    bytes,
    async *stream() {
      for (let offset = 0; offset < bytes.byteLength; offset += CHUNK) {
        yield bytes.subarray(offset, Math.min(bytes.byteLength, offset + CHUNK));
      }
    },
  };
}

/** Content produced by a generator each time it is streamed; size and digests computed once. */
export async function contentFromChunks(make: () => AsyncIterable<Uint8Array>): Promise<Content> {
  const { size, digests } = await digestOf(make());
  return { size, digests, stream: make };
}

/**
 * Deterministic pseudo-random bytes (xorshift32), generated on the fly: a
 * 500 MB package costs no memory, and the same seed always gives the same bytes.
 */
export function generatedChunks(size: number, seed: number): () => AsyncIterable<Uint8Array> {
  return async function* () {
    let state = (seed >>> 0) || 0x9e3779b9;
    let left = size;
    while (left > 0) {
      const length = Math.min(CHUNK, left);
      const chunk = new Uint8Array(length);
      const words = new Uint32Array(chunk.buffer, 0, length >>> 2);
      for (let i = 0; i < words.length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        words[i] = state >>> 0;
      }
      for (let i = words.length * 4; i < length; i++) {
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        chunk[i] = state & 0xff;
      }
      left -= length;
      yield chunk;
    }
  };
}

/** `size` deterministic pseudo-random bytes from `seed`, streamed in 1 MiB chunks. */
export async function generatedContent(size: number, seed: number): Promise<Content> {
  return contentFromChunks(generatedChunks(size, seed));
}

/** Reads a whole stream into memory (for small bodies only). */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Whether two digest sets are equal; the name of the first that differs otherwise. */
export function compareDigests(expected: Digests, actual: Digests): keyof Digests | undefined {
  for (const key of ["sha512", "sha256", "sha1", "md5"] as const) {
    if (expected[key] !== actual[key]) return key;
  }
  return undefined;
}
