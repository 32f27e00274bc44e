// One test per GitLab fact of the Terraform kit (terraformGitLabFacts), each
// against the reference registry: the answer GitLab's source gives is the
// answer here. Plain fetch, so what is pinned is the wire, not the adapter.
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { pinFacts, referenceCaller } from "@regkit/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { terraformGitLabFacts } from "@regkit/terraform";
import { terraformReference } from "@regkit/terraform/reference";

let registry: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [terraformReference], limits: { terraform: { maxFileSize: 1024 } } });
});
afterAll(async () => {
  await registry?.close();
});

const call = referenceCaller("terraform", () => registry);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });

let counter = 0;
/** A fresh module name per test. */
function fresh(): string {
  counter += 1;
  return `fact-${counter}`;
}

const upload = (name: string, version: string, body = "archive", headers?: Record<string, string>) => call(`/modules/${name}/local/${version}/file`, { method: "PUT", body, headers });
/** The protocol base (`/api/v4/packages/terraform/modules/v1/`) on the registry. */
const v1 = () => `${registry.url}${terraformGitLabFacts.discovery.value.modulesV1}`;
const read = (path: string, headers: Record<string, string> = bearer(registry.tokens.personal)) => call(`${v1()}${path}`, { headers });

/** The file URL a download answer names, absolute. */
async function fileUrl(name: string, version: string, headers?: Record<string, string>): Promise<string> {
  const res = await read(`regkit/${name}/local/${version}/download`, headers);
  expect(res.status).toBe(204);
  return new URL(res.headers.get("x-terraform-get")!, registry.url).href;
}

