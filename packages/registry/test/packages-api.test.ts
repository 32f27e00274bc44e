// GitLab's Packages API at project level, as the reference registry serves it:
// what regkit's cleanup uses for formats whose protocol cannot delete.
import type { ReferenceRegistry } from "@regkit/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basic, call, startRegistry } from "./helpers.js";

let registry: ReferenceRegistry;
let api: string;
let generic: string;
let personal: Record<string, string>;

interface Listed {
  id: number;
  name: string;
  version: string | null;
  package_type: string;
}

beforeAll(async () => {
  registry = await startRegistry();
  api = `${registry.url}/api/v4/projects/1/packages`;
  generic = `${api}/generic`;
  personal = { "private-token": registry.tokens.personal };
  for (const [name, version] of [["api-alpha", "1.0.0"], ["api-alpha", "2.0.0"], ["api-beta", "1.0.0"]] as const) {
    expect((await call(`${generic}/${name}/${version}/f.txt`, { method: "PUT", headers: personal, body: `${name} ${version}` })).status).toBe(201);
  }
  expect((await call(`${api}/tokenish/api-alpha/1.0.0/f.txt`, { method: "PUT", headers: personal, body: "other format" })).status).toBe(201);
});

afterAll(async () => {
  await registry.close();
});

const list = async (query: string, headers = personal) => {
  const res = await call(`${api}?${query}`, { headers });
  return { status: res.status, headers: res.headers, items: res.status === 200 ? (res.json() as Listed[]) : [] };
};

describe("GET /projects/:id/packages", () => {
  it("lists every version with a stable id, filtered by type, fuzzy name and version", async () => {
    const all = await list("per_page=100");
    expect(all.status).toBe(200);
    expect(all.items.map((p) => `${p.package_type} ${p.name} ${p.version}`).sort()).toEqual(
      ["generic api-alpha 1.0.0", "generic api-alpha 2.0.0", "generic api-beta 1.0.0", "tokenish api-alpha 1.0.0"],
    );
    const again = await list("per_page=100");
    expect(again.items.map((p) => p.id)).toEqual(all.items.map((p) => p.id));

    expect((await list("package_type=generic&package_name=ALPHA")).items.map((p) => p.version).sort()).toEqual(["1.0.0", "2.0.0"]);
    expect((await list("package_type=generic&package_name=alpha&package_version=2.0.0")).items).toHaveLength(1);
    expect((await list("package_type=tokenish")).items).toHaveLength(1);
  });

  it("pages with per_page and page, and says where the next page is", async () => {
    const first = await list("per_page=3&page=1");
    expect(first.items).toHaveLength(3);
    expect(first.headers["x-total"]).toBe("4");
    expect(first.headers["x-next-page"]).toBe("2");
    const second = await list("per_page=3&page=2");
    expect(second.items).toHaveLength(1);
    expect(second.headers["x-next-page"]).toBe("");
    expect(new Set([...first.items, ...second.items].map((p) => p.id)).size).toBe(4);
  });

  it("takes the REST API's credentials only: no Basic, no deploy tokens, not another project's token", async () => {
    // GITLAB_FACTS.restApiCredentials / restApiAnonymousPrivate: what the REST API ignores is anonymous, and a private project is hidden.
    expect((await list("", {})).status).toBe(404);
    expect((await list("", { "private-token": "glpat-wrong" })).status).toBe(401);
    expect((await list("", { "deploy-token": registry.tokens.deploy })).status).toBe(404);
    expect((await list("", { authorization: basic("anyone", registry.tokens.personal) })).status).toBe(404);
    expect((await list("", { "private-token": registry.tokens.other.personal })).status).toBe(404);
    expect((await list("", { "job-token": registry.tokens.other.job })).status).toBe(403);
    expect((await list("", { "job-token": registry.tokens.job })).status).toBe(200);
    expect((await list("", { authorization: `Bearer ${registry.tokens.personal}` })).status).toBe(200);
  });
});

describe("DELETE /projects/:id/packages/:package_id", () => {
  it("removes that one version and nothing else; a second delete is 404", async () => {
    const [target] = (await list("package_type=generic&package_name=api-alpha&package_version=1.0.0")).items;
    expect(target).toBeDefined();
    expect((await call(`${api}/${target!.id}`, { method: "DELETE", headers: personal })).status).toBe(204);
    expect((await call(`${generic}/api-alpha/1.0.0/f.txt`, { headers: personal })).status).toBe(404);
    expect((await call(`${generic}/api-alpha/2.0.0/f.txt`, { headers: personal })).text).toBe("api-alpha 2.0.0");
    expect((await call(`${api}/tokenish/api-alpha/1.0.0/f.txt`, { headers: personal })).text).toBe("other format");
    expect((await call(`${api}/${target!.id}`, { method: "DELETE", headers: personal })).status).toBe(404);
  });

  it("needs a Maintainer: a Developer gets 403, deploy tokens are not read", async () => {
    const [target] = (await list("package_name=api-beta")).items;
    expect((await call(`${api}/${target!.id}`, { method: "DELETE", headers: { "private-token": registry.tokens.other.personal } })).status).toBe(404);
    expect((await call(`${api}/${target!.id}`, { method: "DELETE", headers: { "deploy-token": registry.tokens.deploy } })).status).toBe(404);
    expect((await call(`${api}/${target!.id}`, { method: "DELETE", headers: { "private-token": registry.tokens.developer } })).status).toBe(403);
    expect((await call(`${api}/999999`, { method: "DELETE", headers: { "private-token": registry.tokens.developer } })).status).toBe(403);
    expect((await call(`${api}/${target!.id}`, { method: "DELETE", headers: { "job-token": registry.tokens.job } })).status).toBe(204);
  });
});
