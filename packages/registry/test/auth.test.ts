import type { ReferenceRegistry } from "@regkit/registry";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { basic, call, startRegistry } from "./helpers.js";

let registry: ReferenceRegistry;
let generic: string;
let tokenish: string;
let publicRegistry: ReferenceRegistry;
let publicGeneric: string;

beforeAll(async () => {
  publicRegistry = await startRegistry({ visibility: "public" });
  publicGeneric = publicRegistry.registries.generic!;
  expect((await call(`${publicGeneric}/pkg/1.0.0/a.txt`, { method: "PUT", headers: { "private-token": publicRegistry.tokens.personal }, body: "demo" })).status).toBe(201);
  registry = await startRegistry();
  generic = registry.registries.generic!;
  tokenish = registry.registries.tokenish!;
  const t = registry.tokens;
  for (const base of [generic, tokenish]) {
    expect((await call(`${base}/pkg/1.0.0/a.txt`, { method: "PUT", headers: { "private-token": t.personal }, body: "demo" })).status).toBe(201);
  }
  const other = `${registry.url}/api/v4/projects/2/packages/generic`;
  expect((await call(`${other}/theirs/1.0.0/a.txt`, { method: "PUT", headers: { "private-token": t.other.personal }, body: "other" })).status).toBe(201);
});

afterAll(async () => {
  await registry.close();
  await publicRegistry.close();
});

