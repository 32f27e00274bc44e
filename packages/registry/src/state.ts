/**
 * What one running reference registry knows: the formats it serves with their
 * current settings, its stores, the people its tokens stand for, its feature
 * flags. Every module that answers requests gets this one object instead of
 * sharing module-level variables, so two registries in one process never mix.
 */
import type { Limits, Policies } from "@regkit/core";
import type { Identity } from "./auth.js";
import type { ReferenceFormat, ReferenceRoute } from "./contract.js";
import { PackageIndex, versionId } from "./package-index.js";
import { type Template, safeDecode } from "./router.js";
import type { FilePackageStore } from "./store.js";

export interface ReferenceProject {
  readonly id: number;
  /** `regkit/demo`. */
  readonly path: string;
}

/** The two projects every reference registry has; the first is the demo project kits run against. */
export const PROJECTS: readonly ReferenceProject[] = [
  { id: 1, path: "regkit/demo" },
  { id: 2, path: "regkit/other" },
];
/** The group both projects belong to. */
export const GROUP = { id: 1, path: "regkit", projects: [1, 2] } as const;
/** The demo project: the one whose visibility can be chosen and whose URLs the registry hands out. */
export const DEMO: ReferenceProject = PROJECTS[0]!;

/** One served format, with the policies and limits it runs with right now. */
export interface Served {
  readonly format: ReferenceFormat;
  readonly routes: readonly { readonly route: ReferenceRoute; readonly template: Template }[];
  // Mutable on purpose: the settings endpoints and setPolicies/setLimits change them while serving.
  policies: Policies;
  limits: Limits;
}

export interface RegistryState {
  /** Segment -> format. */
  readonly served: ReadonlyMap<string, Served>;
  /** `<project>/<segment>` -> that project's store for that format. */
  readonly stores: ReadonlyMap<string, FilePackageStore>;
  readonly identities: readonly Identity[];
  /** GitLab feature flags; the Features API and `setFeature` change them in place. */
  readonly features: Record<string, boolean>;
  /** Visibility of the demo project (every other project is private). */
  readonly visibility: "private" | "public";
  /** `host:port` the server listens on, for base URLs of requests that name no Host. */
  readonly hostPort: string;
  /** Where problems go (stderr, tokens redacted). */
  readonly warn: (message: string) => void;
  /** One line per finished request, when the caller asked for it. */
  readonly log: ((line: string) => void) | undefined;
}

export function servedOrThrow(served: ReadonlyMap<string, Served>, segment: string): Served {
  const entry = served.get(segment);
  if (!entry) throw new Error(`reference registry: no format is served under "${segment}"`);
  return entry;
}

export function storeKey(project: number, segment: string): string {
  return `${project}/${segment}`;
}

export function storeOf(state: RegistryState, project: number, segment: string): FilePackageStore {
  const store = state.stores.get(storeKey(project, segment));
  if (!store) throw new Error(`no store for project ${project} and ${segment}`);
  return store;
}

export function visibilityOf(state: RegistryState, project: number): "private" | "public" {
  return project === DEMO.id ? state.visibility : "private";
}

/** A project by its number or its path, as the URL names it (`1`, `regkit%2Fdemo`). */
export function findProject(rawId: string): ReferenceProject | undefined {
  const id = (safeDecode(rawId) ?? rawId).toLowerCase();
  return PROJECTS.find((p) => String(p.id) === id || p.path === id);
}

export function findGroup(rawId: string): typeof GROUP | undefined {
  const id = (safeDecode(rawId) ?? rawId).toLowerCase();
  return String(GROUP.id) === id || GROUP.path === id ? GROUP : undefined;
}

/** A stable id for a stored version (the same after a restart with --data-dir): 48 bits of a hash. */
export function packageId(_state: RegistryState, project: number, segment: string, name: string, version: string): number {
  return versionId(project, segment, name, version);
}

/** Each registry's Packages API index, made on first use (see package-index.ts). */
const indexes = new WeakMap<RegistryState, PackageIndex>();

/** The registry's index of every stored version, by Packages API id and in list order. */
export function packageIndexOf(state: RegistryState): PackageIndex {
  let index = indexes.get(state);
  if (!index) {
    const stores: [number, string, FilePackageStore][] = [];
    for (const [key, store] of state.stores) {
      const slash = key.indexOf("/");
      stores.push([Number(key.slice(0, slash)), key.slice(slash + 1), store]);
    }
    index = new PackageIndex(stores);
    indexes.set(state, index);
  }
  return index;
}
