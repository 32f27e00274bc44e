// nginx as a static Terraform module registry, the second target of the
// Terraform kit's tests (profile `static`): the discovery document and the
// `versions` documents are files, `…/<version>/download` answers 204 with
// `X-Terraform-Get` to the version's archive.tgz when it exists (404 when not),
// reads are anonymous, writes (WebDAV PUT and DELETE) need Basic credentials.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { nginxUnavailable, startNginx } from "../../../../tooling/testing/nginx.mjs";

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

function locations(dir: string): string {
  return `
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
    }`;
}

/** Starts nginx on a free port of 127.0.0.1; `close()` stops it and removes everything. */
export async function startStaticRegistry(): Promise<StaticRegistry> {
  const nginx = await startNginx({
    prefix: "regkit-tf-static-",
    username: "publisher",
    types: { "application/json": ["json"] },
    locations,
    prepare: async (dir: string) => {
      await mkdir(join(dir, "www", ".well-known"), { recursive: true });
      await mkdir(join(dir, "www", "v1", "modules"), { recursive: true });
      await writeFile(join(dir, "www", ".well-known", "terraform.json"), JSON.stringify({ "modules.v1": STATIC_MODULES_V1 }));
    },
  });
  return { url: nginx.url, writer: nginx.writer, close: nginx.close };
}
