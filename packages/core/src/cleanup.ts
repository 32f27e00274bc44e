/**
 * Finding and removing what regkit runs left on a registry: a run that was
 * killed, a CI job that timed out, a registry that refused a delete. Every
 * name a kit makes carries the run id (`kit.packageName`), so a leftover can
 * be told apart from anyone else's package, attributed to its run, and, with
 * run ids that carry their start time, aged.
 *
 * Listing: GitLab's Packages API where the profile says the format's packages
 * are there (`packagesApi`), else the protocol's search, else the names the
 * user gives. Removing: one Packages API record at a time where it was listed
 * so, else the protocol's delete, else the Packages API by name.
 *
 * @module
 */
import { randomInt } from "node:crypto";
import type { Credential, Exchange, FormatKit, HttpClient, PackagesApi, RegistryClient, ResolvedTarget, Target, TokenKind } from "./contract.js";
import { ConfigError, ProtocolError } from "./errors.js";
import { gitlabApiHeaders, gitlabProjectApi, removeThroughPackagesApi } from "./gitlab.js";
import { createHttpClient, expectStatus } from "./http.js";
import { redact } from "./redact.js";
import { credentialFor, resolveTarget, targetSecrets } from "./target.js";

// ---------------------------------------------------------------------------
// Run ids that carry their start time

/** Run ids count minutes from here (UTC); regkit had no such ids before. */
export const RUN_ID_EPOCH = Date.UTC(2026, 0, 1);
/** Base-36 digits of the minutes: 36^5 minutes is about 115 years. */
const TIME_DIGITS = 5;
/**
 * Random base-36 digits after the time: runs started in the same minute (a CI
 * matrix) differ here. Two would give 1 in 1,296 per pair, too likely for eight
 * parallel jobs (about 2 %); three give 1 in 46,656.
 */
const RANDOM_DIGITS = 3;
const MAX_MINUTES = 36 ** TIME_DIGITS - 1;
const TIMED_ID = new RegExp(`^[0-9a-z]{${TIME_DIGITS + RANDOM_DIGITS}}$`);
/** The ids regkit made before they carried a time: six lowercase hex digits. */
const LEGACY_ID = /^[0-9a-f]{6}$/;

/**
 * A fresh run id for a run started at `date`: the minutes since
 * {@link RUN_ID_EPOCH} in 5 base-36 digits, then 3 random ones (8 characters,
 * lowercase letters and digits: safe in every format's names, short enough for
 * NuGet's and npm's length limits). {@link runStartOf} reads the time back.
 */
export function newRunIdAt(date: Date): string {
  // A clock before the epoch (or absurdly far ahead) still gets a valid id; its age is then wrong, never its shape.
  const minutes = Math.min(MAX_MINUTES, Math.max(0, Math.floor((date.getTime() - RUN_ID_EPOCH) / 60_000)));
  const random = randomInt(36 ** RANDOM_DIGITS).toString(36).padStart(RANDOM_DIGITS, "0");
  return `${minutes.toString(36).padStart(TIME_DIGITS, "0")}${random}`;
}

/**
 * When the run `runId` started (to the minute), for ids made by
 * {@link newRunIdAt}; undefined for ids that carry no time (the older six hex
 * digits, or an id the user chose).
 */
export function runStartOf(runId: string): Date | undefined {
  if (!TIMED_ID.test(runId)) return undefined;
  return new Date(RUN_ID_EPOCH + Number.parseInt(runId.slice(0, TIME_DIGITS), 36) * 60_000);
}

/** Whether `runId` has a shape regkit makes (so a name's part that looks like one is taken for a run id). */
function isGeneratedRunId(runId: string): boolean {
  return TIMED_ID.test(runId) || LEGACY_ID.test(runId);
}

// ---------------------------------------------------------------------------
// Which run made a name

/** A run id no kit would put in a name by chance: it shows where a kit puts the run id. */
const MARKER = "q0runid0q";

/**
 * A name with case and the separators `-`, `_`, `.` made alike: kits and
 * registries spell run prefixes differently (`Regkit.R<id>.`, a PyPI name
 * uploaded as `regkit_<id>_x`), the run id itself has none of them.
 */
