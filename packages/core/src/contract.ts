/**
 * The registry contract, in one file: what a target is, which token kinds it
 * has, what it can do and promises (capabilities, policies, limits), and what a
 * format kit must provide so that the shared scenarios can run against it.
 *
 * A format kit is a value built with {@link defineKit}; the scenarios are
 * written once, in core, against {@link RegistryClient}.
 *
 * @module
 */
import type * as fc from "fast-check";

// ---------------------------------------------------------------------------
// Token kinds and credentials

/**
 * Ways a caller can present itself. The first three are the positive kinds a
 * GitLab-shaped registry offers; the last three are the negatives every
 * registry must refuse (or, for `readonly`, refuse only on write).
 */
export type TokenKind = "personal" | "deploy" | "job" | "readonly" | "anonymous" | "invalid";

/** Kinds that may publish: scenarios that push run once under each of them. */
export const WRITE_TOKEN_KINDS = ["personal", "deploy", "job"] as const satisfies readonly TokenKind[];
/** Kinds that must be refused (entirely, or on write for `readonly`). */
export const NEGATIVE_TOKEN_KINDS = ["anonymous", "invalid", "readonly"] as const satisfies readonly TokenKind[];
export const ALL_TOKEN_KINDS: readonly TokenKind[] = [...WRITE_TOKEN_KINDS, ...NEGATIVE_TOKEN_KINDS];

/** A username and secret pair, as deploy tokens are. */
export interface UserToken {
  readonly username: string;
  readonly token: string;
}

/**
 * Credentials a user gives for a target. Any may be missing: scenarios under a
 * token kind with no credential are skipped, with the reason, never failed.
 */
export interface Credentials {
  /** Personal access token (GitLab scope `api`), or a registry's user token. */
  readonly personal?: string | undefined;
  /**
   * The username of the personal token's owner, for registries that check it
   * in Basic auth (GitLab's NuGet endpoints; a pypiserver user).
   */
  readonly personalUsername?: string | undefined;
  /** Deploy token with `read_package_registry` and `write_package_registry`. */
  readonly deploy?: UserToken | undefined;
  /** CI job token (`CI_JOB_TOKEN`). */
  readonly job?: string | undefined;
  /** A deploy token with `read_package_registry` only: must be refused on write. */
  readonly readonly?: UserToken | undefined;
}

/** One credential, ready to be turned into headers by a profile. */
export interface Credential {
  readonly kind: TokenKind;
  /** Absent for `anonymous`. For `invalid`, a well-formed secret nobody issued. */
  readonly token?: string | undefined;
  readonly username?: string | undefined;
}

// ---------------------------------------------------------------------------
// What a target declares

/**
 * Optional features every format has. A scenario that needs a capability the
 * target lacks is a skip with the reason.
 */
export type CoreCapabilities = {
  /** A search endpoint (`npm search`, NuGet `SearchQueryService`). */
  readonly search: boolean;
  /** The metadata endpoint lists every version of a package. */
  readonly listVersions: boolean;
  /** Packages or versions can be removed through the protocol (used for cleanup). */
  readonly delete: boolean;
  /** npm dist-tags (or a format's equivalent channel pointers). */
  readonly distTags: boolean;
  /** Packages can be read without credentials. */
  readonly anonymousRead: boolean;
  /** An invalid token is read as no token (reads where anonymous may); absent: false. */
  readonly invalidTokenRead?: boolean | undefined;
};

/** A capability every format has. */
export type CoreCapability = Exclude<keyof CoreCapabilities, "invalidTokenRead">;

/**
 * The capabilities of a kit whose own keys are `K` (Maven's `snapshots`,
 * PyPI's `pep691`): core's, plus one boolean per own key. Scenarios name the
 * keys in `requires`, typed per kit.
 */
export type Capabilities<K extends string = never> = CoreCapabilities & { readonly [key in K]: boolean };

/** What the registry promises to do in situations with more than one right answer. */
export interface Policies {
  /** Publishing an existing version again. */
  readonly duplicates: "reject" | "allow";
  /**
   * Statuses that count as the documented rejection of a duplicate (GitLab npm
   * 403, Verdaccio 409). Empty: any 4xx.
   */
  readonly duplicateStatus: readonly number[];
}

/** Instance limits, in bytes; 0 means unlimited. */
export interface Limits {
  readonly maxFileSize: number;
}

/**
 * A registry flavour a kit knows: GitLab, Verdaccio, a plain WebDAV server.
 * It says which token kinds exist there, how each credential travels on the
 * wire for this format, and what the registry promises.
 */
