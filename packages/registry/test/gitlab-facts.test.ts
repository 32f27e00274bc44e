// One test per shared GitLab fact (GITLAB_FACTS of @regkit/core), each against
// the reference registry: the answer GitLab's source gives is the answer here.
import { GITLAB_FACTS } from "@regkit/core";
import type { ReferenceRegistry } from "@regkit/registry";
import { afterAll, beforeAll, expect } from "vitest";
import { pinFacts } from "@regkit/core/vitest";
import { basic, call, startRegistry } from "./helpers.js";

let registry: ReferenceRegistry;
let publicRegistry: ReferenceRegistry;
let generic: string;
let api: string;
const file = (base: string) => `${base}/facts/1.0.0/a.txt`;

beforeAll(async () => {
  registry = await startRegistry();
  publicRegistry = await startRegistry({ visibility: "public" });
  generic = registry.registries.generic!;
  api = `${registry.url}/api/v4/projects/1/packages`;
  for (const r of [registry, publicRegistry]) {
    expect((await call(file(r.registries.generic!), { method: "PUT", headers: { "private-token": r.tokens.personal }, body: "facts" })).status).toBe(201);
  }
});

afterAll(async () => {
  await registry.close();
  await publicRegistry.close();
});

async function packageId(name = "facts"): Promise<number> {
  const res = await call(`${api}?package_name=${name}`, { headers: { "private-token": registry.tokens.personal } });
  const [first] = res.json() as { id: number }[];
  if (!first) throw new Error(`no package ${name} listed`);
  return first.id;
}

