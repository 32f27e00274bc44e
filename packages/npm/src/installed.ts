// What a real client installed, checked from the outside: the driver of a
// client that keeps no tarball (pnpm, yarn, bun unpack it straight into their
// stores) cannot hand its bytes to the round trip, so it proves them instead.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { digestOf, type Digests, type DriverContext } from "@regkit/core";
import { encodeName } from "./names.js";
import type { NpmProfile } from "./profiles.js";

/** How a client refused a download, read from its own output. */
export interface Verdict {
  /** `integrity`: the bytes did not match the packument's digest; `corrupt`: the archive would not unpack. */
  readonly kind: "integrity" | "corrupt";
  /** The client's own words for it (`EINTEGRITY`, `ERR_PNPM_TARBALL_INTEGRITY`). */
  readonly code: string;
  /** The line of the client's output that said so. */
  readonly line: string;
}

/**
 * Each client's words for "these bytes are not the ones announced" and "this
 * archive is broken", most specific first. A client that exits non-zero for
 * another reason (a 404, a timeout) has no verdict: the driver reports the
 * exit and the output, and the test that expects a refusal fails.
 */
const VERDICTS: readonly { readonly pattern: RegExp; readonly verdict: Omit<Verdict, "line"> }[] = [
  { pattern: /\bEINTEGRITY\b/, verdict: { kind: "integrity", code: "EINTEGRITY" } },
  { pattern: /ERR_PNPM_TARBALL_INTEGRITY/, verdict: { kind: "integrity", code: "ERR_PNPM_TARBALL_INTEGRITY" } },
  { pattern: /ERR_PNPM_BAD_TARBALL_SIZE/, verdict: { kind: "corrupt", code: "ERR_PNPM_BAD_TARBALL_SIZE" } },
  { pattern: /IntegrityCheckFailed|Integrity check failed/i, verdict: { kind: "integrity", code: "IntegrityCheckFailed" } },
  { pattern: /YN0018/, verdict: { kind: "integrity", code: "YN0018" } },
  { pattern: /doesn't match the expected checksum|checksum mismatch/i, verdict: { kind: "integrity", code: "checksum mismatch" } },
  // yarn unpacks with its own zlib and tar readers: "YN0001: │ ZlibError: zlib: invalid bit length repeat".
  { pattern: /ZlibError|\bzlib: |\bTAR_BAD_ARCHIVE\b|\bZ_DATA_ERROR\b|incorrect (?:header|data) check|invalid (?:stored block lengths|distance|block type|code lengths|bit length repeat|literal\/lengths set|distances set)|unexpected end of file|DecompressionError|Invalid gzip data|Unexpected end of (?:tar|gzip)/i, verdict: { kind: "corrupt", code: "corrupt archive" } },
];

/** The verdict a client's output gives on a download, if any, with the line that gave it. */
export function verdictOf(output: string): Verdict | undefined {
  for (const { pattern, verdict } of VERDICTS) {
    const line = output.split("\n").find((l) => pattern.test(l));
    if (line !== undefined) return { ...verdict, line: line.trim().slice(0, 300) };
  }
  return undefined;
}

/** One regular file of a tarball: its path under the package root, and its bytes. */
export interface TarFile {
  readonly path: string;
  readonly bytes: Buffer;
}

function field(block: Buffer, start: number, length: number): string {
  const raw = block.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? raw.length : end).toString("utf8");
}

/**
 * The regular files of a gzipped tarball (ustar, with pax and GNU long names),
 * each path without its first segment (`package/`, or whatever the packer
 * used). Small packages only: drivers get the small packages of the round trip.
 */
export function tarFiles(tgz: Uint8Array): TarFile[] {
  const tar = gunzipSync(tgz);
  const files: TarFile[] = [];
  let at = 0;
  let longName: string | undefined;
  while (at + 512 <= tar.length) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const size = Number.parseInt(field(header, 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] ?? 0);
    const body = tar.subarray(at + 512, at + 512 + size);
    at += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      // A pax header: only its path record matters here.
      const path = /\d+ path=([^\n]*)\n/.exec(body.toString("utf8"))?.[1];
      if (path) longName = path;
      continue;
    }
    if (type === "L") {
      longName = body.toString("utf8").replace(/\0+$/, "");
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type !== "0" && type !== "\0") continue;
    const slash = name.indexOf("/");
    files.push({ path: slash >= 0 ? name.slice(slash + 1) : name, bytes: Buffer.from(body) });
  }
  return files;
}

