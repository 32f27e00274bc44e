// Spawns a third-party server for a test or benchmark and waits until it
// answers, or fails with its recent output when it exits first or never
// answers; close() stops it and removes what the starter made. Every starter
// in tooling/testing (and tooling/bench) had its own copy of this loop.
import { spawn } from "node:child_process";
import { createServer } from "node:net";

/** How much of the server's output is kept for failure messages. */
const KEEP = 20_000;

/**
 * Spawns `command args` and polls `ready(url)` (a throw counts as "not yet")
 * every `intervalMs` until it resolves true.
 *
 * @param {import("./server.d.mts").ServerOptions} options
 * @returns {Promise<import("./server.d.mts").Server>}
 */
export async function startServer({ label, command, args, url, ready, timeoutMs = 30_000, intervalMs = 100, spawnOptions = {}, stopSignal = "SIGTERM", killAfterMs, cleanup }) {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], ...spawnOptions });
  let output = "";
  const keep = (d) => {
    output = (output + d).slice(-KEEP);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise((resolve) => child.once("exit", resolve));
  let closing;
  const close = () =>
    (closing ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(stopSignal);
        // A server that ignores the signal is killed outright, where the starter asks for that.
        const timer = killAfterMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        await exited;
        clearTimeout(timer);
      }
      await cleanup?.();
    })());
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`${label} exited (${child.exitCode}) before answering:\n${output.slice(-2000)}`);
    }
    try {
      if (await ready(url)) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`${label} did not answer on ${url} within ${timeoutMs} ms:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return { child, close, output: () => output };
}

/** A free TCP port on 127.0.0.1 (the servers started here take an address, not port 0). */
export async function freePort() {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A readiness check for startServer: any HTTP answer at `${url}/` means the server serves. */
export async function answersAtRoot(url) {
  const res = await fetch(`${url}/`);
  await res.arrayBuffer();
  return true;
}

/**
 * Runs `start(port)` on up to three free ports in turn, for a server whose
 * port can be taken between freePort and its own bind. A failed attempt's
 * message is kept with what `log()` returns (the server's error log); after
 * the third, throws "<label> did not start: ...".
 *
 * @template T
 * @param {string} label
 * @param {(port: number) => Promise<T>} start
 * @param {() => Promise<string>} [log]
 * @returns {Promise<T>}
 */
export async function onFreePort(label, start, log = async () => "") {
  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await start(await freePort());
    } catch (error) {
      lastError = `${error instanceof Error ? error.message : String(error)}\n${await log()}`.trim();
    }
  }
  throw new Error(`${label} did not start: ${lastError.slice(-1000)}`);
}