export interface Profile<K extends string = never> {
  readonly name: string;
  readonly description: string;
  /** Token kinds this registry has at all (others are skipped: "the registry has no deploy tokens"). */
  readonly tokenKinds: readonly TokenKind[];
  readonly capabilities: Capabilities<K>;
  readonly policies: Policies;
  readonly limits: Limits;
  /** HTTP headers that present `credential` to this registry for this format. */
  authHeaders(credential: Credential): Record<string, string>;
  /**
   * Routes outside the format's standard table that this registry is known to
   * need; `endpoints.audit` reports them as notes instead of failing.
   */
  readonly extraRoutes?: readonly RouteTemplate[];
  /** Statuses accepted as "you may not": default [401, 403, 404]. */
  readonly deniedStatus?: readonly number[];
  /**
   * GitLab's Packages API (`<project>/packages`, list and delete by id) holds
   * this format's packages: cleanup removes what the run created through it
   * where the protocol has no delete (GitLab's PyPI, Maven and npm).
   */
  readonly packagesApi?: PackagesApi | undefined;
  /**
   * Known departures from the format's own rules, by deviation id (the id a
   * check names with `ctx.deviates`). A check that fails under a recorded id
   * gives the result status `deviation`, not `fail`; one that passes is
   * reported as a deviation that no longer happens.
   */
  readonly deviations?: Readonly<Record<string, Deviation>> | undefined;
  /**
   * Settings only this profile has (`visibility`, a GitLab feature flag), on
   * top of the ones every profile takes (each capability, `duplicates`,
   * `duplicateStatus`, `maxFileSize`, the scenario options).
   */
  readonly settings?: Readonly<Record<string, ProfileSetting>> | undefined;
  /**
   * The personal token travels as Basic auth with its owner's username, which
   * the registry checks: without `credentials.personalUsername` the personal
   * kind is skipped with that reason.
   */
  readonly personalUsername?: "required" | undefined;
}

/**
 * A profile of any kit, its own capability keys erased: every kit's profile
 * type is one (a profile with more keys is still a profile), so code that runs
 * every kit (the runner, the CLI's kit list) holds kits as `FormatKit`.
 */
export type AnyProfile = Profile;

/** A recorded departure of a registry from the format's own rules. */
export interface Deviation {
  /** What the registry does instead, in a line. */
  readonly summary: string;
  /** Where that behaviour is defined (for GitLab: file, route or method, version read). */
  readonly source: string;
}

/** The types a setting value can have; an array is an enumeration of allowed strings. */
export type SettingType = "boolean" | "number" | "size" | "string" | "statuses" | readonly string[];

/** A setting's value once parsed. */
export type SettingValue = boolean | number | string | readonly number[];

/** The parts of a resolved target a setting may change. */
export interface SettingDraft {
  capabilities: Record<string, boolean>;
  policies: { duplicates: Policies["duplicates"]; duplicateStatus: readonly number[] };
  limits: { maxFileSize: number };
  deviations: Record<string, Deviation>;
  deniedStatus: readonly number[] | undefined;
}

/** A profile's own setting: its type, what it means, and what it changes. */
export interface ProfileSetting {
  readonly type: SettingType;
  readonly description: string;
  /** The value the profile assumes when the setting is not given. */
  readonly default: SettingValue;
  apply(value: SettingValue, draft: SettingDraft): void;
}

/** How a format's packages appear in GitLab's Packages API. */
export interface PackagesApi {
  /** `package_type` of the API (`pypi`, `maven`, ...). */
  readonly type: string;
  /** The name the API lists for a package of regkit's contract (Maven: `com/example/app` for `com.example:app`). */
  name(name: string): string;
  /** Whether a listed name is that package (the API's name filter is fuzzy); default: equal. */
  same?(listed: string, name: string): boolean;
}

