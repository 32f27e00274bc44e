// The demo's wall time with its default numbers and every format (goal: under
// two minutes on 2 cores), and where the time goes: per format, and per
// scenario within a format (summed over token kinds), and the CPU the demo's
// process and its real clients used, from the regkit-report/demo-timings.json
// the demo writes.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { root } from "./common.mjs";

export async function demoBench({ log = () => {} } = {}) {
  const logFile = `${root}regkit-report/bench-demo.log`;
  const out = createWriteStream(logFile);
  const t0 = performance.now();
  const code = await new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["src/demo.mjs"], { cwd: `${root}apps/demo`, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    child.once("error", reject);
    child.once("exit", resolve);
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  out.end();
  const timings = JSON.parse(await readFile(`${root}regkit-report/demo-timings.json`, "utf8"));
  const formats = {};
  for (const [format, t] of Object.entries(timings.formats)) {
    const top = Object.entries(t.scenarios).sort((a, b) => b[1] - a[1]);
    formats[format] = { seconds: t.seconds, scenarios: Object.fromEntries(top) };
  }
  log(`demo: ${wallSeconds.toFixed(1)} s, exit ${code} (output in regkit-report/bench-demo.log)`);
  // CPU seconds: the demo's processes (the registry's, and each format's checks in one of its own) and the real clients it ran.
  return { wallSeconds, exitCode: code, formatsAtOnce: timings.formatsAtOnce, cores: timings.cores, cpuSeconds: timings.cpuSeconds, formats };
}
