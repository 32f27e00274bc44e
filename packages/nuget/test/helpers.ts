// Plain HTTP against the reference registry's NuGet feed: pushes of real
// .nupkg files, Basic and API-key credentials, JSON answers.
import { collect } from "@regkit/core";
import { buildNupkg } from "@regkit/nuget";

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  json<T = unknown>(): T;
}

export async function call(url: string, init: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {}): Promise<Answer> {
  const res = await fetch(url, { method: init.method ?? "GET", headers: init.headers, body: init.body, redirect: "manual" });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
}

export const basic = (username: string, password: string): Record<string, string> => ({ authorization: `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}` });

export async function nupkgBytes(id: string, version: string, options: { description?: string; size?: number; marker?: string } = {}): Promise<Uint8Array> {
  const files = options.marker ? { "marker.txt": new TextEncoder().encode(options.marker) } : undefined;
  const artifact = await buildNupkg({ name: id, version, description: options.description, size: options.size, files });
  return collect(artifact.content.stream());
}

/** A multipart/form-data body holding `bytes` in `field`. */
export function multipart(bytes: Uint8Array, field = "package"): { body: Uint8Array; headers: Record<string, string> } {
  const boundary = `----regkit${Math.random().toString(16).slice(2)}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="package.nupkg"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  return { body: Buffer.concat([head, bytes, tail]), headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

/** PUTs a package built for `id`/`version` to `url` (the feed, `/v2` or `/symbolpackage`). */
export async function push(url: string, auth: Record<string, string>, id: string, version: string, options: { field?: string; description?: string; size?: number; marker?: string } = {}): Promise<Answer> {
  const { body, headers } = multipart(await nupkgBytes(id, version, options), options.field);
  return call(url, { method: "PUT", headers: { ...headers, ...auth }, body });
}
