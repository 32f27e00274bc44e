/**
 * Conan packages as the Conan 2 client makes them, built directly: a recipe
 * revision (`conanfile.py` and its `conanmanifest.txt`) and one binary package
 * of it (`conaninfo.txt`, `conanmanifest.txt`, `conan_package.tgz`).
 *
 * - A manifest is Conan's FileTreeManifest text: a timestamp line, then
 *   `path: md5` per file, sorted. A revision (Conan's default `hash` mode) is
 *   the MD5 of the manifest without its timestamp line (`summary_hash`).
 * - The package id is the SHA-1 of `conaninfo.txt`, as Conan 2 computes it
 *   (the recipe has one option and no settings, so no compiler is needed, and
 *   its `conaninfo.txt` is not empty: GitLab would not store an empty one).
 * - The main file is `conanfile.py`, which Conan stores, uploads and installs
 *   byte for byte (a real client publishes the very same bytes); a large
 *   package's recipe carries its size as comment lines, generated on the fly.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { type Artifact, type Content, type PackageSpec, contentFromBytes, contentFromChunks, generatedChunks, gzipBytes, tarStream } from "@regkit/core";

/** The user and channel of a recipe without them (`name/version`), as the v2 URLs spell it. */
export const NONE = "_";
/** The file names of one artifact, as the adapter reads them. */
export const RECIPE_FILE = "conanfile.py";
export const MANIFEST = "conanmanifest.txt";
export const CONANINFO = "conaninfo.txt";
export const PACKAGE_TGZ = "conan_package.tgz";
/** Extra files of the artifact that belong to the binary package carry this prefix. */
export const PACKAGE_PREFIX = "package/";
/** The `conaninfo.txt` Conan writes for the recipe: its one option (the package id is its SHA-1). */
export const CONANINFO_TEXT = "[options]\nflavour=regkit\n";
/** The manifests' timestamp: fixed, so that a build is reproducible. */
const MANIFEST_TIME = 1_767_225_600;

const encoder = new TextEncoder();
/** Keystream bytes each padding line of a large recipe spells in hex, and the line's length (`# `, the digits, `\n`). */
const HEX_BYTES = 32;
const LINE = 2 + HEX_BYTES * 2 + 1;

export function md5Hex(bytes: Uint8Array | string): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** Conan's manifest text for `files` (path → md5). */
export function manifestText(files: Readonly<Record<string, string>>, time = MANIFEST_TIME): string {
  const lines = Object.keys(files)
    .sort()
    .map((path) => `${path}: ${files[path]}`);
  return `${time}\n${lines.join("\n")}\n`;
}

/** The `path: md5` entries of a manifest text (its first line is the timestamp). */
export function manifestEntries(text: string): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const line of text.split("\n").slice(1)) {
    const at = line.lastIndexOf(": ");
    if (at > 0) entries[line.slice(0, at)] = line.slice(at + 2).trim();
  }
  return entries;
}

/** Conan's `summary_hash`: the revision of a recipe or package with this manifest. */
export function revisionOf(manifest: string): string {
  const entries = manifestEntries(manifest);
  const lines = Object.keys(entries)
    .sort()
    .map((path) => `${path}: ${entries[path]}`);
  return md5Hex(`${[...lines, ""].join("\n")}`);
}

/** A Python string literal for `text`. */
function pyString(text: string): string {
  return JSON.stringify(text);
}

function recipeHead(spec: PackageSpec): string {
  return [
    "# A recipe built by regkit: no settings or requirements, so no compiler is needed.",
    "from conan import ConanFile",
    "from conan.tools.files import copy",
    "",
    "",
    "class RegkitRecipe(ConanFile):",
    `    name = ${pyString(spec.name)}`,
    `    version = ${pyString(spec.version)}`,
    `    description = ${pyString(spec.description ?? "a regkit conformance package")}`,
    "    # One option, so that conaninfo.txt is not empty: GitLab stores no empty file (conanGitLabFacts.emptyFiles).",
    '    options = {"flavour": ["regkit"]}',
    '    default_options = {"flavour": "regkit"}',
    '    exports_sources = "payload/*"',
    "",
    "    def package(self):",
    '        copy(self, "*", self.source_folder, self.package_folder)',
    "",
  ].join("\n");
}

