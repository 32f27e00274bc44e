// The reference's OCI storage without a data directory: small uploads and
// manifests stay in memory within the registry's budget, larger ones (and
// those past the budget) go to disk, and deleting gives the room back.
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, test } from "vitest";
import { collect } from "@regkit/core";
import { MEMORY_MAX, OciStorage, type StoredManifest } from "../src/reference/storage.js";
import { type TokenKeys, signToken, verifyToken } from "../src/reference/token.js";

/** A byte budget as the registry gives one (HostBlobMemory), counting what is held. */
function budget(limit: number) {
  return {
    held: 0,
    take(size: number): boolean {
      if (size > MEMORY_MAX || this.held + size > limit) return false;
      this.held += size;
      return true;
    },
    give(size: number): void {
      this.held -= size;
    },
  };
}

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function open(durable: boolean, memory = budget(1024 * 1024)) {
  const dir = await mkdtemp(join(tmpdir(), "regkit-oci-storage-"));
  dirs.push(dir);
  return { dir, memory, storage: await OciStorage.open(dir, durable, memory) };
}

/** Every file under `dir/blobs`, as `sha256/ab/abcd...`. */
async function blobFiles(dir: string): Promise<string[]> {
  const root = join(dir, "blobs");
  if (!existsSync(root)) return [];
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(root.length + 1));
}

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash("sha256").update(bytes).digest("hex")}`;
const bytesOf = (size: number, seed: number): Buffer => Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) % 251));

/** Uploads `bytes` in chunks of `chunk` bytes and commits them under their digest. */
async function push(storage: OciStorage, repository: string, bytes: Buffer, chunk = 16 * 1024): Promise<string> {
  const session = await storage.startUpload(repository);
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.byteLength; at += chunk) pieces.push(bytes.subarray(at, at + chunk));
  await storage.append(session, Readable.from(pieces), 0);
  const digest = await storage.uploadDigest(session, "sha256");
  expect(digest).toBe(sha256(bytes));
  await storage.commitUpload(session, digest);
  return digest;
}

describe("OCI storage without a data directory", () => {
  test("a small blob stays in memory: no file, the same bytes, ranges, its size; deleting gives its room back", async () => {
    const { dir, storage, memory } = await open(false);
    const bytes = bytesOf(5000, 1);
    const digest = await push(storage, "group/app", bytes, 1000);
    expect(await blobFiles(dir)).toEqual([]);
    expect(memory.held).toBe(5000);
    expect(storage.hasBlob("group/app", digest)).toBe(true);
    expect(await storage.blobSize(digest)).toBe(5000);
    expect(Buffer.from(await collect(storage.openBlob(digest)))).toEqual(bytes);
    expect(Buffer.from(await collect(storage.openBlob(digest, { start: 10, end: 19 })))).toEqual(bytes.subarray(10, 20));
    expect(await storage.readBlob(digest)).toEqual(bytes);
    expect(await storage.deleteBlob("group/app", digest)).toBe(true);
    expect(memory.held).toBe(0);
    await expect(storage.readBlob(digest)).rejects.toThrow(/ENOENT/);
  });

  test("an upload that outgrows the memory limit goes to its file with what it held, then to disk", async () => {
    const { dir, storage, memory } = await open(false);
    const bytes = bytesOf(MEMORY_MAX + 40_000, 2);
    const digest = await push(storage, "group/app", bytes, 24 * 1024);
    expect(memory.held).toBe(0);
    expect(await blobFiles(dir)).toEqual([`sha256/${digest.slice(7, 9)}/${digest.slice(7)}`]);
    expect(await storage.readBlob(digest)).toEqual(bytes);
    expect(await storage.deleteBlob("group/app", digest)).toBe(true);
    expect(await blobFiles(dir)).toEqual([]);
    // A client that sends tiny pieces: tens of thousands of them, in memory and then spilled.
    const tiny = bytesOf(MEMORY_MAX + 30_000, 8);
    const bytewise = await push(storage, "group/app", tiny, 4);
    expect(await storage.readBlob(bytewise)).toEqual(tiny);
  });

  test("past the budget, a small blob goes to disk; sha512 of an upload in memory", async () => {
    const { dir, storage, memory } = await open(false, budget(6000));
    const first = await push(storage, "group/app", bytesOf(5000, 3));
    const second = bytesOf(2000, 4);
    const session = await storage.startUpload("group/app");
    await storage.append(session, Readable.from([second]), 0);
    const sha512 = await storage.uploadDigest(session, "sha512");
    expect(sha512).toBe(`sha512:${createHash("sha512").update(second).digest("hex")}`);
    await storage.commitUpload(session, sha512);
    expect(memory.held).toBe(5000);
    expect(await blobFiles(dir)).toEqual([`sha512/${sha512.slice(7, 9)}/${sha512.slice(7)}`]);
    expect(await storage.readBlob(sha512)).toEqual(second);
    expect(await storage.readBlob(first)).toEqual(bytesOf(5000, 3));
  });

  test("a manifest stays in memory and goes when deleted; an upload over the limit is refused and leaves nothing", async () => {
    const { dir, storage, memory } = await open(false);
    const layer = await push(storage, "group/app", bytesOf(100, 5));
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, layers: [{ digest: layer }] }));
    const manifest: StoredManifest = { digest: sha256(bytes), mediaType: "application/vnd.oci.image.manifest.v1+json", size: bytes.byteLength, references: [layer] };
    await storage.putManifest("group/app", bytes, manifest, "v1", () => {});
    expect(await storage.readBlob(manifest.digest)).toEqual(bytes);
    expect(memory.held).toBe(100 + bytes.byteLength);
    expect(await storage.deleteManifest("group/app", manifest.digest)).toBe(true);
    expect(memory.held).toBe(100);
    const session = await storage.startUpload("group/app");
    await expect(storage.append(session, Readable.from([bytesOf(3000, 6)]), 2000)).rejects.toThrow(/size limit of 2000/);
    expect(storage.upload(session.id)).toBeUndefined();
    expect(await blobFiles(dir)).toEqual([]);
    expect(existsSync(session.path)).toBe(false);
  });
});

test("with a data directory, every blob is a file whatever the budget", async () => {
  const { dir, storage, memory } = await open(true);
  const digest = await push(storage, "group/app", bytesOf(300, 7));
  expect(memory.held).toBe(0);
  expect(await blobFiles(dir)).toEqual([`sha256/${digest.slice(7, 9)}/${digest.slice(7)}`]);
});

describe("token checks", () => {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keys: TokenKeys = { privateKey, publicKey, kid: "test" };
  const access = [{ type: "repository", name: "group/app", actions: ["pull"] }];

  test("a token checked once is still checked for its times on every use", () => {
    const now = Date.now();
    const token = signToken(keys, { aud: "container_registry", access }, now);
    expect(verifyToken(keys, token, now)).toMatchObject({ access });
    expect(verifyToken(keys, token, now)).toMatchObject({ access });
    expect(verifyToken(keys, token, now + 24 * 3600 * 1000)).toEqual({ invalid: "token expired" });
  });

  test("a token changed after signing, or signed by another key pair, is refused", () => {
    const token = signToken(keys, { aud: "container_registry", access });
    expect(verifyToken(keys, token)).toMatchObject({ access });
    const [head, , signature] = token.split(".");
    const forged = `${head}.${Buffer.from(JSON.stringify({ aud: "container_registry", access: [{ ...access[0], actions: ["push"] }] })).toString("base64url")}.${signature}`;
    expect(verifyToken(keys, forged)).toEqual({ invalid: "bad signature" });
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
    expect(verifyToken({ ...other, kid: "other" }, token)).toEqual({ invalid: "bad signature" });
  });
});
