// The reference registry's Conan routes beyond the pinned facts: the login
// token of every token kind as Bearer, package-id search, package-revision
// deletion, public projects, the Packages API view, and regkit serve's
// registries line.
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { referenceCaller } from "@regkit/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { conanReference, issueConanToken, readConanToken } from "@regkit/conan/reference";

let registry: ReferenceRegistry;
let open: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [conanReference] });
  open = await createReferenceRegistry({ formats: [conanReference], visibility: "public" });
});
afterAll(async () => {
  await Promise.all([registry?.close(), open?.close()]);
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const raw = referenceCaller("conan", () => registry);
const call = (path: string, init: { method?: string; body?: string; headers?: Record<string, string>; on?: ReferenceRegistry } = {}) =>
  raw(path, { ...init, headers: init.headers ?? { authorization: basic("regkit", (init.on ?? registry).tokens.personal) } });
const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const R1 = md5("r1");
const P1 = md5("p1");
const P2 = md5("p2");
const PKG = "abc123";

describe("the login token", () => {
  for (const kind of ["personal", "deploy", "job"] as const) {
    it(`a ${kind} token logs in and its token works as Bearer`, async () => {
      const { tokens } = registry;
      const auth = kind === "personal" ? basic("anyone", tokens.personal) : kind === "deploy" ? basic(tokens.deployUsername, tokens.deploy) : basic("gitlab-ci-token", tokens.job);
      const login = await call("/v2/users/authenticate", { headers: { authorization: auth } });
      expect(login.status).toBe(200);
      const bearer = { authorization: `Bearer ${login.text}` };
      expect((await call(`/v2/conans/login-${kind}/1.0.0/_/_/revisions/${R1}/files/conanfile.py`, { method: "PUT", body: "x", headers: bearer })).status).toBe(200);
      expect((await call(`/v2/conans/login-${kind}/1.0.0/_/_/latest`, { headers: bearer })).status).toBe(200);
    });
  }

  it("is a JWT as Gitlab::ConanToken's (HS256, three months), carrying no token in the clear, and the only Bearer value read", async () => {
    const { tokens } = registry;
    const login = await call("/v2/users/authenticate", { headers: { authorization: basic(tokens.deployUsername, tokens.deploy) } });
    const [head, body, signature] = login.text.split(".");
    expect(JSON.parse(Buffer.from(head!, "base64url").toString())).toEqual({ typ: "JWT", alg: "HS256" });
    const claims = JSON.parse(Buffer.from(body!, "base64url").toString()) as { exp: number; access_token: string };
    expect(claims.exp * 1000 - Date.now()).toBeGreaterThan(89 * 24 * 3600 * 1000);
    expect(login.text).not.toContain(tokens.deploy);
    expect(Buffer.from(body!, "base64url").toString()).not.toContain(tokens.deploy);
    const latest = (authorization: string) => call("/v2/conans/login-deploy/1.0.0/_/_/latest", { headers: { authorization } });
    expect((await latest(`Bearer ${login.text}`)).status).toBe(200);
    // A raw token as Bearer, a JWT whose signature is not this registry's, one whose claims were changed,
    // an expired one: no credential at all, so a read of the private project is its anonymous 404.
    expect((await latest(`Bearer ${tokens.deploy}`)).status).toBe(404);
    expect((await latest(`Bearer ${head}.${body}.${signature!.slice(0, -2)}xx`)).status).toBe(404);
    const other = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 1 })).toString("base64url");
    expect((await latest(`Bearer ${head}.${other}.${signature}`)).status).toBe(404);
    expect((await latest(`Bearer ${issueConanToken(tokens.deploy, tokens.deployUsername, Date.now() - 1000)}`)).status).toBe(404);
    // A write with it is the anonymous 401 (authenticate_non_get!).
    expect((await call(`/v2/conans/login-deploy/1.0.0/_/_/revisions/${R1}/files/conanfile.py`, { method: "PUT", body: "x", headers: { authorization: `Bearer ${tokens.deploy}` } })).status).toBe(401);
    expect(readConanToken(login.text)).toBe(tokens.deploy);
  });
});

describe("package revisions", () => {
  it("lists package ids, and deleting a package revision leaves the other", async () => {
    const base = `/v2/conans/pkgs/1.0.0/_/_/revisions/${R1}`;
    await call(`${base}/files/conanfile.py`, { method: "PUT", body: "recipe" });
    await call(`${base}/packages/${PKG}/revisions/${P1}/files/conaninfo.txt`, { method: "PUT", body: "[options]\n" });
    await call(`${base}/packages/${PKG}/revisions/${P2}/files/conaninfo.txt`, { method: "PUT", body: "[options]\nx=1\n" });
    expect(JSON.parse((await call(`${base}/search`)).text)).toEqual({ [PKG]: { settings: {}, options: {}, requires: {}, recipe_hash: R1 } });
    expect(Object.keys(JSON.parse((await call("/v2/conans/pkgs/1.0.0/_/_/search")).text) as object)).toEqual([PKG]);
    expect((await call(`${base}/packages/${PKG}/revisions/${P2}`, { method: "DELETE" })).status).toBe(200);
    const list = JSON.parse((await call(`${base}/packages/${PKG}/revisions`)).text) as { reference: string; revisions: { revision: string }[] };
    expect(list.reference).toBe(`pkgs/1.0.0@_/_#${R1}:${PKG}`);
    expect(list.revisions.map((r) => r.revision)).toEqual([P1]);
    expect((await call(`${base}/packages/${PKG}/revisions/${P2}/files/conaninfo.txt`)).status).toBe(404);
    expect((await call(`${base}/packages/${PKG}/revisions/${P1}/files/conaninfo.txt`)).text).toBe("[options]\n");
  });
});

describe("visibility and the Packages API", () => {
  it("a public project serves reads to anyone; a private one answers 404 without credentials", async () => {
    const path = `/v2/conans/pub/1.0.0/_/_/revisions/${R1}/files/conanfile.py`;
    expect((await call(path, { method: "PUT", body: "public", on: open })).status).toBe(200);
    expect((await raw(path, { on: open, headers: {} })).text).toBe("public");
    expect((await call(path, { method: "PUT", body: "private" })).status).toBe(200);
    expect((await raw(path, { headers: {} })).status).toBe(404);
  });

  it("the Packages API lists a recipe by name and version", async () => {
    await call(`/v2/conans/listed/2.0.0/_/_/revisions/${R1}/files/conanfile.py`, { method: "PUT", body: "x" });
    const res = await fetch(`${registry.url}/api/v4/projects/1/packages?package_type=conan&package_name=listed`, { headers: { "PRIVATE-TOKEN": registry.tokens.personal } });
    expect(res.status).toBe(200);
    expect((await res.json()) as unknown[]).toEqual([expect.objectContaining({ name: "listed", version: "2.0.0" })]);
  });

  it("regkit serve's registries line names the Conan endpoint", () => {
    expect(registry.registries.conan).toMatch(/\/api\/v4\/projects\/1\/packages\/conan$/);
  });
});
