import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import {
  ConfigError,
  ProtocolError,
  describeLeftover,
  describeSettings,
  settingsOf,
  findLeftovers,
  newRunIdAt,
  parseDuration,
  redactUrl,
  removeLeftovers,
  runStartOf,
  type FormatKit,
  type Leftover,
  type LeftoverListing,
  type Limits,
  type Policies,
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
  cleanupCommand,
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

/** The commands, in the order help lists them. */
const COMMANDS = ["run", "serve", "list", "cleanup", "help"] as const;
type Command = (typeof COMMANDS)[number];

/** Each command's synopsis: `regkit --help` shows them all, `regkit <command> --help` its own. */
const SYNOPSIS: Record<Command, string> = {
  serve: `  regkit serve [--host 127.0.0.1] [--port N|0] [--data-dir DIR]
             [--max-file-size FORMAT=SIZE]... [--duplicates FORMAT=allow|reject]...`,
  run: `  regkit run --format FORMAT --registry URL [--profile NAME] [--scenario ID]... [--exclude ID=REASON]...
             [--token-kind KIND]... [--seed N] [--reporter console|json=FILE|junit=FILE|markdown=FILE|html=FILE|badge=FILE]...
             [--set KEY=VALUE]... [--config FILE]
             [--many-versions N] [--many-packages N] [--large-size SIZE] [--latency-budget MS]
             [--max-file-size SIZE] [--duplicates reject|allow] [--num-runs N] [--concurrency N] [--timeout SECONDS]
             [--allow-empty] [--fail-on-skip]`,
  list: `  regkit list [--format FORMAT] [--settings]`,
  cleanup: `  regkit cleanup --format FORMAT --registry URL [--profile NAME] [--run-id ID | --older-than DURATION]
             [--name NAME]... [--dry-run] [--set KEY=VALUE]... [--config FILE]`,
  help: `  regkit help [COMMAND]`,
};

/** What a size looks like on the command line: always with a unit, so "4" cannot silently mean 4 bytes. */
const SIZE_TEXT = "a size with its unit: 64MiB, 500MB, 512KiB, 4096B";

/** Paragraphs shared by more than one command's help. */
const NOTES = {
  settings: `Settings say how the registry is configured (a public project, a group that allows
duplicates, a GitLab feature flag): --set KEY=VALUE (repeatable), REGKIT_SET="KEY=VALUE ...",
and a config file (--config FILE, else regkit.config.json, .yaml or .yml in the working
directory) holding {format, registry, profile, set: {KEY: VALUE}}; flags win over REGKIT_SET,
which wins over the file. "regkit list --format F --settings" lists every profile's settings.
Sizes take a unit (64MiB, 500MB, 4096B); 0 means unlimited for maxFileSize.`,
  credentials: `Credentials come only from the environment: REGKIT_PERSONAL_TOKEN (and REGKIT_PERSONAL_USERNAME,
the token owner's username, where a profile sends it as Basic auth), REGKIT_DEPLOY_TOKEN,
REGKIT_DEPLOY_USERNAME, REGKIT_JOB_TOKEN (and for the read-only negative REGKIT_READONLY_TOKEN,
REGKIT_READONLY_USERNAME).`,
  cleanup: `cleanup removes the packages regkit runs left on the registry (every name a kit makes
carries its run id): one run's (--run-id), those of runs started more than DURATION ago
(--older-than 90m, 2h, 7d), or without either every regkit run's, a run in progress included.
It lists them through GitLab's Packages API (which needs REGKIT_PERSONAL_TOKEN of a Maintainer,
or REGKIT_JOB_TOKEN), else the registry's search; where neither exists, give the names with
--name. --dry-run lists what would go and removes nothing. Packages that are not regkit's are
never touched.`,
  exit: `Exit status: 0 no scenario failed or errored (cleanup: nothing left that it should remove),
1 one did, or no scenario ran at all (unless --allow-empty), or one was skipped with --fail-on-skip
(cleanup: something could not be removed, or the registry refused the listing),
2 usage or configuration error, or a setup error the preflight found before any scenario ran
(registry unreachable, wrong project, a credential refused: each said once, with the fix),
130 run interrupted by SIGINT (Ctrl-C), 143 by SIGTERM.
An interrupted run stops, removes what it created, writes its reports and says what it left;
a second signal exits at once, printing the regkit cleanup command that finishes the job.`,
};

/** Each command's own help: its synopsis, what its flags mean, and the notes that concern it. */
const COMMAND_HELP: Record<Command, () => string> = {
  run: () => `Usage:
${SYNOPSIS.run}

Runs one format's scenarios against one registry, under every token kind that has a credential.
  --format FORMAT         ${kits.map((k) => k.format).join(", ")}
  --registry URL          the format's endpoint (GitLab: https://HOST/api/v4/projects/ID/packages/FORMAT)
  --profile NAME          the registry flavour (gitlab, verdaccio, ...; regkit list --format FORMAT)
  --scenario ID           a scenario id or a prefix (push, push.small); repeatable; default all
  --exclude ID=REASON     report ID disabled, with the reason; repeatable
  --token-kind KIND       ${ALL_TOKEN_KINDS.join(", ")}; repeatable; default all
  --seed N                the fast-check seed, to replay a property-based failure
  --reporter SPEC         console (default), json=FILE, junit=FILE, markdown=FILE, html=FILE, badge=FILE; repeatable
  --set KEY=VALUE         a setting (regkit list --format FORMAT --settings); repeatable
  --config FILE           a config file (default: regkit.config.json, .yaml or .yml in this directory)
  --many-versions N       push.many: versions of one package (setting manyVersions)
  --many-packages N       push.many: separate packages (setting manyPackages)
  --large-size SIZE       push.large: the package size, ${SIZE_TEXT} (setting largeSize)
  --latency-budget MS     push.many: slowest acceptable metadata response (setting latencyBudgetMs)
  --max-file-size SIZE    the instance's file size limit, ${SIZE_TEXT}; 0: unlimited (setting maxFileSize)
  --duplicates reject|allow  whether the registry takes the same version again (setting duplicates)
  --num-runs N            property-based scenarios: runs per property (setting numRuns)
  --concurrency N         scenario pairs run at once (default 2)
  --timeout SECONDS       the time limit of every scenario (default: each scenario's own)
  --allow-empty           exit 0 even when no scenario ran (all skipped or disabled)
  --fail-on-skip          exit 1 when any scenario was skipped (CI that wants every cell green)

${NOTES.settings}

${NOTES.credentials}

${NOTES.exit}`,
  serve: () => `Usage:
${SYNOPSIS.serve}

Serves the embedded reference registry (GitLab-shaped: /api/v4/projects/1/packages/FORMAT) until
SIGTERM or SIGINT, and prints one JSON line first: {"url", "registries": {FORMAT: URL}, "tokens": {...},
"formats": {FORMAT: {"maxFileSize", "duplicates"}}}.
  --host HOST                 the interface to listen on (default 127.0.0.1)
  --port N                    the port; 0 (the default) picks a free one
  --data-dir DIR              keep packages there across restarts (default: in memory)
  --max-file-size FORMAT=SIZE the largest file FORMAT takes, ${SIZE_TEXT}; 0: unlimited; repeatable
  --duplicates FORMAT=allow|reject  whether FORMAT takes the same version again; repeatable
Formats: ${Object.keys(referenceFormats).join(", ")}. Give regkit run the same numbers
(--max-file-size SIZE, --duplicates allow|reject) so that it expects what the registry does.`,
  list: () => `Usage:
${SYNOPSIS.list}

Prints the scenario catalog of every format (or one), with each format's profiles.
  --format FORMAT   only this format: ${kits.map((k) => k.format).join(", ")}
  --settings        add every setting each profile takes, with its type (give them to
                    regkit run and regkit cleanup as --set KEY=VALUE)`,
  cleanup: () => `Usage:
${SYNOPSIS.cleanup}

${NOTES.cleanup}

${NOTES.settings}

${NOTES.credentials}

Exit status: 0 nothing left that it should remove, 1 something could not be removed (or the
registry refused the listing), 2 usage or configuration error.`,
  help: () => `Usage:
${SYNOPSIS.help}

Prints the usage of every command, or of COMMAND (${COMMANDS.join(", ")}); regkit COMMAND --help does the same.`,
};

/** Every command's synopsis and the notes: what `regkit --help` prints. */
function usage(): string {
  return `Usage:
${COMMANDS.map((c) => SYNOPSIS[c]).join("\n")}

${NOTES.cleanup}

${NOTES.settings}

${NOTES.credentials}

${NOTES.exit}

regkit COMMAND --help (or regkit help COMMAND) explains one command.`;
}

/** A usage or configuration problem: one line, exit code 2. */
class UsageError extends Error {}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) throw new UsageError("missing command (serve, run, list or cleanup); see regkit --help");
    if (command === "--help" || command === "-h" || (command === "help" && rest.length === 0)) {
      io.stdout.write(`${usage()}\n`);
      return 0;
    }
    // `regkit run --help`, `regkit run -h` and `regkit help run`: that command's usage, exit 0.
    if (command === "help") {
      io.stdout.write(`${COMMAND_HELP[helpAsked(rest) ? "help" : knownCommand(rest[0] ?? "")]()}\n`);
      return 0;
    }
    const known = knownCommand(command);
    if (helpAsked(rest)) {
      io.stdout.write(`${COMMAND_HELP[known]()}\n`);
      return 0;
    }
    switch (known) {
      case "serve":
        return await serve(rest, io);
      case "run":
        return await run(rest, io);
      case "list":
        return list(rest, io);
      case "cleanup":
        return await cleanup(rest, io);
      case "help":
        io.stdout.write(`${usage()}\n`);
        return 0;
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.stderr.write(`regkit: ${error.message}\n`);
      return 2;
    }
    if (error instanceof Error && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      // Node's own wording quotes unevenly and spans lines: its first sentence, without the quotes.
      io.stderr.write(`regkit: ${(error.message.split("\n")[0] ?? "").replace(/'/g, "")}; see regkit ${command ?? ""} --help\n`);
      return 2;
    }
    throw error;
  }
}

