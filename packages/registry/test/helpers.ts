// A tiny format served by the reference registry in these tests, modelled on
// GitLab's generic packages: PUT /:name/:version/:file stores the raw body,
// GET the same path returns it.
import { createHash } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { type AuthScheme, type ReferenceFormat, type ReferenceRoute, ReferenceHttpError } from "@regkit/registry/contract";
import { type ReferenceRegistry, type ReferenceRegistryOptions, createReferenceRegistry } from "@regkit/registry";
import { type Dispatcher, request } from "undici";

export function genericFormat(segment = "generic", auth: readonly AuthScheme[] = ["headers", "basic"]): ReferenceFormat {
  const routes: ReferenceRoute[] = [
    {
      method: "GET",
      path: "/",
      access: "public",
      handle: async (req) => ({ status: 200, body: { segment, baseUrl: req.baseUrl, project: req.project } }),
    },
    {
      method: "GET",
      path: "/boom",
      access: "read",
      handle: async () => {
        throw new Error("kaboom: internal detail");
      },
    },
    {
      method: "GET",
      path: "/teapot",
      access: "read",
      handle: async () => {
        throw new ReferenceHttpError(418, "I'm a teapot");
      },
    },
    {
      method: "GET",
      path: "/echo/:name",
      access: "public",
      handle: async (req) => ({ status: 200, body: { name: req.params.name } }),
    },
    {
      method: "GET",
      path: "/files/*path/:file",
      access: "public",
      handle: async (req) => ({ status: 200, body: { path: req.params.path, file: req.params.file } }),
    },
    {
      method: "GET",
      path: "/:name",
      access: "read",
      handle: async (req) => {
        const pkg = await req.store.get(req.params.name ?? "");
        if (!pkg) throw new ReferenceHttpError(404, "404 Package Not Found");
        return {
          status: 200,
          body: {
            name: pkg.name,
            revision: pkg.revision,
            metadata: pkg.metadata,
            versions: pkg.versions.map((v) => ({ version: v.version, metadata: v.metadata, files: v.files })),
            principal: req.principal,
            project: req.project,
          },
        };
      },
    },
    {
      method: "PUT",
      path: "/:name/:version/:file",
      access: "write",
      handle: async (req) => {
        const { name = "", version = "", file = "" } = req.params;
        const staged = await req.store.stage(req.body, req.limits.maxFileSize);
        const outcome = await req.store.commit({
          name,
          version,
          files: [{ filename: file, staged }],
          metadata: { by: req.principal.name, kind: req.principal.kind },
          duplicates: req.policies.duplicates,
          update: (metadata) => ({ ...metadata, latest: version }),
        });
        if (outcome.kind === "duplicate") return { status: 400, body: { message: "Duplicate package is not allowed" } };
        return { status: 201, body: { message: "201 Created", outcome: outcome.kind } };
      },
    },
    {
      method: "GET",
      path: "/:name/:version/:file",
      access: "read",
      handle: async (req) => {
        const { name = "", version = "", file = "" } = req.params;
        const stored = await req.store.open(name, version, file);
        if (!stored) throw new ReferenceHttpError(404, "404 Not Found");
        return {
          status: 200,
          headers: {
            "content-length": String(stored.size),
            "x-checksum-sha256": stored.digests.sha256,
          },
          body: stored.stream(),
        };
      },
    },
    {
      method: "PUT",
      path: "/:name/-/tags/:tag",
      access: "write",
      handle: async (req) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req.body) chunks.push(chunk as Buffer);
        const version = Buffer.concat(chunks).toString("utf8");
        const tag = req.params.tag ?? "";
        const known = await req.store.updateMetadata(req.params.name ?? "", (metadata) => {
          const tags = (metadata.tags ?? {}) as Record<string, string>;
          return { ...metadata, tags: { ...tags, [tag]: version } };
        });
        return known ? { status: 204 } : { status: 404, body: { message: "404 Not Found" } };
      },
    },
    {
      method: "DELETE",
      path: "/:name/:version",
      access: "write",
      handle: async (req) => {
        const removed = await req.store.remove(req.params.name ?? "", req.params.version);
        return removed ? { status: 204 } : { status: 404, body: { message: "404 Not Found" } };
      },
    },
  ];
  return {
    segment,
    auth,
    policies: { duplicates: "allow", duplicateStatus: [400] },
    limits: { maxFileSize: 0 },
    routes,
  };
}

/** A registry with `generic` (headers + Basic) and `tokenish` (Bearer + headers). */
export async function startRegistry(
  extra: Partial<ReferenceRegistryOptions> = {},
): Promise<ReferenceRegistry> {
  return createReferenceRegistry({
    formats: [genericFormat(), genericFormat("tokenish", ["bearer", "headers"])],
    ...extra,
  });
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

export interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: () => unknown;
}

/** One request with undici; reads the whole (small) body. */
export async function call(
  url: string,
  init: {
    method?: Dispatcher.HttpMethod;
    headers?: Record<string, string>;
    body?: string | Buffer | AsyncIterable<Uint8Array>;
  } = {},
): Promise<Answer> {
  const body = init.body === undefined || typeof init.body === "string" || Buffer.isBuffer(init.body) ? init.body : Readable.from(init.body);
  const res = await request(url, { method: init.method ?? "GET", headers: init.headers, body });
  const text = await res.body.text();
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return { status: res.statusCode, headers, text, json: () => JSON.parse(text) };
}

export function sha256(bytes: Uint8Array | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** A fresh directory removed by the returned function. */
export async function tempDir(): Promise<{ path: string; remove(): Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), "regkit-registry-test-"));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Every file below `dir`, relative paths. */
export async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
  } catch {
    return [];
  }
}

/** `size` bytes in 1 MiB chunks (one buffer reused: never mutated, so safe to queue). */
export function chunks(size: number, fill = 0x61): { stream: () => AsyncIterable<Uint8Array>; sha256: string } {
  const chunk = Buffer.alloc(Math.min(size, 1 << 20), fill);
  const hash = createHash("sha256");
  let left = size;
  while (left > 0) {
    const n = Math.min(left, chunk.byteLength);
    hash.update(chunk.subarray(0, n));
    left -= n;
  }
  return {
    sha256: hash.digest("hex"),
    stream: async function* () {
      let remaining = size;
      while (remaining > 0) {
        const n = Math.min(remaining, chunk.byteLength);
        yield chunk.subarray(0, n);
        remaining -= n;
      }
    },
  };
}
