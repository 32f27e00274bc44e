import { AsyncLocalStorage } from "node:async_hooks";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  ALL_TOKEN_KINDS,
  NEGATIVE_TOKEN_KINDS,
  WRITE_TOKEN_KINDS,
  type Artifact,
  type ClientDriver,
  type Credential,
  type DeviationResult,
  type DriverContext,
  type Exchange,
  type FormatKit,
  type LatencySeries,
  type PublishOutcome,
  type RegistryClient,
  type ResolvedTarget,
  type Scenario,
  type ScenarioContext,
  type ScenarioResult,
  type Target,
  type TokenKind,
} from "./contract.js";
import { ConformanceFailure, ProtocolError, ScenarioSkip } from "./errors.js";
import { removeThroughPackagesApi } from "./gitlab.js";
import { createHttpClient, type RequestHandle, type RequestWatch } from "./http.js";
import { startRecordingProxy } from "./proxy.js";
import { redact } from "./redact.js";
import { coreScenarios } from "./scenarios/index.js";
import { newRunIdAt } from "./cleanup.js";
import { clientRunsOf } from "./client-runs.js";
import {
  NOT_RUN_SETUP,
  anyCredential,
  presentCredentials,
  runPreflight,
  writeRefusal,
  type CredentialSource,
  type PreflightOutcome,
  type PreflightProblem,
  type PreflightReport,
} from "./preflight.js";
import { credentialFor, credentialHint, resolveTarget, targetSecrets } from "./target.js";

export { NOT_RUN_SETUP, type CredentialSource, type PreflightProblem, type PreflightReport } from "./preflight.js";

/** The version of regkit written into reports. */
export const REGKIT_VERSION = "0.1.0";

/** What the run created and what it could not remove. */
export interface CleanupReport {
  readonly removed: number;
  readonly left: readonly string[];
  readonly errors: readonly string[];
}

/** Counts of results by status, and of recorded deviations that no longer happen. */
export interface RunSummary {
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
  readonly error: number;
  /** Results whose only departure is one the profile records (with its source). */
  readonly deviation: number;
  /** Scenarios the caller excluded, with a reason (`exclude`). */
  readonly disabled: number;
  /** Recorded deviations (distinct ids) every check of which found gone: the registry now follows the rule. */
  readonly deviationsGone: number;
}

/**
 * The report's schema version: 2 added the `deviation` status, `deviations`
 * on results, and `settings`; 3 added the `disabled` status and
 * `summary.disabled` (scenarios the caller excluded, with the reason); 4 added
 * `interrupted` (the run was stopped by its abort signal: what had not started
 * is a `skip` "not run: the run was interrupted", what was running an `error`
 * "interrupted ...", and cleanup still ran); also in 4 (added later in the
 * same release, optional so earlier version-4 reports still read):
 * `preflight` (the setup problems found before or while the run started:
 * `{ problems: { check, message, fix }[] }`; with any, the scenarios they
 * concern are `skip` "not run: setup error: see preflight").
 */
export const REPORT_SCHEMA_VERSION = 4;

/** One kit against one target: the unit every reporter renders. */
export interface RunReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly tool: { readonly name: "regkit"; readonly version: string };
  readonly runId: string;
  readonly format: string;
  /** The registry URL (credentials never appear in it). */
  readonly registry: string;
  readonly profile: string;
  readonly seed: number;
  readonly startedAt: string;
  readonly durationMs: number;
  /** Every setting's effective value (the profile's defaults and what the user set). */
  readonly settings: Readonly<Record<string, unknown>>;
  readonly results: readonly ScenarioResult[];
  readonly summary: RunSummary;
  readonly cleanup: CleanupReport;
  /**
   * Present (true) when the run was interrupted through its abort signal: the
   * results are incomplete (not-started pairs skip with "not run: the run was
   * interrupted"), and cleanup still ran.
   */
  readonly interrupted?: true | undefined;
  /**
   * What the preflight found (runConformance always sets it): each setup
   * problem once, with the fix (a registry that is unreachable, a URL that is
   * not the format's endpoint or names a project that is not there, a
   * credential refused for reading, or for writing at its first publish, no
   * credential at all). With problems, the scenarios they concern did not run
   * (`skip` "not run: setup error: see preflight") and the CLI exits 2.
   */
  readonly preflight?: PreflightReport | undefined;
  /**
   * A short name of the registry (`reference`, `verdaccio`, `nginx`) for the
   * compatibility matrix's columns; absent, the matrix names it by its URL's
   * host. Optional, so earlier version-4 reports still read.
   */
  readonly label?: string | undefined;
}

/** Counts results by status. */
export function summarize(results: readonly ScenarioResult[]): RunSummary {
  const count = (status: ScenarioResult["status"]): number => results.filter((r) => r.status === status).length;
  // A deviation seen anywhere in the run still happens, whatever another check of it found.
  const all = results.flatMap((r) => r.deviations ?? []);
  const seen = new Set(all.filter((d) => d.observed).map((d) => d.id));
  const gone = new Set(all.filter((d) => !d.observed && !seen.has(d.id)).map((d) => d.id)).size;
  return { pass: count("pass"), fail: count("fail"), skip: count("skip"), error: count("error"), deviation: count("deviation"), disabled: count("disabled"), deviationsGone: gone };
}

