// The list of kits is discovered from the workspace (tooling/kits.mjs), not
// kept by hand: the generated module is up to date, the CLI ships every kit in
// order with its reference routes, a new package with a "regkit" field is
// found and imported, a bad field is refused naming its file, and no kit's
// main entry pulls in server code (the reference registry, busboy).
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { discoverKits, kitsDrift, renderKits } from "../../../tooling/kits.mjs";

const packagesDir = fileURLToPath(new URL("../../", import.meta.url));

describe("the workspace's kits", () => {
  test("the generated list and the CLI's dependencies are up to date (`pnpm kits` was run)", () => {
    expect(kitsDrift()).toEqual([]);
  });

  test("every discovered kit is in the CLI's kits, in the same order, with its reference routes", async () => {
    // Loaded here rather than at the top: a kit whose build is broken fails this test, not the whole file.
    const { kits, referenceFormats } = await import("../src/kits.js");
    const discovered = discoverKits();
    expect(discovered.length).toBeGreaterThan(0);
    expect(kits.map((k) => k.format)).toEqual(discovered.map((k) => k.format));
    for (const k of discovered) {
      if (k.reference) {
        expect(referenceFormats[k.format], k.format).toBeDefined();
        expect(typeof referenceFormats[k.format]?.segment, k.format).toBe("string");
      }
    }
    expect(Object.keys(referenceFormats).sort()).toEqual(discovered.filter((k) => k.reference).map((k) => k.format).sort());
  });
});

describe("discovery in another packages directory", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "regkit-kits-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes a package: package.json and files (path -> text). */
  async function pkg(where: string, json: object, files: Readonly<Record<string, string>> = {}): Promise<void> {
    await mkdir(where, { recursive: true });
    await writeFile(join(where, "package.json"), JSON.stringify(json, null, 2));
    for (const [file, text] of Object.entries(files)) {
      await mkdir(dirname(join(where, file)), { recursive: true });
      await writeFile(join(where, file), text);
    }
  }

  test("a package with a \"regkit\" field is found, in order, and the generated module imports it", async () => {
    const packages = join(dir, "ok", "packages");
    const fake = {
      name: "@fake/regkit-fake",
      type: "module",
      exports: { ".": "./index.js", "./reference": "./reference.js" },
      regkit: { format: "fake", kit: "fakeKit", reference: "fakeReference", system: ["fake-tool"], order: 5 },
    };
    const files = { "index.js": 'export const fakeKit = { format: "fake" };\n', "reference.js": 'export const fakeReference = { segment: "fake" };\n' };
    await pkg(join(packages, "fake"), fake, files);
    await pkg(join(packages, "early"), { name: "@fake/early", type: "module", exports: { ".": "./index.js" }, regkit: { format: "early", kit: "earlyKit", order: 1 } }, { "index.js": 'export const earlyKit = { format: "early" };\n' });
    await pkg(join(packages, "not-a-kit"), { name: "@fake/lib", type: "module" });
    await mkdir(join(packages, "no-package-json"));

    const found = discoverKits(packages);
    expect(found).toEqual([
      { dir: "early", name: "@fake/early", format: "early", kit: "earlyKit", reference: undefined, system: [], order: 1 },
      { dir: "fake", name: "@fake/regkit-fake", format: "fake", kit: "fakeKit", reference: "fakeReference", system: ["fake-tool"], order: 5 },
    ]);

    const text = renderKits(found);
    expect(text).toContain('import { fakeKit } from "@fake/regkit-fake";');
    expect(text).toContain('import { fakeReference } from "@fake/regkit-fake/reference";');
    expect(text).toContain("export const kits: readonly FormatKit[] = [earlyKit, fakeKit];");
    expect(text).toContain('export const referenceFormats: Readonly<Record<string, ReferenceFormat>> = { "fake": fakeReference };');

    // The generated module really loads: written next to a node_modules that holds the two packages.
    const app = join(dir, "ok", "app");
    await pkg(join(app, "node_modules", "@fake", "regkit-fake"), fake, files);
    await pkg(join(app, "node_modules", "@fake", "early"), { name: "@fake/early", type: "module", exports: { ".": "./index.js" } }, { "index.js": 'export const earlyKit = { format: "early" };\n' });
    await writeFile(join(app, "kits.generated.ts"), text);
    const loaded = (await import(pathToFileURL(join(app, "kits.generated.ts")).href)) as { kits: readonly { format: string }[]; referenceFormats: Readonly<Record<string, { segment: string }>> };
    expect(loaded.kits.map((k) => k.format)).toEqual(["early", "fake"]);
    expect(loaded.referenceFormats).toEqual({ fake: { segment: "fake" } });
  });

  test("a bad \"regkit\" field throws, naming the file and every problem", async () => {
    const bad = join(dir, "bad", "packages");
    await pkg(join(bad, "broken"), { name: "@fake/broken", regkit: { format: "Not An Id", kit: "1kit", reference: "fakeReference" } });
    const file = join(bad, "broken", "package.json");
    expect(() => discoverKits(bad)).toThrow(file);
    expect(() => discoverKits(bad)).toThrow(/"regkit\.format" must be a lowercase id; "regkit\.kit" must name the kit's export; "regkit\.reference" is set but package.json exports no "\.\/reference"/);

    const noReference = join(dir, "bad2", "packages");
    await pkg(join(noReference, "kit"), { name: "@fake/kit", exports: { ".": "./index.js" }, regkit: { format: "kit", kit: "kitKit", reference: "kitReference" } });
    expect(() => discoverKits(noReference)).toThrow(/kit[\\/]package\.json: "regkit\.reference" is set but package.json exports no "\.\/reference"/);
  });
});

