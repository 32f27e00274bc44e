// Starts Conan's own server (conan_server 2, from PyPI through
// packages/conan/ci/install-tools.sh) for the conan-server profile's tests:
// on 127.0.0.1 only (conan_server's launcher binds 0.0.0.0, so the server is
// run through its own ServerLauncher with host 127.0.0.1), a free port, a
// throw-away directory, one user who may write everything, and anyone may read.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { onFreePort, startServer } from "../../../tooling/testing/server.mjs";

const root = fileURLToPath(new URL("../../..", import.meta.url));
const tools = () => process.env.REGKIT_TOOLS ?? join(root, ".regkit-tools");
/** The venv's own interpreter: conan_server's modules live there. */
const python = () => join(tools(), "venv", "conan-server", "bin", "python");

/** The user the server knows, and its password. */
export const CONAN_SERVER_USER = "regkit";

/** Why conan_server cannot be started here, or undefined. */
export function conanServerUnavailable(): string | undefined {
  if (!existsSync(join(tools(), "bin", "conan_server")) || !existsSync(python())) return `conan_server not installed in ${join(tools(), "bin")} (run \`bash tooling/ci/install-tools.sh conan\`)`;
  return undefined;
}

export interface ConanServer {
  /** The remote URL (`http://127.0.0.1:<port>`). */
  readonly url: string;
  readonly password: string;
  close(): Promise<void>;
}

const LAUNCH = "import sys\nfrom conans.server.launcher import ServerLauncher\nServerLauncher(server_dir=sys.argv[1]).server.run(host='127.0.0.1')\n";

export async function startConanServer(): Promise<ConanServer> {
  const dir = await mkdtemp(join(tmpdir(), "regkit-conan-server-"));
  const password = `cs-${randomBytes(12).toString("base64url")}`;
  try {
    return await onFreePort("conan_server", async (port) => {
      await writeFile(
        join(dir, "server.conf"),
        [
          "[server]",
          `jwt_secret: ${randomBytes(16).toString("hex")}`,
          "jwt_expire_minutes: 120",
          "ssl_enabled: False",
          `port: ${port}`,
          "public_port:",
          "host_name: 127.0.0.1",
          "authorize_timeout: 1800",
          `disk_storage_path: ${join(dir, "data")}`,
          "disk_authorize_timeout: 1800",
          `updown_secret: ${randomBytes(16).toString("hex")}`,
          "",
          "[write_permissions]",
          `*/*@*/*: ${CONAN_SERVER_USER}`,
          "",
          "[read_permissions]",
          "*/*@*/*: *",
          "",
          "[users]",
          `${CONAN_SERVER_USER}: ${password}`,
          "",
        ].join("\n"),
      );
      const url = `http://127.0.0.1:${port}`;
      const server = await startServer({
        label: "conan_server",
        command: python(),
        args: ["-c", LAUNCH, dir],
        url,
        ready: async (u) => (await fetch(`${u}/v1/ping`)).status === 200,
        killAfterMs: 10_000,
      });
      return { url, password, close: async () => { await server.close(); await rm(dir, { recursive: true, force: true }); } };
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
