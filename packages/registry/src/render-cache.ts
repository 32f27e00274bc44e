/**
 * Rendered metadata (npm packuments, PyPI simple pages, NuGet registration
 * indexes, Maven metadata XML), kept so that a document read a thousand times
 * between two publishes is built once.
 *
 * What it holds is bounded by bytes, not by entries: one 1.3 MB packument
 * costs as much as a thousand small ones. And it holds only what can still be
 * served: an entry belongs to one stored package object, which the store
 * replaces on every change, so an entry can never answer for a later revision;
 * the store calls {@link RenderCache.forget} for the package it replaced or
 * removed, so no stale revision stays behind waiting to be evicted.
 */
import type { StoredPackage } from "./contract.js";

/** What a cache holds now, for benchmarks and tests. */
export interface RenderCacheStats {
  readonly entries: number;
  readonly bytes: number;
  readonly budget: number;
  readonly hits: number;
  readonly misses: number;
}

interface Entry {
  readonly pkg: StoredPackage;
  readonly representation: string;
  readonly bytes: Buffer;
  readonly cost: number;
}

/** Per entry, beside its bytes: the key, the map slots and the Buffer object (a rough, fixed figure). */
const ENTRY_OVERHEAD = 256;

export class RenderCache {
  readonly #budget: number;
  /** Every entry, in least-recently-used order: a hit moves its entry to the end, eviction takes from the front. */
  readonly #order = new Set<Entry>();
  /**
   * Each package's entries by representation: a lookup is two map reads, with
   * no key built from the package and the representation on every request,
   * and forgetting a package costs its own entries only.
   */
  readonly #byPackage = new Map<StoredPackage, Map<string, Entry>>();
  /** The entry last kept or hit: the end of the order already, so a hit on it has nothing to move. */
  #newest: Entry | undefined;
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  /** @param budget bytes of rendered documents (and a fixed overhead per entry) it may hold. */
  constructor(budget: number) {
    if (!Number.isSafeInteger(budget) || budget < 0) throw new Error(`render cache budget must be a byte count, got ${budget}`);
    this.#budget = budget;
  }

  /**
   * The rendering of `pkg` as `representation` (everything besides the package
   * the document depends on: its kind, the base URL its links use, a feature
   * flag), rendered by `render` when not held. `keep: false` renders without
   * keeping (the store passes it for a package object that is no longer current).
   */
  rendered(pkg: StoredPackage, representation: string, render: () => string | Uint8Array, keep = true): Buffer {
    const hit = this.#byPackage.get(pkg)?.get(representation);
    if (hit) {
      this.#hits++;
      // A document read over and over (one hot packument) is hit while it is the newest.
      if (hit !== this.#newest) {
        this.#order.delete(hit);
        this.#order.add(hit);
        this.#newest = hit;
      }
      return hit.bytes;
    }
    this.#misses++;
    const out = render();
    const bytes = typeof out === "string" ? Buffer.from(out, "utf8") : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
    const cost = bytes.byteLength + representation.length * 2 + ENTRY_OVERHEAD;
    // A document bigger than half the budget would flush everything else for one entry.
    if (!keep || cost > this.#budget / 2) return bytes;
    const entry: Entry = { pkg, representation, bytes, cost };
    let entries = this.#byPackage.get(pkg);
    if (!entries) this.#byPackage.set(pkg, (entries = new Map()));
    entries.set(representation, entry);
    this.#order.add(entry);
    this.#newest = entry;
    this.#bytes += cost;
    while (this.#bytes > this.#budget) {
      const oldest = this.#order.values().next();
      if (oldest.done) break;
      this.#drop(oldest.value);
    }
    return bytes;
  }

  /** Drops every rendering of `pkg` (the store replaced or removed it). */
  forget(pkg: StoredPackage): void {
    const entries = this.#byPackage.get(pkg);
    if (!entries) return;
    for (const entry of [...entries.values()]) this.#drop(entry);
  }

  stats(): RenderCacheStats {
    return { entries: this.#order.size, bytes: this.#bytes, budget: this.#budget, hits: this.#hits, misses: this.#misses };
  }

  #drop(entry: Entry): void {
    if (!this.#order.delete(entry)) return;
    if (entry === this.#newest) this.#newest = undefined;
    this.#bytes -= entry.cost;
    const entries = this.#byPackage.get(entry.pkg);
    entries?.delete(entry.representation);
    if (entries?.size === 0) this.#byPackage.delete(entry.pkg);
  }
}

/**
 * The budget of a registry's cache (all its stores share one): enough for
 * the packuments of a few hundred busy packages, small beside the 256 MB the
 * registry is meant to stay under. `REGKIT_RENDER_CACHE_MB` changes it (0
 * turns keeping renderings off).
 */
export const DEFAULT_RENDER_CACHE_BYTES = 32 * 1024 * 1024;

/** The budget from `REGKIT_RENDER_CACHE_MB`, else {@link DEFAULT_RENDER_CACHE_BYTES}. */
export function renderCacheBudget(): number {
  const raw = process.env.REGKIT_RENDER_CACHE_MB;
  const mb = raw === undefined || raw.trim() === "" ? Number.NaN : Number(raw);
  return Number.isFinite(mb) && mb >= 0 ? Math.floor(mb * 1024 * 1024) : DEFAULT_RENDER_CACHE_BYTES;
}
