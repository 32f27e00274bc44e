// Starts a real Verdaccio 6 (a devDependency of @regkit/npm) on 127.0.0.1 with
// a throw-away storage and htpasswd file, creates one user and returns its
// token. Shared by the npm interop tests and the benchmarks.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../packages/npm/node_modules/verdaccio/bin/verdaccio", import.meta.url));

/** A free TCP port on 127.0.0.1 (Verdaccio cannot listen on port 0 and report it). */
export async function freePort() {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * `access: "$authenticated"` starts a private Verdaccio (packages readable by logged-in users only).
 * Without `maxBodySize` the config has no `max_body_size` line, so Verdaccio
 * runs with its own default (10mb of JSON body, base64 tarball included), as
 * most installations do; give one ("20mb") to raise it.
 *
 * @param {{ maxBodySize?: string, access?: "$all" | "$authenticated", user?: string, password?: string, timeoutMs?: number }} [options]
 * @returns {Promise<{ url: string, token: string, username: string, pid: number, close(): Promise<void> }>}
 */
export async function startVerdaccio(options = {}) {
  const dir = await mkdtemp(join(tmpdir(), "regkit-verdaccio-"));
  const port = await freePort();
  const config = join(dir, "config.yaml");
  await writeFile(
    config,
    [
      `storage: ${join(dir, "storage")}`,
      "auth:",
      "  htpasswd:",
      `    file: ${join(dir, "htpasswd")}`,
      "    max_users: 1000",
      "uplinks: {}",
      "packages:",
      "  '**':",
      `    access: ${options.access ?? "$all"}`,
      "    publish: $authenticated",
      "    unpublish: $authenticated",
      "web:",
      "  enable: false",
      ...(options.maxBodySize ? [`max_body_size: ${options.maxBodySize}`] : []),
      "log: { type: stdout, format: pretty, level: error }",
      "",
    ].join("\n"),
  );
  const child = spawn(process.execPath, [bin, "--config", config, "--listen", `127.0.0.1:${port}`], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_ENV: "production" },
  });
  let output = "";
  child.stdout.on("data", (d) => (output += d));
  child.stderr.on("data", (d) => (output += d));
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    if (child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null) {
      await close();
      throw new Error(`Verdaccio exited (${child.exitCode}) before listening:\n${output.slice(-2000)}`);
    }
    try {
      const res = await fetch(`${url}/-/ping`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await close();
      throw new Error(`Verdaccio did not answer on ${url} within the timeout:\n${output.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const username = options.user ?? "regkit";
  const res = await fetch(`${url}/-/user/org.couchdb.user:${username}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: username, password: options.password ?? "regkit-Passw0rd" }),
  });
  const body = await res.json();
  if (!res.ok || typeof body.token !== "string") {
    await close();
    throw new Error(`could not create a Verdaccio user: ${res.status} ${JSON.stringify(body)}`);
  }
  return { url, token: body.token, username, pid: child.pid, close };
}
