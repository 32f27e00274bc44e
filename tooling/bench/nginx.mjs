// nginx serving a file, as the yardstick for the reference registry's
// metadata: the same bytes, the same client, side by side in one run.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answersAtRoot, freePort, startServer } from "../testing/server.mjs";

export const NGINX = process.env.REGKIT_NGINX ?? "/usr/sbin/nginx";
export const WRK = process.env.REGKIT_WRK ?? "wrk";

/** Why nginx cannot run here, or undefined. */
export function nginxUnavailable() {
  return existsSync(NGINX) ? undefined : `nginx not found at ${NGINX} (Debian package nginx-light; or set REGKIT_NGINX)`;
}

/** Why wrk cannot run here, or undefined (the Node client is used instead). */
export function wrkUnavailable() {
  const probe = spawnSync(WRK, ["--version"], { encoding: "utf8" });
  return probe.error ? `wrk not found (Debian package wrk; or set REGKIT_WRK): ${probe.error.message}` : undefined;
}

/**
 * Starts nginx on 127.0.0.1 serving `files` (path -> bytes) from a temporary
 * root. One worker process: the reference registry is one Node process, so
 * both sides get one core and the client the other.
 */
export async function startNginxFiles(files) {
  const dir = await mkdtemp(join(tmpdir(), "regkit-bench-nginx-"));
  await mkdir(join(dir, "www"), { recursive: true });
  await mkdir(join(dir, "tmp"), { recursive: true });
  for (const [path, bytes] of Object.entries(files)) {
    const target = join(dir, "www", path);
    await mkdir(join(target, ".."), { recursive: true });
    await writeFile(target, bytes);
  }
  const port = await freePort();
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  await writeFile(
    join(dir, "nginx.conf"),
    `${user}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
  default_type application/json;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
  }
}
`,
  );
  const url = `http://127.0.0.1:${port}`;
  const { child, close } = await startServer({
    label: "nginx",
    command: NGINX,
    args: ["-p", dir, "-c", join(dir, "nginx.conf")],
    url,
    timeoutMs: 15_000,
    spawnOptions: { stdio: ["ignore", "ignore", "pipe"] },
    ready: answersAtRoot,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  });
  return { url, pid: child.pid, close };
}

/**
 * Requests per second for GET `url` with `headers`, `connections` at once for
 * `seconds`: wrk (one thread) when present, else a Node client on undici (slower
 * than wrk itself, so its figures are lower for both sides; the ratio is what counts).
 */
export async function throughput(url, headers, { seconds, connections, expectBytes }) {
  if (!wrkUnavailable()) return wrkThroughput(url, headers, { seconds, connections });
  const { Agent, request } = await import("undici");
  const dispatcher = new Agent({ connections, pipelining: 1 });
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const loop = async () => {
    while (performance.now() < deadline) {
      const res = await request(url, { headers, dispatcher });
      const body = await res.body.arrayBuffer();
      if (res.statusCode !== 200) throw new Error(`GET ${url} -> ${res.statusCode}`);
      if (expectBytes !== undefined && body.byteLength !== expectBytes) throw new Error(`GET ${url}: ${body.byteLength} bytes, expected ${expectBytes}`);
      count++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: connections }, loop));
  const elapsed = (performance.now() - start) / 1000;
  await dispatcher.close();
  return { rps: count / elapsed, client: "undici" };
}

async function wrkThroughput(url, headers, { seconds, connections }) {
  const args = ["-t1", `-c${connections}`, `-d${seconds}s`, "--latency"];
  for (const [name, value] of Object.entries(headers)) args.push("-H", `${name}: ${value}`);
  args.push(url);
  const out = await new Promise((resolve, reject) => {
    const child = spawn(WRK, args, { stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d) => (text += d));
    child.stderr.on("data", (d) => (text += d));
    child.once("error", reject);
    child.once("exit", (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited ${code}: ${text}`))));
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  // Anything but 2xx is reported by wrk as "Non-2xx or 3xx responses": a 401 served fast is no result.
  const bad = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  if (bad) throw new Error(`GET ${url}: ${bad[1]} answers were not 2xx under wrk`);
  if (!Number.isFinite(rps)) throw new Error(`wrk printed no Requests/sec for ${url}: ${out}`);
  return { rps, client: "wrk" };
}
