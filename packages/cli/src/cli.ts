import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import {
  ConfigError,
  ProtocolError,
  describeLeftover,
  describeSettings,
  findLeftovers,
  newRunIdAt,
  parseDuration,
  redactUrl,
  removeLeftovers,
  runStartOf,
  type FormatKit,
  type Leftover,
  type LeftoverListing,
  type RunReport,
  type UnremovedLeftover,
  parseSettingPairs,
  parseSize,
  resolveTarget,
  consoleReporter,
  parseReporterSpec,
  runConformance,
  scenarioMatches,
  type Credentials,
  type Reporter,
  type Target,
  targetSecrets,
  redact,
  type TokenKind,
  ALL_TOKEN_KINDS,
  coreScenarios,
} from "@regkit/core";
import { createReferenceRegistry } from "@regkit/registry";
import { findKit, kits, referenceFormats } from "./kits.js";

/** Where the CLI writes; injectable so tests run it in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where `regkit.config.json` / `.yaml` is looked for (default: the process's working directory). */
  readonly cwd?: string;
  /** Resolves when the process should stop (`serve`). */
  readonly stopSignal?: Promise<void>;
  /** Ends the process at once (a second SIGINT or SIGTERM during `run`); default process.exit. */
  readonly exit?: (code: number) => never;
}

const USAGE = `Usage:
  regkit serve [--host 127.0.0.1] [--port N|0] [--data-dir DIR]
  regkit run --format FORMAT --registry URL [--profile NAME] [--scenario ID]... [--exclude ID=REASON]...
             [--token-kind KIND]... [--seed N] [--reporter console|json=FILE|junit=FILE|markdown=FILE|html=FILE|badge=FILE]...
             [--set KEY=VALUE]... [--config FILE]
             [--many-versions N] [--many-packages N] [--large-size SIZE] [--latency-budget MS]
             [--max-file-size SIZE] [--duplicates reject|allow] [--num-runs N] [--concurrency N] [--timeout SECONDS]
  regkit list [--format FORMAT] [--settings]
  regkit cleanup --format FORMAT --registry URL [--profile NAME] [--run-id ID | --older-than DURATION]
             [--name NAME]... [--dry-run] [--set KEY=VALUE]... [--config FILE]

cleanup removes the packages regkit runs left on the registry (every name a kit makes
carries its run id): one run's (--run-id), those of runs started more than DURATION ago
(--older-than 90m, 2h, 7d), or without either every regkit run's, a run in progress included.
It lists them through GitLab's Packages API (which needs REGKIT_PERSONAL_TOKEN of a Maintainer,
or REGKIT_JOB_TOKEN), else the registry's search; where neither exists, give the names with
--name. --dry-run lists what would go and removes nothing. Packages that are not regkit's are
never touched.

Settings say how the registry is configured (a public project, a group that allows
duplicates, a GitLab feature flag): --set KEY=VALUE (repeatable), REGKIT_SET="KEY=VALUE ...",
and a config file (--config FILE, else regkit.config.json, .yaml or .yml in the working
directory) holding {format, registry, profile, set: {KEY: VALUE}}; flags win over REGKIT_SET,
which wins over the file. "regkit list --format F --settings" lists every profile's settings.

Credentials come only from the environment: REGKIT_PERSONAL_TOKEN (and REGKIT_PERSONAL_USERNAME,
the token owner's username, where a profile sends it as Basic auth), REGKIT_DEPLOY_TOKEN,
REGKIT_DEPLOY_USERNAME, REGKIT_JOB_TOKEN (and for the read-only negative REGKIT_READONLY_TOKEN,
REGKIT_READONLY_USERNAME).

Exit status: 0 no scenario failed or errored (cleanup: nothing left that it should remove),
1 one did (cleanup: something could not be removed, or the registry refused the listing),
2 usage or configuration error, 130 run interrupted by SIGINT (Ctrl-C), 143 by SIGTERM.
An interrupted run stops, removes what it created, writes its reports and says what it left;
a second signal exits at once, printing the regkit cleanup command that finishes the job.`;