function loose(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

interface NameTemplate {
  /** What comes before the run id, loosened (`regkit-`, `io-regkit-r`). */
  readonly prefix: string;
  /** The character after the run id, loosened (`-`, `:`). */
  readonly separator: string;
  /** The prefix's longest word (`regkit`): what a fuzzy name filter or a search is asked for. */
  readonly word: string;
}

const templates = new WeakMap<FormatKit, NameTemplate | null>();

/** Where `kit.packageName` puts the run id, read from a name made with a marker id; null when it cannot be seen. */
function templateOf(kit: FormatKit): NameTemplate | null {
  const known = templates.get(kit);
  if (known !== undefined) return known;
  const sample = loose(kit.packageName(MARKER, "x"));
  const at = sample.indexOf(MARKER);
  let template: NameTemplate | null = null;
  if (at >= 0) {
    const prefix = sample.slice(0, at);
    const separator = sample.charAt(at + MARKER.length);
    const word = (prefix.match(/[a-z0-9]+/g) ?? []).sort((a, b) => b.length - a.length)[0] ?? "";
    if (separator !== "" && word.length >= 3) template = { prefix, separator, word };
  }
  templates.set(kit, template);
  return template;
}

/**
 * Which run made `name` (a name in the kit's own spelling, e.g. Maven's
 * `groupId:artifactId`), or undefined when it is not a regkit name. Only run
 * ids of the shapes regkit makes are read (six hex digits, or
 * {@link newRunIdAt}'s eight), and the kit must confirm with `ownsName`: a
 * package called `regkit-tools` is nobody's run. Names of a run whose id the
 * user chose are found with that id (`ownsName`), not here.
 */
export function runIdOf(kit: FormatKit, name: string): string | undefined {
  const template = templateOf(kit);
  if (!template) return undefined;
  const text = loose(name);
  for (let at = text.indexOf(template.prefix); at >= 0; at = text.indexOf(template.prefix, at + 1)) {
    const start = at + template.prefix.length;
    const end = text.indexOf(template.separator, start);
    if (end <= start) continue;
    const runId = text.slice(start, end);
    if (isGeneratedRunId(runId) && kit.ownsName(runId, name)) return runId;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Finding leftovers

/** One package (or one version of it) a regkit run left on the registry. */
export interface Leftover {
  /** The name in the kit's spelling (`io.regkit.r<run>:app` for Maven). */
  readonly name: string;
  /** The version; null for a versionless record (Maven's artifact-level metadata); undefined for every version (found by search or given by name). */
  readonly version?: string | null | undefined;
  readonly runId: string;
  /** When its run started: from the run id, or at the latest when its first package was created (ISO 8601); undefined when unknown. */
  readonly runStartedAt?: string | undefined;
  /** The Packages API record it was listed as (removed by this id). */
  readonly record?: { readonly id: number; readonly listedName: string; readonly createdAt?: string | undefined } | undefined;
}

/** A regkit package the filters spared, and why (a run too recent, a run whose start is unknown). */
export interface KeptLeftover {
  readonly leftover: Leftover;
  readonly reason: string;
}

/** What {@link findLeftovers} found. */
export interface LeftoverListing {
  /** How the registry was listed. */
  readonly via: "packages-api" | "search" | "names";
  /** The same, in words, for people. */
  readonly source: string;
  /** What the filters select: to be removed. */
  readonly leftovers: readonly Leftover[];
  /** regkit's packages the filters spare (only with `olderThanMs`). */
  readonly kept: readonly KeptLeftover[];
  /** Names that were listed or given but are not regkit's: never touched. */
  readonly foreign: readonly string[];
  /** Things the user should know (a listing cut short, a search that answers one page). */
  readonly notes: readonly string[];
}

/** Options of {@link findLeftovers}. */
export interface FindLeftoversOptions {
  /** Only this run's packages (the kit's `ownsName`). */
  readonly runId?: string | undefined;
  /** Only packages of runs started more than this long before `now`. */
  readonly olderThanMs?: number | undefined;
  /** Default: the current time. */
  readonly now?: Date | undefined;
  /** Look only at these names (for a registry that cannot be listed) instead of listing. */
  readonly names?: readonly string[] | undefined;
  /** Called with every request made (method, path, status), for evidence. */
  readonly record?: ((exchange: Exchange) => void) | undefined;
}

interface Listed {
  readonly id: number;
  readonly name: string;
  readonly version: string | null;
  readonly created_at?: string;
}

const PER_PAGE = 100;
/** 10,000 records: far more than runs leave; past that the user runs cleanup again. */
const MAX_PAGES = 100;
/** Removals in flight at once: a run can leave hundreds of records (push.many). */
const REMOVE_CONCURRENCY = 4;

/** The first credential of `kinds` the target has (a personal token only with its username where the profile needs one). */
function firstCredential(target: ResolvedTarget, kinds: readonly TokenKind[], requireProfileKinds: boolean): Credential | undefined {
  for (const kind of kinds) {
    if (requireProfileKinds && !target.profile.tokenKinds.includes(kind)) continue;
    if (kind === "personal" && target.profile.personalUsername === "required" && !target.credentials.personalUsername) continue;
    const credential = credentialFor(target, kind);
    if (credential) return credential;
  }
  return undefined;
}

/**
 * GitLab's Packages API reads no deploy tokens (GITLAB_FACTS.restApiCredentials)
 * and lets only a Maintainer delete (GITLAB_FACTS.destroyNeedsMaintainer).
 */
function apiOwner(target: ResolvedTarget): Credential | undefined {
  return credentialFor(target, "personal") ?? credentialFor(target, "job");
}

const API_OWNER_HINT = "GitLab's Packages API takes a Maintainer's personal access token or a CI job token, not a deploy token: set REGKIT_PERSONAL_TOKEN or REGKIT_JOB_TOKEN";

/** The Packages API of a target, when its profile has one and its URL is a GitLab project endpoint. */
function packagesApiOf(target: ResolvedTarget): { readonly api: PackagesApi; readonly project: string } | undefined {
  const api = target.profile.packagesApi;
  const project = gitlabProjectApi(target.registry);
  return api && project ? { api, project } : undefined;
}

/** The kit's spelling of a name the Packages API lists (`io/regkit/r1/app` -> `io.regkit.r1:app`), checked through `api.name`. */
function kitNameOf(api: PackagesApi, listed: string): string | undefined {
  const same = api.same ?? ((a: string, b: string) => a === b);
  // The contract maps kit names to listed ones only; the listed name itself, and
  // Maven's `group/path/artifact` read back as `group.path:artifact`, are the
  // spellings GitLab uses. A candidate counts only if it maps back to the listed name.
  const candidates = [listed];
  const slash = listed.lastIndexOf("/");
  if (slash > 0) candidates.push(`${listed.slice(0, slash).replaceAll("/", ".")}:${listed.slice(slash + 1)}`);
  for (const candidate of candidates) {
    try {
      if (same(api.name(candidate), listed)) return candidate;
    } catch {
      // api.name refuses names not of its format (Maven's needs a colon): not this candidate.
    }
  }
  return undefined;
}

function http(target: ResolvedTarget, credential: Credential | undefined, authHeaders: Readonly<Record<string, string>>, record: (e: Exchange) => void): HttpClient {
  return createHttpClient({ baseUrl: target.registry, authHeaders, via: "cleanup", record, secrets: targetSecrets(target, credential) });
}

function connect(kit: FormatKit, target: ResolvedTarget, credential: Credential, record: (e: Exchange) => void): RegistryClient {
  const secrets = targetSecrets(target, credential);
  return kit.connect({ target, credential, http: http(target, credential, target.profile.authHeaders(credential), record), runId: "cleanup", secrets });
}

/** Lists every record the Packages API has for names containing `filter`. */
async function listRecords(client: HttpClient, project: string, api: PackagesApi, owner: Credential, filter: string): Promise<{ records: Listed[]; truncated: boolean }> {
  const records: Listed[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    // GitLab's name filter is fuzzy (a substring, any case): the kit confirms each name after.
    const query = new URLSearchParams({ package_type: api.type, package_name: filter, include_versionless: "true", per_page: String(PER_PAGE), page: String(page) });
    const res = await client.request({ method: "GET", path: `${project}/packages?${query}`, headers: gitlabApiHeaders(owner), noAuth: true });
    await expectStatus(res, [200], `listing ${api.type} packages named like "${filter}" through GitLab's Packages API`);
    const items = await res.json<unknown>();
    if (!Array.isArray(items)) throw new ProtocolError(`listing ${api.type} packages: GET ${res.exchange.path} answered 200 with something other than a list of packages`, [res.exchange]);
    for (const item of items as unknown[]) {
      if (typeof item !== "object" || item === null) continue;
      const { id, name, version, created_at } = item as Record<string, unknown>;
      if (typeof id !== "number" || typeof name !== "string") continue;
      records.push({ id, name, version: typeof version === "string" ? version : null, ...(typeof created_at === "string" ? { created_at } : {}) });
    }
    const next = res.headers["x-next-page"];
    if (next === undefined ? items.length < PER_PAGE : next === "") return { records, truncated: false };
  }
  return { records, truncated: true };
}

/**
 * Finds the packages regkit runs left on the registry of `target`, and which
 * of them the filters select: a run (`runId`), or runs started more than
 * `olderThanMs` ago. Names that are not regkit's are never selected. Throws
 * ConfigError when the registry cannot be listed and no names were given, and
 * ProtocolError (with the request) when the registry refuses the listing.
 */
export async function findLeftovers(kit: FormatKit, target: Target, options: FindLeftoversOptions = {}): Promise<LeftoverListing> {
  const resolved = resolveTarget(kit, target);
  const record = options.record ?? ((): void => {});
  const notes: string[] = [];
  const found: Leftover[] = [];
  const foreign: string[] = [];
  const owned = (name: string): string | undefined => {
    if (options.runId !== undefined) return kit.ownsName(options.runId, name) ? options.runId : undefined;
    return runIdOf(kit, name);
  };
  const template = templateOf(kit);
  const word = options.runId ?? template?.word ?? "regkit";
  let via: LeftoverListing["via"];
  let source: string;

  const gitlab = packagesApiOf(resolved);
  const owner = apiOwner(resolved);
  if (options.names && options.names.length > 0) {
    via = "names";
    source = "the names given";
    for (const name of options.names) {
      const runId = owned(name);
      if (runId === undefined) foreign.push(name);
      else found.push({ name, runId });
    }
  } else if (gitlab && owner) {
    via = "packages-api";
    source = `GitLab's Packages API (${gitlab.project}/packages?package_type=${gitlab.api.type})`;
    const client = http(resolved, owner, {}, record);
    const { records, truncated } = await listRecords(client, gitlab.project, gitlab.api, owner, word);
    if (truncated) notes.push(`the listing stopped after ${MAX_PAGES * PER_PAGE} records: run cleanup again for the rest`);
    for (const r of records) {
      const name = kitNameOf(gitlab.api, r.name);
      const runId = name === undefined ? undefined : owned(name);
      if (name === undefined || runId === undefined) {
        foreign.push(r.name);
        continue;
      }
      found.push({ name, version: r.version, runId, record: { id: r.id, listedName: r.name, createdAt: r.created_at } });
    }
  } else {
    const searcher = firstCredential(resolved, ["personal", "deploy", "job", "anonymous"], true);
    const client = searcher && resolved.capabilities.search ? connect(kit, resolved, searcher, record) : undefined;
    if (client?.search) {
      via = "search";
      source = `the registry's search for "${word}"`;
      notes.push("a search answers one page: what it left out shows up once these are gone (regkit cleanup searches again while it removes something)");
      if (gitlab && !owner) notes.push(`not listed through the Packages API: ${API_OWNER_HINT}`);
      for (const name of new Set(await client.search(word))) {
        const runId = owned(name);
        if (runId === undefined) foreign.push(name);
        else found.push({ name, runId });
      }
    } else {
      const why = gitlab
        ? `${API_OWNER_HINT} (it lists this registry's packages)`
        : `the ${resolved.profile.name} profile of ${kit.format} has no GitLab Packages API${resolved.profile.packagesApi ? ` (the registry URL is not a GitLab project endpoint …/api/v4/projects/:id/packages/${kit.format})` : ""} and no search`;
      throw new ConfigError(`this registry cannot be listed: ${why}. Pass the names to remove with --name NAME (repeatable)`);
    }
  }

  // When each run started: from its id, else (an id that carries no time) no later than its first package.
  const starts = new Map<string, { at: Date; exact: boolean }>();
  for (const l of found) {
    const exact = runStartOf(l.runId);
    if (exact) {
      starts.set(l.runId, { at: exact, exact: true });
      continue;
    }
    const created = l.record?.createdAt ? new Date(l.record.createdAt) : undefined;
    if (!created || Number.isNaN(created.getTime())) continue;
    const known = starts.get(l.runId);
    if (!known || created < known.at) starts.set(l.runId, { at: created, exact: false });
  }
  const dated = found.map((l): Leftover => {
    const start = starts.get(l.runId);
    return start ? { ...l, runStartedAt: start.at.toISOString() } : l;
  });
  // A name is foreign once, however many versions (and versionless records) it has.
  const strangers = [...new Set(foreign)];
  if (options.olderThanMs === undefined) return { via, source, leftovers: dated, kept: [], foreign: strangers, notes };

  const cutoff = new Date((options.now ?? new Date()).getTime() - options.olderThanMs);
  const leftovers: Leftover[] = [];
  const kept: KeptLeftover[] = [];
  for (const l of dated) {
    const start = starts.get(l.runId);
    if (!start) kept.push({ leftover: l, reason: `run ${l.runId} carries no start time and the registry gave no creation time: remove it with --run-id ${l.runId}` });
    else if (start.at < cutoff) leftovers.push(l);
    else kept.push({ leftover: l, reason: `run ${l.runId} started ${start.exact ? "at" : "no later than"} ${start.at.toISOString()}, after ${cutoff.toISOString()}` });
  }
  return { via, source, leftovers, kept, foreign: strangers, notes };
}

// ---------------------------------------------------------------------------
// Removing them

/** A leftover that could not be removed, with why and the request that said so. */
export interface UnremovedLeftover {
  readonly leftover: Leftover;
  /** One line: the registry's answer, or why no removal was possible. */
  readonly reason: string;
  readonly request?: { readonly method: string; readonly path: string; readonly status: number } | undefined;
}

/** What {@link removeLeftovers} did. */
export interface RemovalOutcome {
  readonly removed: readonly Leftover[];
  readonly left: readonly UnremovedLeftover[];
}

/**
 * Removes leftovers found by {@link findLeftovers}: a Packages API record by
 * its id, else through the protocol's delete (`client.remove`), else through
 * the Packages API by name. Never throws for what the registry answers: what
 * could not be removed is returned with the reason and the request.
 */
export async function removeLeftovers(
  kit: FormatKit,
  target: Target,
  leftovers: readonly Leftover[],
  options: { readonly record?: ((exchange: Exchange) => void) | undefined } = {},
): Promise<RemovalOutcome> {
  const resolved = resolveTarget(kit, target);
  const record = options.record ?? ((): void => {});
  const secrets = targetSecrets(resolved);
  const gitlab = packagesApiOf(resolved);
  const owner = apiOwner(resolved);
  const apiHttp = gitlab && owner ? http(resolved, owner, {}, record) : undefined;
  const writer = firstCredential(resolved, ["personal", "deploy", "job"], true);
  const client = writer && resolved.capabilities.delete ? connect(kit, resolved, writer, record) : undefined;

  /** Removes one leftover; resolves with the request that removed it, when one request did. */
  const removeOne = async (l: Leftover): Promise<Exchange | undefined> => {
    if (l.record && gitlab && owner && apiHttp) {
      const res = await apiHttp.request({ method: "DELETE", path: `${gitlab.project}/packages/${l.record.id}`, headers: gitlabApiHeaders(owner), noAuth: true });
      // 404: gone already (a concurrent cleanup; GitLab removes a versionless record with the last version).
      await expectStatus(res, [200, 202, 204, 404], `deleting ${describeLeftover(l)} (package ${l.record.id}) through GitLab's Packages API`);
      await res.dump();
      return res.exchange;
    }
    if (client?.remove) {
      await client.remove(l.name, l.version ?? undefined);
      return undefined;
    }
    if (gitlab && owner && apiHttp) {
      await removeThroughPackagesApi(apiHttp, resolved.registry, owner, gitlab.api, l.name, l.version ?? undefined);
      return undefined;
    }
    const why = gitlab
      ? API_OWNER_HINT
      : `the ${resolved.profile.name} profile can delete neither through the protocol${resolved.capabilities.delete ? " (no write credential: set REGKIT_PERSONAL_TOKEN, REGKIT_DEPLOY_TOKEN or REGKIT_JOB_TOKEN)" : ""} nor through a GitLab Packages API: remove it on the server`;
    throw new Error(why);
  };

  /**
   * Which of `gone` the registry still has, each with what shows it (or the
   * ProtocolError that kept the check from running): Packages API records by
   * listing again, the rest through the protocol's version list.
   */
  const stillThere = async (gone: readonly Leftover[]): Promise<Map<Leftover, string | ProtocolError>> => {
    const still = new Map<Leftover, string | ProtocolError>();
    const byRecord = gone.filter((l) => l.record !== undefined);
    if (byRecord.length > 0 && gitlab && owner && apiHttp) {
      const runs = new Set(byRecord.map((l) => l.runId));
      const filter = runs.size === 1 ? [...runs][0]! : (templateOf(kit)?.word ?? "regkit");
      try {
        const { records } = await listRecords(apiHttp, gitlab.project, gitlab.api, owner, filter);
        const ids = new Set(records.map((r) => r.id));
        for (const l of byRecord) if (ids.has(l.record!.id)) still.set(l, `GitLab's Packages API still lists package ${l.record!.id}`);
      } catch (error) {
        for (const l of byRecord) still.set(l, checkFailed(error));
      }
    }
    const byName = gone.filter((l) => l.record === undefined);
    const reader = byName.length > 0 ? firstCredential(resolved, ["personal", "deploy", "job", "anonymous"], true) : undefined;
    const readClient = reader ? connect(kit, resolved, reader, record) : undefined;
    for (const l of byName) {
      if (!readClient) break;
      try {
        const versions = await readClient.versions(l.name);
        const kept = l.version == null ? versions : versions.filter((v) => v === l.version);
        if (kept.length > 0) still.set(l, `the registry still lists ${l.name} ${kept.slice(0, 5).join(", ")}`);
      } catch (error) {
        still.set(l, checkFailed(error));
      }
    }
    return still;
  };

  const answered: { leftover: Leftover; exchange: Exchange | undefined }[] = [];
  const left: UnremovedLeftover[] = [];
  const leave = (leftover: Leftover, error: unknown): void => {
    const exchange = error instanceof ProtocolError ? error.exchanges.at(-1) : undefined;
    const message = error instanceof Error ? error.message : String(error);
    left.push({
      leftover,
      reason: redact(message, secrets),
      ...(exchange ? { request: { method: exchange.method, path: exchange.path, status: exchange.status } } : {}),
    });
  };
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < leftovers.length) {
      const l = leftovers[next++]!;
      try {
        answered.push({ leftover: l, exchange: await removeOne(l) });
      } catch (error) {
        leave(l, error);
      }
    }
  };
  await Promise.all(Array.from({ length: REMOVE_CONCURRENCY }, worker));

  // A registry can say yes to a delete and keep the package: "removed" is said only of what is gone.
  const removed: Leftover[] = [];
  const still = await stillThere(answered.map((a) => a.leftover));
  for (const { leftover, exchange } of answered) {
    const seen = still.get(leftover);
    if (seen === undefined) {
      removed.push(leftover);
      continue;
    }
    const said = exchange ? `${exchange.method} ${exchange.path} answered ${exchange.status}, but ` : "the removal went through, but ";
    const error = seen instanceof ProtocolError ? seen : new ProtocolError(`${said}${seen}`, exchange ? [exchange] : []);
    leave(leftover, error);
  }
  const order = new Map(leftovers.map((l, i) => [l, i]));
  const byInput = (a: Leftover, b: Leftover): number => (order.get(a) ?? 0) - (order.get(b) ?? 0);
  removed.sort(byInput);
  left.sort((a, b) => byInput(a.leftover, b.leftover));
  return { removed, left };
}

/** The error that kept a removal from being checked, as a ProtocolError (it names the request). */
function checkFailed(error: unknown): ProtocolError {
  const message = error instanceof Error ? error.message : String(error);
  return new ProtocolError(`removed, but checking that it is gone failed: ${message}`, error instanceof ProtocolError ? error.exchanges : []);
}

/** `name@version`, `name (versionless)`, or `name (every version)`. */
export function describeLeftover(l: Leftover): string {
  if (l.version === null) return `${l.name} (versionless)`;
  return l.version === undefined ? `${l.name} (every version)` : `${l.name}@${l.version}`;
}

// ---------------------------------------------------------------------------

const DURATION_UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "90s", "30m", "2h", "7d", "1w", "1h30m" -> milliseconds; undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim().toLowerCase();
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(amount) * DURATION_UNITS[unit!]!;
  return total;
}
