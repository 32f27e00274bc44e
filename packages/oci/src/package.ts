import { contentFromBytes, contentFromChunks, gzipBytes, tarStream, generatedChunks, collect, type Artifact, type PackageSpec, type TarEntry } from "@regkit/core";
import { TITLE, CONFIG_FILE, MANIFEST_FILE, MEDIA, describe, imageConfig, imageManifest, jsonBytes, layerFilename, sha256Digest } from "./manifest.js";

/**
 * A real OCI image for a spec: an image config, one layer and the image
 * manifest naming both. The package is the repository (`spec.name`), the
 * version is the tag. Small specs get a gzip'd tar layer holding the spec's
 * files and a README; a `size` spec gets an uncompressed tar layer holding one
 * generated file of that size, streamed (never held in memory). The main file
 * is the layer; the config and the manifest travel as extra files
 * (`config.json`, `manifest.json`), so the catalog's file checks cover every
 * blob of the image.
 */
export async function buildOciPackage(spec: PackageSpec): Promise<Artifact> {
  const readme = new TextEncoder().encode(`${spec.name}:${spec.version}\n${spec.description ?? "regkit conformance image"}\n`);
  const entries: TarEntry[] = [{ path: "regkit/README", bytes: readme }, ...Object.entries(spec.files ?? {}).map(([path, bytes]) => ({ path: `regkit/${path}`, bytes }))];
  let layer;
  let mediaType: string;
  let diffId: string;
  if (spec.size) {
    const size = spec.size;
    const chunks = generatedChunks(size, `${spec.name}@${spec.version}`);
    const make = (): AsyncIterable<Uint8Array> => tarStream([...entries, { path: "regkit/blob.bin", size, chunks }]);
    layer = await contentFromChunks(make);
    mediaType = MEDIA.layerTar;
    // Uncompressed: the diff id is the layer's own digest.
    diffId = `sha256:${layer.digests.sha256}`;
  } else {
    const tar = await collect(tarStream(entries));
    diffId = sha256Digest(tar);
    layer = contentFromBytes(await gzipBytes(tarStream(entries), 6));
    mediaType = MEDIA.layerGzip;
  }
  const config = imageConfig(diffId, {
    "org.opencontainers.image.title": spec.name,
    "org.opencontainers.image.version": spec.version,
    ...(spec.description ? { "org.opencontainers.image.description": spec.description } : {}),
  });
  const manifest = imageManifest(describe(MEDIA.config, config), [{ mediaType, digest: `sha256:${layer.digests.sha256}`, size: layer.size, annotations: { [TITLE]: layerFilename(0, mediaType) } }], {
    annotations: { "org.opencontainers.image.ref.name": spec.version },
  });
  return {
    name: spec.name,
    version: spec.version,
    filename: layerFilename(0, mediaType),
    content: layer,
    extra: [
      { filename: CONFIG_FILE, content: contentFromBytes(config) },
      { filename: MANIFEST_FILE, content: contentFromBytes(jsonBytes(manifest)) },
    ],
  };
}
