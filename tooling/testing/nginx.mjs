// Starts nginx for tests, every path it writes kept in a temporary directory:
// startNginx with the locations a test gives (the Terraform kit's static
// module registry), startNginxDav as a plain WebDAV file server, one location,
// reads for everyone, writes (and whatever else is not a read) with Basic
// credentials (limit_except). startNginxDav is shared by the Maven kit (PUT
// only), the Generic kit (PUT, DELETE and PROPFIND through the dav_ext module)
// and the Helm kit's static chart repository.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { answersAtRoot, onFreePort, startServer } from "./server.mjs";

export const NGINX = process.env.REGKIT_NGINX ?? "/usr/sbin/nginx";
export const DAV_EXT = "/usr/lib/nginx/modules/ngx_http_dav_ext_module.so";

/** Why nginx cannot be used here, or undefined. */
export function nginxUnavailable() {
  if (!existsSync(NGINX)) return `nginx not found at ${NGINX} (install nginx-light, or set REGKIT_NGINX)`;
  return undefined;
}

/** Why nginx cannot answer PROPFIND here (no dav_ext module), or undefined. */
export function davExtUnavailable() {
  return existsSync(DAV_EXT) ? undefined : `nginx's dav_ext module is not at ${DAV_EXT} (install libnginx-mod-http-dav-ext)`;
}

function config(dir, port, { types = {}, locations, davExt }) {
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  const typeLines = Object.entries(types)
    .map(([type, extensions]) => `    ${type} ${extensions.join(" ")};`)
    .join("\n");
  return `
${davExt && existsSync(DAV_EXT) ? `load_module ${DAV_EXT};` : ""}
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
${typeLines}
  }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    client_max_body_size 0;
${locations}
  }
}
`;
}

/**
 * Starts nginx on a free port of 127.0.0.1 with a server of the given
 * locations (`locations(dir)`: nginx `location` blocks; `${dir}/htpasswd`
 * holds the writer's Basic credentials, `${dir}/www` is the root, made
 * before `prepare(dir)` runs); `close()` stops it and removes everything.
 */
export async function startNginx(options) {
  const reason = nginxUnavailable();
  if (reason) throw new Error(reason);
  const dir = await mkdtemp(join(tmpdir(), options.prefix ?? "regkit-nginx-"));
  try {
    await mkdir(join(dir, "www"), { recursive: true });
    await mkdir(join(dir, "tmp"), { recursive: true });
    const writer = { username: options.username ?? "deployer", token: `dav-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` };
    await writeFile(join(dir, "htpasswd"), `${writer.username}:{PLAIN}${writer.token}\n`, { mode: 0o600 });
    await options.prepare?.(dir);
    // Most often a failed start is a port taken between freePort and nginx's bind: onFreePort tries another.
    return await onFreePort(
      "nginx",
      async (port) => {
        await writeFile(join(dir, "nginx.conf"), config(dir, port, { types: options.types, locations: options.locations(dir), davExt: options.davExt }));
        const url = `http://127.0.0.1:${port}${options.path ?? ""}`;
        const server = await startServer({
          label: "nginx",
          command: NGINX,
          args: ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")],
          url,
          ready: answersAtRoot,
          timeoutMs: 5000,
          intervalMs: 50,
          spawnOptions: { stdio: ["ignore", "ignore", "pipe"] },
          // SIGQUIT is nginx's graceful stop; SIGKILL if it lingers.
          stopSignal: "SIGQUIT",
          killAfterMs: 5000,
        });
        return {
          url,
          writer,
          dir,
          close: async () => {
            await server.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
      () => readFile(join(dir, "error.log"), "utf8").catch(() => ""),
    );
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Starts nginx on a free port of 127.0.0.1 serving `/<location>/`;
 * `close()` stops it and removes everything.
 */
export async function startNginxDav(options) {
  const ext = options.davExtMethods?.length ? `      dav_ext_methods ${options.davExtMethods.join(" ")};\n` : "";
  const nginx = await startNginx({
    types: options.types,
    davExt: true,
    path: `/${options.location}`,
    prepare: (dir) => mkdir(join(dir, "www", options.location), { recursive: true }),
    locations: (dir) => `    location /${options.location}/ {
      dav_methods ${options.davMethods.join(" ")};
${ext}      create_full_put_path on;
      dav_access user:rw group:r all:r;
      limit_except ${options.openMethods.join(" ")} {
        auth_basic "regkit ${options.location}";
        auth_basic_user_file ${dir}/htpasswd;
      }
    }`,
  });
  return { url: nginx.url, writer: nginx.writer, root: join(nginx.dir, "www", options.location), close: nginx.close };
}
