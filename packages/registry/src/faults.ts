/**
 * A fault-injecting HTTP proxy, for proving that a kit's checks fail against a
 * registry that gets things wrong: put it in front of the reference registry
 * (or any registry), describe the fault as a function, point the kit at the
 * proxy, and assert that the kit reports the failure.
 *
 * ```ts
 * import { corruptBody, startFaultyProxy } from "@regkit/registry/faults";
 *
 * const proxy = await startFaultyProxy({
 *   upstream: registry.url,
 *   fault: corruptBody({ when: (ex) => ex.method === "GET" && ex.path.endsWith(".tgz") }),
 * });
 * // registry.registries.npm.replace(registry.url, proxy.url) now serves corrupted tarballs
 * await proxy.close();
 * ```
 *
 * A {@link Fault} sees each request ({@link FaultExchange}) and may change it
 * (`request`), answer it itself without forwarding (`request.answer`), and
 * change what the upstream answered (`response`). Bodies are streamed through
 * untouched unless a response transform runs or origins are rewritten; those
 * responses are buffered, so keep faulted downloads small.
 *
 * @module
 */
import {
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type Server,
  type ServerResponse,
  createServer,
  request as httpRequest,
} from "node:http";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { pipeline } from "node:stream/promises";
import { isCredentialHeader } from "@regkit/core";

/** One request as it reaches the proxy. */
export interface FaultExchange {
  readonly method: string;
  /** Path and query exactly as the client sent them (`/api/v4/projects/1/packages/npm/foo`). */
  readonly path: string;
  /** Lowercased request headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** 1 for the first request through this proxy, 2 for the second, ... */
  readonly count: number;
}

/** What the upstream answered, body buffered. */
export interface UpstreamResponse {
  readonly status: number;
  /** Lowercased; hop-by-hop headers already removed. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** An answer, or changes to one. Every field is optional in a response transform. */
export interface FaultReply {
  readonly status?: number | undefined;
  /** Replaces the headers (Content-Length is recomputed from the body). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  readonly body?: Buffer | string | undefined;
  /** Waits this long before answering. */
  readonly delayMs?: number | undefined;
  /**
   * Announces the full Content-Length but sends only part of the body (`true`:
   * half of it; a number: that many bytes), then closes the connection.
   */
  readonly truncate?: boolean | number | undefined;
}

/** What a fault does to one exchange. */
export interface FaultAction {
  readonly request?:
    | {
        /** Headers to set on the forwarded request; `null` removes one. */
        readonly headers?: Readonly<Record<string, string | null>> | undefined;
        /** Removes every credential header (Authorization, PRIVATE-TOKEN, DEPLOY-TOKEN, JOB-TOKEN, X-NuGet-ApiKey). */
        readonly stripAuth?: boolean | undefined;
        /** Answers here; the request is not forwarded (its body is read and dropped). */
        readonly answer?: (FaultReply & { readonly status: number }) | undefined;
      }
    | undefined;
  /** Changes the upstream's answer; `undefined` leaves it alone. */
  readonly response?: ((res: UpstreamResponse) => FaultReply | undefined) | undefined;
}

/** Decides, per request, what goes wrong; `undefined` proxies it faithfully. */
export type Fault = (exchange: FaultExchange) => FaultAction | undefined;

export interface FaultyProxyOptions {
  /** Origin of the registry behind the proxy (`http://127.0.0.1:4873`). */
  readonly upstream: string;
  readonly fault: Fault;
  /**
   * Replace the upstream origin with the proxy's in textual response bodies
   * (JSON, XML, HTML, text) and in `Location`, so links in metadata (tarball
   * URLs, simple-index links) keep going through the proxy. Default true.
   */
  readonly rewriteOrigin?: boolean | undefined;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string | undefined;
}

export interface FaultyProxy {
  /** Origin of the proxy; swap it for the upstream origin in a registry URL. */
  readonly url: string;
  close(): Promise<void>;
}

const HOP_BY_HOP = [
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];
const WRITE_METHODS = ["PUT", "POST", "PATCH", "DELETE"];

/** Starts a proxy in front of `upstream` that applies `fault` to every exchange. */
export async function startFaultyProxy(options: FaultyProxyOptions): Promise<FaultyProxy> {
  const ctx: ProxyContext = {
    upstream: parseUpstream(options.upstream),
    fault: options.fault,
    rewrite: options.rewriteOrigin ?? true,
    proxyOrigin: "",
    count: 0,
  };
  const server = createServer((req, res) => {
    handleExchange(ctx, req, res).catch((error: unknown) => reportHandlerFailure(res, error));
  });
  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, host);
  // Only known once the server listens; no request can arrive before then.
  ctx.proxyOrigin = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: ctx.proxyOrigin,
    close() {
      closing ??= new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** What every exchange through one proxy shares. */
interface ProxyContext {
  readonly upstream: URL;
  readonly fault: Fault;
  /** Whether to swap the upstream origin for the proxy's in responses. */
  readonly rewrite: boolean;
  /** Set once the server listens, before the first request. */
  proxyOrigin: string;
  /** Requests seen so far, for {@link FaultExchange.count}. */
  count: number;
}

function parseUpstream(raw: string): URL {
  const upstream = new URL(raw);
  if (upstream.protocol !== "http:" && upstream.protocol !== "https:") {
    throw new Error(`faulty proxy: upstream must be http(s), got ${raw}`);
  }
  return upstream;
}

/** Listens on a free port of `host` and resolves with that port. */
async function listen(server: Server, host: string): Promise<number> {
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(0, host, () => {
      server.off("error", fail);
      done();
    });
  });
  return (server.address() as AddressInfo).port;
}

