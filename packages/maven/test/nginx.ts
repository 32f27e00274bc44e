// Starts nginx as a plain WebDAV/PUT Maven repository for tests: GET for
// everyone, PUT with Basic credentials (limit_except), files under a temporary
// root, every path nginx writes kept in that directory.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const NGINX = process.env.REGKIT_NGINX ?? "/usr/sbin/nginx";
const DAV_EXT = "/usr/lib/nginx/modules/ngx_http_dav_ext_module.so";

export interface NginxRepository {
  /** `http://127.0.0.1:PORT/maven` */
  readonly url: string;
  /** The user allowed to PUT. */
  readonly writer: { readonly username: string; readonly token: string };
  /** The directory nginx serves. */
  readonly root: string;
  close(): Promise<void>;
}

/** Why nginx cannot be used here, or undefined. */
export function nginxUnavailable(): string | undefined {
  if (!existsSync(NGINX)) return `nginx not found at ${NGINX} (install nginx-light, or set REGKIT_NGINX)`;
  return undefined;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function config(dir: string, port: number): string {
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  return `
${existsSync(DAV_EXT) ? `load_module ${DAV_EXT};` : ""}
${user}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 128; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  types {
    application/xml xml pom;
    application/java-archive jar;
    text/plain sha1 md5 sha256 sha512;
  }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    client_max_body_size 0;
    location /maven/ {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      limit_except GET {
        auth_basic "regkit maven";
        auth_basic_user_file ${dir}/htpasswd;
      }
    }
  }
}
`;
}

/** Starts nginx on a free port of 127.0.0.1; `close()` stops it and removes everything. */
export async function startNginx(): Promise<NginxRepository> {
  const reason = nginxUnavailable();
  if (reason) throw new Error(reason);
  const dir = await mkdtemp(join(tmpdir(), "regkit-nginx-"));
  await mkdir(join(dir, "www", "maven"), { recursive: true });
  await mkdir(join(dir, "tmp"), { recursive: true });
  const writer = { username: "deployer", token: `dav-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` };
  await writeFile(join(dir, "htpasswd"), `${writer.username}:{PLAIN}${writer.token}\n`, { mode: 0o600 });

  let lastError = "";
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    await writeFile(join(dir, "nginx.conf"), config(dir, port));
    const child = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const url = `http://127.0.0.1:${port}/maven`;
    const ready = await waitUntilServing(url, exited);
    if (ready) {
      return {
        url,
        writer,
        root: join(dir, "www", "maven"),
        close: async () => {
          await stop(child, exited);
          await rm(dir, { recursive: true, force: true });
        },
      };
    }
    await stop(child, exited);
    const log = await readFile(join(dir, "error.log"), "utf8").catch(() => "");
    lastError = `${stderr}\n${log}`.trim();
  }
  await rm(dir, { recursive: true, force: true });
  throw new Error(`nginx did not start: ${lastError.slice(-1000)}`);
}

async function waitUntilServing(url: string, exited: Promise<number | null>): Promise<boolean> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 100 && !gone; i++) {
    try {
      const res = await fetch(`${url}/`, { method: "GET" });
      await res.arrayBuffer();
      return true;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return false;
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // SIGQUIT is nginx's graceful stop; SIGKILL if it lingers.
  child.kill("SIGQUIT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