/** Whether `bytes` hash to one of the SRI entries a client recorded (`sha512-…`, `sha1-…`); undefined when no entry has an algorithm we know. */
export function matchesIntegrity(bytes: Uint8Array, integrity: string): boolean | undefined {
  let known = false;
  for (const entry of integrity.trim().split(/\s+/)) {
    const dash = entry.indexOf("-");
    const algorithm = entry.slice(0, dash);
    if (!["sha1", "sha256", "sha384", "sha512"].includes(algorithm)) continue;
    known = true;
    if (createHash(algorithm).update(bytes).digest("base64") === entry.slice(dash + 1).split("?")[0]) return true;
  }
  return known ? false : undefined;
}

/** Headers the registry expects on a read with this credential (the profile's own way). */
function readHeaders(ctx: DriverContext<NpmProfile>): Record<string, string> {
  return { ...ctx.target.profile.authHeaders(ctx.credential), accept: "application/json" };
}

async function get(url: string, ctx: DriverContext<NpmProfile>, what: string): Promise<Response> {
  const res = await fetch(url, { headers: readHeaders(ctx), signal: ctx.signal, redirect: "follow" });
  if (!res.ok) throw new Error(`${what}: GET ${new URL(url).pathname} answered ${res.status}`);
  return res;
}

/**
 * Checks what `client` installed into `project` and returns the digests of the
 * tarball it came from:
 *
 * 1. the installed package.json names `version`;
 * 2. the tarball the packument lists for that version (fetched through the
 *    same recording proxy, with the same credential) hashes to the integrity
 *    the client recorded in its lockfile after checking its own download, so
 *    those bytes are the client's bytes (when the client records one);
 * 3. every file of that tarball is on disk under node_modules, byte for byte.
 *
 * The round trip then compares the digests with what was published.
 */
export async function checkInstalled(
  client: string,
  name: string,
  version: string,
  project: string,
  ctx: DriverContext<NpmProfile>,
  recordedIntegrity: string | undefined,
): Promise<{ digests: Digests; note: string }> {
  const dir = join(project, "node_modules", ...name.split("/"));
  let manifest: { version?: unknown };
  try {
    manifest = JSON.parse(await readFile(join(dir, "package.json"), "utf8")) as { version?: unknown };
  } catch (error) {
    throw new Error(`${client} reported success but ${name} is not in node_modules: ${(error as Error).message}`);
  }
  if (manifest.version !== version) throw new Error(`${client} installed ${name}@${String(manifest.version)}, not ${version}`);

  const packumentUrl = `${ctx.registry.replace(/\/+$/, "")}/${encodeName(name)}`;
  const packument = (await (await get(packumentUrl, ctx, `reading ${name}'s packument after ${client} installed it`)).json()) as {
    versions?: Record<string, { dist?: { tarball?: unknown } }>;
  };
  const tarball = packument.versions?.[version]?.dist?.tarball;
  if (typeof tarball !== "string") throw new Error(`the packument of ${name} lists no dist.tarball for ${version} (GET ${new URL(packumentUrl).pathname})`);
  const bytes = new Uint8Array(await (await get(tarball, ctx, `fetching the tarball ${client} installed`)).arrayBuffer());
  const { digests } = await digestOf(bytes);

  const notes: string[] = [];
  if (recordedIntegrity !== undefined) {
    const matches = matchesIntegrity(bytes, recordedIntegrity);
    if (matches === false) {
      throw new Error(`${client} recorded ${recordedIntegrity} for ${name}@${version}, but the tarball at ${new URL(tarball).pathname} is sha512-${Buffer.from(digests.sha512, "hex").toString("base64")}`);
    }
    if (matches) notes.push(`${client} verified the tarball as ${recordedIntegrity.split(/\s+/)[0]!.slice(0, 20)}…`);
  }

  let files: TarFile[];
  try {
    files = tarFiles(bytes);
  } catch (error) {
    throw new Error(`the tarball at ${new URL(tarball).pathname} does not unpack (${(error as Error).message}), yet ${client} installed ${name}@${version}`);
  }
  for (const file of files) {
    let onDisk: Buffer;
    try {
      onDisk = await readFile(join(dir, file.path));
    } catch {
      throw new Error(`${client} installed ${name}@${version} without ${file.path}, which its tarball holds`);
    }
    if (!onDisk.equals(file.bytes)) throw new Error(`${client} installed other bytes for ${file.path} of ${name}@${version} than its tarball holds`);
  }
  notes.push(`${files.length} files on disk match the tarball`);
  return { digests, note: notes.join("; ") };
}
