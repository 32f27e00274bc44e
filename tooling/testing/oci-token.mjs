// A throw-away token server for the distribution project's token
// authentication (docs/spec/auth/token.md in distribution/distribution), which
// oci-registries.mjs's startDistribution({ auth: "token" }) makes Debian's
// docker-registry trust: the flow GitLab's container
// registry uses (401 with `WWW-Authenticate: Bearer realm=...,service=...,
// scope=...`, the client's Basic credentials at the realm, a JWT back,
// `Authorization: Bearer` to the registry). The JWT is RS256, signed with a
// key whose self-signed certificate (openssl) is both the `x5c` header of every
// token and docker-registry's `rootcertbundle`, which is how docker-registry
// 2.8 verifies a token's signing key. 127.0.0.1 only.
import { execFile } from "node:child_process";
import { createPrivateKey, randomUUID, sign } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

const b64url = (data) => Buffer.from(data).toString("base64url");

/**
 * Parses a token request's scopes (`repository:name:pull,push`, repeatable).
 * @param {URLSearchParams} params
 */
function scopesOf(params) {
  const scopes = [];
  for (const scope of params.getAll("scope")) {
    for (const one of scope.split(" ")) {
      const last = one.lastIndexOf(":");
      const first = one.indexOf(":");
      if (first < 0 || last <= first) continue;
      scopes.push({ type: one.slice(0, first), name: one.slice(first + 1, last), actions: one.slice(last + 1).split(",").filter(Boolean) });
    }
  }
  return scopes;
}

/**
 * Starts a token server. `users` maps a username to its password and the
 * actions it may have on any repository (`["pull", "push", "delete"]`, or
 * `["pull"]` for a read-only user), and `catalog: true` for `registry:catalog:*`
 * (`/v2/_catalog`). Anonymous requests get a token with no
 * access (the registry then refuses with 401); a wrong password gets 401 here.
 *
 * @param {{ users: Record<string, { password: string, actions: string[], catalog?: boolean }>, service?: string, issuer?: string, ttlSeconds?: number }} options
 */
export async function startTokenServer(options) {
  const dir = await mkdtemp(join(tmpdir(), "regkit-oci-token-"));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=regkit-oci-token"], { timeout: 60_000 });
  const key = createPrivateKey(await readFile(keyFile));
  const pem = await readFile(certFile, "utf8");
  const der = pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  const service = options.service ?? "regkit-registry";
  const issuer = options.issuer ?? "regkit-token-issuer";
  const ttl = options.ttlSeconds ?? 300;
  /** Each request: method, path with query, and the user it authenticated as (or anonymous / refused). */
  const requests = [];

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const header = req.headers.authorization ?? "";
    let user = "";
    if (header.toLowerCase().startsWith("basic ")) {
      const decoded = Buffer.from(header.slice(6), "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      const name = decoded.slice(0, colon);
      const known = options.users[name];
      if (colon < 0 || !known || known.password !== decoded.slice(colon + 1)) {
        requests.push({ path: url.pathname + url.search, user: "(refused)" });
        res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Basic realm="regkit-oci-token"' });
        res.end(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "bad username or password" }] }));
        return;
      }
      user = name;
    }
    requests.push({ path: url.pathname + url.search, user: user || "(anonymous)" });
    if (url.pathname !== "/token") {
      res.writeHead(404).end();
      return;
    }
    const allowed = user ? options.users[user].actions : [];
    const catalog = user ? options.users[user].catalog === true : false;
    const access = scopesOf(url.searchParams)
      .filter((s) => s.type === "repository" || (s.type === "registry" && s.name === "catalog" && catalog))
      .map((s) => ({ type: s.type, name: s.name, actions: s.type === "registry" ? s.actions : s.actions.filter((a) => allowed.includes(a) || (a === "*" && allowed.includes("delete"))) }));
    const now = Math.floor(Date.now() / 1000);
    const head = { alg: "RS256", typ: "JWT", x5c: [der] };
    const claims = { iss: issuer, sub: user, aud: url.searchParams.get("service") ?? service, exp: now + ttl, nbf: now - 10, iat: now, jti: randomUUID(), access };
    const signing = `${b64url(JSON.stringify(head))}.${b64url(JSON.stringify(claims))}`;
    const token = `${signing}.${sign("sha256", Buffer.from(signing), key).toString("base64url")}`;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ token, access_token: token, expires_in: ttl, issued_at: new Date(now * 1000).toISOString() }));
  });
  await new Promise((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address();
  return {
    // `localhost`, not `127.0.0.1`: clients refuse to send credentials to a
    // realm on a loopback or private address unless it is the registry's own
    // host (crane, go-containerregistry 0.21+ pkg/v1/remote/transport/bearer.go
    // validateRealmURL: same host:port, or any host name that is not an IP
    // literal; oras, oras-go 2.7 registry/remote/auth/client.go validateRealm:
    // the same host name as the registry, else not resolving to loopback).
    // Both accept a realm at `localhost` when the registry too is reached as
    // `localhost` (oci-registries.mjs returns the registry URL so). It resolves to this
    // machine, where the server listens on 127.0.0.1 only.
    realm: `http://localhost:${port}/token`,
    service,
    issuer,
    certFile,
    requests,
    async close() {
      await new Promise((done) => server.close(() => done(undefined)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
