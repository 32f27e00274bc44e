/**
 * The index behind GitLab's Packages API (`/projects/:id/packages[/:package_id]`):
 * every stored version of a project, by id and in listing order, kept up to
 * date by the stores' change notices rather than rebuilt per request.
 *
 * Before it, finding the version behind a `DELETE /projects/:id/packages/:id`
 * listed the whole project (O(n) per delete, O(n^2) for a cleanup), and the
 * id memo kept removed versions for the life of the process. Now a lookup is
 * one map access, a change costs the versions of the package that changed,
 * and a removed version leaves the index when it leaves the store.
 */
import { createHash } from "node:crypto";
import type { StoredPackage } from "./contract.js";
import type { FilePackageStore } from "./store.js";

/** One stored version as the index knows it. */
export interface IndexedVersion {
  readonly id: number;
  readonly segment: string;
  /** The stored package name and version (what the store answers to). */
  readonly name: string;
  readonly version: string;
  readonly createdAt: string;
}

/** A stable id for a stored version (the same after a restart with --data-dir): 48 bits of a hash. */
export function versionId(project: number, segment: string, name: string, version: string): number {
  const key = `${project}\u0000${segment}\u0000${name}\u0000${version}`;
  return Number.parseInt(createHash("sha256").update(key).digest("hex").slice(0, 12), 16);
}

/**
 * A stable id for a stored file of a version: 48 bits of a hash of where it
 * is and when it was created, so the upload's `select=package_file` answer and
 * the package files endpoint agree, and a restart with --data-dir keeps it.
 * The creation time is part of it because GitLab gives a replaced file (a
 * duplicate upload where duplicates are allowed) a new record and id.
 */
export function fileId(project: number, segment: string, name: string, version: string, file: { readonly filename: string; readonly createdAt: string }): number {
  const key = `file\u0000${project}\u0000${segment}\u0000${name}\u0000${version}\u0000${file.filename}\u0000${file.createdAt}`;
  return Number.parseInt(createHash("sha256").update(key).digest("hex").slice(0, 12), 16);
}

/** GitLab's list order: oldest first, ties by id. */
function before(a: IndexedVersion, b: IndexedVersion): boolean {
  return a.createdAt < b.createdAt || (a.createdAt === b.createdAt && a.id < b.id);
}

function compare(a: IndexedVersion, b: IndexedVersion): number {
  return before(a, b) ? -1 : before(b, a) ? 1 : 0;
}

/** The versions of one project, across its formats. */
class ProjectIndex {
  /** In listing order while `#sorted`; a Map, so a removal costs O(1) and keeps the order. */
  #byId = new Map<number, IndexedVersion>();
  #sorted = true;
  #last: IndexedVersion | undefined;
  /** `<segment>\0<name>` -> version -> id: what a package's change must compare against. */
  readonly #byPackage = new Map<string, Map<string, number>>();
  readonly #project: number;

  constructor(project: number) {
    this.#project = project;
  }

  /** Brings the package's versions in line with the store's: `pkg` as it is now, undefined once removed. */
  update(segment: string, name: string, pkg: StoredPackage | undefined): void {
    const key = `${segment}\u0000${name}`;
    const known = this.#byPackage.get(key) ?? new Map<string, number>();
    const now = new Set(pkg?.versions.map((v) => v.version));
    for (const [version, id] of known) {
      if (now.has(version)) continue;
      known.delete(version);
      this.#byId.delete(id);
    }
    for (const v of pkg?.versions ?? []) {
      if (known.has(v.version)) continue;
      const entry: IndexedVersion = { id: versionId(this.#project, segment, name, v.version), segment, name, version: v.version, createdAt: v.createdAt };
      known.set(v.version, entry.id);
      this.#add(entry);
    }
    if (known.size === 0) this.#byPackage.delete(key);
    else this.#byPackage.set(key, known);
  }

  get(id: number): IndexedVersion | undefined {
    return this.#byId.get(id);
  }

  /** Every version in GitLab's order. Publishes arrive in time order, so this sorts only after a load or a clock step back. */
  list(): IterableIterator<IndexedVersion> {
    if (!this.#sorted) {
      this.#byId = new Map([...this.#byId.values()].sort(compare).map((e) => [e.id, e]));
      this.#sorted = true;
      this.#last = [...this.#byId.values()].at(-1);
    }
    return this.#byId.values();
  }

  get size(): number {
    return this.#byId.size;
  }

  #add(entry: IndexedVersion): void {
    // An id seen again (a hash collision of two versions) keeps one entry; the map cannot hold both.
    this.#byId.set(entry.id, entry);
    if (this.#last && before(entry, this.#last)) this.#sorted = false;
    else this.#last = entry;
  }
}

/**
 * Every project's index, built from the stores on first use and then kept
 * current by {@link FilePackageStore.watch}: registries that never serve the
 * Packages API never pay for it.
 */
export class PackageIndex {
  readonly #projects = new Map<number, ProjectIndex>();
  readonly #unwatch: (() => void)[] = [];

  /** `stores`: `[project, segment, store]` for every store of the registry. */
  constructor(stores: Iterable<readonly [number, string, FilePackageStore]>) {
    for (const [project, segment, store] of stores) {
      let index = this.#projects.get(project);
      if (!index) this.#projects.set(project, (index = new ProjectIndex(project)));
      const into = index;
      // Read and subscribed in one synchronous step: no change can fall between the two.
      for (const pkg of store.packages()) into.update(segment, pkg.name, pkg);
      this.#unwatch.push(store.watch((name, pkg) => into.update(segment, name, pkg)));
    }
  }

  /** The version a Packages API id names in a project, if it is stored. */
  find(project: number, id: number): IndexedVersion | undefined {
    return this.#projects.get(project)?.get(id);
  }

  /** A project's versions in GitLab's list order (oldest first). */
  list(project: number): Iterable<IndexedVersion> {
    return this.#projects.get(project)?.list() ?? [];
  }

  /** How many versions a project holds. */
  size(project: number): number {
    return this.#projects.get(project)?.size ?? 0;
  }

  /** Stops following the stores. */
  close(): void {
    for (const unwatch of this.#unwatch.splice(0)) unwatch();
  }
}
