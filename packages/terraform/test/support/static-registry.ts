// nginx as a static Terraform module registry, the second target of the
// Terraform kit's tests (profile `static`): the discovery document and the
// `versions` documents are files, `…/<version>/download` answers 204 with
// `X-Terraform-Get` to the version's archive.tgz when it exists (404 when not),
// reads are anonymous, writes (WebDAV PUT and DELETE) need Basic credentials.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NGINX, nginxUnavailable } from "../../../../tooling/testing/nginx.mjs";
import { answersAtRoot, onFreePort, startServer } from "../../../../tooling/testing/server.mjs";

export { nginxUnavailable };

/** The running static registry. */
export interface StaticRegistry {
  /** Its origin: the kit's target registry URL. */
  readonly url: string;
  /** The Basic credentials that may write. */
  readonly writer: { readonly username: string; readonly token: string };
  close(): Promise<void>;
}

/** The protocol's base on this server. */
export const STATIC_MODULES_V1 = "/v1/modules/";

function config(dir: string, port: number): string {
  const user = process.getuid?.() === 0 ? "user root root;" : "";
  return `
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
  types { application/json json; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:${port};
    root ${dir}/www;
    client_max_body_size 0;
    location = /.well-known/terraform.json { }
    # The protocol's download: 204 and the archive's URL, for versions whose archive is there.
    location ~ ^/v1/modules/(?<module>[^/]+/[^/]+/[^/]+)/(?<version>[^/]+)/download$ {
      if (!-f $document_root/v1/modules/$module/$version/archive.tgz) { return 404; }
      add_header X-Terraform-Get /v1/modules/$module/$version/archive.tgz;
      return 204;
    }
    location /v1/modules/ {
      # The versions documents are JSON, the archives gzip.
      types { application/gzip tgz; }
      default_type application/json;
      dav_methods PUT DELETE;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
      limit_except GET {
        auth_basic "regkit terraform";
        auth_basic_user_file ${dir}/htpasswd;
      }
    }
  }
}
`;
}

/** Starts nginx on a free port of 127.0.0.1; `close()` stops it and removes everything. */
export async function startStaticRegistry(): Promise<StaticRegistry> {
  const reason = nginxUnavailable();
  if (reason) throw new Error(reason);
  const dir = await mkdtemp(join(tmpdir(), "regkit-tf-static-"));
  await mkdir(join(dir, "www", ".well-known"), { recursive: true });
  await mkdir(join(dir, "www", "v1", "modules"), { recursive: true });
  await mkdir(join(dir, "tmp"), { recursive: true });
  await writeFile(join(dir, "www", ".well-known", "terraform.json"), JSON.stringify({ "modules.v1": STATIC_MODULES_V1 }));
  const writer = { username: "publisher", token: `tf-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}` };
  await writeFile(join(dir, "htpasswd"), `${writer.username}:{PLAIN}${writer.token}\n`, { mode: 0o600 });
  try {
    return await onFreePort(
      "nginx",
      async (port: number) => {
        await writeFile(join(dir, "nginx.conf"), config(dir, port));
        const url = `http://127.0.0.1:${port}`;
        const server = await startServer({
          label: "nginx",
          command: NGINX,
          args: ["-p", dir, "-c", join(dir, "nginx.conf"), "-e", join(dir, "error.log")],
          url,
          ready: answersAtRoot,
          timeoutMs: 5000,
          intervalMs: 50,
          spawnOptions: { stdio: ["ignore", "ignore", "pipe"] },
          stopSignal: "SIGQUIT",
          killAfterMs: 5000,
        });
        return {
          url,
          writer,
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
