/**
 * The contract between the embedded reference registry and the formats it
 * serves (`@regkit/registry/contract`: types and two small error helpers, no
 * server code). Each kit's routes import it from its `./reference` subpath,
 * so a kit's main entry depends on no server code. A format kit contributes a {@link ReferenceFormat}:
 * its routes, written against a package store that already handles streaming,
 * limits, duplicates, atomic commits and project scoping.
 *
 * @module
 */
import type { Readable } from "node:stream";
import type { Digests, GitLabAuthScheme, Limits, Policies, TokenKind } from "@regkit/core";

/** How credentials may travel for a format on a GitLab-shaped registry (defined in core, where the GitLab facts use it). */
export type AuthScheme = GitLabAuthScheme;

/** Where a route is served: a project, a group (`/groups/:id/-/packages/...`) or the instance (`/packages/...`). */
export type ReferenceLevel = "project" | "group" | "instance";

/** Who is calling, once the registry has checked the credential. */
export interface Principal {
  readonly kind: TokenKind;
  /** The user or deploy-token name, for logs and `_npmUser`-like fields. */
  readonly name: string;
  readonly canRead: boolean;
  readonly canWrite: boolean;
  /** May delete packages and dist-tags: a Maintainer, or a deploy token with write scope (GitLab's `destroy_package`). */
  readonly canDestroy: boolean;
}

/** A file the store has written but not yet made visible. */
export interface StagedFile {
  readonly size: number;
  readonly digests: Digests;
}

/** A stored file, as listed in a version. */
export interface StoredFile {
  readonly filename: string;
  readonly size: number;
  readonly digests: Digests;
  readonly createdAt: string;
}

export interface StoredVersion {
  readonly version: string;
  readonly files: readonly StoredFile[];
  /** The format's own per-version metadata (npm manifest, PyPI form fields). */
  readonly metadata: unknown;
  readonly createdAt: string;
}

export interface StoredPackage {
  readonly name: string;
  /** Versions in publish order. */
  readonly versions: readonly StoredVersion[];
  /** The format's package-level metadata (npm dist-tags). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Increases on every change. To keep rendered metadata between requests, use {@link PackageStore.rendered}. */
  readonly revision: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** One file to commit with a version. */
export interface CommitFile {
  readonly filename: string;
  readonly staged: StagedFile & { readonly id: string };
}

/** What `commit` did. */
export type CommitOutcome =
  | { readonly kind: "created" }
  /** The version existed and the policy rejects duplicates: nothing changed. */
  | { readonly kind: "duplicate" }
  /** The version existed and the policy allows duplicates: files added or replaced. */
  | { readonly kind: "updated" };

/**
 * The package store of one project and one format. Every method is safe under
 * concurrent calls: of two commits of the same new version exactly one
 * creates it, and readers never see a version without all its files.
 */
export interface PackageStore {
  /** Package names, sorted. */
  names(): Promise<readonly string[]>;
  get(name: string): Promise<StoredPackage | undefined>;
  /**
   * Streams bytes into a staged file, computing digests. Rejects with
   * {@link ReferenceError413} past `maxSize` (0: unlimited) without keeping the rest.
   */
  stage(source: AsyncIterable<Uint8Array>, maxSize: number): Promise<StagedFile & { readonly id: string }>;
  /** Drops a staged file that will not be committed. */
  discard(staged: { readonly id: string }): Promise<void>;
  /**
   * Makes a version visible with its files, atomically, applying the duplicate
   * policy. `update` may change the package-level metadata in the same step:
   * it gets the stored metadata, frozen, and answers the new metadata as a new
   * object that keeps what did not change (`{ ...metadata, tags: { ...tags, [tag]: v } }`),
   * never changing its argument; its values are JSON (a durable store writes them as such).
   * `duplicates` applies to the version; `fileDuplicates: "reject"` refuses
   * (outcome `duplicate`) a file whose name the version already holds, for
   * formats that add files to a version one upload at a time (PyPI). Both are
   * decided under the package lock: of concurrent commits, exactly one wins.
   */
  commit(input: {
    readonly name: string;
    readonly version: string;
    readonly files: readonly CommitFile[];
    readonly metadata: unknown;
    readonly duplicates: Policies["duplicates"];
    readonly fileDuplicates?: Policies["duplicates"] | undefined;
    readonly update?: ((metadata: Record<string, unknown>) => Record<string, unknown>) | undefined;
  }): Promise<CommitOutcome>;
  /** Changes package-level metadata (dist-tags) as `commit`'s `update` does; false when the package is unknown. */
  updateMetadata(name: string, update: (metadata: Record<string, unknown>) => Record<string, unknown>): Promise<boolean>;
  /** Opens a stored file; undefined when absent. */
  open(name: string, version: string, filename: string): Promise<(StoredFile & { stream(): Readable }) | undefined>;
  /** Removes one version (or the whole package when `version` is absent); false when absent. */
  remove(name: string, version?: string): Promise<boolean>;
  /**
   * A rendering of `pkg` (as `get` answered it) kept between requests: `render`
   * runs only when the store holds none for this revision and `representation`
   * (everything else the bytes depend on: the document kind, the base URL its
   * links use, a feature flag). Bounded by bytes; a publish, metadata change
   * or removal drops the package's renderings, so none outlives its revision.
   */
  rendered(pkg: StoredPackage, representation: string, render: () => string | Uint8Array): Uint8Array;
}

/** A request as a format route sees it. */
export interface ReferenceRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lowercased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The raw request body. */
  readonly body: Readable;
  /** Absolute URL of this format endpoint as the client reached it (for links in metadata). */
  readonly baseUrl: string;
  readonly project: { readonly id: number; readonly path: string };
  readonly principal: Principal;
  readonly store: PackageStore;
  readonly limits: Limits;
  readonly policies: Policies;
  /** GitLab feature flags as the registry runs them (`pypi_pep_691_json`). */
  readonly features: Readonly<Record<string, boolean>>;
  /** The project's visibility (group and instance levels: private). */
  readonly visibility: "private" | "public";
  /** The id GitLab's Packages API lists a version of this project's format under. */
  packageId(name: string, version: string): number;
  /**
   * The id GitLab's package files endpoint (`/projects/:id/packages/:package_id/package_files`)
   * lists a stored file of a version under: derived from the project, format,
   * version, file name and the file's creation time, so it is the same after a
   * restart and a replaced file gets a new one (GitLab creates a new record).
   */
  packageFileId(name: string, version: string, file: Pick<StoredFile, "filename" | "createdAt">): number;
}