/** Comment lines filling the recipe to about `size` bytes, deterministic for the spec. */
function paddedRecipe(head: Uint8Array, size: number, seed: string): () => AsyncIterable<Uint8Array> {
  const random = generatedChunks(Math.ceil(Math.max(0, size - head.byteLength) / LINE) * HEX_BYTES, seed);
  return async function* () {
    yield head;
    let left = Math.max(0, size - head.byteLength);
    // Each line `# <64 hex digits>\n` spells 32 bytes of core's seeded
    // keystream: distinct lines for a seed, the same ones at every read, and
    // cheap (a hash per line made each read of 64 MiB cost seconds).
    // Written straight into one buffer per chunk of keystream (a string per
    // line, joined and encoded, cost a second of CPU per 64 MiB read).
    const width = HEX_BYTES * 2;
    for await (const bytes of random()) {
      const hex = Buffer.from(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex"), "latin1");
      const out = Buffer.allocUnsafe(Math.ceil(hex.length / width) * LINE);
      let at = 0;
      for (let from = 0; from < hex.length && left > 0; from += width) {
        const digits = Math.min(width, hex.length - from);
        if (digits + 3 > left) {
          // The last line is cut to the size asked for, still a comment line.
          if (left > 1) {
            out[at++] = 0x23; // #
            out.fill(0x20, at, at + left - 2);
            at += left - 2;
          }
          out[at++] = 0x0a;
          left = 0;
          break;
        }
        out[at++] = 0x23; // #
        out[at++] = 0x20; // space
        at += hex.copy(out, at, from, from + digits);
        out[at++] = 0x0a;
        left -= digits + 3;
      }
      if (at > 0) yield out.subarray(0, at);
    }
  };
}

/** What the adapter needs to upload an artifact: the files of the recipe revision and of its package. */
export interface ConanLayout {
  readonly recipeRevision: string;
  readonly packageId: string;
  readonly packageRevision: string;
  readonly recipe: readonly { readonly filename: string; readonly content: Content }[];
  readonly package: readonly { readonly filename: string; readonly content: Content }[];
}

/** Reads the recipe and package files of an artifact built by {@link buildConanPackage} (or laid out like it). */
export function layoutOf(artifact: Artifact): ConanLayout {
  const extra = artifact.extra ?? [];
  const find = (name: string) => extra.find((f) => f.filename === name)?.content;
  const recipeManifest = find(MANIFEST);
  const info = find(`${PACKAGE_PREFIX}${CONANINFO}`);
  const packageManifest = find(`${PACKAGE_PREFIX}${MANIFEST}`);
  if (!recipeManifest?.bytes || !info?.bytes || !packageManifest?.bytes) throw new Error(`${artifact.name}@${artifact.version} is not a Conan artifact (no manifests)`);
  const decoder = new TextDecoder();
  const recipe = [{ filename: artifact.filename, content: artifact.content }, ...extra.filter((f) => !f.filename.startsWith(PACKAGE_PREFIX))];
  // Conan uploads the manifest last: its arrival is what makes a revision whole.
  recipe.sort((a, b) => Number(a.filename === MANIFEST) - Number(b.filename === MANIFEST));
  const pkg = extra.filter((f) => f.filename.startsWith(PACKAGE_PREFIX)).map((f) => ({ filename: f.filename.slice(PACKAGE_PREFIX.length), content: f.content }));
  pkg.sort((a, b) => Number(a.filename === MANIFEST) - Number(b.filename === MANIFEST));
  return {
    recipeRevision: revisionOf(decoder.decode(recipeManifest.bytes)),
    packageId: createHash("sha1").update(info.bytes).digest("hex"),
    packageRevision: revisionOf(decoder.decode(packageManifest.bytes)),
    recipe,
    package: pkg,
  };
}

/** A recipe revision and one binary package of it for `spec`. */
export async function buildConanPackage(spec: PackageSpec): Promise<Artifact> {
  const head = encoder.encode(recipeHead(spec));
  const recipe = spec.size ? await contentFromChunks(paddedRecipe(head, spec.size, `${spec.name}@${spec.version}`)) : contentFromBytes(head);
  const payload = Object.entries(spec.files ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const info = encoder.encode(CONANINFO_TEXT);
  const packaged: Record<string, string> = { [CONANINFO]: md5Hex(info) };
  for (const [path, bytes] of payload) packaged[`payload/${path}`] = md5Hex(bytes);
  const tgz = await gzipBytes(tarStream(payload.map(([path, bytes]) => ({ path: `payload/${path}`, bytes }))), 6);
  return {
    name: spec.name,
    version: spec.version,
    filename: RECIPE_FILE,
    content: recipe,
    extra: [
      { filename: MANIFEST, content: contentFromBytes(encoder.encode(manifestText({ [RECIPE_FILE]: recipe.digests.md5 }))) },
      { filename: `${PACKAGE_PREFIX}${CONANINFO}`, content: contentFromBytes(info) },
      { filename: `${PACKAGE_PREFIX}${PACKAGE_TGZ}`, content: contentFromBytes(tgz) },
      { filename: `${PACKAGE_PREFIX}${MANIFEST}`, content: contentFromBytes(encoder.encode(manifestText(packaged))) },
    ],
  };
}

/**
 * The artifact with an empty `conaninfo.txt` (what Conan 2 writes for a recipe
 * with no settings, options or requirements) and the package manifest to go
 * with it: another package id (the SHA-1 of nothing) and package revision.
 */
export function withEmptyConaninfo(artifact: Artifact): Artifact {
  const extra = artifact.extra ?? [];
  const packageManifest = extra.find((f) => f.filename === `${PACKAGE_PREFIX}${MANIFEST}`)?.content.bytes;
  if (!packageManifest) throw new Error(`${artifact.name}@${artifact.version} is not a Conan artifact (no package manifest)`);
  const entries = { ...manifestEntries(new TextDecoder().decode(packageManifest)), [CONANINFO]: md5Hex(new Uint8Array(0)) };
  return {
    ...artifact,
    extra: extra.map((f) => {
      if (f.filename === `${PACKAGE_PREFIX}${CONANINFO}`) return { filename: f.filename, content: contentFromBytes(new Uint8Array(0)) };
      if (f.filename === `${PACKAGE_PREFIX}${MANIFEST}`) return { filename: f.filename, content: contentFromBytes(encoder.encode(manifestText(entries))) };
      return f;
    }),
  };
}