function reportHandlerFailure(res: ServerResponse, error: unknown): void {
  // A client that hangs up mid-body is part of the game, not worth a line.
  const code = (error as { code?: string }).code;
  if (code !== "ERR_STREAM_PREMATURE_CLOSE" && code !== "ECONNRESET") {
    process.stderr.write(`faulty proxy: ${(error as Error).message}\n`);
  }
  res.destroy();
}

/** Asks the fault about one request, then answers it here or forwards it. */
async function handleExchange(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  ctx.count += 1;
  const exchange: FaultExchange = {
    method: (req.method ?? "GET").toUpperCase(),
    path: req.url ?? "/",
    headers: flattenHeaders(req.headers),
    count: ctx.count,
  };
  const action = ctx.fault(exchange) ?? {};
  if (action.request?.answer) {
    await drainRequest(req);
    await answer(res, action.request.answer);
    return;
  }
  await forward(ctx, req, res, exchange, action);
}

/** Joins repeated headers into one string each, leaving out the `drop` names (lowercase). */
function flattenHeaders(raw: IncomingHttpHeaders, drop: readonly string[] = []): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined || drop.includes(name)) continue;
    headers[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** Reads the request body to its end and drops it, so the client can read our answer. */
async function drainRequest(req: IncomingMessage): Promise<void> {
  req.resume();
  await new Promise<void>((done) => {
    req.once("end", done);
    req.once("error", () => done());
  });
}

/** Sends the request upstream and relays (maybe changed) what comes back. */
async function forward(
  ctx: ProxyContext,
  req: IncomingMessage,
  res: ServerResponse,
  exchange: FaultExchange,
  action: FaultAction,
): Promise<void> {
  const headers = upstreamRequestHeaders(req, exchange.headers, ctx.upstream.host, action.request);
  const { outgoing, response } = sendUpstream(ctx.upstream, req, exchange, headers);
  let incoming: IncomingMessage;
  try {
    incoming = await response;
  } catch (error) {
    await answerUpstreamFailure(res, error);
    return;
  }
  // The upstream may answer before reading the whole upload (401, 413): the
  // rest is dropped here, and the half-sent upstream request ends with the exchange.
  if (!req.complete) {
    req.unpipe(outgoing);
    req.resume();
    res.once("close", () => outgoing.destroy());
  }
  await relayResponse(ctx, res, incoming, action.response);
}

/**
 * The client's headers minus those that only concerned its hop to the proxy,
 * then the fault's request changes (credentials stripped, headers set or removed).
 */
function upstreamRequestHeaders(
  req: IncomingMessage,
  headers: Readonly<Record<string, string>>,
  upstreamHost: string,
  change: FaultAction["request"],
): OutgoingHttpHeaders {
  const forwarded: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (HOP_BY_HOP.includes(name) || name === "host" || name === "accept-encoding") continue;
    if (change?.stripAuth && isCredentialHeader(name)) continue;
    forwarded[name] = value;
  }
  // Bodies are rewritten as text: ask for them uncompressed.
  forwarded["accept-encoding"] = "identity";
  forwarded.host = upstreamHost;
  // Transfer-Encoding is hop-by-hop, but a body without a length still has to be sent chunked.
  if (req.headers["transfer-encoding"] && req.headers["content-length"] === undefined) {
    forwarded["transfer-encoding"] = "chunked";
  }
  for (const [name, value] of Object.entries(change?.headers ?? {})) {
    if (value === null) delete forwarded[name.toLowerCase()];
    else forwarded[name.toLowerCase()] = value;
  }
  return forwarded;
}

