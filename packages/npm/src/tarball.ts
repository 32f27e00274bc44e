import { constants } from "node:zlib";
import { contentFromBytes, contentFromChunks, generatedChunks, gzipBytes, gzipStream, tarStream, type Content, type TarEntry } from "@regkit/core";

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