/** A usage or configuration problem: one line, exit code 2. */
class UsageError extends Error {}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // `regkit run --help` and `regkit help run`: the usage, exit 0.
    if ((command === "help" && rest.length > 0) || rest.includes("--help") || rest.includes("-h")) {
      io.stdout.write(`${USAGE}\n`);
      return 0;
    }
    switch (command) {
      case "serve":
        return await serve(rest, io);
      case "run":
        return await run(rest, io);
      case "list":
        return list(rest, io);
      case "cleanup":
        return await cleanup(rest, io);
      case "help":
      case "--help":
      case "-h":
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError("missing command (serve, run, list or cleanup); see regkit --help");
      default:
        throw new UsageError(`unknown command "${command}"; see regkit --help`);
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr.write(`regkit: ${error.message}\n`);
      return 2;
    }
    if (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      io.stderr.write(`regkit: ${error.message.split("\n")[0]}; see regkit --help\n`);
      return 2;
    }
    throw error;
  }
}

async function serve(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      "data-dir": { type: "string" },
    },
    strict: true,
  });
  const port = integer(values.port, "--port", 0, 65535);
  const registry = await createReferenceRegistry({
    host: values.host,
    port,
    dataDir: values["data-dir"],
    formats: Object.values(referenceFormats),
  });
  const { tokens } = registry;
  io.stdout.write(
    `${JSON.stringify({
      url: registry.url,
      registries: registry.registries,
      tokens: {
        personal: tokens.personal,
        personalUsername: tokens.personalUsername,
        deploy: tokens.deploy,
        deployUsername: tokens.deployUsername,
        job: tokens.job,
        readonlyDeploy: tokens.readonlyDeploy,
        readonlyDeployUsername: tokens.readonlyDeployUsername,
      },
    })}\n`,
  );
  await (io.stopSignal ?? stopSignal());
  await registry.close();
  return 0;
}

function stopSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

/** What a config file may hold. */
interface ConfigFile {
  readonly format?: string;
  readonly registry?: string;
  readonly profile?: string;
  readonly set?: Readonly<Record<string, unknown>>;
}

const CONFIG_NAMES = ["regkit.config.json", "regkit.config.yaml", "regkit.config.yml"];
const CONFIG_KEYS = ["format", "registry", "profile", "set"];

