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
import { kits } from "@regkit/cli";
import { runConformance } from "@regkit/core";

const send = (message) => new Promise((resolve, reject) => process.send(message, (error) => (error ? reject(error) : resolve())));

// The demo gone (killed, or its registry closed): the run stops as an
// interrupted run does, its clients ended and what it created removed, rather
// than going on against a registry that is no longer there.
const stop = new AbortController();
process.once("disconnect", () => stop.abort());

process.once("message", async ({ format, target }) => {
  const kit = kits.find((k) => k.format === format);
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