/** Starts the upstream request and streams the client's body into it. */
function sendUpstream(
  upstream: URL,
  req: IncomingMessage,
  exchange: FaultExchange,
  headers: OutgoingHttpHeaders,
): { readonly outgoing: ClientRequest; readonly response: Promise<IncomingMessage> } {
  const send = upstream.protocol === "https:" ? httpsRequest : httpRequest;
  const outgoing = send(new URL(exchange.path, upstream.origin), { method: exchange.method, headers });
  const response = new Promise<IncomingMessage>((done, fail) => {
    outgoing.once("response", done);
    // Stays attached: an upstream that answers early and hangs up may fail the request later.
    outgoing.on("error", fail);
  });
  req.pipe(outgoing);
  req.once("error", (error) => outgoing.destroy(error));
  return { outgoing, response };
}

/** A 502 naming the upstream's failure, or a cut connection if the answer has already started. */
async function answerUpstreamFailure(res: ServerResponse, error: unknown): Promise<void> {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const message = `faulty proxy: upstream failed: ${(error as Error).message}`;
  await answer(res, { status: 502, headers: { "content-type": "application/json" }, body: JSON.stringify({ message }) });
}

/**
 * Streams the upstream's answer through untouched when nothing needs to change;
 * otherwise buffers it, rewrites origins, and applies the fault's response transform.
 */
async function relayResponse(
  ctx: ProxyContext,
  res: ServerResponse,
  incoming: IncomingMessage,
  transform: FaultAction["response"],
): Promise<void> {
  const headers = flattenHeaders(incoming.headers, HOP_BY_HOP);
  if (ctx.rewrite && headers.location) {
    headers.location = headers.location.replaceAll(ctx.upstream.origin, ctx.proxyOrigin);
  }
  const status = incoming.statusCode ?? 502;
  const textual = ctx.rewrite && isTextual(headers["content-type"]);
  if (!transform && !textual) {
    res.writeHead(status, headers);
    await pipeline(incoming, res);
    return;
  }
  let body = await readBody(incoming);
  if (textual) {
    body = Buffer.from(body.toString("utf8").replaceAll(ctx.upstream.origin, ctx.proxyOrigin), "utf8");
  }
  const change = transform?.({ status, headers, body }) ?? {};
  // Whatever the transform leaves out keeps the upstream's value; delay and truncation pass through.
  await answer(res, {
    ...change,
    status: change.status ?? status,
    headers: change.headers ?? headers,
    body: change.body ?? body,
  });
}

async function readBody(incoming: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of incoming) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Sends a reply built here (an answer, or a transformed upstream response), after its delay. */
async function answer(res: ServerResponse, reply: FaultReply & { readonly status: number }): Promise<void> {
  if (reply.delayMs) await new Promise((done) => setTimeout(done, reply.delayMs));
  const body = typeof reply.body === "string" ? Buffer.from(reply.body, "utf8") : (reply.body ?? Buffer.alloc(0));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.headers ?? {})) {
    const lower = name.toLowerCase();
    // The length is recomputed below, so a changed body is announced correctly.
    if (!HOP_BY_HOP.includes(lower) && lower !== "content-length") headers[lower] = value;
  }
  const bodiless = reply.status === 204 || reply.status === 304;
  if (!bodiless) headers["content-length"] = String(body.byteLength);
  if (!reply.truncate || bodiless) {
    res.writeHead(reply.status, headers);
    res.end(bodiless ? undefined : body);
    return;
  }
  await sendTruncated(res, reply.status, headers, body, reply.truncate);
}

