import { Agent, request, type Dispatcher } from "undici";
import type { Content, Digests, Exchange, HttpClient, HttpRequest, HttpResponse } from "./contract.js";
import { StreamDigester } from "./content.js";
import { ProtocolError } from "./errors.js";
import { redact, redactHeaders, redactUrl } from "./redact.js";

/** Options of {@link createHttpClient}. */
export interface HttpClientOptions {
  /** The registry URL relative paths are appended to. */
  readonly baseUrl: string;
  /** Headers presenting the credential (from the profile). */
  readonly authHeaders: Readonly<Record<string, string>>;
  /** Who makes the requests, for the evidence: `adapter`, or a driver name. */
  readonly via: string;
  readonly record: (exchange: Exchange) => void;
  /** Every secret to keep out of the evidence. */
  readonly secrets: readonly string[];
  /**
   * Per request: the longest wait for the response headers, then for each
   * further piece of the body (default 60 s, the `requestTimeoutMs` option; 0: no limit).
   */
  readonly timeoutMs?: number | undefined;
  readonly dispatcher?: Dispatcher | undefined;
  /**
   * Ends every request of this client when it fires (a scenario's timeout, an
   * interrupted run): one in flight fails at once, a later one before it is sent.
   */
  readonly signal?: AbortSignal | undefined;
  /** Hears each request start, get its answer (or none) and end: the runner's in-flight tracking and circuit breaker. */
  readonly watch?: RequestWatch | undefined;
}

/** Follows requests as they go (see {@link HttpClientOptions.watch}). */
export interface RequestWatch {
  /** A request is about to be sent; the handle hears what becomes of it. */
  start(method: string, path: string): RequestHandle;
}

/** What becomes of one watched request. Exactly one of `answered` and `unanswered` is called, then `done` once. */
export interface RequestHandle {
  /** The response headers arrived (any status). */
  answered(status: number): void;
  /**
   * No response came at all: refused, reset, timed out (`aborted`: this side
   * gave up on it, for a scenario timeout or an interrupted run).
   */
  unanswered(message: string, aborted: boolean): void;
  /** The exchange is over: its body read or dropped, or it failed. */
  done(): void;
}

/** Thrown into an upload the registry answered before it ended: closes the connection, which is left mid-body. */
class UploadStopped extends Error {
  constructor() {
    super("upload stopped: the registry answered before the body was sent");
    this.name = "UploadStopped";
  }
}

function isContent(body: HttpRequest["body"]): body is Content {
  return typeof body === "object" && !(body instanceof Uint8Array) && "stream" in body && typeof body.stream === "function" && typeof body.size === "number";
}