/** Tunables for the shared scenarios. Every number has a default from the checklist. */
export interface ScenarioOptions {
  /** `push.many`: versions of one package, then separate packages. */
  readonly manyVersions: number;
  readonly manyPackages: number;
  /** `push.many`: any metadata response slower than this fails (ms). */
  readonly latencyBudgetMs: number;
  /** `push.many`: median of the last tenth over the first tenth above this fails... */
  readonly latencyGrowthFactor: number;
  /** ...provided the medians also differ by more than this (ms), so sub-millisecond noise passes. */
  readonly latencyGrowthFloorMs: number;
  /**
   * `push.many`: this many metadata responses in a row over the budget stop
   * the publishing there (the verdict can no longer change); 0: never stop early.
   */
  readonly latencyStopAfter: number;
  /** `push.large`: size of the large package (bytes). */
  readonly largeSize: number;
  /** Property-based scenarios: fast-check runs per property. */
  readonly numRuns: number;
  /** `model.random-ops`: commands per run. */
  readonly maxCommands: number;
  /**
   * Every request: the longest wait for the response headers, and then for
   * each further piece of the body (ms); 0: no limit. A registry that does not
   * answer in time gives a clear error naming the request.
   */
  readonly requestTimeoutMs: number;
  /**
   * The run's circuit breaker: once this many requests in a row (across the
   * run) got no response at all (timed out, refused, reset), the scenarios not
   * started yet are not run and those in flight are stopped; 0: never.
   */
  readonly unansweredLimit: number;
}

/** Where to run and as whom: what a user writes to point a kit at a registry. */
export interface Target {
  /** The format endpoint, e.g. `https://gitlab.example.com/api/v4/projects/42/packages/npm`. */
  readonly registry: string;
  /** A profile name of the kit; the kit's default profile when absent. */
  readonly profile?: string | undefined;
  readonly credentials?: Credentials | undefined;
  /** Overrides of what the profile declares (for example a group that allows duplicates). */
  readonly policies?: Partial<Policies> | undefined;
  readonly limits?: Partial<Limits> | undefined;
  readonly capabilities?: Readonly<Record<string, boolean>> | undefined;
  readonly options?: Partial<ScenarioOptions> | undefined;
  /**
   * Settings by key (`anonymousRead: false`, `duplicates: "allow"`,
   * `maxFileSize: "500MB"`, a profile's own such as `pep691Json: true`): the one
   * mechanism that overrides any capability, policy, limit or scenario option
   * of the profile. Strings are parsed by the setting's type; an unknown key or
   * a value of the wrong type is a ConfigError listing the valid keys.
   */
  readonly settings?: Readonly<Record<string, unknown>> | undefined;
}

/** A target merged with its profile: what scenarios see. */
export interface ResolvedTarget<P extends AnyProfile = AnyProfile> {
  readonly registry: string;
  /** The profile with its settings applied (deviations and denied statuses included). */
  readonly profile: P;
  readonly credentials: Credentials;
  readonly capabilities: P["capabilities"];
  readonly policies: Policies;
  readonly limits: Limits;
  readonly options: ScenarioOptions;
  /** Every setting's effective value, defaults included (reports show them). */
  readonly settings: Readonly<Record<string, SettingValue>>;
}

// ---------------------------------------------------------------------------
// Packages and their bytes

/** Digests of a file, lowercase hex. */
export interface Digests {
  readonly md5: string;
  readonly sha1: string;
  readonly sha256: string;
  readonly sha512: string;
}

/**
 * Bytes that can be read more than once without being held in memory (a
 * 500 MB package is generated on the fly each time it is streamed).
 */
export interface Content {
  readonly size: number;
  readonly digests: Digests;
  /** A fresh stream of the bytes. */
  stream(): AsyncIterable<Uint8Array>;
  /** The bytes, when they are small enough to hold. */
  readonly bytes?: Uint8Array | undefined;
}

/** What a scenario asks a kit to build. */
export interface PackageSpec {
  /** A full package name, already namespaced with the run id (see {@link FormatKit.packageName}). */
  readonly name: string;
  readonly version: string;
  /** Approximate size of the main file; small when absent. */
  readonly size?: number | undefined;
  /** Extra files to place in the package (path -> bytes). */
  readonly files?: Readonly<Record<string, Uint8Array>> | undefined;
  /** Free text the kit puts in the package's description (search finds it). */
  readonly description?: string | undefined;
}

/** A built package, ready to publish. */
export interface Artifact {
  readonly name: string;
  readonly version: string;
  /** The main file's name as the registry stores it (`foo-1.0.0.tgz`). */
  readonly filename: string;
  readonly content: Content;
  /** Further files published with it (pom next to a jar, wheel next to an sdist). */
  readonly extra?: readonly { readonly filename: string; readonly content: Content }[] | undefined;
}

// ---------------------------------------------------------------------------
// Evidence

