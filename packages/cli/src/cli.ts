import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import {
  ConfigError,
  describeSettings,
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
}

const USAGE = `Usage:
  regkit serve [--host 127.0.0.1] [--port N|0] [--data-dir DIR]
  regkit run --format FORMAT --registry URL [--profile NAME] [--scenario ID]... [--exclude ID=REASON]...
             [--token-kind KIND]... [--seed N] [--reporter console|json=FILE|junit=FILE|markdown=FILE|html=FILE|badge=FILE]...
             [--set KEY=VALUE]... [--config FILE]
             [--many-versions N] [--many-packages N] [--large-size SIZE] [--latency-budget MS]
             [--max-file-size SIZE] [--duplicates reject|allow] [--num-runs N] [--concurrency N] [--timeout SECONDS]
  regkit list [--format FORMAT] [--settings]

Settings say how the registry is configured (a public project, a group that allows
duplicates, a GitLab feature flag): --set KEY=VALUE (repeatable), REGKIT_SET="KEY=VALUE ...",
and a config file (--config FILE, else regkit.config.json, .yaml or .yml in the working
directory) holding {format, registry, profile, set: {KEY: VALUE}}; flags win over REGKIT_SET,
which wins over the file. "regkit list --format F --settings" lists every profile's settings.

Credentials come only from the environment: REGKIT_PERSONAL_TOKEN (and REGKIT_PERSONAL_USERNAME,
the token owner's username, where a profile sends it as Basic auth), REGKIT_DEPLOY_TOKEN,
REGKIT_DEPLOY_USERNAME, REGKIT_JOB_TOKEN (and for the read-only negative REGKIT_READONLY_TOKEN,
REGKIT_READONLY_USERNAME).

Exit status: 0 no scenario failed or errored, 1 one did, 2 usage or configuration error.`;

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
      case "help":
      case "--help":
      case "-h":
        io.stdout.write(`${USAGE}\n`);
        return 0;
      case undefined:
        throw new UsageError("missing command (serve, run or list); see regkit --help");
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

  const report = await runConformance({
    kit,
    target,
    scenarios: values.scenario,
    exclude,
    tokenKinds,
    seed: values.seed === undefined ? undefined : integer(values.seed, "--seed", 0),
    concurrency: values.concurrency === undefined ? undefined : integer(values.concurrency, "--concurrency", 1, 64),
    timeoutMs: values.timeout === undefined ? undefined : integer(values.timeout, "--timeout", 1) * 1000,
    runId: values["run-id"],
    onResult: (result) => {
      for (const reporter of reporters) reporter.onResult?.(result);
    },
  });
  for (const reporter of reporters) await reporter.finish([report]);
  return report.summary.fail + report.summary.error > 0 ? 1 : 0;
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
