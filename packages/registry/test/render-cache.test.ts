// The byte-bounded cache of rendered metadata (render-cache.ts) and how the
// package store uses it: it keeps only the current revision of a package per
// representation, never answers with a revision a publish, metadata change or
// removal replaced, and stays within its byte budget.
import { Readable } from "node:stream";
import type { StoredPackage } from "@regkit/registry/contract";
import { afterEach, describe, expect, it } from "vitest";
import { RenderCache } from "../src/render-cache.js";
import { FilePackageStore, GroupPackageStore } from "../src/store.js";
import { tempDir } from "./helpers.js";

/** A package object as the store freezes them; only identity and name matter to the cache. */
function pkg(name: string, revision = 1): StoredPackage {
  return Object.freeze({ name, versions: [], metadata: {}, revision, createdAt: "t", updatedAt: "t" });
}

const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

describe("RenderCache", () => {
  it("renders once per package object and representation, and again for a new object", () => {
    const cache = new RenderCache(1024 * 1024);
    let renders = 0;
    const render = (what: string) => () => {
      renders++;
      return what;
    };
    const first = pkg("a");
    expect(text(cache.rendered(first, "packument", render("one")))).toBe("one");
    expect(text(cache.rendered(first, "packument", render("not called")))).toBe("one");
    expect(renders).toBe(1);
    // Another representation of the same revision is its own entry.
    expect(text(cache.rendered(first, "simple", render("two")))).toBe("two");
    // A new revision (a new object, even with the same name) is never answered from the old one.
    expect(text(cache.rendered(pkg("a", 2), "packument", render("three")))).toBe("three");
    expect(renders).toBe(3);
    expect(cache.stats()).toMatchObject({ entries: 3, hits: 1, misses: 3 });
  });

  it("forget drops every rendering of a package object and its bytes", () => {
    const cache = new RenderCache(1024 * 1024);
    const a = pkg("a");
    const b = pkg("b");
    cache.rendered(a, "x", () => "a".repeat(1000));
    cache.rendered(a, "y", () => "a".repeat(1000));
    cache.rendered(b, "x", () => "b".repeat(1000));
    const before = cache.stats().bytes;
    cache.forget(a);
    const after = cache.stats();
    expect(after.entries).toBe(1);
    expect(before - after.bytes).toBeGreaterThanOrEqual(2000);
    let rendered = false;
    cache.rendered(a, "x", () => {
      rendered = true;
      return "again";
    });
    expect(rendered).toBe(true);
  });

  it("stays within its byte budget, evicting the least recently used first", () => {
    const budget = 64 * 1024;
    const cache = new RenderCache(budget);
    const packages = Array.from({ length: 40 }, (_, i) => pkg(`p${i}`));
    const hot = packages[0]!;
    for (const [i, p] of packages.entries()) {
      cache.rendered(p, "doc", () => "x".repeat(4096));
      // Read the first one after every insert: it stays the most recently used.
      cache.rendered(hot, "doc", () => "x".repeat(4096));
      expect(cache.stats().bytes, `after ${i + 1} packages`).toBeLessThanOrEqual(budget);
    }
    const stats = cache.stats();
    expect(stats.entries).toBeLessThan(packages.length);
    expect(stats.entries).toBeGreaterThan(5);
    let rerendered = false;
    cache.rendered(hot, "doc", () => {
      rerendered = true;
      return "hot";
    });
    expect(rerendered, "the most recently used entry was evicted").toBe(false);
    cache.rendered(packages[1]!, "doc", () => {
      rerendered = true;
      return "cold";
    });
    expect(rerendered, "the least recently used entry was kept past the budget").toBe(true);
  });

  it("does not keep a document bigger than half the budget, and a budget of 0 keeps nothing", () => {
    const cache = new RenderCache(10_000);
    cache.rendered(pkg("big"), "doc", () => "x".repeat(6000));
    expect(cache.stats().entries).toBe(0);
    const off = new RenderCache(0);
    let renders = 0;
    const p = pkg("a");
    off.rendered(p, "doc", () => String(++renders));
    expect(text(off.rendered(p, "doc", () => String(++renders)))).toBe("2");
    expect(off.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });
});

describe("the store's renderings", () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterEach(async () => {
    await dir?.remove();
    dir = undefined;
  });

  async function openStore(cache: RenderCache): Promise<FilePackageStore> {
    dir = await tempDir();
    return FilePackageStore.open({ blobDir: `${dir.path}/blobs`, stagingDir: `${dir.path}/staging`, renderCache: cache });
  }

  async function publish(store: FilePackageStore, name: string, version: string): Promise<void> {
    const staged = await store.stage(Readable.from([Buffer.from(`${name}@${version}`)]), 0);
    const outcome = await store.commit({ name, version, files: [{ filename: `${name}-${version}.tgz`, staged }], metadata: {}, duplicates: "reject" });
    expect(outcome.kind).toBe("created");
  }

  /** What a format does on a metadata GET: read the package, render it through the store. */
  async function versionsDoc(store: FilePackageStore, name: string): Promise<string | undefined> {
    const current = await store.get(name);
    if (!current) return undefined;
    return text(store.rendered(current, "versions", () => current.versions.map((v) => v.version).join(",")));
  }

  it("never answers with a revision a publish, a metadata change or a removal replaced, and keeps one revision per package", async () => {
    const cache = new RenderCache(1024 * 1024);
    const store = await openStore(cache);
    await publish(store, "a", "1.0.0");
    expect(await versionsDoc(store, "a")).toBe("1.0.0");
    expect(await versionsDoc(store, "a")).toBe("1.0.0");
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1 });

    await publish(store, "a", "1.0.1");
    // The replaced revision's rendering is gone at once, not left to be evicted.
    expect(cache.stats().entries).toBe(0);
    expect(await versionsDoc(store, "a")).toBe("1.0.0,1.0.1");

    await store.updateMetadata("a", (meta) => ({ ...meta, tag: "x" }));
    expect(cache.stats().entries).toBe(0);
    expect(await versionsDoc(store, "a")).toBe("1.0.0,1.0.1");

    expect(await store.remove("a", "1.0.0")).toBe(true);
    expect(await versionsDoc(store, "a")).toBe("1.0.1");
    expect(await store.remove("a")).toBe(true);
    expect(await versionsDoc(store, "a")).toBeUndefined();
    expect(cache.stats().entries).toBe(0);
  });

  it("renders a revision read before a publish for its reader, without keeping it", async () => {
    const cache = new RenderCache(1024 * 1024);
    const store = await openStore(cache);
    await publish(store, "a", "1.0.0");
    const old = (await store.get("a"))!;
    await publish(store, "a", "2.0.0");
    expect(text(store.rendered(old, "versions", () => "old"))).toBe("old");
    expect(cache.stats().entries).toBe(0);
    expect(await versionsDoc(store, "a")).toBe("1.0.0,2.0.0");
  });

  it("a group's rendering is kept by the project store holding the package, and goes with its revision", async () => {
    const cache = new RenderCache(1024 * 1024);
    const first = await openStore(cache);
    const second = await FilePackageStore.open({ blobDir: `${dir!.path}/blobs-2`, stagingDir: `${dir!.path}/staging`, renderCache: cache });
    const group = new GroupPackageStore([first, second]);
    await publish(second, "g", "1.0.0");
    const seen = (await group.get("g"))!;
    expect(text(group.rendered(seen, "group-doc", () => "one"))).toBe("one");
    expect(text(group.rendered(seen, "group-doc", () => "not called"))).toBe("one");
    expect(cache.stats().entries).toBe(1);
    await publish(second, "g", "2.0.0");
    expect(cache.stats().entries).toBe(0);
    const now = (await group.get("g"))!;
    expect(text(group.rendered(now, "group-doc", () => now.versions.map((v) => v.version).join(",")))).toBe("1.0.0,2.0.0");
    // A revision no store holds any more is rendered for its reader, never kept.
    await second.remove("g");
    expect(text(group.rendered(now, "group-doc", () => "gone"))).toBe("gone");
    expect(cache.stats().entries).toBe(0);
  });

  it("holds at most the budget however many revisions are published", async () => {
    const budget = 32 * 1024;
    const cache = new RenderCache(budget);
    const store = await openStore(cache);
    for (let i = 0; i < 60; i++) {
      await publish(store, `p${i % 6}`, `1.0.${i}`);
      // Each read renders a document of a few KB that grows with the package.
      const current = (await store.get(`p${i % 6}`))!;
      store.rendered(current, "doc", () => "v".repeat(1024 * current.versions.length));
      expect(cache.stats().bytes).toBeLessThanOrEqual(budget);
      expect(cache.stats().entries).toBeLessThanOrEqual(6);
    }
  });
});