/** Sends the headers (full Content-Length) and only part of `body`, then ends the connection. */
async function sendTruncated(
  res: ServerResponse,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
  truncate: true | number,
): Promise<void> {
  // At least one byte goes missing, or the "truncated" download would be complete.
  const keep = typeof truncate === "number" ? Math.min(truncate, Math.max(0, body.byteLength - 1)) : Math.floor(body.byteLength / 2);
  headers.connection = "close";
  res.writeHead(status, headers);
  await new Promise<void>((done) => {
    res.write(body.subarray(0, keep), () => done());
  });
  // FIN rather than RST: the client reads the partial body, then sees the connection end early.
  res.socket?.end();
}

function isTextual(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return (
    type.startsWith("text/") ||
    type.endsWith("/json") ||
    type.endsWith("+json") ||
    type.endsWith("/xml") ||
    type.endsWith("+xml") ||
    type === "application/javascript"
  );
}

// ---------------------------------------------------------------------------
// Ready-made faults. Each takes `when` to pick the exchanges it applies to.

/** Picks the exchanges a fault applies to; default: all of them. */
export type FaultMatch = (exchange: FaultExchange) => boolean;

const always: FaultMatch = () => true;

/**
 * Flips one byte of successful (2xx) non-empty response bodies: a download
 * whose bytes no longer match the digests the metadata announces.
 *
 * @example corruptBody({ when: (ex) => ex.path.endsWith(".tgz") })
 */
export function corruptBody(options: { readonly when?: FaultMatch; readonly offset?: number } = {}): Fault {
  const when = options.when ?? always;
  return (exchange) =>
    when(exchange)
      ? {
          response: (res) => {
            if (res.status < 200 || res.status >= 300 || res.body.byteLength === 0) return undefined;
            const body = Buffer.from(res.body);
            const at = Math.min(options.offset ?? Math.floor(body.byteLength / 2), body.byteLength - 1);
            body[at] = (body[at] ?? 0) ^ 0xff;
            return { body };
          },
        }
      : undefined;
}

/**
 * Sends fewer bytes than the Content-Length it announces, then ends the
 * connection: a truncated download.
 *
 * @example truncateBody({ when: (ex) => ex.path.endsWith(".whl"), keep: 100 })
 */
export function truncateBody(options: { readonly when?: FaultMatch; readonly keep?: number } = {}): Fault {
  const when = options.when ?? always;
  return (exchange) =>
    when(exchange)
      ? { response: (res) => (res.body.byteLength > 0 ? { truncate: options.keep ?? true } : undefined) }
      : undefined;
}

/**
 * Rewrites successful JSON responses; bodies that are not JSON pass unchanged.
 *
 * @example Drop version 1.0.1 from an npm packument:
 * ```ts
 * mapJson({
 *   when: (ex) => ex.method === "GET" && ex.path.endsWith("/my-pkg"),
 *   map: (doc: any) => { delete doc.versions["1.0.1"]; return doc; },
 * })
 * ```
 */
export function mapJson(options: {
  readonly when?: FaultMatch;
  readonly map: (json: unknown, exchange: FaultExchange) => unknown;
}): Fault {
  const when = options.when ?? always;
  return (exchange) =>
    when(exchange)
      ? {
          response: (res) => {
            if (res.status < 200 || res.status >= 300 || !/json/i.test(res.headers["content-type"] ?? "")) return undefined;
            let json: unknown;
            try {
              json = JSON.parse(res.body.toString("utf8"));
            } catch {
              return undefined;
            }
            return { body: JSON.stringify(options.map(json, exchange)) };
          },
        }
      : undefined;
}

/**
 * Delays matching responses more and more: the n-th matching response waits
 * `n * stepMs` (at most `maxMs`), a registry that slows down as it fills up.
 *
 * @example delayResponses({ when: (ex) => ex.method === "GET" && !ex.path.endsWith(".tgz"), stepMs: 20 })
 */
export function delayResponses(options: {
  readonly when?: FaultMatch;
  readonly stepMs: number;
  readonly maxMs?: number;
}): Fault {
  const when = options.when ?? always;
  let matched = 0;
  return (exchange) => {
    if (!when(exchange)) return undefined;
    matched += 1;
    const delayMs = Math.min(matched * options.stepMs, options.maxMs ?? Number.POSITIVE_INFINITY);
    return { response: () => ({ delayMs }) };
  };
}

