/**
 * `maven-metadata.xml`, at both levels Maven writes it: the artifact level
 * (every version, `<latest>`, `<release>`) and the version level of a SNAPSHOT
 * (the newest build's timestamp and number, and the file of each
 * classifier/extension).
 *
 * @module
 */
import { XMLParser } from "fast-xml-parser";
import { SyntaxValidator } from "fast-xml-validator";
import { compareMavenVersions, isSnapshotVersion } from "./version.js";

export interface SnapshotVersion {
  readonly classifier?: string | undefined;
  readonly extension: string;
  /** The timestamped version of the file: `1.0-20240102.030405-7`. */
  readonly value: string;
  readonly updated?: string | undefined;
}

export interface Versioning {
  readonly latest?: string | undefined;
  readonly release?: string | undefined;
  readonly versions: readonly string[];
  /** `yyyyMMddHHmmss`, UTC. */
  readonly lastUpdated?: string | undefined;
  readonly snapshot?: { readonly timestamp?: string | undefined; readonly buildNumber?: number | undefined } | undefined;
  readonly snapshotVersions: readonly SnapshotVersion[];
}

export interface MavenMetadata {
  readonly groupId?: string | undefined;
  readonly artifactId?: string | undefined;
  /** Version-level metadata only. */
  readonly version?: string | undefined;
  readonly versioning: Versioning;
}

const LISTS = new Set(["metadata.versioning.versions.version", "metadata.versioning.snapshotVersions.snapshotVersion"]);

const parser = new XMLParser({
  ignoreAttributes: true,
  // Versions are text: "1.10" must not become the number 1.1.
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  isArray: (_name: string, jpath: unknown) => typeof jpath === "string" && LISTS.has(jpath),
});

/** Why `xml` is not Maven metadata; the message says where it breaks. */
export class MetadataParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MetadataParseError";
  }
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value === "" ? undefined : value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === "" ? [] : [value];
}

