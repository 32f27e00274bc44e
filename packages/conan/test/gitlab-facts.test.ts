// One test per GitLab fact of the Conan kit (conanGitLabFacts), each against
// the reference registry: the answer GitLab's source gives is the answer
// here. Plain fetch, so what is pinned is the wire, not the adapter.
import { createHash } from "node:crypto";
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { pinFacts, referenceCaller } from "@regkit/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { conanGitLabFacts } from "@regkit/conan";
import { conanReference, fullPathFrom } from "@regkit/conan/reference";

let registry: ReferenceRegistry;
let small: ReferenceRegistry;
let open: ReferenceRegistry;

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [conanReference] });
  small = await createReferenceRegistry({ formats: [conanReference], limits: { conan: { maxFileSize: 16 } } });
  open = await createReferenceRegistry({ formats: [conanReference], visibility: "public" });
});
afterAll(async () => {
  await Promise.all([registry?.close(), small?.close(), open?.close()]);
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
const md5 = (text: string) => createHash("md5").update(text).digest("hex");
const raw = referenceCaller("conan", () => registry);
/** A request under the conan endpoint, as the personal token in Basic unless `headers` say otherwise. */
const call = (path: string, init: { method?: string; body?: string; headers?: Record<string, string>; on?: ReferenceRegistry } = {}) =>
  raw(path, { ...init, headers: init.headers ?? { authorization: basic("regkit", (init.on ?? registry).tokens.personal) } });

let counter = 0;
function fresh(): string {
  counter += 1;
  return `fact-${counter}`;
}
const REV_A = md5("a");
const REV_B = md5("b");
const PKG = "0843122603abe396748ba2c36ca6448d826c6fb9";
const recipe = (name: string, version = "1.0.0", uc = "_/_") => `/v2/conans/${name}/${version}/${uc}`;
const putRecipe = (name: string, rrev: string, file: string, body: string, init: { headers?: Record<string, string>; on?: ReferenceRegistry } = {}) =>
  call(`${recipe(name)}/revisions/${rrev}/files/${file}`, { ...init, method: "PUT", body });
const putPackage = (name: string, rrev: string, prev: string, file: string, body: string) =>
  call(`${recipe(name)}/revisions/${rrev}/packages/${PKG}/revisions/${prev}/files/${file}`, { method: "PUT", body });

const v1 = (name: string, version = "1.0.0", uc = "_/_") => `/v1/conans/${name}/${version}/${uc}`;
const v1Files = (name: string, version = "1.0.0", uc = "_/_") => `/v1/files/${name}/${version}/${uc}`;
const json = <T = Record<string, string>>(text: string) => JSON.parse(text) as T;

pinFacts(conanGitLabFacts, {
  async routes(fact) {
    const name = fresh();
    expect(fact.value.levels).toEqual(["project"]);
    expect((await putRecipe(name, REV_A, "conanfile.py", "routes")).status).toBe(200);
    expect((await call(`${recipe(name)}/revisions/${REV_A}/files/conanfile.py`)).text).toBe("routes");
    // No v2 at group or instance level.
    expect((await call(`${registry.instanceRegistries.conan}${recipe(name)}/latest`)).status).toBe(404);
    expect((await call(`${registry.groupRegistries.conan}${recipe(name)}/latest`)).status).toBe(404);
  },
  async ping(fact) {
    const res = await call("/v1/ping", { headers: {} });
    expect(res.status).toBe(fact.value.status);
    expect(res.headers.get(fact.value.header)).toBe(fact.value.capabilities);
  },
  async authenticate(fact) {
    const res = await call("/v2/users/authenticate");
    expect(res.status).toBe(fact.value.status);
    expect(res.headers.get("content-type")).toContain(fact.value.contentType);
    // The token works as Bearer on the other routes.
    expect((await call("/v2/users/check_credentials", { headers: { authorization: `Bearer ${res.text.trim()}` } })).status).toBe(200);
    expect((await call("/v2/users/authenticate", { headers: {} })).status).toBe(fact.value.unauthenticated);
    expect((await call("/v2/users/authenticate", { headers: { authorization: "Bearer not-a-token" } })).status).toBe(fact.value.unauthenticated);
  },
  async checkCredentials(fact) {
    const ok = await call("/v2/users/check_credentials");
    expect(ok.status).toBe(fact.value.status);
    expect(ok.text).toBe(fact.value.body);
    expect((await call("/v2/users/check_credentials", { headers: {} })).status).toBe(fact.value.unauthenticated);
  },
  async credentials(fact) {
    const name = fresh();
    const { tokens } = registry;
    expect(fact.value).toEqual({ basic: true, bearer: true, headers: false, deployTokens: true });
    expect((await putRecipe(name, REV_A, "conanfile.py", "x", { headers: { authorization: basic(tokens.deployUsername, tokens.deploy) } })).status).toBe(200);
    expect((await putRecipe(name, REV_A, "conanmanifest.txt", "y", { headers: { authorization: basic("gitlab-ci-token", tokens.job) } })).status).toBe(200);
    // Bearer is the token users/authenticate issued (a raw token there reads as none: see the reference test).
    const login = await call("/v2/users/authenticate", { headers: { authorization: basic("regkit", tokens.personal) } });
    expect((await call(`${recipe(name)}/latest`, { headers: { authorization: `Bearer ${login.text}` } })).status).toBe(200);
    // GitLab's token headers are not read on the Conan routes: an upload with them alone is anonymous.
    expect((await putRecipe(name, REV_B, "conanfile.py", "z", { headers: { "private-token": tokens.personal } })).status).toBe(401);
    expect((await putRecipe(name, REV_B, "conanfile.py", "z", { headers: { "job-token": tokens.job } })).status).toBe(401);
  },
  async anonymousRead(fact) {
    const name = fresh();
    await putRecipe(name, REV_A, "conanfile.py", "hidden");
    expect((await call(`${recipe(name)}/revisions/${REV_A}/files/conanfile.py`, { headers: {} })).status).toBe(fact.value.privateProject);
    expect((await call(`${recipe(name)}/latest`, { headers: {} })).status).toBe(fact.value.privateProject);
    await putRecipe(name, REV_A, "conanfile.py", "public", { on: open, headers: { authorization: basic("regkit", open.tokens.personal) } });
    expect((await call(`${recipe(name)}/revisions/${REV_A}/files/conanfile.py`, { on: open, headers: {} })).status).toBe(fact.value.publicProject);
    // users/authenticate still challenges (401), so a client can log in.
    expect((await call("/v2/users/authenticate", { headers: {} })).status).toBe(401);
  },
  async componentRule(fact) {
    expect(fact.value.test("zlib")).toBe(true);
    expect(fact.value.test("a")).toBe(false);
    expect(fact.value.test("x".repeat(51))).toBe(false);
    expect((await putRecipe("a", REV_A, "conanfile.py", "x")).status).toBe(400);
    expect((await call(`/v2/conans/${fresh()}/1/_/_/revisions/${REV_A}/files/conanfile.py`, { method: "PUT", body: "x" })).status).toBe(400);
  },
  async userChannelRule(fact) {
    const name = fresh();
    expect(fact.value.rule.test("_")).toBe(true);
    expect(fact.value.rule.test("my-group+my-project")).toBe(true);
    const mixed = await call(`${recipe(name, "1.0.0", "_/stable")}/revisions/${REV_A}/files/conanfile.py`, { method: "PUT", body: "x" });
    expect(mixed.status).toBe(fact.value.mixedNone);
    expect(mixed.text).toContain("username can't be solely blank");
    expect((await call(`${recipe(name, "1.0.0", "regkit+demo/stable")}/revisions/${REV_A}/files/conanfile.py`, { method: "PUT", body: "x" })).status).toBe(200);
  },
  async revisionRule(fact) {
    expect(fact.value.test(REV_A)).toBe(true);
    expect(fact.value.test("a".repeat(40))).toBe(true);
    expect(fact.value.test("xyz")).toBe(false);
    expect((await putRecipe(fresh(), "not-a-revision", "conanfile.py", "x")).status).toBe(400);
  },
  async packageReferenceRule(fact) {
    expect(fact.value.test(PKG)).toBe(true);
    expect(fact.value.test("a-b")).toBe(false);
    expect((await call(`${recipe(fresh())}/revisions/${REV_A}/packages/a-b/revisions/${REV_B}/files/conaninfo.txt`, { method: "PUT", body: "x" })).status).toBe(400);
  },
  async fileNames(fact) {
    const name = fresh();
    for (const file of [...fact.value.recipe, ...fact.value.package]) expect((await putRecipe(name, REV_A, file, `content of ${file}`)).status).toBe(200);
    expect((await putRecipe(name, REV_A, "other.txt", "x")).status).toBe(fact.value.invalid);
  },
  async upload(fact) {
    const name = fresh();
    const res = await putRecipe(name, REV_A, "conanfile.py", "uploaded");
    expect(res.status).toBe(fact.value.status);
    expect(JSON.parse(res.text)).toMatchObject({ file_name: "conanfile.py", size: 8, file_md5: md5("uploaded") });
    const { tokens } = registry;
    expect((await putRecipe(name, REV_A, "conanmanifest.txt", "x", { headers: { authorization: basic(tokens.readonlyDeployUsername, tokens.readonlyDeploy) } })).status).toBe(403);
    expect((await putRecipe(name, REV_A, "conanmanifest.txt", "x", { headers: {} })).status).toBe(401);
  },
  async emptyFiles(fact) {
    const name = fresh();
    expect((await putRecipe(name, REV_A, "conanfile.py", "recipe")).status).toBe(200);
    expect((await putPackage(name, REV_A, REV_B, "conan_package.tgz", "binary")).status).toBe(200);
    expect((await putPackage(name, REV_A, REV_B, "conaninfo.txt", "")).status).toBe(fact.value.status);
    const files = await call(`${recipe(name)}/revisions/${REV_A}/packages/${PKG}/revisions/${REV_B}/files`);
    expect(Object.keys((JSON.parse(files.text) as { files: Record<string, unknown> }).files)).toEqual(["conan_package.tgz"]);
    expect((await call(`${recipe(name)}/revisions/${REV_A}/packages/${PKG}/revisions/${REV_B}/files/conaninfo.txt`)).status).toBe(404);
  },
  async duplicates(fact) {
    const name = fresh();
    expect(fact.value).toBe("allow");
    expect((await putRecipe(name, REV_A, "conanfile.py", "one")).status).toBe(200);
    expect((await putRecipe(name, REV_A, "conanfile.py", "two")).status).toBe(200);
    expect((await putRecipe(name, REV_B, "conanfile.py", "three")).status).toBe(200);
    // Re-uploading the first revision keeps its place: the second is still the latest.
    expect((await putRecipe(name, REV_A, "conanmanifest.txt", "m")).status).toBe(200);
    expect(JSON.parse((await call(`${recipe(name)}/latest`)).text)).toMatchObject({ revision: REV_B });
    expect((await call(`${recipe(name)}/revisions/${REV_A}/files/conanfile.py`)).text).toBe("two");
  },
  async latest(fact) {
    const name = fresh();
    expect((await call(`${recipe(name)}/latest`)).status).toBe(fact.value.missing);
    await putRecipe(name, REV_A, "conanfile.py", "a");
    await putRecipe(name, REV_B, "conanfile.py", "b");
    const res = await call(`${recipe(name)}/latest`);
    expect(res.status).toBe(fact.value.status);
    const body = JSON.parse(res.text) as { revision: string; time: string };
    expect(body.revision).toBe(REV_B);
    expect(body.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/);
    await putPackage(name, REV_B, REV_A, "conaninfo.txt", "[options]\n");
    expect(JSON.parse((await call(`${recipe(name)}/revisions/${REV_B}/packages/${PKG}/latest`)).text)).toMatchObject({ revision: REV_A });
    expect((await call(`${recipe(name)}/revisions/${REV_A}/packages/${PKG}/latest`)).status).toBe(fact.value.missing);
  },
  async revisionsList(fact) {
    const name = fresh();
    expect((await call(`${recipe(name)}/revisions`)).status).toBe(fact.value.missing);
    await putRecipe(name, REV_A, "conanfile.py", "a");
    await putRecipe(name, REV_B, "conanfile.py", "b");
    const res = await call(`${recipe(name)}/revisions`);
    expect(res.status).toBe(fact.value.status);
    const body = JSON.parse(res.text) as { reference: string; revisions: { revision: string }[] };
    expect(body.reference).toBe(`${name}/1.0.0@_/_`);
    expect(body.revisions.map((r) => r.revision)).toEqual([REV_B, REV_A]);
  },
  async files(fact) {
    const name = fresh();
    expect((await call(`${recipe(name)}/revisions/${REV_A}/files`)).status).toBe(fact.value.missing);
    await putRecipe(name, REV_A, "conanfile.py", "a");
    await putRecipe(name, REV_A, "conanmanifest.txt", "m");
    const res = await call(`${recipe(name)}/revisions/${REV_A}/files`);
    expect(res.status).toBe(fact.value.status);
    expect(JSON.parse(res.text)).toEqual({ files: { "conanfile.py": {}, "conanmanifest.txt": {} } });
    expect((await call(`${recipe(name)}/revisions/${REV_B}/files`)).status).toBe(fact.value.missing);
    expect((await call(`${recipe(name)}/revisions/${REV_A}/files/conan_sources.tgz`)).status).toBe(fact.value.missing);
  },
  async search(fact) {
    const name = `find-${fresh()}`;
    await putRecipe(name, REV_A, "conanfile.py", "a");
    const q = async (query: string) => {
      const res = await call(`/v2/conans/search?q=${encodeURIComponent(query)}`);
      return { status: res.status, results: res.status === 200 ? (JSON.parse(res.text) as { results: string[] }).results : [] };
    };
    expect(await q(`${name}/*`)).toEqual({ status: fact.value.status, results: [`${name}/1.0.0@_/_`] });
    expect((await q(`${name.toUpperCase()}*`)).results).toContain(`${name}/1.0.0@_/_`);
    expect((await q(`${name}/1.0.0`)).results).toEqual([`${name}/1.0.0@_/_`]);
    expect((await q(`${name}/2.0.0`)).results).toEqual([]);
    expect(await q("*")).toEqual({ status: 200, results: [] });
    expect((await q("a*b*c*d*e*f*")).status).toBe(fact.value.tooMany);
    expect((await q("x".repeat(fact.value.maxLength + 1))).status).toBe(fact.value.tooMany);
  },
  async deleteRevision(fact) {
    const name = fresh();
    await putRecipe(name, REV_A, "conanfile.py", "a");
    await putRecipe(name, REV_B, "conanfile.py", "b");
    const { tokens } = registry;
    expect((await call(`${recipe(name)}/revisions/${REV_A}`, { method: "DELETE", headers: { authorization: basic("regkit", tokens.developer) } })).status).toBe(fact.value.forbidden);
    expect((await call(`${recipe(name)}/revisions/${REV_B}`, { method: "DELETE" })).status).toBe(fact.value.status);
    expect(JSON.parse((await call(`${recipe(name)}/latest`)).text)).toMatchObject({ revision: REV_A });
    expect((await call(`${recipe(name)}/revisions/${REV_B}`, { method: "DELETE" })).status).toBe(fact.value.missing);
    // The last revision takes the recipe with it.
    expect((await call(`${recipe(name)}/revisions/${REV_A}`, { method: "DELETE" })).status).toBe(fact.value.status);
    expect((await call(`${recipe(name)}/revisions`)).status).toBe(404);
  },
  async maxFileSize(fact) {
    expect(fact.value.bytes).toBe(3 * 1024 ** 3);
    expect(registry.settings("conan").limits.maxFileSize).toBe(fact.value.bytes);
    const res = await putRecipe(fresh(), REV_A, "conanfile.py", "x".repeat(17), { on: small, headers: { authorization: basic("regkit", small.tokens.personal) } });
    expect(res.status).toBe(fact.value.status);
    expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
  },
  async v1Routes(fact) {
    const name = fresh();
    const base = registry.registries.conan;
    expect(fact.value.revision).toBe("0");
    expect((await call(`${v1Files(name)}/0/export/conanfile.py`, { method: "PUT", body: "v1 recipe" })).status).toBe(200);
    expect((await call(`${v1Files(name)}/0/package/${PKG}/0/conaninfo.txt`, { method: "PUT", body: "[settings]\n" })).status).toBe(200);
    expect((await call(`${v1Files(name)}/0/export/conanfile.py`)).text).toBe("v1 recipe");
    expect((await call(`${v1Files(name)}/${REV_A}/export/conanfile.py`, { method: "PUT", body: "x" })).status).toBe(fact.value.badRevision);
    // A v1 upload is revision 0 of the store the v2 routes read.
    expect(json<{ revision: string }>((await call(`${recipe(name)}/latest`)).text).revision).toBe(fact.value.revision);
    expect((await call(`${recipe(name)}/revisions/0/files/conanfile.py`)).text).toBe("v1 recipe");
    expect((await call("/v1/users/check_credentials")).text).toBe("ok");
    const login = await call("/v1/users/authenticate");
    expect((await call("/v1/users/check_credentials", { headers: { authorization: `Bearer ${login.text}` } })).status).toBe(200);
    expect(json<{ results: string[] }>((await call(`/v1/conans/search?q=${name}`)).text).results).toEqual([`${name}/1.0.0@_/_`]);
    expect(base).toMatch(/\/projects\/\d+\/packages\/conan$/);
  },
  async v1Snapshot(fact) {
    const name = fresh();
    const unknown = await call(v1(name));
    expect(unknown.status).toBe(fact.value.status);
    expect(json(unknown.text)).toEqual(fact.value.unknown);
    await call(`${v1Files(name)}/0/export/conanfile.py`, { method: "PUT", body: "recipe" });
    await call(`${v1Files(name)}/0/export/conanmanifest.txt`, { method: "PUT", body: "manifest" });
    await call(`${v1Files(name)}/0/package/${PKG}/0/conan_package.tgz`, { method: "PUT", body: "binary" });
    expect(json((await call(v1(name))).text)).toEqual({ "conanfile.py": md5("recipe"), "conanmanifest.txt": md5("manifest") });
    expect(json((await call(`${v1(name)}/packages/${PKG}`)).text)).toEqual({ "conan_package.tgz": md5("binary") });
    expect(json((await call(`${v1(name)}/packages/abc123`)).text)).toEqual({});
    expect((await call(v1(name), { headers: {} })).status).toBe(404);
  },
  async v1DownloadUrls(fact) {
    const name = fresh();
    const missing = await call(`${v1(name)}/download_urls`);
    expect(missing.status).toBe(fact.value.missing);
    expect(json(missing.text)).toEqual({ message: fact.value.message });
    await call(`${v1Files(name)}/0/export/conanfile.py`, { method: "PUT", body: "recipe" });
    await call(`${v1Files(name)}/0/package/${PKG}/0/conaninfo.txt`, { method: "PUT", body: "info" });
    const base = registry.registries.conan;
    const urls = await call(`${v1(name)}/download_urls`);
    expect(urls.status).toBe(fact.value.status);
    expect(json(urls.text)).toEqual({ "conanfile.py": `${base}/v1/files/${name}/1.0.0/_/_/0/export/conanfile.py` });
    expect(json((await call(`${v1(name)}/digest`)).text)).toEqual(json(urls.text));
    const pkg = json((await call(`${v1(name)}/packages/${PKG}/download_urls`)).text);
    expect(pkg).toEqual({ "conaninfo.txt": `${base}/v1/files/${name}/1.0.0/_/_/0/package/${PKG}/0/conaninfo.txt` });
    expect(json((await call(`${v1(name)}/packages/${PKG}/digest`)).text)).toEqual(pkg);
    // The URLs are served.
    expect((await call(pkg["conaninfo.txt"]!)).text).toBe("info");
    // A v2 upload is listed under its own revision (which v1's file routes refuse).
    await putRecipe(name, REV_A, "conanmanifest.txt", "m");
    expect(json((await call(`${v1(name)}/download_urls`)).text)["conanmanifest.txt"]).toBe(`${base}/v1/files/${name}/1.0.0/_/_/${REV_A}/export/conanmanifest.txt`);
  },
  async v1UploadUrls(fact) {
    const name = fresh();
    const base = registry.registries.conan;
    const res = await call(`${v1(name)}/upload_urls`, { method: "POST", body: JSON.stringify({ "conanfile.py": 24, "conanmanifest.txt": 123, "invalid_file.txt": 10, "conaninfo.txt": 3 }), headers: { authorization: basic("regkit", registry.tokens.personal), "content-type": "application/json" } });
    expect(res.status).toBe(fact.value.status);
    expect(json(res.text)).toEqual({
      "conanfile.py": `${base}/v1/files/${name}/1.0.0/_/_/0/export/conanfile.py`,
      "conanmanifest.txt": `${base}/v1/files/${name}/1.0.0/_/_/0/export/conanmanifest.txt`,
    });
    const pkg = await call(`${v1(name)}/packages/${PKG}/upload_urls`, { method: "POST", body: JSON.stringify({ "conaninfo.txt": 24, "conanfile.py": 1 }) });
    expect(json(pkg.text)).toEqual({ "conaninfo.txt": `${base}/v1/files/${name}/1.0.0/_/_/0/package/${PKG}/0/conaninfo.txt` });
    expect((await call(`${v1(name)}/upload_urls`, { method: "POST", body: JSON.stringify(["foo", "bar"]) })).status).toBe(fact.value.notAnObject);
    expect((await call(`${v1(name)}/upload_urls`, { method: "POST", body: "{}", headers: {} })).status).toBe(fact.value.unauthenticated);
  },
  async v1Delete(fact) {
    const name = fresh();
    await call(`${v1Files(name)}/0/export/conanfile.py`, { method: "PUT", body: "recipe" });
    await putRecipe(name, REV_A, "conanfile.py", "v2 recipe");
    const { tokens } = registry;
    expect((await call(v1(name), { method: "DELETE", headers: { authorization: basic("regkit", tokens.developer) } })).status).toBe(fact.value.forbidden);
    expect((await call(v1(name), { method: "DELETE" })).status).toBe(fact.value.status);
    // Every revision goes with it.
    expect((await call(`${recipe(name)}/revisions`)).status).toBe(404);
    expect(json((await call(v1(name))).text)).toEqual({});
    expect((await call(v1(name), { method: "DELETE" })).status).toBe(fact.value.missing);
  },
  async instanceLevel(fact) {
    const name = fresh();
    const inst = registry.instanceRegistries.conan!;
    const uc = "regkit+demo/stable";
    expect(fact.value.separator).toBe("+");
    expect(fullPathFrom("regkit+demo")).toBe(registry.projects[0]!.path);
    // Stored in regkit/demo under its user (the reference's instance level is read-only: the writes go to the project level).
    await call(`${v1Files(name, "1.0.0", uc)}/0/export/conanfile.py`, { method: "PUT", body: "recipe" });
    await call(`${v1Files(name, "1.0.0", uc)}/0/package/${PKG}/0/conaninfo.txt`, { method: "PUT", body: "info" });
    expect(json((await call(`${inst}${v1(name, "1.0.0", uc)}`)).text)).toEqual({ "conanfile.py": md5("recipe") });
    const urls = await call(`${inst}${v1(name, "1.0.0", uc)}/download_urls`);
    expect(urls.status).toBe(200);
    const url = `${inst}/v1/files/${name}/1.0.0/${uc}/0/export/conanfile.py`;
    expect(url).toContain(fact.value.filesBase);
    expect(json(urls.text)).toEqual({ "conanfile.py": url });
    expect((await call(url)).text).toBe("recipe");
    expect(json((await call(`${inst}${v1(name, "1.0.0", uc)}/packages/${PKG}/download_urls`)).text)).toEqual({ "conaninfo.txt": `${inst}/v1/files/${name}/1.0.0/${uc}/0/package/${PKG}/0/conaninfo.txt` });
    const upload = await call(`${inst}${v1(name, "1.0.0", uc)}/upload_urls`, { method: "POST", body: JSON.stringify({ "conanfile.py": 6 }) });
    expect(json(upload.text)).toEqual({ "conanfile.py": url });
    // `_` as the user is not found at once; a lone `_` channel is the project level's 400.
    expect((await call(`${inst}${v1(name, "1.0.0", "_/_")}`)).status).toBe(fact.value.noneUser);
    expect((await call(`${inst}${v1(name, "1.0.0", "_/stable")}/download_urls`)).status).toBe(fact.value.noneUser);
    expect((await call(v1(name, "1.0.0", "_/stable"))).status).toBe(400);
    expect((await call(`${inst}${v1(name, "1.0.0", "regkit+demo/_")}`)).status).toBe(fact.value.noneChannel);
    // A user that names no project the caller can find: 404, even for a file ('project not found by recipe').
    expect((await call(`${inst}${v1(name, "1.0.0", "not+a+project/stable")}`)).status).toBe(fact.value.unknownProject);
    expect((await call(`${inst}/v1/files/not/package/for/project/0/export/conanfile.py`)).status).toBe(fact.value.unknownProject);
    expect((await call(`${inst}/v1/files/${name}/1.0.0/not+a+project/stable/0/export/conanfile.py`)).status).toBe(fact.value.unknownProject);
    // The instance level is private: no credentials, 404.
    expect((await call(`${inst}${v1(name, "1.0.0", uc)}/download_urls`, { headers: {} })).status).toBe(404);
  },
  async instanceSearch(fact) {
    const name = fresh();
    const inst = registry.instanceRegistries.conan!;
    await call(`${v1Files(name, "1.0.0", "regkit+demo/stable")}/0/export/conanfile.py`, { method: "PUT", body: "recipe" });
    const q = async (base: string, query: string) => {
      const res = await call(`${base}/v1/conans/search?q=${encodeURIComponent(query)}`);
      expect(res.status).toBe(fact.value.status);
      return json<{ results: string[] }>(res.text).results;
    };
    const ref = `${name}/1.0.0@regkit+demo/stable`;
    expect(await q(inst, `${name}/*`)).toContain(ref);
    expect(await q(inst, `${name}/1.0.0@regkit+demo`)).toContain(ref);
    expect(fact.value.scopedByUser).toBe(true);
    expect(await q(inst, `${name}/1.0.0@not+a+project`)).toEqual(fact.value.otherProject);
    // At project level the query's user is not read.
    expect(await q(registry.registries.conan!, `${name}/1.0.0@not+a+project`)).toContain(ref);
  },
});
