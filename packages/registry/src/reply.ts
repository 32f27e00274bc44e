import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReferenceReply } from "./contract.js";

/** `{"message": ...}`, GitLab's error body. */
export function messageReply(status: number, message: string, headers?: Record<string, string>): ReferenceReply {
  return { status, headers, body: { message } };
}

/**
 * Writes a route's reply. Strings and bytes go out with a Content-Length,
 * plain objects and arrays as JSON, Readables streamed (with the route's
 * Content-Length when it gave one). Resolves once the body is written;
 * rejects when a streamed body fails half-way (the response is destroyed, so
 * the client sees a truncated body, never a complete-looking one).
 */
export async function sendReply(
  res: ServerResponse,
  reply: ReferenceReply,
  options: { readonly head: boolean },
): Promise<void> {
  const headers: Record<string, string> = {};
  const given = reply.headers;
  if (given) for (const name of Object.keys(given)) headers[name.toLowerCase()] = given[name]!;
  const { body } = reply;
  let payload: Buffer | Readable | undefined;
  let type: string | undefined;
  if (body === undefined || body === null) {
    payload = undefined;
  } else if (typeof body === "string") {
    payload = Buffer.from(body, "utf8");
    type = "text/plain; charset=utf-8";
  } else if (body instanceof Uint8Array) {
    // A Buffer goes out as it is (rendered metadata is one); other views are wrapped, not copied.
    payload = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    type = "application/octet-stream";
  } else if (body instanceof Readable) {
    payload = body;
    type = "application/octet-stream";
  } else if (Symbol.asyncIterator in body) {
    payload = Readable.from(body as AsyncIterable<Uint8Array>);
    type = "application/octet-stream";
  } else {
    payload = Buffer.from(JSON.stringify(body), "utf8");
    type = "application/json";
  }
  const bodiless = reply.status === 204 || reply.status === 304 || (reply.status >= 100 && reply.status < 200);
  if (bodiless) {
    if (payload instanceof Readable) payload.destroy();
    payload = undefined;
    delete headers["content-length"];
  } else {
    if (type && payload !== undefined && headers["content-type"] === undefined) headers["content-type"] = type;
    if (payload === undefined) headers["content-length"] = "0";
    else if (Buffer.isBuffer(payload)) headers["content-length"] = String(payload.byteLength);
  }
  res.writeHead(reply.status, headers);
  if (payload === undefined || options.head) {
    if (payload instanceof Readable) payload.destroy();
    res.end();
    return;
  }
  if (Buffer.isBuffer(payload)) {
    res.end(payload);
    return;
  }
  await pipeline(payload, res);
}