/** The config file given with --config, else the first of CONFIG_NAMES in `cwd`; {} when there is none. */
export function loadConfig(file: string | undefined, cwd: string): ConfigFile & { path?: string } {
  const path = file !== undefined ? resolve(cwd, file) : CONFIG_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read the config file ${path}: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new UsageError(`the config file ${path} is not valid ${/\.json$/i.test(path) ? "JSON" : "YAML"}: ${(error as Error).message.split("\n")[0]}`);
  }
  if (doc === null || doc === undefined) return { path };
  if (typeof doc !== "object" || Array.isArray(doc)) throw new UsageError(`the config file ${path} must hold an object with ${CONFIG_KEYS.join(", ")}`);
  const record = doc as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!CONFIG_KEYS.includes(key)) throw new UsageError(`the config file ${path} has an unknown key "${key}" (valid: ${CONFIG_KEYS.join(", ")})`);
  }
  for (const key of ["format", "registry", "profile"]) {
    if (record[key] !== undefined && typeof record[key] !== "string") throw new UsageError(`the config file ${path}: ${key} must be a string`);
  }
  if (record.set !== undefined && (typeof record.set !== "object" || record.set === null || Array.isArray(record.set))) {
    throw new UsageError(`the config file ${path}: set must be an object of KEY: VALUE settings`);
  }
  return { ...(record as ConfigFile), path };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      format: { type: "string" },
      registry: { type: "string" },
      profile: { type: "string" },
      scenario: { type: "string", multiple: true },
      exclude: { type: "string", multiple: true },
      "token-kind": { type: "string", multiple: true },
      seed: { type: "string" },
      reporter: { type: "string", multiple: true },
      set: { type: "string", multiple: true },
      config: { type: "string" },
      "many-versions": { type: "string" },
      "many-packages": { type: "string" },
      "large-size": { type: "string" },
      "latency-budget": { type: "string" },
      "max-file-size": { type: "string" },
      duplicates: { type: "string" },
      "num-runs": { type: "string" },
      concurrency: { type: "string" },
      timeout: { type: "string" },
      "run-id": { type: "string" },
      // Tokens on the command line end up in shell history and process lists.
      token: { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.token !== undefined) {
    throw new UsageError("credentials are read from the environment only (REGKIT_PERSONAL_TOKEN, ...), never from flags");
  }
  const config = loadConfig(values.config, io.cwd ?? process.cwd());
  const format = values.format ?? config.format;
  if (!format) throw new UsageError(`--format is required (one of: ${kits.map((k) => k.format).join(", ")})`);
  const kit = findKit(format);
  if (!kit) throw new UsageError(`unknown format "${format}" (known: ${kits.map((k) => k.format).join(", ")})`);
  const registryUrl = values.registry ?? config.registry;
  if (!registryUrl) throw new UsageError("--registry URL is required");

  const tokenKinds = values["token-kind"]?.map((kind) => {
    if (!ALL_TOKEN_KINDS.includes(kind as TokenKind)) {
      throw new UsageError(`unknown token kind "${kind}" (known: ${ALL_TOKEN_KINDS.join(", ")})`);
    }
    return kind as TokenKind;
  });
  const known = new Set([...coreScenarios, ...kit.scenarios].map((s) => s.id));
  for (const id of values.scenario ?? []) {
    const matches = [...known].some((k) => scenarioMatches(k, id));
    if (!matches) throw new UsageError(`unknown scenario "${id}" for ${kit.format} (see regkit list --format ${kit.format})`);
  }
  // --exclude ID=REASON: run everything else; the excluded are reported disabled, with the reason.
  const exclude: Record<string, string> = {};
  for (const pair of values.exclude ?? []) {
    const at = pair.indexOf("=");
    const id = at < 0 ? pair : pair.slice(0, at);
    const reason = at < 0 ? "" : pair.slice(at + 1).trim();
    if (!reason) throw new UsageError(`--exclude ${pair}: give the reason, as --exclude ${id}="why it does not apply here"`);
    if (![...known].some((k) => scenarioMatches(k, id))) throw new UsageError(`--exclude: unknown scenario "${id}" for ${kit.format} (see regkit list --format ${kit.format})`);
    exclude[id] = reason;
  }

  // One settings mechanism: the file, then REGKIT_SET, then --set and the flags that are its aliases.
  const flagSettings: Record<string, string> = {};
  const alias = (flag: keyof typeof values, key: string): void => {
    const value = values[flag];
    if (typeof value === "string") flagSettings[key] = value;
  };
  alias("many-versions", "manyVersions");
  alias("many-packages", "manyPackages");
  alias("large-size", "largeSize");
  alias("latency-budget", "latencyBudgetMs");
  alias("num-runs", "numRuns");
  alias("max-file-size", "maxFileSize");
  alias("duplicates", "duplicates");
  const settings = {
    ...(config.set ?? {}),
    ...parseSettingPairs((io.env.REGKIT_SET ?? "").split(/[\s;]+/).filter(Boolean), "REGKIT_SET"),
    ...flagSettings,
    ...parseSettingPairs(values.set ?? [], "--set"),
  };

  const target: Target = {
    registry: registryUrl,
    profile: values.profile ?? config.profile,
    credentials: credentialsFromEnv(io.env),
    settings,
  };
  // Fails here, before any reporter opens a file, for a bad profile, URL or setting.
  const resolved = resolveTarget(kit, target);

  const reporters: Reporter[] = (values.reporter ?? ["console"]).map((spec) => {
    try {
      return spec === "console" ? consoleReporter({ stream: io.stdout }) : parseReporterSpec(spec, { stream: io.stdout, secrets: targetSecrets(resolved) });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  });

  const seed = values.seed === undefined ? undefined : integer(values.seed, "--seed", 0);
  const concurrency = values.concurrency === undefined ? undefined : integer(values.concurrency, "--concurrency", 1, 64);
  const timeoutMs = values.timeout === undefined ? undefined : integer(values.timeout, "--timeout", 1) * 1000;
  // The CLI picks the run id (one that carries its start time) so that it can
  // name the cleanup command even when the run never reports back.
  const runId = values["run-id"] ?? newRunIdAt(new Date());
  const finishCommand = cleanupCommand(kit, redactUrl(registryUrl, targetSecrets(resolved)), values.profile ?? config.profile, runId);

  const interruption = onInterrupt(io, runId, finishCommand);
  let report: RunReport;
  let swept: Sweep | undefined;
  try {
    report = await runConformance({
      kit,
      target,
      scenarios: values.scenario,
      exclude,
      tokenKinds,
      seed,
      concurrency,
      timeoutMs,
      runId,
      signal: interruption.signal,
      onResult: (result) => {
        for (const reporter of reporters) reporter.onResult?.(result);
      },
    });
    // A second signal still exits at once during the sweep: the handlers stay until it is done.
    if (interruption.received() !== undefined) swept = await sweep(kit, target, runId);
  } finally {
    interruption.dispose();
  }
  if (swept?.outcome) {
    // The report tells what is really left: the run's own cleanup, and what the sweep found and removed after it.
    const { removed, left } = swept.outcome;
    report = { ...report, cleanup: { ...report.cleanup, removed: report.cleanup.removed + removed.length, left: left.map((l) => describeLeftover(l.leftover)), errors: [...report.cleanup.errors, ...left.map((l) => `${describeLeftover(l.leftover)}: ${l.reason}`)] } };
  }
  for (const reporter of reporters) await reporter.finish([report]);
  const signal = interruption.received();
  if (signal !== undefined) {
    const { removed, left } = report.cleanup;
    // With a sweep, what is left is what it could not remove; the run's own cleanup errors are history (kept in the report).
    const errors = swept?.outcome ? swept.outcome.left.map((l) => l.reason) : report.cleanup.errors;
    const leftText =
      left.length > 0
        ? `left ${left.length}: ${left.slice(0, 5).join(", ")}${left.length > 5 ? ` (+${left.length - 5})` : ""}`
        : swept?.outcome
          ? "left nothing (the registry lists none of the run's packages)"
          : `left nothing it knew of${swept?.problem ? ` (the registry could not be listed to be sure: ${swept.problem})` : ""}`;
    const errorText = errors.length === 0 ? "" : ` (${errors[0]}${errors.length > 1 ? `; +${errors.length - 1} more` : ""})`;
    const line = `regkit: run ${runId} was interrupted by ${signal}: cleanup removed ${count(removed, "package")} and ${leftText}${errorText}; to finish the job: ${finishCommand}`;
    io.stderr.write(`${redact(line, targetSecrets(resolved))}\n`);
    return SIGNAL_EXIT[signal];
  }
  return report.summary.fail + report.summary.error > 0 ? 1 : 0;
}