function hasHeader(headers: Readonly<Record<string, string>>, name: string): boolean {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

/** Why a signal fired, as words for a message. */
function reasonText(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason.message;
  return typeof reason === "string" ? reason : "aborted";
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 1 : 0))} s`;
}

const SNIPPET = 600;
const TEXT_LIMIT = 64 * 1024 * 1024;
let sharedAgent: Agent | undefined;

function agent(): Agent {
  sharedAgent ??= new Agent({ keepAliveTimeout: 4_000, connections: 16 });
  return sharedAgent;
}

function headerRecord(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(headers)) {
    if (value !== undefined) out[key.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

function isJsonType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/json" || type.endsWith("+json") || type === "text/json";
}

/** Joins a registry URL and a relative path without losing the registry's own path. */
export function joinUrl(baseUrl: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${baseUrl.replace(/\/+$/, "")}${path.startsWith("/") ? "" : "/"}${path}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The path of `url` relative to the registry URL's path (or the whole path for another origin). */
export function relativePath(baseUrl: string, url: string): string {
  try {
    const base = new URL(baseUrl);
    const target = new URL(url);
    const basePath = base.pathname.replace(/\/+$/, "");
    const path = `${target.pathname}${target.search}`;
    if (target.origin === base.origin && (target.pathname === basePath || target.pathname.startsWith(`${basePath}/`))) {
      return path.slice(basePath.length) || "/";
    }
    // GitLab names the project by id in the URLs it hands out (NuGet's service
    // index) while a target may name it by path: the same project endpoint.
    const project = /^(.*\/api\/v4\/projects\/)[^/]+(\/packages\/[^/]+)$/.exec(basePath);
    const same = project ? new RegExp(`^${escapeRegExp(project[1]!)}[^/]+${escapeRegExp(project[2]!)}(?=/|$)`).exec(target.pathname) : null;
    if (target.origin === base.origin && same) return path.slice(same[0].length) || "/";
    return target.origin === base.origin ? path : url;
  } catch {
    return url;
  }
}

/**
 * The recording HTTP client every adapter uses: undici underneath, every
 * exchange recorded with redacted headers and URL, and reading helpers that
 * turn unusable answers (HTML for JSON, truncated bodies) into clear errors.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const { baseUrl, secrets, via, record } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const dispatcher = options.dispatcher ?? agent();
  const within = `${seconds(timeoutMs)} (the request timeout, requestTimeoutMs)`;

  return {
    baseUrl,
    async request(req: HttpRequest): Promise<HttpResponse> {
      const url = joinUrl(baseUrl, req.path);
      const headers: Record<string, string> = { ...(req.noAuth ? {} : options.authHeaders), ...req.headers };
      // A streamed package announces its length: registries check a limit from
      // it before reading, and an unknown length would go out chunked.
      const content = isContent(req.body) ? req.body : undefined;
      if (content && !hasHeader(headers, "content-length")) headers["content-length"] = String(content.size);
      const path = relativePath(baseUrl, url);
      const started = performance.now();
      const base = {
        method: req.method,
        url: redactUrl(url, secrets),
        path: redact(path, secrets),
        requestHeaders: redactHeaders(headers, secrets),
        via,
      };
      const signals = [options.signal, req.signal].filter((s): s is AbortSignal => s !== undefined);
      const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
      const handle = options.watch?.start(req.method, redact(path, secrets));

      // A streamed upload stops as soon as the registry has answered (a 413 or
      // 401 after the first bytes): nothing more is read from the source, and
      // once the answer has been read the upload fails, so the connection,
      // left mid-body, is closed instead of reused.
      let answered = false;
      let releaseUpload = (): void => {};
      const uploadReleased = new Promise<void>((resolve) => {
        releaseUpload = resolve;
      });
      const guarded = async function* (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
        const iterator = source[Symbol.asyncIterator]();
        try {
          for (;;) {
            if (answered) break;
            const next = await iterator.next();
            if (next.done) return;
            if (answered) break;
            yield next.value;
          }
        } finally {
          await iterator.return?.();
        }
        await uploadReleased;
        throw new UploadStopped();
      };
      const source = req.body;
      let direct: string | Uint8Array | undefined;
      let streamed: AsyncIterable<Uint8Array> | undefined;
      if (isContent(source)) streamed = guarded(source.stream());
      else if (typeof source === "string" || source instanceof Uint8Array) direct = source;
      else if (source !== undefined) streamed = guarded(source);

      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: req.method as Dispatcher.HttpMethod,
          headers,
          // undici sends async iterables as they come (its types list only streams and buffers).
          body: (streamed ?? direct) as Dispatcher.DispatchOptions["body"],
          dispatcher,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal,
        });
      } catch (error) {
        releaseUpload();
        const exchange: Exchange = {
          ...base,
          status: 0,
          durationMs: performance.now() - started,
          responseHeaders: {},
          responseSnippet: undefined,
        };
        record(exchange);
        const code = (error as { code?: string }).code ?? (error as Error).name;
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const aborted = signal?.aborted === true;
        const message = aborted
          ? `${req.method} ${path} was abandoned after ${seconds(exchange.durationMs)} without a response: ${reasonText(signal)}`
          : code === "UND_ERR_HEADERS_TIMEOUT"
            ? `${req.method} ${path} got no response within ${within}`
            : `${req.method} ${path} failed without a response: ${cause ?? code} (${(error as Error).message})`;
        handle?.unanswered(redact(message, secrets), aborted);
        handle?.done();
        throw new ProtocolError(redact(message, secrets), [exchange]);
      }
      answered = true;
      handle?.answered(res.statusCode);
      // An answer nobody reads must not hold the upload (and its connection) forever.
      if (streamed) {
        const fallback = setTimeout(releaseUpload, timeoutMs || 60_000);
        fallback.unref();
        void uploadReleased.then(() => clearTimeout(fallback));
      }
      const responseHeaders = headerRecord(res.headers);
      let exchange: Exchange = {
        ...base,
        status: res.statusCode,
        durationMs: performance.now() - started,
        responseHeaders: redactHeaders(responseHeaders, secrets),
      };
      let recorded = false;
      const finish = (snippet?: string): Exchange => {
        exchange = {
          ...exchange,
          durationMs: performance.now() - started,
          ...(snippet === undefined ? {} : { responseSnippet: redact(snippet.slice(0, SNIPPET), secrets) }),
        };
        if (!recorded) {
          recorded = true;
          record(exchange);
          releaseUpload();
          handle?.done();
        }
        return exchange;
      };
      const where = (): string => `${req.method} ${path} -> ${res.statusCode}`;
      const declared = responseHeaders["content-length"] === undefined ? undefined : Number(responseHeaders["content-length"]);
      /** Why a body read failed: a stall past the request timeout, this side giving up, or a cut connection. */
      const broke = (error: unknown, size: number): string => {
        const of = declared === undefined ? "" : ` of ${declared}`;
        if ((error as { code?: string }).code === "UND_ERR_BODY_TIMEOUT") return `${where()}: the body stalled after ${size} bytes${of}: nothing more came within ${within}`;
        if (signal?.aborted) return `${where()}: reading the body was abandoned after ${size} bytes${of}: ${reasonText(signal)}`;
        return `${where()}: the body broke off after ${size} bytes${of} (${(error as Error).message})`;
      };

      const readAll = async (limit: number): Promise<Buffer> => {
        const chunks: Buffer[] = [];
        let size = 0;
        try {
          for await (const chunk of res.body) {
            size += (chunk as Buffer).byteLength;
            if (size > limit) {
              res.body.destroy();
              finish(Buffer.concat(chunks).toString("utf8"));
              throw new ProtocolError(`${where()}: body larger than ${limit} bytes where a small document was due`, [exchange]);
            }
            chunks.push(chunk as Buffer);
          }
        } catch (error) {
          if (error instanceof ProtocolError) throw error;
          finish(Buffer.concat(chunks).toString("utf8"));
          throw new ProtocolError(redact(broke(error, size), secrets), [exchange]);
        }
        const body = Buffer.concat(chunks);
        if (declared !== undefined && body.byteLength !== declared && req.method !== "HEAD") {
          finish(body.toString("utf8"));
          throw new ProtocolError(`${where()}: truncated body: Content-Length says ${declared} bytes, ${body.byteLength} arrived`, [exchange]);
        }
        return body;
      };

      const response: HttpResponse = {
        status: res.statusCode,
        headers: responseHeaders,
        get exchange() {
          return exchange;
        },
        async text() {
          const body = (await readAll(TEXT_LIMIT)).toString("utf8");
          finish(res.statusCode >= 400 || !isJsonType(responseHeaders["content-type"]) ? body : undefined);
          return body;
        },
        async json<T>() {
          const body = (await readAll(TEXT_LIMIT)).toString("utf8");
          const type = responseHeaders["content-type"];
          if (!isJsonType(type)) {
            finish(body);
            throw new ProtocolError(
              `expected JSON from ${where()}, got ${type ?? "no content type"}: ${redact(body.slice(0, 120), secrets).replace(/\s+/g, " ")}`,
              [exchange],
              { expected: "a JSON content type", actual: type ?? "none" },
            );
          }
          try {
            const value = JSON.parse(body) as T;
            finish(res.statusCode >= 400 ? body : undefined);
            return value;
          } catch (error) {
            finish(body);
            throw new ProtocolError(`${where()}: the body is not valid JSON (${(error as Error).message})`, [exchange]);
          }
        },
        async bytes() {
          const body = await readAll(Number.MAX_SAFE_INTEGER);
          finish(res.statusCode >= 400 ? body.toString("utf8") : undefined);
          return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
        },
        async digest(): Promise<{ size: number; digests: Digests }> {
          const digester = new StreamDigester();
          try {
            for await (const chunk of res.body) await digester.update(chunk as Buffer);
          } catch (error) {
            digester.abort();
            finish();
            throw new ProtocolError(redact(broke(error, digester.size), secrets), [exchange]);
          }
          if (declared !== undefined && digester.size !== declared) {
            digester.abort();
            finish();
            throw new ProtocolError(`${where()}: truncated body: Content-Length says ${declared} bytes, ${digester.size} arrived`, [exchange]);
          }
          const digests = await digester.digests();
          finish();
          return { size: digester.size, digests };
        },
        async dump() {
          // An error body is evidence: keep its start instead of discarding it.
          if (res.statusCode >= 400) {
            const body = await readAll(TEXT_LIMIT).catch(() => Buffer.alloc(0));
            finish(body.toString("utf8"));
            return;
          }
          try {
            await res.body.dump();
          } finally {
            finish();
          }
        },
      };
      return response;
    },
  };
}

/**
 * Throws a ProtocolError unless the status is one of `ok`: 5xx and
 * unexpected statuses become a clear error naming the request.
 */
export async function expectStatus(res: HttpResponse, ok: readonly number[], what: string): Promise<void> {
  if (ok.includes(res.status)) return;
  await res.text().catch(() => "");
  // The exchange's snippet is redacted; the raw body may echo a token.
  const e = res.exchange;
  const body = e.responseSnippet ?? "";
  throw new ProtocolError(
    `${what}: ${e.method} ${e.path} answered ${res.status}${res.status >= 500 ? " (server error)" : ""}, expected ${ok.join(" or ")}${body ? `: ${body.slice(0, 200).replace(/\s+/g, " ")}` : ""}`,
    [res.exchange],
    { expected: `status ${ok.join(" or ")}`, actual: `status ${res.status}` },
  );
}