/** One HTTP exchange, with secrets already redacted. */
export interface Exchange {
  readonly method: string;
  /** Absolute URL, credentials redacted. */
  readonly url: string;
  /** Path relative to the target's registry URL (`/foo/-/foo-1.0.0.tgz`). */
  readonly path: string;
  /** Status; 0 when no response came (connection refused, timeout). */
  readonly status: number;
  readonly durationMs: number;
  readonly requestHeaders: Readonly<Record<string, string>>;
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** The first bytes of a response body worth showing (errors, unexpected content), redacted. */
  readonly responseSnippet?: string | undefined;
  /** Who made it: the adapter, or the name of a real client driver. */
  readonly via: string;
}

// ---------------------------------------------------------------------------
// The protocol adapter

/** Outcome of a publish: never throws for a 4xx, the scenario judges it. */
export interface PublishOutcome {
  readonly accepted: boolean;
  readonly status: number;
  readonly exchange: Exchange;
}

/** One file a registry's metadata lists for a version, with the digests it announces. */
export interface ListedFile {
  readonly version: string;
  readonly filename: string;
  /** The digests the listing carries for it (lowercase hex): PyPI's sha256 fragment, npm's shasum. */
  readonly digests: Partial<Digests>;
}

/** What a download saw: the bytes' digests and size, computed while streaming. */
export interface Downloaded {
  readonly size: number;
  readonly digests: Digests;
  readonly exchange: Exchange;
  /** The bytes, for small downloads only (kits decide). */
  readonly bytes?: Uint8Array | undefined;
}

/**
 * A format's protocol, spoken with one credential. Methods throw
 * {@link import("./errors.js").ProtocolError} when the registry answers
 * something unusable (5xx, HTML for JSON, a truncated body), and
 * {@link import("./errors.js").ConformanceFailure} when what it answers breaks
 * the format's own rules (an `integrity` field that does not match the bytes).
 */
export interface RegistryClient {
  publish(artifact: Artifact): Promise<PublishOutcome>;
  /** Downloads the main file of `name@version`, checking the format's own integrity fields. */
  download(name: string, version: string): Promise<Downloaded>;
  /** Versions the metadata endpoint lists; empty when the package is unknown. */
  versions(name: string): Promise<readonly string[]>;
  /** One request to the metadata endpoint `push.many` measures (packument, simple page, ...). */
  metadata(name: string): Promise<Exchange>;
  /** The version the registry calls latest (dist-tags.latest, maven-metadata `<latest>`). */
  latest?(name: string): Promise<string | undefined>;
  /** Names of packages the registry's search returns for `text`. */
  search?(text: string): Promise<readonly string[]>;
  /** Removes one version (or the package when `version` is absent). */
  remove?(name: string, version?: string): Promise<void>;
  /**
   * Every file the registry's metadata lists for the package, every version,
   * with the digests it announces (one request where the format allows):
   * PyPI's simple page, npm's packument dists, NuGet's registration. Absent
   * where the format lists no files per version (Maven).
   */
  files?(name: string): Promise<readonly ListedFile[]>;
  /**
   * Downloads one named file of `name@version` (the sdist next to a wheel,
   * the pom next to a jar), checking what the format checks; a ConformanceFailure
   * when the registry does not serve it.
   */
  downloadFile?(name: string, version: string, filename: string): Promise<Downloaded>;
}

/** What a kit's `connect` receives. */
export interface Session<P extends AnyProfile = AnyProfile> {
  readonly target: ResolvedTarget<P>;
  readonly credential: Credential;
  readonly http: HttpClient;
  readonly runId: string;
  /** Every secret of the target and this credential: what reports must never show. */
  readonly secrets: readonly string[];
}

/** Options of one request through the recording client. */
export interface HttpRequest {
  readonly method: string;
  /** Relative to the registry URL (`/foo`), or absolute (tarball URLs in metadata). */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * A {@link Content} is streamed with its size as Content-Length; a bare
   * stream is sent with the Content-Length the headers give, else chunked.
   */
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array> | Content | undefined;
  /** Skip the profile's auth headers (the negatives set their own). */
  readonly noAuth?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** A response whose body has not been read yet. */
export interface HttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly exchange: Exchange;
  /** Reads the body as text (bounded); fills the exchange's snippet. */
  text(): Promise<string>;
  /** Reads and parses JSON; a ProtocolError for another content type or bad JSON. */
  json<T = unknown>(): Promise<T>;
  /** Reads the body fully as bytes, checking Content-Length when given. */
  bytes(): Promise<Uint8Array>;
  /** Streams the body, computing digests and checking Content-Length. */
  digest(): Promise<{ size: number; digests: Digests }>;
  /** Discards the body. */
  dump(): Promise<void>;
}

