// Starts a real Verdaccio 6 (a devDependency of @regkit/npm) on 127.0.0.1 with
// a throw-away storage and htpasswd file, creates one user and returns its
// token. Shared by the npm interop tests and the benchmarks.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, startServer } from "./server.mjs";

// Other starters and the benchmarks import freePort from here.
export { freePort };

const bin = fileURLToPath(new URL("../../packages/npm/node_modules/verdaccio/bin/verdaccio", import.meta.url));

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
  const url = `http://127.0.0.1:${port}`;
  const { child, close } = await startServer({
    label: "Verdaccio",
    command: process.execPath,
    args: [bin, "--config", config, "--listen", `127.0.0.1:${port}`],
    url,
    timeoutMs: options.timeoutMs,
    intervalMs: 200,
    spawnOptions: { env: { ...process.env, NODE_ENV: "production" } },
    ready: async (at) => (await fetch(`${at}/-/ping`)).ok,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
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
