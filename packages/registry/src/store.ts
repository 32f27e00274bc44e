import { createHash, randomBytes } from "node:crypto";
import { type Dirent, createReadStream, createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { type Digests, concatOwn, digestOf } from "@regkit/core";
import {
  type CommitOutcome,
  type PackageStore,
  type StagedFile,
  type StoredFile,
  type StoredPackage,
  type StoredVersion,
  ReferenceError413,
  ReferenceHttpError,
} from "./contract.js";
import { DataDirError, asDataDirError, isRecord, makeDirDurable, syncDir, syncFile, writeFileDurable } from "./datadir.js";
import { KeyedMutex, Mutex } from "./mutex.js";
import { BlobMemory, blobMemoryBudget } from "./blob-memory.js";
import { RenderCache, renderCacheBudget } from "./render-cache.js";

/** Uploads up to this size are held in memory until committed (stores without a data directory), larger ones staged to a file. */
const STAGE_IN_MEMORY = 1024 * 1024;

type Staged = StagedFile & { readonly id: string };
type CommitInput = Parameters<PackageStore["commit"]>[0];

/** Where one store keeps its bytes and (optionally) its metadata. */
export interface StoreLocation {
  /** Content-addressed blobs of this store: `<dir>/<sha256[0:2]>/<sha256>`. */
  readonly blobDir: string;
  /** Shared scratch directory on the same file system (renames must not cross devices). */
  readonly stagingDir: string;
  /**
   * One JSON file per package; absent: metadata lives in memory only. When
   * set, the store is durable: every write is fsynced before it is shown, and
   * opening checks every record and blob (see {@link FilePackageStore.open}).
   */
  readonly metaDir?: string | undefined;
  /** Where renderings of this store's packages are kept (a registry shares one among its stores); default a store's own. */
  readonly renderCache?: RenderCache | undefined;
  /**
   * The budget for small blobs held in memory instead of on disk (stores
   * without `metaDir` only; a registry shares one among its stores); default
   * a store's own, of {@link blobMemoryBudget} bytes.
   */
  readonly blobMemory?: BlobMemory | undefined;
}

/** Told of every change to a package, once readers see it: the package as it is now, or undefined once removed. */
export type StoreListener = (name: string, pkg: StoredPackage | undefined) => void;

/**
 * The reference registry's package store: metadata in memory (mirrored to
 * JSON files when a data directory is set), file bytes on disk; without a
 * data directory, files up to 64 KiB are held in memory within a byte budget
 * the registry's stores share ({@link BlobMemory}).
 *
 * With a data directory a publish survives `kill -9` once answered, and leaves
 * nothing visible when cut short: the staged blob is fsynced, renamed to its
 * content address and its directory fsynced; only then is the package record
 * written (temp file, fsync, rename, directory fsync), and only then is the
 * version shown to readers and the request answered. A crash in between leaves
 * at most a staged file or a blob no record names, both swept on the next start.
 *
 * Two locks keep the promises of {@link PackageStore}: a per-package mutex
 * makes the duplicate check and the publish one step, and a store-wide blob
 * lock keeps "move a blob into place, then reference it" apart from "drop the
 * last reference, then delete the blob" (two packages may share content).
 */
export class FilePackageStore implements PackageStore {
  readonly #location: StoreLocation;
  readonly #packages = new Map<string, StoredPackage>();
  /** Uploads read but not yet committed: in a staging file (`path`) or, when small, in memory (`bytes`). */
  readonly #staged = new Map<string, { path: string; bytes?: undefined; file: Staged } | { path?: undefined; bytes: Buffer; file: Staged }>();
  /** Blob shard directories known to exist (a store without a data directory makes them as blobs arrive). */
  readonly #shards = new Set<string>();
  /** Small blobs held in memory (stores without a data directory), by sha256, within {@link BlobMemory}'s budget. */
  readonly #memory = new Map<string, Buffer>();
  readonly #blobMemory: BlobMemory;
  readonly #packageLocks = new KeyedMutex();
  readonly #blobLock = new Mutex();
  readonly #renderCache: RenderCache;
  readonly #listeners = new Set<StoreListener>();
  /** sha256 -> how many stored files name that blob: deciding whether a blob can go costs O(1), not a walk of the store. */
  readonly #refs = new Map<string, number>();
  #revision = 0;

  private constructor(location: StoreLocation) {
    this.#location = location;
    this.#renderCache = location.renderCache ?? new RenderCache(renderCacheBudget());
    this.#blobMemory = location.blobMemory ?? new BlobMemory(location.metaDir === undefined ? blobMemoryBudget() : 0);
  }

  /**
   * Opens a store. A durable one (with `metaDir`) first checks what a previous
   * run left: every record must parse and name blobs that exist with the
   * recorded size and sha256, and nothing but records, blobs and temp files may
   * sit in its directories; otherwise a {@link DataDirError} names the file.
   * Temp files and blobs no record names (left by a crash mid-write) are removed.
   */
  static async open(location: StoreLocation): Promise<FilePackageStore> {
    const store = new FilePackageStore(location);
    const { metaDir } = location;
    if (!metaDir) {
      await mkdir(location.blobDir, { recursive: true });
      await mkdir(location.stagingDir, { recursive: true });
      return store;
    }
    await asDataDirError(async () => {
      await makeDirDurable(location.blobDir);
      await makeDirDurable(metaDir);
      await store.#load(metaDir);
      await store.#checkBlobs();
    });
    return store;
  }

  /** Whether writes must survive a crash (a data directory is set). */
  get #durable(): boolean {
    return this.#location.metaDir !== undefined;
  }

  async names(): Promise<readonly string[]> {
    return [...this.#packages.keys()].sort(compareCodeUnits);
  }

  async get(name: string): Promise<StoredPackage | undefined> {
    return this.#packages.get(name);
  }

  rendered(pkg: StoredPackage, representation: string, render: () => string | Uint8Array): Uint8Array {
    // A package object a change has replaced since the caller read it is
    // rendered for that caller, but not kept: nobody can ask for it again.
    return this.#renderCache.rendered(pkg, representation, render, this.holds(pkg));
  }

  /** Whether `pkg` is this store's current revision of its package. */
  holds(pkg: StoredPackage): boolean {
    return this.#packages.get(pkg.name) === pkg;
  }

  /** Every package as it stands, at once (no await between them): for indexes built while serving. */
  packages(): IterableIterator<StoredPackage> {
    return this.#packages.values();
  }

  /**
   * Calls `listener` after every change readers can see (publish, metadata
   * change, removal), synchronously, before the change is answered. Answers
   * the function that stops the calls.
   */
  watch(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Reads an upload and digests it. A store without a data directory keeps an
   * upload of up to {@link STAGE_IN_MEMORY} bytes in memory until it is
   * committed or discarded (most uploads are small: a file and its checksum
   * files, a manifest), so it costs at most one file write, into its place
   * (none when it stays in memory), instead of a staging file and a rename. Larger uploads, and every upload to a
   * durable store, go to a staging file (fsynced when durable).
   */
  async stage(source: AsyncIterable<Uint8Array>, maxSize: number): Promise<Staged> {
    const id = randomBytes(16).toString("hex");
    let size = 0;
    // A request body must survive an early stop: destroying it would reset the
    // socket before the client reads our 413.
    const input: AsyncIterable<Uint8Array> =
      source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source;
    const chunks = input[Symbol.asyncIterator]();
    const next = async (): Promise<Buffer | undefined> => {
      const step = await chunks.next();
      if (step.done) return undefined;
      const piece: Uint8Array | string = step.value;
      const chunk = typeof piece === "string" ? Buffer.from(piece) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
      size += chunk.byteLength;
      if (maxSize > 0 && size > maxSize) throw new ReferenceError413(maxSize);
      return chunk;
    };
    // The first bytes, in memory, up to the point where the upload no longer fits there.
    const held: Buffer[] = [];
    let ended = false;
    try {
      while (size <= STAGE_IN_MEMORY) {
        const chunk = await next();
        if (!chunk) {
          ended = true;
          break;
        }
        held.push(chunk);
      }
    } catch (error) {
      await chunks.return?.();
      throw error;
    }
    if (ended && !this.#durable) {
      // A buffer of its own (not cut from Node's shared pool), so #place can keep it as it is.
      const bytes = concatOwn(held, size);
      const file: Staged = { id, size, digests: (await digestOf(bytes)).digests };
      this.#staged.set(id, { bytes, file });
      return file;
    }
    const path = join(this.#location.stagingDir, id);
    async function* rest(): AsyncGenerator<Buffer> {
      yield* held;
      held.length = 0;
      if (ended) return;
      try {
        for (let chunk = await next(); chunk; chunk = await next()) yield chunk;
      } finally {
        await chunks.return?.();
      }
    }
    let digests: Digests;
    try {
      await pipeline(rest(), createWriteStream(path, { flags: "wx" }));
      // Large uploads are digested once their size is known to be within the
      // limit, from the file just written (still in the page cache): an upload
      // refused for its size costs no hashing. A durable store flushes the bytes
      // meanwhile: the blob must be on disk before a record may name it.
      const [digested] = await Promise.all([
        digestOf(createReadStream(path, { highWaterMark: 1024 * 1024 })),
        this.#durable ? syncFile(path) : undefined,
      ]);
      digests = digested.digests;
    } catch (error) {
      await rm(path, { force: true });
      throw error;
    }
    const file: Staged = { id, size, digests };
    this.#staged.set(id, { path, file });
    return file;
  }

  async discard(staged: { readonly id: string }): Promise<void> {
    const entry = this.#staged.get(staged.id);
    if (!entry) return;
    this.#staged.delete(staged.id);
    if (entry.path !== undefined) await rm(entry.path, { force: true });
  }

  async commit(input: CommitInput): Promise<CommitOutcome> {
    try {
      return await this.#commit(input);
    } catch (error) {
      // Whatever the failure, files handed to a commit never linger in staging.
      await Promise.all(input.files.map((file) => this.discard(file.staged)));
      throw error;
    }
  }

  async #commit(input: CommitInput): Promise<CommitOutcome> {
    const { name, version, files } = input;
    const filenames = this.#checkCommit(input);
    return this.#packageLocks.run(name, async () => {
      const current = this.#packages.get(name);
      const existing = current?.versions.find((v) => v.version === version);
      const taken = input.fileDuplicates === "reject" && existing?.files.some((f) => filenames.has(f.filename));
      if (existing && (input.duplicates === "reject" || taken)) {
        await Promise.all(files.map((file) => this.discard(file.staged)));
        return { kind: "duplicate" } as const;
      }
      // The format's update runs before any blob moves, so a throwing update changes nothing.
      // It gets the stored metadata (frozen) and answers a new object: no copy of the whole is made per commit.
      const stored = current?.metadata ?? {};
      const metadata = input.update ? input.update(stored) : stored;
      const versionMetadata = jsonClone(input.metadata);

      return this.#blobLock.run(async () => {
        const now = new Date().toISOString();
        const placed: string[] = [];
        try {
          for (const file of files) placed.push(await this.#place(file.staged.id));
          const next = committedVersion(input, existing, versionMetadata, now);
          const versions = existing
            ? (current?.versions ?? []).map((v) => (v === existing ? next : v))
            : [...(current?.versions ?? []), next];
          await this.#publish({
            name,
            versions,
            metadata,
            revision: ++this.#revision,
            createdAt: current?.createdAt ?? now,
            updatedAt: now,
          });
        } catch (error) {
          await this.#collect(placed);
          throw error;
        }
        if (existing) await this.#collect(existing.files.map((f) => f.digests.sha256));
        return { kind: existing ? "updated" : "created" } as const;
      });
    });
  }

  /** Refuses a commit without a package name, version or file name, or with a file twice; answers its file names. */
  #checkCommit(input: CommitInput): Set<string> {
    const { name, version, files } = input;
    if (!name) throw new ReferenceHttpError(400, "Package name is empty.");
    if (!version) throw new ReferenceHttpError(400, "Package version is empty.");
    const filenames = new Set<string>();
    const ids = new Set<string>();
    for (const file of files) {
      if (!file.filename) throw new ReferenceHttpError(400, "File name is empty.");
      if (filenames.has(file.filename)) throw new ReferenceHttpError(400, `File ${file.filename} is given twice.`);
      if (ids.has(file.staged.id) || !this.#staged.has(file.staged.id)) {
        // A programming error of the format, not of the client.
        throw new Error(`commit of ${name}@${version}: staged file ${file.staged.id} is unknown or already used`);
      }
      filenames.add(file.filename);
      ids.add(file.staged.id);
    }
    return filenames;
  }

  async updateMetadata(
    name: string,
    update: (metadata: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<boolean> {
    return this.#packageLocks.run(name, async () => {
      const current = this.#packages.get(name);
      if (!current) return false;
      const metadata = update(current.metadata);
      await this.#publish({
        ...current,
        metadata,
        revision: ++this.#revision,
        updatedAt: new Date().toISOString(),
      });
      return true;
    });
  }

  async open(
    name: string,
    version: string,
    filename: string,
  ): Promise<(StoredFile & { stream(): Readable }) | undefined> {
    const file = this.#packages
      .get(name)
      ?.versions.find((v) => v.version === version)
      ?.files.find((f) => f.filename === filename);
    if (!file) return undefined;
    const held = this.#memory.get(file.digests.sha256);
    if (held) return { ...file, stream: () => Readable.from([held], { objectMode: false }) };
    const path = this.#blobPath(file.digests.sha256);
    return { ...file, stream: () => createReadStream(path) };
  }

  async remove(name: string, version?: string): Promise<boolean> {
    return this.#packageLocks.run(name, () =>
      this.#blobLock.run(async () => {
        const current = this.#packages.get(name);
        if (!current) return false;
        const gone = version === undefined ? current.versions : current.versions.filter((v) => v.version === version);
        if (gone.length === 0) return false;
        const versions = current.versions.filter((v) => !gone.includes(v));
        if (versions.length === 0) {
          await this.#unpublish(name);
        } else {
          await this.#publish({ ...current, versions, revision: ++this.#revision, updatedAt: new Date().toISOString() });
        }
        await this.#collect(gone.flatMap((v) => v.files.map((f) => f.digests.sha256)));
        return true;
      }),
    );
  }

  /**
   * Removes one file of a version (GitLab's `DELETE .../package_files/:id`);
   * the version stays, with the files it has left, as GitLab keeps the package
   * record. False when the version or the file is absent.
   */
  async removeFile(name: string, version: string, filename: string): Promise<boolean> {
    return this.#packageLocks.run(name, () =>
      this.#blobLock.run(async () => {
        const current = this.#packages.get(name);
        const target = current?.versions.find((v) => v.version === version);
        const file = target?.files.find((f) => f.filename === filename);
        if (!current || !target || !file) return false;
        const kept: StoredVersion = { ...target, files: target.files.filter((f) => f !== file) };
        const versions = current.versions.map((v) => (v === target ? kept : v));
        await this.#publish({ ...current, versions, revision: ++this.#revision, updatedAt: new Date().toISOString() });
        await this.#collect([file.digests.sha256]);
        return true;
      }),
    );
  }

  /** Removes every staged file (at close). */
  async discardAll(): Promise<void> {
    await Promise.all([...this.#staged.keys()].map((id) => this.discard({ id })));
  }

  /**
   * Moves a staged (and, when durable, already fsynced) file to its content
   * address; identical content is kept once. A durable store fsyncs the
   * directory, so the blob is on disk under its name before any record names it.
   */
  async #place(id: string): Promise<string> {
    const entry = this.#staged.get(id);
    if (!entry) throw new Error(`staged file ${id} vanished`);
    this.#staged.delete(id);
    const sha256 = entry.file.digests.sha256;
    const target = this.#blobPath(sha256);
    if (entry.path === undefined) {
      // A blob a stored file names is already in place (in memory or on disk): identical content is kept once.
      if (this.#refs.has(sha256) || this.#memory.has(sha256)) return sha256;
      // Its buffer is its own (see stage): a slice of Node's shared pool would keep the whole slab alive, past the budget's count.
      if (this.#blobMemory.take(entry.bytes.byteLength)) {
        this.#memory.set(sha256, entry.bytes);
      } else {
        await this.#writeBlob(target, entry.bytes);
      }
      return sha256;
    }
    try {
      if (await exists(target)) {
        await rm(entry.path, { force: true });
      } else if (this.#durable) {
        await makeDirDurable(dirname(target));
        await rename(entry.path, target);
        await syncDir(dirname(target));
      } else {
        await mkdir(dirname(target), { recursive: true });
        await rename(entry.path, target);
      }
    } catch (error) {
      await rm(entry.path, { force: true });
      throw error;
    }
    return sha256;
  }

  /**
   * Writes a small upload held in memory to its content address (stores
   * without a data directory only). A blob already there holds the same
   * bytes and stays; a write that fails leaves no part of a blob behind.
   * Runs under the blob lock, so no reader or collector meets it half written:
   * no record names it yet.
   */
  async #writeBlob(target: string, bytes: Buffer): Promise<void> {
    const shard = dirname(target);
    if (!this.#shards.has(shard)) {
      await mkdir(shard, { recursive: true });
      this.#shards.add(shard);
    }
    try {
      await writeFile(target, bytes, { flag: "wx" });
    } catch (error) {
      if (isRecord(error) && error.code === "EEXIST") return;
      await rm(target, { force: true });
      throw error;
    }
  }

  /** Deletes the blobs among `candidates` that no stored file references any more. */
  async #collect(candidates: readonly string[]): Promise<void> {
    for (const sha256 of new Set(candidates)) {
      if (this.#refs.has(sha256)) continue;
      const held = this.#memory.get(sha256);
      if (held) {
        this.#memory.delete(sha256);
        this.#blobMemory.give(held.byteLength);
      } else {
        await rm(this.#blobPath(sha256), { force: true });
      }
    }
  }

  /**
   * Moves the blob reference counts from `before` to `after` (either may be
   * absent). A change keeps the version objects it does not touch, so only
   * the versions that differ by identity are counted: a publish into a
   * 300-version package counts one version's files, not all of them.
   */
  #recount(before: StoredPackage | undefined, after: StoredPackage | undefined): void {
    const kept = new Set(after?.versions);
    const old = new Set(before?.versions);
    for (const v of before?.versions ?? []) if (!kept.has(v)) this.#countFiles(v, -1);
    for (const v of after?.versions ?? []) if (!old.has(v)) this.#countFiles(v, 1);
  }

  #countFiles(version: StoredVersion, delta: 1 | -1): void {
    for (const f of version.files) {
      const sha256 = f.digests.sha256;
      const n = (this.#refs.get(sha256) ?? 0) + delta;
      if (n > 0) this.#refs.set(sha256, n);
      else this.#refs.delete(sha256);
    }
  }

  /**
   * Persists, then shows: readers never see what a restart would lose. The
   * record replaces the previous one in a single rename, so after a crash the
   * package is either as it was or as it is now.
   */
  async #publish(pkg: StoredPackage): Promise<void> {
    const frozen = deepFreeze(pkg);
    const dir = this.#location.metaDir;
    if (dir) await writeFileDurable(join(dir, metaFileName(pkg.name)), JSON.stringify(frozen));
    const previous = this.#packages.get(pkg.name);
    this.#packages.set(pkg.name, frozen);
    this.#recount(previous, frozen);
    this.#changed(pkg.name, previous, frozen);
  }

  async #unpublish(name: string): Promise<void> {
    const dir = this.#location.metaDir;
    if (dir) {
      await rm(join(dir, metaFileName(name)), { force: true });
      // An answered delete must stay done after a crash.
      await syncDir(dir);
    }
    const previous = this.#packages.get(name);
    this.#packages.delete(name);
    this.#recount(previous, undefined);
    this.#changed(name, previous, undefined);
  }

  /** Renderings of the replaced revision go at once (they can never be served again); then the listeners hear of it. */
  #changed(name: string, previous: StoredPackage | undefined, current: StoredPackage | undefined): void {
    if (previous) this.#renderCache.forget(previous);
    for (const listener of this.#listeners) listener(name, current);
  }

  #blobPath(sha256: string): string {
    return join(this.#location.blobDir, sha256.slice(0, 2), sha256);
  }

  /**
   * Reads every package record of a durable store. Temp files of a write a
   * crash interrupted are removed; a record that does not parse or is not a
   * package, a record under another package's file name, or any other file is
   * a {@link DataDirError}: the registry refuses to start rather than serve a
   * silently shrunken store (see the README's "Data directory").
   */
  async #load(dir: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (TEMP_RECORD.test(entry.name)) {
        await rm(path, { force: true });
        continue;
      }
      if (!RECORD.test(entry.name) || !entry.isFile()) {
        throw new DataDirError(path, `is not regkit's: ${dir} holds only package records (<sha256 of the name>.json)`);
      }
      const pkg = parseRecord(path, await readFile(path, "utf8"));
      if (metaFileName(pkg.name) !== entry.name) {
        throw new DataDirError(path, `holds package ${JSON.stringify(pkg.name)}, whose record belongs in ${metaFileName(pkg.name)}: a file copied or renamed by hand`);
      }
      this.#packages.set(pkg.name, deepFreeze(pkg));
      this.#recount(undefined, pkg);
      this.#revision = Math.max(this.#revision, pkg.revision);
    }
  }

  /**
   * Every blob a record names must exist with the recorded size and sha256
   * (blobs are content-addressed, so the sha256 is also the file name); the
   * blob directory holds nothing else. Blobs no record names were placed by a
   * publish a crash cut short, or left by a removal: they are deleted.
   */
  async #checkBlobs(): Promise<void> {
    const present = await this.#blobsOnDisk();
    const checked = new Map<string, number>();
    for (const pkg of this.#packages.values()) {
      const record = join(this.#location.metaDir ?? "", metaFileName(pkg.name));
      for (const v of pkg.versions) {
        for (const file of v.files) {
          const sha256 = file.digests.sha256;
          const path = this.#blobPath(sha256);
          const what = `${JSON.stringify(pkg.name)} ${v.version} ${file.filename} (record ${record})`;
          const hint = `restore the blob, or remove ${record} to drop package ${JSON.stringify(pkg.name)}`;
          if (!present.has(sha256)) throw new DataDirError(path, `is missing: it holds the bytes of ${what}; ${hint}`);
          let size = checked.get(sha256);
          if (size === undefined) {
            size = (await stat(path)).size;
            const actual = size === file.size ? await sha256Of(path) : sha256;
            if (actual !== sha256) {
              throw new DataDirError(path, `has sha256 ${actual}, not the ${sha256} its name and the record of ${what} say: its bytes changed; ${hint}`);
            }
            checked.set(sha256, size);
          }
          if (size !== file.size) {
            throw new DataDirError(path, `holds ${size} bytes, but the record of ${what} says ${file.size}; ${hint}`);
          }
        }
      }
    }
    for (const sha256 of present) if (!checked.has(sha256)) await rm(this.#blobPath(sha256), { force: true });
  }

  /** The blobs in this store's directory; anything that is not one is a {@link DataDirError}. */
  async #blobsOnDisk(): Promise<Set<string>> {
    const dir = this.#location.blobDir;
    const found = new Set<string>();
    const foreign = (path: string): DataDirError =>
      new DataDirError(path, `is not regkit's: ${dir} holds only blobs, as <sha256[0:2]>/<sha256>`);
    for (const shard of await readdir(dir, { withFileTypes: true })) {
      const shardPath = join(dir, shard.name);
      if (!SHARD.test(shard.name) || !shard.isDirectory()) throw foreign(shardPath);
      const blobs: Dirent[] = await readdir(shardPath, { withFileTypes: true });
      for (const blob of blobs) {
        if (!BLOB.test(blob.name) || !blob.name.startsWith(shard.name) || !blob.isFile()) throw foreign(join(shardPath, blob.name));
        found.add(blob.name);
      }
    }
    return found;
  }
}