/** The recording HTTP client (undici) every adapter uses, so evidence is uniform. */
export interface HttpClient {
  readonly baseUrl: string;
  request(req: HttpRequest): Promise<HttpResponse>;
}

// ---------------------------------------------------------------------------
// Real clients

/** A real client tool (npm CLI, twine, mvn, NuGet.exe) driven by the scenarios. */
export interface ClientDriver<P extends AnyProfile = AnyProfile> {
  /** `npm-cli`, `twine`, `pip`, `mvn`, `nuget-exe`. */
  readonly name: string;
  /** Undefined when usable, else why not ("npm not found on PATH"): the scenario skips with it. */
  unavailable(): Promise<string | undefined>;
  /** Publishes with the real tool; resolves with whether the registry accepted it. */
  publish?(artifact: Artifact, ctx: DriverContext<P>): Promise<{ accepted: boolean; output: string }>;
  /** Downloads or installs with the real tool and returns the main file's digests. */
  install?(name: string, version: string, ctx: DriverContext<P>): Promise<{ digests: Digests; output: string }>;
  /**
   * The client's version as the compatibility matrix shows it ("Apache Maven
   * 3.8.7; maven-deploy-plugin 3.1.4"), undefined when it cannot tell. Optional:
   * without it, core takes the first line of the version probe
   * {@link unavailable} ran through `probeTool` (`npm --version`).
   */
  version?(): Promise<string | undefined>;
}

/**
 * One real client's part in a result, for the compatibility matrix (client and
 * version × registry and profile × scenario). Core fills it from the drivers a
 * scenario used and the clients it skipped; kits need not do anything.
 */
export interface ClientRun {
  /** The driver's name (`npm-cli`, `twine`, `mvn`). */
  readonly name: string;
  /** What the client says its version is; absent when it is not installed or does not say. */
  readonly version?: string | undefined;
  /**
   * `pass`: it did its part. `fail`: the result failed or errored and this
   * client's part is where (or no single client is to blame). `deviation`: the
   * result is a recorded deviation. `skip`: the client did not run (not on the
   * machine, with the reason), never a pass.
   */
  readonly status: "pass" | "fail" | "deviation" | "skip";
  /** Why it failed, deviated or was skipped. */
  readonly reason?: string | undefined;
}

/** What a driver gets: where to point the tool (a recording proxy) and as whom. */
export interface DriverContext<P extends AnyProfile = AnyProfile> {
  /** The registry URL as the tool must see it (a local recording proxy in front of the target). */
  readonly registry: string;
  readonly target: ResolvedTarget<P>;
  readonly credential: Credential;
  /** Every secret of the target and this credential: pass it to {@link import("./process.js").runTool}. */
  readonly secrets: readonly string[];
  /** A fresh temporary directory the driver may use. */
  readonly workdir: string;
  /**
   * A temporary directory of the whole run, shared by every scenario and
   * driver of it and removed when the run ends: for what a driver may reuse
   * between its runs (the plugins mvn resolved), never for anything the
   * registry served. Absent where a driver runs outside a conformance run.
   */
  readonly runDir?: string | undefined;
  readonly signal: AbortSignal;
}

// ---------------------------------------------------------------------------
// Routes and arbitraries

/**
 * One route of a format's standard protocol, relative to the format endpoint:
 * `{ method: "GET", path: "/:name/-/:file", summary: "tarball" }`. Params are
 * `:param` (one segment) and `*param` (the rest).
 */
export interface RouteTemplate {
  readonly method: string;
  readonly path: string;
  readonly summary: string;
}

/** fast-check arbitraries a kit contributes. */
export interface KitArbitraries {
  /** Valid base names; {@link FormatKit.packageName} namespaces them with the run id. */
  name(): fc.Arbitrary<string>;
  /** Names the registry must refuse. */
  invalidName(): fc.Arbitrary<string>;
  /** Valid versions. */
  version(): fc.Arbitrary<string>;
  /** File trees to put in packages. */
  files(): fc.Arbitrary<Record<string, Uint8Array>>;
}

// ---------------------------------------------------------------------------
// Scenarios and results

/**
 * `skip`: the scenario cannot run here (a token kind or capability the target
 * lacks). `disabled`: the user excluded it on purpose, with a reason
 * (`exclude`), as the OCI conformance suite separates the two.
 * `deviation`: the registry departs from the format's rules in a way its
 * profile records (with the source): neither a pass nor a failure.
 */
export type ResultStatus = "pass" | "fail" | "skip" | "error" | "deviation" | "disabled";