/** Options of {@link runConformance}. */
export interface RunOptions {
  readonly kit: FormatKit;
  readonly target: Target;
  /** Scenario ids or prefixes (`push` selects `push.small`, `push.many`, ...). */
  readonly scenarios?: readonly string[] | undefined;
  readonly tokenKinds?: readonly TokenKind[] | undefined;
  readonly seed?: number | undefined;
  /** Scenario × token kind pairs run at once (default 2); exclusive scenarios run alone. */
  readonly concurrency?: number | undefined;
  /**
   * Per scenario × token kind, for every scenario; when absent, a scenario's
   * own `timeoutMs` (push.large, push.over-limit 900 s; push.many 1800 s), else 300 s.
   */
  readonly timeoutMs?: number | undefined;
  /** The run id every package name carries; default a fresh one that carries the start time. */
  readonly runId?: string | undefined;
  readonly onResult?: ((result: ScenarioResult) => void) | undefined;
  /**
   * Stops the run: no scenario starts after it fires, those running are
   * aborted (`error` "interrupted"), those not started are reported `skip`
   * "not run: the run was interrupted", cleanup still runs (within
   * `cleanupTimeoutMs`), and the report says `interrupted: true`.
   */
  readonly signal?: AbortSignal | undefined;
  /** The longest cleanup may take (default 120 s): what is not removed by then is listed as left. */
  readonly cleanupTimeoutMs?: number | undefined;
  /**
   * Scenarios (ids or prefixes) not to run here, each with the reason: their
   * results say `disabled` with it, apart from `skip` (which means the target
   * cannot run them).
   */
  readonly exclude?: Readonly<Record<string, string>> | undefined;
  /**
   * Where the target's credentials come from, for the wording of skip
   * reasons and fixes: `env` (default: the CLI's `REGKIT_*` variables) or
   * `target` (`credentials.deploy`, for callers that fill the target).
   */
  readonly credentialSource?: CredentialSource | undefined;
}

const FAILURE_EVIDENCE = 6;
/** Removals in flight at once during cleanup. */
const CLEANUP_CONCURRENCY = 4;
/** The default bound of cleanup: an interrupted run must still end soon. */
export const CLEANUP_TIMEOUT_MS = 120_000;
/** The default time limit of a scenario × token kind without its own. */
export const SCENARIO_TIMEOUT_MS = 300_000;
/**
 * How long a scenario that was stopped (timeout, interruption) may take to
 * wind down, so that what it created is tracked before cleanup and its
 * proxies close; past it the runner goes on without it.
 */
const WIND_DOWN_MS = 2_000;
/** The message of every pair an interrupted run did not start. */
export const NOT_RUN_INTERRUPTED = "not run: the run was interrupted";

/** "1.5 s", "42 s". */
function secondsText(ms: number): string {
  return ms < 10_000 ? `${Number((ms / 1000).toFixed(1))} s` : `${Math.round(ms / 1000)} s`;
}

/**
 * The run's circuit breaker: counts requests in a row that got no response at
 * all (refused, reset, timed out; not those this side abandoned), and trips
 * once there are `limit` of them. A request that got any answer resets it.
 */
export class CircuitBreaker implements RequestWatch {
  private count = 0;
  private readonly listeners = new Set<(why: string) => void>();
  /** Why it tripped, once it has: what the remaining scenarios' "not run" messages say. */
  tripped: string | undefined;

  constructor(readonly limit: number) {}

  start(): RequestHandle {
    return {
      answered: () => this.answered(),
      unanswered: (message, aborted) => this.unanswered(message, aborted),
      done: () => {},
    };
  }

  answered(): void {
    if (!this.tripped) this.count = 0;
  }

  unanswered(message: string, aborted: boolean): void {
    if (aborted || this.limit <= 0 || this.tripped) return;
    this.count += 1;
    if (this.count < this.limit) return;
    this.tripped = `${this.count} requests in a row got no response; the last: ${message}`;
    for (const listener of this.listeners) listener(this.tripped);
  }

