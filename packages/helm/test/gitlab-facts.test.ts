// One test per GitLab fact of the Helm kit (helmGitLabFacts), each against the
// reference registry: the answer GitLab's source gives is the answer here.
// Plain fetch, so what is pinned is the wire, not the adapter.
import { collect } from "@regkit/core";
import { type ReferenceRegistry, createReferenceRegistry } from "@regkit/registry";
import { pinFacts, referenceCaller } from "@regkit/testkit";
import { afterAll, beforeAll, expect } from "vitest";
import { parse } from "yaml";
import { buildChart, helmGitLabFacts, parseIndex } from "@regkit/helm";
import { createHelmReference, helmReference } from "@regkit/helm/reference";

let registry: ReferenceRegistry;
/** A registry whose index lists at most 3 versions (GitLab's 1000, lowered). */
let limited: ReferenceRegistry;

beforeAll(async () => {
  registry = await createReferenceRegistry({ formats: [helmReference], limits: { helm: { maxFileSize: 64 * 1024 } } });
  limited = await createReferenceRegistry({ formats: [createHelmReference({ indexLimit: 3 })] });
});
afterAll(async () => {
  await Promise.all([registry?.close(), limited?.close()]);
});

const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` });
const personal = () => basic("anyone", registry.tokens.personal);
const call = referenceCaller("helm", () => registry);

async function chartBytes(name: string, version: string, marker = ""): Promise<Uint8Array> {
  const artifact = await buildChart({ name, version, files: marker ? { "marker.txt": new TextEncoder().encode(marker) } : undefined });
  return artifact.content.bytes!;
}

/** POST api/<channel>/charts with `bytes` in the field `chart`, as `headers` (default: a personal token in Basic). */
async function upload(channel: string, bytes: Uint8Array, init: { headers?: Record<string, string>; on?: ReferenceRegistry; field?: string } = {}) {
  const form = new FormData();
  form.set(init.field ?? "chart", new Blob([bytes]), "chart.tgz");
  const on = init.on ?? registry;
  const res = await fetch(`${on.registries.helm}/api/${channel}/charts`, { method: "POST", body: form, headers: init.headers ?? (init.on ? basic("u", init.on.tokens.personal) : personal()) });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const index = async (channel: string, on?: ReferenceRegistry) => {
  const res = await call(`/${channel}/index.yaml`, { headers: on ? basic("u", on.tokens.personal) : personal(), on });
  expect(res.status).toBe(200);
  return { res, index: parseIndex(res.text), doc: parse(res.text) as Record<string, unknown> };
};

let counter = 0;
function fresh(): string {
  counter += 1;
  return `fact-${counter}`;
}

pinFacts(helmGitLabFacts, {
  async routes(fact) {
    const name = fresh();
    expect(fact.value.levels).toEqual(["project"]);
    expect((await upload("stable", await chartBytes(name, "1.0.0"))).status).toBe(201);
    const { index: idx } = await index("stable");
    expect(idx.entries.get(name)?.map((e) => e.version)).toEqual(["1.0.0"]);
    expect((await call(`/stable/charts/${name}-1.0.0.tgz`, { headers: personal() })).status).toBe(200);
    // No group or instance level, no ChartMuseum listing, no delete.
    expect((await call(`${registry.groupRegistries.helm}/stable/index.yaml`, { headers: personal() })).status).toBe(404);
    expect((await call(`${registry.instanceRegistries.helm}/stable/index.yaml`, { headers: personal() })).status).toBe(404);
    expect((await call(`/api/stable/charts`, { headers: personal() })).status).toBe(405);
    expect((await call(`/stable/charts/${name}-1.0.0.tgz`, { method: "DELETE", headers: personal() })).status).toBe(405);
  },
  async auth(fact) {
    const name = fresh();
    const bytes = await chartBytes(name, "1.0.0");
    const { tokens } = registry;
    expect(fact.value.basicOnly).toBe(true);
    expect((await upload("stable", bytes, { headers: basic("whoever", tokens.personal) })).status).toBe(201);
    expect((await upload("stable", bytes, { headers: basic(tokens.deployUsername, tokens.deploy) })).status).toBe(201);
    expect((await upload("stable", bytes, { headers: basic("gitlab-ci-token", tokens.job) })).status).toBe(201);
    // GitLab's token headers are not read on the Helm routes: as anonymous, 401.
    expect((await upload("stable", bytes, { headers: { "private-token": tokens.personal } })).status).toBe(fact.value.anonymousPrivate);
    expect((await upload("stable", bytes, { headers: {} })).status).toBe(fact.value.anonymousPrivate);
    expect((await upload("stable", bytes, { headers: basic("whoever", "glpat-wrong0000000000000000") })).status).toBe(fact.value.invalid);
    expect((await upload("stable", bytes, { headers: basic(tokens.readonlyDeployUsername, tokens.readonlyDeploy) })).status).toBe(fact.value.readonlyUpload);
    expect((await call(`/stable/index.yaml`, { headers: basic(tokens.readonlyDeployUsername, tokens.readonlyDeploy) })).status).toBe(200);
    expect((await call(`/stable/index.yaml`, { headers: {} })).status).toBe(fact.value.anonymousPrivate);
  },
  async channelRule(fact) {
    for (const good of ["stable", "with.dot", "a_b-c.d", "x"]) expect(fact.value.test(good), good).toBe(true);
    for (const bad of ["a..b", "stable-", "-stable", "a b", "a__b", "x".repeat(256)]) expect(fact.value.test(bad), bad).toBe(false);
    expect((await call(`/with.dot/index.yaml`, { headers: personal() })).status).toBe(200);
    expect((await call(`/a..b/index.yaml`, { headers: personal() })).status).toBe(400);
    expect((await upload("stable-", await chartBytes(fresh(), "1.0.0"))).status).toBe(400);
  },
  async uploadStatus(fact) {
    const res = await upload("stable", await chartBytes(fresh(), "1.0.0"));
    expect(res.status).toBe(fact.value.created);
    expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
    const missing = await upload("stable", await chartBytes(fresh(), "1.0.0"), { field: "file" });
    expect(missing.status).toBe(fact.value.missingField);
  },
  async maxFileSize(fact) {
    expect(fact.value).toBe(5 * 1024 * 1024);
    expect(helmReference.limits.maxFileSize).toBe(fact.value);
  },
  async overLimit(fact) {
    // This registry's limit is 64 KiB: a chart padded past it.
    const artifact = await buildChart({ name: fresh(), version: "1.0.0", size: 128 * 1024 });
    const bytes = await collect(artifact.content.stream());
    const res = await upload("stable", bytes);
    expect(res.status).toBe(fact.value.status);
    expect(JSON.parse(res.text)).toEqual({ message: fact.value.message });
    const { index: idx } = await index("stable");
    expect(idx.entries.has(artifact.name)).toBe(false);
  },
  async processing(fact) {
    const name = fresh();
    // Not a chart at all: 201, never listed.
    const res = await upload("stable", new TextEncoder().encode("not a chart"));
    expect(res.status).toBe(fact.value.accepted);
    // A chart whose name breaks the rule: 201, never listed.
    expect((await upload("stable", await chartBytes(`${name}--bad`, "1.0.0"))).status).toBe(fact.value.accepted);
    const { index: idx } = await index("stable");
    expect(idx.entries.has(`${name}--bad`)).toBe(fact.value.invalidListed);
    expect((await call(`/stable/charts/${name}--bad-1.0.0.tgz`, { headers: personal() })).status).toBe(404);
  },
  async nameVersionRule(fact) {
    expect(fact.value.version.test("v1.2.3-rc.1+build.5")).toBe(true);
    expect(fact.value.version.test("1.2")).toBe(false);
    expect(fact.value.name.test("my_chart.v2")).toBe(true);
    const name = fresh();
    expect((await upload("stable", await chartBytes(name, "v1.0.0"))).status).toBe(201);
    expect((await upload("stable", await chartBytes(`${name}-x`, "1.0"))).status).toBe(201);
    const { index: idx } = await index("stable");
    expect(idx.entries.get(name)?.map((e) => e.version)).toEqual(["v1.0.0"]);
    expect(idx.entries.has(`${name}-x`)).toBe(false);
  },
  async duplicates(fact) {
    expect(fact.value).toBe("allow");
    const name = fresh();
    const first = await chartBytes(name, "1.0.0", "first");
    const second = await chartBytes(name, "1.0.0", "second");
    expect((await upload("stable", first)).status).toBe(201);
    expect((await upload("stable", second)).status).toBe(201);
    const { index: idx } = await index("stable");
    const entries = idx.entries.get(name) ?? [];
    expect(entries).toHaveLength(1);
    const { createHash } = await import("node:crypto");
    expect(entries[0]!.digest).toBe(createHash("sha256").update(second).digest("hex"));
    const got = await fetch(`${registry.registries.helm}/stable/charts/${name}-1.0.0.tgz`, { headers: personal() });
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.from(second))).toBe(true);
  },
  async indexDocument(fact) {
    const { res, doc } = await index("nothing-here");
    expect(res.headers.get("content-type")).toContain(fact.value.contentType);
    expect(doc.apiVersion).toBe(fact.value.apiVersion);
    expect(doc.entries).toEqual({});
    expect(typeof doc.generated).toBe("string");
    expect(doc.serverInfo).toEqual({ contextPath: fact.value.contextPath.replace(":id", String(registry.projects[0]!.id)) });
  },
  async indexEntry(fact) {
    const name = fresh();
    const bytes = await chartBytes(name, "2.1.0");
    await upload("stable", bytes);
    const { doc } = await index("stable");
    const entry = ((doc.entries as Record<string, Record<string, unknown>[]>)[name] ?? [])[0]!;
    const { createHash } = await import("node:crypto");
    expect(entry).toMatchObject({ apiVersion: "v2", name, version: "2.1.0", digest: createHash(fact.value.digest).update(bytes).digest("hex"), urls: [fact.value.urls.replace(":name", name).replace(":version", "2.1.0")] });
    expect(String(entry.created)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  },
  async indexLimit(fact) {
    expect(fact.value).toBe(1000);
    const name = fresh();
    for (const v of ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]) {
      expect((await upload("stable", await chartBytes(name, v), { on: limited })).status).toBe(201);
      await new Promise((r) => setTimeout(r, 5));
    }
    const { index: idx } = await index("stable", limited);
    // The 3 newest versions; the oldest dropped out of the index but is still served.
    expect(idx.entries.get(name)?.map((e) => e.version).sort()).toEqual(["1.1.0", "1.2.0", "1.3.0"]);
    const old = await call(`/stable/charts/${name}-1.0.0.tgz`, { headers: basic("u", limited.tokens.personal), on: limited });
    expect(old.status).toBe(200);
  },
  async indexOrder(fact) {
    expect(fact.value).toBe("newest first");
    const name = fresh();
    for (const v of ["1.0.0", "2.0.0", "1.5.0"]) {
      await upload("stable", await chartBytes(name, v));
      await new Promise((r) => setTimeout(r, 5));
    }
    const { index: idx } = await index("stable");
    expect(idx.entries.get(name)?.map((e) => e.version)).toEqual(["1.5.0", "2.0.0", "1.0.0"]);
  },
  async download(fact) {
    const name = fresh();
    const bytes = await chartBytes(name, "1.0.0");
    await upload("stable", bytes);
    const ok = await fetch(`${registry.registries.helm}/stable/charts/${name}-1.0.0.tgz`, { headers: personal() });
    expect(ok.status).toBe(fact.value.status);
    expect(Buffer.from(await ok.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
    expect((await call(`/stable/charts/${name}-9.9.9.tgz`, { headers: personal() })).status).toBe(fact.value.missing);
    // Another channel holds nothing of it.
    expect((await call(`/other/charts/${name}-1.0.0.tgz`, { headers: personal() })).status).toBe(fact.value.missing);
    const prov = await call(`/stable/charts/${name}-1.0.0.tgz.prov`, { headers: personal() });
    expect(prov.status).toBe(fact.value.missing);
    expect(JSON.parse(prov.text)).toEqual({ message: "404 Format prov Not Found" });
  },
});
