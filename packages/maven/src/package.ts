/**
 * Builds real Maven artifacts: a jar (a ZIP with `META-INF/MANIFEST.MF`, the
 * embedded pom, and a valid, empty class file) and a pom with the same
 * coordinates. A large `spec.size` pads the jar with a STORED entry of
 * deterministic pseudo-random bytes.
 *
 * Jars are core's stored ZIPs with every size and CRC-32 in the local headers:
 * Java's `ZipInputStream` (Maven, `javap`) refuses a STORED entry that defers
 * them to a data descriptor, so the padding's CRC-32 is computed beforehand.
 *
 * Memory: jars up to {@link IN_MEMORY_JAR_LIMIT} are built in memory. Larger
 * ones are never held: building streams the padding twice (once for its CRC-32,
 * once for the jar's digests) and every upload generates it again.
 *
 * @module
 */
import { crc32 } from "node:zlib";
import {
  type Artifact,
  type Content,
  MAX_ZIP_SIZE,
  type PackageSpec,
  type ZipEntry,
  contentFromBytes,
  contentFromChunks,
  generatedChunks,
  zipBytes,
  zipOverhead,
  zipStream,
} from "@regkit/core";
import { type Coordinates, parseCoordinates } from "./layout.js";

/** Jars up to this size are built in memory; larger ones are streamed. */
export const IN_MEMORY_JAR_LIMIT = 8 * 1024 * 1024;
const PADDING_ENTRY = "META-INF/regkit/padding.bin";
const MARKER_CLASS = "io/regkit/generated/Marker";

function escapeXml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/** A minimal pom for `coordinates` at `version`. */
export function renderPom(coordinates: Coordinates, version: string, description?: string): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<project xmlns="http://maven.apache.org/POM/4.0.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"',
    '         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 https://maven.apache.org/xsd/maven-4.0.0.xsd">',
    "  <modelVersion>4.0.0</modelVersion>",
    `  <groupId>${escapeXml(coordinates.groupId)}</groupId>`,
    `  <artifactId>${escapeXml(coordinates.artifactId)}</artifactId>`,
    `  <version>${escapeXml(version)}</version>`,
    "  <packaging>jar</packaging>",
    `  <name>${escapeXml(coordinates.artifactId)}</name>`,
    ...(description ? [`  <description>${escapeXml(description)}</description>`] : []),
    "</project>",
    "",
  ].join("\n");
}

/**
 * A class file that loads: `public class io.regkit.generated.Marker` with no
 * members, and `note` kept as an unused constant so builds differ per version.
 */
export function markerClass(note: string): Uint8Array {
  const utf8 = (text: string): Buffer => {
    // Class files use "modified UTF-8"; ASCII is the same in both.
    const ascii = Buffer.from(text.replace(/[^\x20-\x7e]/g, "?").slice(0, 60000), "latin1");
    const head = Buffer.alloc(3);
    head.writeUInt8(1, 0);
    head.writeUInt16BE(ascii.byteLength, 1);
    return Buffer.concat([head, ascii]);
  };
  const classRef = (index: number): Buffer => Buffer.from([7, index >> 8, index & 0xff]);
  const pool = [classRef(2), utf8(MARKER_CLASS), classRef(4), utf8("java/lang/Object"), utf8(note)];
  const head = Buffer.alloc(10);
  head.writeUInt32BE(0xcafebabe, 0);
  head.writeUInt16BE(0, 4); // minor
  head.writeUInt16BE(52, 6); // Java 8
  head.writeUInt16BE(pool.length + 1, 8);
  const tail = Buffer.alloc(14);
  tail.writeUInt16BE(0x0021, 0); // public, super
  tail.writeUInt16BE(1, 2); // this
  tail.writeUInt16BE(3, 4); // super
  // interfaces, fields, methods, attributes: none
  return Buffer.concat([head, ...pool, tail]);
}

function manifest(name: string, version: string): string {
  // Manifest lines are at most 72 bytes; values here stay well below.
  const clip = (value: string) => value.replace(/[\r\n]/g, " ").slice(0, 50);
  return [
    "Manifest-Version: 1.0",
    "Created-By: regkit",
    `Implementation-Title: ${clip(name)}`,
    `Implementation-Version: ${clip(version)}`,
    "",
    "",
  ].join("\r\n");
}

function safeEntryName(path: string): string {
  const name = path.replace(/^\/+/, "");
  if (name === "" || name.split("/").some((part) => part === "" || part === "." || part === "..")) {
    throw new Error(`"${path}" cannot be a path inside a jar`);
  }
  return name;
}

function encode(text: string): Uint8Array {
  return Buffer.from(text, "utf8");
}

