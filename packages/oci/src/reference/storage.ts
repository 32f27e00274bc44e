/**
 * Where the reference keeps OCI content, in the directory the registry gives
 * the format:
 *
 * ```
 * blobs/<sha256|sha512>/<hex[0:2]>/<hex>   content-addressed bytes (layers, configs, manifests)
 * uploads/<uuid>                    blob uploads in progress (swept on start)
 * repositories/<sha256(name)>.json  a repository's linked blobs, manifests and tags (data directory only)
 * ```
 *
 * Bytes are hashed as they arrive. Without a data directory, an upload or a
 * manifest of up to {@link MEMORY_MAX} bytes stays in memory, within the byte
 * budget the registry gives ({@link HostEnvironment.blobMemory}, shared with
 * its package stores): a push of a few hundred small images would otherwise
 * create and delete a file per upload, per blob and per manifest, and ext4's
 * inode allocation was a tenth of the OCI run's CPU. Anything larger, or past
 * the budget, is streamed to disk and never held whole in memory. A blob
 * becomes visible in a repository only once its digest is checked and it sits
 * at its content address; with a data directory the bytes and each repository
 * record are fsynced (temp file, fsync, rename) first. A blob no repository
 * names any more is removed (from memory or disk).
 */
import { type Hash, createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { type FileHandle, mkdir, open, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { ConfigError, concatOwn } from "@regkit/core";
import type { HostBlobMemory } from "@regkit/registry/contract";
import { isRecord } from "./token.js";

/** A manifest as a repository records it (its bytes are a blob). */
export interface StoredManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** `artifactType`, else the config's media type (image manifests): what the referrers API lists. */
  readonly artifactType?: string | undefined;
  /** The manifest this one refers to (`subject`), for the referrers API. */
  readonly subject?: string | undefined;
  readonly annotations?: Readonly<Record<string, string>> | undefined;
  /** Blobs and child manifests it names: kept while it exists. */
  readonly references: readonly string[];
}

interface RepositoryRecord {
  readonly name: string;
  readonly blobs: string[];
  readonly manifests: Record<string, StoredManifest>;
  readonly tags: Record<string, string>;
}

/** An upload or a manifest up to this size may stay in memory (the package stores' limit too). */
export const MEMORY_MAX = 64 * 1024;

/** An upload session: bytes received so far, hashed as they came. */
export interface UploadSession {
  readonly id: string;
  readonly repository: string;
  /** Its file, once it has one: a session of a registry with a data directory has one from the start, another once it outgrows {@link MEMORY_MAX}. */
  readonly path: string;
  /** What it received, while it is in memory; undefined once its bytes are in the file. */
  held: Buffer[] | undefined;
  size: number;
  readonly hash: Hash;
  /** Serialises the requests of one session (a resumed chunk waits for the dropped one to end). */
  queue: Promise<void>;
}

/** A blob upload refused for its size. */
export class TooLarge extends Error {
  constructor(readonly limit: number) {
    super(`blob exceeds the registry's size limit of ${limit} bytes`);
    this.name = "TooLarge";
  }
}

/** The digests this registry verifies: sha256 (every client's), sha512 (the spec's other registered algorithm). */
export const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/**
 * Runs `step` once `previous` has settled; returns the step's result and the
 * gate the next step must wait behind (open when this one ends, however it
 * ends). The caller stores the gate synchronously, so steps queued in the same
 * tick still run one after another.
 */
function queueBehind<T>(previous: Promise<void>, step: () => Promise<T>): { gate: Promise<void>; result: Promise<T> } {
  let done!: () => void;
  const gate = new Promise<void>((resolve) => {
    done = resolve;
  });
  const result = (async () => {
    try {
      await previous;
      return await step();
    } finally {
      done();
    }
  })();
  return { gate, result };
}

export class OciStorage {
  readonly #dir: string;
  readonly #durable: boolean;
  readonly #repositories = new Map<string, RepositoryRecord>();
  readonly #uploads = new Map<string, UploadSession>();
  /** Blobs (manifests included) held in memory, by digest, within {@link #memory}'s budget. */
  readonly #held = new Map<string, Buffer>();
  readonly #memory: HostBlobMemory | undefined;
  /** Mutations of repositories and blob collection, one at a time (each is a few small file operations). */
  #lock: Promise<void> = Promise.resolve();

  private constructor(dir: string, durable: boolean, memory: HostBlobMemory | undefined) {
    this.#dir = dir;
    this.#durable = durable;
    // A data directory keeps everything on disk: what it holds must outlive the process.
    this.#memory = durable ? undefined : memory;
  }

  /**
   * Opens the storage in `dir`. Nothing is created until the first upload: a
   * data directory that never saw OCI content keeps its layout untouched.
   * `memory`: the budget for small blobs in memory (no data directory only).
   */
  static async open(dir: string, durable: boolean, memory?: HostBlobMemory): Promise<OciStorage> {
    const storage = new OciStorage(dir, durable, memory);
    // Uploads cannot be resumed across a restart: their running hash is gone.
    await rm(join(dir, "uploads"), { recursive: true, force: true });
    const records = await readdir(join(dir, "repositories")).catch((error: NodeJS.ErrnoException) => {
      if (error.code === "ENOENT") return [];
      throw error;
    });
    for (const entry of records) {
      const path = join(dir, "repositories", entry);
      if (!entry.endsWith(".json")) {
        // A temp file a crash left before its rename.
        await rm(path, { force: true });
        continue;
      }
      let record: unknown;
      try {
        record = JSON.parse(await readFile(path, "utf8"));
      } catch (error) {
        throw new ConfigError(`data directory check failed: ${path}: not valid JSON (${(error as Error).message})`);
      }
      // A ConfigError: `regkit serve` says it in one line and exits 2, as for the rest of the data directory.
      if (!isRepositoryRecord(record)) throw new ConfigError(`data directory check failed: ${path}: not an OCI repository record of regkit's`);
      storage.#repositories.set(record.name, record);
    }
    return storage;
  }

  /** Repository names that hold anything, sorted. */
  repositories(): string[] {
    return [...this.#repositories.values()]
      .filter((r) => r.blobs.length > 0 || Object.keys(r.manifests).length > 0)
      .map((r) => r.name)
      .sort();
  }

  exists(repository: string): boolean {
    const record = this.#repositories.get(repository);
    return record !== undefined && (record.blobs.length > 0 || Object.keys(record.manifests).length > 0);
  }

  hasBlob(repository: string, digest: string): boolean {
    return this.#repositories.get(repository)?.blobs.includes(digest) ?? false;
  }

  manifest(repository: string, reference: string): StoredManifest | undefined {
    const record = this.#repositories.get(repository);
    if (!record) return undefined;
    const digest = DIGEST.test(reference) ? reference : record.tags[reference];
    return digest === undefined ? undefined : record.manifests[digest];
  }

  tags(repository: string): string[] | undefined {
    const record = this.#repositories.get(repository);
    return record ? Object.keys(record.tags).sort() : undefined;
  }

  tagTarget(repository: string, tag: string): string | undefined {
    return this.#repositories.get(repository)?.tags[tag];
  }

  /** Manifests of a repository whose `subject` is `digest`. */
  referrers(repository: string, digest: string): StoredManifest[] {
    const record = this.#repositories.get(repository);
    return record ? Object.values(record.manifests).filter((m) => m.subject === digest) : [];
  }

  blobPath(digest: string): string {
    if (!DIGEST.test(digest)) throw new Error(`not a sha256 or sha512 digest: ${digest}`);
    const [algorithm, hex] = digest.split(":") as [string, string];
    return join(this.#dir, "blobs", algorithm, hex.slice(0, 2), hex);
  }

  async blobSize(digest: string): Promise<number> {
    return this.#held.get(digest)?.byteLength ?? (await stat(this.blobPath(digest))).size;
  }

  /** A blob's bytes, or the inclusive byte range of them. */
  openBlob(digest: string, range?: { readonly start: number; readonly end: number }): Readable {
    const held = this.#held.get(digest);
    if (held) return Readable.from([range ? held.subarray(range.start, range.end + 1) : held], { objectMode: false });
    return createReadStream(this.blobPath(digest), range ? { start: range.start, end: range.end } : {});
  }

  async readBlob(digest: string): Promise<Buffer> {
    return this.#held.get(digest) ?? readFile(this.blobPath(digest));
  }

  // Uploads.

  async startUpload(repository: string): Promise<UploadSession> {
    await this.#ensureDirs();
    const id = randomUUID();
    const path = join(this.#dir, "uploads", id);
    // In memory until it outgrows MEMORY_MAX (no data directory), else a file from the start.
    const held = this.#memory ? [] : undefined;
    if (!held) await (await open(path, "wx")).close();
    const session: UploadSession = { id, repository, path, held, size: 0, hash: createHash("sha256"), queue: Promise.resolve() };
    this.#uploads.set(id, session);
    return session;
  }

  upload(id: string): UploadSession | undefined {
    return this.#uploads.get(id);
  }

  /** Runs `step` when the session's earlier requests are done. */
  inSession<T>(session: UploadSession, step: () => Promise<T>): Promise<T> {
    const { gate, result } = queueBehind(session.queue, step);
    session.queue = gate;
    return result;
  }

  /**
   * Appends a request body to an upload. Bytes are hashed only once written,
   * so after a connection cut mid-chunk the session holds exactly what
   * arrived and its reported range tells the client where to resume.
   * Past `limit` (0: none) the session is dropped and {@link TooLarge} thrown.
   */
  async append(session: UploadSession, body: Readable, limit: number): Promise<void> {
    let handle: FileHandle | undefined;
    try {
      // The request body must survive an early stop (413): destroying it would
      // reset the connection before the client reads the answer.
      for await (const piece of body.iterator({ destroyOnReturn: false }) as AsyncIterable<Uint8Array | string>) {
        const chunk = typeof piece === "string" ? Buffer.from(piece) : piece;
        if (limit > 0 && session.size + chunk.byteLength > limit) {
          await this.cancelUpload(session);
          throw new TooLarge(limit);
        }
        if (session.held && session.size + chunk.byteLength <= MEMORY_MAX) {
          // A copy: the chunk may be a view of a buffer its producer reuses.
          session.held.push(Buffer.from(chunk));
        } else {
          if (!handle) {
            // Past MEMORY_MAX: what the session held goes to its file first.
            handle = await open(session.path, session.held ? "wx" : "a");
            if (session.held) await writeAll(handle, Buffer.concat(session.held));
            session.held = undefined;
          }
          await writeAll(handle, chunk);
        }
        session.hash.update(chunk);
        session.size += chunk.byteLength;
      }
    } finally {
      await handle?.close();
    }
  }

  /**
   * The digest of what the session holds so far, in the algorithm asked for:
   * sha256 was hashed as the bytes came; sha512, which clients rarely use, is
   * read back from the file, streamed.
   */
  async uploadDigest(session: UploadSession, algorithm: "sha256" | "sha512"): Promise<string> {
    if (algorithm === "sha256") return `sha256:${session.hash.copy().digest("hex")}`;
    const hash = createHash("sha512");
    if (session.held) for (const chunk of session.held) hash.update(chunk);
    else for await (const chunk of createReadStream(session.path)) hash.update(chunk as Buffer);
    return `sha512:${hash.digest("hex")}`;
  }

  async cancelUpload(session: UploadSession): Promise<void> {
    this.#uploads.delete(session.id);
    const inMemory = session.held !== undefined;
    session.held = undefined;
    if (!inMemory) await rm(session.path, { force: true });
  }

  /** Moves a finished upload to its content address and links it into its repository. */
  async commitUpload(session: UploadSession, digest: string): Promise<void> {
    this.#uploads.delete(session.id);
    const held = session.held;
    session.held = undefined;
    if (this.#durable) await syncPath(session.path);
    await this.#locked(async () => {
      if (held) await this.#keep(concatOwn(held), digest);
      else await this.#place(session.path, digest);
      await this.#mutate(session.repository, (record) => {
        if (!record.blobs.includes(digest)) record.blobs.push(digest);
      });
    });
  }

  /** Links a blob another repository holds (cross-repository mount). */
  async mount(repository: string, digest: string): Promise<void> {
    await this.#locked(() =>
      this.#mutate(repository, (record) => {
        if (!record.blobs.includes(digest)) record.blobs.push(digest);
      }),
    );
  }

  /** Unlinks a blob from a repository; false when it was not linked. */
  async deleteBlob(repository: string, digest: string): Promise<boolean> {
    return this.#locked(async () => {
      let found = false;
      await this.#mutate(repository, (record) => {
        const at = record.blobs.indexOf(digest);
        if (at >= 0) {
          record.blobs.splice(at, 1);
          found = true;
        }
      });
      if (found) await this.#collect(digest);
      return found;
    });
  }

  /**
   * Stores a manifest's bytes and records it (and the tag, when pushed by
   * tag). `check` runs under the lock, on the repository as it is then: the
   * blobs a manifest names must not be deleted between the check and the record.
   */
  async putManifest(
    repository: string,
    bytes: Buffer,
    manifest: StoredManifest,
    tag: string | undefined,
    check: (has: (digest: string) => boolean, tagTarget: string | undefined) => void,
  ): Promise<void> {
    await this.#ensureDirs();
    // Without a data directory, the bytes go to their place in one step under the lock (memory or a file).
    const staged = this.#durable ? join(this.#dir, "uploads", `${randomUUID()}.manifest`) : undefined;
    if (staged) {
      const handle = await open(staged, "wx");
      try {
        await writeAll(handle, bytes);
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    try {
      await this.#locked(async () => {
        const record = this.#repositories.get(repository);
        check((digest) => (record?.blobs.includes(digest) ?? false) || record?.manifests[digest] !== undefined, tag === undefined ? undefined : record?.tags[tag]);
        if (staged) await this.#place(staged, manifest.digest);
        else await this.#keep(bytes, manifest.digest);
        // A tag that moves leaves its old manifest in place: it is still reachable by digest.
        await this.#mutate(repository, (r) => {
          r.manifests[manifest.digest] = manifest;
          if (tag !== undefined) r.tags[tag] = manifest.digest;
        });
      });
    } finally {
      if (staged) await rm(staged, { force: true });
    }
  }

  /** Deletes a manifest by digest and every tag on it; false when unknown. */
  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    return this.#locked(async () => {
      let found = false;
      await this.#mutate(repository, (record) => {
        if (record.manifests[digest] === undefined) return;
        found = true;
        delete record.manifests[digest];
        for (const [tag, target] of Object.entries(record.tags)) if (target === digest) delete record.tags[tag];
      });
      if (found) await this.#collect(digest);
      return found;
    });
  }

  /** Deletes a tag (the manifest stays, reachable by digest); false when unknown. */
  async deleteTag(repository: string, tag: string): Promise<boolean> {
    return this.#locked(async () => {
      let found = false;
      await this.#mutate(repository, (record) => {
        if (record.tags[tag] === undefined) return;
        found = true;
        delete record.tags[tag];
      });
      return found;
    });
  }

  /** Drops unfinished uploads (the registry is closing). */
  async close(): Promise<void> {
    await this.#locked(async () => {
      for (const session of [...this.#uploads.values()]) await this.cancelUpload(session);
    });
  }

  #dirs: Promise<void> | undefined;

  /** The directories, made on first use. */
  #ensureDirs(): Promise<void> {
    this.#dirs ??= (async () => {
      for (const sub of ["uploads", "blobs", "repositories"]) await mkdir(join(this.#dir, sub), { recursive: true });
    })();
    return this.#dirs;
  }

  #locked<T>(step: () => Promise<T>): Promise<T> {
    const { gate, result } = queueBehind(this.#lock, step);
    this.#lock = gate;
    return result;
  }

  /** Renames a staged file to the blob's content address (an existing copy holds the same bytes and stays). */
  async #place(staged: string, digest: string): Promise<void> {
    const target = this.blobPath(digest);
    const dir = join(target, "..");
    await mkdir(dir, { recursive: true });
    await rename(staged, target);
    if (this.#durable) await syncPath(dir);
  }

  /**
   * Keeps bytes already in memory at their content address (no data
   * directory): in memory while the budget allows, else in a file. A copy
   * already there holds the same bytes and stays.
   */
  async #keep(bytes: Buffer, digest: string): Promise<void> {
    if (this.#held.has(digest)) return;
    if (this.#memory?.take(bytes.byteLength)) {
      // Its own buffer: a view into a larger one (a request body's pool) would keep all of it alive.
      this.#held.set(digest, bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : concatOwn([bytes]));
      return;
    }
    const target = this.blobPath(digest);
    await mkdir(join(target, ".."), { recursive: true });
    await writeFile(target, bytes);
  }

  /** Changes a repository record and writes it (durably with a data directory) before anyone sees it. */
  async #mutate(repository: string, change: (record: RepositoryRecord) => void): Promise<void> {
    const current = this.#repositories.get(repository);
    const next: RepositoryRecord = current
      ? { name: current.name, blobs: [...current.blobs], manifests: { ...current.manifests }, tags: { ...current.tags } }
      : { name: repository, blobs: [], manifests: {}, tags: {} };
    change(next);
    // A temporary registry never reads its records back: memory is enough.
    if (!this.#durable) {
      this.#repositories.set(repository, next);
      return;
    }
    await this.#ensureDirs();
    const file = join(this.#dir, "repositories", `${createHash("sha256").update(repository).digest("hex")}.json`);
    const temp = `${file}.${randomUUID()}.tmp`;
    const handle = await open(temp, "wx");
    try {
      await writeAll(handle, Buffer.from(JSON.stringify(next)));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
    await syncPath(join(file, ".."));
    this.#repositories.set(repository, next);
  }

  /** Removes a blob's bytes once no repository links it and no manifest names it. */
  async #collect(digest: string): Promise<void> {
    for (const record of this.#repositories.values()) {
      if (record.blobs.includes(digest) || record.manifests[digest] !== undefined) return;
      if (Object.values(record.manifests).some((m) => m.references.includes(digest))) return;
    }
    const held = this.#held.get(digest);
    if (held) {
      this.#held.delete(digest);
      this.#memory?.give(held.byteLength);
    }
    await rm(this.blobPath(digest), { force: true });
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    offset += bytesWritten;
  }
}

async function syncPath(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function isRepositoryRecord(value: unknown): value is RepositoryRecord {
  return (
    isRecord(value) &&
    typeof value.name === "string" &&
    Array.isArray(value.blobs) &&
    value.blobs.every((b) => typeof b === "string") &&
    isRecord(value.manifests) &&
    isRecord(value.tags)
  );
}
