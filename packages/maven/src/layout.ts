/**
 * The Maven 2 repository layout: where a coordinate's files live, and the
 * names of timestamped SNAPSHOT files.
 *
 * A package name in regkit's contract is `groupId:artifactId`.
 *
 * @module
 */
export interface Coordinates {
  readonly groupId: string;
  readonly artifactId: string;
}

/** Checksum files a Maven repository keeps next to every file, strongest last. */
export const CHECKSUM_ALGORITHMS = ["sha1", "md5", "sha256", "sha512"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export const METADATA_FILE = "maven-metadata.xml";

/** `groupId:artifactId` -> its parts; throws on a name without exactly one `:`. */
export function parseCoordinates(name: string): Coordinates {
  const colon = name.indexOf(":");
  if (colon <= 0 || colon === name.length - 1 || name.indexOf(":", colon + 1) >= 0) {
    throw new Error(`"${name}" is not a Maven package name: expected groupId:artifactId`);
  }
  return { groupId: name.slice(0, colon), artifactId: name.slice(colon + 1) };
}

export function coordinatesName(coordinates: Coordinates): string {
  return `${coordinates.groupId}:${coordinates.artifactId}`;
}

/** Path segments of the artifact directory: `com/example/app` for `com.example:app`. */
export function artifactSegments(coordinates: Coordinates): string[] {
  return [...coordinates.groupId.split("."), coordinates.artifactId];
}

/** A repository path from raw segments, each percent-encoded, with a leading `/`. */
export function repositoryPath(segments: readonly string[]): string {
  return `/${segments.map((s) => encodeURIComponent(s)).join("/")}`;
}

/** `-SNAPSHOT` replaced by a build's timestamp and number: `1.0-20240102.030405-7`. */
export function timestampedVersion(version: string, timestamp: string, buildNumber: number): string {
  const base = version.endsWith("-SNAPSHOT") ? version.slice(0, -"-SNAPSHOT".length) : version.replace(/SNAPSHOT$/, "");
  return `${base}-${timestamp}-${buildNumber}`;
}

/** The two clocks Maven metadata uses, both UTC: `yyyyMMdd.HHmmss` and `yyyyMMddHHmmss`. */
export function mavenTimestamps(date: Date): { readonly timestamp: string; readonly lastUpdated: string } {
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  const day = `${pad(date.getUTCFullYear(), 4)}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}`;
  const time = `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
  return { timestamp: `${day}.${time}`, lastUpdated: `${day}${time}` };
}

/** What follows `<artifactId>-<version>` in a file name: its classifier and extension. */
export interface FileKind {
  readonly classifier: string | undefined;
  readonly extension: string;
}

/**
 * Splits `app-1.0-sources.jar` (given `app-1.0`) into classifier `sources` and
 * extension `jar`; undefined when the name does not start with the prefix.
 */
export function fileKind(filename: string, prefix: string): FileKind | undefined {
  if (!filename.startsWith(prefix)) return undefined;
  const rest = filename.slice(prefix.length);
  if (rest.startsWith(".") && rest.length > 1) return { classifier: undefined, extension: rest.slice(1) };
  if (rest.startsWith("-")) {
    const dot = rest.indexOf(".");
    if (dot > 1 && dot < rest.length - 1) return { classifier: rest.slice(1, dot), extension: rest.slice(dot + 1) };
  }
  return undefined;
}

/** The file name of a coordinate's file in a (possibly timestamped) version. */
export function artifactFileName(artifactId: string, fileVersion: string, kind: FileKind): string {
  return `${artifactId}-${fileVersion}${kind.classifier ? `-${kind.classifier}` : ""}.${kind.extension}`;
}
