// One format's run of the demo, in a process of its own (demo.mjs forks it):
// the kit's adapter, its checks and its clients' bookkeeping get an event
// loop of their own, so a format's work never delays another format's
// requests, nor the timings push.many takes (the registry, in the demo's
// process, has its own loop). A process rather than a worker thread: every
// real client the run starts is forked from the process that starts it, and
// fork copies the page tables of all that process holds (the registry's
// blobs, every format's heap), which made each spawn cost tens of
// milliseconds of CPU; from this process, a fraction of that.
// The target comes as the first message; results go back as they come, then
// the report and the CPU this process used itself (its clients' is counted
// by the demo as theirs).
import { createRequire } from "node:module";
import { runConformance } from "@regkit/core";

/**
 * The kit of `format`, loaded alone: the CLI's kit dependency whose
 * package.json says `"regkit": { "format": ... }` (what tooling/kits.mjs
 * reads), its export named there. Importing the CLI would load every kit,
 * half a CPU-second per format process; when the package is not found that
 * way, the CLI's list it is.
 */
async function loadKit(format) {
  try {
    const cli = createRequire(import.meta.resolve("@regkit/cli/package.json"));
    for (const name of Object.keys(cli("@regkit/cli/package.json").dependencies ?? {})) {
      let manifest;
      try {
        manifest = cli(`${name}/package.json`);
      } catch {
        continue;
      }
      if (manifest.regkit?.format !== format) continue;
      const kit = (await import(cli.resolve(name)))[manifest.regkit.kit];
      if (kit?.format === format) return kit;
    }
  } catch {
    // The CLI's list, below.
  }
  const { kits } = await import("@regkit/cli");
  return kits.find((k) => k.format === format);
}

const send = (message) => new Promise((resolve, reject) => process.send(message, (error) => (error ? reject(error) : resolve())));

// The demo gone (killed, or its registry closed): the run stops as an
// interrupted run does, its clients ended and what it created removed, rather
// than going on against a registry that is no longer there.
const stop = new AbortController();
process.once("disconnect", () => stop.abort());

process.once("message", async ({ format, target }) => {
  const kit = await loadKit(format);
  if (!kit) throw new Error(`no kit for format ${format}`);
  const report = await runConformance({
    kit,
    target,
    signal: stop.signal,
    onResult: (result) => {
      if (process.connected) send({ type: "result", result }).catch(() => {});
    },
  });
  if (!process.connected) return;
  const own = process.resourceUsage();
  await send({ type: "report", report, cpuSeconds: (own.userCPUTime + own.systemCPUTime) / 1e6 });
  process.removeAllListeners("disconnect");
  process.disconnect();
});
