/**
 * The data directory of a persistent reference registry (`--data-dir`): its
 * marker file, the checks made before anything in it is trusted or changed,
 * and the file-system steps that make a write survive a crash (temp file,
 * fsync, rename, fsync of the directory).
 *
 * Layout (version {@link DATA_DIR_LAYOUT}):
 *
 * ```
 * regkit-data.json                              marker: {"kind": ..., "layout": 1}
 * blobs/.staging/<random>                       uploads being received (swept on start)
 * blobs/<project>/<segment>/<sha256[0:2]>/<sha256>
 * metadata/<project>/<segment>/<sha256(name)>.json
 * hosted/<segment>/...                          a format's host routes' own files (OCI)
 * ```
 */
import { randomBytes } from "node:crypto";
import type { Dirent } from "node:fs";
import { type FileHandle, mkdir, open, readFile, readdir, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { ConfigError, REGKIT_VERSION } from "@regkit/core";

/** The marker file at the root of every data directory regkit wrote. */
export const DATA_DIR_MARKER = "regkit-data.json";
/** The layout this regkit writes and reads; a marker naming a higher one is refused. */
export const DATA_DIR_LAYOUT = 1;
const MARKER_KIND = "regkit reference registry data directory";
/** What regkit writes at the top of a data directory (`hosted/<segment>`: formats' host routes, such as OCI's). */
const REGKIT_ENTRIES = new Set(["blobs", "metadata", "hosted"]);
/** What a mount point may hold before anyone wrote to it. */
const MOUNT_LEFTOVERS = new Set(["lost+found"]);
/** Format segments, as the registry accepts them (registry.ts refuses others). */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A data directory regkit will not use: not its own, written by a newer
 * regkit, or damaged. A {@link ConfigError}, so `regkit serve` prints the
 * message on one line and exits 2 instead of crashing.
 */
export class DataDirError extends ConfigError {
  /** The file or directory at fault. */
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`data directory check failed: ${file}: ${problem}`);
    this.name = "DataDirError";
    this.file = file;
  }
}

/** The paths of an opened data directory, and the step that marks it ours once every store in it checked out. */
export interface OpenedDataDir {
  readonly root: string;
  readonly blobRoot: string;
  readonly stagingDir: string;
  readonly metaRoot: string;
  /** Writes the marker when the directory had none (a new one, or one written before markers existed). */
  seal(): Promise<void>;
}

/**
 * Checks that `root` is a regkit data directory this regkit can read (or an
 * empty or absent one), sweeps what a crash left in staging, and answers its
 * paths. Throws {@link DataDirError} naming the first file that is not ours.
 * Only the top levels are checked here; each store checks its own files.
 */
export async function openDataDir(root: string, projects: readonly number[]): Promise<OpenedDataDir> {
  return asDataDirError(async () => {
    await makeDirDurable(root);
    const entries = await readdir(root);
    // A marker write interrupted by a crash leaves its temp file; nothing else was written yet.
    for (const entry of entries.filter((e) => isTempOf(e, DATA_DIR_MARKER))) await rm(join(root, entry), { force: true });
    const marked = entries.includes(DATA_DIR_MARKER);
    if (marked) {
      await checkMarker(join(root, DATA_DIR_MARKER));
    } else {
      const foreign = entries.find((e) => !REGKIT_ENTRIES.has(e) && !MOUNT_LEFTOVERS.has(e) && !isTempOf(e, DATA_DIR_MARKER));
      if (foreign !== undefined) {
        throw new DataDirError(
          join(root, foreign),
          `is not regkit's: the directory has no ${DATA_DIR_MARKER} and holds files regkit did not write; give --data-dir an empty or new directory`,
        );
      }
    }
    const blobRoot = join(root, "blobs");
    const metaRoot = join(root, "metadata");
    const projectNames = new Set(projects.map(String));
    await checkTree(blobRoot, (entry) => entry === ".staging" || projectNames.has(entry));
    await checkTree(metaRoot, (entry) => projectNames.has(entry));
    const stagingDir = join(blobRoot, ".staging");
    // Whatever is in staging was never committed: an upload cut short by a crash.
    await rm(stagingDir, { recursive: true, force: true });
    await makeDirDurable(stagingDir);
    await makeDirDurable(metaRoot);
    return {
      root,
      blobRoot,
      stagingDir,
      metaRoot,
      seal: async () => {
        if (marked) return;
        await asDataDirError(() =>
          writeFileDurable(join(root, DATA_DIR_MARKER), `${JSON.stringify({ kind: MARKER_KIND, layout: DATA_DIR_LAYOUT, createdBy: `regkit ${REGKIT_VERSION}` })}\n`),
        );
      },
    };
  });
}

