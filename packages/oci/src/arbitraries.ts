import * as fc from "fast-check";
import type { KitArbitraries } from "@regkit/core";
import { EMPTY_DESCRIPTOR, MEDIA, describe, imageIndex, imageManifest, jsonBytes, type Descriptor, type ImageIndex, type ImageManifest } from "./manifest.js";

/**
 * One path component of a repository name, per the distribution spec's
 * grammar `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`: alphanumeric runs joined by
 * `.`, `_`, `__` or dashes.
 */
export function nameComponent(): fc.Arbitrary<string> {
  const run = fc.stringMatching(/^[a-z0-9]{1,6}$/);
  const separator = fc.constantFrom(".", "_", "__", "-", "--");
  return fc.tuple(run, fc.array(fc.tuple(separator, run), { maxLength: 2 })).map(([head, rest]) => head + rest.map(([s, r]) => s + r).join(""));
}

/** A repository path of one to three components (GitLab allows up to two levels below a project). */
export function repositoryPath(): fc.Arbitrary<string> {
  return fc.array(nameComponent(), { minLength: 1, maxLength: 3 }).map((parts) => parts.join("/"));
}

/** Tags per the spec's grammar `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}` (kept short: every run pushes them). */
export function tag(): fc.Arbitrary<string> {
  return fc.stringMatching(/^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,24}$/);
}

/** Names the spec's grammar refuses: uppercase, a leading or trailing separator, `..`, an empty component, a separator run the grammar lacks. */
export function invalidName(): fc.Arbitrary<string> {
  return fc.oneof(
    nameComponent().map((c) => `${c}X`),
    nameComponent().map((c) => `-${c}`),
    nameComponent().map((c) => `${c}-`),
    nameComponent().map((c) => `${c}..x`),
    nameComponent().map((c) => `${c}//x`),
    nameComponent().map((c) => `${c}___x`),
  );
}

/** A small blob (config or layer bytes) with its descriptor. */
function blob(mediaType: string): fc.Arbitrary<{ bytes: Uint8Array; descriptor: Descriptor }> {
  return fc.uint8Array({ minLength: 1, maxLength: 256 }).map((bytes) => ({ bytes, descriptor: describe(mediaType, bytes) }));
}

/** What a generated manifest needs pushed first: its blobs, and the manifest. */
export interface GeneratedImage {
  readonly blobs: readonly Uint8Array[];
  readonly manifest: ImageManifest;
}

/** Image manifests with one to three layers of random bytes, optionally an artifact (artifactType, empty config) with annotations. */
export function manifest(): fc.Arbitrary<GeneratedImage> {
  const annotations = fc.dictionary(fc.stringMatching(/^org\.regkit\.[a-z]{1,8}$/), fc.string({ maxLength: 20 }), { maxKeys: 3 });
  return fc
    .record({
      config: blob(MEDIA.config),
      layers: fc.array(blob(MEDIA.layerTar), { minLength: 1, maxLength: 3 }),
      artifactType: fc.option(fc.constantFrom("application/vnd.regkit.test.v1", "application/vnd.regkit.sbom.v1+json"), { nil: undefined }),
      annotations,
    })
    .map(({ config, layers, artifactType, annotations }) => {
      // An artifact carries its type in artifactType and the empty config (image-spec "Guidelines for Artifact Usage").
      const configDescriptor = artifactType ? EMPTY_DESCRIPTOR : config.descriptor;
      const blobs = [artifactType ? new TextEncoder().encode("{}") : config.bytes, ...layers.map((l) => l.bytes)];
      return {
        blobs,
        manifest: imageManifest(configDescriptor, layers.map((l) => l.descriptor), { ...(artifactType ? { artifactType } : {}), ...(Object.keys(annotations).length ? { annotations } : {}) }),
      };
    });
}

/** Indexes over one to three generated manifests (each platform distinct). */
export function index(): fc.Arbitrary<{ images: readonly GeneratedImage[]; index: ImageIndex }> {
  const platforms = [
    { architecture: "amd64", os: "linux" },
    { architecture: "arm64", os: "linux" },
    { architecture: "s390x", os: "linux" },
  ];
  return fc.array(manifest(), { minLength: 1, maxLength: 3 }).map((images) => ({
    images,
    index: imageIndex(images.map((image, i) => ({ ...describe(MEDIA.manifest, jsonBytes(image.manifest)), platform: platforms[i]! }))),
  }));
}

/** Names, invalid names, versions (tags) and file trees of the format. */
export const ociArbitraries: KitArbitraries = {
  name: nameComponent,
  invalidName,
  version: tag,
  files: () => fc.dictionary(fc.stringMatching(/^[a-z0-9_-]{1,12}$/), fc.uint8Array({ maxLength: 256 }), { maxKeys: 3 }),
};
