// NuGet.exe runs through regkit's mono launcher (runMonoProgram in
// src/drivers.ts). Run directly, mono 6.8 waits for a program's threads when
// its Main returns, and NuGet.exe stayed alive 15 to 60 s after its work
// (a thread-pool worker asleep in its park timeout). Through the launcher the
// process ends when Main returns, with Main's exit code. The programs here
// are compiled with mcs, as the launcher is.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { probeTool, runTool } from "@regkit/core";
import { runMonoProgram } from "../src/drivers.js";

// Main returns at once; a foreground thread it started sleeps 40 s, then writes the marker file.
const LINGER = `using System;
using System.IO;
using System.Threading;
static class Linger {
  static int Main(string[] args) {
    var thread = new Thread(() => { Thread.Sleep(40000); File.WriteAllText(args[0], "the thread finished"); });
    thread.IsBackground = false;
    thread.Start();
    Console.WriteLine("main returned: " + args[1]);
    return 3;
  }
}
`;
const THROWS = `using System;
static class Throws {
  static int Main(string[] args) { throw new InvalidOperationException("regkit-launcher-boom"); }
}
`;
const HELLO = `using System;
static class Hello {
  static void Main(string[] args) { Console.WriteLine("hello " + string.Join("|", args)); }
}
`;

const why = !(await probeTool("mono", ["--version"])) ? "mono not on PATH" : !(await probeTool("mcs", ["--version"])) ? "mcs not on PATH" : undefined;

let dir = "";
const programs: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "regkit-mono-launcher-"));
  if (why) return;
  for (const [name, source] of Object.entries({ linger: LINGER, throws: THROWS, hello: HELLO })) {
    await writeFile(join(dir, `${name}.cs`), source);
    const built = await runTool({ command: "mcs", args: ["-nologo", `-out:${join(dir, `${name}.exe`)}`, join(dir, `${name}.cs`)], cwd: dir, secrets: [], timeoutMs: 60_000 });
    if (built.code !== 0) throw new Error(`mcs could not build ${name}.cs: ${built.output}`);
    programs[name] = join(dir, `${name}.exe`);
  }
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(why !== undefined)(`the mono launcher NuGet.exe runs through${why ? ` (${why})` : ""}`, () => {
  test("a program whose Main returned ends with Main's exit code, though a thread it started still runs", async () => {
    const scratch = await mkdtemp(join(dir, "scratch-"));
    const marker = join(dir, "thread-finished");
    // 25 s: were the process kept until its thread ends (40 s), the run would be killed (124), not end with 3.
    const result = await runMonoProgram(programs.linger!, [marker, "two words & 'quotes'"], { scratch, secrets: [], timeoutMs: 25_000 });
    expect(result.timedOut).toBe(false);
    expect(result.code).toBe(3);
    expect(result.output).toContain("main returned: two words & 'quotes'");
    expect(existsSync(marker)).toBe(false);
    // The launcher was built in the scratch directory given, once.
    expect(existsSync(join(scratch, "regkit-mono-launcher.exe"))).toBe(true);
  }, 90_000);

  test("an exception Main lets through ends the process with 1 and says what it was", async () => {
    const scratch = await mkdtemp(join(dir, "scratch-"));
    const result = await runMonoProgram(programs.throws!, [], { scratch, secrets: [], timeoutMs: 25_000 });
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/Unhandled Exception:[\s\S]*InvalidOperationException: regkit-launcher-boom/);
  }, 90_000);

  test("where no launcher can be built, the program runs directly", async () => {
    // A scratch directory that cannot be created: the launcher's source cannot be written.
    const scratch = join(programs.hello!, "not-a-directory");
    const result = await runMonoProgram(programs.hello!, ["a", "b c"], { scratch, secrets: [], timeoutMs: 25_000 });
    expect(result.code).toBe(0);
    expect(result.output.trim()).toBe("hello a|b c");
  }, 90_000);
});
