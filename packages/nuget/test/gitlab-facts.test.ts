// One test per GitLab NuGet fact (nugetGitLabFacts), each against the
// reference registry: the answer GitLab's source gives is the answer here.
import { afterAll, beforeAll, expect } from "vitest";
import { gitlab, nugetGitLabFacts } from "@regkit/nuget";
import { nugetReference } from "@regkit/nuget/reference";
import { createReferenceRegistry, type ReferenceRegistry } from "@regkit/registry";
import { pinFacts } from "@regkit/core/vitest";
import { basic, call, multipart, nupkgBytes, push } from "./helpers.js";

let registry: ReferenceRegistry;
let publicRegistry: ReferenceRegistry;
let strict: ReferenceRegistry;
let small: ReferenceRegistry;
let feed: string;
let user: Record<string, string>;
let n = 0;
/** A fresh package id per use. */
const fresh = (base: string): string => `Facts.${base}${n++}`;

beforeAll(async () => {
  [registry, publicRegistry, strict, small] = await Promise.all([
    createReferenceRegistry({ formats: [nugetReference] }),
    createReferenceRegistry({ formats: [nugetReference], visibility: "public" }),
    createReferenceRegistry({ formats: [nugetReference], policies: { nuget: { duplicates: "reject" } } }),
    createReferenceRegistry({ formats: [nugetReference], limits: { nuget: { maxFileSize: 64 * 1024 } } }),
  ]);
  feed = registry.registries.nuget!;
  user = basic(registry.tokens.personalUsername, registry.tokens.personal);
});

afterAll(async () => {
  await Promise.all([registry, publicRegistry, strict, small].map((r) => r?.close()));
});

const projectPrefix = (r: ReferenceRegistry): string => `${r.url}/api/v4/projects/1/packages/nuget`;

async function pushed(id: string, version: string, options: { url?: string; auth?: Record<string, string>; description?: string } = {}): Promise<void> {
  const res = await push(options.url ?? feed, options.auth ?? user, id, version, options);
  expect(res.status, `${id} ${version}: ${res.text}`).toBe(201);
}

const flat = async (id: string, r = registry, auth = user): Promise<string[]> => {
  const res = await call(`${r.registries.nuget!}/download/${id.toLowerCase()}/index.json`, { headers: auth });
  expect(res.status).toBe(200);
  return res.json<{ versions: string[] }>().versions;
};

interface Leaf {
  "@id": string;
  packageContent: string;
  catalogEntry: { id: string; version: string };
}

