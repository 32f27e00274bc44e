// One format's run of the demo, in its own worker thread: the kit's adapter,
// its checks and its clients' bookkeeping get an event loop of their own, so
// a format's work never delays another format's requests, nor the timings
// push.many takes (the registry, in the main thread, has its own loop too).
// Results go to the main thread as they come, then the report.
import { parentPort, workerData } from "node:worker_threads";
import { kits } from "@regkit/cli";
import { runConformance } from "@regkit/core";

const { format, target } = workerData;
const kit = kits.find((k) => k.format === format);
if (!kit) throw new Error(`no kit for format ${format}`);
const report = await runConformance({
  kit,
  target,
  onResult: (result) => parentPort.postMessage({ type: "result", result }),
});
parentPort.postMessage({ type: "report", report });