/**
 * The read-only view a group-level route gets: the union of its projects'
 * stores, where each package comes from the first project (in order) that has it.
 */
export class GroupPackageStore implements PackageStore {
  readonly #stores: readonly PackageStore[];

  constructor(stores: readonly PackageStore[]) {
    this.#stores = stores;
  }

  async names(): Promise<readonly string[]> {
    const all = new Set<string>();
    for (const store of this.#stores) for (const name of await store.names()) all.add(name);
    return [...all].sort(compareCodeUnits);
  }

  async get(name: string): Promise<StoredPackage | undefined> {
    return (await this.#owner(name))?.pkg;
  }

  async open(name: string, version: string, filename: string): Promise<(StoredFile & { stream(): Readable }) | undefined> {
    return (await this.#owner(name))?.store.open(name, version, filename);
  }

  rendered(pkg: StoredPackage, representation: string, render: () => string | Uint8Array): Uint8Array {
    // The project store that holds this very object keeps the rendering; the
    // representation names the group-level base URL, so it is not the project's.
    const owner = this.#stores.find((store) => store instanceof FilePackageStore && store.holds(pkg));
    if (owner) return owner.rendered(pkg, representation, render);
    const out = render();
    return typeof out === "string" ? Buffer.from(out, "utf8") : out;
  }

  async #owner(name: string): Promise<{ store: PackageStore; pkg: StoredPackage } | undefined> {
    for (const store of this.#stores) {
      const pkg = await store.get(name);
      if (pkg) return { store, pkg };
    }
    return undefined;
  }

  stage(): Promise<Staged> {
    return readOnly();
  }
  discard(): Promise<void> {
    return readOnly();
  }
  commit(): Promise<CommitOutcome> {
    return readOnly();
  }
  updateMetadata(): Promise<boolean> {
    return readOnly();
  }
  remove(): Promise<boolean> {
    return readOnly();
  }
}

function readOnly(): never {
  throw new ReferenceHttpError(405, "405 Method Not Allowed - group-level endpoints are read-only");
}

/**
 * The store a single request sees: whatever it stages and neither commits nor
 * discards is discarded when the request ends, so a failing route leaves no
 * staged bytes behind.
 *
 * Every format request at project level gets one, and nearly all of them are
 * reads that never stage: so it is one small object whose reads go straight
 * to the shared store, and the bookkeeping (the set of pending files, the
 * clean-up at the end of the request) only starts with a first `stage`.
 */
export class RequestScopedStore implements PackageStore {
  readonly #store: PackageStore;
  /** The request's clean-ups (exchange.ts), run once it is answered; this store joins them on its first `stage`. */
  readonly #cleanups: (() => Promise<void>)[];
  /** Staged by this request and not yet committed or discarded; undefined until the first `stage`. */
  #pending: Set<string> | undefined;

  constructor(store: PackageStore, cleanups: (() => Promise<void>)[]) {
    this.#store = store;
    this.#cleanups = cleanups;
  }

  names(): Promise<readonly string[]> {
    return this.#store.names();
  }
  get(name: string): Promise<StoredPackage | undefined> {
    return this.#store.get(name);
  }
  open(name: string, version: string, filename: string): Promise<(StoredFile & { stream(): Readable }) | undefined> {
    return this.#store.open(name, version, filename);
  }
  updateMetadata(name: string, update: (metadata: Record<string, unknown>) => Record<string, unknown>): Promise<boolean> {
    return this.#store.updateMetadata(name, update);
  }
  remove(name: string, version?: string): Promise<boolean> {
    return this.#store.remove(name, version);
  }
  rendered(pkg: StoredPackage, representation: string, render: () => string | Uint8Array): Uint8Array {
    return this.#store.rendered(pkg, representation, render);
  }

  async stage(source: AsyncIterable<Uint8Array>, maxSize: number): Promise<Staged> {
    const pending = (this.#pending ??= this.#track());
    const staged = await this.#store.stage(source, maxSize);
    pending.add(staged.id);
    return staged;
  }

  /** Starts the bookkeeping, before the first upload starts: the clean-up is in place however the route ends. */
  #track(): Set<string> {
    const pending = new Set<string>();
    this.#cleanups.push(() => this.#release(pending));
    return pending;
  }

  async discard(staged: { readonly id: string }): Promise<void> {
    this.#pending?.delete(staged.id);
    await this.#store.discard(staged);
  }

  async commit(input: CommitInput): Promise<CommitOutcome> {
    // Only a commit that went through owns its files; after a failed one they are still ours to drop.
    const outcome = await this.#store.commit(input);
    for (const file of input.files) this.#pending?.delete(file.staged.id);
    return outcome;
  }

  async #release(pending: Set<string>): Promise<void> {
    const ids = [...pending];
    pending.clear();
    await Promise.all(ids.map((id) => this.#store.discard({ id })));
  }
}

/**
 * The version a commit leaves: a new one, or the existing one with the
 * committed files replacing those of the same name (it keeps its creation time).
 */
function committedVersion(input: CommitInput, existing: StoredVersion | undefined, metadata: unknown, now: string): StoredVersion {
  const added: StoredFile[] = input.files.map((file) => ({
    filename: file.filename,
    size: file.staged.size,
    digests: { ...file.staged.digests },
    createdAt: now,
  }));
  if (!existing) return { version: input.version, files: added, metadata, createdAt: now };
  const replaced = new Set(input.files.map((file) => file.filename));
  return {
    version: input.version,
    files: [...existing.files.filter((f) => !replaced.has(f.filename)), ...added],
    metadata,
    createdAt: existing.createdAt,
  };
}

/** A package record's file name, a temp file of one (see `writeFileDurable`), a blob shard, a blob. */
const RECORD = /^[0-9a-f]{64}\.json$/;
const TEMP_RECORD = /^[0-9a-f]{64}\.json\.[0-9a-f]{12}\.tmp$/;
const SHARD = /^[0-9a-f]{2}$/;
const BLOB = /^[0-9a-f]{64}$/;

async function sha256Of(path: string): Promise<string> {
  const hash = createHash("sha256");
  await pipeline(createReadStream(path, { highWaterMark: 1024 * 1024 }), hash);
  return hash.digest("hex");
}

/**
 * A package record read back from disk, checked field by field: the store
 * and the formats trust these types, so a damaged record must stop here.
 */
function parseRecord(path: string, text: string): StoredPackage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataDirError(path, `is not valid JSON (${error instanceof Error ? error.message : String(error)}): a damaged package record; restore it, or remove it to drop that package`);
  }
  const problem = recordProblem(value);
  if (problem !== undefined) throw new DataDirError(path, `is not a package record: ${problem}; restore it, or remove it to drop that package`);
  return value as StoredPackage;
}

/** What makes `value` no {@link StoredPackage}, or undefined. */
function recordProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return "not a JSON object";
  if (typeof value.name !== "string" || value.name === "") return "no package name";
  if (!isRecord(value.metadata)) return "no package metadata object";
  if (typeof value.revision !== "number" || !Number.isSafeInteger(value.revision) || value.revision < 0) return "no revision number";
  if (typeof value.createdAt !== "string" || typeof value.updatedAt !== "string") return "no createdAt/updatedAt";
  if (!Array.isArray(value.versions)) return "no versions list";
  for (const [i, version] of value.versions.entries()) {
    const at = `versions[${i}]`;
    if (!isRecord(version) || typeof version.version !== "string" || version.version === "") return `${at} has no version`;
    if (typeof version.createdAt !== "string") return `${at} has no createdAt`;
    if (!Array.isArray(version.files)) return `${at} has no files list`;
    for (const [j, file] of version.files.entries()) {
      const where = `${at}.files[${j}]`;
      if (!isRecord(file) || typeof file.filename !== "string" || file.filename === "") return `${where} has no filename`;
      if (typeof file.size !== "number" || !Number.isSafeInteger(file.size) || file.size < 0) return `${where} has no size`;
      if (typeof file.createdAt !== "string") return `${where} has no createdAt`;
      const digests = file.digests;
      if (!isRecord(digests) || typeof digests.sha256 !== "string" || !BLOB.test(digests.sha256)) return `${where} has no sha256 digest`;
      for (const name of ["md5", "sha1", "sha512"]) if (typeof digests[name] !== "string") return `${where} has no ${name} digest`;
    }
  }
  return undefined;
}

/** Package names may hold any character: the file name is a digest of it. */
function metaFileName(name: string): string {
  return `${createHash("sha256").update(name).digest("hex")}.json`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stored metadata goes through JSON even in memory, so a format sees the same
 * values before and after a restart with a data directory (no Dates, no Maps).
 */
function jsonClone(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** Readers share the stored objects; freezing them turns an accidental write into an error. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
