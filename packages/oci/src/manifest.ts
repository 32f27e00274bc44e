/**
 * The OCI image and distribution specs' documents as regkit builds and reads
 * them: media types, descriptors, image manifests, indexes and artifacts,
 * digests, the error body every registry answers with, and the names regkit
 * gives the blobs of an image so the core catalog can list and pull them as
 * files.
 *
 * Sources: opencontainers/image-spec (manifest.md, image-index.md,
 * descriptor.md, manifest.md "Guidelines for Artifact Usage") and
 * opencontainers/distribution-spec v1.1 (spec.md: error codes, referrers,
 * tag schema fallback, tag and name grammar).
 *
 * @module
 */
import { createHash } from "node:crypto";

export const MEDIA = {
  manifest: "application/vnd.oci.image.manifest.v1+json",
  index: "application/vnd.oci.image.index.v1+json",
  config: "application/vnd.oci.image.config.v1+json",
  layerTar: "application/vnd.oci.image.layer.v1.tar",
  layerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  /** The empty descriptor's media type (image-spec manifest.md, "Guidance for an Empty Descriptor"). */
  empty: "application/vnd.oci.empty.v1+json",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
} as const;

/** What real clients (skopeo, crane, oras) send as Accept when they pull a manifest. */
export const CLIENT_ACCEPT = [MEDIA.manifest, MEDIA.index, MEDIA.dockerManifest, MEDIA.dockerList].join(", ");

/** The spec's repository name grammar (distribution-spec spec.md, "Pulling manifests"). */
export const NAME_REGEX = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
/** The spec's tag grammar: at most 128 characters. */
export const TAG_REGEX = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** A sha256 digest as the specs write it. */
export const DIGEST_REGEX = /^sha256:[a-f0-9]{64}$/;

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
  readonly platform?: { readonly architecture: string; readonly os: string };
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly manifests: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** `sha256:<hex>` of bytes. */
export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
}

/** The descriptor of bytes of a media type. */
export function describe(mediaType: string, bytes: Uint8Array, extra: Partial<Descriptor> = {}): Descriptor {
  return { mediaType, digest: sha256Digest(bytes), size: bytes.byteLength, ...extra };
}

/** Canonical enough JSON: the bytes pushed are the bytes whose digest counts, so they are kept as built. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** The empty JSON object the empty descriptor names (`{}`, 2 bytes). */
export const EMPTY_JSON = new TextEncoder().encode("{}");
export const EMPTY_DESCRIPTOR: Descriptor = describe(MEDIA.empty, EMPTY_JSON);

/** Names regkit gives an image's parts, so the catalog's file checks can list and pull them. */
export const MANIFEST_FILE = "manifest.json";
export const CONFIG_FILE = "config.json";

/** `layer.tar.gz` for the first layer, `layer-2.tar.gz` for the second, by media type. */
export function layerFilename(index: number, mediaType: string): string {
  const ext = mediaType.endsWith("+gzip") ? "tar.gz" : mediaType.endsWith("+zstd") ? "tar.zst" : mediaType.endsWith(".tar") ? "tar" : "bin";
  return index === 0 ? `layer.${ext}` : `layer-${index + 1}.${ext}`;
}

/** The parts of a manifest by regkit's file names: config, then each layer. */
export function manifestFiles(manifest: ImageManifest): { filename: string; descriptor: Descriptor }[] {
  // A layer's `org.opencontainers.image.title` (what oras and regkit's drivers name files by) wins over the positional name.
  return [
    { filename: CONFIG_FILE, descriptor: manifest.config },
    ...manifest.layers.map((descriptor, i) => ({ filename: descriptor.annotations?.[TITLE] ?? layerFilename(i, descriptor.mediaType), descriptor })),
  ];
}

/** The annotation naming a layer's file (image-spec annotations.md). */
export const TITLE = "org.opencontainers.image.title";

/** An image config for a layer (image-spec config.md: architecture, os, rootfs.diff_ids). */
export function imageConfig(diffId: string, labels: Readonly<Record<string, string>> = {}): Uint8Array {
  return jsonBytes({
    architecture: "amd64",
    os: "linux",
    config: { Labels: labels },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created_by: "regkit" }],
  });
}

export function imageManifest(config: Descriptor, layers: readonly Descriptor[], extra: { artifactType?: string; subject?: Descriptor; annotations?: Record<string, string> } = {}): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: MEDIA.manifest,
    ...(extra.artifactType ? { artifactType: extra.artifactType } : {}),
    config,
    layers,
    ...(extra.subject ? { subject: extra.subject } : {}),
    ...(extra.annotations ? { annotations: extra.annotations } : {}),
  };
}

export function imageIndex(manifests: readonly Descriptor[], annotations?: Record<string, string>): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA.index, manifests, ...(annotations ? { annotations } : {}) };
}

/** A manifest or index parsed from a registry's answer, or why it is not one. */
export function parseManifest(bytes: Uint8Array): { manifest?: ImageManifest; index?: ImageIndex; problem?: string } {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    return { problem: `not JSON (${(error as Error).message})` };
  }
  if (!doc || typeof doc !== "object") return { problem: "not a JSON object" };
  const d = doc as Record<string, unknown>;
  if (d.schemaVersion !== 2) return { problem: `schemaVersion is ${JSON.stringify(d.schemaVersion)}, not 2` };
  if (Array.isArray(d.manifests)) return { index: doc as ImageIndex };
  if (d.config && typeof d.config === "object" && Array.isArray(d.layers)) return { manifest: doc as ImageManifest };
  return { problem: "neither an image manifest (config, layers) nor an index (manifests)" };
}

/** The tag the referrers tag schema uses for a subject (`sha256-<hex>`; distribution-spec "Referrers Tag Schema"). */
export function referrersTag(digest: string): string {
  return digest.replace(":", "-");
}

/** The error codes of distribution-spec spec.md's table. */
export const ERROR_CODES = [
  "BLOB_UNKNOWN",
  "BLOB_UPLOAD_INVALID",
  "BLOB_UPLOAD_UNKNOWN",
  "DIGEST_INVALID",
  "MANIFEST_BLOB_UNKNOWN",
  "MANIFEST_INVALID",
  "MANIFEST_UNKNOWN",
  "NAME_INVALID",
  "NAME_UNKNOWN",
  "SIZE_INVALID",
  "UNAUTHORIZED",
  "DENIED",
  "UNSUPPORTED",
  "TOOMANYREQUESTS",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The `code`s of an error body `{"errors":[{"code","message","detail"}]}`; empty when the body is not one. */
export function errorCodes(body: string): string[] {
  try {
    const doc = JSON.parse(body) as { errors?: unknown };
    if (!Array.isArray(doc.errors)) return [];
    return doc.errors.map((e: unknown) => (e && typeof e === "object" && typeof (e as { code?: unknown }).code === "string" ? (e as { code: string }).code : "")).filter(Boolean);
  } catch {
    return [];
  }
}

/** The `<url>` of a `Link: <url>; rel="next"` header (RFC 5988, as distribution-spec uses it). */
export function nextLink(link: string | undefined): string | undefined {
  if (!link) return undefined;
  for (const part of link.split(",")) {
    const match = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (match) return match[1];
  }
  return undefined;
}
