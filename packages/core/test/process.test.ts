// runTool, the one process runner every driver uses: the exit code and a
// redacted, colourless, bounded tail of the output; a time limit that kills
// the whole process group (a real client's children too); an abort signal;
// a clear 127 for a missing command. probeTool: the first line or undefined.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { probeTool, runTool } from "@regkit/core";

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "regkit-process-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * Whether a process still runs. A killed process whose parent is gone may
 * stay a zombie until init reaps it (containers often have no reaping init):
 * it runs no more, so it counts as gone.
 */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  // The state follows the command name in parentheses: "123 (sleep) S ...".
  const state = /\)\s+(\S)/.exec(readFileSync(stat, "utf8"))?.[1];
  return state !== "Z" && state !== "X";
}

/** Waits up to `ms` for every pid to stop running; the ones still running. */
async function stillRunning(pids: readonly number[], ms = 3_000): Promise<number[]> {
  const until = Date.now() + ms;
  let alive = pids.filter(running);
  while (alive.length > 0 && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    alive = alive.filter(running);
  }
  return alive;
}

async function pidsFrom(file: string): Promise<number[]> {
  const text = await readFile(file, "utf8");
  return text.split(/\s+/).filter(Boolean).map(Number);
}

describe("runTool", () => {
  test("exit code, stdout and stderr together, ANSI colours removed", async () => {
    const result = await runTool({ command: "bash", args: ["-c", "echo to-stdout; echo to-stderr >&2; printf '\\033[31mred\\033[0m\\n'; exit 3"], secrets: [] });
    expect(result.code).toBe(3);
    expect(result.timedOut).toBe(false);
    expect(result.output).toContain("to-stdout");
    expect(result.output).toContain("to-stderr");
    expect(result.output).toContain("red");
    expect(result.output).not.toContain("\u001b[");
    expect(result.durationMs).toBeGreaterThan(0);
    expect((await runTool({ command: "bash", args: ["-c", "true"], secrets: [] })).code).toBe(0);
  });

  test("cwd and env reach the tool; cleanEnv starts from nothing", async () => {
    const inherited = await runTool({ command: "bash", args: ["-c", 'echo "$PWD|$REGKIT_PROBE|${HOME:-no-home}"'], cwd: dir, env: { REGKIT_PROBE: "given" }, secrets: [] });
    expect(inherited.output.trim()).toBe(`${dir}|given|${process.env.HOME ?? "no-home"}`);
    const clean = await runTool({ command: "/bin/bash", args: ["-c", 'echo "${REGKIT_PROBE}|${HOME:-no-home}"'], env: { REGKIT_PROBE: "only" }, cleanEnv: true, secrets: [] });
    expect(clean.output.trim()).toBe("only|no-home");
  });

  test("a secret in the output is redacted, raw, URL-encoded and inside base64 (Basic credentials)", async () => {
    const secret = "glpat-Sup3rSecret/Value+0123";
    const basic = Buffer.from(`someone:${secret}`).toString("base64");
    const result = await runTool({
      command: "bash",
      args: ["-c", 'echo "token: $1"; echo "url: $2"; echo "Authorization: Basic $3" >&2', "tool", secret, encodeURIComponent(secret), basic],
      secrets: [secret],
    });
    expect(result.code).toBe(0);
    expect(result.output).not.toContain(secret);
    expect(result.output).not.toContain(encodeURIComponent(secret));
    expect(result.output).not.toContain(basic);
    expect(result.output).toMatch(/token: \[REDACTED\]/);
    expect(result.output).toMatch(/url: \[REDACTED\]/);
    expect(result.output).toMatch(/Authorization: Basic \[REDACTED\]/);
  });

  test("past timeoutMs the whole process group is killed, children included: 124 and timedOut", async () => {
    const pidFile = join(dir, "timeout.pids");
    // The background sleep does not hold the output pipes: only a group kill stops it.
    const result = await runTool({
      command: "bash",
      args: ["-c", `sleep 30 >/dev/null 2>&1 & echo "$$ $!" > ${pidFile}; echo started; sleep 30`],
      timeoutMs: 300,
      secrets: [],
    });
    expect(result.code).toBe(124);
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(10_000);
    expect(result.output).toContain("started");
    expect(result.output).toMatch(/bash did not finish within 0\.3 s and was killed/);
    const pids = await pidsFrom(pidFile);
    expect(pids).toHaveLength(2);
    expect(await stillRunning(pids)).toEqual([]);
  });

  test("an abort signal stops the tool and its children", async () => {
    const pidFile = join(dir, "abort.pids");
    const controller = new AbortController();
    const started = Date.now();
    const run = runTool({ command: "bash", args: ["-c", `sleep 30 >/dev/null 2>&1 & echo "$$ $!" > ${pidFile}; sleep 30`], timeoutMs: 60_000, signal: controller.signal, secrets: [] });
    // Abort once the tool has started its child (the pid file is there).
    while (!existsSync(pidFile) || (await readFile(pidFile, "utf8")).trim().split(" ").length < 2) {
      if (Date.now() - started > 10_000) throw new Error("the tool never started");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort();
    const result = await run;
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(130);
    expect(result.output).toMatch(/bash was stopped: the scenario ended/);
    expect(await stillRunning(await pidsFrom(pidFile))).toEqual([]);
  });

  test("a signal already aborted stops the tool before it does anything", async () => {
    const marker = join(dir, "never-written");
    const result = await runTool({ command: "bash", args: ["-c", `sleep 2; touch ${marker}`], signal: AbortSignal.abort(), secrets: [] });
    expect(result.code).not.toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.durationMs).toBeLessThan(2_000);
    expect(existsSync(marker)).toBe(false);
  });

  test("a missing command is 127, saying it is not on PATH", async () => {
    const result = await runTool({ command: "regkit-no-such-tool", args: ["--version"], secrets: [] });
    expect(result.code).toBe(127);
    expect(result.timedOut).toBe(false);
    expect(result.output).toMatch(/regkit-no-such-tool: not found on PATH/);
  });

  test("only the last tailBytes of the output are kept, marked as cut", async () => {
    const result = await runTool({
      command: "bash",
      // ~200 KB in many writes, with markers at both ends.
      args: ["-c", 'echo FIRST-LINE; for i in $(seq 1 4000); do echo "line $i ................................................"; done; echo LAST-LINE'],
      tailBytes: 1_000,
      secrets: [],
    });
    expect(result.code).toBe(0);
    expect(result.output.startsWith("...")).toBe(true);
    expect(result.output.length).toBeLessThanOrEqual(1_000 + 3);
    expect(result.output).toContain("LAST-LINE");
    expect(result.output).toContain("line 4000 ");
    expect(result.output).not.toContain("FIRST-LINE");
    // Short output is kept whole, unmarked.
    const short = await runTool({ command: "bash", args: ["-c", "echo short"], tailBytes: 1_000, secrets: [] });
    expect(short.output).toBe("short\n");
  });
});

describe("probeTool", () => {
  test("the first line of what the tool prints, or undefined when it cannot run or fails", async () => {
    expect(await probeTool("bash", ["-c", "echo 'tool 1.2.3'; echo second line"])).toBe("tool 1.2.3");
    expect(await probeTool("regkit-no-such-tool", ["--version"])).toBeUndefined();
    expect(await probeTool("bash", ["-c", "echo broken; exit 2"])).toBeUndefined();
  });

  test("memoized per command line: the tool runs once", async () => {
    const counter = join(dir, "probe-count");
    const args = ["-c", `echo run >> ${counter}; echo v9`];
    const [a, b] = await Promise.all([probeTool("bash", args), probeTool("bash", args)]);
    expect([a, b, await probeTool("bash", args)]).toEqual(["v9", "v9", "v9"]);
    expect((await readFile(counter, "utf8")).trim().split("\n")).toEqual(["run"]);
  });
});
