// nginx as a plain WebDAV/PUT Maven repository for tests: GET for everyone,
// PUT with Basic credentials. A thin wrapper over the shared starter in
// tooling/testing/nginx.mjs (the Generic kit's tests use it too).
import { type NginxRepository, NGINX, nginxUnavailable, startNginxDav } from "../../../tooling/testing/nginx.mjs";

export { NGINX, nginxUnavailable };
export type { NginxRepository };

/** Starts nginx serving `/maven/` on a free port of 127.0.0.1; `close()` stops it and removes everything. */
export function startNginx(): Promise<NginxRepository> {
  return startNginxDav({
    location: "maven",
    davMethods: ["PUT"],
    openMethods: ["GET"],
    types: { "application/xml": ["xml", "pom"], "application/java-archive": ["jar"], "text/plain": ["sha1", "md5", "sha256", "sha512"] },
  });
}