pinFacts(nugetGitLabFacts, {
  async serviceIndexPaths(fact) {
    const bodies = [];
    for (const path of fact.value) {
      const res = await call(`${feed}${path}`);
      expect(res.status, path).toBe(200);
      bodies.push(res.json());
    }
    expect(bodies[0]).toEqual(bodies[1]);
  },
  async serviceIndexPublic(fact) {
    expect((await call(`${feed}/index.json`)).status).toBe(fact.value);
    // A public endpoint reads no credentials at all: a wrong one changes nothing.
    expect((await call(`${feed}/index.json`, { headers: basic("someone", "glpat-nobody") })).status).toBe(fact.value);
  },
  async serviceIndexResources(fact) {
    // Asked through the project's path, the URLs still name it by id.
    const res = await call(`${registry.url}/api/v4/projects/regkit%2Fdemo/packages/nuget/index.json`);
    const index = res.json<{ version: string; resources: unknown[] }>();
    expect(index.version).toBe("3.0.0");
    expect(index.resources).toEqual(fact.value.map((e) => ({ "@id": `${projectPrefix(registry)}${e.path}`, "@type": e.type, comment: e.comment })));
    expect(index.resources).toHaveLength(9);
  },
  async groupFeed(fact) {
    const group = registry.groupRegistries.nuget!;
    expect((await call(`${group}/index.json`)).status).toBe(fact.value.anonymous);
    expect((await call(`${group}/query?q=x`)).status).toBe(fact.value.anonymous);
    const index = await call(`${group}/index.json`, { headers: user });
    expect(index.status).toBe(200);
    const types = index.json<{ resources: { "@id": string; "@type": string }[] }>().resources;
    const expected = nugetGitLabFacts.serviceIndexResources.value.filter((e) => (fact.value.services as readonly string[]).includes(e.service));
    expect(types.map((r) => r["@type"])).toEqual(expected.map((e) => e.type));
    expect(types.every((r) => r["@id"].startsWith(group))).toBe(true);
    // Read-only: no push at group level.
    const body = multipart(await nupkgBytes(fresh("Group"), "1.0.0"));
    expect((await call(group, { method: "PUT", headers: { ...body.headers, ...user }, body: body.body })).status).toBe(404);
  },
  async groupNoDownload(fact) {
    const id = fresh("GroupDl");
    await pushed(id, "1.0.0");
    expect((await call(`${registry.groupRegistries.nuget!}/download/${id.toLowerCase()}/index.json`, { headers: user })).status).toBe(fact.value);
    expect((await call(`${registry.groupRegistries.nuget!}/metadata/${id.toLowerCase()}/index.json`, { headers: user })).status).toBe(200);
  },
  async packageUrls() {
    const id = fresh("Urls");
    await pushed(id, "1.0.0.0");
    // Through the group feed, every URL still names the owning project.
    const res = await call(`${registry.groupRegistries.nuget!}/metadata/${id.toLowerCase()}/index.json`, { headers: user });
    const leaf = res.json<{ items: { items: Leaf[] }[] }>().items[0]!.items[0]!;
    expect(leaf["@id"]).toBe(`${projectPrefix(registry)}/metadata/${id}/1.0.0.0.json`);
    expect(leaf.packageContent).toBe(`${projectPrefix(registry)}/download/${id}/1.0.0.0/${id.toLowerCase()}.1.0.0.0.nupkg`);
    expect((await call(leaf.packageContent, { headers: user })).status).toBe(200);
    const hit = (await call(`${feed}/query?q=${id}`, { headers: user })).json<{ data: { versions: { "@id": string }[] }[] }>().data[0]!;
    expect(hit.versions[0]!["@id"]).toBe(leaf["@id"]);
  },
  async v2ServiceIndex(fact) {
    const res = await call(`${feed}/v2`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(new RegExp(`^${fact.value}`));
    expect(res.text).toContain('<collection href="Packages">');
  },
  async noRelist() {
    const id = fresh("Relist");
    await pushed(id, "1.0.0");
    const res = await call(`${feed}/${id}/1.0.0`, { method: "POST", headers: user });
    expect([404, 405]).toContain(res.status);
  },
  async pushField(fact) {
    const id = fresh("Field");
    expect((await push(feed, user, id, "1.0.0", { field: "file" })).status).toBe(400);
    expect((await push(feed, user, id, "1.0.0", { field: fact.value })).status).toBe(201);
  },
  async pushCreated(fact) {
    const res = await push(feed, user, fresh("Created"), "1.0.0");
    expect(res.status).toBe(fact.value.status);
    expect(res.json()).toEqual({ message: fact.value.message });
  },
  async v2Push(fact) {
    const id = fresh("V2");
    expect((await push(`${feed}/v2`, user, id, "1.0.0")).status).toBe(fact.value);
    expect(await flat(id)).toEqual(["1.0.0"]);
  },
  async symbolPush(fact) {
    const id = fresh("Symbols");
    await pushed(id, "1.0.0");
    expect((await push(`${feed}/symbolpackage`, user, id, "1.0.0")).status).toBe(fact.value);
    expect((await call(`${feed}/download/${id.toLowerCase()}/1.0.0/${id.toLowerCase()}.1.0.0.snupkg`, { headers: user })).status).toBe(200);
    // Without a package to attach to, GitLab's worker drops it later: the push is still a 201.
    expect((await push(`${feed}/symbolpackage`, user, fresh("Orphan"), "1.0.0")).status).toBe(fact.value);
  },
  async duplicatesAllowed(fact) {
    expect(fact.value).toBe(true);
    expect(nugetReference.policies.duplicates).toBe("allow");
    expect(gitlab.policies.duplicates).toBe("allow");
    const id = fresh("DupOk");
    await pushed(id, "1.0.0");
    await pushed(id, "1.0.0");
    expect(await flat(id)).toEqual(["1.0.0"]);
  },
  async duplicateRefused(fact) {
    const id = fresh("DupNo");
    await pushed(id, "1.0.0", { url: strict.registries.nuget!, auth: basic(strict.tokens.personalUsername, strict.tokens.personal) });
    const res = await push(strict.registries.nuget!, basic(strict.tokens.personalUsername, strict.tokens.personal), id, "1.0.0");
    expect(res.status).toBe(fact.value.status);
    expect(res.json()).toEqual({ message: fact.value.message });
    expect(gitlab.policies.duplicateStatus).toEqual([fact.value.status]);
  },
  async duplicateMatch() {
    const auth = basic(strict.tokens.personalUsername, strict.tokens.personal);
    const id = fresh("DupNorm");
    await pushed(id, "1.0.0", { url: strict.registries.nuget!, auth });
    expect((await push(strict.registries.nuget!, auth, id, "1.0.0.0")).status).toBe(409);
    expect((await push(strict.registries.nuget!, auth, id.toUpperCase(), "1.0.0")).status).toBe(409);
  },
  async overLimit(fact) {
    const auth = basic(small.tokens.personalUsername, small.tokens.personal);
    const id = fresh("Big");
    const res = await push(small.registries.nuget!, auth, id, "1.0.0", { size: 256 * 1024 });
    expect(res.status).toBe(fact.value.status);
    expect(res.json()).toEqual({ message: fact.value.message });
    expect((await call(`${small.registries.nuget!}/download/${id.toLowerCase()}/index.json`, { headers: auth })).status).toBe(404);
  },
  async maxFileSize(fact) {
    expect(nugetReference.limits.maxFileSize).toBe(fact.value);
    expect(gitlab.limits.maxFileSize).toBe(fact.value);
    const res = await call(`${registry.url}/api/v4/application/plan_limits`, { headers: { "private-token": registry.tokens.personal } });
    expect(res.json<Record<string, number>>().nuget_max_file_size).toBe(fact.value);
  },
  async versionRule() {
    const id = fresh("Versions");
    for (const bad of ["1.05.0", "01.0.0", "1", "1.0.0-beta.01"]) expect((await push(feed, user, id, bad)).status, bad).toBe(400);
    for (const good of ["1.2", "1.0.0.05", "2.0.0-Beta.1+build.7"]) expect((await push(feed, user, id, good)).status, good).toBe(201);
  },
  async nameRule() {
    expect((await push(feed, user, `-Lead+ing.${n++}`, "1.0.0")).status).toBe(201);
    expect((await push(feed, user, `bad name${n++}`, "1.0.0")).status).toBe(400);
  },
  async storedVersion() {
    const id = fresh("Stored");
    await pushed(id, "1.0.0.0");
    await pushed(id, "2.0.0-Beta");
    const res = await call(`${feed}/metadata/${id.toLowerCase()}/index.json`, { headers: user });
    const leaves = res.json<{ items: { items: Leaf[] }[] }>().items[0]!.items;
    expect(leaves.map((l) => l.catalogEntry.version)).toEqual(["1.0.0.0", "2.0.0-Beta"]);
    expect(leaves.map((l) => l.catalogEntry.id)).toEqual([id, id]);
  },
  async flatContainerVersions() {
    const id = fresh("Flat");
    for (const v of ["2.0.0", "10.0.0", "1.0.0-Beta", "1.2.3.0"]) await pushed(id, v);
    expect(await flat(id)).toEqual(["1.0.0-Beta", "1.2.3.0", "10.0.0", "2.0.0"]);
  },
  async flatContainerIndexPaths(fact) {
    const id = fresh("Paths");
    await pushed(id, "1.0.0");
    for (const suffix of fact.value) {
      expect((await call(`${feed}/download/${id.toLowerCase()}${suffix}`, { headers: user })).status, `download${suffix}`).toBe(200);
      expect((await call(`${feed}/metadata/${id.toLowerCase()}${suffix}`, { headers: user })).status, `metadata${suffix}`).toBe(200);
    }
  },
  async versionCap(fact) {
    const id = fresh("Cap");
    const bytes = new Map<string, Uint8Array>();
    for (let i = 0; i <= fact.value; i++) bytes.set(`1.0.${i}`, await nupkgBytes(id, `1.0.${i}`));
    for (const [version, b] of bytes) {
      const { body, headers } = multipart(b);
      expect((await call(feed, { method: "PUT", headers: { ...headers, ...user }, body })).status, version).toBe(201);
    }
    const versions = await flat(id);
    expect(versions).toHaveLength(fact.value);
    // The most recent 300: the first push drops out.
    expect(versions).not.toContain("1.0.0");
    expect(versions).toContain(`1.0.${fact.value}`);
  },
  async noFlatNuspec(fact) {
    const id = fresh("Nuspec");
    await pushed(id, "1.0.0");
    const lower = id.toLowerCase();
    expect((await call(`${feed}/download/${lower}/1.0.0/${lower}.nuspec`, { headers: user })).status).toBe(fact.value);
  },
  async download(fact) {
    const id = fresh("Download");
    const bytes = await nupkgBytes(id, "1.0.0");
    const { body, headers } = multipart(bytes);
    expect((await call(feed, { method: "PUT", headers: { ...headers, ...user }, body })).status).toBe(201);
    const lower = id.toLowerCase();
    const res = await fetch(`${feed}/download/${lower}/1.0.0/${lower}.1.0.0.nupkg`, { headers: user, redirect: "manual" });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(fact.value);
    expect(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  },
  async versionLookup() {
    const id = fresh("Lookup");
    await pushed(id, "1.2");
    const lower = id.toLowerCase();
    expect((await call(`${feed}/download/${lower}/1.2.0/${lower}.1.2.0.nupkg`, { headers: user })).status).toBe(200);
    expect((await call(`${feed}/download/${lower}/1.2/${lower}.1.2.nupkg`, { headers: user })).status).toBe(200);
    const leaf = await call(`${feed}/metadata/${lower}/1.2.0.json`, { headers: user });
    expect(leaf.status).toBe(200);
    expect(leaf.json<Leaf>().catalogEntry.version).toBe("1.2");
  },
  async idsCaseInsensitive() {
    const id = fresh("CaseId");
    await pushed(id, "1.0.0");
    for (const spelling of [id.toLowerCase(), id.toUpperCase()]) {
      expect((await call(`${feed}/download/${spelling}/1.0.0/${spelling}.1.0.0.nupkg`, { headers: user })).status, spelling).toBe(200);
      expect((await call(`${feed}/metadata/${spelling}/index.json`, { headers: user })).status, spelling).toBe(200);
    }
  },
  async searchTake(fact) {
    const prefix = fresh("Take");
    for (let i = 0; i <= fact.value; i++) await pushed(`${prefix}.P${i}`, "1.0.0");
    const res = (await call(`${feed}/query?q=${prefix}&take=${fact.value + 20}`, { headers: user })).json<{ totalHits: number; data: unknown[] }>();
    expect(res.totalHits).toBe(fact.value + 1);
    expect(res.data).toHaveLength(fact.value);
  },
  async searchBadPaging(fact) {
    for (const query of ["take=0", "skip=-1", "take=-3", "skip=x"]) expect((await call(`${feed}/query?q=x&${query}`, { headers: user })).status, query).toBe(fact.value);
  },
  async searchPrerelease(fact) {
    const id = fresh("PreOnly");
    await pushed(id, "1.0.0-beta");
    const ids = async (query: string): Promise<string[]> => (await call(`${feed}/query?q=${id}${query}`, { headers: user })).json<{ data: { id: string }[] }>().data.map((d) => d.id);
    expect(await ids("")).toEqual(fact.value ? [id] : []);
    expect(await ids("&prerelease=false")).toEqual([]);
    expect(await ids("&prerelease=true")).toEqual([id]);
  },
  async searchMatchesId() {
    const id = fresh("Described");
    await pushed(id, "1.0.0", { description: "zebrafish-only-in-the-description" });
    const hits = async (q: string): Promise<number> => (await call(`${feed}/query?q=${q}`, { headers: user })).json<{ totalHits: number }>().totalHits;
    expect(await hits("zebrafish-only")).toBe(0);
    expect(await hits(id.toLowerCase())).toBe(1);
  },
  async searchVersionsPerHit(fact) {
    const id = fresh("ManyVersions");
    for (let i = 0; i < fact.value + 2; i++) await pushed(id, `1.0.${i}`);
    const hit = (await call(`${feed}/query?q=${id}`, { headers: user })).json<{ data: { version: string; versions: { version: string }[] }[] }>().data[0]!;
    expect(hit.versions).toHaveLength(fact.value);
    // The most recently created ones.
    expect(hit.versions.map((v) => v.version)).not.toContain("1.0.0");
    expect(hit.version).toBe(`1.0.${fact.value + 1}`);
  },
  async readCredentials(fact) {
    expect(nugetReference.auth).toEqual(fact.value);
    const id = fresh("Reads");
    await pushed(id, "1.0.0");
    const url = `${feed}/download/${id.toLowerCase()}/index.json`;
    expect((await call(url, { headers: user })).status).toBe(200);
    const ignored: Record<string, string>[] = [{ "private-token": registry.tokens.personal }, { "job-token": registry.tokens.job }, { "deploy-token": registry.tokens.deploy }, { "x-nuget-apikey": registry.tokens.personal }];
    for (const headers of ignored) {
      expect((await call(url, { headers })).status, Object.keys(headers)[0]).toBe(401);
    }
  },
  async writeCredentials() {
    const id = fresh("ApiKey");
    const t = registry.tokens;
    for (const [i, key] of [t.personal, t.deploy, t.job].entries()) expect((await push(feed, { "x-nuget-apikey": key }, id, `1.0.${i}`)).status).toBe(201);
    expect((await push(feed, { "private-token": t.personal }, id, "2.0.0")).status).toBe(401);
    expect((await push(feed, { "x-nuget-apikey": "glpat-nobody" }, id, "2.0.0")).status).toBe(401);
    expect((await call(`${feed}/${id}/1.0.0`, { method: "DELETE", headers: { "x-nuget-apikey": t.personal } })).status).toBe(204);
  },
  async twoCredentials(fact) {
    const res = await push(feed, { ...user, "x-nuget-apikey": registry.tokens.personal }, fresh("Two"), "1.0.0");
    expect(res.status).toBe(fact.value.status);
    expect(res.text).toContain(fact.value.message);
  },
  async basicUsernames(fact) {
    expect(nugetReference.basicUsernames).toBe(fact.value);
    const t = registry.tokens;
    const id = fresh("Users");
    await pushed(id, "1.0.0");
    const url = `${feed}/download/${id.toLowerCase()}/index.json`;
    const status = async (username: string, token: string): Promise<number> => (await call(url, { headers: basic(username, token) })).status;
    expect(await status(t.personalUsername, t.personal)).toBe(200);
    expect(await status(t.personalUsername.toUpperCase(), t.personal)).toBe(200);
    expect(await status("regkit", t.personal)).toBe(401);
    expect(await status(t.deployUsername, t.deploy)).toBe(200);
    expect(await status(t.deployUsername.toUpperCase(), t.deploy)).toBe(401);
    expect(await status("someone", t.deploy)).toBe(401);
    expect(await status("gitlab-ci-token", t.job)).toBe(200);
    expect(await status(t.personalUsername, t.job)).toBe(401);
  },
  async unknownProject(fact) {
    const missing = `${registry.url}/api/v4/projects/4242/packages/nuget`;
    expect((await call(`${missing}/download/some.id/index.json`)).status).toBe(fact.value.anonymous);
    expect((await call(`${missing}/download/some.id/index.json`, { headers: user })).status).toBe(fact.value.authenticated);
    expect((await call(`${missing}/index.json`)).status).toBe(fact.value.serviceIndex);
  },
  async invalidCredentials(fact) {
    const pub = publicRegistry.registries.nuget!;
    const id = fresh("Invalid");
    await pushed(id, "1.0.0", { url: pub, auth: basic(publicRegistry.tokens.personalUsername, publicRegistry.tokens.personal) });
    const url = `${pub}/download/${id.toLowerCase()}/index.json`;
    expect((await call(url)).status).toBe(200);
    expect((await call(url, { headers: basic("someone", "glpat-nobody") })).status).toBe(fact.value);
    expect((await call(url, { headers: basic("gitlab-ci-token", "glcbt-nobody") })).status).toBe(fact.value);
    expect((await push(pub, { "x-nuget-apikey": "glpat-nobody" }, id, "2.0.0")).status).toBe(fact.value);
    // Blank parts: no credentials at all.
    expect((await call(url, { headers: basic("", "glpat-nobody") })).status).toBe(200);
    expect((await call(url, { headers: basic("someone", "") })).status).toBe(200);
  },
  async anonymousPrivate(fact) {
    const id = fresh("Anon");
    await pushed(id, "1.0.0");
    const res = await call(`${feed}/download/${id.toLowerCase()}/index.json`);
    expect(res.status).toBe(fact.value);
    expect(res.headers.get("www-authenticate")).toBe('Basic realm="GitLab Packages Registry"');
    expect((await push(feed, {}, id, "2.0.0")).status).toBe(fact.value);
  },
  async anonymousPublic(fact) {
    const pub = publicRegistry.registries.nuget!;
    const id = fresh("Public");
    await pushed(id, "1.0.0", { url: pub, auth: basic(publicRegistry.tokens.personalUsername, publicRegistry.tokens.personal) });
    expect((await call(`${pub}/download/${id.toLowerCase()}/index.json`)).status).toBe(fact.value.read);
    expect((await call(`${pub}/query?q=${id}`)).status).toBe(fact.value.read);
    expect((await push(pub, {}, id, "2.0.0")).status).toBe(fact.value.push);
  },
  async nonMember(fact) {
    const id = fresh("Member");
    await pushed(id, "1.0.0");
    const other = basic("regkit-other", registry.tokens.other.personal);
    expect((await call(`${feed}/download/${id.toLowerCase()}/index.json`, { headers: other })).status).toBe(fact.value);
    expect((await push(feed, other, id, "2.0.0")).status).toBe(fact.value);
  },
  async deleteAccess(fact) {
    const t = registry.tokens;
    const id = fresh("Delete");
    const developer = basic("regkit-developer", t.developer);
    // A Developer may publish but not delete.
    await pushed(id, "1.0.0", { auth: developer });
    expect((await call(`${feed}/${id}/1.0.0`, { method: "DELETE", headers: developer })).status).toBe(fact.value.developer);
    for (const [i, auth] of [user, basic(t.deployUsername, t.deploy), basic("gitlab-ci-token", t.job)].entries()) {
      await pushed(id, `2.0.${i}`);
      const res = await call(`${feed}/${id}/2.0.${i}`, { method: "DELETE", headers: auth });
      expect(res.status).toBe(fact.value.status);
      expect(res.text).toBe("");
    }
    expect(await flat(id)).toEqual(["1.0.0"]);
    // A read-only deploy token may not.
    expect((await call(`${feed}/${id}/1.0.0`, { method: "DELETE", headers: basic(t.readonlyDeployUsername, t.readonlyDeploy) })).status).toBe(403);
  },
  async deleteUnknown(fact) {
    expect((await call(`${feed}/Facts.Nothing.Here/1.0.0`, { method: "DELETE", headers: user })).status).toBe(fact.value);
    const id = fresh("DeleteVersion");
    await pushed(id, "1.0.0");
    expect((await call(`${feed}/${id}/9.9.9`, { method: "DELETE", headers: user })).status).toBe(fact.value);
  },
  async deleteInvalidPath(fact) {
    expect((await call(`${feed}/bad%20name/1.0.0`, { method: "DELETE", headers: user })).status).toBe(fact.value);
    expect((await call(`${feed}/Good.Name/1.05.0`, { method: "DELETE", headers: user })).status).toBe(fact.value);
  },
});
