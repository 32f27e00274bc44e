import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Agent, request, type Dispatcher } from "undici";
import type { Exchange } from "./contract.js";
import { relativePath, type RequestHandle, type RequestWatch } from "./http.js";
import { redact, redactHeaders, redactUrl } from "./redact.js";

/** Options of {@link startRecordingProxy}. */
export interface RecordingProxyOptions {
  /** The registry URL the real client should talk to. */
  readonly registry: string;
  readonly record: (exchange: Exchange) => void;
  readonly secrets: readonly string[];
  /** The driver's name, for the evidence. */
  readonly via: string;
  /** Per request to the registry: the longest wait for headers, then for each piece of the body (default 300 s). */
  readonly timeoutMs?: number | undefined;
  /** Hears each request the tool makes (the runner's in-flight tracking and circuit breaker). */
  readonly watch?: RequestWatch | undefined;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
  "accept-encoding",
  // Node's server already answered `100 Continue` to the client (Maven sends it on every PUT).
  "expect",
]);

function isText(contentType: string | undefined): boolean {
  if (!contentType) return false;
  return /json|html|xml|text\//i.test(contentType);
}

/**
 * Points the `realm="..."` of a `WWW-Authenticate` header (the registry token
 * flow's token endpoint) at the proxy when the realm is on the registry's own
 * origin, so the client's token requests pass through the proxy and are
 * recorded like the rest, and the realm stays on the host the client talks
 * to (clients refuse credentials for a loopback realm on another host). A
 * realm elsewhere is left alone: the proxy forwards only to the registry.
 */
export function rewriteRealm(header: string, upstreamOrigin: string, proxyOrigin: string): string {
  return header.replace(/(realm\s*=\s*")([^"]*)(")/gi, (whole, open: string, realm: string, close: string) => {
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      return whole;
    }
    if (url.origin !== upstreamOrigin) return whole;
    return `${open}${proxyOrigin}${realm.slice(url.origin.length)}${close}`;
  });
}

/**
 * A reverse proxy on 127.0.0.1 in front of a registry, so the requests a real
 * client tool makes are observed like the adapter's. Absolute links to the
 * registry in text responses are rewritten to the proxy, so follow-up requests
 * (tarball URLs, service index resources) pass through it too, and so is a
 * token realm on the registry's origin ({@link rewriteRealm}).
 */
export async function startRecordingProxy(
  options: RecordingProxyOptions,
): Promise<{ readonly url: string; close(): Promise<void> }> {
  const upstream = new URL(options.registry);
  const upstreamOrigin = upstream.origin;
  const dispatcher: Dispatcher = new Agent({ keepAliveTimeout: 2_000 });
  let proxyOrigin = "";

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const targetUrl = `${upstreamOrigin}${req.url ?? "/"}`;
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.has(key)) continue;
      headers[key] = Array.isArray(value) ? value.join(", ") : value;
    }
    if (req.headers["content-length"]) headers["content-length"] = req.headers["content-length"];
    const hasBody = req.method !== "GET" && req.method !== "HEAD";
    const base = {
      method: req.method ?? "GET",
      url: redactUrl(targetUrl, options.secrets),
      path: redact(relativePath(options.registry, targetUrl), options.secrets),
      requestHeaders: redactHeaders(headers, options.secrets),
      via: options.via,
    };
    const handle: RequestHandle | undefined = options.watch?.start(base.method, base.path);
    let answered = false;
    try {
      const up = await request(targetUrl, {
        method: (req.method ?? "GET") as Dispatcher.HttpMethod,
        headers,
        body: hasBody ? req : undefined,
        dispatcher,
        headersTimeout: options.timeoutMs ?? 300_000,
        bodyTimeout: options.timeoutMs ?? 300_000,
      });
      answered = true;
      handle?.answered(up.statusCode);
      const responseHeaders: Record<string, string> = {};
      for (const [key, value] of Object.entries(up.headers)) {
        if (value === undefined || HOP_BY_HOP.has(key)) continue;
        responseHeaders[key] = Array.isArray(value) ? value.join(", ") : value;
      }
      if (responseHeaders.location) responseHeaders.location = responseHeaders.location.split(upstreamOrigin).join(proxyOrigin);
      // The evidence keeps the challenge as the registry sent it; the client gets the realm on the proxy.
      const challenge = responseHeaders["www-authenticate"];
      const recordedHeaders = { ...responseHeaders };
      if (challenge) responseHeaders["www-authenticate"] = rewriteRealm(challenge, upstreamOrigin, proxyOrigin);
      let snippet: string | undefined;
      if (isText(responseHeaders["content-type"])) {
        const body = Buffer.from(await up.body.arrayBuffer()).toString("utf8");
        const rewritten = body.split(upstreamOrigin).join(proxyOrigin);
        if (up.statusCode >= 400) snippet = redact(body.slice(0, 600), options.secrets);
        res.writeHead(up.statusCode, { ...responseHeaders, "content-length": Buffer.byteLength(rewritten) });
        res.end(rewritten);
      } else {
        if (up.headers["content-length"] !== undefined) responseHeaders["content-length"] = String(up.headers["content-length"]);
        res.writeHead(up.statusCode, responseHeaders);
        for await (const chunk of up.body) {
          if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
        }
        res.end();
      }
      options.record({
        ...base,
        status: up.statusCode,
        durationMs: performance.now() - started,
        responseHeaders: redactHeaders(recordedHeaders, options.secrets),
        responseSnippet: snippet,
      });
    } catch (error) {
      options.record({ ...base, status: 0, durationMs: performance.now() - started, responseHeaders: {} });
      if (!answered) handle?.unanswered(redact(`${base.method} ${base.path} failed without a response: ${(error as Error).message}`, options.secrets), false);
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "text/plain" });
        res.end(redact(`regkit proxy: ${(error as Error).message}`, options.secrets));
      } else {
        res.destroy();
      }
    } finally {
      handle?.done();
    }
  };

  const server = createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  proxyOrigin = `http://127.0.0.1:${port}`;
  return {
    url: `${proxyOrigin}${upstream.pathname.replace(/\/+$/, "")}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await dispatcher.close();
    },
  };
}