pinFacts(GITLAB_FACTS, {
  async realm(fact) {
    const res = await call(file(generic));
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe(`Basic realm="${fact.value}"`);
  },
  async jobTokenUsername(fact) {
    expect((await call(file(generic), { headers: { authorization: basic(fact.value, registry.tokens.job) } })).status).toBe(200);
    expect((await call(file(generic), { headers: { authorization: basic(fact.value, "glcbt-nobody") } })).status).toBe(401);
    // Another username: not read as a job token; on a public project that reads as anonymous.
    expect((await call(file(publicRegistry.registries.generic!), { headers: { authorization: basic("someone", "glcbt-nobody") } })).status).toBe(200);
  },
  async basicUsernameIgnored() {
    for (const username of ["someone", registry.tokens.readonlyDeployUsername, "x"]) {
      expect((await call(file(generic), { headers: { authorization: basic(username, registry.tokens.deploy) } })).status).toBe(200);
      expect((await call(file(generic), { headers: { authorization: basic(username, registry.tokens.personal) } })).status).toBe(200);
    }
  },
  async invalidCredentials() {
    const pub = file(publicRegistry.registries.generic!);
    const refused: Record<string, string>[] = [{ "private-token": "glpat-nobody" }, { "job-token": "glcbt-nobody" }, { authorization: basic("gitlab-ci-token", "nope") }];
    for (const headers of refused) {
      expect((await call(pub, { headers })).status, JSON.stringify(headers)).toBe(401);
    }
    expect((await call(`${publicRegistry.registries.tokenish!}/facts/1.0.0/a.txt`, { headers: { authorization: "Bearer glpat-nobody" } })).status).toBe(401);
    const ignored: Record<string, string>[] = [{ "deploy-token": "gldt-nobody" }, { authorization: basic("anyone", "glpat-nobody") }];
    for (const headers of ignored) {
      expect((await call(pub, { headers })).status, JSON.stringify(headers)).toBe(200);
    }
  },
  async destroyNeedsMaintainer(fact) {
    const id = await packageId();
    expect((await call(`${api}/${id}`, { method: "DELETE", headers: { "private-token": registry.tokens.developer } })).status).toBe(fact.value);
    // The same Developer may publish.
    expect((await call(`${generic}/dev/1.0.0/a.txt`, { method: "PUT", headers: { "private-token": registry.tokens.developer }, body: "x" })).status).toBe(201);
  },
  async restApiCredentials() {
    expect((await call(api, { headers: { "private-token": registry.tokens.personal } })).status).toBe(200);
    expect((await call(api, { headers: { authorization: `Bearer ${registry.tokens.personal}` } })).status).toBe(200);
    expect((await call(api, { headers: { "job-token": registry.tokens.job } })).status).toBe(200);
    expect((await call(api, { headers: { "deploy-token": registry.tokens.deploy } })).status).toBe(404);
    expect((await call(api, { headers: { authorization: basic("x", registry.tokens.personal) } })).status).toBe(404);
  },
  async restApiAnonymousPrivate(fact) {
    const res = await call(api);
    expect(res.status).toBe(fact.value);
    expect(res.json()).toEqual({ message: "404 Project Not Found" });
    expect((await call(`${publicRegistry.url}/api/v4/projects/1/packages`)).status).toBe(200);
  },
  async foreignJobToken(fact) {
    const res = await call(api, { headers: { "job-token": registry.tokens.other.job } });
    expect(res.status).toBe(fact.value);
    expect((res.json() as { message: string }).message).toMatch(/Authentication by CI\/CD job token not allowed from .* to regkit\/demo\./);
  },
  async packagesApiDelete(fact) {
    expect((await call(`${generic}/gone/1.0.0/a.txt`, { method: "PUT", headers: { "private-token": registry.tokens.personal }, body: "x" })).status).toBe(201);
    const id = await packageId("gone");
    expect((await call(`${api}/${id}`, { method: "DELETE", headers: { "private-token": registry.tokens.personal } })).status).toBe(fact.value);
    expect((await call(`${api}/${id}`, { method: "DELETE", headers: { "private-token": registry.tokens.personal } })).status).toBe(404);
  },
  async packagesApiNameFilter(fact) {
    const headers = { "private-token": registry.tokens.personal };
    const fuzzy = await call(`${api}?package_name=ACT`, { headers });
    expect((fuzzy.json() as { name: string }[]).map((p) => p.name)).toContain("facts");
    const paged = await call(`${api}?per_page=1000`, { headers });
    expect(paged.headers["x-per-page"]).toBe(String(fact.value.maxPerPage));
    expect((await call(api, { headers })).headers["x-per-page"]).toBe(String(fact.value.perPage));
    expect(paged.headers["x-next-page"]).toBe("");
  },
  async groupSettings(fact) {
    expect(fact.value).toContain("generic");
    const res = await call(`${registry.url}/api/graphql`, {
      method: "POST",
      headers: { "private-token": registry.tokens.personal, "content-type": "application/json" },
      body: JSON.stringify({ query: 'mutation { updateNamespacePackageSettings(input: { namespacePath: "regkit", tokenishDuplicatesAllowed: false }) { errors } }' }),
    });
    expect((res.json() as { errors?: unknown[] }).errors).toHaveLength(1);
    expect((await call(`${registry.url}/api/v4/groups/regkit/-/packages/settings`, { headers: { "private-token": registry.tokens.personal } })).status).toBe(404);
  },
  async planLimits() {
    const limits = `${registry.url}/api/v4/application/plan_limits`;
    expect((await call(limits)).status).toBe(401);
    expect((await call(limits, { headers: { "private-token": registry.tokens.developer } })).status).toBe(403);
    expect((await call(limits, { headers: { "private-token": registry.tokens.personal } })).json()).toHaveProperty("generic_max_file_size");
    expect((await call(`${limits}?generic_max_file_size=1`, { method: "PUT", headers: { "private-token": registry.tokens.personal } })).status).toBe(400);
  },
  async featureFlags(fact) {
    const url = `${registry.url}/api/v4/features/pypi_pep_691_json`;
    expect((await call(`${url}?value=true`, { method: "POST", headers: { "private-token": registry.tokens.developer } })).status).toBe(403);
    const on = await call(`${url}?value=true`, { method: "POST", headers: { "private-token": registry.tokens.personal } });
    expect(on.status).toBe(fact.value);
    expect(on.json()).toMatchObject({ name: "pypi_pep_691_json", state: "on" });
    expect(registry.features().pypi_pep_691_json).toBe(true);
    registry.setFeature("pypi_pep_691_json", false);
    expect(registry.features().pypi_pep_691_json).toBe(false);
  },
});