/** What a route answers. A plain object or array `body` is sent as JSON. */
export interface ReferenceReply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: string | Uint8Array | Readable | object | undefined;
}

export interface ReferenceRoute {
  readonly method: string;
  /** Relative to the format endpoint, with `:param` and `*rest` (as in {@link RouteTemplate}). */
  readonly path: string;
  /**
   * `read` needs a principal that can read the project, `write` one that can
   * write, `destroy` one that may delete (a Maintainer, or a deploy token with
   * write scope); `public` needs nothing (service indexes).
   */
  readonly access: "read" | "write" | "destroy" | "public";
  /** Ways credentials may travel on this route, instead of the format's (NuGet push adds `apiKey`). */
  readonly auth?: readonly AuthScheme[] | undefined;
  /**
   * What an anonymous caller gets on a private project: 401 with the
   * challenge (default), or 404 (GitLab's npm tarball download).
   */
  readonly anonymous?: 401 | 404 | undefined;
  /** Where the route is served; default: project only for writes, every level for reads. */
  readonly levels?: readonly ReferenceLevel[] | undefined;
  handle(req: ReferenceRequest): Promise<ReferenceReply>;
}

/** A stored version as GitLab's Packages API shows it (see {@link ReferenceFormat.listed}). */
export interface ListedVersion {
  readonly name: string;
  /** Null for a versionless record (Maven's artifact-level metadata). */
  readonly version: string | null;
  /**
   * GitLab's package status (`default`, `hidden`, `processing`, `error`,
   * `pending_destruction`, `deprecated`); absent: `default`. The list leaves
   * out all but `default`, `error` and `deprecated` unless asked for one status.
   */
  readonly status?: string | undefined;
}

/** A format as the reference registry serves it. */
export interface ReferenceFormat {
  /** Path segment: `/api/v4/projects/:id/packages/<segment>`. */
  readonly segment: string;
  /**
   * The `package_type` GitLab's Packages API shows and filters this format's
   * packages by, where it is not the segment (Terraform modules:
   * `terraform_module`, the `package_type` enum of GitLab's
   * app/models/packages/package.rb). Default: the segment.
   */
  readonly packageType?: string | undefined;
  /** Ways credentials may travel for this format (GitLab's rules). */
  readonly auth: readonly AuthScheme[];
  /**
   * Basic usernames: `ignored` (the default: GitLab reads only the password of
   * a personal or deploy token; a job token still needs `gitlab-ci-token`), or
   * `checked` (GitLab's NuGet: a deploy token's own username, a personal
   * token's owner's username, else 401), or `any` (GitLab's Helm,
   * `authenticate_with` with plain token types: any username with any token
   * kind, a job token included; a password that resolves to nobody is a 401,
   * public project or not).
   */
  readonly basicUsernames?: "ignored" | "checked" | "any" | undefined;
  /**
   * The format authenticates before it looks the project up (GitLab's NuGet,
   * `authenticate_with`): an anonymous caller gets 401 even for a project
   * that does not exist, an authenticated one 404.
   */
  readonly authenticateFirst?: boolean | undefined;
  /**
   * Reads an `Authorization: Bearer` value this format issued itself into the
   * token it stands for (GitLab's Conan `users/authenticate` JWT wraps a
   * personal, deploy or job token: Gitlab::ConanToken); undefined when it is
   * not one the format issued, or has expired: then the request counts as
   * carrying no credential (GitLab's `ConanToken.decode` rescues to nil, and
   * `find_oauth_access_token` is overridden to read nothing). A format
   * without it reads every Bearer value as a plain token.
   */
  readonly bearerToken?: ((value: string) => string | undefined) | undefined;
  /** Token kinds Basic auth may carry (GitLab's npm routes read only deploy tokens from Basic); default all. */
  readonly basicKinds?: readonly TokenKind[] | undefined;
  /** The registry's defaults for this format (GitLab's). */
  readonly policies: Policies;
  readonly limits: Limits;
  readonly routes: readonly ReferenceRoute[];
  /**
   * How a stored version appears in GitLab's Packages API (`/projects/:id/packages`):
   * its listed name, and its version (null for a versionless record, such as
   * Maven's artifact-level metadata) and status. Default: the stored name
   * and version, status `default`.
   */
  readonly listed?: ((pkg: StoredPackage, version: string) => ListedVersion) | undefined;
  /**
   * Which checksums the package files endpoint shows for this format's files;
   * the others are null, as GitLab leaves the columns its format's service
   * does not fill (Generic sets only `file_sha256`). Default: all three.
   */
  readonly packageFileChecksums?: readonly ("md5" | "sha1" | "sha256")[] | undefined;
  /**
   * Routes served at the host root rather than under the Packages API (the
   * OCI distribution API at `/v2/` and GitLab's token realm at `/jwt/auth`),
   * started once per registry with the format's own directory; they read
   * credentials themselves (see {@link HostEnvironment.identify}).
   */
  readonly host?: ((env: HostEnvironment) => Promise<HostService>) | undefined;
  /**
   * The endpoint the registry hands out for this format in `registries`
   * (default `<origin>/api/v4/projects/<id>/packages/<segment>`); OCI's is
   * `<origin>/<project path>`, what GitLab calls `CI_REGISTRY_IMAGE`.
   */
  readonly endpoint?: ((origin: string, project: { readonly id: number; readonly path: string }) => string) | undefined;
}