/** A recorded deviation a scenario checked: seen again, or gone. */
export interface DeviationResult {
  readonly id: string;
  readonly summary: string;
  readonly source: string;
  /** True: the registry still deviates. False: it now follows the rule (the record can go). */
  readonly observed: boolean;
  /** What the check expected and saw, when observed. */
  readonly expectation?: Expectation | undefined;
}

/** Which token kinds a scenario runs under. */
export type ScenarioAudience = "write" | "negative";

/** A series of measurements `push.many` records, for reports and charts. */
export interface LatencySeries {
  readonly label: string;
  /** [packageCount, milliseconds] pairs. */
  readonly points: readonly (readonly [number, number])[];
  readonly budgetMs: number;
  readonly firstTenthMedianMs: number;
  readonly lastTenthMedianMs: number;
  readonly maxMs: number;
}

/** What a scenario may call while it runs. */
export interface ScenarioContext<C extends RegistryClient = RegistryClient, P extends AnyProfile = AnyProfile> {
  readonly kit: FormatKit<C, P>;
  readonly target: ResolvedTarget<P>;
  readonly credential: Credential;
  /** The adapter, speaking with {@link credential}: the kit's own client type. */
  readonly client: C;
  /** Opens another adapter with another credential (auth checks, cross reads). */
  connect(credential: Credential): C;
  /**
   * The write kind once-per-run work runs under (the first of personal,
   * deploy, job the run selected and the target has); undefined when none.
   */
  readonly onceKind: TokenKind | undefined;
  /**
   * The write kinds the run runs, in order ({@link onceKind} first): for work
   * spread over the kinds, each kind taking its share once per run.
   */
  readonly writeKinds: readonly TokenKind[];
  /** Credential of a write kind the target has, for set-up steps of negative scenarios. */
  readonly writer: Credential | undefined;
  readonly runId: string;
  /** fast-check parameters: seed, and numRuns from the options. */
  readonly fc: { readonly seed: number; readonly numRuns: number };
  readonly options: ScenarioOptions;
  readonly signal: AbortSignal;
  /** A name unique to this run, for `base` (adds the run id so cleanup finds it). */
  name(base: string): string;
  /** Builds a package with the kit. */
  build(spec: PackageSpec): Promise<Artifact>;
  /** Remembers that the run created `name@version`, so cleanup removes it (and only it). */
  track(name: string, version: string): void;
  /** Ends the scenario as a skip. */
  skip(reason: string): never;
  /** Adds a line to the result (non-standard endpoints seen, counts). */
  note(message: string): void;
  /**
   * Runs a check that the profile may record as a known deviation (`id`). A
   * ConformanceFailure from it under a recorded id is kept as an observed
   * deviation and the scenario goes on (resolves true); a check that passes
   * under a recorded id is reported as a deviation that has gone (false). An
   * id the profile does not record: the failure propagates as usual.
   */
  deviates(id: string, check: () => Promise<void>): Promise<boolean>;
  /** Attaches a latency series. */
  latency(series: LatencySeries): void;
  /** Attaches a throughput figure (bytes per second) under a label. */
  throughput(label: string, bytesPerSecond: number): void;
  /** Every exchange recorded so far in this scenario (adapter and drivers). */
  exchanges(): readonly Exchange[];
  /** Starts a local recording proxy for real clients; closes with the scenario. */
  driverContext(driver: ClientDriver<P>, credential?: Credential): Promise<DriverContext<P>>;
  /**
   * Work that scenarios of one token kind share, done once per run and kind:
   * the first caller runs `make` (its requests, notes and tracked packages are
   * its own), every later caller with the same `key` awaits the same promise,
   * and the real clients `make` opened count as taking part in each caller's
   * result. The real clients' round trip is the example: clients.roundtrip
   * checks what it did and endpoints.audit audits its requests, so the clients
   * (a JVM, mono) start once per kind, not twice.
   */
  shared<T>(key: string, make: () => Promise<T>): Promise<T>;
}

/** The capability keys a profile type has (core's and the kit's own). */
export type CapabilityOf<P extends AnyProfile> = Exclude<keyof P["capabilities"], number | symbol>;