/** What the sweep after an interrupted run found and removed, or why it could not look. */
interface Sweep {
  readonly outcome?: { readonly removed: readonly Leftover[]; readonly left: readonly { readonly leftover: Leftover; readonly reason: string }[] } | undefined;
  readonly problem?: string | undefined;
}

/** The longest the sweep after an interrupted run may take: the user is waiting. */
const SWEEP_TIMEOUT_MS = 60_000;

/**
 * After an interruption, lists the registry for the run's packages and removes
 * them: a publish that was in flight when the run stopped can land without the
 * run knowing (so its own cleanup misses it). Bounded in time; where the
 * registry cannot be listed, says why and leaves it to the printed command.
 */
async function sweep(kit: FormatKit, target: Target, runId: string): Promise<Sweep> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Sweep>((resolve) => {
    timer = setTimeout(() => resolve({ problem: `it took longer than ${SWEEP_TIMEOUT_MS / 1000} s` }), SWEEP_TIMEOUT_MS);
  });
  const work = (async (): Promise<Sweep> => {
    try {
      const listing = await findLeftovers(kit, target, { runId });
      return { outcome: await removeLeftovers(kit, target, listing.leftovers) };
    } catch (error) {
      if (error instanceof ProtocolError || error instanceof ConfigError) return { problem: error.message };
      throw error;
    }
  })();
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Exit statuses of an interrupted run: 128 + the signal's number, as shells report them. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;
type StopSignal = keyof typeof SIGNAL_EXIT;