/** A jar entry held in memory: its size and CRC-32 are known before it is written. */
interface HeldEntry {
  readonly path: string;
  readonly bytes: Uint8Array;
}

async function contentOf(entries: readonly ZipEntry[], streamed: boolean): Promise<Content> {
  return streamed ? contentFromChunks(() => zipStream(entries)) : contentFromBytes(await zipBytes(entries));
}

/** The jar of `spec`: entries, padded to `spec.size` bytes when that is larger than the entries. */
export async function buildJar(spec: PackageSpec): Promise<Content> {
  const coordinates = parseCoordinates(spec.name);
  const pom = renderPom(coordinates, spec.version, spec.description);
  const metaDir = `META-INF/maven/${coordinates.groupId}/${coordinates.artifactId}`;
  const held: HeldEntry[] = [
    { path: "META-INF/MANIFEST.MF", bytes: encode(manifest(spec.name, spec.version)) },
    { path: `${metaDir}/pom.xml`, bytes: encode(pom) },
    {
      path: `${metaDir}/pom.properties`,
      bytes: encode(`groupId=${coordinates.groupId}\nartifactId=${coordinates.artifactId}\nversion=${spec.version}\n`),
    },
    { path: `${MARKER_CLASS}.class`, bytes: markerClass(`${spec.name}:${spec.version}`) },
  ];
  if (spec.description) held.push({ path: "META-INF/regkit/description.txt", bytes: encode(spec.description) });
  for (const [path, bytes] of Object.entries(spec.files ?? {})) held.push({ path: safeEntryName(path), bytes });

  const target = spec.size ?? 0;
  const fixed = zipOverhead(held.map((e) => e.path)) + held.reduce((sum, e) => sum + e.bytes.byteLength, 0);
  const withPadding = fixed + zipOverhead([PADDING_ENTRY]) - zipOverhead([]);
  if (target <= withPadding) return contentOf(held, false);
  if (target > MAX_ZIP_SIZE) {
    throw new Error(`a jar of ${target} bytes needs ZIP64, which regkit does not write (at most ${MAX_ZIP_SIZE})`);
  }
  const length = target - withPadding;
  const seed = `${spec.name}\u0000${spec.version}\u0000${target}\u0000${spec.description ?? ""}`;
  let crc = 0;
  const padding = generatedChunks(length, seed);
  for await (const chunk of padding()) crc = crc32(chunk, crc);
  // Size and CRC-32 given up front put them in the local header (no data
  // descriptor), which Java's ZipInputStream needs for a STORED entry.
  const entries: ZipEntry[] = [...held, { path: PADDING_ENTRY, size: length, crc, chunks: padding }];
  return contentOf(entries, target > IN_MEMORY_JAR_LIMIT);
}

/** The pom of `spec`. */
export function buildPom(spec: PackageSpec): Content {
  return contentFromBytes(encode(renderPom(parseCoordinates(spec.name), spec.version, spec.description)));
}

/** `app-1.0.jar` and `app-1.0.pom` for a spec: what `deploy:deploy-file` uploads. */
export async function buildMavenArtifact(spec: PackageSpec): Promise<Artifact> {
  const { artifactId } = parseCoordinates(spec.name);
  const [jar, pom] = await Promise.all([buildJar(spec), Promise.resolve(buildPom(spec))]);
  return {
    name: spec.name,
    version: spec.version,
    filename: `${artifactId}-${spec.version}.jar`,
    content: jar,
    extra: [{ filename: `${artifactId}-${spec.version}.pom`, content: pom }],
  };
}

/**
 * A classifier jar (`app-1.0-sources.jar`, `app-1.0-javadoc.jar`) to deploy
 * next to the main jar: a manifest and one file that says what it is.
 */
export async function buildClassifierJar(
  spec: PackageSpec,
  classifier: string,
): Promise<{ readonly filename: string; readonly content: Content }> {
  const { artifactId } = parseCoordinates(spec.name);
  const body =
    classifier === "sources"
      ? [`${MARKER_CLASS}.java`, `package io.regkit.generated;\n\n/** ${spec.name}:${spec.version} */\npublic class Marker {}\n`]
      : classifier === "javadoc"
        ? ["index.html", `<!DOCTYPE html>\n<title>${escapeXml(spec.name)} ${escapeXml(spec.version)}</title>\n`]
        : [`META-INF/regkit/${classifier}.txt`, `${spec.name}:${spec.version}:${classifier}\n`];
  const entries: HeldEntry[] = [
    { path: "META-INF/MANIFEST.MF", bytes: encode(manifest(spec.name, spec.version)) },
    { path: body[0]!, bytes: encode(body[1]!) },
  ];
  return {
    filename: `${artifactId}-${spec.version}-${classifier}.jar`,
    content: contentFromBytes(await zipBytes(entries)),
  };
}