describe("reads of a private project", () => {
  const accepted: [string, (r: ReferenceRegistry) => Record<string, string>][] = [
    ["PRIVATE-TOKEN personal", (r) => ({ "private-token": r.tokens.personal })],
    ["DEPLOY-TOKEN deploy", (r) => ({ "deploy-token": r.tokens.deploy })],
    ["JOB-TOKEN job", (r) => ({ "job-token": r.tokens.job })],
    ["DEPLOY-TOKEN read-only deploy", (r) => ({ "deploy-token": r.tokens.readonlyDeploy })],
    ["Basic, any username, personal", (r) => ({ authorization: basic("anyone", r.tokens.personal) })],
    // GITLAB_FACTS.basicUsernameIgnored: only the password of a deploy token is read.
    ["Basic, any username, deploy", (r) => ({ authorization: basic("someone", r.tokens.deploy) })],
    ["Basic, another deploy token's username, deploy", (r) => ({ authorization: basic(r.tokens.readonlyDeployUsername, r.tokens.deploy) })],
    ["Basic, deploy username, deploy", (r) => ({ authorization: basic(r.tokens.deployUsername, r.tokens.deploy) })],
    ["Basic, gitlab-ci-token, job", (r) => ({ authorization: basic("gitlab-ci-token", r.tokens.job) })],
    [
      "Basic, read-only username, read-only deploy",
      (r) => ({ authorization: basic(r.tokens.readonlyDeployUsername, r.tokens.readonlyDeploy) }),
    ],
  ];
  it.each(accepted)("accepts %s", async (_, headers) => {
    const res = await call(`${generic}/pkg/1.0.0/a.txt`, { headers: headers(registry) });
    expect(res.status).toBe(200);
    expect(res.text).toBe("demo");
  });

  const refused: [string, (r: ReferenceRegistry) => Record<string, string>][] = [
    ["an unknown PRIVATE-TOKEN", () => ({ "private-token": "glpat-nobody-issued-this" })],
    ["a deploy token in PRIVATE-TOKEN", (r) => ({ "private-token": r.tokens.deploy })],
    ["a personal token in JOB-TOKEN", (r) => ({ "job-token": r.tokens.personal })],
    ["gitlab-ci-token with a token no job has", () => ({ authorization: basic("gitlab-ci-token", "glcbt-nobody-issued-this") })],
    ["a valid header next to an invalid one", (r) => ({ "private-token": r.tokens.personal, "job-token": "nope" })],
  ];
  it.each(refused)("refuses %s with 401", async (_, headers) => {
    const res = await call(`${generic}/pkg/1.0.0/a.txt`, { headers: headers(registry) });
    expect(res.status).toBe(401);
    expect(res.json()).toEqual({ message: "401 Unauthorized" });
  });

  // GITLAB_FACTS.invalidCredentials: these are no credential at all, so a private project answers as to anyone anonymous.
  const anonymous: [string, (r: ReferenceRegistry) => Record<string, string>][] = [
    ["Basic with an empty username", (r) => ({ authorization: basic("", r.tokens.personal) })],
    ["Basic with a job token not as gitlab-ci-token", (r) => ({ authorization: basic("regkit-user", r.tokens.job) })],
    ["Basic with an unknown password", () => ({ authorization: basic("anyone", "glpat-nobody-issued-this") })],
    ["an unknown DEPLOY-TOKEN", () => ({ "deploy-token": "gldt-nobody-issued-this" })],
  ];
  it.each(anonymous)("treats %s as anonymous", async (_, headers) => {
    const res = await call(`${generic}/pkg/1.0.0/a.txt`, { headers: headers(registry) });
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Basic realm="GitLab Packages Registry"');
    const publicRead = await call(`${publicGeneric}/pkg/1.0.0/a.txt`, { headers: headers(publicRegistry) });
    expect(publicRead.status).toBe(200);
  });

  it("challenges anonymous callers with Basic where the format takes Basic", async () => {
    const res = await call(`${generic}/pkg/1.0.0/a.txt`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Basic realm="GitLab Packages Registry"');
  });

  it("challenges with Bearer where the format takes no Basic", async () => {
    const res = await call(`${tokenish}/pkg/1.0.0/a.txt`);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Bearer realm="GitLab Packages Registry"');
  });

  it("accepts every kind's token as a Bearer where the format takes Bearer", async () => {
    const t = registry.tokens;
    for (const token of [t.personal, t.deploy, t.job, t.readonlyDeploy]) {
      const res = await call(`${tokenish}/pkg/1.0.0/a.txt`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
    }
    const invalid = await call(`${tokenish}/pkg/1.0.0/a.txt`, { headers: { authorization: "Bearer glpat-nobody-issued-this" } });
    expect(invalid.status).toBe(401);
  });

  it("ignores credentials sent in a way the format does not take", async () => {
    const bearerOnGeneric = await call(`${generic}/pkg/1.0.0/a.txt`, {
      headers: { authorization: `Bearer ${registry.tokens.personal}` },
    });
    expect(bearerOnGeneric.status).toBe(401);
    expect(bearerOnGeneric.headers["www-authenticate"]).toMatch(/^Basic /);
    const basicOnTokenish = await call(`${tokenish}/pkg/1.0.0/a.txt`, {
      headers: { authorization: basic("anyone", registry.tokens.personal) },
    });
    expect(basicOnTokenish.status).toBe(401);
  });

  it("hides the project from another project's tokens", async () => {
    const o = registry.tokens.other;
    const forms: Record<string, string>[] = [
      { "private-token": o.personal },
      { "deploy-token": o.deploy },
      { "job-token": o.job },
      { authorization: basic(o.deployUsername, o.deploy) },
    ];
    for (const headers of forms) {
      const res = await call(`${generic}/pkg/1.0.0/a.txt`, { headers });
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({ message: "404 Project Not Found" });
    }
    const own = await call(`${registry.url}/api/v4/projects/2/packages/generic/theirs/1.0.0/a.txt`, {
      headers: { "deploy-token": o.deploy },
    });
    expect(own.status).toBe(200);
    expect(own.text).toBe("other");
  });

  it("lets public routes through without reading credentials (GitLab's public NuGet endpoints)", async () => {
    expect((await call(`${generic}/`)).status).toBe(200);
    expect((await call(`${generic}/`, { headers: { "private-token": "wrong" } })).status).toBe(200);
    expect((await call(`${generic}/`, { headers: { authorization: basic("gitlab-ci-token", "wrong") } })).status).toBe(200);
  });
});

describe("writes", () => {
  it("accept personal, deploy and job tokens, each as its own principal", async () => {
    const t = registry.tokens;
    const writers: [string, Record<string, string>, string][] = [
      ["personal", { "private-token": t.personal }, "regkit-user"],
      ["deploy", { authorization: basic(t.deployUsername, t.deploy) }, t.deployUsername],
      ["job", { authorization: basic("gitlab-ci-token", t.job) }, "regkit-user"],
    ];
    for (const [kind, headers, name] of writers) {
      const put = await call(`${generic}/by-${kind}/1.0.0/f.bin`, { method: "PUT", headers, body: kind });
      expect(put.status, kind).toBe(201);
      const listing = (await call(`${generic}/by-${kind}`, { headers: { "private-token": t.personal } })).json() as {
        versions: { metadata: unknown }[];
      };
      expect(listing.versions[0]?.metadata).toEqual({ by: name, kind });
    }
  });

  it("refuses the read-only deploy token with 403", async () => {
    const t = registry.tokens;
    const forms: Record<string, string>[] = [
      { "deploy-token": t.readonlyDeploy },
      { authorization: basic(t.readonlyDeployUsername, t.readonlyDeploy) },
    ];
    for (const headers of forms) {
      const res = await call(`${generic}/ro/1.0.0/f.bin`, { method: "PUT", headers, body: "x" });
      expect(res.status).toBe(403);
      expect(res.json()).toEqual({ message: "403 Forbidden" });
    }
    expect((await call(`${generic}/ro`, { headers: { "private-token": t.personal } })).status).toBe(404);
  });

  it("refuses anonymous, invalid and other-project writers", async () => {
    const anonymous = await call(`${generic}/nope/1.0.0/f.bin`, { method: "PUT", body: "x" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic /);
    const invalid = await call(`${generic}/nope/1.0.0/f.bin`, {
      method: "PUT",
      headers: { "private-token": "glpat-nobody-issued-this" },
      body: "x",
    });
    expect(invalid.status).toBe(401);
    const other = await call(`${generic}/nope/1.0.0/f.bin`, {
      method: "PUT",
      headers: { "private-token": registry.tokens.other.personal },
      body: "x",
    });
    expect([403, 404]).toContain(other.status);
    expect((await call(`${generic}/nope`, { headers: { "private-token": registry.tokens.personal } })).status).toBe(404);
  });
});

describe("projects and groups", () => {
  it("finds a project by id and by URL-encoded path", async () => {
    const headers = { "private-token": registry.tokens.personal };
    for (const id of ["1", "regkit%2Fdemo", "regkit%2fdemo"]) {
      const res = await call(`${registry.url}/api/v4/projects/${id}/packages/generic/pkg/1.0.0/a.txt`, { headers });
      expect(res.status, id).toBe(200);
      expect(res.text).toBe("demo");
    }
    const other = await call(`${registry.url}/api/v4/projects/regkit%2Fother/packages/generic/theirs/1.0.0/a.txt`, {
      headers: { "private-token": registry.tokens.other.personal },
    });
    expect(other.text).toBe("other");
  });

  it("answers 404 Project Not Found for unknown projects", async () => {
    for (const id of ["99", "regkit%2Fnothing"]) {
      const res = await call(`${registry.url}/api/v4/projects/${id}/packages/generic/pkg/1.0.0/a.txt`, {
        headers: { "private-token": registry.tokens.personal },
      });
      expect(res.status).toBe(404);
      expect(res.json()).toEqual({ message: "404 Project Not Found" });
    }
  });

  it("serves group-level reads from the first project the caller may read that has the package", async () => {
    const group = registry.groupRegistries.generic!;
    const t = registry.tokens;
    // Same package in both projects: each caller gets their own project's copy.
    await call(`${registry.url}/api/v4/projects/2/packages/generic/pkg/1.0.0/a.txt`, {
      method: "PUT",
      headers: { "private-token": t.other.personal },
      body: "other copy",
    });
    expect((await call(`${group}/pkg/1.0.0/a.txt`, { headers: { "private-token": t.personal } })).text).toBe("demo");
    expect((await call(`${group}/pkg/1.0.0/a.txt`, { headers: { "private-token": t.other.personal } })).text).toBe(
      "other copy",
    );
    // Only in project 2: invisible to project 1's user, found for project 2's.
    expect((await call(`${group}/theirs/1.0.0/a.txt`, { headers: { "private-token": t.personal } })).status).toBe(404);
    expect((await call(`${group}/theirs/1.0.0/a.txt`, { headers: { "deploy-token": t.other.deploy } })).text).toBe("other");
    const byId = await call(`${registry.url}/api/v4/groups/1/-/packages/generic/pkg/1.0.0/a.txt`, {
      headers: { "job-token": t.job },
    });
    expect(byId.text).toBe("demo");
  });

  it("keeps group-level endpoints read-only and private", async () => {
    const group = registry.groupRegistries.generic!;
    const put = await call(`${group}/g/1.0.0/f.bin`, {
      method: "PUT",
      headers: { "private-token": registry.tokens.personal },
      body: "x",
    });
    expect(put.status).toBe(405);
    const anonymous = await call(`${group}/pkg/1.0.0/a.txt`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers["www-authenticate"]).toMatch(/^Basic /);
    const unknown = await call(`${registry.url}/api/v4/groups/nobody/-/packages/generic/pkg/1.0.0/a.txt`, {
      headers: { "private-token": registry.tokens.personal },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.json()).toEqual({ message: "404 Group Not Found" });
  });

  it("serves instance-level reads over every project the caller may read, read-only", async () => {
    const instance = registry.instanceRegistries.generic!;
    expect(instance).toBe(`${registry.url}/api/v4/packages/generic`);
    const t = registry.tokens;
    expect((await call(`${instance}/pkg/1.0.0/a.txt`, { headers: { "private-token": t.personal } })).text).toBe("demo");
    expect((await call(`${instance}/theirs/1.0.0/a.txt`, { headers: { "private-token": t.personal } })).status).toBe(404);
    expect((await call(`${instance}/theirs/1.0.0/a.txt`, { headers: { "deploy-token": t.other.deploy } })).text).toBe("other");
    const put = await call(`${instance}/i/1.0.0/f.bin`, { method: "PUT", headers: { "private-token": t.personal }, body: "x" });
    expect(put.status).toBe(405);
    expect((await call(`${instance}/pkg/1.0.0/a.txt`)).status).toBe(401);
    expect((await call(`${instance}/`)).json()).toMatchObject({ baseUrl: instance });
  });

  it("gives routes the endpoint URL as the client reached it", async () => {
    expect((await call(`${generic}/`)).json()).toMatchObject({ baseUrl: generic, project: { id: 1, path: "regkit/demo" } });
    const byPath = `${registry.url}/api/v4/projects/regkit%2Fdemo/packages/generic`;
    expect((await call(`${byPath}/`)).json()).toMatchObject({ baseUrl: byPath });
    const group = registry.groupRegistries.generic!;
    expect((await call(`${group}/`)).json()).toMatchObject({ baseUrl: group });
  });
});