/**
 * SIGINT and SIGTERM during a run: the first aborts it (the runner stops new
 * work, aborts what is in flight and cleans up); a second exits at once, for
 * a user who will not wait for the cleanup, after naming the command that
 * finishes it.
 */
function onInterrupt(io: CliIo, runId: string, finishCommand: string): { signal: AbortSignal; received(): StopSignal | undefined; dispose(): void } {
  const controller = new AbortController();
  let first: StopSignal | undefined;
  const handle = (signal: StopSignal): void => {
    if (first === undefined) {
      first = signal;
      io.stderr.write(`regkit: ${signal}: stopping run ${runId} and removing what it created (send ${signal} again to exit at once)\n`);
      controller.abort(new Error(`interrupted by ${signal}`));
      return;
    }
    io.stderr.write(`regkit: ${signal} again: exiting without finishing the cleanup of run ${runId}; to finish it: ${finishCommand}\n`);
    (io.exit ?? process.exit)(SIGNAL_EXIT[signal]);
  };
  const onSigint = (): void => handle("SIGINT");
  const onSigterm = (): void => handle("SIGTERM");
  process.on("SIGINT", onSigint);
  process.on("SIGTERM", onSigterm);
  return {
    signal: controller.signal,
    received: () => first,
    dispose: () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
    },
  };
}

/** The `regkit cleanup` command line that removes what run `runId` left (credentials stay in the environment). */
function cleanupCommand(kit: FormatKit, registry: string, profile: string | undefined, runId: string): string {
  return ["regkit cleanup --format", kit.format, "--registry", shellWord(registry), ...(profile ? ["--profile", shellWord(profile)] : []), "--run-id", shellWord(runId)].join(" ");
}