/** The marker must be ours and name a layout this regkit reads. */
async function checkMarker(path: string): Promise<void> {
  let marker: unknown;
  try {
    marker = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    if (error instanceof SyntaxError) throw new DataDirError(path, `is not valid JSON (${error.message}); it should be ${JSON.stringify({ kind: MARKER_KIND, layout: DATA_DIR_LAYOUT })}`);
    throw error;
  }
  if (!isRecord(marker) || marker.kind !== MARKER_KIND) {
    throw new DataDirError(path, `is not regkit's marker (expected "kind": ${JSON.stringify(MARKER_KIND)}): this directory belongs to something else`);
  }
  const layout = marker.layout;
  if (typeof layout !== "number" || !Number.isInteger(layout) || layout < 1) {
    throw new DataDirError(path, `names an unknown layout ${JSON.stringify(layout)} (this regkit reads layout ${DATA_DIR_LAYOUT})`);
  }
  if (layout > DATA_DIR_LAYOUT) {
    throw new DataDirError(path, `names layout ${layout}, written by a newer regkit; this regkit ${REGKIT_VERSION} reads layout ${DATA_DIR_LAYOUT} only: run the newer regkit, or give --data-dir another directory`);
  }
}

/**
 * `blobs/` and `metadata/`: `<project>/<segment>/`, all directories. Segments
 * of formats not served now are left alone (they are ours, kept for a later run).
 */
async function checkTree(dir: string, topLevel: (entry: string) => boolean): Promise<void> {
  const top = await entriesOf(dir);
  if (!top) return;
  for (const project of top) {
    const path = join(dir, project.name);
    if (!topLevel(project.name)) throw new DataDirError(path, `is not regkit's: ${dir} holds only project directories (and blobs/.staging)`);
    if (!project.isDirectory()) throw new DataDirError(path, "should be a directory");
    if (project.name === ".staging") continue;
    for (const segment of (await entriesOf(path)) ?? []) {
      const segmentPath = join(path, segment.name);
      if (!SEGMENT.test(segment.name) || !segment.isDirectory()) {
        throw new DataDirError(segmentPath, `is not regkit's: ${path} holds only one directory per format`);
      }
    }
  }
}

/** The entries of a directory; undefined when it does not exist; a {@link DataDirError} when it is a file. */
async function entriesOf(dir: string): Promise<Dirent[] | undefined> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (codeOf(error) === "ENOENT") return undefined;
    if (codeOf(error) === "ENOTDIR") throw new DataDirError(dir, "should be a directory");
    throw error;
  }
}

/**
 * Runs a step of opening the data directory, turning a file-system failure
 * (no permission, a file where a directory should be) into a {@link DataDirError}
 * naming the path, so the CLI prints one line rather than a stack trace.
 */
export async function asDataDirError<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof DataDirError) throw error;
    const path = isRecord(error) && typeof error.path === "string" ? error.path : undefined;
    const code = codeOf(error);
    if (path !== undefined && code !== undefined) {
      const what = code === "ENOTDIR" || code === "EEXIST" ? "should be a directory" : `cannot be used (${error instanceof Error ? error.message : code})`;
      throw new DataDirError(path, what);
    }
    throw error;
  }
}

/** The temp name of a durable write of `name` (same directory, so the rename stays on one file system). */
export function tempNameOf(name: string): string {
  return `${name}.${randomBytes(6).toString("hex")}.tmp`;
}

/** Whether `entry` is a temp file a durable write of `name` left behind. */
export function isTempOf(entry: string, name: string): boolean {
  return entry.startsWith(`${name}.`) && /^\.[0-9a-f]{12}\.tmp$/.test(entry.slice(name.length));
}

/**
 * Writes a file so that after a crash it holds either its old content or the
 * new one, never a part: temp file in the same directory, fsync, rename over
 * the target, fsync of the directory (which makes the rename itself durable).
 */
export async function writeFileDurable(path: string, data: string | Uint8Array): Promise<void> {
  const temp = join(dirname(path), tempNameOf(basename(path)));
  try {
    const handle = await open(temp, "wx");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dirname(path));
}

/** Flushes a file's bytes to the disk. */
export async function syncFile(path: string): Promise<void> {
  await withHandle(path, "r+", (handle) => handle.sync());
}

/**
 * Flushes a directory's entries (a rename into it, a new file, a deletion).
 * Windows cannot open a directory for this, and its renames are journaled
 * by NTFS already.
 */
export async function syncDir(path: string): Promise<void> {
  if (process.platform === "win32") return;
  await withHandle(path, "r", (handle) => handle.sync());
}

/** `mkdir -p`, and every new directory recorded durably in its parent. */
export async function makeDirDurable(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true });
  if (first === undefined) {
    const found = await stat(path);
    if (!found.isDirectory()) throw new DataDirError(path, "should be a directory");
    return;
  }
  // Every directory from `first` down to `path` is new: each parent must record its child.
  for (let dir = path; ; dir = dirname(dir)) {
    await syncDir(dirname(dir));
    if (dir === first || dirname(dir) === dir) break;
  }
}

async function withHandle(path: string, flags: string, use: (handle: FileHandle) => Promise<void>): Promise<void> {
  const handle = await open(path, flags);
  try {
    await use(handle);
  } finally {
    await handle.close();
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function codeOf(error: unknown): string | undefined {
  return isRecord(error) && typeof error.code === "string" ? error.code : undefined;
}
