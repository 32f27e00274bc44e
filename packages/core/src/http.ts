import { Agent, request, type Dispatcher } from "undici";
import type { Digests, Exchange, HttpClient, HttpRequest, HttpResponse } from "./contract.js";
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
  /** Per request: headers, then body (default 120 s). */
  readonly timeoutMs?: number | undefined;
  readonly dispatcher?: Dispatcher | undefined;
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
  const timeoutMs = options.timeoutMs ?? 120_000;
  const dispatcher = options.dispatcher ?? agent();

  return {
    baseUrl,
    async request(req: HttpRequest): Promise<HttpResponse> {
      const url = joinUrl(baseUrl, req.path);
      const headers: Record<string, string> = { ...(req.noAuth ? {} : options.authHeaders), ...req.headers };
      const path = relativePath(baseUrl, url);
      const started = performance.now();
      const base = {
        method: req.method,
        url: redactUrl(url, secrets),
        path: redact(path, secrets),
        requestHeaders: redactHeaders(headers, secrets),
        via,
      };
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, {
          method: req.method as Dispatcher.HttpMethod,
          headers,
          body: req.body as Dispatcher.DispatchOptions["body"],
          dispatcher,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          signal: req.signal,
        });
      } catch (error) {
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
        throw new ProtocolError(
          redact(`${req.method} ${path} failed without a response: ${cause ?? code} (${(error as Error).message})`, secrets),
          [exchange],
        );
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
        }
        return exchange;
      };
      const where = (): string => `${req.method} ${path} -> ${res.statusCode}`;
      const declared = responseHeaders["content-length"] === undefined ? undefined : Number(responseHeaders["content-length"]);

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
          throw new ProtocolError(
            redact(`${where()}: the body broke off after ${size} bytes${declared === undefined ? "" : ` of ${declared}`} (${(error as Error).message})`, secrets),
            [exchange],
          );
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
            throw new ProtocolError(
              redact(`${where()}: the body broke off after ${digester.size} bytes${declared === undefined ? "" : ` of ${declared}`} (${(error as Error).message})`, secrets),
              [exchange],
            );
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