// ---------------------------------------------------------------------------
// No server code in a kit's main entry: the client side of a kit must load
// without the reference registry (a user's CI installs the kit, not the server).

/** Module specifiers a built ES module imports (static, side-effect, dynamic, re-export). */
function importsOf(code: string): string[] {
  const specifiers: string[] = [];
  for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g)) specifiers.push(match[1]!);
  return specifiers;
}

/** Every file of the import graph of `entry` among the package's own files, and the bare specifiers they import. */
function graphOf(entry: string): { readonly files: readonly string[]; readonly external: ReadonlyMap<string, string> } {
  const files: string[] = [];
  const external = new Map<string, string>();
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (files.includes(file)) continue;
    files.push(file);
    for (const specifier of importsOf(readFileSync(file, "utf8"))) {
      if (specifier.startsWith(".")) queue.push(resolve(dirname(file), specifier));
      else if (!external.has(specifier)) external.set(specifier, file);
    }
  }
  return { files, external };
}

const SERVER = /^(@regkit\/registry|busboy)(\/|$)/;

/** The server-side imports of a graph, as "specifier (in file)". */
function serverImports(entry: string): string[] {
  return [...graphOf(entry).external].filter(([specifier]) => SERVER.test(specifier)).map(([specifier, file]) => `${specifier} (in ${file})`);
}

describe("no kit's main entry imports server code", () => {
  test("the check finds a server import two chunks away (it can fail)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "regkit-graph-"));
    try {
      await writeFile(join(dir, "index.js"), 'import { a } from "./chunk-a.js";\nexport { b } from \'./chunk-b.js\';\nimport * as fc from "fast-check";\nexport const x = a;\n');
      await writeFile(join(dir, "chunk-a.js"), 'import "./chunk-c.js";\nexport const a = 1;\n');
      await writeFile(join(dir, "chunk-b.js"), "export const b = 2;\n");
      await writeFile(join(dir, "chunk-c.js"), 'import {\n  refuse\n} from "@regkit/registry/contract";\nconst lazy = () => import("busboy");\nexport { refuse, lazy };\n');
      const graph = graphOf(join(dir, "index.js"));
      expect(graph.files.map((f) => f.slice(dir.length + 1))).toEqual(["index.js", "chunk-a.js", "chunk-b.js", "chunk-c.js"]);
      expect([...graph.external.keys()]).toEqual(["fast-check", "@regkit/registry/contract", "busboy"]);
      expect(serverImports(join(dir, "index.js"))).toEqual([`@regkit/registry/contract (in ${join(dir, "chunk-c.js")})`, `busboy (in ${join(dir, "chunk-c.js")})`]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  for (const kit of discoverKits()) {
    test(`${kit.name}: dist/index.js and every chunk it imports`, () => {
      const entry = join(packagesDir, kit.dir, "dist", "index.js");
      expect(existsSync(entry), `${entry} is missing: build the kit first (pnpm --filter ${kit.name} build)`).toBe(true);
      expect(serverImports(entry)).toEqual([]);
      // The kit's own code is really in the graph (an empty graph would pass the check above).
      expect(graphOf(entry).external.has("@regkit/core"), `${kit.name}'s main entry imports @regkit/core`).toBe(true);
    });
  }
});
