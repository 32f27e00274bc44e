// Apache httpd (mod_dav) as a Maven repository for tests: GET for everyone,
// PUT with Basic credentials. A thin wrapper over tooling/testing/httpd.mjs.
import { type HttpdRepository, httpdUnavailable, startHttpdDav } from "../../../tooling/testing/httpd.mjs";

export { httpdUnavailable };
export type { HttpdRepository };

const TYPES = { "application/xml": ["xml", "pom"], "application/java-archive": ["jar"], "text/plain": ["sha1", "md5", "sha256", "sha512"] };

/** Starts httpd serving `/maven/` on a free port of 127.0.0.1; `plain` leaves out the parent-collection hook (plain mod_dav). */
export function startHttpd(options: { readonly plain?: boolean } = {}): Promise<HttpdRepository> {
  return startHttpdDav({ location: "maven", createParents: !options.plain, types: TYPES });
}