/** A caller that {@link HostEnvironment.identify} recognised. */
export interface HostCaller {
  readonly kind: TokenKind;
  /** The user, or the deploy token's username. */
  readonly name: string;
  /** An instance administrator (GitLab grants the registry catalog only to them). */
  readonly admin: boolean;
  /** The caller's role in a project; undefined when not a member. */
  access(projectId: number): "read" | "write" | "maintain" | undefined;
}

/** What a format's host routes get from the registry that runs them, once per start. */
export interface HostEnvironment {
  /**
   * The format's own directory, `<root>/hosted/<segment>` (under the data
   * directory when one is set, else temporary). It may not exist yet: the
   * format creates it when it first writes.
   */
  readonly dataDir: string;
  /** Whether `dataDir` outlives the process (`--data-dir`): writes must then survive a crash. */
  readonly durable: boolean;
  /**
   * Room for small files in memory instead of `dataDir` (a registry without a
   * data directory only): the byte budget the registry's package stores share
   * (`REGKIT_BLOB_MEMORY_MB`). `take` answers false for a file too large or
   * past the budget, which then goes to disk; `give` returns a file's room
   * once it is gone.
   */
  readonly blobMemory?: HostBlobMemory | undefined;
  readonly projects: readonly { readonly id: number; readonly path: string }[];
  visibility(projectId: number): "private" | "public";
  /**
   * Basic credentials as GitLab's git-client login reads them
   * (`Gitlab::Auth.find_for_git_client`): `gitlab-ci-token` with a job token,
   * a personal token under any username, a deploy token under its own
   * username. Undefined: nobody (GitLab answers 401).
   */
  identify(username: string, password: string): HostCaller | undefined;
  /** The format's policies and limits as they stand now (they change while serving). */
  settings(): { readonly policies: Policies; readonly limits: Limits };
  /** A line on stderr, tokens redacted. */
  warn(message: string): void;
}

/** The registry's budget for small files held in memory ({@link HostEnvironment.blobMemory}). */
export interface HostBlobMemory {
  take(size: number): boolean;
  give(size: number): void;
}

/** A request to a host route. */
export interface HostRequest {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Lowercased header names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly body: Readable;
  /** `http://host:port` as the client reached the registry. */
  readonly origin: string;
}

export interface HostRoute {
  readonly method: string;
  /** From the host root, with `:param` and `*rest`: `/v2/*path`. */
  readonly path: string;
  handle(req: HostRequest): Promise<ReferenceReply>;
}

/** A format's host routes, running. */
export interface HostService {
  readonly routes: readonly HostRoute[];
  /** Called when the registry closes (before a temporary directory is removed). */
  close?(): Promise<void>;
}

/** Thrown by routes and the store for a clear 4xx answer. */
export class ReferenceHttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = "ReferenceHttpError";
    this.status = status;
  }
}

/** Ends a route with a clear 4xx answer (`{"message": ...}`). */
export function refuse(status: number, message: string): never {
  throw new ReferenceHttpError(status, message);
}

/** The store's "too large" rejection. */
export class ReferenceError413 extends ReferenceHttpError {
  constructor(limit: number) {
    super(413, `File is too large (limit ${limit} bytes).`);
    this.name = "ReferenceError413";
  }
}

export { stageMultipart } from "./multipart.js";
export type { MultipartOptions, MultipartUpload } from "./multipart.js";