/** Parses either level of `maven-metadata.xml`; throws {@link MetadataParseError} on anything else. */
export function parseMavenMetadata(xml: string): MavenMetadata {
  try {
    SyntaxValidator.validate(xml);
  } catch (error) {
    throw new MetadataParseError(`not well-formed XML: ${(error as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parser.parse(xml);
  } catch (error) {
    throw new MetadataParseError(`unreadable XML: ${(error as Error).message}`);
  }
  const root = record(doc);
  if (!("metadata" in root)) throw new MetadataParseError("the root element is not <metadata>");
  const metadata = record(root.metadata);
  const versioning = record(metadata.versioning);
  const versions = list(record(versioning.versions).version).flatMap((v) => {
    const version = text(v);
    return version === undefined ? [] : [version];
  });
  const snapshotRecord = versioning.snapshot === undefined ? undefined : record(versioning.snapshot);
  let snapshot: Versioning["snapshot"];
  if (snapshotRecord) {
    const buildText = text(snapshotRecord.buildNumber);
    const buildNumber = buildText === undefined ? undefined : Number(buildText);
    if (buildNumber !== undefined && !Number.isSafeInteger(buildNumber)) {
      throw new MetadataParseError(`<buildNumber> is not a number: ${buildText}`);
    }
    snapshot = { timestamp: text(snapshotRecord.timestamp), buildNumber };
  }
  const snapshotVersions = list(record(versioning.snapshotVersions).snapshotVersion).flatMap((entry) => {
    const fields = record(entry);
    const extension = text(fields.extension);
    const value = text(fields.value);
    if (extension === undefined || value === undefined) return [];
    return [{ classifier: text(fields.classifier), extension, value, updated: text(fields.updated) }];
  });
  return {
    groupId: text(metadata.groupId),
    artifactId: text(metadata.artifactId),
    version: text(metadata.version),
    versioning: {
      latest: text(versioning.latest),
      release: text(versioning.release),
      versions,
      lastUpdated: text(versioning.lastUpdated),
      snapshot,
      snapshotVersions,
    },
  };
}

function escapeXml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}

/** Renders metadata the way Maven writes it (modelVersion 1.1.0, two-space indent). */
export function renderMavenMetadata(metadata: MavenMetadata): string {
  const lines: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', '<metadata modelVersion="1.1.0">'];
  const element = (indent: number, name: string, value: string | number | undefined): void => {
    if (value === undefined) return;
    lines.push(`${"  ".repeat(indent)}<${name}>${escapeXml(String(value))}</${name}>`);
  };
  element(1, "groupId", metadata.groupId);
  element(1, "artifactId", metadata.artifactId);
  element(1, "version", metadata.version);
  const v = metadata.versioning;
  lines.push("  <versioning>");
  element(2, "latest", v.latest);
  element(2, "release", v.release);
  if (v.snapshot) {
    lines.push("    <snapshot>");
    element(3, "timestamp", v.snapshot.timestamp);
    element(3, "buildNumber", v.snapshot.buildNumber);
    lines.push("    </snapshot>");
  }
  if (v.versions.length > 0) {
    lines.push("    <versions>");
    for (const version of v.versions) element(3, "version", version);
    lines.push("    </versions>");
  }
  element(2, "lastUpdated", v.lastUpdated);
  if (v.snapshotVersions.length > 0) {
    lines.push("    <snapshotVersions>");
    for (const sv of v.snapshotVersions) {
      lines.push("      <snapshotVersion>");
      element(4, "classifier", sv.classifier);
      element(4, "extension", sv.extension);
      element(4, "value", sv.value);
      element(4, "updated", sv.updated);
      lines.push("      </snapshotVersion>");
    }
    lines.push("    </snapshotVersions>");
  }
  lines.push("  </versioning>");
  lines.push("</metadata>");
  return `${lines.join("\n")}\n`;
}

/** The highest of `versions` in Maven's order, or undefined for none. */
export function highestVersion(versions: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const version of versions) {
    if (best === undefined || compareMavenVersions(version, best) > 0) best = version;
  }
  return best;
}

/**
 * Artifact-level metadata after deploying `version`: the union of versions in
 * Maven's order, `<latest>` the highest of them, `<release>` the highest that
 * is not a SNAPSHOT (kept as it was when there is none).
 */
export function mergeArtifactMetadata(
  current: MavenMetadata | undefined,
  input: { readonly groupId: string; readonly artifactId: string; readonly version: string; readonly lastUpdated: string },
): MavenMetadata {
  const versions = [...new Set([...(current?.versioning.versions ?? []), input.version])].sort(compareMavenVersions);
  const releases = versions.filter((v) => !isSnapshotVersion(v));
  return {
    groupId: input.groupId,
    artifactId: input.artifactId,
    versioning: {
      latest: highestVersion(versions),
      release: highestVersion(releases) ?? current?.versioning.release,
      versions,
      lastUpdated: input.lastUpdated,
      snapshotVersions: [],
    },
  };
}

/**
 * Version-level metadata of a SNAPSHOT after a deploy of build `buildNumber`:
 * the files it deployed replace the entries of the same classifier and extension.
 */
export function mergeSnapshotMetadata(
  current: MavenMetadata | undefined,
  input: {
    readonly groupId: string;
    readonly artifactId: string;
    readonly version: string;
    readonly timestamp: string;
    readonly buildNumber: number;
    readonly lastUpdated: string;
    readonly files: readonly { readonly classifier?: string | undefined; readonly extension: string; readonly value: string }[];
  },
): MavenMetadata {
  const key = (sv: { readonly classifier?: string | undefined; readonly extension: string }) =>
    `${sv.classifier ?? ""}\u0000${sv.extension}`;
  const replaced = new Set(input.files.map(key));
  const kept = (current?.versioning.snapshotVersions ?? []).filter((sv) => !replaced.has(key(sv)));
  return {
    groupId: input.groupId,
    artifactId: input.artifactId,
    version: input.version,
    versioning: {
      snapshot: { timestamp: input.timestamp, buildNumber: input.buildNumber },
      versions: [],
      lastUpdated: input.lastUpdated,
      snapshotVersions: [
        ...input.files.map((f) => ({ ...f, updated: input.lastUpdated })),
        ...kept,
      ],
    },
  };
}

/** The timestamped version of a SNAPSHOT's file, from version-level metadata. */
export function resolveSnapshotFile(
  metadata: MavenMetadata,
  kind: { readonly classifier?: string | undefined; readonly extension: string },
  baseVersion: string,
): string | undefined {
  const entry = metadata.versioning.snapshotVersions.find(
    (sv) => (sv.classifier ?? "") === (kind.classifier ?? "") && sv.extension === kind.extension,
  );
  if (entry) return entry.value;
  const { timestamp, buildNumber } = metadata.versioning.snapshot ?? {};
  if (timestamp === undefined || buildNumber === undefined) return undefined;
  const base = baseVersion.endsWith("-SNAPSHOT") ? baseVersion.slice(0, -"-SNAPSHOT".length) : baseVersion;
  return `${base}-${timestamp}-${buildNumber}`;
}
