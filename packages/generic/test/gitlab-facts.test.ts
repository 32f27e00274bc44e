// One test per GitLab fact of the Generic kit (genericGitLabFacts), each
// against the reference registry: the answer GitLab's source gives is the
// answer here. Plain fetch, so what is pinned is the wire, not the adapter.
import { createHash } from "node:crypto";
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { pinFacts, referenceCaller } from "@regkit/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { genericGitLabFacts } from "@regkit/generic";
import { createGenericReference, genericReference } from "@regkit/generic/reference";

let registry: ReferenceRegistry;
/** A group that forbids duplicates, with the exception pattern `-keep$`. */
let strict: ReferenceRegistry;
let publicRegistry: ReferenceRegistry;

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [genericReference] });
  strict = await createReferenceRegistry({ formats: [createGenericReference({ duplicateExceptionRegex: "-keep$" })], policies: { generic: { duplicates: "reject" } } });
  publicRegistry = await createReferenceRegistry({ formats: [genericReference], visibility: "public" });
});
afterAll(async () => {
  await Promise.all([registry?.close(), strict?.close(), publicRegistry?.close()]);
});

const sha256 = (data: string) => createHash("sha256").update(data).digest("hex");
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** A request under the generic endpoint of `on` (default: the private registry), as the personal token unless `headers` say otherwise. */
const call = referenceCaller("generic", () => registry);

const put = (path: string, body: string, init: { headers?: Record<string, string>; on?: ReferenceRegistry } = {}) => call(path, { ...init, method: "PUT", body });

let counter = 0;
/** A fresh package name per test. */
function fresh(): string {
  counter += 1;
  return `fact-${counter}`;
}

