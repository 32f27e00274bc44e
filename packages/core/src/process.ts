/**
 * The one way drivers run a real client (npm, twine, pip, mvn, NuGet.exe):
 * a time limit that kills the whole process tree, an abort signal, the exit
 * code, and a redacted tail of stdout and stderr kept as evidence.
 *
 * @module
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { redact } from "./redact.js";

/** What {@link runTool} runs. */
export interface ToolRun {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string | undefined;
  /** Added to the environment (or, with `cleanEnv`, the whole environment). */
  readonly env?: NodeJS.ProcessEnv | undefined;
  /** Start from an empty environment instead of this process's. */
  readonly cleanEnv?: boolean | undefined;
  /** Wall-clock limit; the process tree is killed past it (default 240 s). */
  readonly timeoutMs?: number | undefined;
  readonly signal?: AbortSignal | undefined;
  /** Redacted from the output (a driver passes `ctx.secrets`). */
  readonly secrets: readonly string[];
  /** Bytes of output kept, from the end (default 64 KiB). */
  readonly tailBytes?: number | undefined;
}

/** How a tool run ended. */
export interface ToolResult {
  /** Exit code; 124 past the time limit, 127 when the command is missing, 128+n for a signal. */
  readonly code: number;
  /** stdout and stderr interleaved, ANSI colours removed, redacted, the last `tailBytes`. */
  readonly output: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Runs a tool to the end or to its time limit; never rejects. */
export function runTool(run: ToolRun): Promise<ToolResult> {
  const started = performance.now();
  const limit = run.timeoutMs ?? 240_000;
  const tail = run.tailBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let dropped = false;
    const keep = (chunk: Buffer): void => {
      chunks.push(chunk);
      kept += chunk.length;
      while (kept - (chunks[0]?.length ?? 0) >= tail && chunks.length > 1) {
        kept -= chunks.shift()!.length;
        dropped = true;
      }
    };
    let timedOut = false;
    let settled = false;
    const finish = (code: number, extra = ""): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal?.removeEventListener("abort", onAbort);
      const text = Buffer.concat(chunks).toString("utf8").replace(/\u001b\[[0-9;]*m/g, "");
      const body = dropped ? `...${text.slice(-tail)}` : text;
      resolve({ code, output: redact(`${body}${extra}`, run.secrets), timedOut, durationMs: performance.now() - started });
    };
    const child = spawn(run.command, run.args, {
      cwd: run.cwd,
      env: run.cleanEnv ? { ...run.env } : { ...process.env, ...run.env },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group: a time limit kills what the tool started too (mvn's JVM, npm's node).
      detached: true,
    });
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        child.kill("SIGKILL");
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, limit);
    const onAbort = (): void => kill();
    if (run.signal?.aborted) queueMicrotask(kill);
    run.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (error: NodeJS.ErrnoException) => {
      finish(error.code === "ENOENT" ? 127 : 1, `\n${run.command}: ${error.code === "ENOENT" ? "not found on PATH" : error.message}`);
    });
    child.once("close", (code, signal) => {
      if (timedOut) finish(124, `\n${run.command} did not finish within ${limit >= 10_000 ? Math.round(limit / 1000) : (limit / 1000).toFixed(1)} s and was killed`);
      else if (run.signal?.aborted) finish(code ?? 130, `\n${run.command} was stopped: the scenario ended`);
      else finish(code ?? 128 + (SIGNALS[signal ?? ""] ?? 0));
    });
  });
}

/**
 * The first line a tool prints for `args` (`npm --version`), or undefined
 * when it cannot run; memoized per command line. `scratchEnv`: what to add to
 * the environment given a temporary directory made for the probe and removed
 * once it has run, for a tool that would otherwise write into the user's home
 * (conan makes `~/.conan2` on any command, NuGet.exe a `NuGet.Config`).
 */
export function probeTool(command: string, args: readonly string[], timeoutMs = 30_000, scratchEnv?: (scratch: string) => NodeJS.ProcessEnv): Promise<string | undefined> {
  const key = [command, ...args, ...Object.entries(scratchEnv?.("\u0001") ?? {}).flat()].join("\u0000");
  let known = probes.get(key);
  if (!known) {
    const run = (env?: NodeJS.ProcessEnv): Promise<ToolResult> => runTool({ command, args, timeoutMs, env, secrets: [] });
    known = (scratchEnv ? inScratch((dir) => run(scratchEnv(dir))) : run()).then((r) => (r.code === 0 ? r.output.trim().split("\n")[0] ?? "" : undefined));
    probes.set(key, known);
  }
  watching.getStore()?.push(known);
  return known;
}

const probes = new Map<string, Promise<string | undefined>>();

/** Runs `step` with a fresh temporary directory, removed after it however it ends. */
async function inScratch<T>(step: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), "regkit-probe-"));
  try {
    return await step(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
/** The probes made while {@link probedVersion} runs its check (memoized ones included). */
const watching = new AsyncLocalStorage<Promise<string | undefined>[]>();

/**
 * The first line of the last version probe `check` ran through
 * {@link probeTool} that answered (`npm --version` gives "10.9.0", `mvn -v`
 * "Apache Maven 3.8.7 ..."), or undefined. Core uses it as a driver's version
 * when the driver does not say, so no kit has to repeat its probe.
 */
export async function probedVersion(check: () => Promise<unknown>): Promise<string | undefined> {
  const seen: Promise<string | undefined>[] = [];
  await watching.run(seen, check);
  const lines = await Promise.all(seen);
  return lines.filter((line): line is string => line !== undefined && line !== "").at(-1);
}