/**
 * A registry that ignores credentials. With `as`, every request is forwarded
 * with those credential headers instead of the client's (anonymous and invalid
 * callers read and publish as that user). Without it, writes (PUT, POST,
 * PATCH, DELETE) that carry no credential in `validTokens` are answered
 * `status` (201) without being forwarded, and reads go through unchanged.
 *
 * @example ignoreCredentials({ as: { "PRIVATE-TOKEN": registry.tokens.personal } })
 * @example ignoreCredentials({ validTokens: [registry.tokens.personal, registry.tokens.deploy] })
 */
export function ignoreCredentials(
  options: {
    readonly when?: FaultMatch;
    readonly as?: Readonly<Record<string, string>>;
    readonly validTokens?: readonly string[];
    readonly status?: number;
  } = {},
): Fault {
  const when = options.when ?? always;
  return (exchange) => {
    if (!when(exchange)) return undefined;
    if (options.as) return { request: { stripAuth: true, headers: options.as } };
    if (!WRITE_METHODS.includes(exchange.method)) return undefined;
    const valid = options.validTokens ?? [];
    const presented = Object.entries(exchange.headers).flatMap(([name, value]) => (isCredentialHeader(name) && typeof value === "string" ? [value] : []));
    const carriesValid = presented.some((value) => valid.some((token) => credentialCarries(value, token)));
    if (carriesValid) return undefined;
    const status = options.status ?? 201;
    return {
      request: {
        answer: { status, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: `${status} Created` }) },
      },
    };
  };
}

/**
 * A registry that takes duplicates: a write answered 409, or 400/403 with a
 * message about an existing package or file, becomes 201.
 *
 * @example acceptDuplicates()
 */
export function acceptDuplicates(options: { readonly when?: FaultMatch } = {}): Fault {
  const when = options.when ?? always;
  return (exchange) =>
    when(exchange) && WRITE_METHODS.includes(exchange.method)
      ? {
          response: (res) =>
            isDuplicateRejection(res)
              ? { status: 201, headers: { "content-type": "application/json" }, body: JSON.stringify({ message: "201 Created" }) }
              : undefined,
        }
      : undefined;
}

/**
 * Applies several faults to each exchange, in order: header changes merge,
 * the first `answer` wins, response transforms chain (each sees the previous
 * one's result) and their delays add up.
 */
export function composeFaults(...faults: readonly Fault[]): Fault {
  return (exchange) => {
    const actions = faults.map((fault) => fault(exchange)).filter((a): a is FaultAction => a !== undefined);
    if (actions.length === 0) return undefined;
    const headers: Record<string, string | null> = {};
    let stripAuth = false;
    let answerWith: (FaultReply & { readonly status: number }) | undefined;
    for (const action of actions) {
      Object.assign(headers, action.request?.headers ?? {});
      stripAuth ||= action.request?.stripAuth ?? false;
      answerWith ??= action.request?.answer;
    }
    const transforms = actions.flatMap((a) => (a.response ? [a.response] : []));
    return {
      request: { headers, stripAuth, answer: answerWith },
      response:
        transforms.length === 0
          ? undefined
          : (res) => {
              let current = res;
              let delayMs = 0;
              let truncate: boolean | number | undefined;
              for (const transform of transforms) {
                const change = transform(current) ?? {};
                delayMs += change.delayMs ?? 0;
                truncate = change.truncate ?? truncate;
                current = {
                  status: change.status ?? current.status,
                  headers: change.headers ?? current.headers,
                  body: change.body === undefined ? current.body : Buffer.from(change.body),
                };
              }
              return { ...current, delayMs, truncate };
            },
    };
  };
}

function isDuplicateRejection(res: UpstreamResponse): boolean {
  if (res.status === 409) return true;
  if (res.status !== 400 && res.status !== 403) return false;
  return /duplicate|already|exists|taken/i.test(res.body.toString("utf8"));
}

/** Whether a credential header value presents `token` (raw, Bearer, or inside Basic). */
function credentialCarries(value: string, token: string): boolean {
  if (value === token || value.endsWith(` ${token}`)) return true;
  const basic = /^basic\s+(.+)$/i.exec(value);
  if (!basic?.[1]) return false;
  const decoded = Buffer.from(basic[1], "base64").toString("utf8");
  return decoded.slice(decoded.indexOf(":") + 1) === token;
}