pinFacts(genericGitLabFacts, {
  async routes(fact) {
    const name = fresh();
    expect(fact.value.put).toEqual(["project"]);
    expect((await put(`/${name}/1.0.0/a.bin`, "routes")).status).toBe(201);
    expect((await call(`/${name}/1.0.0/a.bin`)).text).toBe("routes");
    // No group or instance level, and no listing or delete on the endpoint itself.
    expect((await call(`${registry.groupRegistries.generic}/${name}/1.0.0/a.bin`)).status).toBe(404);
    expect((await call(`${registry.instanceRegistries.generic}/${name}/1.0.0/a.bin`)).status).toBe(404);
    expect((await call(`/${name}/1.0.0/a.bin`, { method: "DELETE" })).status).toBe(405);
  },
  async uploadStatus(fact) {
    const name = fresh();
    const created = await put(`/${name}/1.0.0/a.bin`, "created");
    expect(created.status).toBe(fact.value.created);
    expect(JSON.parse(created.text)).toEqual({ message: fact.value.message });
    const selected = await put(`/${name}/1.0.0/b.bin?select=package_file`, "selected");
    expect(selected.status).toBe(fact.value.selected);
    const body = JSON.parse(selected.text) as Record<string, unknown>;
    expect(body).toMatchObject({ file_name: "b.bin", size: 8, file_sha256: sha256("selected") });
    expect(typeof body.id).toBe("number");
    expect(typeof body.package_id).toBe("number");
    // The same file, under the same id, in the Packages API's package files.
    const files = await call(`${registry.url}/api/v4/projects/1/packages/${String(body.package_id)}/package_files`);
    expect(files.status).toBe(200);
    expect((JSON.parse(files.text) as Record<string, unknown>[]).find((f) => f.file_name === "b.bin")).toMatchObject({ id: body.id, size: 8, file_sha256: sha256("selected") });
  },
  async selectValues(fact) {
    const name = fresh();
    expect((await put(`/${name}/1.0.0/a.bin?select=everything`, "x")).status).toBe(fact.value.invalid);
    expect((await call(`/${name}/1.0.0/a.bin`)).status).toBe(404);
    expect((await put(`/${name}/1.0.0/a.bin?select=${fact.value.values[0]}`, "x")).status).toBe(200);
  },
  async statusValues(fact) {
    const name = fresh();
    expect((await put(`/${name}/1.0.0/a.bin?status=processing`, "x")).status).toBe(fact.value.invalid);
    for (const status of fact.value.values) expect((await put(`/${name}/1.0.0/${status}.bin?status=${status}`, status)).status).toBe(201);
  },
  async hidden(fact) {
    const name = fresh();
    expect((await put(`/${name}/1.0.0/a.bin?status=hidden`, "hidden")).status).toBe(201);
    const got = await call(`/${name}/1.0.0/a.bin`);
    expect(fact.value.downloadable).toBe(true);
    expect(got.status).toBe(200);
    expect(got.text).toBe("hidden");
    // The listing half is the registry's Packages API: left out by default, listed with status=hidden.
    const list = async (query: string) => {
      const res = await call(`${registry.url}/api/v4/projects/1/packages?package_name=${name}${query}`);
      expect(res.status).toBe(200);
      return (JSON.parse(res.text) as { version: string; status: string }[]).map((p) => `${p.version}:${p.status}`);
    };
    expect(fact.value.listedByDefault).toBe(false);
    expect(await list("")).toEqual([]);
    expect(fact.value.listedWith).toBe("status=hidden");
    expect(await list("&status=hidden")).toEqual(["1.0.0:hidden"]);
    // A later upload without a status keeps it hidden; one with status=default shows it again.
    expect((await put(`/${name}/1.0.0/b.bin`, "b")).status).toBe(201);
    expect(await list("")).toEqual([]);
    expect((await put(`/${name}/1.0.0/c.bin?status=default`, "c")).status).toBe(201);
    expect(await list("")).toEqual(["1.0.0:default"]);
  },
  async nameRule(fact) {
    for (const good of ["my.pkg", "A_b-c+d", "x"]) {
      expect(fact.value.test(good)).toBe(true);
      expect((await put(`/${good}/1.0.0/a.bin`, good)).status).toBe(201);
    }
    for (const bad of ["my@pkg", "my~pkg", "my pkg", "é"]) {
      expect(fact.value.test(bad)).toBe(false);
      expect((await put(`/${encodeURIComponent(bad)}/1.0.0/a.bin`, bad)).status).toBe(400);
    }
  },
  async versionRule(fact) {
    const name = fresh();
    for (const good of ["1.3.350-20201230123456", "1.2.3", "1.2.3g", "1.2", "1.2.bananas", "v1.2.4-build", "d50d836eb3de6177ce6c7a5482f27f9c2c84b672"]) {
      expect(fact.value.test(good)).toBe(true);
      expect((await put(`/${name}/${good}/a.bin`, good)).status).toBe(201);
    }
    for (const bad of ["..1.2.3", "1..2", "1.2@3"]) {
      expect(fact.value.test(bad)).toBe(false);
      expect((await put(`/${name}/${encodeURIComponent(bad)}/a.bin`, bad)).status).toBe(400);
    }
  },
  async fileNameRule(fact) {
    const name = fresh();
    for (const good of ["my+file.tar.gz", "my~file.tar.gz"]) {
      expect(fact.value.test(good)).toBe(true);
      expect((await put(`/${name}/1.0.0/${encodeURIComponent(good)}`, good)).status).toBe(201);
    }
    for (const bad of ["myfile1.1.tar.gz@", "@myfile1.1.tar.gz", "myfile.tar.gz~", "~myfile.tar.gz", "myfile@1.1.tar.gz"]) {
      expect(fact.value.test(bad)).toBe(false);
      expect((await put(`/${name}/1.0.0/${encodeURIComponent(bad)}`, bad)).status).toBe(400);
    }
  },
  async invalidParam(fact) {
    const name = fresh();
    const refused = await put(`/${name}/${encodeURIComponent("..1.2.3")}/a.bin`, "x");
    expect(refused.status).toBe(fact.value);
    expect(JSON.parse(refused.text)).toEqual({ error: "package_version is invalid" });
    // Traversal never reaches a route.
    expect((await put(`/${name}/1.0.0/%2e%2e%2f.ssh%2fauthorized_keys`, "x")).status).toBe(fact.value);
    expect((await call(`/${name}/1.0.0/a.bin`)).status).toBe(404);
  },
  async duplicatesDefault(fact) {
    const name = fresh();
    expect(fact.value).toBe("allow");
    expect((await put(`/${name}/1.0.0/a.bin`, "one")).status).toBe(201);
    expect((await put(`/${name}/1.0.0/a.bin`, "two")).status).toBe(201);
    expect((await call(`/${name}/1.0.0/a.bin`)).text).toBe("two");
  },
  async duplicateRefusal(fact) {
    const name = fresh();
    expect((await put(`/${name}/1.0.0/a.bin`, "one", { on: strict, headers: { "private-token": strict.tokens.personal } })).status).toBe(201);
    const again = await put(`/${name}/1.0.0/a.bin`, "two", { on: strict, headers: { "private-token": strict.tokens.personal } });
    expect(again.status).toBe(fact.value.status);
    expect(JSON.parse(again.text)).toEqual({ message: fact.value.message });
    // Per file name: another file of the version is still taken.
    expect((await put(`/${name}/1.0.0/b.bin`, "b", { on: strict, headers: { "private-token": strict.tokens.personal } })).status).toBe(201);
    expect((await call(`/${name}/1.0.0/a.bin`, { on: strict, headers: { "private-token": strict.tokens.personal } })).text).toBe("one");
  },
  async duplicateException(fact) {
    expect(fact.value.matches).toEqual(["name", "version"]);
    const headers = { "private-token": strict.tokens.personal };
    // Duplicates forbidden, but the pattern matches the name, then the version: taken.
    for (const path of [`/${fresh()}-keep/1.0.0/a.bin`, `/${fresh()}/1.0.0-keep/a.bin`]) {
      expect((await put(path, "one", { on: strict, headers })).status).toBe(201);
      expect((await put(path, "two", { on: strict, headers })).status).toBe(201);
    }
    // Duplicates allowed (the default), and the pattern matches: refused.
    const allowing = await createReferenceRegistry({ formats: [createGenericReference({ duplicateExceptionRegex: "-keep$" })] });
    try {
      const path = `/${fresh()}-keep/1.0.0/a.bin`;
      const h = { "private-token": allowing.tokens.personal };
      expect((await put(path, "one", { on: allowing, headers: h })).status).toBe(201);
      expect((await put(path, "two", { on: allowing, headers: h })).status).toBe(genericGitLabFacts.duplicateRefusal.value.status);
      expect((await put(`/${fresh()}/1.0.0/a.bin`, "one", { on: allowing, headers: h })).status).toBe(201);
    } finally {
      await allowing.close();
    }
  },
  async maxFileSize(fact) {
    expect(fact.value).toBe(5368709120);
    expect(genericReference.limits.maxFileSize).toBe(fact.value);
  },
  async overLimit(fact) {
    const limited = await createReferenceRegistry({ formats: [genericReference], limits: { generic: { maxFileSize: 1024 } } });
    try {
      const name = fresh();
      const headers = { "private-token": limited.tokens.personal };
      const over = await put(`/${name}/1.0.0/a.bin`, "x".repeat(1025), { on: limited, headers });
      expect(over.status).toBe(fact.value.status);
      expect(JSON.parse(over.text)).toEqual({ message: fact.value.message });
      expect((await call(`/${name}/1.0.0/a.bin`, { on: limited, headers })).status).toBe(404);
      expect((await put(`/${name}/1.0.0/a.bin`, "x".repeat(1024), { on: limited, headers })).status).toBe(201);
    } finally {
      await limited.close();
    }
  },
  async download(fact) {
    const name = fresh();
    await put(`/${name}/1.0.0/a.bin`, "payload");
    const got = await call(`/${name}/1.0.0/a.bin`);
    expect(got.status).toBe(fact.value.status);
    expect(got.headers.get(fact.value.checksumHeader)).toBe(sha256("payload"));
    expect(got.headers.get("content-disposition")).toMatch(/^attachment/);
    expect((await call(`/${name}/1.0.0/missing.bin`)).status).toBe(fact.value.missing);
    expect((await call(`/${name}/9.9.9/a.bin`)).status).toBe(fact.value.missing);
    expect((await call(`/no-such-${name}/1.0.0/a.bin`)).status).toBe(fact.value.missing);
  },
  async auth(fact) {
    const name = fresh();
    const t = registry.tokens;
    expect((await put(`/${name}/1.0.0/p.bin`, "p", { headers: { "PRIVATE-TOKEN": t.personal } })).status).toBe(201);
    expect((await put(`/${name}/1.0.0/d.bin`, "d", { headers: { "DEPLOY-TOKEN": t.deploy } })).status).toBe(201);
    expect((await put(`/${name}/1.0.0/j.bin`, "j", { headers: { "JOB-TOKEN": t.job } })).status).toBe(201);
    expect((await put(`/${name}/1.0.0/b.bin`, "b", { headers: { authorization: basic("anyone", t.personal) } })).status).toBe(201);
    expect((await put(`/${name}/1.0.0/a.bin`, "a", { headers: {} })).status).toBe(fact.value.anonymousUpload);
    expect((await put(`/${name}/1.0.0/r.bin`, "r", { headers: { "DEPLOY-TOKEN": t.readonlyDeploy } })).status).toBe(fact.value.readonlyUpload);
    expect((await call(`/${name}/1.0.0/p.bin`, { headers: { "DEPLOY-TOKEN": t.readonlyDeploy } })).status).toBe(200);
    expect((await call(`/${name}/1.0.0/p.bin`, { headers: { authorization: basic("gitlab-ci-token", t.job) } })).status).toBe(200);
    expect((await call(`/${name}/1.0.0/p.bin`, { headers: { "PRIVATE-TOKEN": "glpat-nobody" } })).status).toBe(401);
    // A public project serves downloads to anyone; uploads still need credentials.
    const pub = fresh();
    expect((await put(`/${pub}/1.0.0/a.bin`, "a", { on: publicRegistry, headers: { "PRIVATE-TOKEN": publicRegistry.tokens.personal } })).status).toBe(201);
    expect((await call(`/${pub}/1.0.0/a.bin`, { on: publicRegistry, headers: {} })).status).toBe(200);
    expect((await put(`/${pub}/1.0.0/b.bin`, "b", { on: publicRegistry, headers: {} })).status).toBe(fact.value.anonymousUpload);
  },
  async jobTokenBasic(fact) {
    const name = fresh();
    const job = basic("gitlab-ci-token", registry.tokens.job);
    expect((await put(`/${name}/1.0.0/a.bin`, "a", { headers: { authorization: job } })).status).toBe(fact.value.upload);
    expect((await call(`/${name}/1.0.0/a.bin`)).status).toBe(404);
    expect((await put(`/${name}/1.0.0/a.bin`, "a", { headers: { "JOB-TOKEN": registry.tokens.job } })).status).toBe(201);
    expect((await call(`/${name}/1.0.0/a.bin`, { headers: { authorization: job } })).status).toBe(fact.value.download);
  },
  async paths(fact) {
    const name = fresh();
    expect((await put(`/${name}/1.0.0/path/to/file.bin`, "nested")).status).toBe(201);
    const selected = JSON.parse((await put(`/${name}/1.0.0/path/to/other.bin?select=package_file`, "other")).text) as { file_name: string };
    expect(selected.file_name).toBe(fact.value.encoded.replace("file.bin", "other.bin"));
    expect((await call(`/${name}/1.0.0/path/to/file.bin`)).text).toBe("nested");
    expect((await call(`/${name}/1.0.0/file.bin`)).status).toBe(404);
  },
});
