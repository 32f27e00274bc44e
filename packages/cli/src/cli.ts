import { parseArgs } from "node:util";
import {
  ConfigError,
  consoleReporter,
  parseReporterSpec,
  runConformance,
  type Credentials,
  type Reporter,
  type ScenarioOptions,
  type Target,
  type TokenKind,
  ALL_TOKEN_KINDS,
  coreScenarios,
} from "@regkit/core";
import { createReferenceRegistry } from "@regkit/registry";
import { findKit, kits } from "./kits.js";

/** Where the CLI writes; injectable so tests run it in-process. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Resolves when the process should stop (`serve`). */
  readonly stopSignal?: Promise<void>;
}

const USAGE = `Usage:
  regkit serve [--host 127.0.0.1] [--port N|0] [--data-dir DIR]
  regkit run --format FORMAT --registry URL [--profile NAME] [--scenario ID]...
             [--token-kind KIND]... [--seed N] [--reporter console|json=FILE|junit=FILE|markdown=FILE|html=FILE|badge=FILE]...
             [--many-versions N] [--many-packages N] [--large-size SIZE] [--latency-budget MS]
             [--max-file-size SIZE] [--duplicates reject|allow] [--num-runs N] [--concurrency N] [--timeout SECONDS]
  regkit list [--format FORMAT]

Credentials come only from the environment: REGKIT_PERSONAL_TOKEN, REGKIT_DEPLOY_TOKEN,
REGKIT_DEPLOY_USERNAME, REGKIT_JOB_TOKEN (and for the read-only negative REGKIT_READONLY_TOKEN,
REGKIT_READONLY_USERNAME).

Exit status: 0 no scenario failed or errored, 1 one did, 2 usage or configuration error.`;

/** A usage or configuration problem: one line, exit code 2. */
class UsageError extends Error {}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
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
    formats: kits.flatMap((kit) => (kit.reference ? [kit.reference] : [])),
  });
  const { tokens } = registry;
  io.stdout.write(
    `${JSON.stringify({
      url: registry.url,
      registries: registry.registries,
      tokens: {
        personal: tokens.personal,
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

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    options: {
      format: { type: "string" },
      registry: { type: "string" },
      profile: { type: "string" },
      scenario: { type: "string", multiple: true },
      "token-kind": { type: "string", multiple: true },
      seed: { type: "string" },
      reporter: { type: "string", multiple: true },
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
  if (!values.format) throw new UsageError(`--format is required (one of: ${kits.map((k) => k.format).join(", ")})`);
  const kit = findKit(values.format);
  if (!kit) throw new UsageError(`unknown format "${values.format}" (known: ${kits.map((k) => k.format).join(", ")})`);
  if (!values.registry) throw new UsageError("--registry URL is required");

  const tokenKinds = values["token-kind"]?.map((kind) => {
    if (!ALL_TOKEN_KINDS.includes(kind as TokenKind)) {
      throw new UsageError(`unknown token kind "${kind}" (known: ${ALL_TOKEN_KINDS.join(", ")})`);
    }
    return kind as TokenKind;
  });
  const known = new Set([...coreScenarios, ...kit.scenarios].map((s) => s.id));
  for (const id of values.scenario ?? []) {
    const matches = [...known].some((k) => k === id || k.startsWith(`${id}.`));
    if (!matches) throw new UsageError(`unknown scenario "${id}" for ${kit.format} (see regkit list --format ${kit.format})`);
  }
  if (values.duplicates !== undefined && values.duplicates !== "reject" && values.duplicates !== "allow") {
    throw new UsageError(`--duplicates must be reject or allow, not "${values.duplicates}"`);
  }

  const options: Partial<Record<keyof ScenarioOptions, number>> = {};
  if (values["many-versions"] !== undefined) options.manyVersions = integer(values["many-versions"], "--many-versions", 1);
  if (values["many-packages"] !== undefined) options.manyPackages = integer(values["many-packages"], "--many-packages", 1);
  if (values["large-size"] !== undefined) options.largeSize = size(values["large-size"], "--large-size");
  if (values["latency-budget"] !== undefined) options.latencyBudgetMs = integer(values["latency-budget"], "--latency-budget", 1);
  if (values["num-runs"] !== undefined) options.numRuns = integer(values["num-runs"], "--num-runs", 1);

  const target: Target = {
    registry: values.registry,
    profile: values.profile,
    credentials: credentialsFromEnv(io.env),
    options,
    ...(values["max-file-size"] !== undefined ? { limits: { maxFileSize: size(values["max-file-size"], "--max-file-size") } } : {}),
    ...(values.duplicates !== undefined ? { policies: { duplicates: values.duplicates as "reject" | "allow" } } : {}),
  };

  const c = target.credentials!;
  const secrets = [c.personal, c.job, c.deploy?.token, c.readonly?.token].filter((s): s is string => Boolean(s));
  const reporters: Reporter[] = (values.reporter ?? ["console"]).map((spec) => {
    try {
      return spec === "console" ? consoleReporter({ stream: io.stdout }) : parseReporterSpec(spec, { stream: io.stdout, secrets });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
  });

  const report = await runConformance({
    kit,
    target,
    scenarios: values.scenario,
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
  const { values } = parseArgs({ args: [...argv], options: { format: { type: "string" } }, strict: true });
  const selected = values.format ? [findKit(values.format)] : kits;
  if (selected[0] === undefined) throw new UsageError(`unknown format "${values.format}"`);
  for (const kit of selected as typeof kits) {
    io.stdout.write(`${kit.format} (profiles: ${Object.keys(kit.profiles).join(", ")}; default ${kit.defaultProfile})\n`);
    for (const scenario of [...coreScenarios, ...kit.scenarios]) {
      io.stdout.write(`  ${scenario.id.padEnd(22)} [${scenario.audience}] ${scenario.title}\n`);
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

const UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** "64MiB", "500MB", "1048576" -> bytes. */
export function size(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new UsageError(`${flag} expects a size like 64MiB or 500MB, not "${text}"`);
  return Math.round(Number(match[1]) * unit);
}
