// Starts third-party OCI registries on 127.0.0.1 for the OCI kit's tests and
// benchmarks, each with a throw-away directory and config, and stops them.
// Today: Debian's docker-registry (the distribution project's server, 2.8)
// with htpasswd auth or none. Each server is one `start*` function taking an
// options object, so further modes (token auth) and servers (crane registry
// serve) are added beside them.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { access, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startTokenServer } from "./oci-token.mjs";
import { freePort, startServer } from "./server.mjs";

const run = promisify(execFile);

/** A readiness check for startServer: GET /v2/ answers one of `statuses`. */
function answersV2(...statuses) {
  return async (url) => {
    const res = await fetch(`${url}/v2/`);
    await res.arrayBuffer();
    return statuses.includes(res.status);
  };
}

/** Debian's docker-registry binary. */
export const DOCKER_REGISTRY = "/usr/bin/docker-registry";

async function exists(path) {
  return access(path).then(
    () => true,
    () => false,
  );
}

/** Why docker-registry (and for htpasswd, the htpasswd tool) cannot run here, or undefined. */
export async function distributionUnavailable(options = {}) {
  if (!(await exists(DOCKER_REGISTRY))) return `${DOCKER_REGISTRY} not found (Debian package docker-registry)`;
  if (options.auth === "token" && !(await run("sh", ["-c", "command -v openssl"]).then(() => true, () => false))) return "openssl not found on PATH: the token server's signing certificate is made with it";
  if ((options.auth ?? "htpasswd") === "htpasswd") {
    const found = await run("sh", ["-c", "command -v htpasswd"]).then(
      () => true,
      () => false,
    );
    if (!found) return "htpasswd not found on PATH (Debian package apache2-utils): docker-registry's htpasswd auth needs a bcrypt file";
  }
  return undefined;
}

/**
 * Starts docker-registry on 127.0.0.1 with deletes enabled.
 * - `auth: "htpasswd"` (default): one user, bcrypt htpasswd file made with `htpasswd -B` (apache2-utils);
 * - `auth: "none"`: no auth at all.
 *
 * @param {{ auth?: "htpasswd" | "none", username?: string, password?: string, timeoutMs?: number }} [options]
 * @returns {Promise<{ url: string, origin: string, auth: string, username?: string, password?: string, pid: number, close(): Promise<void> }>}
 */
export async function startDistribution(options = {}) {
  const auth = options.auth ?? "htpasswd";
  const why = await distributionUnavailable({ auth });
  if (why) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), "regkit-distribution-"));
  const port = await freePort();
  const username = options.username ?? "regkit";
  const password = options.password ?? `regkit-${randomBytes(12).toString("hex")}`;
  /** Token mode only: the token server and the read-only user's password. */
  let tokens;
  let readerPassword;
  const lines = [
    "version: 0.1",
    "log:",
    "  level: warn",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${join(dir, "data")}`,
    // Deletes are off by default in distribution; the distribution profile assumes them on.
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    `  addr: 127.0.0.1:${port}`,
    `  secret: ${randomBytes(16).toString("hex")}`,
  ];
  if (auth === "htpasswd") {
    const file = join(dir, "htpasswd");
    // bcrypt is the only hash docker-registry reads; -b takes the password from argv (a throw-away one).
    await run("htpasswd", ["-Bbc", file, username, password]);
    lines.push("auth:", "  htpasswd:", "    realm: regkit", `    path: ${file}`);
  } else if (auth === "token") {
    // The token flow GitLab's container registry uses, with a token server of
    // our own (oci-token.mjs): the user with pull, push and delete, and a
    // read-only user `reader` with pull. Registry and realm are reached as
    // localhost (why: startTokenServer).
    readerPassword = `reader-${randomBytes(12).toString("hex")}`;
    tokens = await startTokenServer({ users: { [username]: { password, actions: ["pull", "push", "delete"], catalog: true }, reader: { password: readerPassword, actions: ["pull"] } } });
    lines.push("auth:", "  token:", `    realm: ${tokens.realm}`, `    service: ${tokens.service}`, `    issuer: ${tokens.issuer}`, `    rootcertbundle: ${tokens.certFile}`);
  } else if (auth !== "none") {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`startDistribution: unknown auth mode ${auth}`);
  }
  const config = join(dir, "config.yml");
  await writeFile(config, `${lines.join("\n")}\n`);
  const origin = `http://127.0.0.1:${port}`;
  const { child, output, close } = await startServer({
    label: "docker-registry",
    command: DOCKER_REGISTRY,
    args: ["serve", config],
    url: origin,
    timeoutMs: options.timeoutMs,
    // 200 without auth, 401 with: either way it listens.
    ready: answersV2(200, 401),
    cleanup: async () => {
      await tokens?.close();
      await rm(dir, { recursive: true, force: true });
    },
  });
  if (auth === "token") {
    const url = origin.replace("127.0.0.1", "localhost");
    return { url, origin: url, auth, username, password, readerUsername: "reader", readerPassword, tokens, pid: child.pid, output, close };
  }
  return { url: origin, origin, auth, ...(auth === "htpasswd" ? { username, password } : {}), pid: child.pid, output, close };
}

/** crane as install-tools.sh links it (outside vitest, whose setup puts that directory on PATH, too), else from PATH. */
function craneCommand() {
  const tools = process.env.REGKIT_TOOLS ?? fileURLToPath(new URL("../../.regkit-tools", import.meta.url));
  return join(tools, "bin", "crane");
}

/** Why `crane registry serve` cannot run here (crane is built by packages/oci/ci/install-tools.sh), or undefined. */
export async function craneRegistryUnavailable() {
  const found = await run(craneCommand(), ["version"], { timeout: 30_000 }).then(
    () => true,
    () => run("crane", ["version"], { timeout: 30_000 }).then(() => true, () => false),
  );
  return found ? undefined : "crane not found in $REGKIT_TOOLS/bin or on PATH (bash tooling/ci/install-tools.sh oci builds it)";
}

/**
 * Starts `crane registry serve` (go-containerregistry's pkg/registry: a
 * second, independent implementation of the distribution spec, no auth) on
 * 127.0.0.1, blobs on disk in a throw-away directory.
 *
 * @param {{ timeoutMs?: number }} [options]
 */
export async function startCraneRegistry(options = {}) {
  const why = await craneRegistryUnavailable();
  if (why) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), "regkit-crane-registry-"));
  const port = await freePort();
  const command = (await access(craneCommand()).then(() => true, () => false)) ? craneCommand() : "crane";
  const origin = `http://127.0.0.1:${port}`;
  const { child, output, close } = await startServer({
    label: "crane registry serve",
    command,
    args: ["registry", "serve", "--address", `127.0.0.1:${port}`, "--disk", dir],
    url: origin,
    timeoutMs: options.timeoutMs,
    ready: answersV2(200),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
  return { url: origin, origin, auth: "none", pid: child.pid, output, close };
}
