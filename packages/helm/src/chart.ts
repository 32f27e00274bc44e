/**
 * Helm chart archives: a gzip tar with `<name>/Chart.yaml` (apiVersion v2),
 * built from a spec with core's tar and gzip, and read back (the
 * `Chart.yaml` an archive carries) by the adapter's checks and the reference.
 *
 * @module
 */
import { createGunzip } from "node:zlib";
import { parse, stringify } from "yaml";

/** A chart dependency as Chart.yaml (apiVersion v2) lists it. */
export interface ChartDependency {
  readonly name: string;
  readonly version: string;
  readonly repository?: string | undefined;
}

/** The Chart.yaml fields the kit writes (Helm's chart.Metadata, apiVersion v2). */
export interface ChartMetadata {
  readonly apiVersion: "v2";
  readonly name: string;
  readonly version: string;
  readonly description?: string | undefined;
  readonly type?: "application" | "library" | undefined;
  readonly appVersion?: string | undefined;
  readonly keywords?: readonly string[] | undefined;
  readonly dependencies?: readonly ChartDependency[] | undefined;
}

/** Chart.yaml text for `metadata` (keys in Helm's own order). */
export function chartYaml(metadata: ChartMetadata): string {
  const ordered: Record<string, unknown> = { apiVersion: metadata.apiVersion, name: metadata.name, version: metadata.version };
  if (metadata.description !== undefined) ordered.description = metadata.description;
  ordered.type = metadata.type ?? "application";
  if (metadata.keywords?.length) ordered.keywords = [...metadata.keywords];
  if (metadata.appVersion !== undefined) ordered.appVersion = metadata.appVersion;
  if (metadata.dependencies?.length) ordered.dependencies = metadata.dependencies.map((d) => ({ ...d }));
  // Strings quoted, as `helm create` writes appVersion: a bare 1.10 would read back as a number.
  return stringify(ordered, { defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
}

/** `<name>-<version>.tgz`, the file name Helm packages a chart under (and GitLab stores it under). */
export function chartFileName(name: string, version: string): string {
  return `${name}-${version}.tgz`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Parses Chart.yaml text; undefined when it is not a YAML mapping. */
export function parseChartYaml(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = parse(text, { schema: "core" });
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The most Chart.yaml bytes read (GitLab's ExtractFileMetadataService refuses a bigger one: 1 MiB). */
export const MAX_CHART_YAML = 1024 * 1024;
/** Decompressed bytes scanned for Chart.yaml before giving up (a bound against gzip bombs). */
const MAX_SCANNED = 64 * 1024 * 1024;

function octal(bytes: Uint8Array, start: number, length: number): number {
  const text = Buffer.from(bytes.subarray(start, start + length)).toString("latin1").replace(/\0.*$/s, "").trim();
  return text ? Number.parseInt(text, 8) : 0;
}

function entryName(header: Uint8Array): string {
  const name = Buffer.from(header.subarray(0, 100)).toString("utf8").replace(/\0.*$/s, "");
  const prefix = Buffer.from(header.subarray(345, 500)).toString("utf8").replace(/\0.*$/s, "");
  return prefix ? `${prefix}/${name}` : name;
}

/**
 * The text of the first regular file whose path ends in `/Chart.yaml` in a
 * gzip tar (as GitLab's ExtractFileMetadataService looks for it), read from
 * `chunks` as they come (the rest is not read); undefined when there is none,
 * when it is bigger than 1 MiB, or when the bytes are not a gzip tar.
 */
export async function readChartYaml(chunks: AsyncIterable<Uint8Array> | Uint8Array): Promise<string | undefined> {
  const gunzip = createGunzip();
  const source = chunks instanceof Uint8Array ? [chunks] : chunks;
  const feed = (async () => {
    try {
      for await (const chunk of source) {
        if (gunzip.destroyed) return;
        if (!gunzip.write(chunk)) await new Promise<void>((resolve) => gunzip.once("drain", resolve).once("close", resolve));
      }
      gunzip.end();
    } catch (error) {
      gunzip.destroy(error as Error);
    }
  })();
  let buffer: Buffer = Buffer.alloc(0);
  let scanned = 0;
  let found: string | undefined;
  // The state: skipping an entry's data, collecting one (a long name, a pax header, Chart.yaml), or reading a header.
  let skip = 0;
  let collect: { readonly kind: "chart" | "longName" | "pax"; readonly size: number; readonly padded: number } | undefined;
  let nextName: string | undefined;
  try {
    outer: for await (const piece of gunzip as AsyncIterable<Buffer>) {
      scanned += piece.length;
      if (scanned > MAX_SCANNED) break;
      buffer = buffer.length ? Buffer.concat([buffer, piece]) : piece;
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buffer.length);
          buffer = buffer.subarray(n);
          skip -= n;
          if (skip > 0) continue outer;
        }
        if (collect) {
          if (buffer.length < collect.size) continue outer;
          const data = buffer.subarray(0, collect.size).toString("utf8");
          if (collect.kind === "chart") {
            found = data;
            break outer;
          }
          if (collect.kind === "longName") nextName = data.replace(/\0.*$/s, "");
          else nextName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data)?.[1] ?? nextName;
          skip = collect.padded;
          collect = undefined;
          continue;
        }
        if (buffer.length < 512) continue outer;
        const header = buffer.subarray(0, 512);
        buffer = buffer.subarray(512);
        if (header.every((b) => b === 0)) break outer;
        const size = octal(header, 124, 12);
        const type = String.fromCharCode(header[156] ?? 0);
        const padded = Math.ceil(size / 512) * 512;
        if (type === "L" || type === "x") {
          collect = { kind: type === "L" ? "longName" : "pax", size, padded: padded - size };
          continue;
        }
        const name = nextName ?? entryName(header);
        nextName = undefined;
        const regular = type === "0" || type === "\0";
        if (regular && name.endsWith("/Chart.yaml")) {
          if (size > MAX_CHART_YAML) break outer;
          collect = { kind: "chart", size, padded: padded - size };
          continue;
        }
        skip = padded;
      }
    }
  } catch {
    found = undefined;
  } finally {
    gunzip.destroy();
    await feed.catch(() => undefined);
  }
  return found;
}
