// The index behind GitLab's Packages API (package-index.ts): a version is found
// by its id without walking the stores, a removal (through the API or the
// format's own protocol) takes the version out of the index, and the list
// keeps GitLab's order. Behaviour, not timing: a delete must not list the
// project, which the spies below would see.
import { Readable } from "node:stream";
import type { ReferenceRegistry } from "@regkit/registry";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { PackageIndex, versionId } from "../src/package-index.js";
import { RenderCache } from "../src/render-cache.js";
import { FilePackageStore } from "../src/store.js";
import { call, startRegistry, tempDir } from "./helpers.js";

describe("PackageIndex", () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  async function openStores(): Promise<{ a: FilePackageStore; b: FilePackageStore; other: FilePackageStore }> {
    dir = await tempDir();
    const open = (sub: string) => FilePackageStore.open({ blobDir: `${dir!.path}/${sub}`, stagingDir: `${dir!.path}/staging`, renderCache: new RenderCache(0) });
    return { a: await open("1-a"), b: await open("1-b"), other: await open("2-a") };
  }

  async function publish(store: FilePackageStore, name: string, version: string): Promise<void> {
    const staged = await store.stage(Readable.from([Buffer.from(`${name}@${version}`)]), 0);
    await store.commit({ name, version, files: [{ filename: "f", staged }], metadata: {}, duplicates: "allow" });
  }

  const listed = (index: PackageIndex, project: number) => [...index.list(project)].map((e) => `${e.segment} ${e.name} ${e.version}`);

  it("indexes what the stores hold, follows every later change, and never walks a store again", async () => {
    const { a, b, other } = await openStores();
    await publish(a, "x", "1");
    await publish(b, "x", "1");
    await publish(other, "x", "1");
    const walks = [vi.spyOn(a, "packages"), vi.spyOn(b, "packages"), vi.spyOn(a, "names"), vi.spyOn(b, "names")];
    const index = new PackageIndex([
      [1, "a", a],
      [1, "b", b],
      [2, "a", other],
    ]);
    expect(listed(index, 1)).toEqual(["a x 1", "b x 1"]);
    expect(listed(index, 2)).toEqual(["a x 1"]);
    const calls = () => walks.map((w) => w.mock.calls.length);
    const afterBuild = calls();

    for (let i = 2; i <= 50; i++) await publish(a, `p${i % 7}`, String(i));
    expect(index.size(1)).toBe(51);
    const id = versionId(1, "a", "p3", "10");
    expect(index.find(1, id)).toMatchObject({ id, segment: "a", name: "p3", version: "10" });
    // Another project's index does not answer for this one's ids.
    expect(index.find(2, id)).toBeUndefined();

    // A version removed through the store (a format's own delete) leaves the index.
    expect(await a.remove("p3", "10")).toBe(true);
    expect(index.find(1, id)).toBeUndefined();
    expect(index.size(1)).toBe(50);
    // A whole package removed: every one of its versions leaves.
    await a.remove("p4");
    expect(listed(index, 1).filter((line) => line.startsWith("a p4 "))).toEqual([]);
    // Published again: back, at the end of the list (it is the newest).
    await publish(a, "p3", "10");
    expect(index.find(1, id)?.version).toBe("10");
    expect(listed(index, 1).at(-1)).toBe("a p3 10");
    // A duplicate overwrite (duplicates allowed) keeps its place and its id.
    const size = index.size(1);
    await publish(a, "p3", "10");
    expect(index.size(1)).toBe(size);

    expect(calls(), "the index walked a store after it was built").toEqual(afterBuild);
    index.close();
    await publish(a, "after-close", "1");
    expect(index.find(1, versionId(1, "a", "after-close", "1"))).toBeUndefined();
  });

  it("lists oldest first, ties by id, whatever order the stores were read in", async () => {
    const { a, b } = await openStores();
    for (let i = 0; i < 6; i++) {
      await publish(i % 2 === 0 ? b : a, `n${i}`, "1");
      // Apart by more than a millisecond, so creation times alone give the order.
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const index = new PackageIndex([
      [1, "a", a],
      [1, "b", b],
    ]);
    const entries = [...index.list(1)];
    expect(entries.map((e) => e.name)).toEqual(["n0", "n1", "n2", "n3", "n4", "n5"]);
    for (let i = 1; i < entries.length; i++) {
      const [p, q] = [entries[i - 1]!, entries[i]!];
      expect(p.createdAt < q.createdAt || (p.createdAt === q.createdAt && p.id < q.id)).toBe(true);
    }
    index.close();
  });
});

describe("the Packages API on the index", () => {
  let registry: ReferenceRegistry;
  let api: string;
  let generic: string;
  let personal: Record<string, string>;

  beforeAll(async () => {
    registry = await startRegistry();
    api = `${registry.url}/api/v4/projects/1/packages`;
    generic = `${api}/generic`;
    personal = { "private-token": registry.tokens.personal };
  });
  afterAll(async () => {
    await registry.close();
  });

  const list = async (query: string) => {
    const res = await call(`${api}?${query}`, { headers: personal });
    expect(res.status).toBe(200);
    return res.json() as { id: number; name: string; version: string }[];
  };

  it("deletes every version of a cleanup by id, and forgets each one", async () => {
    for (let p = 0; p < 10; p++) {
      for (let v = 0; v < 3; v++) {
        expect((await call(`${generic}/idx-${p}/1.0.${v}/f.txt`, { method: "PUT", headers: personal, body: `${p} ${v}` })).status).toBe(201);
      }
    }
    const all = await list("package_name=idx-&per_page=100");
    expect(all).toHaveLength(30);
    for (const item of all) {
      expect((await call(`${api}/${item.id}`, { method: "DELETE", headers: personal })).status, `DELETE ${item.name} ${item.version}`).toBe(204);
      expect((await call(`${api}/${item.id}`, { headers: personal })).status).toBe(404);
    }
    expect(await list("package_name=idx-&per_page=100")).toEqual([]);
    expect((await call(`${generic}/idx-0/1.0.0/f.txt`, { headers: personal })).status).toBe(404);
  });

  it("answers 404 for an id with leading zeros, as an id is matched exactly", async () => {
    expect((await call(`${generic}/zeros/1.0.0/f.txt`, { method: "PUT", headers: personal, body: "z" })).status).toBe(201);
    const [item] = await list("package_name=zeros");
    expect((await call(`${api}/${item!.id}`, { headers: personal })).status).toBe(200);
    expect((await call(`${api}/0${item!.id}`, { headers: personal })).status).toBe(404);
  });
});
