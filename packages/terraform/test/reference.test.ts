// The reference registry's Terraform routes beyond the facts: where it hands
// the endpoint out, the download token's life, go-getter's HEAD, the
// project-level latest download, and what it answers for unknown things.
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { referenceCaller } from "@regkit/testkit";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueDownloadToken, redeemDownloadToken, terraformReference } from "@regkit/terraform/reference";

let registry: ReferenceRegistry;
beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [terraformReference] });
});
afterAll(async () => {
  await registry?.close();
});

const call = referenceCaller("terraform", () => registry);
const bearer = () => ({ authorization: `Bearer ${registry.tokens.personal}` });
const v1 = (path: string) => `${registry.url}/api/v4/packages/terraform/modules/v1/${path}`;
const upload = (name: string, version: string, body = "archive") => call(`/modules/${name}/local/${version}/file`, { method: "PUT", body });

describe("the reference's Terraform endpoint", () => {
  it("names the project by path, so the module namespace can be read from it", () => {
    expect(registry.registries.terraform).toBe(`${registry.url}/api/v4/projects/regkit%2Fdemo/packages/terraform`);
  });

  it("serves the same project by id", async () => {
    const res = await call(`${registry.url}/api/v4/projects/1/packages/terraform/modules/by-id/local/1.0.0/file`, { method: "PUT", body: "x" });
    expect(res.status).toBe(201);
  });
});

describe("the download token", () => {
  it("is a JWT that expires after five minutes", () => {
    const store = {} as never;
    const now = Date.now();
    const token = issueDownloadToken(store, now);
    expect(token.split(".")).toHaveLength(3);
    expect(redeemDownloadToken(token, now + 299_000)).toBe(store);
    expect(redeemDownloadToken(token, now + 301_000)).toBeUndefined();
    expect(redeemDownloadToken(null, now)).toBeUndefined();
    expect(redeemDownloadToken("a.b.c", now)).toBeUndefined();
  });

  it("answers go-getter's HEAD like the GET, without a body", async () => {
    await upload("head", "1.0.0", "head me");
    const where = await call(v1("regkit/head/local/1.0.0/download"), { headers: bearer() });
    const url = new URL(where.headers.get("x-terraform-get")!, registry.url);
    const head = await fetch(url, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe("7");
  });
});

describe("reads", () => {
  it("answers 404 for a version nobody published, and for a non-SemVer one", async () => {
    await upload("reads", "1.0.0");
    expect((await call(v1("regkit/reads/local/2.0.0"), { headers: bearer() })).status).toBe(404);
    expect((await call(v1("regkit/reads/local/v1.0.0/download"), { headers: bearer() })).status).toBe(404);
    expect((await call(v1("regkit/reads/local/1.0.0"), { headers: bearer() })).status).toBe(200);
  });

  it("serves the latest version by SemVer from the project-level route", async () => {
    for (const v of ["1.2.0", "1.10.0", "1.9.0"]) await upload("project-latest", v, v);
    const user = { authorization: `Basic ${Buffer.from(`${registry.tokens.personalUsername}:${registry.tokens.personal}`).toString("base64")}` };
    const res = await call("/modules/project-latest/local", { headers: user });
    expect(res.status).toBe(200);
    expect(res.text).toBe("1.10.0");
    expect((await call("/modules/project-latest/local?terraform-get=2", { headers: user })).status).toBe(400);
  });

  it("lets the other project's token read only what it may: nothing of regkit/demo", async () => {
    await upload("scoped", "1.0.0");
    const res = await call(v1("regkit/scoped/local/versions"), { headers: { authorization: `Bearer ${registry.tokens.other.personal}` } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ modules: [{ versions: [] }] });
  });
});
