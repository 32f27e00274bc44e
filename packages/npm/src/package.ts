import { createHash } from "node:crypto";
import { constants } from "node:zlib";
import {
  contentFromBytes,
  contentFromChunks,
  generatedChunks,
  gzipBytes,
  gzipStream,
  tarStream,
  type Artifact,
  type Content,
  type PackageSpec,
  type TarEntry,
} from "@regkit/core";
import { tarballName } from "./names.js";

/** A tarball as npm packs it (entries under `package/`). Large pads stream from generated content. */
export async function buildTarball(files: Readonly<Record<string, Uint8Array>>, pad?: { readonly path: string; readonly size: number; readonly seed: number }): Promise<Content> {
  const entries: TarEntry[] = Object.entries(files)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([path, bytes]) => ({ path: `package/${path}`, bytes }));
  if (!pad) {
    return contentFromBytes(await gzipBytes(tarStream(entries), constants.Z_BEST_COMPRESSION));
  }
  entries.push({ path: `package/${pad.path}`, size: pad.size, chunks: generatedChunks(pad.size, pad.seed) });
  return contentFromChunks(gzipStream(() => tarStream(entries), constants.Z_NO_COMPRESSION));
}

/**
 * The package a scenario asks for, as `npm pack` would produce it: a
 * package.json, a README and an index.js, plus the spec's files; a sized
 * package gets a padding file generated from a seed of its name and version,
 * so the same spec always gives the same bytes.
 */
export async function buildNpmPackage(spec: PackageSpec): Promise<Artifact> {
  const encoder = new TextEncoder();
  const manifest = { name: spec.name, version: spec.version, description: spec.description ?? `regkit conformance package ${spec.name}`, license: "MIT", main: "index.js" };
  const files: Record<string, Uint8Array> = {
    ...spec.files,
    "package.json": encoder.encode(`${JSON.stringify(manifest, null, 2)}\n`),
    "README.md": encoder.encode(`# ${spec.name}\n\nPublished by regkit.\n`),
    "index.js": encoder.encode(`module.exports = ${JSON.stringify(`${spec.name}@${spec.version}`)};\n`),
  };
  const seed = createHash("sha1").update(`${spec.name}@${spec.version}`).digest().readUInt32LE(0);
  const content = spec.size ? await buildTarball(files, { path: "regkit-padding.bin", size: Math.max(0, spec.size - 2048), seed }) : await buildTarball(files);
  return { name: spec.name, version: spec.version, filename: tarballName(spec.name, spec.version), content };
}
