/**
 * One HTTP exchange as the registry handles it: the request target split
 * without normalizing it, the body handed on as a stream, and what happens to
 * an upload the answer came too early for.
 */
import type { IncomingMessage } from "node:http";
import { PassThrough } from "node:stream";
import { ReferenceHttpError } from "./contract.js";

/** One request on its way through the dispatcher. */
export interface Call {
  readonly method: string;
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** The request body, passed on from the socket from the moment it is first asked for. */
  readonly body: PassThrough;
  /** Run once the route has answered, before the reply is written. */
  readonly cleanups: (() => Promise<void>)[];
}

/** The client closed its connection before the request body ended. */
export class ClientGone extends Error {
  constructor() {
    super("the request body ended early");
    this.name = "ClientGone";
  }
}

/** How long an early answer waits for the rest of the upload before cutting the connection. */
const DRAIN_MS = 30_000;

/**
 * A call read from a Node request. Its body is set up when a route first
 * asks for it: most requests (every GET of metadata) never read one, and a
 * pass-through piped from the socket costs a stream and a handful of
 * listeners per request. Until then the bytes wait in the request's own
 * buffer, as they would in the pass-through's.
 */
export class IncomingCall implements Call {
  readonly method: string;
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly cleanups: (() => Promise<void>)[] = [];
  readonly #req: IncomingMessage;
  #body: PassThrough | undefined;
  /** The client went away before its body ended: a body asked for now or later is destroyed with ClientGone. */
  #gone = false;

  constructor(req: IncomingMessage) {
    const { rawPath, query } = splitTarget(req.url ?? "/");
    this.method = (req.method ?? "GET").toUpperCase();
    this.rawPath = rawPath;
    this.query = query;
    this.headers = headersOf(req);
    this.#req = req;
    req.on("error", () => this.#clientGone());
    req.once("close", () => {
      if (!req.complete) this.#clientGone();
    });
  }

  get body(): PassThrough {
    if (!this.#body) {
      // Routes get a pass-through rather than the socket's stream: a route that
      // stops reading early must not tear down the connection our answer uses.
      const body = new PassThrough();
      // A client that goes away while no route is reading its body (a route
      // awaiting the disk after a 413) destroys the body with ClientGone; pipe()
      // re-emits that on the body when nothing else listens, and an 'error' event
      // nobody handles ends the process. Readers still get the error: a destroyed
      // body rejects every read that comes later.
      body.on("error", () => {});
      this.#body = body;
      if (this.#gone) body.destroy(new ClientGone());
      else this.#req.pipe(body);
    }
    return this.#body;
  }

  /** Once answered: stops handing on a body nobody reads any more and lets the rest of it drain. */
  settle(): void {
    const req = this.#req;
    if (req.complete) return;
    if (this.#body) {
      req.unpipe(this.#body);
      this.#body.destroy();
    }
    drainBody(req);
  }

  #clientGone(): void {
    this.#gone = true;
    this.#body?.destroy(new ClientGone());
  }
}

/** Reads what a request says about itself; its body is passed on once a route asks for it. */
export function openCall(req: IncomingMessage): IncomingCall {
  return new IncomingCall(req);
}

/**
 * For an answer given before the request body ended (401, 413): reads and
 * drops the rest of the body so the connection can carry the answer to
 * clients that send the whole body before reading (urllib3, Maven's wagon).
 * No `Connection: close` here: Node answers one by tearing the socket down as
 * soon as it is written, and the unread upload turns that into a reset those
 * clients report instead of our status. A client that never finishes its
 * upload loses the connection after {@link DRAIN_MS}.
 */
function drainBody(req: IncomingMessage): void {
  if (req.complete) return;
  const timer = setTimeout(() => req.socket.destroy(), DRAIN_MS);
  timer.unref();
  const stop = (): void => clearTimeout(timer);
  req.once("end", stop);
  req.once("close", stop);
  req.resume();
}

/** The scheme and authority an absolute-form request target starts with. */
const ABSOLUTE_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;

/** Splits a request target into its raw path (never normalized) and query. */
function splitTarget(target: string): { rawPath: string; query: URLSearchParams } {
  let rest = target;
  // Absolute-form targets (sent to proxies) carry the origin first; the usual
  // origin-form (`/...`) cannot, and skips the expression.
  const origin = rest.startsWith("/") ? null : ABSOLUTE_ORIGIN.exec(rest);
  if (origin) rest = rest.slice(origin[0].length) || "/";
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf("?");
  return q < 0
    ? { rawPath: rest, query: new URLSearchParams() }
    : { rawPath: rest.slice(0, q), query: new URLSearchParams(rest.slice(q + 1)) };
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  const { headers } = req;
  for (const name of Object.keys(headers)) {
    const value = headers[name];
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** The whole body of a request that is meant to be small (settings, GraphQL); past `limit`, 413. */
export async function readSmallBody(call: Call, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of call.body.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new ReferenceHttpError(413, "413 Request Entity Too Large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