/** A word a POSIX shell reads back as it is. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`;
}

async function cleanup(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      format: { type: "string" },
      registry: { type: "string" },
      profile: { type: "string" },
      "run-id": { type: "string" },
      "older-than": { type: "string" },
      name: { type: "string", multiple: true },
      "dry-run": { type: "boolean" },
      set: { type: "string", multiple: true },
      config: { type: "string" },
      token: { type: "string" },
    },
    strict: true,
    allowPositionals: true,
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
  if (values.token !== undefined) {
    throw new UsageError("credentials are read from the environment only (REGKIT_PERSONAL_TOKEN, ...), never from flags");
  }
  const config = loadConfig(values.config, io.cwd ?? process.cwd());
  const format = values.format ?? config.format;
  if (!format) throw new UsageError(`--format is required (one of: ${kits.map((k) => k.format).join(", ")})`);
  const kit = findKit(format);
  if (!kit) throw new UsageError(`unknown format "${format}" (known: ${kits.map((k) => k.format).join(", ")})`);
  const registryUrl = values.registry ?? config.registry;
  if (!registryUrl) throw new UsageError("--registry URL is required");
  const runId = values["run-id"];
  if (runId !== undefined && !/^[A-Za-z0-9]+$/.test(runId)) throw new UsageError(`--run-id expects a run id of letters and digits (as in a package name regkit-<run id>-...), not "${runId}"`);
  const olderThanText = values["older-than"];
  if (runId !== undefined && olderThanText !== undefined) throw new UsageError("give --run-id or --older-than, not both");
  const olderThanMs = olderThanText === undefined ? undefined : parseDuration(olderThanText);
  if (olderThanText !== undefined && olderThanMs === undefined) throw new UsageError(`--older-than expects a duration like 90m, 2h or 7d, not "${olderThanText}"`);

  const target: Target = {
    registry: registryUrl,
    profile: values.profile ?? config.profile,
    credentials: credentialsFromEnv(io.env),
    settings: {
      ...(config.set ?? {}),
      ...parseSettingPairs((io.env.REGKIT_SET ?? "").split(/[\s;]+/).filter(Boolean), "REGKIT_SET"),
      ...parseSettingPairs(values.set ?? [], "--set"),
    },
  };
  const resolved = resolveTarget(kit, target);
  const secrets = targetSecrets(resolved);
  const out = (line: string): void => {
    io.stdout.write(`${redact(line, secrets)}\n`);
  };
  const now = new Date();
  const which =
    runId !== undefined
      ? `run ${runId}`
      : olderThanMs !== undefined
        ? `runs started before ${new Date(now.getTime() - olderThanMs).toISOString()} (older than ${olderThanText})`
        : "every regkit run (a run in progress included)";

  let listing: LeftoverListing;
  try {
    listing = await findLeftovers(kit, target, { runId, olderThanMs, now, names: values.name });
  } catch (error) {
    if (error instanceof ProtocolError) {
      io.stderr.write(`regkit: cannot list the ${kit.format} packages of ${redactUrl(registryUrl, secrets)}: ${redact(error.message, secrets)}\n`);
      return 1;
    }
    throw error;
  }
  out(`regkit cleanup: ${kit.format} at ${redactUrl(registryUrl, secrets)} (profile ${resolved.profile.name}), listed through ${listing.source}; selecting ${which}${values["dry-run"] ? "; dry run: nothing is removed" : ""}`);
  // Each round of a search may show names the last did not: each is said once.
  const said = new Set<string>();
  const once = (line: string): void => {
    if (said.has(line)) return;
    said.add(line);
    out(line);
  };
  const tell = (round: LeftoverListing): void => {
    for (const name of round.foreign) once(`not regkit's, untouched: ${name}`);
    for (const { leftover, reason } of round.kept) once(`kept          ${describeLeftover(leftover)}: ${reason}`);
    for (const note of round.notes) once(`note: ${note}`);
  };
  tell(listing);

  if (values["dry-run"]) {
    for (const leftover of listing.leftovers) out(`would remove  ${describeLeftover(leftover)}${runText(leftover)}`);
    out(`dry run: would remove ${count(listing.leftovers.length, "package")} of ${count(runsOf(listing.leftovers), "run")}; removed nothing`);
    return 0;
  }

  const removed: Leftover[] = [];
  // By package: a search round finds again what an earlier round could not remove; the last answer counts.
  const unremoved = new Map<string, UnremovedLeftover>();
  let round = listing;
  const kept = new Set(listing.kept.map((k) => describeLeftover(k.leftover)));
  // A search answers one page: search again while the last round removed something (bounded).
  for (let rounds = 1; ; rounds++) {
    const outcome = await removeLeftovers(kit, target, round.leftovers);
    for (const leftover of outcome.removed) {
      out(`removed       ${describeLeftover(leftover)}${runText(leftover)}`);
      unremoved.delete(describeLeftover(leftover));
    }
    removed.push(...outcome.removed);
    for (const l of outcome.left) unremoved.set(describeLeftover(l.leftover), l);
    if (round.via !== "search" || outcome.removed.length === 0 || rounds >= SEARCH_ROUNDS) break;
    try {
      round = await findLeftovers(kit, target, { runId, olderThanMs, now });
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
      out(`note: searching again failed, so more may be left: ${error.message}`);
      break;
    }
    tell(round);
    for (const k of round.kept) kept.add(describeLeftover(k.leftover));
    if (round.leftovers.length === 0) break;
  }
  const left = [...unremoved.values()];
  for (const { leftover, reason, request } of left) {
    out(`NOT removed   ${describeLeftover(leftover)}${runText(leftover)}: ${reason}${request && !reason.includes(request.path) ? ` (${request.method} ${request.path} -> ${request.status === 0 ? "no response" : request.status})` : ""}`);
  }
  out(`removed ${count(removed.length, "package")} of ${count(runsOf(removed), "run")}; ${left.length === 0 ? "nothing left" : `could not remove ${left.length}`}${kept.size > 0 ? `; kept ${kept.size}` : ""}`);
  return left.length === 0 ? 0 : 1;
}

/** Rounds of search-and-remove where the registry is listed by its search. */
const SEARCH_ROUNDS = 10;