/** `command` as a known command; a UsageError that suggests the closest one otherwise. */
function knownCommand(command: string): Command {
  const found = COMMANDS.find((c) => c === command);
  if (found) return found;
  if (command.startsWith("-")) throw new UsageError(`give the command first (${COMMANDS.join(", ")}), as in regkit run ${command} ...; see regkit --help`);
  throw new UsageError(`unknown command "${command}"${didYouMean(command, COMMANDS)} (see regkit --help)`);
}

/** --help or -h among a command's arguments (before a `--` that ends the options). */
function helpAsked(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === "--help" || a === "-h");
}

async function serve(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags("serve", argv, {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "0" },
    "data-dir": { type: "string" },
    "max-file-size": { type: "string", multiple: true },
    duplicates: { type: "string", multiple: true },
  });
  const port = integer(values.port, "--port", 0, 65535);
  // Per format, as the registry takes them: by its path segment.
  const limits: Record<string, Partial<Limits>> = {};
  for (const { format, segment, value } of formatPairs("--max-file-size", values["max-file-size"], "SIZE", "1MiB")) {
    limits[segment] = { maxFileSize: size(value, "--max-file-size", { zeroIsUnlimited: true, shown: `--max-file-size ${format}=${value}` }) };
  }
  const policies: Record<string, Partial<Policies>> = {};
  for (const { format, segment, value } of formatPairs("--duplicates", values.duplicates, "allow|reject", "allow")) {
    if (value !== "allow" && value !== "reject") throw new UsageError(`--duplicates ${format}=${value}: give allow or reject${didYouMean(value, ["allow", "reject"])}`);
    // GitLab's npm registry has no duplicate setting: it refuses every duplicate (npm.duplicate), and so does the reference.
    if (format === "npm" && value === "allow") throw new UsageError("--duplicates npm=allow: GitLab's npm registry refuses every duplicate (no group setting), and so does the embedded registry");
    policies[segment] = { duplicates: value };
  }
  const registry = await createReferenceRegistry({
    host: values.host,
    port,
    dataDir: values["data-dir"],
    formats: Object.values(referenceFormats),
    limits,
    policies,
  });
  const { tokens } = registry;
  // What each format runs with, so that `regkit run` can be given the same (--max-file-size, --duplicates).
  const formats = Object.fromEntries(
    Object.entries(referenceFormats).map(([format, reference]) => {
      const settings = registry.settings(reference.segment);
      return [format, { maxFileSize: settings.limits.maxFileSize, duplicates: settings.policies.duplicates }];
    }),
  );
  // Listening for SIGINT and SIGTERM before the line that says the registry is
  // up: a caller that reads it and stops the server at once must find the
  // handlers in place, not the default action (the process killed outright,
  // its temporary directory left behind).
  const stopped = io.stopSignal ?? stopSignal();
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
      formats,
    })}\n`,
  );
  await stopped;
  await registry.close();
  return 0;
}

/**
 * `--flag FORMAT=VALUE` pairs, each FORMAT one the reference registry serves
 * (the closest suggested when it is not); applied in order, so the last
 * value given for a format wins.
 */
function formatPairs(flag: string, pairs: readonly string[] | undefined, what: string, example: string): { format: string; segment: string; value: string }[] {
  const formats = Object.keys(referenceFormats);
  return (pairs ?? []).map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw new UsageError(`${flag} ${pair}: give the format, as ${flag} ${formats[0] ?? "FORMAT"}=${at < 0 ? pair : example} (formats: ${formats.join(", ")})`);
    const format = pair.slice(0, at).trim();
    const reference = referenceFormats[format];
    if (reference === undefined) throw new UsageError(`${flag} ${pair}: unknown format "${format}"${didYouMean(format, formats)} (formats: ${formats.join(", ")})`);
    const value = pair.slice(at + 1).trim();
    if (value === "") throw new UsageError(`${flag} ${pair}: give the ${what} after the =, as ${flag} ${format}=${example}`);
    return { format, segment: reference.segment, value };
  });
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

/** Settings from one place, and how to show one of them as the user wrote it there (for messages). */
interface SettingSource {
  readonly settings: Readonly<Record<string, unknown>>;
  readonly shown: (key: string, value: unknown) => string;
}

/** The settings of the config file and of REGKIT_SET, in that order (the later wins). */
function settingSources(config: ConfigFile & { path?: string }, env: CliIo["env"]): SettingSource[] {
  return [
    { settings: config.set ?? {}, shown: (key, value) => `the config file ${config.path ?? ""}: ${key}: ${JSON.stringify(value)}` },
    {
      settings: parseSettingPairs((env.REGKIT_SET ?? "").split(/[\s;]+/).filter(Boolean), "REGKIT_SET"),
      shown: (key, value) => `REGKIT_SET ${key}=${String(value)}`,
    },
  ];
}

/** Keys for which a size of 0 means "no limit", so a bare 0 needs no unit. */
const ZERO_IS_UNLIMITED = new Set(["maxFileSize"]);

/**
 * The settings of every source merged, the later winning, after the checks
 * that need to know where a setting came from: a misspelt key gets the
 * closest valid one, and a size without a unit is refused rather than read
 * as bytes. Everything else (types, values) is checked by resolveTarget.
 */
function checkedSettings(kit: FormatKit, profileName: string | undefined, sources: readonly SettingSource[]): Record<string, unknown> {
  const profile = knownProfile(kit, profileName);
  const infos = new Map(settingsOf(profile).map((info) => [info.key, info]));
  const merged: Record<string, unknown> = {};
  for (const { settings, shown } of sources) {
    for (const [key, value] of Object.entries(settings)) {
      const info = infos.get(key);
      const near = info === undefined ? closest(key, [...infos.keys()]) : undefined;
      if (near !== undefined) {
        throw new UsageError(`${shown(key, value)}: did you mean ${shown(near, value)}? unknown setting "${key}" for the ${profile.name} profile (valid settings: ${describeSettings(profile, "; ")})`);
      }
      const bare = typeof value === "number" || (typeof value === "string" && isBareNumber(value));
      if (info?.type === "size" && bare && !(ZERO_IS_UNLIMITED.has(key) && Number(value) === 0)) throw new UsageError(unitMissing(shown(key, value), String(value)));
      merged[key] = value;
    }
  }
  return merged;
}

/** The profile `name` (default: the kit's) of `kit`; a UsageError naming the closest and every known one otherwise. */
function knownProfile(kit: FormatKit, name: string | undefined): FormatKit["profiles"][string] {
  const profileName = name ?? kit.defaultProfile;
  const profile = kit.profiles[profileName];
  if (profile) return profile;
  const names = Object.keys(kit.profiles);
  throw new UsageError(`unknown profile "${profileName}" for ${kit.format}${didYouMean(profileName, names)} (known: ${names.join(", ")})`);
}

/** What --scenario takes: every scenario id and every prefix of one (push, push.small). */
function selectors(ids: ReadonlySet<string>): string[] {
  const all = new Set<string>();
  for (const id of ids) {
    const parts = id.split(".");
    for (let n = 1; n <= parts.length; n++) all.add(parts.slice(0, n).join("."));
  }
  return [...all];
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags("run", argv, {
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
    // A run in which no scenario ran exits 1 unless this says it is meant to.
    "allow-empty": { type: "boolean" },
    // For CI that wants every cell green: any skip exits 1.
    "fail-on-skip": { type: "boolean" },
    // Tokens on the command line end up in shell history and process lists.
    token: { type: "string" },
  });
  const { config, kit, registryUrl } = commandTarget(values, io);

  const tokenKinds = values["token-kind"]?.map((kind) => {
    const found = ALL_TOKEN_KINDS.find((k) => k === kind);
    if (found === undefined) throw new UsageError(`unknown token kind "${kind}"${didYouMean(kind, ALL_TOKEN_KINDS)} (known: ${ALL_TOKEN_KINDS.join(", ")})`);
    return found;
  });
  const known = new Set([...coreScenarios, ...kit.scenarios].map((s) => s.id));
  for (const id of values.scenario ?? []) {
    const matches = [...known].some((k) => scenarioMatches(k, id));
    if (!matches) throw new UsageError(`unknown scenario "${id}" for ${kit.format}${didYouMean(id, selectors(known))} (see regkit list --format ${kit.format})`);
  }
  // --exclude ID=REASON: run everything else; the excluded are reported disabled, with the reason.
  const exclude: Record<string, string> = {};
  for (const pair of values.exclude ?? []) {
    const at = pair.indexOf("=");
    const id = at < 0 ? pair : pair.slice(0, at);
    const reason = at < 0 ? "" : pair.slice(at + 1).trim();
    if (!reason) throw new UsageError(`--exclude ${pair}: give the reason, as --exclude ${id}="why it does not apply here"`);
    if (![...known].some((k) => scenarioMatches(k, id))) throw new UsageError(`--exclude: unknown scenario "${id}" for ${kit.format}${didYouMean(id, selectors(known))} (see regkit list --format ${kit.format})`);
    exclude[id] = reason;
  }

  // One settings mechanism: the file, then REGKIT_SET, then --set and the flags that are its aliases.
  const flagSettings: Record<string, string> = {};
  const flagOf: Record<string, string> = {};
  const alias = (flag: keyof typeof values, key: string): void => {
    const value = values[flag];
    if (typeof value !== "string") return;
    flagSettings[key] = value;
    flagOf[key] = `--${flag}`;
  };
  alias("many-versions", "manyVersions");
  alias("many-packages", "manyPackages");
  alias("large-size", "largeSize");
  alias("latency-budget", "latencyBudgetMs");
  alias("num-runs", "numRuns");
  alias("max-file-size", "maxFileSize");
  alias("duplicates", "duplicates");
  const settings = checkedSettings(kit, values.profile ?? config.profile, [
    ...settingSources(config, io.env),
    { settings: flagSettings, shown: (key, value) => `${flagOf[key] ?? key} ${String(value)}` },
    { settings: parseSettingPairs(values.set ?? [], "--set"), shown: (key, value) => `--set ${key}=${String(value)}` },
  ]);

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
  const finishCommand = cleanupCommand({ format: kit.format, registry: redactUrl(registryUrl, targetSecrets(resolved)), profile: values.profile ?? config.profile, runId });

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
  const shown = (values.reporter ?? ["console"]).includes("console");
  return runExitStatus(report, { allowEmpty: values["allow-empty"] === true, failOnSkip: values["fail-on-skip"] === true, problemsShown: shown }, io, targetSecrets(resolved));
}

/**
 * The exit status of a finished run, and the one line on stderr that says
 * why when it is not a failure the report already shows: 2 for a setup error
 * (each preflight problem with its fix, unless the console report on stdout
 * shows them: then one line, so that each is said once), 1 when a scenario
 * failed or errored, 1 when no scenario ran at all (a green job that checked
 * nothing) unless `allowEmpty`, 1 for any skip with `failOnSkip`, else 0.
 */
function runExitStatus(
  report: RunReport,
  flags: { readonly allowEmpty: boolean; readonly failOnSkip: boolean; readonly problemsShown: boolean },
  io: CliIo,
  secrets: readonly string[],
): number {
  const say = (line: string): void => {
    io.stderr.write(`${redact(line, secrets)}\n`);
  };
  const problems = report.preflight?.problems ?? [];
  if (problems.length > 0) {
    if (flags.problemsShown) say(`regkit: setup error (${problems.map((p) => p.check).join(", ")}): the scenarios it concerns did not run; the report above says what to fix`);
    else for (const p of problems) say(`regkit: setup error: ${p.message}\n  fix: ${p.fix}`);
    return 2;
  }
  const { summary } = report;
  if (summary.fail + summary.error > 0) return 1;
  const ran = summary.pass + summary.deviation;
  if (ran === 0 && !flags.allowEmpty) {
    say(`regkit: no scenario ran (${summary.skip} skipped, ${summary.disabled} disabled): nothing was checked; --allow-empty if that is what you meant`);
    return 1;
  }
  if (flags.failOnSkip && summary.skip > 0) {
    say(`regkit: ${count(summary.skip, "scenario")} skipped, and --fail-on-skip asks for none`);
    return 1;
  }
  return 0;
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


/**
 * What `run` and `cleanup` point at: the kit and the registry, from the flags,
 * else the config file; never a token from a flag.
 */
function commandTarget(values: { readonly token?: string | undefined; readonly config?: string | undefined; readonly format?: string | undefined; readonly registry?: string | undefined }, io: CliIo) {
  if (values.token !== undefined) {
    throw new UsageError("credentials are read from the environment only (REGKIT_PERSONAL_TOKEN, ...), never from flags");
  }
  const config = loadConfig(values.config, io.cwd ?? process.cwd());
  const format = values.format ?? config.format;
  if (!format) throw new UsageError(`--format is required (one of: ${kits.map((k) => k.format).join(", ")})`);
  const kit = knownKit(format);
  const registryUrl = values.registry ?? config.registry;
  if (!registryUrl) throw new UsageError("--registry URL is required");
  return { config, kit, registryUrl };
}

async function cleanup(argv: readonly string[], io: CliIo): Promise<number> {
  const { values } = parseFlags("cleanup", argv, {
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
  });
  const { config, kit, registryUrl } = commandTarget(values, io);
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
    settings: checkedSettings(kit, values.profile ?? config.profile, [
      ...settingSources(config, io.env),
      { settings: parseSettingPairs(values.set ?? [], "--set"), shown: (key, value) => `--set ${key}=${String(value)}` },
    ]),
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
  const { values } = parseFlags("list", argv, { format: { type: "string" }, settings: { type: "boolean" } });
  const selected = values.format === undefined ? kits : [knownKit(values.format)];
  for (const kit of selected) {
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

/** The kit of `format`; a UsageError naming the closest format and every known one otherwise. */
function knownKit(format: string): FormatKit {
  const kit = findKit(format);
  if (kit) return kit;
  const formats = kits.map((k) => k.format);
  throw new UsageError(`unknown format "${format}"${didYouMean(format, formats)} (known: ${formats.join(", ")})`);
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


/**
 * `text` with a unit -> bytes, for a flag (`--large-size 64MiB`). A bare
 * number is refused with the units it could have meant; a bare 0 passes only
 * where 0 means unlimited.
 */
export function size(text: string, flag: string, options: { readonly zeroIsUnlimited?: boolean; readonly shown?: string } = {}): number {
  const shown = options.shown ?? `${flag} ${text}`;
  const bytes = parseSize(text);
  if (isBareNumber(text) && (bytes === undefined || !options.zeroIsUnlimited)) throw new UsageError(unitMissing(shown, text));
  if (bytes === undefined) throw new UsageError(`${shown}: expected ${SIZE_TEXT}`);
  return bytes;
}

function isBareNumber(text: string): boolean {
  return /^\s*\d+(\.\d+)?\s*$/.test(text);
}

/** "--large-size 4: give a unit (4MiB, 4MB, 4KiB, 4B)": `shown` is what was typed. */
function unitMissing(shown: string, text: string): string {
  const n = text.trim();
  if (Number(n) === 0) return `${shown}: give a size with its unit (64MiB, 500MB, 4096B); 0 means unlimited only for the file size limit`;
  return `${shown}: give a unit (${n}MiB, ${n}MB, ${n}KiB, ${n}B)`;
}

/** The options of a command, as node:util's parseArgs takes them. */
type FlagOptions = Record<string, { readonly type: "string" | "boolean"; readonly multiple?: boolean; readonly default?: string }>;

/**
 * parseArgs in strict mode, with messages of our own: node's quote unevenly
 * and do not suggest. An unknown flag gets the closest known one ("did you
 * mean --format?"), a flag without its value or a value on a switch says so,
 * and no command takes a positional argument.
 */
function parseFlags<const O extends FlagOptions>(command: Command, argv: readonly string[], options: O) {
  const see = `see regkit ${command} --help`;
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    if (token.kind === "positional") throw new UsageError(`unexpected argument "${token.value}" (regkit ${command} takes only options); ${see}`);
    if (token.kind !== "option") continue;
    const known: FlagOptions = options;
    const option = known[token.name];
    if (option === undefined) {
      const flags = Object.keys(options).map((name) => `--${name}`);
      throw new UsageError(`unknown option ${token.rawName} for regkit ${command}${didYouMean(token.rawName, flags)} (${see})`);
    }
    if (option.type === "string" && token.value === undefined) throw new UsageError(`${token.rawName} needs a value; ${see}`);
    if (option.type === "string" && !token.inlineValue && token.value?.startsWith("-")) {
      throw new UsageError(`${token.rawName} needs a value, not the option ${token.value} (for a value that starts with a dash: ${token.rawName}=${token.value}); ${see}`);
    }
    if (option.type === "boolean" && token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, not "${token.value}"; ${see}`);
  }
  return parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
}

/** "; did you mean pypi?" when a candidate is close enough to `given` to be what was meant, else "". */
function didYouMean(given: string, candidates: readonly string[]): string {
  const best = closest(given, candidates);
  return best === undefined ? "" : `; did you mean ${best}?`;
}

/**
 * The candidate nearest to `given` by edit distance (a swap of two neighbours
 * counts once, so "fromat" is one step from "format"), if it is near enough:
 * at most a third of the longer word, and at least one step, so that a typo
 * of a short word still gets its suggestion and an unrelated word gets none.
 */
function closest(given: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  // Flags are compared without their dashes: "--" would make every flag look closer to every other.
  const word = (text: string): string => text.replace(/^-+/, "").toLowerCase();
  for (const candidate of candidates) {
    const [a, b] = [word(given), word(candidate)];
    const distance = editDistance(a, b);
    const allowed = Math.max(1, Math.ceil(Math.max(a.length, b.length) / 3));
    if (distance <= allowed && distance < bestDistance && distance < Math.max(a.length, 2)) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [];
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        row.push(i + j);
        continue;
      }
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, row[j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]![b.length]!;
}