/** A conformance scenario, written once against the contract. */
export interface Scenario<C extends RegistryClient = RegistryClient, P extends AnyProfile = AnyProfile> {
  /** Stable id used in reports and docs: `push.small`. */
  readonly id: string;
  readonly title: string;
  /** The release-checklist step (1-7) it comes from. */
  readonly checklist: number;
  /** What it checks and why, for the generated docs. */
  readonly description: string;
  readonly audience: ScenarioAudience;
  /**
   * Capabilities that must be true, else skip. {@link defineKit} checks them
   * against the kit's profile type (core's keys and the kit's own).
   */
  readonly requires?: readonly string[] | undefined;
  /**
   * This scenario's time limit under one token kind, in ms, for work that
   * legitimately takes longer (push.many); a `timeoutMs` the caller gives the
   * runner applies instead; neither: 300 s.
   */
  readonly timeoutMs?: number | undefined;
  /** Runs with nothing else in parallel (latency measurements). */
  readonly exclusive?: boolean | undefined;
  /**
   * Runs under one token kind per run, not under each: what it checks belongs
   * to the instance, not to the token (`push.over-limit`: the size limit). The
   * runner picks the first write kind the target has (personal, then deploy,
   * then job); the other kinds are skipped with {@link oncePerRunReason}.
   */
  readonly oncePerRun?: boolean | undefined;
  /** Why it runs once, for the other kinds' skips ("the limit belongs to the instance"). */
  readonly oncePerRunReason?: string | undefined;
  run(ctx: ScenarioContext<C, P>): Promise<void>;
}

/**
 * A kit's own scenario: typed by its adapter and profile, with `requires`
 * naming only capabilities the profile type has (core's and the kit's own).
 */
export type KitScenario<C extends RegistryClient, P extends AnyProfile> = Scenario<C, P> & {
  readonly requires?: readonly CapabilityOf<P>[] | undefined;
};

/** The expectation that failed, and what came back instead. */
export interface Expectation {
  readonly expected: string;
  readonly actual: string;
}

export interface ScenarioResult {
  readonly format: string;
  readonly scenario: string;
  readonly title: string;
  readonly tokenKind: TokenKind;
  readonly status: ResultStatus;
  /** One line: why it failed, errored or was skipped. */
  readonly message?: string | undefined;
  readonly expectation?: Expectation | undefined;
  /** The requests involved in a failure (the last few), or all for audits. */
  readonly exchanges: readonly Exchange[];
  readonly durationMs: number;
  readonly notes: readonly string[];
  readonly latency: readonly LatencySeries[];
  readonly throughput: Readonly<Record<string, number>>;
  /** fast-check replay data when a property failed. */
  readonly replay?: { readonly seed: number; readonly path?: string | undefined } | undefined;
  /** Recorded deviations this scenario checked: observed (status `deviation`) or gone. */
  readonly deviations?: readonly DeviationResult[] | undefined;
  /** The real clients that took part, or were skipped, with their versions (the compatibility matrix reads it). */
  readonly clients?: readonly ClientRun[] | undefined;
}

// ---------------------------------------------------------------------------
// GitLab facts

/** How credentials may travel for a format on GitLab (the reference registry's routes declare theirs with it). */
export type GitLabAuthScheme =
  /** `Authorization: Bearer <token>` (npm, Composer). */
  | "bearer"
  /** `Authorization: Basic` with GitLab's username rules. */
  | "basic"
  /** `PRIVATE-TOKEN`, `DEPLOY-TOKEN`, `JOB-TOKEN` headers. */
  | "headers"
  /** Only `PRIVATE-TOKEN` (GitLab's PyPI routes read no JOB-TOKEN header). */
  | "privateToken"
  /** Only `DEPLOY-TOKEN`. */
  | "deployToken"
  /** Only `JOB-TOKEN`. */
  | "jobToken"
  /** `X-NuGet-ApiKey` carrying any token kind (GitLab's NuGet push and delete). */
  | "apiKey";


/** Where GitLab defines a behaviour. */
export interface GitLabSource {
  /** File in GitLab's repository (`lib/api/concerns/packages/npm_endpoints.rb`), or a docs page. */
  readonly file: string;
  /** Route or method (`put ':package_name'`, `Packages::Npm::CreatePackageService#execute`), with lines where known. */
  readonly at: string;
  /** The GitLab version (and commit) it was read from. */
  readonly version: string;
}

/**
 * One GitLab behaviour a kit relies on, written once: the gitlab profile, the
 * reference registry and the generated "GitLab fidelity" page read it here.
 */
export interface GitLabFact<T = unknown> {
  /** Stable id: `npm.publish.status`. */
  readonly id: string;
  /** The situation: "publishing a new version". */
  readonly behaviour: string;
  /** GitLab's answer, in words: "200 OK". */
  readonly gitlab: string;
  /** The value code uses (a status, a list, a limit). */
  readonly value: T;
  readonly source: GitLabSource;
  /** The test that pins the reference registry to it: `file` and test title (the fact id). */
  readonly pinnedBy: string;
}

