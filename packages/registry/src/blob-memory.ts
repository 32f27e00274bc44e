/**
 * Where a registry without a data directory keeps its small blobs: in memory,
 * within a byte budget shared by all of its stores. A registry under test
 * receives thousands of small files (a Maven deploy is a jar, a pom, their
 * checksum files and the metadata; push.many makes 600 of them), and a file
 * each costs the kernel an inode allocated and freed: on ext4 that was a
 * twentieth of the demo's CPU. Past the budget, or for a larger file, blobs
 * go to disk as before, so memory stays bounded whatever is uploaded.
 */

/** Blobs up to this size may be held in memory. */
export const MEMORY_BLOB_MAX = 64 * 1024;

/** The default budget: 64 MiB (a thousand 64 KiB blobs, or a hundred thousand small ones). */
const DEFAULT_MEMORY_BLOB_BYTES = 64 * 1024 * 1024;

/** Per blob, beside its bytes: the map entry, the key and the Buffer object (a rough, fixed figure). */
const BLOB_OVERHEAD = 160;

/** The byte budget several stores' memory-held blobs share. */
export class BlobMemory {
  readonly #budget: number;
  #bytes = 0;

  /** @param budget bytes of blobs (and a fixed overhead per blob) that may be held. */
  constructor(budget: number) {
    if (!Number.isSafeInteger(budget) || budget < 0) throw new Error(`blob memory budget must be a byte count, got ${budget}`);
    this.#budget = budget;
  }

  /** Takes room for a blob of `size` bytes; false (nothing taken) when it is too large or the budget is spent. */
  take(size: number): boolean {
    const cost = size + BLOB_OVERHEAD;
    if (size > MEMORY_BLOB_MAX || this.#bytes + cost > this.#budget) return false;
    this.#bytes += cost;
    return true;
  }

  /** Gives back the room of a blob of `size` bytes that {@link take} let in. */
  give(size: number): void {
    this.#bytes = Math.max(0, this.#bytes - (size + BLOB_OVERHEAD));
  }

  /** Bytes held now (with the per-blob overhead), for tests and benchmarks. */
  get bytes(): number {
    return this.#bytes;
  }
}

/** The budget from `REGKIT_BLOB_MEMORY_MB` (0: every blob on disk), else 64 MiB. */
export function blobMemoryBudget(): number {
  const raw = process.env.REGKIT_BLOB_MEMORY_MB;
  const mb = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(mb) && mb >= 0 ? Math.floor(mb * 1024 * 1024) : DEFAULT_MEMORY_BLOB_BYTES;
}
