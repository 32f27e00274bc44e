import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ProtocolError, createHttpClient, expectStatus, type Exchange } from "@regkit/core";

let server: Server;
let base: string;
const SECRET = "glpat-supersecret-0123456789";

beforeAll(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case "/html":
        res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Sign in</body></html>");
        return;
      case "/json":
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
        return;
      case "/badjson":
        res.writeHead(200, { "content-type": "application/json" }).end('{"ok":');
        return;
      case "/truncated":
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": "1000" });
        res.write(Buffer.alloc(100));
        setTimeout(() => res.socket?.destroy(), 20);
        return;
      case "/echo":
        res.writeHead(500, { "content-type": "text/plain" }).end(`boom, your token was ${req.headers["private-token"]}`);
        return;
      default:
        res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function client(record: Exchange[] = []) {
  return createHttpClient({ baseUrl: base.replace("/api", ""), authHeaders: { "private-token": SECRET }, via: "test", record: (e) => record.push(e), secrets: [SECRET] });
}

describe("recording http client", () => {
  test("HTML where JSON was due is a ProtocolError that names the request and quotes the body", async () => {
    const res = await client().request({ method: "GET", path: "/html" });
    const error = await res.json().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as Error).message).toBe("expected JSON from GET /html -> 200, got text/html: <html><body>Sign in</body></html>");
  });

  test("invalid JSON and truncated bodies are ProtocolErrors", async () => {
    await expect((await client().request({ method: "GET", path: "/badjson" })).json()).rejects.toThrow(/GET \/badjson -> 200: the body is not valid JSON/);
    await expect((await client().request({ method: "GET", path: "/truncated" })).digest()).rejects.toThrow(/GET \/truncated -> 200: .*(truncated|broke off after 100 bytes of 1000)/);
  });

  test("an unreachable host is a ProtocolError with a status-0 exchange", async () => {
    const record: Exchange[] = [];
    const http = createHttpClient({ baseUrl: "http://127.0.0.1:9", authHeaders: {}, via: "test", record: (e) => record.push(e), secrets: [] });
    await expect(http.request({ method: "GET", path: "/x" })).rejects.toThrow(/GET \/x failed without a response: ECONNREFUSED/);
    expect(record[0]).toMatchObject({ method: "GET", path: "/x", status: 0 });
  });

  test("5xx through expectStatus names method, path, status; secrets never reach the evidence", async () => {
    const record: Exchange[] = [];
    const res = await client(record).request({ method: "GET", path: "/echo" });
    const error = (await expectStatus(res, [200], "reading").catch((e: unknown) => e)) as ProtocolError;
    expect(error.message).toMatch(/^reading: GET \/echo answered 500 \(server error\), expected 200: boom, your token was \[REDACTED\]$/);
    expect(JSON.stringify(record)).not.toContain(SECRET);
    expect(record[0]!.requestHeaders["private-token"]).toBe("[REDACTED]");
  });

  test("relative paths keep the registry's own path", async () => {
    const record: Exchange[] = [];
    const http = createHttpClient({ baseUrl: base, authHeaders: {}, via: "test", record: (e) => record.push(e), secrets: [] });
    const res = await http.request({ method: "GET", path: "/json" });
    expect(res.status).toBe(404);
    await res.dump();
    expect(record[0]!.url).toBe(`${base}/json`);
    expect(record[0]!.path).toBe("/json");
  });
});