function runText(leftover: Leftover): string {
  // A run id without a time is dated, at best, by its first package on the registry.
  const when = leftover.runStartedAt === undefined ? "" : `, ${runStartOf(leftover.runId) ? "started" : "first package"} ${leftover.runStartedAt}`;
  return ` (run ${leftover.runId}${when})`;
}

function runsOf(leftovers: readonly Leftover[]): number {
  return new Set(leftovers.map((l) => l.runId)).size;
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}

function list(argv: readonly string[], io: CliIo): number {
  const { values } = parseArgs({ args: [...argv], options: { format: { type: "string" }, settings: { type: "boolean" } }, strict: true });
  const selected = values.format ? [findKit(values.format)] : kits;
  if (selected[0] === undefined) throw new UsageError(`unknown format "${values.format}"`);
  for (const kit of selected as typeof kits) {
    io.stdout.write(`${kit.format} (profiles: ${Object.keys(kit.profiles).join(", ")}; default ${kit.defaultProfile})\n`);
    for (const scenario of [...coreScenarios, ...kit.scenarios]) {
      io.stdout.write(`  ${scenario.id.padEnd(22)} [${scenario.audience}] ${scenario.title}\n`);
    }
    if (values.settings) {
      for (const profile of Object.values(kit.profiles)) io.stdout.write(`settings of ${kit.format} --profile ${profile.name}:\n${describeSettings(profile)}\n`);
    }
  }
  return 0;
}

/** Credentials from REGKIT_* variables; empty strings count as absent. */
export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): Credentials {
  const get = (name: string): string | undefined => (env[name] ? env[name] : undefined);
  const deployToken = get("REGKIT_DEPLOY_TOKEN");
  const deployUser = get("REGKIT_DEPLOY_USERNAME");
  if (deployToken && !deployUser) throw new UsageError("REGKIT_DEPLOY_TOKEN is set but REGKIT_DEPLOY_USERNAME is not");
  const readonlyToken = get("REGKIT_READONLY_TOKEN");
  const readonlyUser = get("REGKIT_READONLY_USERNAME");
  if (readonlyToken && !readonlyUser) throw new UsageError("REGKIT_READONLY_TOKEN is set but REGKIT_READONLY_USERNAME is not");
  return {
    personal: get("REGKIT_PERSONAL_TOKEN"),
    personalUsername: get("REGKIT_PERSONAL_USERNAME"),
    job: get("REGKIT_JOB_TOKEN"),
    deploy: deployToken && deployUser ? { username: deployUser, token: deployToken } : undefined,
    readonly: readonlyToken && readonlyUser ? { username: readonlyUser, token: readonlyToken } : undefined,
  };
}

function integer(text: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag} expects a whole number, not "${text}"`);
  const value = Number(text);
  if (value < min || value > max) throw new UsageError(`${flag} must be between ${min} and ${max}, not ${value}`);
  return value;
}

/** "64MiB", "500MB", "1048576" -> bytes. */
export function size(text: string, flag: string): number {
  const bytes = parseSize(text);
  if (bytes === undefined) throw new UsageError(`${flag} expects a size like 64MiB or 500MB, not "${text}"`);
  return bytes;
}
