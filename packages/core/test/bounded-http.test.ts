// The recording HTTP client never waits without limit and never pushes an
// upload the registry has already answered: tiny node:http servers on
// 127.0.0.1 that answer early, stall, or never answer at all.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { CircuitBreaker, ProtocolError, createHttpClient, generatedContent, type Exchange, type RequestHandle } from "@regkit/core";

const MiB = 1024 * 1024;
const servers: Server[] = [];

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

function client(baseUrl: string, extra: Partial<Parameters<typeof createHttpClient>[0]> = {}, record: Exchange[] = []) {
  return createHttpClient({ baseUrl, authHeaders: {}, via: "test", record: (e) => record.push(e), secrets: [], ...extra });
}

describe("uploads stop once the registry has answered", () => {
  test("a 413 after the first bytes: far fewer bytes go out than the package has, the refusal reads cleanly, the connection is closed", async () => {
    let received = 0;
    let announced: string | undefined;
    let chunked: string | undefined;
    let closed = false;
    const url = await serve((req, res) => {
      announced = req.headers["content-length"];
      chunked = req.headers["transfer-encoding"];
      req.socket.once("close", () => (closed = true));
      req.on("data", (chunk: Buffer) => (received += chunk.byteLength));
      // Answer at the first bytes and keep reading: a client that goes on sending would push everything.
      req.once("data", () => res.writeHead(413, { "content-type": "application/json" }).end('{"message":"File is too large"}'));
    });
    const content = await generatedContent(64 * MiB, "upload-stop");
    const record: Exchange[] = [];
    // The Content itself, no Content-Length header: the client announces the size.
    const res = await client(url, {}, record).request({ method: "PUT", path: "/big.bin", body: content });
    expect(res.status).toBe(413);
    expect(await res.text()).toBe('{"message":"File is too large"}');
    await expect.poll(() => closed, { timeout: 5_000 }).toBe(true);
    expect(announced).toBe(String(64 * MiB));
    expect(chunked).toBeUndefined();
    // Socket buffers hold a few MiB; far below the 64 MiB package.
    expect(received).toBeGreaterThan(0);
    expect(received).toBeLessThan(16 * MiB);
    expect(record).toEqual([expect.objectContaining({ method: "PUT", path: "/big.bin", status: 413, responseSnippet: '{"message":"File is too large"}' })]);
  });

  test("an answer whose body is still coming stops the upload at once too", async () => {
    let received = 0;
    const url = await serve((req, res) => {
      req.on("data", (chunk: Buffer) => (received += chunk.byteLength));
      req.once("data", () => {
        res.writeHead(401, { "content-type": "application/json" });
        res.write('{"message":');
        // The rest of the answer comes a second later: the upload must not go on meanwhile.
        setTimeout(() => res.end('"401 Unauthorized"}'), 1_000);
      });
    });
    const content = await generatedContent(64 * MiB, "upload-stop-2");
    const res = await client(url).request({ method: "PUT", path: "/big.bin", body: content.stream(), headers: { "content-length": String(content.size) } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ message: "401 Unauthorized" });
    expect(received).toBeLessThan(16 * MiB);
  });

  test("a body the registry reads to the end is sent whole, with its length", async () => {
    let received = 0;
    let announced: string | undefined;
    const url = await serve((req, res) => {
      announced = req.headers["content-length"];
      req.on("data", (chunk: Buffer) => (received += chunk.byteLength));
      req.on("end", () => res.writeHead(201, { "content-type": "application/json" }).end("{}"));
    });
    const content = await generatedContent(3 * MiB + 17, "whole");
    const res = await client(url).request({ method: "PUT", path: "/ok.bin", body: content });
    await res.dump();
    expect(res.status).toBe(201);
    expect(announced).toBe(String(content.size));
    expect(received).toBe(content.size);
  });
});

describe("every request has a time limit", () => {
  test("no response headers in time: an error naming the request and the limit", async () => {
    const url = await serve(() => {
      // Accepts the request and never answers.
    });
    const record: Exchange[] = [];
    const started = performance.now();
    const error = await client(url, { timeoutMs: 300 }, record).request({ method: "GET", path: "/slow" }).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toBe("GET /slow got no response within 0.3 s (the request timeout, requestTimeoutMs)");
    expect(record[0]).toMatchObject({ method: "GET", path: "/slow", status: 0 });
  });

  test("a body that stalls: an error naming the request, the bytes that came and the limit", async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1000" });
      res.write(Buffer.alloc(100));
    });
    const res = await client(url, { timeoutMs: 300 }).request({ method: "GET", path: "/stall" });
    await expect(res.digest()).rejects.toThrow("GET /stall -> 200: the body stalled after 100 bytes of 1000: nothing more came within 0.3 s (the request timeout, requestTimeoutMs)");
  });

  test("the client's signal ends a request in flight at once, saying why", async () => {
    const url = await serve(() => {});
    const abort = new AbortController();
    const seen: string[] = [];
    const watch = {
      start: (method: string, path: string): RequestHandle => ({
        answered: () => seen.push("answered"),
        unanswered: (message: string, aborted: boolean) => seen.push(`${aborted ? "aborted" : "unanswered"}: ${message}`),
        done: () => seen.push(`done ${method} ${path}`),
      }),
    };
    const pending = client(url, { signal: abort.signal, watch }).request({ method: "GET", path: "/wait" });
    setTimeout(() => abort.abort(new Error("interrupted")), 100);
    await expect(pending).rejects.toThrow(/^GET \/wait was abandoned after [\d.]+ s without a response: interrupted$/);
    expect(seen).toEqual([expect.stringMatching(/^aborted: GET \/wait was abandoned/), "done GET /wait"]);
  });
});

describe("circuit breaker", () => {
  test("trips after the limit of requests in a row without a response; an answer resets it; abandoned requests do not count", () => {
    const breaker = new CircuitBreaker(3);
    const trips: string[] = [];
    breaker.onTrip((why) => trips.push(why));
    breaker.unanswered("GET /a got no response within 1 s", false);
    breaker.unanswered("GET /b got no response within 1 s", false);
    breaker.answered();
    breaker.unanswered("GET /c got no response within 1 s", false);
    breaker.unanswered("GET /d was abandoned", true);
    breaker.unanswered("GET /e got no response within 1 s", false);
    expect(breaker.tripped).toBeUndefined();
    breaker.unanswered("PUT /f failed without a response: ECONNRESET", false);
    expect(breaker.tripped).toBe("3 requests in a row got no response; the last: PUT /f failed without a response: ECONNRESET");
    expect(trips).toEqual([breaker.tripped]);
    // Once tripped it stays tripped for the run.
    breaker.answered();
    expect(breaker.tripped).toBeDefined();
  });

  test("a limit of 0 never trips", () => {
    const breaker = new CircuitBreaker(0);
    for (let i = 0; i < 10; i++) breaker.unanswered("GET /x got no response", false);
    expect(breaker.tripped).toBeUndefined();
  });
});