pinFacts(terraformGitLabFacts, {
  async discovery(fact) {
    const res = await fetch(`${registry.url}${fact.value.path}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ "modules.v1": fact.value.modulesV1 });
  },
  async routes(fact) {
    const name = fresh();
    expect(fact.value).toEqual({ upload: ["project"], protocol: ["instance"] });
    expect((await upload(name, "1.0.0")).status).toBe(201);
    // The protocol at instance level only, the upload at project level only.
    expect((await read(`regkit/${name}/local/versions`)).status).toBe(200);
    expect((await call(`${registry.groupRegistries.terraform}/modules/v1/regkit/${name}/local/versions`, { headers: bearer(registry.tokens.personal) })).status).toBe(404);
    expect((await call(`${registry.instanceRegistries.terraform}/modules/${name}/local/1.0.1/file`, { method: "PUT", body: "x" })).status).toBe(404);
  },
  async namespace(fact) {
    const name = fresh();
    expect(fact.value.kind).toBe("group");
    await upload(name, "1.0.0");
    expect(JSON.parse((await read(`regkit/${name}/local/versions`)).text).modules[0].versions).toHaveLength(1);
    // Another namespace: not the group the caller's packages are in.
    expect((await read(`elsewhere/${name}/local/versions`)).status).toBe(403);
  },
  async uploadAuth(fact) {
    const name = fresh();
    expect((await upload(name, "1.0.0", "x", {})).status).toBe(fact.value.anonymous);
    expect((await upload(name, "1.0.0", "x", { "deploy-token": registry.tokens.readonlyDeploy })).status).toBe(fact.value.readOnly);
    // Bearer is not read on the upload: no credentials at all.
    expect((await upload(name, "1.0.0", "x", bearer(registry.tokens.personal))).status).toBe(fact.value.anonymous);
    expect((await upload(name, "1.0.0", "x", { "job-token": registry.tokens.job })).status).toBe(201);
    expect((await upload(name, "1.0.1", "x", { "deploy-token": registry.tokens.deploy })).status).toBe(201);
    expect((await upload(name, "1.0.2", "x", { "private-token": registry.tokens.personal })).status).toBe(201);
  },
  async readAuth(fact) {
    const name = fresh();
    await upload(name, "1.0.0");
    for (const token of [registry.tokens.personal, registry.tokens.deploy, registry.tokens.job, registry.tokens.readonlyDeploy]) {
      expect((await read(`regkit/${name}/local/versions`, bearer(token))).status).toBe(200);
    }
    expect((await read(`regkit/${name}/local/versions`, bearer("glpat-not-issued"))).status).toBe(fact.value.invalid);
    expect((await read(`regkit/${name}/local/versions`, {})).status).toBe(fact.value.anonymousPrivate);
    // The token headers are not read by the protocol's routes.
    expect((await read(`regkit/${name}/local/versions`, { "private-token": registry.tokens.personal })).status).toBe(fact.value.anonymousPrivate);
  },
  async uploadStatus(fact) {
    const name = fresh();
    const res = await upload(name, "1.0.0", "the archive");
    expect(res.status).toBe(fact.value.status);
    expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
    // Stored as <name>/<system> with one file <name>-<system>-<version>.tgz (the Packages API lists it).
    const listed = await call(`${registry.url}/api/v4/projects/1/packages?package_name=${name}`);
    expect((JSON.parse(listed.text) as { name: string; version: string }[]).map((p) => [p.name, p.version])).toEqual([[`${name}/local`, "1.0.0"]]);
    const url = await fileUrl(name, "1.0.0");
    const file = await fetch(url);
    expect(file.status).toBe(200);
    expect(await file.text()).toBe("the archive");
    expect(file.headers.get("content-disposition")).toContain(`${name}-local-1.0.0.tgz`);
  },
  async nameRule(fact) {
    for (const bad of ["Upper", "under_score", "dot.ted"]) {
      const res = await upload(bad, "1.0.0");
      expect(res.status).toBe(fact.value.status);
      expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
    }
    expect(fact.value.rule.test("my-module/my-system")).toBe(true);
    expect((await upload(`ok-${fresh()}`, "1.0.0")).status).toBe(201);
  },
  async versionRule(fact) {
    const name = fresh();
    for (const bad of ["v1.0.0", "1.0", "01.2.3", "1.2.3.4"]) {
      const res = await upload(name, bad);
      expect(res.status).toBe(fact.value.status);
    }
    for (const good of ["1.0.0", "1.2.3-rc.1", "1.2.3-rc.1+build.5"]) expect((await upload(name, encodeURIComponent(good))).status).toBe(201);
    const listed = JSON.parse((await read(`regkit/${name}/local/versions`)).text).modules[0].versions.map((v: { version: string }) => v.version);
    expect(listed).toEqual(["1.0.0", "1.2.3-rc.1", "1.2.3-rc.1+build.5"]);
  },
  async duplicateVersion(fact) {
    const name = fresh();
    expect((await upload(name, "1.0.0", "first")).status).toBe(201);
    const again = await upload(name, "1.0.0", "second", { "deploy-token": registry.tokens.deploy });
    expect(again.status).toBe(fact.value.status);
    expect(JSON.parse(again.text)).toEqual({ message: fact.value.message });
    expect(await (await fetch(await fileUrl(name, "1.0.0"))).text()).toBe("first");
  },
  async maxFileSize(fact) {
    expect(fact.value).toBe(1024 ** 3);
    expect(terraformReference.limits.maxFileSize).toBe(fact.value);
  },
  async overLimit(fact) {
    const name = fresh();
    const res = await upload(name, "1.0.0", "x".repeat(2048));
    expect(res.status).toBe(fact.value.status);
    expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
    expect(JSON.parse((await read(`regkit/${name}/local/versions`)).text).modules[0].versions).toEqual([]);
  },
  async versions(fact) {
    const name = fresh();
    const none = await read(`regkit/${name}/local/versions`);
    expect(none.status).toBe(fact.value.status);
    expect(JSON.parse(none.text)).toEqual({ modules: [{ versions: [] }] });
    await upload(name, "1.0.0");
    expect(JSON.parse((await read(`regkit/${name}/local/versions`)).text)).toEqual({
      modules: [{ versions: [{ version: "1.0.0", submodules: [], root: { dependencies: [], providers: [{ name: "local", version: "" }] } }], source: `${registry.url}/regkit/demo` }],
    });
  },
  async download(fact) {
    const name = fresh();
    await upload(name, "1.0.0");
    const res = await read(`regkit/${name}/local/1.0.0/download`);
    expect(res.status).toBe(fact.value.status);
    expect(res.headers.get(fact.value.header)).toMatch(new RegExp(`^/api/v4/packages/terraform/modules/v1/regkit/${name}/local/1\\.0\\.0/file\\?token=eyJ[^&]+&archive=tgz$`));
    expect((await read(`regkit/${name}/local/2.0.0/download`)).status).toBe(fact.value.missing);
  },
  async fileToken(fact) {
    const name = fresh();
    await upload(name, "1.0.0", "tokened");
    const url = await fileUrl(name, "1.0.0");
    // No registry credentials on the file URL: its token is the credential.
    const res = await fetch(url);
    expect(res.status).toBe(fact.value.status);
    expect(await res.text()).toBe("tokened");
    const bare = url.replace(/token=[^&]*/, "token=");
    expect((await fetch(bare, { headers: bearer(registry.tokens.personal) })).status).toBe(fact.value.invalid);
    expect((await fetch(url.replace(/token=[^&]*/, "token=invalid-token123"))).status).toBe(fact.value.invalid);
    // A forged signature.
    const token = new URL(url).searchParams.get("token")!;
    const forged = `${token.slice(0, token.lastIndexOf(".") + 1)}${Buffer.from("forged").toString("base64url")}`;
    expect((await fetch(url.replace(token, forged))).status).toBe(fact.value.invalid);
    expect(fact.value.expiresInSeconds).toBe(300);
    const claims = JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(fact.value.expiresInSeconds);
  },
  async latest(fact) {
    const name = fresh();
    expect((await read(`regkit/${name}/local/download`)).status).toBe(fact.value.missing);
    for (const v of ["1.2.0", "1.10.0", "1.9.0", "2.0.0-rc.1"]) await upload(name, v);
    const res = await fetch(`${v1()}regkit/${name}/local/download`, { headers: bearer(registry.tokens.personal), redirect: "manual" });
    expect(res.status).toBe(fact.value.redirect);
    expect(res.headers.get("location")).toMatch(new RegExp(`/regkit/${name}/local/2\\.0\\.0-rc\\.1/download$`));
    const details = JSON.parse((await read(`regkit/${name}/local`)).text) as Record<string, unknown>;
    expect(details).toMatchObject({ name: `${name}/local`, provider: "local", providers: ["local"], version: "2.0.0-rc.1", versions: ["2.0.0-rc.1"], submodules: [] });
  },
  async projectDownload(fact) {
    const name = fresh();
    await upload(name, "1.0.0", "by project");
    const user = basic(registry.tokens.personalUsername, registry.tokens.personal);
    const got = await call(`/modules/${name}/local/1.0.0`, { headers: user });
    expect(got.status).toBe(200);
    expect(got.text).toBe("by project");
    const flagged = await call(`/modules/${name}/local/1.0.0?terraform-get=1`, { headers: user });
    expect(flagged.status).toBe(fact.value.terraformGet);
    expect(flagged.headers.get("x-terraform-get")).toMatch(new RegExp(`/modules/${name}/local/1\\.0\\.0\\?archive=tgz$`));
    // Usernames are checked: a personal token under another name is refused.
    expect((await call(`/modules/${name}/local/1.0.0`, { headers: basic("someone-else", registry.tokens.personal) })).status).toBe(401);
    expect((await call(`/modules/${name}/local/1.0.0`, { headers: basic(registry.tokens.deployUsername, registry.tokens.deploy) })).status).toBe(200);
  },
  async namespaceSpec(fact) {
    const name = fresh();
    await upload(name, "1.0.0");
    await upload(`conflict-${name}`, "2.0.0");
    expect(fact.value.exactName).toBe(true);
    expect(JSON.parse((await read(`regkit/${name}/local/versions`)).text).modules[0].versions.map((v: { version: string }) => v.version)).toEqual(["1.0.0"]);
  },
});
