import { createCipheriv, createHash, type Hash } from "node:crypto";
import { Worker } from "node:worker_threads";
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

/** Streams up to this size are hashed on the calling thread; larger ones in a worker. */
const OFF_THREAD_FROM = 8 * 1024 * 1024;
/** Size of one slot of the ring shared with the worker. */
const SLOT = 1024 * 1024;
/** Slots in the ring: the most a fast producer can get ahead of the hashing. */
const SLOTS = 8;

// The worker: four hashes over the slots of the shared ring it is told about
// ([slot, length]), the slot handed back after each; on `null`, the hex
// digests, and fresh hashes for the next stream (a worker is reused).
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const ring = workerData;
const fresh = () => ["md5", "sha1", "sha256", "sha512"].map((name) => [name, createHash(name)]);
let hashes = fresh();
parentPort.on("message", (message) => {
  if (message === null) {
    const digests = Object.fromEntries(hashes.map(([name, hash]) => [name, hash.digest("hex")]));
    hashes = fresh();
    parentPort.postMessage(digests);
    return;
  }
  const [slot, length] = message;
  const view = new Uint8Array(ring, slot * ${SLOT}, length);
  for (const [, hash] of hashes) hash.update(view);
  parentPort.postMessage(slot);
});
`;

/** A digest worker, its ring, and the listeners regkit put on it (taken off whole when it changes hands). */
interface DigestWorker {
  readonly worker: Worker;
  readonly ring: SharedArrayBuffer;
  readonly listeners: [event: string, listener: (...args: never[]) => void][];
}

function listen(entry: DigestWorker, event: "message" | "error" | "exit", listener: (...args: never[]) => void): void {
  entry.worker.on(event, listener as (...args: unknown[]) => void);
  entry.listeners.push([event, listener]);
}

/** Takes off regkit's listeners only: Worker keeps its own (they ref and unref its port). */
function unlisten(entry: DigestWorker): void {
  for (const [event, listener] of entry.listeners.splice(0)) entry.worker.off(event, listener as (...args: unknown[]) => void);
}

/** Ends a worker whose state is not known to be clean. */
function end(entry: DigestWorker): void {
  unlisten(entry);
  // An error it may still raise while ending must not go unheard (an unheard one throws).
  listen(entry, "error", () => {});
  void entry.worker.terminate();
}

/**
 * Workers that finished a stream cleanly, kept for the next (starting one
 * costs about 40 ms of CPU, and a run digests dozens of large streams).
 * Unreferenced while idle, so they never keep a process alive; at most
 * {@link IDLE_WORKERS}, the rest ended.
 */
const idleWorkers: DigestWorker[] = [];
const IDLE_WORKERS = 2;

function takeWorker(): DigestWorker {
  const idle = idleWorkers.pop();
  if (idle) {
    unlisten(idle);
    idle.worker.ref();
    return idle;
  }
  const ring = new SharedArrayBuffer(SLOT * SLOTS);
  return { worker: new Worker(WORKER_SOURCE, { eval: true, workerData: ring }), ring, listeners: [] };
}

function giveBack(entry: DigestWorker): void {
  unlisten(entry);
  if (idleWorkers.length >= IDLE_WORKERS) return end(entry);
  entry.worker.unref();
  // One that fails or ends while idle is dropped from the pool.
  const drop = () => {
    const at = idleWorkers.indexOf(entry);
    if (at >= 0) idleWorkers.splice(at, 1);
  };
  listen(entry, "error", drop);
  listen(entry, "exit", drop);
  idleWorkers.push(entry);
}

/**
 * Digests a stream of unknown length: small ones on this thread; once past
 * {@link OFF_THREAD_FROM}, in a worker thread, so that hashing a 500 MB
 * package (four hashes, seconds of CPU) neither blocks the event loop (the
 * latency other scenarios measure meanwhile) nor leaves the second core idle.
 * Bytes reach the worker through a fixed ring of shared memory: one copy, no
 * garbage for either thread to collect, memory bounded by the ring.
 */
export class StreamDigester {
  #size = 0;
  #early: Uint8Array[] = [];
  #sync: Digester | undefined;
  /** The worker hashing this stream, once it is past {@link OFF_THREAD_FROM}. */
  #entry: DigestWorker | undefined;
  #free: number[] = [];
  #waiting: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #result: ((value: Digests | Error) => void) | undefined;
  #failure: Error | undefined;
  /** The slot being filled and how much of it is. */
  #slot = -1;
  #filled = 0;

  get size(): number {
    return this.#size;
  }

  async update(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength === 0) return;
    this.#size += chunk.byteLength;
    if (this.#sync) {
      this.#sync.update(chunk);
    } else if (this.#entry) {
      await this.#copy(chunk);
    } else {
      // Held, not copied, until the size is known to be small or not: streams
      // hand over each chunk for good (Node streams, undici bodies and
      // regkit's generators never reuse a yielded buffer).
      this.#early.push(chunk);
      if (this.#size <= OFF_THREAD_FROM) return;
      const early = this.#early;
      this.#early = [];
      if (this.#start()) {
        for (const piece of early) await this.#copy(piece);
      } else {
        // No worker threads here: hash on this thread after all.
        this.#sync = new Digester();
        for (const piece of early) this.#sync.update(piece);
      }
    }
  }

  async digests(): Promise<Digests> {
    if (this.#sync) return this.#sync.digests();
    const worker = this.#entry?.worker;
    if (!worker) {
      const digester = new Digester();
      for (const piece of this.#early) digester.update(piece);
      this.#early = [];
      return digester.digests();
    }
    let clean = false;
    try {
      this.#send();
      const result = await new Promise<Digests | Error>((resolve) => {
        this.#result = resolve;
        if (this.#failure) resolve(this.#failure);
        else worker.postMessage(null);
      });
      if (result instanceof Error) throw result;
      clean = true;
      return result;
    } finally {
      // A worker that answered goes back to the pool, its hashes fresh; any other is ended.
      if (clean && this.#entry) {
        giveBack(this.#entry);
        this.#entry = undefined;
      } else this.abort();
    }
  }

  /** Stops the worker (after a failure of the stream being digested). */
  abort(): void {
    this.#early = [];
    const entry = this.#entry;
    this.#entry = undefined;
    if (entry) end(entry);
  }

  #start(): boolean {
    let entry: DigestWorker;
    try {
      entry = takeWorker();
    } catch {
      return false;
    }
    listen(entry, "message", (message: unknown) => {
      if (typeof message === "number") {
        this.#free.push(message);
        const waiting = this.#waiting;
        this.#waiting = undefined;
        waiting?.resolve();
      } else this.#result?.(message as Digests);
    });
    listen(entry, "error", (error: Error) => this.#fail(error));
    listen(entry, "exit", (code: number) => {
      if (code !== 0 && !this.#result) this.#fail(new Error(`the digest worker exited with code ${code}`));
    });
    this.#entry = entry;
    this.#free = Array.from({ length: SLOTS }, (_, i) => i);
    return true;
  }

  #fail(error: Error): void {
    this.#failure = error;
    this.#waiting?.reject(error);
    this.#waiting = undefined;
    this.#result?.(error);
  }

  /** Copies bytes into ring slots, sending each slot as it fills. */
  async #copy(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.byteLength) {
      if (this.#failure) throw this.#failure;
      if (this.#slot < 0) {
        while (this.#free.length === 0) {
          await new Promise<void>((resolve, reject) => {
            this.#waiting = { resolve, reject };
          });
        }
        this.#slot = this.#free.shift()!;
        this.#filled = 0;
      }
      const take = Math.min(SLOT - this.#filled, chunk.byteLength - at);
      new Uint8Array(this.#entry!.ring, this.#slot * SLOT + this.#filled, take).set(chunk.subarray(at, at + take));
      this.#filled += take;
      at += take;
      if (this.#filled === SLOT) this.#send();
    }
  }

  /** Hands the slot being filled to the worker. */
  #send(): void {
    if (this.#slot < 0 || this.#filled === 0) return;
    this.#entry!.worker.postMessage([this.#slot, this.#filled]);
    this.#slot = -1;
    this.#filled = 0;
  }
}

/** Size and the four digests of bytes or of a stream, read once (large streams hashed off the main thread). */
export async function digestOf(
  source: AsyncIterable<Uint8Array> | Uint8Array,
): Promise<{ size: number; digests: Digests }> {
  if (source instanceof Uint8Array) {
    const digester = new Digester();
    digester.update(source);
    return { size: digester.size, digests: digester.digests() };
  }
  const digester = new StreamDigester();
  try {
    for await (const chunk of source) await digester.update(chunk);
  } catch (error) {
    digester.abort();
    throw error;
  }
  return { size: digester.size, digests: await digester.digests() };
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
 * Deterministic pseudo-random bytes, generated on the fly: the AES-128-CTR
 * keystream of a key derived from `seed` (native code, a few GB/s), so a
 * 500 MB package costs no memory and little time, and the same seed always
 * gives the same bytes. A string seed is hashed into the key.
 */
export function generatedChunks(size: number, seed: number | string): () => AsyncIterable<Uint8Array> {
  const key = createHash("sha256").update(`regkit-content:${typeof seed}:${seed}`).digest().subarray(0, 16);
  return async function* () {
    const cipher = createCipheriv("aes-128-ctr", key, Buffer.alloc(16));
    const zeros = new Uint8Array(Math.min(CHUNK, size));
    let left = size;
    while (left > 0) {
      const length = Math.min(CHUNK, left);
      left -= length;
      yield cipher.update(length === zeros.byteLength ? zeros : zeros.subarray(0, length));
    }
  };
}

/** `size` deterministic pseudo-random bytes from `seed`, streamed in 1 MiB chunks. */
export async function generatedContent(size: number, seed: number | string): Promise<Content> {
  return contentFromChunks(generatedChunks(size, seed));
}

/** Reads a whole stream into memory (for small bodies only). */
export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of source) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/**
 * The chunks copied into one buffer of its own, for bytes kept in memory for
 * long (a registry's small blobs): never a slice of Node's shared 8 KiB pool,
 * as `Buffer.concat` and `Buffer.from` give for small sizes, which would keep
 * the whole slab alive as long as the bytes are held.
 */
export function concatOwn(chunks: readonly Uint8Array[], size = chunks.reduce((n, chunk) => n + chunk.byteLength, 0)): Buffer {
  const bytes = Buffer.allocUnsafeSlow(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** Whether two digest sets are equal; the name of the first that differs otherwise. */
export function compareDigests(expected: Digests, actual: Digests): keyof Digests | undefined {
  for (const key of ["sha512", "sha256", "sha1", "md5"] as const) {
    if (expected[key] !== actual[key]) return key;
  }
  return undefined;
}