  /** Calls `listener` when it trips; returns the function that stops listening. */
  onTrip(listener: (why: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The requests of one scenario: those in flight and the last one over, to say what a stopped scenario was doing. */
class ScenarioRequests implements RequestWatch {
  private readonly open = new Set<{ readonly method: string; readonly path: string; readonly at: number; status?: number }>();
  private last: { readonly method: string; readonly path: string; readonly status: number | undefined; readonly at: number } | undefined;

  constructor(private readonly breaker: CircuitBreaker) {}

  start(method: string, path: string): RequestHandle {
    const entry: { method: string; path: string; at: number; status?: number } = { method, path, at: performance.now() };
    this.open.add(entry);
    return {
      answered: (status) => {
        entry.status = status;
        this.breaker.answered();
      },
      unanswered: (message, aborted) => this.breaker.unanswered(message, aborted),
      done: () => {
        if (!this.open.delete(entry)) return;
        this.last = { method, path, status: entry.status, at: performance.now() };
      },
    };
  }

  /**
   * " waiting for PUT /foo (sent 42 s ago)" (after `inFlight`, " while" say),
   * "; the last request, GET /foo -> 200, ended 3 s before", " before any request was made".
   */
  describe(inFlight = ""): string {
    const now = performance.now();
    const [oldest, ...more] = [...this.open].sort((a, b) => a.at - b.at);
    if (oldest) {
      const what = oldest.status === undefined ? `waiting for ${oldest.method} ${oldest.path}` : `reading the answer to ${oldest.method} ${oldest.path} -> ${oldest.status}`;
      return `${inFlight} ${what} (sent ${secondsText(now - oldest.at)} ago${more.length > 0 ? `; ${more.length} more request${more.length > 1 ? "s" : ""} in flight` : ""})`;
    }
    if (this.last) {
      const status = this.last.status === undefined ? "no response" : String(this.last.status);
      return `; the last request, ${this.last.method} ${this.last.path} -> ${status}, ended ${secondsText(now - this.last.at)} before`;
    }
    return " before any request was made";
  }
}

const KIND_TAG: Record<TokenKind, string> = { personal: "pat", deploy: "dpl", job: "job", readonly: "ro", anonymous: "anon", invalid: "inv" };

/** Every scenario of a kit: the core catalog, then the format's own. */
export function scenariosOf(kit: FormatKit): readonly Scenario[] {
  return [...coreScenarios, ...kit.scenarios];
}

/** Whether scenario `id` is named by `selector`: the id itself, or a prefix of its dotted parts (`push` names `push.small`). */
export function scenarioMatches(id: string, selector: string): boolean {
  return id === selector || id.startsWith(`${selector}.`);
}

/** Scenarios selected by ids or prefixes. */
export function selectScenarios(kit: FormatKit, selection?: readonly string[]): readonly Scenario[] {
  const all = scenariosOf(kit);
  if (!selection || selection.length === 0) return all;
  return all.filter((s) => selection.some((id) => scenarioMatches(s.id, id)));
}

/** Why `scenario` is excluded by `exclude` (the most specific selector wins), or undefined. */
export function exclusionOf(scenario: Scenario, exclude: Readonly<Record<string, string>> | undefined): string | undefined {
  if (!exclude) return undefined;
  const hits = Object.keys(exclude).filter((selector) => scenarioMatches(scenario.id, selector));
  if (hits.length === 0) return undefined;
  const selector = hits.sort((a, b) => b.length - a.length)[0]!;
  return exclude[selector] || "excluded by the caller";
}

/** Token kinds a scenario runs under. */
export function kindsOf(scenario: Scenario): readonly TokenKind[] {
  return scenario.audience === "negative" ? NEGATIVE_TOKEN_KINDS : WRITE_TOKEN_KINDS;
}

/** A fresh run id: short, lowercase, safe in every format's names. */
export function newRunId(): string {
  // The id carries its start time, so `regkit cleanup --older-than` can tell old runs' leftovers apart.
  return newRunIdAt(new Date());
}

/** A package a scenario said it creates (`ctx.track`), before anything says whether it did. */
interface Declared {
  readonly name: string;
  readonly version: string;
}

/**
 * Whether the credential of one write token kind may write at all: the first
 * publish under it decides. The pair that claims the gate makes that publish;
 * the other pairs under the kind wait for the verdict, so that a refused
 * credential is one setup problem instead of a failure per scenario.
 */
interface WriteGate {
  readonly kind: TokenKind;
  /**
   * `ok`; a setup problem; or `none`: its pair published nothing under the
   * kind, and the next pair claims the gate anew. Undefined until then.
   */
  verdict: "ok" | "none" | PreflightProblem | undefined;
  readonly settled: Promise<void>;
  settle(verdict: "ok" | "none" | PreflightProblem): void;
}

function openGate(kind: TokenKind): WriteGate {
  let resolve: () => void = () => {};
  const settled = new Promise<void>((r) => {
    resolve = r;
  });
  const gate: WriteGate = {
    kind,
    verdict: undefined,
    settled,
    settle(verdict) {
      if (gate.verdict !== undefined) return;
      gate.verdict = verdict;
      resolve();
    },
  };
  return gate;
}

/** Methods whose success may leave something on the registry. */
const CREATING_METHODS = new Set(["PUT", "POST", "PATCH"]);

/**
 * Whether an exchange may have created something: a write that was accepted,
 * that met a server error (it may have stored part of it), or that got no
 * answer at all. A 4xx refusal created nothing.
 */
function mayHaveCreated(e: Exchange): boolean {
  return CREATING_METHODS.has(e.method) && (e.status === 0 || (e.status >= 200 && e.status < 300) || e.status >= 500);
}

/** A refusal of the caller: another credential may do better. */
function refusedCaller(e: Exchange): boolean {
  return e.status === 401 || e.status === 403;
}

/** Shared state of one run: tracked packages, secrets, and the setup problems found. */
export class RunSession {
  readonly target: ResolvedTarget;
  readonly secrets: string[];
  /** What the run created, or may have (a publish that got no answer), by name: what cleanup removes. */
  readonly created = new Map<string, Set<string>>();
  /** The token kinds that created each package, the first first: cleanup removes it with that credential. */
  readonly creators = new Map<string, TokenKind[]>();
  /** Trips when the registry stops answering: scenarios not started yet are then not run. */
  readonly breaker: CircuitBreaker;
  /** Setup problems: the preflight's, then any credential refused at its first publish (`write:<kind>`). */
  readonly problems: PreflightProblem[] = [];
  private preflighted: Promise<PreflightOutcome> | undefined;
  /** The preflight found a setup problem: no scenario runs. */
  private setupFailed = false;
  private readonly gates = new Map<TokenKind, WriteGate>();
  /** {@link ScenarioContext.shared} work by kind and key, with the real clients it opened. */
  private readonly sharedWork = new Map<string, { readonly promise: Promise<unknown>; readonly drivers: Map<string, ClientDriver> }>();
  /** {@link DriverContext.runDir}, made when a driver first asks; removed by {@link cleanup}. */
  private runDirMade: Promise<string> | undefined;

  constructor(
    readonly kit: FormatKit,
    target: Target,
    readonly runId: string,
    readonly seed: number,
    /** The token kinds the caller selected (all when absent): a once-per-run scenario runs under the first of them the target has. */
    readonly tokenKinds?: readonly TokenKind[] | undefined,
    /** Where the credentials come from, for the wording of skip reasons and fixes (`REGKIT_*` or `credentials.*`). */
    readonly credentialSource: CredentialSource = "env",
  ) {
    // A token that is undefined or empty (an unset variable) is no credential: its kind skips, saying so, instead of sending it.
    this.target = resolveTarget(kit, { ...target, credentials: presentCredentials(target.credentials) });
    this.secrets = [...targetSecrets(this.target)];
    this.breaker = new CircuitBreaker(this.target.options.unansweredLimit);
  }

  /** The run's scratch directory for drivers ({@link DriverContext.runDir}), made once. */
  runDir(): Promise<string> {
    this.runDirMade ??= mkdtemp(join(tmpdir(), `regkit-run-${this.runId}-`));
    return this.runDirMade;
  }

  /** Removes the run's scratch directory, when one was made (the run is over). */
  private async closeRunDir(): Promise<void> {
    const made = this.runDirMade;
    this.runDirMade = undefined;
    if (made) await rm(await made, { recursive: true, force: true }).catch(() => {});
  }

  /** The first credential, in the order of `kinds`, the target has and its profile allows. */
  writer(kinds: readonly TokenKind[] = WRITE_TOKEN_KINDS): Credential | undefined {
    for (const kind of kinds) {
      if (!this.target.profile.tokenKinds.includes(kind)) continue;
      const credential = credentialFor(this.target, kind);
      if (credential) return credential;
    }
    return undefined;
  }

  /** The secrets to redact while `credential` is in use (the target's, and an invalid token's). */
  secretsFor(credential?: Credential): readonly string[] {
    return targetSecrets(this.target, credential);
  }

  /**
   * The adapter, speaking with `credential`; its requests time out after the
   * target's `requestTimeoutMs` (or `timeoutMs`), end when `signal` fires, and
   * are heard by `watch`.
   */
  connect(
    credential: Credential,
    record: (e: Exchange) => void,
    options: {
      readonly via?: string | undefined;
      readonly signal?: AbortSignal | undefined;
      readonly watch?: RequestWatch | undefined;
      readonly timeoutMs?: number | undefined;
    } = {},
  ): RegistryClient {
    const secrets = this.secretsFor(credential);
    const http = createHttpClient({
      baseUrl: this.target.registry,
      authHeaders: this.target.profile.authHeaders(credential),
      via: options.via ?? "adapter",
      record,
      secrets,
      timeoutMs: options.timeoutMs ?? this.target.options.requestTimeoutMs,
      signal: options.signal,
      watch: options.watch,
    });
    return this.kit.connect({ target: this.target, credential, http, runId: this.runId, secrets });
  }

  /**
   * Checks the setup before `pairs` run (the first call runs it, later calls
   * get its outcome): the registry answers, its URL is the format's endpoint
   * (and names a GitLab project that is there), the credentials these pairs
   * use are accepted for reading, and some credential is given at all. What
   * it finds is added to {@link problems}; with any, {@link runOne} runs
   * nothing ("not run: setup error: see preflight").
   */
  preflight(pairs: readonly { readonly scenario: Scenario; readonly kind: TokenKind }[], signal?: AbortSignal): Promise<PreflightOutcome> {
    this.preflighted ??= (async () => {
      const kinds = new Set<TokenKind>();
      for (const { scenario, kind } of pairs) {
        if (this.skipReason(scenario, kind)) continue;
        if (kind !== "anonymous" && kind !== "invalid") kinds.add(kind);
        // The negatives prepare their package with the first write credential.
        const writer = scenario.audience === "negative" ? this.writer() : undefined;
        if (writer) kinds.add(writer.kind);
      }
      const credentials = ALL_TOKEN_KINDS.filter((kind) => kinds.has(kind)).flatMap((kind) => credentialFor(this.target, kind) ?? []);
      const hasWriteKinds = this.target.profile.tokenKinds.some((kind) => (WRITE_TOKEN_KINDS as readonly TokenKind[]).includes(kind));
      const outcome = await runPreflight(this, credentials, { none: hasWriteKinds && !anyCredential(this.target.credentials), signal });
      this.problems.push(...outcome.problems);
      this.setupFailed = outcome.problems.length > 0;
      return outcome;
    })();
    return this.preflighted;
  }

  /** Why no scenario can run under `kind` here (the profile lacks it, no credential), or undefined. */
  kindUnavailable(kind: TokenKind): string | undefined {
    const { profile } = this.target;
    if (!profile.tokenKinds.includes(kind)) return `the ${profile.name} profile has no ${kind} tokens`;
    if (!credentialFor(this.target, kind)) return credentialHint(kind, this.credentialSource);
    if (kind === "personal" && profile.personalUsername === "required" && !this.target.credentials.personalUsername) {
      const where = this.credentialSource === "env" ? "REGKIT_PERSONAL_USERNAME" : "credentials.personalUsername in the target";
      return `the ${profile.name} profile sends the personal access token as Basic auth with its owner's username, which the registry checks: set ${where}`;
    }
    return undefined;
  }

  /** The write kinds the run selected that the target has, in order (personal, deploy, job). */
  writeKinds(): TokenKind[] {
    return WRITE_TOKEN_KINDS.filter((kind) => (!this.tokenKinds || this.tokenKinds.includes(kind)) && !this.kindUnavailable(kind));
  }

  /** The kind a once-per-run scenario runs under: the first of {@link writeKinds}. */
  onceKind(): TokenKind | undefined {
    return this.writeKinds()[0];
  }

  /** Why a scenario cannot run under a kind here, or undefined. */
  skipReason(scenario: Scenario, kind: TokenKind): string | undefined {
    const { profile, capabilities } = this.target;
    const unavailable = this.kindUnavailable(kind);
    if (unavailable) return unavailable;
    // Any kit's capabilities, read by name: core's and the kit's own keys.
    const has: Readonly<Record<string, boolean | undefined>> = capabilities;
    for (const capability of scenario.requires ?? []) {
      if (!has[capability]) return `target lacks capability ${capability} (profile ${profile.name})`;
    }
    if (scenario.audience === "negative" && !this.writer()) {
      return this.credentialSource === "env"
        ? "no write credential to prepare the package (set REGKIT_PERSONAL_TOKEN, REGKIT_DEPLOY_TOKEN or REGKIT_JOB_TOKEN)"
        : "no write credential to prepare the package (set credentials.personal, credentials.deploy or credentials.job in the target)";
    }
    if (scenario.oncePerRun) {
      const once = this.onceKind();
      if (once !== kind) return `runs once per run: ${scenario.oncePerRunReason ?? "what it checks belongs to the instance, not to a token"} (under ${once ?? "no kind"} only)`;
    }
    return undefined;
  }

  /** Records that `name@version` was (or may have been) created with a credential of kind `by`. */
  private remember(name: string, version: string, by: TokenKind): void {
    let versions = this.created.get(name);
    if (!versions) this.created.set(name, (versions = new Set()));
    versions.add(version);
    const kinds = this.creators.get(name) ?? [];
    if (!kinds.includes(by)) this.creators.set(name, [...kinds, by]);
  }

  /**
   * Runs one scenario under one token kind; never throws. Ends within
   * `timeoutMs` (plus a short wind-down), when `signal` fires (the run is
   * interrupted), or when the run's circuit breaker trips; each says which
   * request was in flight. Once `signal` has fired or the breaker has tripped,
   * it does not start: `skip` "not run: the run was interrupted", or `error`
   * "not run: the registry stopped answering (...)". After a setup problem
   * (the preflight's, or the credential it publishes with refused at its first
   * publish) it does not start either: `skip` "not run: setup error: see preflight".
   */
  async runOne(scenario: Scenario, kind: TokenKind, timeoutMs: number, signal?: AbortSignal): Promise<ScenarioResult> {
    const started = performance.now();
    const notes: string[] = [];
    const latency: LatencySeries[] = [];
    const throughput: Record<string, number> = {};
    const exchanges: Exchange[] = [];
    const deviations: (DeviationResult & { exchanges?: readonly Exchange[] })[] = [];
    const closers: (() => Promise<void>)[] = [];
    /** The real clients the scenario opened a recording proxy for, by name: the result's `clients`. */
    const used = new Map<string, ClientDriver>();
    const record = (e: Exchange): void => {
      exchanges.push(e);
    };
    const result = (fields: Partial<ScenarioResult> & Pick<ScenarioResult, "status">): ScenarioResult => ({
      format: this.kit.format,
      scenario: scenario.id,
      title: scenario.title,
      tokenKind: kind,
      exchanges: [],
      durationMs: performance.now() - started,
      notes,
      latency,
      throughput,
      ...(deviations.length > 0 ? { deviations: deviations.map(({ exchanges: _e, ...d }) => d) } : {}),
      ...fields,
      ...(fields.message === undefined ? {} : { message: redact(fields.message, this.secrets) }),
    });
    const notStarted = (): ScenarioResult | undefined => {
      if (signal?.aborted) return result({ status: "skip", message: NOT_RUN_INTERRUPTED });
      if (this.breaker.tripped) return result({ status: "error", message: `not run: the registry stopped answering (${this.breaker.tripped})` });
      if (this.setupFailed) return result({ status: "skip", message: NOT_RUN_SETUP });
      return undefined;
    };

    const reason = this.skipReason(scenario, kind);
    if (reason) return result({ status: "skip", message: reason });
    const early = notStarted();
    if (early) return early;
    // The kind this pair publishes with: its own, or for the negatives the first write credential's.
    const writes = scenario.audience === "negative" ? this.writer()?.kind : kind;
    let gate: WriteGate | undefined;
    if (writes !== undefined) {
      for (;;) {
        const current = this.gates.get(writes);
        if (!current || current.verdict === "none") {
          gate = openGate(writes);
          this.gates.set(writes, gate);
          break;
        }
        if (current.verdict === undefined) {
          await current.settled;
          continue;
        }
        if (current.verdict !== "ok") return result({ status: "skip", message: NOT_RUN_SETUP });
        break;
      }
      // The wait may have been long enough for the run to be interrupted or the registry to fall silent.
      const late = notStarted();
      if (late) {
        gate?.settle("none");
        return late;
      }
    }
    const outcome = await this.attempt(scenario, kind, timeoutMs, signal, { result, record, exchanges, notes, latency, throughput, deviations, closers, used }, gate);
    // The credential was refused at its first publish: a setup problem, reported once in the preflight, not a failure of this scenario.
    if (gate && gate.verdict !== undefined && typeof gate.verdict !== "string") return result({ status: "skip", message: NOT_RUN_SETUP });
    // Which real clients took part and how each did, with their versions: the compatibility matrix's rows.
    const clients = await clientRunsOf(outcome, used);
    return clients.length > 0 ? { ...outcome, clients } : outcome;
  }

  /** Runs the scenario itself, once {@link runOne} has decided it may start. */
  private async attempt(
    scenario: Scenario,
    kind: TokenKind,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    run: {
      readonly result: (fields: Partial<ScenarioResult> & Pick<ScenarioResult, "status">) => ScenarioResult;
      readonly record: (e: Exchange) => void;
      readonly exchanges: Exchange[];
      readonly notes: string[];
      readonly latency: LatencySeries[];
      readonly throughput: Record<string, number>;
      readonly deviations: (DeviationResult & { exchanges?: readonly Exchange[] })[];
      readonly closers: (() => Promise<void>)[];
      readonly used: Map<string, ClientDriver>;
    },
    gate: WriteGate | undefined,
  ): Promise<ScenarioResult> {
    const { result, record, exchanges, notes, latency, throughput, deviations, closers, used } = run;
    const credential = credentialFor(this.target, kind)!;
    const requests = new ScenarioRequests(this.breaker);
    const abort = new AbortController();
    // Settles (rejects) once the scenario is stopped from outside: its timeout, the run's interruption, the breaker.
    let halt: (error: ProtocolError) => void = () => {};
    const halted = new Promise<never>((_, reject) => {
      halt = reject;
    });
    const stop = (error: ProtocolError, reason: string): void => {
      if (abort.signal.aborted) return;
      // The result first, then the abort: the requests it ends must not get to report first.
      halt(error);
      abort.abort(new Error(reason));
    };
    const onAbort = (): void => stop(new ProtocolError(`interrupted${requests.describe(" while")}`), "interrupted");
    if (signal) signal.addEventListener("abort", onAbort);
    // The scenario whose own request tripped the breaker reports that request's
    // error; the others in flight are stopped right after.
    const offTrip = this.breaker.onTrip((why) => {
      setImmediate(() => stop(new ProtocolError(`stopped: the registry stopped answering (${why})`), "the registry stopped answering"));
    });

    // What the scenario said it creates (ctx.track) counts as created only once a
    // write may have created it: a publish the registry refused (a wrong project,
    // a refused token) leaves nothing for cleanup to remove or to list as left.
    const declared = new Map<string, Declared>();
    /** Packages whose publish through the adapter was refused outright. */
    const refused = new Set<string>();
    /** Publishes through the adapter still waiting for their answer. */
    const inFlight = new Set<Declared & { readonly by: TokenKind }>();
    const keyOf = (name: string, version: string): string => `${name}\u0000${version}`;
    const judgeFirst = (by: TokenKind, exchange: Exchange | undefined): void => {
      if (!gate || gate.verdict !== undefined || by !== gate.kind) return;
      const problem = exchange ? writeRefusal(this, by, exchange) : undefined;
      if (problem) this.problems.push(problem);
      gate.settle(problem ?? "ok");
    };
    // The adapter, with its publish watched: what it created, and the first publish's verdict on the credential.
    const watched = (client: RegistryClient, as: Credential): RegistryClient => {
      const publish = async (artifact: Artifact): Promise<PublishOutcome> => {
        const pending = { name: artifact.name, version: artifact.version, by: as.kind };
        const from = exchanges.length;
        inFlight.add(pending);
        let outcome: PublishOutcome;
        try {
          outcome = await client.publish(artifact);
        } catch (error) {
          // No answer, or one the adapter could not read: it may have landed.
          this.remember(artifact.name, artifact.version, as.kind);
          judgeFirst(as.kind, undefined);
          throw error;
        } finally {
          inFlight.delete(pending);
        }
        if (outcome.accepted || exchanges.slice(from).some(mayHaveCreated)) this.remember(artifact.name, artifact.version, as.kind);
        else refused.add(keyOf(artifact.name, artifact.version));
        judgeFirst(as.kind, outcome.exchange);
        return outcome;
      };
      // A proxy keeps the kit's own methods (and private fields) of the adapter: only publish is watched.
      return new Proxy(client, {
        get(target, property) {
          if (property === "publish") return publish;
          const value: unknown = Reflect.get(target, property, target);
          if (typeof value !== "function") return value;
          const bound: unknown = value.bind(target);
          return bound;
        },
      });
    };

    const seed = this.seed;
    const writeKinds = this.writeKinds();
    const connection = { signal: abort.signal, watch: requests };
    const ctx: ScenarioContext = {
      kit: this.kit,
      target: this.target,
      credential,
      client: watched(this.connect(credential, record, connection), credential),
      connect: (other) => watched(this.connect(other, record, connection), other),
      onceKind: writeKinds[0],
      writeKinds,
      writer: this.writer(),
      runId: this.runId,
      fc: { seed, numRuns: this.target.options.numRuns },
      options: this.target.options,
      signal: abort.signal,
      // One name space per token kind: the kinds run side by side and must not collide.
      name: (base) => this.kit.packageName(this.runId, `${base}-${KIND_TAG[kind]}`),
      build: (spec) => this.kit.build(spec),
      track: (name, version) => {
        declared.set(keyOf(name, version), { name, version });
      },
      skip: (why) => {
        throw new ScenarioSkip(why);
      },
      note: (message) => notes.push(redact(message, this.secrets)),
      deviates: async (id, check) => {
        const recorded = this.target.profile.deviations?.[id];
        try {
          await check();
        } catch (error) {
          if (!recorded || !(error instanceof ConformanceFailure)) throw error;
          const expectation = { expected: redact(error.expectation.expected, this.secrets), actual: redact(error.expectation.actual, this.secrets) };
          deviations.push({ id, ...recorded, observed: true, expectation, exchanges: error.exchanges });
          return true;
        }
        if (recorded) {
          deviations.push({ id, ...recorded, observed: false });
          notes.push(`recorded deviation ${id} no longer happens: ${recorded.summary} (${recorded.source}); the ${this.target.profile.name} profile can drop it`);
        }
        return false;
      },
      latency: (series) => latency.push(series),
      throughput: (label, bytesPerSecond) => {
        throughput[label] = bytesPerSecond;
      },
      exchanges: () => exchanges,
      shared: async <T>(key: string, make: () => Promise<T>): Promise<T> => {
        const id = `${kind}\u0000${key}`;
        let work = this.sharedWork.get(id);
        if (!work) {
          const drivers = new Map<string, ClientDriver>();
          const before = new Set(used.keys());
          const promise = make().finally(() => {
            for (const [name, driver] of used) if (!before.has(name)) drivers.set(name, driver);
          });
          work = { promise, drivers };
          this.sharedWork.set(id, work);
        }
        const value = (await work.promise) as T;
        for (const [name, driver] of work.drivers) if (!used.has(name)) used.set(name, driver);
        return value;
      },
      driverContext: async (driver: ClientDriver, as?: Credential): Promise<DriverContext> => {
        const proxy = await startRecordingProxy({
          registry: this.target.registry,
          record,
          secrets: this.secretsFor(as ?? credential),
          via: driver.name,
          timeoutMs: this.target.options.requestTimeoutMs,
          watch: requests,
        });
        const workdir = await mkdtemp(join(tmpdir(), `regkit-${driver.name}-`));
        const runDir = await this.runDir();
        if (!used.has(driver.name)) used.set(driver.name, driver);
        closers.push(async () => {
          await proxy.close();
          await rm(workdir, { recursive: true, force: true });
        });
        return { registry: proxy.url, target: this.target, credential: as ?? credential, workdir, runDir, signal: abort.signal, secrets: this.secretsFor(as ?? credential) };
      },
    };

    const timer = setTimeout(() => {
      stop(new ProtocolError(`timed out after ${secondsText(timeoutMs)}${requests.describe()}`), `the scenario timed out after ${secondsText(timeoutMs)}`);
    }, timeoutMs);
    // Inside an async function, so a scenario that throws before its first await still settles here.
    const running = (async () => scenario.run(ctx))();
    try {
      await Promise.race([running, halted]);
      const seen = deviations.filter((d) => d.observed);
      if (seen.length > 0) {
        const first = seen[0]!;
        return result({
          status: "deviation",
          message: seen.map((d) => `known deviation ${d.id}: ${d.summary} (${d.source})`).join("; "),
          expectation: first.expectation,
          exchanges: seen.flatMap((d) => d.exchanges ?? []).slice(-FAILURE_EVIDENCE),
        });
      }
      return result({ status: "pass", exchanges: scenario.id === "endpoints.audit" ? exchanges.slice(-200) : [] });
    } catch (error) {
      return this.classify(error, result, exchanges, seed);
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      offTrip();
      if (abort.signal.aborted) {
        // Its requests fail at once now; give it a moment to wind down so what it created is tracked before cleanup.
        let wait: NodeJS.Timeout | undefined;
        await Promise.race([running.catch(() => {}), new Promise<void>((resolve) => (wait = setTimeout(resolve, WIND_DOWN_MS)))]);
        clearTimeout(wait);
      }
      for (const close of closers) await close().catch(() => {});
      // A publish still waiting for its answer may land after all: cleanup must try it.
      for (const pending of inFlight) this.remember(pending.name, pending.version, pending.by);
      // What the adapter's publish did not cover (a real client's publish, a raw
      // request): created if any write of the scenario may have created something.
      const wrote = exchanges.some(mayHaveCreated);
      const by = (WRITE_TOKEN_KINDS as readonly TokenKind[]).includes(credential.kind) ? credential.kind : (this.writer()?.kind ?? credential.kind);
      for (const [key, d] of declared) {
        if (this.created.get(d.name)?.has(d.version) || refused.has(key)) continue;
        if (wrote) this.remember(d.name, d.version, by);
      }
      gate?.settle("none");
    }
  }


  private classify(
    error: unknown,
    result: (fields: Partial<ScenarioResult> & Pick<ScenarioResult, "status">) => ScenarioResult,
    exchanges: readonly Exchange[],
    seed: number,
  ): ScenarioResult {
    if (error instanceof ScenarioSkip) return result({ status: "skip", message: error.message });
    const evidence = (own: readonly Exchange[]): Exchange[] => (own.length > 0 ? [...own] : exchanges.slice(-FAILURE_EVIDENCE));
    if (error instanceof ConformanceFailure) {
      return result({
        status: "fail",
        message: error.message,
        expectation: {
          expected: redact(error.expectation.expected, this.secrets),
          actual: redact(error.expectation.actual, this.secrets),
        },
        exchanges: evidence(error.exchanges),
        replay: error.replay ?? { seed },
      });
    }
    if (error instanceof ProtocolError) {
      return result({
        status: "error",
        message: error.message,
        expectation: error.expectation,
        exchanges: evidence(error.exchanges),
      });
    }
    const message = error instanceof Error ? `${error.name === "Error" ? "" : `${error.name}: `}${error.message}` : String(error);
    return result({ status: "error", message: `unexpected error: ${message}`, exchanges: exchanges.slice(-FAILURE_EVIDENCE) });
  }

  /**
   * Removes what the run created, and only that, within `timeoutMs` (default
   * 120 s: an interrupted run must still end soon). Each package goes with the
   * credential that created it; when that one is refused (401, 403: a token
   * that may publish but not delete, or one that stopped working), with the
   * others in turn. It stops early when the registry stops answering (its own
   * circuit breaker); what it did not remove is listed as left, with the
   * registry's answers among the errors. The run's scratch directory
   * ({@link DriverContext.runDir}) goes too, whoever ends the run
   * (runConformance, describeConformance).
   */
  async cleanup(options: { readonly timeoutMs?: number | undefined } = {}): Promise<CleanupReport> {
    try {
      return await this.removeCreated(options);
    } finally {
      await this.closeRunDir();
    }
  }

  /** The packages part of {@link cleanup}. */
  private async removeCreated(options: { readonly timeoutMs?: number | undefined }): Promise<CleanupReport> {
    const left: string[] = [];
    const errors: string[] = [];
    let removed = 0;
    const owned = [...this.created.entries()].filter(([name]) => this.kit.ownsName(this.runId, name));
    if (owned.length === 0) return { removed, left, errors };
    const budget = options.timeoutMs ?? CLEANUP_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(Math.max(1, budget));
    const breaker = new CircuitBreaker(this.target.options.unansweredLimit);
    const stopped = (): string | undefined =>
      deadline.aborted
        ? `cleanup stopped after ${secondsText(budget)} (its time limit)`
        : breaker.tripped
          ? `cleanup stopped: the registry stopped answering (${breaker.tripped})`
          : undefined;
    // The exchanges of each removal, apart from the others in flight: they tell a refusal from a success.
    const removal = new AsyncLocalStorage<Exchange[]>();
    const record = (e: Exchange): void => {
      removal.getStore()?.push(e);
    };
    const connection = { via: "cleanup", signal: deadline, watch: breaker };
    const removers = new Map<TokenKind, (name: string) => Promise<unknown>>();
    let kinds: readonly TokenKind[] = [];
    let removerFor: (credential: Credential) => (name: string) => Promise<unknown>;
    const writer = this.writer();
    const viaProtocol = writer !== undefined && this.target.capabilities.delete && this.connect(writer, record, connection).remove !== undefined;
    const api = this.target.profile.packagesApi;
    if (viaProtocol) {
      kinds = WRITE_TOKEN_KINDS.filter((kind) => this.writer([kind]));
      removerFor = (credential) => {
        const client = this.connect(credential, record, connection);
        return async (name) => client.remove?.(name);
      };
    } else if (api) {
      // No delete in the protocol: GitLab's Packages API, which reads no deploy
      // tokens (GITLAB_FACTS.restApiCredentials) and lets only a Maintainer
      // delete (GITLAB_FACTS.destroyNeedsMaintainer): a personal token, else a job token.
      kinds = (["personal", "job"] as const).filter((kind) => this.writer([kind]));
      removerFor = (credential) => {
        // The REST API reads credentials by its own rules, not the format's: gitlabApiHeaders, not the profile's authHeaders.
        const http = createHttpClient({
          baseUrl: this.target.registry,
          authHeaders: {},
          record,
          secrets: this.secretsFor(credential),
          timeoutMs: this.target.options.requestTimeoutMs,
          ...connection,
        });
        return (name) => removeThroughPackagesApi(http, this.target.registry, credential, api, name);
      };
      if (kinds.length === 0) {
        const needs = this.credentialSource === "env" ? "set REGKIT_PERSONAL_TOKEN or REGKIT_JOB_TOKEN" : "set credentials.personal or credentials.job in the target";
        errors.push(`cleanup needs GitLab's Packages API, which takes a Maintainer's personal access token or a CI job token, not a deploy token: ${needs}`);
      }
    } else {
      removerFor = () => async () => {};
    }
    if (kinds.length === 0) {
      for (const [name, versions] of owned) for (const v of versions) left.push(`${name}@${v}`);
      return { removed, left, errors };
    }
    const removeWith = (kind: TokenKind): ((name: string) => Promise<unknown>) => {
      let remove = removers.get(kind);
      if (!remove) removers.set(kind, (remove = removerFor(this.writer([kind])!)));
      return remove;
    };
    /** One try with one credential: done, or why not and whether the credential was refused (another may do better). */
    const attempt = async (name: string, kind: TokenKind): Promise<{ readonly done: true } | { readonly done: false; readonly refused: boolean; readonly why: string }> => {
      const seen: Exchange[] = [];
      try {
        await removal.run(seen, () => removeWith(kind)(name));
      } catch (error) {
        return { done: false, refused: seen.some(refusedCaller), why: (error as Error).message };
      }
      // Some adapters do not throw for a refused delete: the answer says it.
      const refusal = seen.find(refusedCaller);
      return refusal ? { done: false, refused: true, why: `${refusal.method} ${refusal.path} answered ${refusal.status}` } : { done: true };
    };
    // A few removals at a time: a run leaves hundreds of packages (push.many), each its own request.
    const names = owned.map(([name]) => name);
    let next = 0;
    const remover = async (): Promise<void> => {
      while (next < names.length && !stopped()) {
        const name = names[next++]!;
        // The credential that created it first, then the others.
        const order = [...new Set([...(this.creators.get(name) ?? []).filter((k) => kinds.includes(k)), ...kinds])];
        const tries: string[] = [];
        let done = false;
        for (const kind of order) {
          const outcome = await attempt(name, kind);
          if (outcome.done) {
            done = true;
            break;
          }
          tries.push(`${order.length > 1 ? `with the ${kind} credential: ` : ""}${outcome.why}`);
          // No answer or a server error: another credential would meet the same.
          if (!outcome.refused || stopped()) break;
        }
        if (done) {
          removed++;
          continue;
        }
        // Past the deadline or once the registry stopped answering, the one reason below says it for all.
        if (!stopped()) errors.push(redact(`${name}: ${tries.join("; ")}`, this.secrets));
        left.push(name);
      }
    };
    await Promise.all(Array.from({ length: CLEANUP_CONCURRENCY }, remover));
    const why = stopped();
    if (why) {
      left.push(...names.slice(next));
      errors.push(redact(`${why}: ${left.length} package${left.length === 1 ? "" : "s"} not removed`, this.secrets));
    }
    left.sort();
    return { removed, left, errors };
  }
}

/** Runs tasks with bounded concurrency; exclusive tasks run alone. */
async function schedule(tasks: readonly { exclusive: boolean; run: () => Promise<void> }[], concurrency: number): Promise<void> {
  const shared = tasks.filter((t) => !t.exclusive);
  const exclusive = tasks.filter((t) => t.exclusive);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < shared.length) {
      const task = shared[next++]!;
      await task.run();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  for (const task of exclusive) await task.run();
}

/**
 * Runs a kit's scenarios against a target under every token kind, and cleans
 * up. Never throws for what the registry does: every problem is a result.
 * Throws ConfigError for a target that cannot be resolved.
 */
export async function runConformance(options: RunOptions): Promise<RunReport> {
  const startedAt = new Date();
  const started = performance.now();
  const runId = options.runId ?? newRunId();
  const seed = options.seed ?? (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 1;
  const session = new RunSession(options.kit, options.target, runId, seed, options.tokenKinds, options.credentialSource);
  const scenarios = selectScenarios(options.kit, options.scenarios);
  const results: ScenarioResult[] = [];
  const emit = (r: ScenarioResult): void => {
    results.push(r);
    options.onResult?.(r);
  };

  const pairs = scenarios.flatMap((scenario) =>
    kindsOf(scenario)
      .filter((kind) => !options.tokenKinds || options.tokenKinds.includes(kind))
      .map((kind) => ({ scenario, kind })),
  );
  const disabled = (scenario: Scenario, kind: TokenKind, reason: string): ScenarioResult => ({
    format: options.kit.format,
    scenario: scenario.id,
    title: scenario.title,
    tokenKind: kind,
    status: "disabled",
    message: `disabled: ${reason}`,
    exchanges: [],
    durationMs: 0,
    notes: [],
    latency: [],
    throughput: {},
  });
  const active = pairs.filter(({ scenario, kind }) => {
    const reason = exclusionOf(scenario, options.exclude);
    if (reason !== undefined) emit(disabled(scenario, kind, reason));
    return reason === undefined;
  });
  // Before any scenario: the registry answers, the URL and project are right, the credentials are accepted.
  const preflight = await session.preflight(active, options.signal);
  const down = preflight.interrupted ? NOT_RUN_INTERRUPTED : preflight.silent;
  const notRun = (scenario: Scenario, kind: TokenKind, status: "skip" | "error", message: string): ScenarioResult => ({
    format: options.kit.format,
    scenario: scenario.id,
    title: scenario.title,
    tokenKind: kind,
    status,
    message,
    exchanges: [],
    durationMs: 0,
    notes: [],
    latency: [],
    throughput: {},
  });
  if (down) {
    for (const { scenario, kind } of active) {
      const skip = session.skipReason(scenario, kind) ?? (down === NOT_RUN_INTERRUPTED ? down : undefined);
      emit(notRun(scenario, kind, skip ? "skip" : "error", skip ?? down));
    }
  } else if (preflight.problems.length > 0) {
    // A setup problem, said once in the preflight: a pair that could not run anyway keeps its own reason.
    for (const { scenario, kind } of active) emit(notRun(scenario, kind, "skip", session.skipReason(scenario, kind) ?? NOT_RUN_SETUP));
  } else {
    await schedule(
      active.map(({ scenario, kind }) => ({
        exclusive: scenario.exclusive === true,
        // Once interrupted, once the breaker tripped, or once its credential was refused for writing, runOne reports the pair as not run without starting it.
        run: async () => emit(await session.runOne(scenario, kind, options.timeoutMs ?? scenario.timeoutMs ?? SCENARIO_TIMEOUT_MS, options.signal)),
      })),
      options.concurrency ?? 2,
    );
  }
  const order = new Map(pairs.map((p, i) => [`${p.scenario.id}/${p.kind}`, i]));
  results.sort((a, b) => (order.get(`${a.scenario}/${a.tokenKind}`) ?? 0) - (order.get(`${b.scenario}/${b.tokenKind}`) ?? 0));
  const interrupted = options.signal?.aborted === true;
  // Not bound to the run's signal: an interrupted run still removes what it created, within its own time limit.
  // Only what a publish may have created is tracked: after a setup problem there is usually nothing to remove.
  const cleanup = await session.cleanup({ timeoutMs: options.cleanupTimeoutMs });
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: "regkit", version: REGKIT_VERSION },
    runId,
    format: options.kit.format,
    registry: redact(session.target.registry, session.secrets),
    profile: session.target.profile.name,
    settings: session.target.settings,
    seed,
    startedAt: startedAt.toISOString(),
    durationMs: performance.now() - started,
    results,
    summary: summarize(results),
    cleanup,
    ...(interrupted ? { interrupted: true as const } : {}),
    preflight: { problems: [...session.problems] },
  };
}