// ---------------------------------------------------------------------------
// The kit

/**
 * Everything one format package provides, typed by its adapter `C` and its
 * profile `P`: scenarios, drivers and `connect` see the kit's own types.
 * Build it with {@link defineKit}.
 */
export interface FormatKit<C extends RegistryClient = RegistryClient, P extends AnyProfile = AnyProfile> {
  /** `npm`, `pypi`, `maven`, `nuget`. */
  readonly format: string;
  readonly title: string;
  readonly description: string;
  readonly profiles: Readonly<Record<string, P>>;
  readonly defaultProfile: string;
  /** GitLab's default instance limit for this format (bytes). */
  readonly instanceLimit: number;
  /** The format's standard protocol, for `endpoints.audit` and the docs. */
  readonly routes: readonly RouteTemplate[];
  /**
   * Routes of the protocol whose address the registry itself announces during
   * a run (OCI's token endpoint: the realm a Bearer challenge names), read
   * from the run's exchanges: `endpoints.audit` counts requests to them as
   * standard, and only to those exact addresses.
   */
  readonly announcedRoutes?: ((exchanges: readonly Exchange[]) => readonly RouteTemplate[]) | undefined;
  readonly arbitraries: KitArbitraries;
  /** Namespaces a base name with the run id, the way the format allows. */
  packageName(runId: string, base: string): string;
  /** Whether `name` was created by run `runId` (cleanup removes only those). */
  ownsName(runId: string, name: string): boolean;
  build(spec: PackageSpec): Promise<Artifact>;
  /** The format's version order (negative, zero, positive). */
  compareVersions(a: string, b: string): number;
  connect(session: Session<P>): C;
  readonly drivers: readonly ClientDriver<P>[];
  /** Scenarios only this format has (PEP 503 normalization, Maven snapshots). */
  readonly scenarios: readonly Scenario<C, P>[];
  /** The GitLab behaviours the kit relies on, each with its source (the "GitLab fidelity" docs page). */
  readonly gitlabFacts?: readonly GitLabFact[] | undefined;
}

/**
 * Builds a kit value and fills the optional parts. `C` and `P` are inferred
 * from `connect` and `profiles`: scenarios and drivers then receive the kit's
 * own adapter and profile types, with no casts.
 */
export function defineKit<C extends RegistryClient, P extends AnyProfile>(
  kit: Omit<FormatKit<C, P>, "drivers" | "scenarios"> & {
    drivers?: readonly ClientDriver<P>[];
    /** `requires` names only capabilities the kit's profile type has. */
    scenarios?: readonly KitScenario<C, P>[];
  },
): FormatKit<C, P> {
  return { drivers: [], scenarios: [], ...kit };
}

/** Core's capabilities as {@link defineProfile} assumes them when a profile leaves them out. */
export const DEFAULT_CAPABILITIES: CoreCapabilities = { search: false, listVersions: true, delete: false, distTags: false, anonymousRead: false };

/** What {@link defineProfile} takes for capabilities: core's may be left out; a kit's own keys `K` may not. */
export type CapabilitiesInput<K extends string> = [K] extends [never]
  ? { readonly capabilities?: Partial<CoreCapabilities> | undefined }
  : { readonly capabilities: Partial<CoreCapabilities> & { readonly [key in K]: boolean } };

/**
 * Builds a profile with the usual defaults. `K` are the kit's own capability
 * keys (`defineProfile<"snapshots">({ capabilities: { snapshots: true }, ... })`).
 */
export function defineProfile<K extends string = never>(
  profile: Omit<Profile<K>, "capabilities" | "policies"> & CapabilitiesInput<NoInfer<K>> & { readonly policies?: Partial<Policies> | undefined },
): Profile<K> {
  return {
    ...profile,
    capabilities: { ...DEFAULT_CAPABILITIES, ...profile.capabilities } as Capabilities<K>,
    policies: { duplicates: "reject", duplicateStatus: [], ...profile.policies },
  };
}

export const DEFAULT_OPTIONS: ScenarioOptions = {
  manyVersions: 300,
  manyPackages: 300,
  latencyBudgetMs: 1000,
  latencyGrowthFactor: 3,
  latencyGrowthFloorMs: 50,
  latencyStopAfter: 5,
  largeSize: 64 * 1024 * 1024,
  numRuns: 10,
  maxCommands: 20,
  requestTimeoutMs: 60_000,
  unansweredLimit: 3,
};
