// The demo: start the embedded reference registry, run every kit against it
// with every token kind (its gitlab profile), print the table, and write JSON,
// JUnit, Markdown and HTML reports and a badge under ./regkit-report/ (at the repository root).
//
// Formats run at the same time, a few at once (REGKIT_DEMO_FORMATS_AT_ONCE,
// default one more than the cores), each in a process of its own
// (format-worker.mjs), while the registry answers in this one: every format's
// checks and the registry have an event loop each, so one format's work never
// shows up in another's latency figures, and the JavaScript of the run spreads
// over the cores. Processes, not worker threads: a real client is forked from
// the process that starts it, and a fork copies the page tables of everything
// that process holds; from one process with the registry and three formats
// (550 to 770 MB resident) a spawn blocked its thread 75 ms on average, from
// a format's own process 28 ms.
// Much of a format's run is spent waiting on its clients (a JVM, a Python
// interpreter, mono starting). The longest formats of the previous run (on a
// first run, of the committed benchmark's) start first, so the last to finish
// is not a long one started late. Where the time
// went, per format and per scenario, and the CPU this process and the clients
// used, is written to regkit-report/demo-timings.json (the benchmark reports it).
import { readFile, mkdir, writeFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import { fork } from "node:child_process";
import { kits, referenceFormats } from "@regkit/cli";
import { badgeReporter, consoleReporter, htmlReporter, jsonReporter, junitReporter, markdownReporter } from "@regkit/core";
import { createReferenceRegistry, referenceTarget } from "@regkit/registry";

const MiB = 1024 * 1024;
// The demo instance runs with a 72 MiB file limit (GitLab's npm default is
// 500 MB): room for push.large's 64 MiB package and its archive's framing, and
// push.over-limit, which uploads about the limit before the 413, sends 73 MiB
// rather than 97 (it was the costliest scenario once). The benchmarks use the real limit.
const DEMO_LIMIT = 72 * MiB;

const outDir = fileURLToPath(new URL("../../../regkit-report/", import.meta.url));
// The clients `pnpm tools` installed (tooling/ci/install-tools.sh) take part
// as they do in the tests; without them, those clients skip with the reason.
process.env.REGKIT_TOOLS ??= fileURLToPath(new URL("../../../.regkit-tools", import.meta.url));
process.env.PATH = `${process.env.REGKIT_TOOLS}/bin${delimiter}${process.env.PATH ?? ""}`;
const timingsFile = `${outDir}demo-timings.json`;
const benchFigures = fileURLToPath(new URL("../../../tooling/bench/figures.json", import.meta.url));
await mkdir(outDir, { recursive: true });

/**
 * How many formats run at once: the environment's, else one more than the
 * cores (a format's run spends part of its time waiting on its clients). More
 * costs more than it overlaps: on 2 cores, 3 at once took 103 s and 195
 * CPU-seconds, 4 at once 120 to 128 s and 211 to 224 (every format's requests
 * and clients then wait their turn for the same two cores).
 */
function formatsAtOnce() {
  const asked = Number(process.env.REGKIT_DEMO_FORMATS_AT_ONCE);
  return Number.isInteger(asked) && asked >= 1 ? asked : availableParallelism() + 1;
}

/**
 * Seconds each format took in the previous demo, to start the long ones
 * first; on a first demo (a fresh clone), those of the demo the committed
 * benchmark figures measured (tooling/bench/figures.json, `pnpm bench`).
 */
async function previousSeconds() {
  for (const [file, formats] of [
    [timingsFile, (json) => json.formats],
    [benchFigures, (json) => json.results?.demo?.formats],
  ]) {
    try {
      const seconds = Object.entries(formats(JSON.parse(await readFile(file, "utf8"))) ?? {}).map(([format, t]) => [format, Number(t.seconds) || 0]);
      if (seconds.length > 0) return Object.fromEntries(seconds);
    } catch {
      // Absent or unreadable: the next source, else kit order.
    }
  }
  return {};
}

const registry = await createReferenceRegistry({
  formats: Object.values(referenceFormats),
});
console.log(`reference registry at ${registry.url}`);

const reporters = [
  consoleReporter({ stream: process.stdout }),
  jsonReporter(`${outDir}report.json`),
  junitReporter(`${outDir}junit.xml`),
  markdownReporter(`${outDir}report.md`),
  htmlReporter(`${outDir}report.html`, { secrets: registry.secrets }),
  badgeReporter(`${outDir}badge.svg`),
];

const runnable = kits.filter((kit) => referenceFormats[kit.format]);
const before = await previousSeconds();
// Longest first (by the last run); formats never timed go first, in kit order (they may be long).
const queue = [...runnable].sort((a, b) => (before[b.format] ?? Infinity) - (before[a.format] ?? Infinity) || runnable.indexOf(a) - runnable.indexOf(b));
const atOnce = Math.min(formatsAtOnce(), queue.length);
const reports = new Map();
const timings = {};
const started = performance.now();
console.log(`${runnable.length} formats, ${atOnce} at a time (${availableParallelism()} cores): ${queue.map((k) => k.format).join(", ")}`);

async function runFormat(kit) {
  const segment = referenceFormats[kit.format].segment;
  registry.setLimits(segment, { maxFileSize: DEMO_LIMIT });
  console.log(`${kit.title}: ${registry.registries[segment]} (profile gitlab)`);
  const t0 = performance.now();
  const report = await inProcess(kit.format, referenceTarget(registry, segment), (result) => {
    const mark = { pass: "✓", fail: "✗", skip: "-", error: "!", deviation: "~" }[result.status];
    process.stderr.write(`  ${mark} ${kit.format} ${result.scenario} [${result.tokenKind}]${result.message && result.status !== "pass" ? `: ${result.message}` : ""}\n`);
  });
  const seconds = (performance.now() - t0) / 1000;
  reports.set(kit.format, report);
  // Scenario time summed over token kinds (pairs run two at a time, so the sum exceeds the wall time).
  const scenarios = {};
  for (const result of report.results) scenarios[result.scenario] = (scenarios[result.scenario] ?? 0) + (result.durationMs ?? 0) / 1000;
  timings[kit.format] = { seconds, scenarios };
  console.log(`${kit.title}: done in ${seconds.toFixed(1)} s`);
}

/** CPU seconds the format processes used themselves (their clients' is the clients'). */
let formatProcessSeconds = 0;

/** Runs one format's conformance run in a process of its own (format-worker.mjs); its report, or a rejection when the process ends without one. */
function inProcess(format, target, onResult) {
  return new Promise((resolve, reject) => {
    // The structured clone worker threads use, so results and reports (errors included) arrive as they left.
    const child = fork(new URL("./format-worker.mjs", import.meta.url), [], { serialization: "advanced", stdio: ["ignore", "inherit", "inherit", "ipc"] });
    let report;
    child.on("message", (message) => {
      if (message.type === "result") onResult(message.result);
      else if (message.type === "report") {
        report = message.report;
        formatProcessSeconds += message.cpuSeconds;
      }
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => (report ? resolve(report) : reject(new Error(`the ${format} run ended (${signal ?? `exit ${code}`}) without a report`))));
    child.send({ format, target });
  });
}

/**
 * CPU seconds the demo used: this process (the registry) and the format
 * processes themselves, and the real clients (the format processes' waited-for
 * children, counted in this process's children's time with the format
 * processes, which report their own).
 */
async function cpuSeconds() {
  const own = process.resourceUsage();
  // /proc/self/stat fields 16 and 17: children's user and system time, in clock ticks (100 per second on Linux).
  const stat = await readFile("/proc/self/stat", "utf8").catch(() => "");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const children = (Number(fields[13]) + Number(fields[14])) / 100;
  return {
    process: (own.userCPUTime + own.systemCPUTime) / 1e6 + formatProcessSeconds,
    clients: Number.isFinite(children) ? Math.max(0, children - formatProcessSeconds) : undefined,
  };
}

try {
  const pending = [...queue];
  const worker = async () => {
    for (let kit = pending.shift(); kit; kit = pending.shift()) {
      // A format whose run broke is missing from the reports (the exit code says so); the others go on.
      await runFormat(kit).catch((error) => console.error(`${kit.title}: the run broke: ${error?.stack ?? error}`));
    }
  };
  await Promise.all(Array.from({ length: atOnce }, worker));
} finally {
  await registry.close();
}
const wallSeconds = (performance.now() - started) / 1000;
const cpu = await cpuSeconds();
// Reports in kit order, whatever order the formats finished in.
const ordered = runnable.map((kit) => reports.get(kit.format)).filter((r) => r !== undefined);
for (const reporter of reporters) await reporter.finish(ordered);
await writeFile(
  timingsFile,
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, cores: availableParallelism(), formatsAtOnce: atOnce, wallSeconds, cpuSeconds: cpu, formats: timings }, null, 2)}\n`,
);
console.log(`\nall formats in ${wallSeconds.toFixed(1)} s (${atOnce} at a time): ${runnable.map((k) => `${k.format} ${timings[k.format]?.seconds.toFixed(1) ?? "-"} s`).join(", ")}`);
console.log(`reports written to ${outDir} (report.json, junit.xml, report.md, report.html, badge.svg, demo-timings.json)`);
const failed = ordered.reduce((n, r) => n + r.summary.fail + r.summary.error, 0);
process.exitCode = failed > 0 || ordered.length < runnable.length ? 1 : 0;
