// Starts the third-party PyPI registries the pypi kit's interop tests run
// against, each on 127.0.0.1 on a free port with a throw-away directory:
//   - pypiserver, with an htpasswd file (uploads need the password; reads open
//     or closed);
//   - devpi-server, initialised with devpi-init (no pypi.org mirror), with one
//     user and one non-volatile index that inherits from nothing.
// Both come from PyPI through packages/pypi/ci/install-tools.sh, pinned, into
// $REGKIT_TOOLS/bin. When one is missing, `pypiserverUnavailable()` /
// `devpiUnavailable()` say why, and the tests skip with that reason.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startServer } from "./server.mjs";
import { freePort } from "./verdaccio.mjs";

export { freePort };

const root = fileURLToPath(new URL("../..", import.meta.url));
const tools = () => join(process.env.REGKIT_TOOLS ?? join(root, ".regkit-tools"), "bin");
const tool = (name) => join(tools(), name);
// The venv's own interpreter, by its path in the venv: a symlink elsewhere would not find the venv's packages.
const pypiserverPython = () => join(process.env.REGKIT_TOOLS ?? join(root, ".regkit-tools"), "venv", "pypiserver", "bin", "python");
const INSTALL_HINT = "run `bash tooling/ci/install-tools.sh pypi`";

/** Why pypiserver cannot be started here, or undefined. */
export function pypiserverUnavailable() {
  if (!existsSync(tool("pypi-server"))) return `pypi-server not installed in ${tools()} (${INSTALL_HINT})`;
  if (!existsSync(pypiserverPython())) return `pypiserver's virtualenv ${pypiserverPython()} is missing (${INSTALL_HINT})`;
  return undefined;
}

/** Why devpi-server cannot be started here, or undefined. */
export function devpiUnavailable() {
  for (const name of ["devpi-server", "devpi-init"]) {
    if (!existsSync(tool(name))) return `${name} not installed in ${tools()} (${INSTALL_HINT})`;
  }
  return undefined;
}

function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 120_000, ...options }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} failed (${error.code ?? error.signal}): ${`${stdout}${stderr}`.slice(-2000)}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/**
 * Spawns a server and waits until `ready(url)` resolves true; the returned
 * close() stops it (SIGTERM, then SIGKILL after 10 s) and removes `dir`.
 */
function serve(label, command, args, { dir, url, ready, timeoutMs, env = {} }) {
  return startServer({
    label,
    command,
    args,
    url,
    ready,
    timeoutMs,
    intervalMs: 250,
    killAfterMs: 10_000,
    spawnOptions: { env: { ...process.env, ...env }, cwd: dir },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
}

/**
 * pypiserver with an htpasswd file holding one user (bcrypt, as Apache's
 * htpasswd -B writes it). Uploads always need the password; `reads: "closed"`
 * also protects listing and downloads (`-a update,list,download`).
 *
 * @param {{ reads?: "open" | "closed", user?: string, password?: string, overwrite?: boolean, timeoutMs?: number }} [options]
 */
export async function startPypiserver(options = {}) {
  const why = pypiserverUnavailable();
  if (why) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), "regkit-pypiserver-"));
  const packages = join(dir, "packages");
  const htpasswd = join(dir, "htpasswd");
  const username = options.user ?? "regkit";
  const password = options.password ?? "regkit-Passw0rd";
  // passlib (pypiserver's own dependency for -P) writes the entry. bcrypt with
  // cost 5, not the default 12: pypiserver checks the password on every
  // protected request, and push.many makes hundreds of them.
  await run(pypiserverPython(), [
    "-c",
    [
      "import os, sys",
      "from passlib.apache import HtpasswdFile, htpasswd_context",
      "os.makedirs(sys.argv[2], exist_ok=True)",
      "ctx = htpasswd_context.copy(default='bcrypt', bcrypt__default_rounds=5)",
      "ht = HtpasswdFile(sys.argv[1], new=True, context=ctx)",
      "ht.set_password(sys.argv[3], os.environ['REGKIT_HTPASSWD_PASSWORD'])",
      "ht.save()",
    ].join("\n"),
    htpasswd,
    packages,
    username,
  ], { env: { ...process.env, REGKIT_HTPASSWD_PASSWORD: password } });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const actions = options.reads === "closed" ? "update,list,download" : "update";
  const args = ["run", "-i", "127.0.0.1", "-p", String(port), "-a", actions, "-P", htpasswd, "--disable-fallback", "--hash-algo", "sha256"];
  if (options.overwrite) args.push("--overwrite");
  args.push(packages);
  const server = await serve("pypiserver", tool("pypi-server"), args, {
    dir,
    url,
    timeoutMs: options.timeoutMs ?? 60_000,
    ready: async (u) => (await fetch(`${u}/health`)).ok,
  });
  const version = (await run(tool("pypi-server"), ["--version"])).trim();
  return { url, username, password, version, pid: server.child.pid, packages, output: server.output, close: server.close };
}

/**
 * devpi-server with devpi-init (no root/pypi mirror: nothing reaches pypi.org),
 * one user with a password and one index `<user>/dev` that inherits from no
 * other index and refuses to overwrite a file (volatile=False, as a release
 * index is). The registry URL of the kit is `<url>/<user>/dev`.
 *
 * @param {{ user?: string, password?: string, index?: string, volatile?: boolean, timeoutMs?: number }} [options]
 */
export async function startDevpi(options = {}) {
  const why = devpiUnavailable();
  if (why) throw new Error(why);
  const dir = await mkdtemp(join(tmpdir(), "regkit-devpi-"));
  const serverdir = join(dir, "server");
  const username = options.user ?? "regkit";
  const password = options.password ?? "regkit-Passw0rd";
  const indexName = options.index ?? "dev";
  const rootPassword = `root-${Math.random().toString(36).slice(2)}`;
  try {
    await run(tool("devpi-init"), ["--serverdir", serverdir, "--no-root-pypi", "--root-passwd", rootPassword]);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = await serve("devpi-server", tool("devpi-server"), ["--serverdir", serverdir, "--host", "127.0.0.1", "--port", String(port), "--offline-mode"], {
    dir,
    url,
    timeoutMs: options.timeoutMs ?? 90_000,
    ready: async (u) => (await fetch(`${u}/+api`, { headers: { accept: "application/json" } })).ok,
  });
  try {
    const basic = `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
    const json = { "content-type": "application/json", accept: "application/json" };
    // Anyone may create a user on a default devpi-server; the user then owns its indexes.
    const user = await fetch(`${url}/${username}`, { method: "PUT", headers: json, body: JSON.stringify({ password, email: `${username}@example.invalid` }) });
    if (!user.ok) throw new Error(`devpi: creating user ${username}: ${user.status} ${await user.text()}`);
    const index = await fetch(`${url}/${username}/${indexName}`, {
      method: "PUT",
      headers: { ...json, authorization: basic },
      body: JSON.stringify({ type: "stage", bases: [], volatile: options.volatile ?? false }),
    });
    if (!index.ok) throw new Error(`devpi: creating index ${username}/${indexName}: ${index.status} ${await index.text()}`);
  } catch (error) {
    await server.close();
    throw error;
  }
  const version = (await run(tool("devpi-server"), ["--version"])).trim();
  return { url, registry: `${url}/${username}/${indexName}`, username, password, index: `${username}/${indexName}`, version, pid: server.child.pid, output: server.output, close: server.close };
}
